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

    python benchmarks/bench_selection.py [--problems 500] [--samples 256] [--draws 400] [--seed 0]
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

import numpy as np  # noqa: E402

from ttslib.selection import best_of_n  # noqa: E402


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", type=int, default=500)
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--draws", type=int, default=400, help="random subsets per n per problem, as in openai/prm800k")
    parser.add_argument("--literal-problems", type=int, default=2)
    parser.add_argument("--literal-draws", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

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
