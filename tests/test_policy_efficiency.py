"""ttslib.policy.efficiency: the efficiency multiple against constructed baselines (itself, twice the cost,
a curve linear in log cost) and its order-statistic band."""

import numpy as np
import pytest

from ttslib.policy import efficiency_multiple, ordinal_band


def test_efficiency_multiple_against_itself_is_one_and_against_twice_the_cost_is_two():
    rng = np.random.default_rng(0)
    acc = np.sort(rng.random((50, 5)), axis=1)  # (P, K) rising with budget on every problem
    cost = np.tile([1.0, 2.0, 4.0, 8.0, 16.0], (50, 1)) * rng.uniform(1, 2, (50, 1))
    itself = efficiency_multiple(acc, cost, acc, cost, n_boot=100)
    np.testing.assert_allclose(itself["multiple"], 1.0)
    assert (itself["status"] == "reached").all() and np.allclose(itself[["lower", "upper"]], 1.0)
    double = efficiency_multiple(acc, cost, acc, 2 * cost, n_boot=100)
    np.testing.assert_allclose(double["multiple"], 2.0)
    np.testing.assert_allclose(double[["lower", "upper"]], 2.0)


def test_efficiency_multiple_interpolates_in_log_cost_and_says_not_reached():
    base_cost = np.array([[1.0, 2.0, 4.0, 8.0, 16.0]])
    base_acc = 0.1 * np.log2(base_cost)  # 0, 0.1, ..., 0.4: linear in log cost
    out = efficiency_multiple([[0.25, 0.5, 0.0]], [[2.0, 2.0, 0.5]], base_acc, base_cost, n_boot=20)
    np.testing.assert_allclose(out.loc[0, "baseline_cost"], 2**2.5)  # 0.25 is reached at log2 cost 2.5
    np.testing.assert_allclose(out.loc[0, "multiple"], 2**1.5)
    assert out.loc[1, "status"] == "not reached" and np.isnan(out.loc[1, "multiple"]) and out.loc[1, "upper"] == np.inf
    assert out.loc[1, "bound"] == 16 / 2 and np.isnan(out.loc[0, "bound"])  # more than 8x, if ever reached
    assert out.loc[2, "status"] == "reached" and out.loc[2, "multiple"] == 2.0  # exactly at the cheapest config
    below = efficiency_multiple([[0.05]], [[1.0]], base_acc + 0.1, base_cost, n_boot=20)
    assert below.loc[0, "status"] == "below baseline range" and np.isnan(below.loc[0, "multiple"])
    assert below.loc[0, "bound"] == 1.0 and below.loc[0, "lower"] == 0.0
    with pytest.raises(ValueError, match="share P"):
        efficiency_multiple(np.ones((2, 1)), np.ones((2, 1)), base_acc, base_cost)


def test_ordinal_band_is_an_order_statistic_and_takes_infinities():
    boot = np.array([[3.0], [1.0], [np.inf], [2.0]])  # sorted: 1, 2, 3, inf
    lo, hi = ordinal_band(boot, 0.5)  # quantiles 0.25 and 0.75 of the inverted empirical CDF: the 1st and 3rd values
    assert (lo[0], hi[0]) == (1.0, 3.0)
    assert ordinal_band(boot, 0.9)[1][0] == np.inf
    with pytest.raises(ValueError, match="NaN"):
        ordinal_band(np.array([[np.nan]]), 0.9)
