"""ttslib.report.compare: the backtest and selection comparisons of notebook 00, as findings."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import ndtri

from test_report import samples
from ttslib import report
from ttslib.backtest import backtest
from ttslib.report.compare import backtest_findings, forecast_errors, selection_findings


def _counts(P: int = 60, N: int = 32, seed: int = 0):
    rng = np.random.default_rng(seed)
    p = rng.beta(0.3, 0.8, P)  # a heavy tail near 0, as the fits expect
    return np.full(P, N), rng.binomial(N, p)


def test_forecast_errors_are_those_of_the_backtest_on_the_same_draw():
    n, c = _counts()
    table = backtest(n, c, m=(8,), k_target=32, seed=5).set_index("estimator")["error"]
    power, beta = forecast_errors(n, c, m=8, k_target=32, rng=np.random.default_rng(5))
    np.testing.assert_allclose([power, beta], [table["power law"], table["beta"]], rtol=1e-12)


def test_the_backtest_finding_is_paired_and_does_not_depend_on_row_order():
    n, c = _counts()
    found = backtest_findings(n, c, m=8, k_target=32, n_boot=30, seed=2)
    table = backtest(n, c, m=(8,), k_target=32, seed=2).set_index("estimator")["error"]
    assert (found.a, found.b) == ("Beta", "power law") and found.num_problems == 60
    np.testing.assert_allclose([found.a_value, found.b_value], [-abs(table["beta"]), -abs(table["power law"])], rtol=1e-12)
    assert found.lower <= found.upper and "paired bootstrap" in found.method and "k = 32" in found.quantity
    shuffled = np.random.default_rng(0).permutation(n.size)
    assert backtest_findings(n[shuffled], c[shuffled], m=8, k_target=32, n_boot=30, seed=2) == found


def test_a_backtest_with_nothing_to_fit_or_a_bad_budget_raises_naming_it():
    with pytest.raises(ValueError, match="cannot be fitted"):
        backtest_findings(np.full(10, 32), np.zeros(10, dtype=int), m=8, k_target=32, n_boot=5)
    with pytest.raises(ValueError, match="m and k_target"):
        forecast_errors(np.full(10, 32), np.ones(10, dtype=int), m=64, k_target=32, rng=np.random.default_rng(0))


def test_selection_findings_are_every_pair_by_hand_and_one_holm_family():
    rules, _ = report.selection_rules(samples(40, 8, score=True, seed=4), [1, 8])
    found = selection_findings(rules, 8)
    pairs = [("majority", "best_of_n"), ("majority", "weighted"), ("best_of_n", "weighted"),
             ("oracle", "majority"), ("oracle", "best_of_n"), ("oracle", "weighted")]
    assert [(f.a, f.b) for f in found] == [(report.compare.RULE_NAMES[a], report.compare.RULE_NAMES[b]) for a, b in pairs]
    for f, (a, b) in zip(found, pairs):
        d = rules[a].at(8) - rules[b].at(8)  # the paired normal interval, by hand
        half = ndtri(0.975) * d.std(ddof=1) / np.sqrt(d.size)
        np.testing.assert_allclose([f.difference, f.lower, f.upper], [d.mean(), d.mean() - half, d.mean() + half], atol=1e-12)
        assert f.family_size == 6 and f.range == "n = 8"
    assert all(f.difference >= 0 for f in found if f.a.startswith("pass@n"))  # the oracle is above every rule, per problem


def test_selection_findings_with_one_rule_compare_it_with_the_oracle_only():
    rules, _ = report.selection_rules(samples(20, 4, seed=1), [1, 4])  # answers, no score: majority vote only
    found = selection_findings(rules, 4)
    assert [(f.a, f.b) for f in found] == [("pass@n (oracle)", "majority vote")] and found[0].family_size == 1
    assert selection_findings({"oracle": rules["oracle"]}, 4) == []


def test_a_monte_carlo_rule_is_named_as_one_in_the_range_of_its_findings():
    table = samples(30, 20, score=True, seed=3)  # N = 20 > 16: the weighted vote is a Monte Carlo estimate
    rules, _ = report.selection_rules(table, [1, 10, 20], num_draws=50, seed=1)
    assert rules["weighted"].method == "monte_carlo" and rules["best_of_n"].method == "exact"
    found = {(f.a, f.b): f for f in selection_findings(rules, 10, num_draws=50)}
    se = rules["weighted"].accuracy_se[rules["weighted"].column(10)]
    assert se > 0  # at n < N the orders hold different subsets
    estimated = ("weighted best-of-N a Monte Carlo estimate over 50 random orders of each problem's samples "
                 f"(Monte Carlo standard error of its mean: {se:.2g})")
    assert found[("best-of-N", "weighted best-of-N")].range == f"n = 10; {estimated}"
    assert found[("pass@n (oracle)", "weighted best-of-N")].range == f"n = 10; {estimated}"
    assert found[("majority vote", "best-of-N")].range == "n = 10"  # both exact: nothing to name
    assert "Monte Carlo" in found[("majority vote", "weighted best-of-N")].sentence()
    assert "Monte Carlo" in selection_findings(rules, 20)[1].range  # without num_draws the rule is still named


def test_a_monte_carlo_rule_without_spread_says_so_rather_than_a_standard_error_of_0():
    table = samples(30, 20, score=True, seed=3)
    rules, _ = report.selection_rules(table, [1, 10, 20], num_draws=50, seed=1)
    assert rules["weighted"].accuracy_se[rules["weighted"].column(20)] == 0  # n = N: every order holds all samples
    found = {(f.a, f.b): f for f in selection_findings(rules, 20, num_draws=50)}
    assert found[("best-of-N", "weighted best-of-N")].range == (
        "n = 20; weighted best-of-N a Monte Carlo estimate over 50 random orders of each problem's samples, "
        "each of which gave every problem the same value")
