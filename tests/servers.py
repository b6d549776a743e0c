"""A real OpenAI-compatible server on loopback for the tests: llama-cpp-python's ``llama_cpp.server``
with the embedded model (SmolLM2-135M), started by the test and killed by it."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_llama_server(port: int, *, n_ctx: int = 512, threads: int | None = None):
    """``python -m llama_cpp.server`` on 127.0.0.1:port serving SmolLM2-135M as "smollm2" (logprobs on)."""
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install -e .[llama])")
    pytest.importorskip("uvicorn", reason="llama_cpp.server needs llama-cpp-python[server]")
    from ttslib.generate.llama import smollm2_path

    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_path()), "--model_alias", "smollm2",
           "--host", "127.0.0.1", "--port", str(port), "--logits_all", "True", "--n_ctx", str(n_ctx), "--verbose", "False"]
    cmd += ["--n_threads", str(threads)] if threads else []
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("llama_cpp.server did not start within 60 s")
