"""The mutation exercise of ``tools/mutants.py`` cannot rot: every mutant still finds its line, and a fixed
handful of planted bugs (one per kind of maths module) are caught by the tests named for them (five pytest
runs: about 18 s of CPU, 25-70 s on a shared two-core machine)."""

from __future__ import annotations

import importlib.util
import io
import sys

import pytest

from conftest import ROOT

spec = importlib.util.spec_from_file_location("tools_mutants", ROOT / "tools" / "mutants.py")
mutants = sys.modules["tools_mutants"] = importlib.util.module_from_spec(spec)  # registered: its dataclasses need it
spec.loader.exec_module(mutants)

QUICK = ["coverage.sparse_carry", "beta.degenerate_critical", "selection.widen_dropped", "flops.tree_no_attention"]


def test_every_mutant_matches_its_code_exactly_once_and_has_tests():
    # the policy mutants find their code by pattern while that package is reorganised; they are checked
    # when the exercise runs (a 'stale' row), not here
    stale = []
    for mu in mutants.MUTANTS:
        path, why = mutants.locate(ROOT, mu)
        if mu.id.startswith("policy."):
            continue
        if path is None or not mutants.tests_for(ROOT, mu):
            stale.append(f"{mu.id}: {why}")
    assert not stale, "update these mutants in tools/mutants.py to the code they plant bugs in:\n" + "\n".join(stale)
    assert len({mu.id for mu in mutants.MUTANTS}) == len(mutants.MUTANTS)


@pytest.mark.slow
def test_a_fixed_subset_of_planted_bugs_is_caught():
    out = io.StringIO()
    results = mutants.run(QUICK, quick=True, timeout=120, out=out)
    assert results == dict.fromkeys(QUICK, "caught"), out.getvalue()
    assert "total: 4 caught (of 4)" in out.getvalue()
