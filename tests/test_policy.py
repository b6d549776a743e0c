"""ttslib.policy.choose: difficulty bins and the compute-optimal policy (the per-bin choice and its held-out
evaluation) against brute force, constructed cases and properties; the policy figures draw what it returns."""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pandas as pd
import pytest

import ttslib.policy.choose as policy_choose  # where evaluate_policy looks choose_policy up
from ttslib.policy import (
    SETTINGS,
    Strategy,
    VerifierSpec,
    bin_curves,
    choose_policy,
    difficulty_bins,
    efficiency_multiple,
    evaluate_policy,
    strategies_of,
    validate_results,
)


def rec(name: str) -> Strategy:
    """A strategy record told apart by a name (its verifier's), for tables built by hand; records of this
    form order as their names do."""
    return Strategy("best_of_n", VerifierSpec.recorded(name))


def table(acc, cost, strategies, budgets):
    """Results from arrays (P, C) over configs [(strategy, budget), ...] given as two lists (names for
    :func:`rec`), written column by column as the table's schema says; ``strategy`` is the test's own handle."""
    P, C = np.shape(acc)
    records = [rec(s) for s in strategies] * P
    df = pd.DataFrame({"problem_id": np.repeat([f"p{i:03d}" for i in range(P)], C)})
    for col in SETTINGS:
        df[col] = pd.Series([getattr(r, col) for r in records], dtype=object)
    df["n"], df["accuracy"], df["cost"] = np.tile(budgets, P), np.ravel(acc), np.ravel(cost)
    df["strategy"] = pd.Series(records, dtype=object)
    return df


def easy_hard(P=400, seed=0, noise=True):
    """A wins on easy problems, B on hard ones, at every budget (cost = budget, both strategies); each
    problem's accuracy is a 0/1 draw around its mean (``noise``) or the mean itself."""
    rng = np.random.default_rng(seed)
    hard = np.arange(P) % 2 == 1
    budgets = np.array([1, 2, 4, 8])
    gain = np.log2(budgets) / 20  # (K,) both improve with budget
    mean_a = np.where(hard[:, None], 0.1, 0.8) + gain  # (P, K)
    mean_b = np.where(hard[:, None], 0.45, 0.5) + gain
    acc = np.concatenate([mean_a, mean_b], axis=1)  # (P, 2K)
    acc = rng.binomial(1, acc).astype(float) if noise else acc
    cost = np.tile(np.concatenate([budgets, budgets]), (P, 1)).astype(float)
    df = table(acc, cost, ["A"] * 4 + ["B"] * 4, np.concatenate([budgets, budgets]))
    bins = pd.Series(np.where(hard, "hard", "easy"), index=[f"p{i:03d}" for i in range(P)])
    return df, bins


# ---- the results table ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d.drop(columns="cost"), "missing column"),
        (lambda d: d.assign(accuracy=d["accuracy"].where(d.index != 3)), "NaN"),
        (lambda d: d.assign(accuracy=d["accuracy"].where(d.index != 3, 1.5)), "accuracy"),
        (lambda d: d.assign(cost=d["cost"].where(d.index != 0, -1.0)), "cost"),
        (lambda d: pd.concat([d, d.iloc[:1]]), "duplicate"),
        (lambda d: d.drop(index=5), "has 39 of the 40 problems"),  # a config lacking one problem
        (lambda d: d.assign(level=np.arange(len(d))), "one value per problem"),
    ],
)
def test_bad_results_are_refused(edit, message):
    df, _ = easy_hard(P=40)
    with pytest.raises(ValueError, match=message):
        validate_results(edit(df))


def test_a_strategy_missing_at_a_budget_is_no_candidate_there():
    """Documented fallback: configs compete by cost, so B without budget 2 still competes at its others."""
    df, bins = easy_hard(P=40, noise=False)
    df = df[~((df["strategy"] == rec("B")) & (df["n"] == 2))]
    pick = choose_policy(df, bins, 2.0).set_index("bin")
    assert pick.loc["easy", "strategy"] == rec("A") and pick.loc["easy", "n"] == 2
    assert pick.loc["hard", "strategy"] == rec("B") and pick.loc["hard", "n"] == 1  # B at 2 does not exist


# ---- choose_policy ---------------------------------------------------------------------------------


def brute_choose(df, bins, budget):
    """Plain-Python reference: every config, its mean cost, its per-bin means, the documented order."""
    out = {}
    configs = sorted({(s, b) for s, b in zip(df["strategy"], df["n"])})
    fits = [k for k in configs if df[(df.strategy == k[0]) & (df["n"] == k[1])]["cost"].mean() <= budget * (1 + 1e-9)]
    for label in sorted(set(bins)):
        ids = set(bins.index[bins == label])
        stats = []
        for s, b in fits:
            rows = df[(df.strategy == s) & (df["n"] == b) & df.problem_id.isin(ids)]
            stats.append((rows["accuracy"].mean(), rows["cost"].mean(), s, b))
        best = max(a for a, *_ in stats)
        tied = [x for x in stats if x[0] >= best - 1e-12]
        cheapest = min(c for _, c, *_ in tied)
        out[label] = min((s, b) for a, c, s, b in tied if c <= cheapest * (1 + 1e-9))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_choose_policy_matches_brute_force_with_ties(seed):
    rng = np.random.default_rng(seed)
    P, strategies, budgets = 12, ["b", "a", "c"], [1, 2, 4]
    configs = list(itertools.product(strategies, budgets))
    acc = rng.choice([0.0, 0.5, 1.0], size=(P, len(configs)))  # few values: ties between configs are common
    cost = np.tile([b * rng.choice([1.0, 2.0]) for _, b in configs], (P, 1))
    df = table(acc, cost, [s for s, _ in configs], [b for _, b in configs])
    bins = pd.Series(rng.integers(1, 4, P), index=[f"p{i:03d}" for i in range(P)])
    for budget in (2.0, 4.0, 8.0):
        got = choose_policy(df, bins, budget)
        assert {r.bin: (r.strategy, r.n) for r in got.itertuples()} == brute_choose(df, bins, budget)
        assert (got["max_cost"] == budget).all()


def test_choose_policy_tie_breaks_by_cost_then_the_records_order():
    acc = np.full((4, 3), 0.5)
    df = table(acc, np.tile([2.0, 1.0, 1.0], (4, 1)), ["a", "c", "b"], [1, 1, 1])
    pick = choose_policy(df, pd.Series(1, index=df["problem_id"].unique()), 5.0)
    assert pick.loc[0, "strategy"] == rec("b")  # a costs more; b and c cost the same: b by the records' fields


def test_choose_policy_refuses_a_budget_nothing_fits_and_a_problem_without_bin():
    df, bins = easy_hard(P=20)
    with pytest.raises(ValueError, match="compute cap 0.5 fits no strategy"):
        choose_policy(df, bins, 0.5)
    with pytest.raises(ValueError, match="no bin for 1 problem"):
        choose_policy(df, bins.iloc[1:], 8.0)


# ---- evaluate_policy --------------------------------------------------------------------------------


def test_policy_finds_a_on_easy_and_b_on_hard_and_beats_every_single_strategy():
    df, bins = easy_hard()
    ev = evaluate_policy(df, bins, reference=rec("A"), folds=2, n_boot=200)
    held = ev.choices[(ev.choices["fold"] >= 0) & (ev.choices["bin"] != "all")]
    assert (held.loc[held["bin"] == "easy", "strategy"] == rec("A")).all()
    assert (held.loc[held["bin"] == "hard", "strategy"] == rec("B")).all()
    for k, b in enumerate(ev.max_costs if ev.ns is None else ev.ns):
        for s in (rec("A"), rec("B")):
            single = df[(df.strategy == s) & (df["n"] == b)]["accuracy"]
            se = np.sqrt(single.var() / len(single) + ev.held_out[:, k].var() / len(single))
            assert ev.held_out[:, k].mean() >= single.mean() - 2 * se
        diff = ev.held_out[:, k] - ev.single[:, k]  # by construction 0.625 - 0.475 = 0.15 in expectation
        assert 0 < diff.mean() and abs(diff.mean() - 0.15) < 3 * diff.std() / np.sqrt(diff.size)


def test_no_test_fold_problem_reaches_choose_policy(monkeypatch):
    df, bins = easy_hard(P=60)
    seen = []
    real = policy_choose.choose_policy

    def recording(results, b, max_cost):
        seen.append((set(results["problem_id"]), set(b.index.astype(str))))
        return real(results, b, max_cost)

    monkeypatch.setattr(policy_choose, "choose_policy", recording)
    ev = evaluate_policy(df, bins, reference=rec("A"), folds=3, n_boot=10)
    all_ids = set(ev.problem_ids)
    by_fold = [set(ev.problem_ids[ev.fold == f]) for f in range(3)]
    train_calls = [(r, b) for r, b in seen if r != all_ids]
    assert len(train_calls) == 3 * 2 * ev.max_costs.size  # policy and single, per fold and budget
    for r, b in train_calls:
        assert r == b, "results and bins must show choose_policy the same problems"
        held = [f for f in range(3) if r == all_ids - by_fold[f]]
        assert len(held) == 1 and not (r | b) & by_fold[held[0]]
    assert all(r == all_ids for r, _ in seen if r not in [t for t, _ in train_calls])


def test_held_out_and_optimistic_match_brute_force():
    rng = np.random.default_rng(3)
    P, names = 30, [("x", 1), ("x", 2), ("y", 1), ("y", 2)]
    configs = [(rec(s), b) for s, b in names]
    acc = rng.random((P, 4))
    cost = np.tile([1.0, 2.0, 1.0, 2.0], (P, 1))
    df = table(acc, cost, [s for s, _ in names], [b for _, b in names])
    bins = pd.Series(rng.integers(1, 3, P), index=[f"p{i:03d}" for i in range(P)])
    bins.iloc[:4] = [1, 1, 2, 2]  # both bins have >= 2 problems
    ev = evaluate_policy(df, bins, max_costs=[1.0, 2.0], folds=2, n_boot=50)
    for k, budget in enumerate([1.0, 2.0]):
        opt = brute_choose(df, bins, budget)
        want = [acc[i, configs.index(opt[bins.iloc[i]])] for i in range(P)]
        np.testing.assert_allclose(ev.optimistic[:, k], want)
        for f in (0, 1):
            train = ev.problem_ids[ev.fold != f]
            chosen = brute_choose(df[df.problem_id.isin(train)], bins.loc[train], budget)
            for i in np.flatnonzero(ev.fold == f):
                assert ev.held_out[i, k] == acc[i, configs.index(chosen[bins.iloc[i]])]
    summary = ev.summary.set_index(["kind", "max_cost"])
    assert np.all(summary["lower"] <= summary["accuracy"]) and np.all(summary["accuracy"] <= summary["upper"])


def test_evaluate_policy_refuses_too_few_problems_per_bin():
    df, bins = easy_hard(P=40)
    bins = bins.copy()
    bins.iloc[0] = "rare"  # one problem: with 2 folds one fold has none
    with pytest.raises(ValueError, match="bin 'rare' has 1 problem"):
        evaluate_policy(df, bins, reference=rec("A"), folds=2)
    with pytest.raises(ValueError, match="fewer than folds = 30"):  # fewer problems than bins x folds
        evaluate_policy(df, bins.where(bins != "rare", "easy"), reference=rec("A"), folds=30)
    with pytest.raises(ValueError, match="reference best_of_n/Z is not a strategy"):
        evaluate_policy(df, bins.where(bins != "rare", "easy"), reference=rec("Z"))
    with pytest.raises(TypeError, match="reference must be a Strategy"):
        evaluate_policy(df, bins.where(bins != "rare", "easy"), reference="best_of_n/A")


# ---- bins -------------------------------------------------------------------------------------------


def test_quantile_bins_equal_counts_order_and_ties():
    values = pd.Series(np.random.default_rng(0).permutation(100) / 100, index=[f"q{i}" for i in range(100)])
    b = difficulty_bins(values)
    assert b.value_counts().sort_index().tolist() == [20] * 5
    assert (b[values.sort_values().index].diff().dropna() <= 0).all()  # higher value, easier (lower) bin
    assert b[values.idxmax()] == 1 and b[values.idxmin()] == 5
    assert difficulty_bins(pd.Series([0, 0, 1, 1, 2, 2]), num_bins=3).tolist() == [3, 3, 2, 2, 1, 1]
    tied = difficulty_bins(pd.Series([0, 0, 0, 0, 0.5, 1.0]), num_bins=3)
    assert tied.tolist() == [3, 3, 3, 3, 1, 1]  # equal values share a bin: 0.5 ranks 5th of 6, in the top third
    with pytest.raises(ValueError, match="num_bins"):
        difficulty_bins(pd.Series([0.1, 0.2]), num_bins=3)
    with pytest.raises(ValueError, match="missing"):
        difficulty_bins(pd.Series([0.1, np.nan]))


def test_absolute_and_given_bins():
    b = difficulty_bins(pd.Series([0.0, 0.099, 0.1, 0.499, 0.5, 1.0]), "absolute")
    assert b.tolist() == [3, 3, 2, 2, 1, 1]  # Liu et al.: hard < 0.1 <= medium < 0.5 <= easy
    assert difficulty_bins(pd.Series(["L1", "L2"]), "given").tolist() == ["L1", "L2"]
    with pytest.raises(ValueError, match="method"):
        difficulty_bins(pd.Series([0.5]), "tertile")


def test_perfect_verifier_gives_the_oracle_bins_and_a_noisy_one_does_not():
    rng = np.random.default_rng(1)
    correct = rng.random((200, 64)) < rng.beta(0.7, 0.7, size=(200, 1))
    oracle = difficulty_bins(pd.Series(correct.mean(1)))
    perfect = np.where(correct, 0.9, 0.2)  # separates right from wrong exactly (AUC 1)
    assert difficulty_bins(pd.Series(perfect.mean(1))).equals(oracle)
    noisy = np.clip(perfect + rng.normal(0, 0.6, correct.shape), 0, 1)
    assert not difficulty_bins(pd.Series(noisy.mean(1))).equals(oracle)


def test_bin_curves_are_the_means_per_bin():
    df, bins = easy_hard(P=40)
    curves = bin_curves(df, bins).set_index(["bin", "strategy", "n"])
    hard = df[df.problem_id.isin(bins.index[bins == "hard"]) & (df.strategy == rec("B")) & (df["n"] == 4)]
    assert curves.loc[("hard", rec("B"), 4), "accuracy"] == pytest.approx(hard["accuracy"].mean())
    assert curves.loc[("hard", rec("B"), 4), "num_problems"] == 20
    # the band: the percentile interval of explicit resamples of the bin's problems (in problem-id order)
    from ttslib.checks import bootstrap_weights, percentile_band

    per = hard.sort_values("problem_id", kind="stable")["accuracy"].to_numpy()
    boot = bootstrap_weights(per.size, 1000, 0) @ per / per.size
    band = percentile_band(boot, 0.95)
    assert (curves.loc[("hard", rec("B"), 4), "lower"], curves.loc[("hard", rec("B"), 4), "upper"]) == pytest.approx((band.lower, band.upper))
    assert (curves["lower"] >= 0).all() and (curves["upper"] <= 1).all() and (curves["lower"] <= curves["accuracy"]).all()
    shuffled = bin_curves(df.sample(frac=1.0, random_state=3), bins).set_index(["bin", "strategy", "n"])
    pd.testing.assert_frame_equal(shuffled, curves)


# ---- figures: they draw what they are given -------------------------------------------------------


def test_plots_draw_what_they_are_given():
    import matplotlib.pyplot as plt

    from ttslib.plotting.policy import KIND_STYLE, plot_bin_curves, plot_efficiency, plot_policy_evaluation, plot_policy_map, strategy_palette

    df, bins = easy_hard(P=40)
    ev = evaluate_policy(df, bins, reference=rec("A"), n_boot=20)
    palette = strategy_palette(strategies_of(df))
    ax = plot_bin_curves(bin_curves(df, bins).query("bin == 'hard'"), palette=palette)
    assert [line.get_label() for line in ax.get_lines()] == ["best-of-N (A)", "best-of-N (B)"]
    choices = ev.choices[(ev.choices["fold"] == -1) & (ev.choices["bin"] != "all")]
    ax = plot_policy_map(choices, palette=palette)
    assert sorted(t.get_text() for t in ax.texts) == sorted(f"{b:g}" for b in choices["n"])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["easy", "hard"]
    ax = plot_policy_evaluation(ev.summary)
    drawn = {line.get_label(): (list(line.get_xdata()), list(line.get_ydata())) for line in ax.get_lines()}
    for kind in ("optimistic", "held_out", "single"):  # each kind's line goes through its summary rows, in order of n
        rows = ev.summary[ev.summary["kind"] == kind].sort_values("n")
        xs, ys = drawn[KIND_STYLE[kind][0]]
        assert xs == pytest.approx(rows["n"].tolist()) and ys == pytest.approx(rows["accuracy"].tolist())
    eff = efficiency_multiple([[0.25, 0.5]], [[2.0, 2.0]], [[0.0, 0.4]], [[1.0, 16.0]], n_boot=10).assign(n=[1, 2])
    ax = plot_efficiency({"vs A": eff})
    marked = [line for line in ax.get_lines() if line.get_label() == "vs A: not reached: more than"]
    assert len(marked) == 1 and len(marked[0].get_xdata()) == 1 and marked[0].get_ydata()[0] == pytest.approx(eff["bound"].dropna().iloc[0])
    plt.close("all")
