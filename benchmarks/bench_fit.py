"""Benchmark: every fit of notebook 02 with 1000 bootstrap resamples, for one model (128 problems).

Data: Pythia-12B, final (300B-token) checkpoint, MATH, from data/pythia_checkpoints_math_counts.csv.
Timed in this process, in this run:

- ttslib: the power law (one (P, K) pass@k matrix, multinomial weights, closed-form least squares
  for all replicates at once), the Beta (beta-binomial MLE, 3-step Newton bootstrap) and the scaled
  Beta (quadrature MLE, 1-step Newton bootstrap, approximate);
- naive: the same power-law bootstrap as a loop, each resample drawn as indices, its coverage
  recomputed with ttslib.coverage.pass_at_k and fitted with scipy.optimize.curve_fit; and the
  two-parameter Beta refitted per resample with scipy.optimize.minimize on
  scipy.stats.betabinom.logpmf (timed on --naive-beta-resamples resamples, scaled to 1000).

The script prints both times, their ratio and the largest difference between the two answers.

    python benchmarks/bench_fit.py [--n-boot 1000] [--naive-beta-resamples 100]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import scipy
import scipy.optimize
import scipy.stats

from ttslib.beta import fit_beta
from ttslib.coverage import pass_at_k
from ttslib.data import read_pythia_counts
from ttslib.fit import fit_power_law

DATA = Path(__file__).resolve().parents[1] / "data" / "pythia_checkpoints_math_counts.csv"


def naive_power_law_bootstrap(n, c, ks, n_boot, seed):
    """One curve_fit per resample of problems, as a first implementation would write it."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_boot):
        idx = rng.integers(0, n.size, n.size)
        cov = pass_at_k(n[idx], c[idx], ks).mean(axis=0)
        use = (cov > 0) & (cov < 1)
        (log_neg_a, b), _ = scipy.optimize.curve_fit(lambda x, la, bb: la + bb * x, np.log(ks[use]), np.log(-np.log(cov[use])))
        out.append((-np.exp(log_neg_a), b))
    return np.array(out)


def naive_beta_bootstrap(n, c, n_boot, seed, start):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_boot):
        idx = rng.integers(0, n.size, n.size)
        nll = lambda th: -scipy.stats.betabinom.logpmf(c[idx], n[idx], np.exp(th[0]), np.exp(th[1])).sum()  # noqa: E731
        out.append(np.exp(scipy.optimize.minimize(nll, np.log(start), method="Nelder-Mead").x))
    return np.array(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--naive-beta-resamples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    df = read_pythia_counts(DATA)
    g = df[(df["model"] == "pythia-12b") & (df["pretrain_tokens"] == "300B")]
    n, c = g["num_samples"].to_numpy(), g["num_correct"].to_numpy()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, python "
          f"{platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}")
    print(f"data: Pythia-12B 300B MATH, {n.size} problems, n = {n.min()}..{n.max()}; {args.n_boot} bootstrap resamples")

    times = {}
    start = time.perf_counter()
    power = fit_power_law(n, c, n_boot=args.n_boot, seed=args.seed)
    times["power law"] = time.perf_counter() - start
    start = time.perf_counter()
    beta = fit_beta(n, c, n_boot=args.n_boot, seed=args.seed)
    times["beta"] = time.perf_counter() - start
    start = time.perf_counter()
    fit_beta(n, c, scaled=True, n_boot=args.n_boot, seed=args.seed)
    times["scaled beta"] = time.perf_counter() - start

    start = time.perf_counter()
    naive_power = naive_power_law_bootstrap(n, c, power.k, args.n_boot, args.seed)
    t_naive_power = time.perf_counter() - start
    start = time.perf_counter()
    naive_beta = naive_beta_bootstrap(n, c, args.naive_beta_resamples, args.seed, (beta.alpha, beta.beta))
    t_naive_beta = (time.perf_counter() - start) * args.n_boot / args.naive_beta_resamples

    for name, t in times.items():
        print(f"ttslib {name:<12} fit + {args.n_boot} resamples: {t:7.3f} s")
    print(f"ttslib all three fits:                    {sum(times.values()):7.3f} s")
    print(f"naive power law, curve_fit per resample:  {t_naive_power:7.3f} s   "
          f"ratio to ttslib power law {t_naive_power / times['power law']:.0f}x")
    print(f"naive Beta, minimize per resample:        {t_naive_beta:7.3f} s   "
          f"ratio to ttslib Beta {t_naive_beta / times['beta']:.0f}x  (timed on {args.naive_beta_resamples}, scaled)")
    # the two bootstraps draw different resamples, so compare their distributions, not replicates
    print(f"power-law b, 95% interval: ttslib [{power.b_interval[0]:.4f}, {power.b_interval[1]:.4f}], naive "
          f"[{np.quantile(naive_power[:, 1], 0.025):.4f}, {np.quantile(naive_power[:, 1], 0.975):.4f}]")
    print(f"Beta alpha, 95% interval: ttslib [{beta.alpha_interval[0]:.4f}, {beta.alpha_interval[1]:.4f}], naive "
          f"({args.naive_beta_resamples} resamples) [{np.quantile(naive_beta[:, 0], 0.025):.4f}, "
          f"{np.quantile(naive_beta[:, 0], 0.975):.4f}]")


if __name__ == "__main__":
    main()
