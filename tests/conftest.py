"""Shared test helpers: where the read-only reference data lives, and a skip that says why."""

from __future__ import annotations

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
