"""Benchmark: the whole coverage curve k = 1..10^4 for 128 problems x 10^4 samples.

Baseline: openai/human-eval's ``estimate_pass_at_k`` (Chen et al. 2021, arXiv:2107.03374),
re-implemented here from its published formula and called once per k, as in its evaluation
loop. Both run in this process on the same counts; the script prints both times, the ratio and
the largest difference between the two curves. Then a few sparse k up to 10^6 on 10^6 samples per
problem, with the peak memory it took (tracemalloc) against the (P, max k) buffer it avoids.

    python benchmarks/bench_coverage.py [--problems 128] [--samples 10000] [--seed 0]
"""

from __future__ import annotations

import argparse
import platform
import time
import tracemalloc

import numpy as np

from ttslib.coverage import pass_at_k


def human_eval_estimate(num_samples: np.ndarray, num_correct: np.ndarray, k: int) -> np.ndarray:
    """human-eval's estimator: the product form, a Python loop over problems, one k."""

    def one(n: int, c: int) -> float:
        if n - c < k:
            return 1.0
        return 1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1))

    return np.array([one(int(n), int(c)) for n, c in zip(num_samples, num_correct)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", type=int, default=128)
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    n = np.full(args.problems, args.samples)
    c = rng.binomial(n, rng.beta(0.3, 3.0, size=args.problems))  # a heavy left tail, as in arXiv:2502.17578
    ks = np.arange(1, args.samples + 1)

    times = []
    for _ in range(5):  # the first call also pays for page faults of the fresh (P, K) buffer
        start = time.perf_counter()
        ours = pass_at_k(n, c, ks).mean(axis=0)
        times.append(time.perf_counter() - start)
    t_ours = float(np.median(times))

    start = time.perf_counter()
    baseline = np.array([human_eval_estimate(n, c, int(k)).mean() for k in ks])
    t_base = time.perf_counter() - start

    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}, numpy {np.__version__}")
    print(f"problems={args.problems} samples={args.samples} k=1..{ks[-1]}")
    print(f"ttslib.coverage.pass_at_k (all k at once), median of 5: {t_ours:.3f} s (first call {times[0]:.3f} s)")
    print(f"human-eval estimator, one call per k:      {t_base:.3f} s")
    print(f"speed-up: {t_base / t_ours:.0f}x   max |difference|: {np.max(np.abs(ours - baseline)):.2e}")

    big_n, sparse = 1_000_000, np.array([1, 100, 10_000, 1_000_000])
    big_c = rng.binomial(big_n, rng.beta(0.3, 3.0, size=args.problems) / 100)
    tracemalloc.start()
    start = time.perf_counter()
    pass_at_k(np.full(args.problems, big_n), big_c, sparse)
    t_sparse, peak = time.perf_counter() - start, tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"sparse k = {sparse.tolist()} on n = {big_n}: {t_sparse:.2f} s, peak {peak / 1e6:.0f} MB "
          f"(a (P, max k) float64 buffer would be {args.problems * big_n * 8 / 1e9:.1f} GB)")


if __name__ == "__main__":
    main()
