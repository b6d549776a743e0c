"""ttslib.policy.efficiency: the efficiency multiple against constructed baselines (itself, twice the cost,
a curve linear in log cost), its order-statistic band, and the sentences that say where it is undefined."""

from dataclasses import replace

import numpy as np
import pytest

import pandas as pd

from ttslib.policy import (EfficiencyFinding, Strategy, VerifierSpec, efficiency_family, efficiency_findings, efficiency_multiple,
                           one_sample_budgets, ordinal_band)


def test_efficiency_multiple_against_itself_is_undefined_and_against_twice_the_cost_is_two():
    rng = np.random.default_rng(0)
    acc = np.sort(rng.random((50, 5)), axis=1)  # (P, K) rising with budget on every problem
    cost = np.tile([1.0, 2.0, 4.0, 8.0, 16.0], (50, 1)) * rng.uniform(1, 2, (50, 1))
    itself = efficiency_multiple(acc, cost, acc, cost, n_boot=100)
    assert (itself["status"] == "coincides").all()  # the policy is the baseline: no multiple to report
    assert itself[["multiple", "lower", "upper", "baseline_cost"]].isna().all().all()
    # the same mean accuracy and cost, but other problems solved: not the baseline, and the multiple is 1
    swapped = efficiency_multiple(acc[::-1], cost[::-1], acc, cost, n_boot=100)
    assert (swapped["status"] == "reached").all()
    np.testing.assert_allclose(swapped["multiple"], 1.0)
    # one policy column equal to one baseline config (on every problem), the others not
    mixed = efficiency_multiple(np.c_[acc[:, 2], acc[:, 2] + 0.01], np.c_[cost[:, 2], cost[:, 2]], acc, cost, n_boot=50)
    assert mixed["status"].tolist()[0] == "coincides" and mixed["status"].tolist()[1] != "coincides"
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


def test_efficiency_findings_say_undefined_where_the_multiple_is_and_name_censored_resamples():
    base_cost = np.array([[1.0, 2.0, 4.0, 8.0, 16.0]] * 4)
    base_acc = 0.1 * np.log2(base_cost) + np.array([[0.0], [0.1], [0.2], [0.3]])  # per problem: linear in log cost
    acc = np.c_[base_acc[:, 0], base_acc[:, 0] + 0.25, base_acc[:, 0] + 0.6, base_acc[:, 0] - 0.05]
    cost = np.c_[base_cost[:, 0], [2.0] * 4, [2.0] * 4, [1.0] * 4]
    table = efficiency_multiple(acc, cost, base_acc, base_cost, n_boot=200)
    found = efficiency_findings(table, policy="policy", baseline="best-of-N", budgets=["budget 1", "budget 2", "budget 3", "budget 4"])
    assert [f.status for f in found] == ["coincides", "reached", "not reached", "below baseline range"]
    assert [f.verdict for f in found] == ["undefined", "above 1", "undefined", "undefined"]
    assert "coincides with best-of-N" in found[0].sentence() and "[" not in found[0].short() and "pass@1" in found[0].short()
    assert found[1].short().startswith("budget 2: 2.83 [") and "above 1" in found[1].short()  # 2**1.5
    assert "does not reach" in found[2].short() and "8.00x" in found[2].short()  # 16 / 2
    assert "smallest budget, 1.00x" in found[3].short()
    # a band whose ends are censored says so: here the baseline reaches 0.25 above in some resamples only
    f = EfficiencyFinding("p", "b", "budget 8", 0.3, 1.0, 1.1, 0.4, np.inf, "reached", np.nan, 0.7, 0.1)
    assert f.verdict == "not shown" and "1.10 [0.40, inf)" in f.short()
    assert "in 20.0% of resamples b never reaches" in f.short() and "in 10.0% of resamples b's smallest budget already" in f.short()
    with pytest.raises(ValueError, match="budgets must name"):
        efficiency_findings(table, policy="p", baseline="b", budgets=[1, 2])
    with pytest.raises(ValueError, match="lacks"):
        efficiency_findings(table.drop(columns="p_below"), policy="p", baseline="b", budgets=[1, 2, 3, 4])


def test_one_sample_budgets_mark_where_every_choice_is_one_sample_and_efficiency_multiple_takes_them():
    bon, weighted = Strategy("best_of_n", VerifierSpec.confidence()), Strategy("weighted", VerifierSpec.confidence())
    beam = Strategy("beam_search", VerifierSpec.confidence(), beam_width=4)
    rows = [(0, "1", 1.0, bon, 1), (0, "2", 1.0, weighted, 1), (1, "1", 1.0, bon, 1), (1, "2", 1.0, bon, 1),  # budget 1: all n = 1
            (0, "1", 4.0, bon, 1), (0, "2", 4.0, weighted, 4), (1, "1", 4.0, bon, 4), (1, "2", 4.0, bon, 4),  # budget 4: one n = 4
            (0, "1", 8.0, beam, 1), (0, "2", 8.0, bon, 1), (1, "1", 8.0, bon, 1), (1, "2", 8.0, bon, 1),  # budget 8: a search at n = 1
            (-1, "1", 4.0, bon, 1), (-1, "2", 4.0, bon, 1),  # chosen on all problems: not a held-out choice, not read
            (0, "all", 1.0, bon, 1), (1, "all", 1.0, bon, 1), (0, "all", 4.0, bon, 4), (1, "all", 4.0, bon, 4),
            (0, "all", 8.0, bon, 1), (1, "all", 8.0, bon, 1)]
    choices = pd.DataFrame(rows, columns=["fold", "bin", "grid_n", "strategy", "n"])
    assert one_sample_budgets(choices, [1, 4, 8]).tolist() == [True, False, False]
    assert one_sample_budgets(choices, [1, 4, 8], single=True).tolist() == [True, False, True]
    assert one_sample_budgets(choices, [1, 4, 8], baseline=weighted, baseline_ns=[1, 2, 4]).tolist() == [True, False, False]
    assert not one_sample_budgets(choices, [1, 4, 8], baseline=weighted, baseline_ns=[2, 4]).any()  # the baseline has no n = 1
    assert not one_sample_budgets(choices, [1, 4, 8], baseline=beam, baseline_ns=[1, 4]).any()  # a search at n = 1 is no one-sample rule
    with pytest.raises(ValueError, match="lacks"):
        one_sample_budgets(choices.drop(columns="fold"), [1])
    # a policy that differs from the baseline's n = 1 config by Monte Carlo error only: marked, it coincides
    rng = np.random.default_rng(1)
    base_acc = np.c_[rng.random(30), rng.random(30)]
    base_cost = np.tile([1.0, 2.0], (30, 1))
    policy = np.c_[np.clip(base_acc[:, 0] + rng.normal(0, 0.01, 30), 0, 1), base_acc[:, 1] + 0.05]
    plain = efficiency_multiple(policy, base_cost, base_acc, base_cost, n_boot=50)
    assert plain["status"].iloc[0] != "coincides"
    marked = efficiency_multiple(policy, base_cost, base_acc, base_cost, n_boot=50, same=np.array([True, False]))
    assert marked["status"].tolist()[0] == "coincides" and np.isnan(marked["multiple"].iloc[0])
    assert marked["status"].iloc[1] == plain["status"].iloc[1]
    with pytest.raises(ValueError, match="same must be"):
        efficiency_multiple(policy, base_cost, base_acc, base_cost, n_boot=50, same=np.array([True]))


def test_efficiency_family_adjusts_the_defined_budgets_by_holm_and_leaves_undefined_ones():
    base_cost = np.array([[1.0, 2.0, 4.0, 8.0, 16.0]] * 4)
    base_acc = 0.1 * np.log2(base_cost) + np.array([[0.0], [0.1], [0.2], [0.3]])
    acc = np.c_[base_acc[:, 0], base_acc[:, 0] + 0.25, base_acc[:, 0] + 0.6]
    cost = np.c_[base_cost[:, 0], [2.0] * 4, [2.0] * 4]
    table = efficiency_multiple(acc, cost, base_acc, base_cost, n_boot=200)
    assert np.isnan(table["p_value"].iloc[[0, 2]]).all() and 0 < table["p_value"].iloc[1] <= 2 / 201 + 1e-12  # every resample above 1
    found = efficiency_family(efficiency_findings(table, policy="p", baseline="b", budgets=["budget 1", "budget 2", "budget 3"]))
    assert [f.family_size for f in found] == [1, 1, 1] and found[1].verdict == "above 1"  # one defined budget: a family of one
    # three defined budgets: the one whose band just leaves out 1 is not shown after Holm, and says what it was before
    a = EfficiencyFinding("p", "b", "budget 2", 0.3, 1.0, 3.0, 2.0, 4.0, "reached", np.nan, 1.0, 0.0, p_value=0.002)
    b = EfficiencyFinding("p", "b", "budget 4", 0.3, 1.0, 1.3, 1.01, 1.6, "reached", np.nan, 1.0, 0.0, p_value=0.04)
    c = EfficiencyFinding("p", "b", "budget 8", 0.3, 1.0, np.nan, np.nan, np.nan, "not reached", 2.0, 0.1, 0.0)
    d = EfficiencyFinding("p", "b", "budget 16", 0.3, 1.0, 1.0, 0.5, 2.0, "reached", np.nan, 1.0, 0.0, p_value=0.5)
    fa, fb, fc, fd = efficiency_family([a, b, c, d])  # Holm's thresholds 0.05 / 3, 0.05 / 2: 0.002 passes, 0.04 does not
    assert (fa.verdict, fb.verdict, fc.verdict, fd.verdict) == ("above 1", "not shown", "undefined", "not shown")
    assert fa.family_size == fb.family_size == fd.family_size == 3
    assert "above 1 (after Holm's adjustment over 3)" in fa.short() and "not shown (above 1 before Holm's adjustment over 3)" in fb.short()
    assert fc == c
    with pytest.raises(ValueError, match="p_value"):
        efficiency_family([replace(a, p_value=np.nan), b])
