"""Backtest of the scaling-law fits: fit on the first m samples, predict coverage at a larger budget.

Only counts are stored, not the order of samples. If samples are exchangeable (drawn i.i.d.), the
first m of a problem are a uniformly random m-subset, so the number correct among them is
``Hypergeometric(n, c, m)``; and "the first 100" lie inside "the first 1000", so for several m the
draws are nested: ``c_1000 ~ Hypergeometric(n, c, 1000)``, then ``c_100 ~ Hypergeometric(1000,
c_1000, 100)``, whose joint law is that of the first 100 and 1000 samples of one random order.
The estimators compared are those of Schaeffer et al. 2025 (arXiv:2502.17578): the power law of
Brown et al. 2024 (arXiv:2407.21787) extrapolated, and the Beta fits' exact ``pass_D@k``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ttslib.checks import canonical_order, check_counts, check_ks
from ttslib.coverage import coverage, log_spaced_ks
from ttslib.beta import fit_beta
from ttslib.fit import fit_power_law_curve

__all__ = ["subsample_counts", "nested_subsample_counts", "backtest"]


def subsample_counts(num_samples, num_correct, m: int, *, rng) -> np.ndarray:
    """Correct samples among the first ``m`` of each problem: ``Hypergeometric(n, c, m)``, (P,).

    ``rng`` is a ``numpy.random.Generator``. Every problem needs n >= m.
    """
    return nested_subsample_counts(num_samples, num_correct, (m,), rng=rng)[int(m)]


def nested_subsample_counts(num_samples, num_correct, ms, *, rng) -> dict[int, np.ndarray]:
    """Correct samples among the first m of each problem for every m in ``ms``, nested: {m: (P,)}.

    Drawn from the largest m down, each from the one above it (module docstring), so the counts
    of a smaller m never exceed those of a larger one and its wrong samples never exceed theirs.
    """
    n, c = check_counts(num_samples, num_correct)
    sizes = sorted(set(check_ks(ms, "m").tolist()), reverse=True)
    if np.any(n < sizes[0]):
        raise ValueError(f"subsampling needs n >= m = {sizes[0]} for every problem; smallest n is {int(n.min())}")
    order = canonical_order(n, c)  # draws in the canonical order of problems, returned in the order given
    out, above_n, above_c = {}, n[order].astype(np.int64), c[order].astype(np.int64)
    for m in sizes:
        above_c = rng.hypergeometric(above_c, above_n - above_c, m)
        above_n = np.full_like(above_n, m)
        out[m] = np.empty_like(above_c)
        out[m][order] = above_c
    return out


def backtest(num_samples, num_correct, *, m=(100, 1000), k_target=10_000, seed=0) -> pd.DataFrame:
    """Fit on the first m samples per problem, predict coverage at ``k_target``, compare with what was seen.

    Only problems with n >= k_target enter (there the observed coverage is the unbiased estimate).
    For each m, three estimators see the same subsample (``nested_subsample_counts``: the first 100
    lie inside the first 1000): the power law fitted to its coverage on 40 log-spaced k <= m and
    extrapolated, and the Beta and scaled Beta fitted to its counts, whose exact pass_D@k_target is
    the prediction (arXiv:2502.17578).

    Returns a table with one row per (m, estimator): ``m, estimator`` ('power law' | 'beta' |
    'scaled beta'), ``predicted, observed, error`` (predicted - observed coverage at k_target),
    ``exponent`` (b; for the Betas, b of a power law fitted to their exact curve on the k of
    ``observed_exponent``), ``observed_exponent`` (b fitted to all samples on 40 log-spaced k <=
    k_target), ``num_problems``, ``status`` ('ok', or why there is no prediction: then NaN).
    """
    n, c = check_counts(num_samples, num_correct)
    keep = n >= k_target
    if not np.any(keep):
        raise ValueError(f"backtest needs problems with n >= k_target = {k_target}; the largest n is {int(n.max())}")
    n, c = n[keep], c[keep]
    order = canonical_order(n, c)  # every draw and sum in the canonical order of problems
    n, c = n[order], c[order]
    ks = log_spaced_ks(k_target, 40)
    observed, observed_b = coverage(n, c, k_target), float(fit_power_law_curve(ks, coverage(n, c, ks))[1])
    subsamples, rows = nested_subsample_counts(n, c, m, rng=np.random.default_rng(seed)), []
    for size in m:
        c_m, n_m, ks_m = subsamples[int(size)], np.full(n.size, size), log_spaced_ks(size, 40)
        for estimator in ("power law", "beta", "scaled beta"):
            predicted = exponent = np.nan
            if not np.any(c_m > 0) or np.all(c_m == size):
                status = f"every problem has c = 0 (or every c = m) in the first {size} samples"
            elif estimator == "power law":
                a, b = fit_power_law_curve(ks_m, coverage(n_m, c_m, ks_m))
                predicted, exponent = float(np.exp(a * k_target**b)), float(b)
                status = "ok" if np.isfinite(b) else "coverage not strictly between 0 and 1 at two k"
            else:
                fit = fit_beta(n_m, c_m, scaled=estimator == "scaled beta", n_boot=0)
                predicted, exponent, status = float(fit.coverage(k_target)), fit.power_law(ks)[1], "ok"
            rows.append(dict(m=size, estimator=estimator, predicted=predicted, observed=observed,
                             error=predicted - observed, exponent=exponent, observed_exponent=observed_b,
                             num_problems=int(n.size), status=status))
    return pd.DataFrame(rows)
