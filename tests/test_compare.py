"""Paired comparisons: against scipy's paired t statistic, by exact small cases, and for row order."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st

from ttslib.compare import paired_difference


def test_standard_error_is_the_paired_t_tests():
    rng = np.random.default_rng(0)
    a, b = rng.random(50), rng.random(50)
    d = paired_difference(a, b)
    t = st.ttest_rel(a, b)
    assert d.mean / d.se == pytest.approx(t.statistic, rel=1e-12)
    assert d.se == pytest.approx(st.sem(a - b), rel=1e-12)
    assert d.upper - d.mean == pytest.approx(st.norm.ppf(0.975) * d.se, rel=1e-12)


def test_exact_small_case_and_verdicts():
    d = paired_difference([1.0, 1.0, 0.0, 1.0], [0.0, 1.0, 0.0, 0.0])  # differences 1, 0, 0, 1
    assert d.mean == 0.5 and d.se == pytest.approx(np.sqrt(1 / 3 / 4)) and d.num_problems == 4
    assert d.lower == pytest.approx(0.5 - 1.959964 * np.sqrt(1 / 12), abs=1e-6) and d.lower < 0 and d.verdict == "not shown"
    assert paired_difference(np.ones(40), np.zeros(40) + np.r_[np.zeros(39), 1.0]).verdict == "ahead"
    assert paired_difference(np.zeros(40), np.ones(40) - np.r_[np.zeros(39), 1.0]).verdict == "behind"
    assert paired_difference([0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 1.0, 0.0]).verdict == "not shown"


def test_row_order_does_not_change_a_bit():
    rng = np.random.default_rng(1)
    a, b = rng.random(333), rng.random(333)
    perm = rng.permutation(333)
    assert paired_difference(a, b) == paired_difference(a[perm], b[perm])


def test_interval_covers_at_its_level():
    # 2000 simulated comparisons with true difference 0.1: the 90% interval holds it about 90% of the time
    rng = np.random.default_rng(2)
    held = [paired_difference(rng.normal(0.1, 1, 200), np.zeros(200), level=0.9) for _ in range(2000)]
    share = np.mean([h.lower <= 0.1 <= h.upper for h in held])
    assert abs(share - 0.9) < 0.02


def test_bad_input():
    with pytest.raises(ValueError, match="same problems"):
        paired_difference([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="at least 2"):
        paired_difference([1.0], [0.0])
    with pytest.raises(ValueError, match="NaN"):
        paired_difference([1.0, np.nan], [0.0, 0.0])
    with pytest.raises(ValueError, match="level"):
        paired_difference([1.0, 0.0], [0.0, 0.0], level=1.5)
