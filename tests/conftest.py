"""Shared test helpers: where the read-only reference data lives, a skip that says why, and a writer killed mid-run."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def shared_file(name: str) -> Path:
    """Path of a file in ../shared/data, or skip the test saying that the reference copy is absent."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"needs the reference file {path} (present in CI and beside the project, absent in a user's clone)")
    return path


def kill_after_shards(writer: subprocess.Popen, run_dir: Path, at_least: int, timeout: float = 120) -> int:
    """SIGKILL ``writer`` (a process writing the run directory ``run_dir``) once it has finished ``at_least``
    shards, or after ``timeout`` seconds; return how many finished shards it left."""
    shards = Path(run_dir) / "shards"
    deadline = time.monotonic() + timeout
    while len(list(shards.glob("[0-9]*.parquet"))) < at_least and time.monotonic() < deadline:
        time.sleep(0.02)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    return len(list(shards.glob("[0-9]*.parquet")))


def pytest_configure(config):
    """Under pytest-xdist (``make test``), each worker runs on its own share of the cores, so that two workers'
    llama.cpp threads (as many as the cores a process may use: ``usable_cores``) never outnumber the cores."""
    worker, count = os.environ.get("PYTEST_XDIST_WORKER", ""), os.environ.get("PYTEST_XDIST_WORKER_COUNT", "")
    if not (worker.startswith("gw") and count.isdigit() and hasattr(os, "sched_setaffinity")):
        return
    cores, i, k = sorted(os.sched_getaffinity(0)), int(worker[2:]), int(count)
    os.sched_setaffinity(0, cores[i::k] if k <= len(cores) else [cores[i % len(cores)]])
