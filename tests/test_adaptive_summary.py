"""ttslib.adaptive.summary and ttslib.strategies.adaptive_pool: the savings against explicit resamples and a
hand-worked curve, bins against a replay of each bin, a sample table with token confidence against
confidence_lows of the same traces, row order, bad input; the adaptive figures draw what they are given."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from ttslib.adaptive import (ESC, AdaptiveConsistency, DeepConfOnline, FixedMajority, OracleBound, confidence_lows,  # noqa: E402
                             make_pool, replay)
from ttslib.adaptive.pool import exact  # noqa: E402
from ttslib.adaptive.summary import by_bin, equal_accuracy_budget, results_table, rule_settings, saving  # noqa: E402
from ttslib.checks import bootstrap_weights  # noqa: E402
from ttslib.plotting.adaptive import plot_adaptive, plot_adaptive_bins  # noqa: E402
from ttslib.strategies import adaptive_pool  # noqa: E402


def test_saving_is_one_minus_the_ratio_of_means_on_explicit_resamples_in_id_order():
    rng = np.random.default_rng(0)
    ids = np.array([f"p{i:02d}" for i in rng.permutation(30)])
    spent, fixed = rng.uniform(1, 10, 30), rng.uniform(10, 20, 30)
    s = saving(spent, fixed, ids=ids, n_boot=200, seed=3)
    assert s.saving == pytest.approx(1 - spent.sum() / fixed.sum(), abs=1e-12)
    order = np.argsort(ids, kind="stable")  # resamples are counts over the problems in id order
    w = bootstrap_weights(30, 200, 3)
    ratios = [1 - (wi * spent[order]).sum() / (wi * fixed[order]).sum() for wi in w]
    assert (s.lower, s.upper) == pytest.approx(tuple(np.quantile(ratios, [0.025, 0.975])), abs=1e-12)
    shuffled = rng.permutation(30)
    assert saving(spent[shuffled], fixed[shuffled], ids=ids[shuffled], n_boot=200, seed=3) == s


def _fixed(accuracy_by_n, P=4):
    """Exact results of FixedMajority(n) whose per-problem accuracies all equal the given mean."""
    return [exact(FixedMajority(n), np.full(P, a), np.full(P, float(n)), np.full(P, 3.0 * n)) for n, a in accuracy_by_n.items()]


def test_equal_accuracy_budget_interpolates_on_log2_n_between_the_bracketing_budgets():
    fixed = _fixed({1: 0.2, 2: 0.4, 4: 0.5, 8: 0.6})
    rule = exact(ESC(2), np.full(4, 0.45), np.full(4, 2.5), np.full(4, 7.5))
    e = equal_accuracy_budget(rule, fixed, ids=["a", "b", "c", "d"], n_boot=50)
    assert e.budget == pytest.approx(2 ** 1.5)  # halfway from 0.4 (n = 2) to 0.5 (n = 4) on log2 n
    assert e.saving == pytest.approx(1 - 2.5 / 2 ** 1.5)
    tokens = equal_accuracy_budget(rule, fixed, ids=["a", "b", "c", "d"], unit="tokens", n_boot=50)
    n_star = 2 ** 1.5  # its tokens: linear in n between 2 samples (6 tokens) and 4 (12 tokens), i.e. 3 per sample
    assert tokens.fixed_cost == pytest.approx(3 * n_star) and tokens.saving == pytest.approx(1 - 7.5 / (3 * n_star))
    above = exact(ESC(2), np.full(4, 0.7), np.full(4, 2.5), np.full(4, 7.5))
    out = equal_accuracy_budget(above, fixed, ids=["a", "b", "c", "d"], n_boot=50)
    assert np.isnan(out.budget) and np.isnan(out.lower) and out.outside == 50
    with pytest.raises(ValueError, match="FixedMajority"):
        equal_accuracy_budget(rule, fixed[:1], ids=["a", "b", "c", "d"])
    with pytest.raises(ValueError, match="same 4 problems"):
        equal_accuracy_budget(rule, fixed, ids=["a", "b"])


def _pool(seed=0, P=12, N=10):
    rng = np.random.default_rng(seed)
    cls = rng.integers(-1, 3, size=(P, N))
    correct = (cls == 0)
    tok = rng.integers(2, 9, size=(P, N))
    traces = [[rng.uniform(0.5, 3.0, size=tok[p, i]).round(2) for i in range(N)] for p in range(P)]
    lows, at = confidence_lows(traces, 2)
    return make_pool(cls, correct, tok, lows=lows, lows_at=at, ids=[f"q{p:02d}" for p in range(P)]), traces


def test_by_bin_equals_the_replay_of_each_bin_alone():
    pool, _ = _pool()
    rules = [ESC(2, 6), AdaptiveConsistency(0.8), OracleBound()]
    results = replay(pool, rules, num_orders=50, seed=1)
    bins = np.array([1, 2, 3] * 4)
    table = by_bin(results, bins, pool="tiny")
    for b in (1, 2, 3):
        alone = replay(pool.take(bins == b), rules, num_orders=50, seed=1)
        got = table[table["bin"] == b].sort_values("rule", kind="stable")
        want = results_table(alone).sort_values("rule", kind="stable")
        assert np.allclose(got[["accuracy", "samples", "tokens", "samples_se"]].to_numpy(dtype=float),
                           want[["accuracy", "samples", "tokens", "samples_se"]].to_numpy(dtype=float))
    assert set(table["pool"]) == {"tiny"} and table["problems"].sum() == 3 * 12


def test_results_table_and_settings_labels():
    pool, _ = _pool()
    results = replay(pool, [ESC(3, 6), DeepConfOnline(10, 4, 0.9), FixedMajority(4)], num_orders=20)
    table = results_table(results, pool="x")
    assert table["settings"].tolist() == ["w = 3, cap 6", "eta = 10, warm-up 4, consensus = 0.9", "n = 4"]
    assert table["rule"].tolist() == ["ESC", "DeepConf online", "majority vote, fixed n"]
    assert table.loc[2, "method"] == "exact" and table.loc[0, "accuracy"] == pytest.approx(results[0].accuracy.mean())
    assert rule_settings(AdaptiveConsistency(0.95, 40)) == "P = 0.95, cap 40"


def _table(pool, traces, shuffle_seed=None):
    P, N = pool.shape
    rows = [{"problem_id": pool.ids[p], "sample_idx": i, "answer": None if pool.classes[p, i] < 0 else str(pool.classes[p, i]),
             "is_correct": bool(pool.correct[p, i]), "num_completion_tokens": int(pool.tokens[p, i]), "num_prompt_tokens": 5, "logprob": -1.0,
             "token_confidence": traces[p][i]} for p in range(P) for i in range(N)]
    df = pd.DataFrame(rows)
    return df if shuffle_seed is None else df.sample(frac=1.0, random_state=shuffle_seed).reset_index(drop=True)


def test_adaptive_pool_reads_token_confidence_as_confidence_lows_does_in_any_row_order():
    pool, traces = _pool()
    for seed in (None, 4):
        got = adaptive_pool(_table(pool, traces, seed), window=2)
        assert list(got.ids) == list(pool.ids)
        assert np.array_equal(got.correct, pool.correct) and np.array_equal(got.tokens, pool.tokens)
        assert np.array_equal(got.lows, pool.lows, equal_nan=True) and np.array_equal(got.lows_at, pool.lows_at)
        assert np.array_equal(got.classes >= 0, pool.classes >= 0)
    a = replay(adaptive_pool(_table(pool, traces, 7), window=2), [DeepConfOnline(10, 4, 0.9)], num_orders=30)[0]
    b = replay(pool, [DeepConfOnline(10, 4, 0.9)], num_orders=30)[0]
    assert np.array_equal(a.tokens, b.tokens) and np.array_equal(a.accuracy, b.accuracy)


def test_adaptive_pool_bad_input_names_what_is_wrong():
    pool, traces = _pool()
    df = _table(pool, traces)
    with pytest.raises(ValueError, match="window"):
        adaptive_pool(df)
    partly = df.assign(token_confidence=[None if i == 3 else t for i, t in enumerate(df["token_confidence"])])
    with pytest.raises(ValueError, match="absent or empty in 1 of"):
        adaptive_pool(partly, window=2)
    short = df.assign(token_confidence=[t[:-1] if i == 5 else t for i, t in enumerate(df["token_confidence"])])
    with pytest.raises(ValueError, match="one value per completion token"):
        adaptive_pool(short, window=2)
    plain = adaptive_pool(df.drop(columns="token_confidence"))
    assert plain.confidence is None and plain.lows is None


def test_adaptive_figures_draw_the_points_they_are_given():
    pool, _ = _pool()
    results = replay(pool, [FixedMajority(1), FixedMajority(4), ESC(2, 6), OracleBound()], num_orders=20)
    table = results_table(results)
    ax = plot_adaptive(table, x="samples")
    line = ax.get_lines()[0]
    assert np.allclose(line.get_xdata(), [1, 4]) and np.allclose(line.get_ydata(), table["accuracy"][:2])
    drawn = {(round(float(x), 9), round(float(y), 9)) for ln in ax.get_lines() for x, y in zip(ln.get_xdata(), ln.get_ydata())}
    assert (round(table.loc[2, "samples"], 9), round(table.loc[2, "accuracy"], 9)) in drawn
    bins = by_bin(results[2:], np.array([1, 2] * 6))
    ax = plot_adaptive_bins(bins)
    ys = sorted(np.round(np.concatenate([np.asarray(ln.get_ydata(), dtype=float) for ln in ax.get_lines()
                                         if len(ln.get_ydata()) == 2]), 9))
    assert ys == sorted(np.round(bins["samples"].to_numpy(), 9))
    with pytest.raises(ValueError, match="x must"):
        plot_adaptive(table, x="flops")
