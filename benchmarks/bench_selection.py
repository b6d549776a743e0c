"""Benchmark: expected best-of-N accuracy at every n = 1..256 for 500 problems x 256 samples.

Exact: ``ttslib.selection.best_of_n`` (order statistics, all n at once).

Baseline: the random-resampling estimator of openai/prm800k ``eval.py`` and search-and-learn
(re-implemented here, not copied): for each n, 400 random n-subsets per problem, the top-scored
sample chosen, correctness averaged. Written literally (a Python shuffle per trial, n and problem)
it would take hours at this size, so the baseline timed in full is a vectorised numpy version that
is much faster than the published loop: each of the 400 random orders of a problem's samples
serves every n at once (its first n samples are a uniform n-subset; a running maximum picks the
top one), so the per-n estimate is the same estimator, with draws shared across n. The literal
loop is timed on a slice and extrapolated, for reference only.

Both run in this process on the same data; the script prints the times, the ratio and the
resampling estimate's error against the exact values.

Second part (``--part scale``), at Large Language Monkeys' size, 128 problems x 10^4 samples, with
the peak memory of each call (tracemalloc, which sees numpy's buffers):

* best-of-N and pass@n at 30 log-spaced n and at the default n = 1..N (no (N, N) weight matrix);
* majority vote with 50 answers at 12 log-spaced n: the Rao-Blackwellised Monte Carlo of
  ``ttslib._majority`` against the plain Monte Carlo over random orders (the method before, which
  took 97 s with 1000 orders) run in the same process with fewer orders; its time to reach the same
  standard error is extrapolated as time x (se ratio)^2, since the error falls as 1/sqrt(orders);
* weighted best-of-N by random orders (no exact form), with its standard error;
* majority vote when every answer differs, 500 x 256: the closed form against the dynamic
  programme it replaces for that case, the latter timed on a slice and extrapolated.

    python benchmarks/bench_selection.py [--part exact|scale|all] [--problems 500] [--samples 256] [--draws 400] [--seed 0]
"""

from __future__ import annotations

import os

# One core for both methods: the baseline is single-threaded, and on a shared machine a
# multi-threaded BLAS fighting other jobs times noise (set the variable yourself to override).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import platform
import random  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402

from ttslib._majority import majority_exact, vote_monte_carlo  # noqa: E402
from ttslib.selection import answer_tallies, best_of_n, majority_vote, oracle, weighted_vote  # noqa: E402


def resample_vectorised(correct: np.ndarray, scores: np.ndarray, draws: int, rng) -> np.ndarray:
    """Resampling estimate (P, N): ``draws`` random orders per problem, the running top score of each."""
    P, N = correct.shape
    out = np.zeros((P, N))
    for p in range(P):  # one problem at a time keeps the (draws, N) arrays small
        order = rng.permuted(np.broadcast_to(np.arange(N), (draws, N)), axis=1)  # (R, N)
        s, c = scores[p][order], correct[p][order]
        best = np.maximum.accumulate(s, axis=1)  # (R, N) top score among the first n
        # position of the running top: the latest index where s == running max
        pos = np.maximum.accumulate(np.where(s == best, np.arange(N), 0), axis=1)
        out[p] = np.take_along_axis(c, pos, 1).mean(0)
    return out


def resample_literal(correct, scores, draws: int, problems) -> float:
    """The published loop for the given problems: per trial, per n, per problem, shuffle and pick the max."""
    N = correct.shape[1]
    samples = {p: list(zip(scores[p].tolist(), correct[p].tolist())) for p in problems}
    hits = 0
    for _ in range(draws):
        for n in range(1, N + 1):
            for p in problems:
                pool = samples[p][:]
                random.shuffle(pool)
                hits += max(pool[:n], key=lambda x: x[0])[1]
    return hits


def measured(fn, *args, **kwargs):
    """(result, seconds, peak bytes) of one call."""
    tracemalloc.start()
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    seconds, peak = time.perf_counter() - start, tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, seconds, peak


def scale(seed: int) -> None:
    """128 problems x 10^4 samples: every rule's time and peak memory, ratios against the methods before."""
    rng = np.random.default_rng(seed)
    P, N, K = 128, 10_000, 50
    p_right = rng.beta(0.5, 1.5, size=P)  # the right answer's share, many hard problems
    shares = np.column_stack([p_right, rng.dirichlet(np.full(K - 1, 0.3), size=P) * (1 - p_right)[:, None]])
    classes = (rng.random((P, N, 1)) > shares.cumsum(1)[:, None, :-1]).sum(-1)  # (P, N) in 0..K-1, 0 is right
    correct = classes == 0
    scores = correct + rng.normal(size=(P, N))
    ns30, ns12 = np.unique(np.geomspace(1, N, 30).round().astype(int)), np.unique(np.geomspace(1, N, 12).round().astype(int))
    print(f"\n--- scale: {P} problems x {N} samples, {K} answers, tracemalloc peaks ---")
    for label, fn, args in [("best_of_n, 30 log-spaced n", best_of_n, (correct, scores, ns30)),
                            ("best_of_n, default n = 1..N", best_of_n, (correct, scores)),
                            ("oracle (pass@n), default n = 1..N", oracle, (correct,))]:
        _, t, peak = measured(fn, *args)
        print(f"{label:40s} {t:6.2f} s  peak {peak / 1e9:.2f} GB  (an (N, N) float64 matrix alone: {N * N * 8 / 1e9:.1f} GB)")
    draws = 50
    rb, t_rb, peak_rb = measured(majority_vote, classes, correct, ns12, method="monte_carlo", num_draws=draws, seed=seed)
    cls, _, good = answer_tallies(classes, correct)
    base_draws = 50
    (mean, se), t_base, peak_base = measured(vote_monte_carlo, cls, good, np.ones(cls.shape), ns12, base_draws, seed)
    se_base = (np.sqrt(np.square(se).sum(0)) / P).max()
    se_rb = rb.accuracy_se.max()
    equal_se = t_base * (se_base / se_rb) ** 2
    print(f"majority vote, 12 log-spaced n, Rao-Blackwell MC ({draws} orders): {t_rb:.1f} s, peak {peak_rb / 1e9:.2f} GB, "
          f"max standard error {se_rb:.1e}")
    print(f"  plain MC over random orders ({base_draws} orders): {t_base:.1f} s, peak {peak_base / 1e9:.2f} GB, max standard error "
          f"{se_base:.1e}; at the same error it would take ~{equal_se:.0f} s: {equal_se / t_rb:.0f}x; "
          f"max |difference| {np.abs(mean.mean(0) - rb.accuracy).max():.1e}")
    wv, t_w, peak_w = measured(weighted_vote, classes, correct, np.exp(scores), ns12, num_draws=100, seed=seed)
    print(f"weighted vote, 12 log-spaced n, MC (100 orders): {t_w:.1f} s, peak {peak_w / 1e9:.2f} GB, "
          f"max standard error {wv.accuracy_se.max():.1e}")
    P2, N2, part = 500, 256, 20
    distinct = np.tile(np.arange(N2), (P2, 1))  # every sample a different answer; at most one of them right
    corr2 = (np.arange(N2) == rng.integers(0, N2, size=(P2, 1))) & (rng.random((P2, 1)) < 0.5)
    closed, t_closed, _ = measured(majority_vote, distinct, corr2)
    cls2, sizes2, good2 = answer_tallies(distinct, corr2)
    dp, t_dp, _ = measured(majority_exact, sizes2[:part], good2[:part], N2, np.arange(1, N2 + 1))
    t_dp_all = t_dp * P2 / part
    print(f"every answer differs, {P2} x {N2}, n = 1..{N2}: closed form {t_closed * 1e3:.0f} ms ({closed.method}); dynamic "
          f"programme {t_dp:.1f} s on {part} problems, ~{t_dp_all:.0f} s for all: {t_dp_all / t_closed:.0f}x; "
          f"max |difference| on the slice {np.abs(dp - closed.per_problem[:part]).max():.1e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", type=int, default=500)
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--draws", type=int, default=400, help="random subsets per n per problem, as in openai/prm800k")
    parser.add_argument("--literal-problems", type=int, default=2)
    parser.add_argument("--literal-draws", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--part", choices=("exact", "scale", "all"), default="all")
    args = parser.parse_args()
    if args.part != "exact":
        scale(args.seed)
    if args.part == "scale":
        return

    rng = np.random.default_rng(args.seed)
    P, N = args.problems, args.samples
    correct = rng.random((P, N)) < rng.beta(0.5, 1.5, size=(P, 1))  # per-problem success rates, many hard
    scores = correct + rng.normal(0.0, 1.0, size=(P, N))  # a verifier with d' = 1 (AUC 0.76)

    times = []
    for _ in range(5):
        start = time.perf_counter()
        exact = best_of_n(correct, scores).per_problem  # (P, N), n = 1..N
        times.append(time.perf_counter() - start)
    t_exact = float(np.median(times))

    start = time.perf_counter()
    resampled = resample_vectorised(correct, scores, args.draws, rng)
    t_resample = time.perf_counter() - start

    random.seed(args.seed)
    start = time.perf_counter()
    resample_literal(correct, scores, args.literal_draws, range(args.literal_problems))
    t_literal = (time.perf_counter() - start) * (args.draws / args.literal_draws) * (P / args.literal_problems)

    err = np.abs(resampled.mean(0) - exact.mean(0))  # (N,) error of the mean accuracy at each n
    err_problem = np.abs(resampled - exact)  # (P, N)
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}, numpy {np.__version__}")
    print(f"problems={P} samples={N} n=1..{N}, resampling with {args.draws} draws per n per problem, "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}")
    print(f"exact best_of_n (all n at once), median of 5:  {t_exact * 1e3:.1f} ms (first call {times[0] * 1e3:.1f} ms)")
    print(f"resampling, vectorised numpy (draws shared across n): {t_resample:.2f} s")
    print(f"resampling, published loop, extrapolated from {args.literal_problems} problems x {args.literal_draws} draws: "
          f"{t_literal / 60:.0f} min")
    print(f"speed-up vs vectorised resampling: {t_resample / t_exact:.0f}x   vs published loop (extrapolated): {t_literal / t_exact:.0e}x")
    print(f"resampling error vs exact, mean accuracy over problems: max {err.max():.1e} (at n = {err.argmax() + 1}), "
          f"mean over n {err.mean():.1e}")
    print(f"resampling error vs exact, single problem: max {err_problem.max():.3f}, mean {err_problem.mean():.1e}")


if __name__ == "__main__":
    main()
