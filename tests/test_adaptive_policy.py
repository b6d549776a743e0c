"""Adaptive rules as strategies the policy chooses per difficulty bin, on held-out problems (issue 31), and
``RuleResult.take``, the cut a held-out split makes."""

import numpy as np
import pandas as pd
import pytest

from ttslib.adaptive import ESC, AdaptiveConsistency, DeepConfOffline, TwoStage, make_pool, replay
from ttslib.policy import Strategy, difficulty_bins, evaluate_policy, strategies_of
from ttslib.strategies import PoolArrays, adaptive_strategies, pool_strategies

TOKENS = 10  # every sample: cost in tokens is 10 x samples
CAP = 100.0  # tokens per problem on average: majority at n = 8 fits (80), at 16 not (160); ESC(2, 16) fits (about 91)
ESC2, ESC3, AC = ESC(window=2, max_samples=16), ESC(window=3, max_samples=16), AdaptiveConsistency(0.95, max_samples=16)


def two_kinds(per_kind=8, seed=0):
    """16 samples per problem, the correct answer is class 0, each row's samples in its own random order.

    Spread ("medium", pass@1 3/16): the correct answer 3 times, 13 wrong answers once each. No wrong answer can fill
    a window of 2, so ESC(2) stops only on two correct answers in a window or runs to 16: accuracy 1 at about 14.6
    samples, while majority at 8 is right about 0.55 of the time (the correct answer must come twice among 8).
    Split ("easy", pass@1 11/16): correct 11, one wrong answer 5. ESC(2) often stops on its first unanimous
    window, sometimes the wrong one: about 0.87 at 3.6 samples; majority at 8: about 0.92.
    Under CAP, ESC(2) is the best in the medium bin and majority at n = 8 in the easy bin; ESC(3) and
    Adaptive-Consistency at 0.95 would win the easy bin, but cost more than CAP over all problems.
    """
    rng = np.random.default_rng(seed)
    spread, split = [0] * 3 + list(range(1, 14)), [0] * 11 + [1] * 5
    rows = [rng.permutation(spread) for _ in range(per_kind)] + [rng.permutation(split) for _ in range(per_kind)]
    cls = np.array(rows)
    ids = np.array([f"s{p:02d}" for p in range(per_kind)] + [f"e{p:02d}" for p in range(per_kind)])
    order = np.argsort(ids, kind="stable")  # PoolArrays rows in problem-id order
    cls, ids = cls[order], ids[order]
    P, N = cls.shape
    return PoolArrays(ids, cls == 0, cls.astype(object), np.full((P, N), float(TOKENS)), np.full(P, 20.0),
                      np.full((P, N), 0.5))


def results(pa, pool=None):
    fixed = pool_strategies(pa, verifiers=[])  # the oracle and majority vote at n = 1, 2, 4, 8, 16
    return fixed.merge(adaptive_strategies(pool if pool is not None else pa, [ESC2, ESC3, AC], num_orders=400, seed=5))


def test_the_held_out_policy_picks_an_adaptive_rule_in_one_bin_and_fixed_majority_in_the_other():
    pa = two_kinds()
    table = results(pa).table("tokens")
    bins = difficulty_bins(pd.Series(pa.correct.mean(1), index=pa.problem_ids), "absolute")  # e*: 1 (easy), s*: 2 (medium)
    assert bins[bins == 1].index.str.startswith("e").all() and bins[bins == 2].index.str.startswith("s").all()
    ev = evaluate_policy(table, bins, max_costs=[CAP], folds=2, seed=0, n_boot=50)
    held = ev.choices[(ev.choices["fold"] >= 0) & (ev.choices["bin"] != "all")]
    assert len(held) == 4  # two folds x two bins, each chosen on the other fold's problems only
    for _, c in held.iterrows():
        want = (Strategy.adaptive(ESC2), 16) if c["bin"] == 2 else (Strategy("majority"), 8)
        assert (c["strategy"], c["n"]) == want
    # scored on the held-out problems: each gets its bin's choice, its own expected accuracy and cost
    acc = table.assign(strategy=strategies_of(table)).set_index(["problem_id", "strategy", "n"])
    for p, b in zip(ev.problem_ids, ev.bins):
        s, n = (Strategy.adaptive(ESC2), 16) if b == 2 else (Strategy("majority"), 8)
        i = list(ev.problem_ids).index(p)
        assert ev.held_out[i, 0] == acc.loc[(p, s, n), "accuracy"] and ev.held_out_cost[i, 0] == acc.loc[(p, s, n), "cost"]
    assert ev.held_out[:, 0].mean() > ev.single[:, 0].mean()  # one config for every bin (ESC(2) here) does worse


def test_shuffled_problems_and_rows_give_the_same_choice():
    pa = two_kinds()
    bins = difficulty_bins(pd.Series(pa.correct.mean(1), index=pa.problem_ids), "absolute")
    ev = evaluate_policy(results(pa).table("tokens"), bins, max_costs=[CAP], n_boot=50)
    flip = np.random.default_rng(1).permutation(pa.shape[0])
    pool = make_pool(pa.classes[flip], pa.correct[flip], pa.completion_tokens[flip], ids=pa.problem_ids[flip])
    table = results(pa, pool).table("tokens").sample(frac=1.0, random_state=2)
    again = evaluate_policy(table, bins.sample(frac=1.0, random_state=3), max_costs=[CAP], n_boot=50)
    pd.testing.assert_frame_equal(again.choices, ev.choices)
    np.testing.assert_array_equal(again.held_out, ev.held_out)


# ---- RuleResult.take ----------------------------------------------------------------------------------


def small_pool(P=6, N=8, seed=0):
    rng = np.random.default_rng(seed)
    cls = rng.integers(-1, 3, size=(P, N))
    return make_pool(cls, cls == 0, rng.integers(1, 20, size=(P, N)), confidence=rng.uniform(0.5, 3, size=(P, N)))


@pytest.mark.parametrize("rule", [ESC(window=2, max_samples=6), DeepConfOffline(50), DeepConfOffline(50, n=4)])
def test_a_result_cut_to_some_problems_is_the_replay_on_those_problems(rule):
    pool, rows = small_pool(), np.array([4, 1, 2])
    whole = replay(pool, [rule], num_orders=60, seed=2)[0]
    cut, alone = whole.take(rows), replay(pool.take(rows), [rule], num_orders=60, seed=2)[0]
    for field in ("accuracy", "samples", "tokens", "accuracy_se", "samples_se", "tokens_se", "mean_se"):
        np.testing.assert_allclose(getattr(cut, field), getattr(alone, field), rtol=1e-12, atol=0, err_msg=field)
    assert (cut.rule, cut.method, cut.num_orders) == (alone.rule, alone.method, alone.num_orders)
    mask = np.isin(np.arange(6), rows)
    np.testing.assert_array_equal(whole.take(mask).accuracy, whole.accuracy[np.sort(rows)])


def test_a_coupled_rule_keeps_what_the_global_budget_gave_each_problem_and_no_mean_error():
    pool = small_pool()
    whole = replay(pool, [TwoStage(explore=2, budget=4)], num_orders=60)[0]
    cut = whole.take([0, 3])
    np.testing.assert_array_equal(cut.samples, whole.samples[[0, 3]])
    assert np.isnan(cut.mean_se).all() and np.isfinite(whole.mean_se).all()
