"""Benchmark: every adaptive rule replayed on 400 problems x 64 samples, 1,000 random orders each.

Vectorised: ``ttslib.adaptive.replay`` (all rules on the same orders, blocks of problems), timed on
its own, then run again for its peak memory (tracemalloc, which sees numpy's buffers but slows them).

Baseline: the straightforward per-problem loop, ``ttslib.adaptive.reference`` (each rule a Python
loop over one order), on its own random orders (``random.shuffle``), timed on a slice of the problems
and scaled to all of them (its time is linear in the problems). Both are run on that slice, and the
script prints the largest difference between them in units of their joint standard error,
|a - b| / sqrt(se_a^2 + se_b^2), over problems, rules and quantities (accuracy, samples, tokens).
The two-stage rule shares a budget across the problems it is given, so on the slice both share it
across the slice.

The pool is synthetic: per problem a right answer's share from Beta(1, 1) and five wrong answers,
5% missing answers, lengths of 50..400 tokens (right answers shorter), and token confidences that
are higher on right traces, grouped in windows of 32 tokens.

    python benchmarks/bench_adaptive.py [--problems 400] [--samples 64] [--orders 1000] [--slice 20] [--seed 0]

One run (2 cores, machine otherwise quiet but for a review session, OPENBLAS_NUM_THREADS=1, 2026-12-05): replay
1.8 s, peak 0.11 GB; loop 106 s (scaled from 20 problems); 58x (56x in the run before); largest difference 3.3
standard errors over 540 comparisons (the median largest |z| of 540 draws of noise alone is about 3.2).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core for both methods on a shared machine

import argparse  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402

from ttslib.adaptive import (ESC, AdaptiveConsistency, DeepConfOffline, DeepConfOnline, FixedMajority,  # noqa: E402
                             OracleBound, ShortestMajority, TwoStage, confidence_lows, make_pool, replay)
from ttslib.adaptive import reference as ref  # noqa: E402

RULES = [ESC(window=5, max_samples=40), AdaptiveConsistency(threshold=0.95, max_samples=40), ShortestMajority(n=16),
         FixedMajority(n=16), OracleBound(), DeepConfOffline(eta=10), DeepConfOffline(eta=90, n=32),
         DeepConfOnline(eta=10, warmup=16, consensus=0.95), TwoStage(explore=4, budget=16)]


def synthetic_pool(P: int, N: int, seed: int, K: int = 6, window: int = 32):
    rng = np.random.default_rng(seed)
    right = rng.beta(1, 1, P)
    shares = np.column_stack([right, rng.dirichlet(np.ones(K - 1), P) * (1 - right)[:, None]])
    cls = (rng.random((P, N, 1)) > shares.cumsum(1)[:, None, :-1]).sum(-1)
    cls[rng.random((P, N)) < 0.05] = -1
    correct = cls == 0
    tok = np.where(correct, rng.integers(50, 300, (P, N)), rng.integers(100, 400, (P, N)))
    traces = [[rng.normal(2.0 + 0.5 * correct[p, i], 0.6, tok[p, i]).clip(0) for i in range(N)] for p in range(P)]
    lows, at = confidence_lows(traces, window)
    return make_pool(cls, correct, tok, lows=lows, lows_at=at)


def baseline(pool, rules, R: int, seed: int):
    """Per problem, per order, per rule: the plain loops. Returns {rule: (3, P) means, (3, P) se}."""
    random.seed(seed)
    P, N = pool.shape
    data = [(pool.classes[p].tolist(), pool.good[p].tolist(), pool.tokens[p].tolist(), pool.confidence[p].tolist(),
             [[v for v in row if v == v] for row in pool.lows[p].tolist()], pool.lows_at[p].tolist()) for p in range(P)]
    keys = pool.keys(seed).tolist()
    values = {r: np.zeros((3, P, R)) for r in rules}
    for r in range(R):
        orders = []
        for p in range(P):
            order = list(range(N))
            random.shuffle(order)
            orders.append(order)
        for rule in rules:
            if isinstance(rule, TwoStage):  # one allocation over all problems on this order
                tops = [max(ref._counts(data[p][0], orders[p][: rule.explore]).values(), default=0) for p in range(P)]
                sizes = ref.two_stage_sizes(tops, rule.explore, rule.budget, N, keys)
        for p in range(P):
            cls, good, tok, conf, lows, at = data[p]
            order = orders[p]
            for rule in rules:
                if isinstance(rule, ESC):
                    v = ref.esc(cls, good, tok, order, rule.window, rule.max_samples or N)
                elif isinstance(rule, AdaptiveConsistency):
                    v = ref.adaptive_consistency(cls, good, tok, order, rule.threshold, rule.max_samples or N)
                elif isinstance(rule, ShortestMajority):
                    v = ref.shortest_majority(cls, good, tok, order, rule.n)
                elif isinstance(rule, FixedMajority):
                    v = ref.fixed_majority(cls, good, tok, order, rule.n)
                elif isinstance(rule, OracleBound):
                    v = ref.oracle_bound(cls, good, tok, order)
                elif isinstance(rule, DeepConfOffline):
                    v = ref.deepconf_offline(cls, good, tok, conf, order, rule.eta, rule.n or N)
                elif isinstance(rule, DeepConfOnline):
                    v = ref.deepconf_online(cls, good, tok, conf, lows, at, order, rule.eta, rule.warmup, rule.consensus,
                                            rule.max_samples or N)
                else:
                    v = ref.fixed_majority(cls, good, tok, order, sizes[p])
                values[rule][:, p, r] = v
    return {rule: (v.mean(2), v.std(2, ddof=1) / np.sqrt(R)) for rule, v in values.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", type=int, default=400)
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--slice", type=int, default=20, help="problems the baseline loop runs on")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    pool = synthetic_pool(args.problems, args.samples, args.seed)
    R = args.orders

    start = time.perf_counter()
    replay(pool, RULES, num_orders=R, seed=args.seed)
    t_fast = time.perf_counter() - start
    tracemalloc.start()  # a second run for the memory: tracing every allocation slows numpy down
    replay(pool, RULES, num_orders=R, seed=args.seed)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    part = pool.take(np.arange(args.slice))
    fast_part = replay(part, RULES, num_orders=R, seed=args.seed)
    start = time.perf_counter()
    slow_part = baseline(part, RULES, R, args.seed + 1)
    t_slow = (time.perf_counter() - start) * args.problems / args.slice

    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}, numpy {np.__version__}, "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}")
    print(f"{args.problems} problems x {args.samples} samples, {R} orders, {len(RULES)} rules")
    print(f"vectorised replay, all rules: {t_fast:.1f} s, peak {peak / 1e9:.2f} GB")
    print(f"per-problem Python loop, timed on {args.slice} problems, scaled to {args.problems}: {t_slow:.0f} s")
    print(f"speed-up: {t_slow / t_fast:.0f}x")
    worst = 0.0
    for rule, res in zip(RULES, fast_part):
        mean, se = slow_part[rule]
        got = np.array([res.accuracy, res.samples, res.tokens])
        got_se = np.array([res.accuracy_se, res.samples_se, res.tokens_se])
        joint = np.sqrt(se**2 + got_se**2)
        # z where either side varies; where neither does (an exact value, and a loop whose orders never
        # met the rare order that changes it), the absolute difference instead
        z = np.where(joint > 0, np.abs(got - mean) / np.where(joint > 0, joint, 1), 0.0)
        flat = np.where(joint > 0, 0.0, np.abs(got - mean))
        worst = max(worst, float(z.max()))
        print(f"  {str(rule):75s} mean accuracy {res.mean[0]:.3f} vs {mean[0].mean():.3f}, samples {res.mean[1]:5.1f} vs "
              f"{mean[1].mean():5.1f}; max |z| {z.max():.1f}; max |difference| where neither varies {flat.max():.1e}")
    print(f"largest difference, vectorised vs loop, over {args.slice} problems x {len(RULES)} rules x 3 quantities: "
          f"{worst:.1f} standard errors")


if __name__ == "__main__":
    main()
