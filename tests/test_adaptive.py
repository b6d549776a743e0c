"""ttslib.adaptive against brute force: every rule on every order of tiny pools, written as a plain loop
(``ttslib.adaptive.reference``); the Monte Carlo replay within its standard errors; the
Adaptive-Consistency criterion against numerical integration; DeepConf's confidence against a direct
loop; row order; bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.integrate import quad

from ttslib.adaptive import (ESC, AdaptiveConsistency, DeepConfOffline, DeepConfOnline, FixedMajority, OracleBound,
                             ShortestMajority, TwoStage, ac_stop_probability, confidence_lows, esc, group_confidence,
                             lowest_group_confidence, make_pool, replay, token_confidence)
from ttslib.adaptive import reference as ref
from ttslib.adaptive.allocation import top_count
from ttslib.adaptive.orders import prefixes
from ttslib.adaptive.replay import Block

WINDOW = 3  # tokens per group in the tiny pools


def tiny_pool(seed=0, P=4, N=6, K=3):
    """P problems x N samples, K answers, some missing, ties likely; traces of 2..12 tokens."""
    rng = np.random.default_rng(seed)
    cls = rng.integers(-1, K, size=(P, N))
    cls[0] = [0, 0, 1, 1, 2, -1][:N]  # a tie at the top of the pool
    good = rng.random((P, K)) < 0.4
    correct = np.where(cls >= 0, good[np.arange(P)[:, None], np.maximum(cls, 0)], False)
    tok = rng.integers(2, 13, size=(P, N))
    traces = [[rng.uniform(0.5, 3.0, size=tok[p, i]).round(2) for i in range(N)] for p in range(P)]
    lows, at = confidence_lows(traces, WINDOW)
    return make_pool(cls, correct, tok, lows=lows, lows_at=at)


RULES = [ESC(window=2, max_samples=5), ESC(window=3), AdaptiveConsistency(threshold=0.7, max_samples=5),
         AdaptiveConsistency(threshold=0.9), ShortestMajority(n=3), FixedMajority(n=3), OracleBound(),
         DeepConfOffline(eta=50), DeepConfOffline(eta=90, n=4), DeepConfOnline(eta=50, warmup=2, consensus=0.7),
         DeepConfOnline(eta=10, warmup=3, consensus=None, max_samples=5)]


def reference_values(rule, pool, p, order):
    """(share, samples, tokens) of ``rule`` on problem p along ``order`` (a list), by the plain loop."""
    cls, good, tok = pool.classes[p].tolist(), pool.good[p].tolist(), pool.tokens[p].tolist()
    N = len(cls)
    conf = pool.confidence[p].tolist()
    lows = [[v for v in row if v == v] for row in pool.lows[p].tolist()]
    at = pool.lows_at[p].tolist()
    if isinstance(rule, ESC):
        return ref.esc(cls, good, tok, order, rule.window, rule.max_samples or N)
    if isinstance(rule, AdaptiveConsistency):
        return ref.adaptive_consistency(cls, good, tok, order, rule.threshold, rule.max_samples or N)
    if isinstance(rule, ShortestMajority):
        return ref.shortest_majority(cls, good, tok, order, rule.n)
    if isinstance(rule, FixedMajority):
        return ref.fixed_majority(cls, good, tok, order, rule.n)
    if isinstance(rule, OracleBound):
        return ref.oracle_bound(cls, good, tok, order)
    if isinstance(rule, DeepConfOffline):
        return ref.deepconf_offline(cls, good, tok, conf, order, rule.eta, rule.n or N)
    return ref.deepconf_online(cls, good, tok, conf, lows, at, order, rule.eta, rule.warmup, rule.consensus,
                               rule.max_samples or N)


def brute_force(rule, pool):
    """(3, P) the mean over all N! orders of each problem, by the plain loop."""
    P, N = pool.shape
    out = np.zeros((3, P))
    orders = list(itertools.permutations(range(N)))
    for p in range(P):
        out[:, p] = np.mean([reference_values(rule, pool, p, list(o)) for o in orders], axis=0)
    return out


def all_orders_block(pool):
    P, N = pool.shape
    every = np.array(list(itertools.permutations(range(N))), dtype=np.int16)  # (N!, N)
    order = np.broadcast_to(every, (P,) + every.shape).copy()
    return Block(pool, prefixes(pool.classes, pool.good, pool.tokens, order), {})


@pytest.mark.parametrize("rule", RULES, ids=str)
def test_every_rule_on_every_order_equals_the_plain_loop(rule):
    pool = tiny_pool()
    want = brute_force(rule, pool)
    if rule.kind == "exact":
        got = np.array(rule.exact(pool))
    else:  # the vectorised rule on the N! orders themselves: the same mean, to rounding
        got = np.array([v.mean(1) for v in rule.values(all_orders_block(pool))])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", [1, 2])
def test_monte_carlo_replay_within_its_standard_errors(seed):
    pool = tiny_pool(seed)
    results = replay(pool, RULES, num_orders=3000, seed=seed)
    for rule, res in zip(RULES, results):
        want = brute_force(rule, pool)
        got = np.array([res.accuracy, res.samples, res.tokens])
        se = np.array([res.accuracy_se, res.samples_se, res.tokens_se])
        assert np.all(np.abs(got - want) <= 4.5 * se + 1e-9), (rule, got - want, se)
        assert (res.method == "exact") == (rule.kind == "exact")


def test_two_stage_over_every_joint_order():
    """The global budget couples problems: brute force over every triple of orders of three problems."""
    pool = tiny_pool(3, P=3, N=4)
    rule = TwoStage(explore=2, budget=3)
    P, N = pool.shape
    every = list(itertools.permutations(range(N)))
    joint = np.array(list(itertools.product(every, repeat=P)))  # (R, P, N) every joint order
    order = np.ascontiguousarray(joint.transpose(1, 0, 2)).astype(np.int16)  # (P, R, N)
    keys = pool.keys(0)
    seq = np.take_along_axis(pool.classes[:, None, :], order.astype(np.int64), 2)
    plan = rule.plan(top_count(seq[..., :2]), N, keys)
    got = [v.mean(1) for v in rule.values(Block(pool, prefixes(pool.classes, pool.good, pool.tokens, order), {rule: plan}))]
    want = np.zeros((3, P))
    for r in range(order.shape[1]):
        tops = [max(ref._counts(pool.classes[p].tolist(), order[p, r, :2].tolist()).values(), default=0) for p in range(P)]
        sizes = ref.two_stage_sizes(tops, 2, 3, N, keys)
        for p in range(P):
            want[:, p] += ref.fixed_majority(pool.classes[p].tolist(), pool.good[p].tolist(), pool.tokens[p].tolist(),
                                             order[p, r].tolist(), sizes[p])
    np.testing.assert_allclose(got, want / order.shape[1], rtol=1e-12)
    res = replay(pool, [rule], num_orders=4000)[0]
    assert np.all(np.abs(res.accuracy - want[0] / order.shape[1]) <= 4.5 * res.accuracy_se + 1e-9)
    assert res.mean[1] == pytest.approx(3)  # the global budget is spent exactly
    assert len({tuple(ref.two_stage_sizes(t, 2, 3, N, keys)) for t in itertools.product([0, 1, 2], repeat=P)}) > 3


@pytest.mark.parametrize("a, b", [(0, 0), (1, 0), (3, 1), (4, 0), (7, 5), (12, 3), (30, 29)])
def test_adaptive_consistency_criterion_against_quad(a, b):
    f = lambda x: x**a * (1 - x) ** b  # noqa: E731
    want = quad(f, 0.5, 1, epsabs=0, epsrel=1e-13)[0] / quad(f, 0, 1, epsabs=0, epsrel=1e-13)[0]
    assert ac_stop_probability(a, b) == pytest.approx(want, rel=1e-9)


def test_deepconf_confidence_against_a_direct_loop():
    rng = np.random.default_rng(5)
    top = -np.sort(rng.exponential(2.0, size=(50, 20)), axis=1)[:, ::-1] * -1  # (T, k) log-probabilities <= 0
    top = -np.abs(top)
    loop = np.array([-sum(row[:5]) / 5 for row in top.tolist()])
    np.testing.assert_allclose(token_confidence(top, k=5), loop, rtol=1e-12)
    c = token_confidence(top)
    w = 7
    groups = [sum(c[t - w: t]) / w for t in range(w, len(c) + 1)]
    np.testing.assert_allclose(group_confidence(c, w), groups, rtol=1e-12)
    assert lowest_group_confidence(c, w) == pytest.approx(min(groups), rel=1e-12)
    assert lowest_group_confidence(c[:4], w) == pytest.approx(c[:4].mean(), rel=1e-12)  # shorter than a window
    lows, at = confidence_lows([[c]], w)
    want, low = [], np.inf
    for t, g in enumerate(groups, start=w):  # record lows of the running minimum, and where they fall
        if g < low:
            low = g
            want.append((g, t))
    got = [(v, t) for v, t in zip(lows[0, 0], at[0, 0]) if v == v]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_shuffled_rows_give_identical_results():
    pool = tiny_pool(4, P=6)
    rules = RULES + [TwoStage(explore=2, budget=3.5)]
    base = replay(pool, rules, num_orders=200, seed=7)
    for s in (1, 2):
        perm = np.random.default_rng(s).permutation(pool.shape[0])
        shuffled = make_pool(pool.classes[perm], pool.correct[perm], pool.tokens[perm], lows=pool.lows[perm],
                             lows_at=pool.lows_at[perm])
        for a, b in zip(base, replay(shuffled, rules, num_orders=200, seed=7)):
            for field in ("accuracy", "samples", "tokens", "accuracy_se", "samples_se", "tokens_se"):
                assert np.array_equal(getattr(a, field)[perm], getattr(b, field)), (a.rule, field)
            assert np.array_equal(a.mean, b.mean) and np.array_equal(a.mean_se, b.mean_se)


def test_bad_input_names_the_argument():
    pool = tiny_pool()
    P, N = pool.shape
    conf = pool.confidence.copy()
    conf[1, 2] = np.nan
    with pytest.raises(ValueError, match="confidence"):
        make_pool(pool.classes, pool.correct, pool.tokens, confidence=conf)
    with pytest.raises(ValueError, match="window"):
        esc(pool, window=N + 1)
    with pytest.raises(ValueError, match="threshold"):
        AdaptiveConsistency(threshold=1.0)
    with pytest.raises(ValueError, match="eta"):
        DeepConfOffline(eta=100)
    with pytest.raises(ValueError, match="consensus"):
        DeepConfOnline(consensus=1.5)
    with pytest.raises(ValueError, match="warmup"):
        replay(pool, [DeepConfOnline(warmup=16)])
    with pytest.raises(ValueError, match="max_samples"):
        replay(pool, [AdaptiveConsistency(max_samples=40)])
    with pytest.raises(ValueError, match="n must"):
        replay(pool, [ShortestMajority(n=N + 1)])
    with pytest.raises(ValueError, match="budget"):
        replay(pool, [TwoStage(explore=2, budget=N + 1)])
    with pytest.raises(ValueError, match="num_orders"):
        replay(pool, [ESC(window=2)], num_orders=1)
    with pytest.raises(ValueError, match="k must"):
        token_confidence(np.full((3, 5), -1.0), k=6)
    with pytest.raises(ValueError, match="tokens"):
        make_pool(pool.classes, pool.correct, np.where(pool.classes >= 0, 0, 1))
    with pytest.raises(ValueError, match="confidence"):
        replay(make_pool(pool.classes, pool.correct, pool.tokens), [DeepConfOffline()])
