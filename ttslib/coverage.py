"""Coverage: the unbiased pass@k estimator, for every k at once.

For a problem with ``n`` samples of which ``c`` are correct, the unbiased estimate of the
probability that at least one of ``k`` samples drawn without replacement is correct is

    pass@k = 1 - C(n - c, k) / C(n, k)                    (Chen et al. 2021, arXiv:2107.03374)

and coverage is its mean over problems (Brown et al. 2024, "Large Language Monkeys",
arXiv:2407.21787). The ratio of binomials is a running product over k,

    C(n - c, k) / C(n, k) = prod_{j=0}^{k-1} (1 - c / (n - j)),

so one cumulative sum of ``log1p`` terms gives the whole curve k = 1..K for every problem,
with no loss of precision when n runs into the millions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["pass_at_k", "coverage", "CoverageCurve", "coverage_curve", "bootstrap_weights", "check_counts", "check_ks", "log_spaced_ks"]


def check_counts(num_samples, num_correct) -> tuple[np.ndarray, np.ndarray]:
    """Per-problem counts as float arrays (P,), or a ValueError naming what is wrong with them."""
    n = np.asarray(num_samples, dtype=float)
    c = np.asarray(num_correct, dtype=float)
    if n.ndim != 1 or c.shape != n.shape:
        raise ValueError(
            f"num_samples and num_correct must be 1-d arrays of one length (one entry per problem); "
            f"got shapes {n.shape} and {c.shape}"
        )
    for name, x in (("num_samples", n), ("num_correct", c)):
        if not np.all(np.isfinite(x)):
            raise ValueError(f"{name} must be finite; found {np.count_nonzero(~np.isfinite(x))} NaN/inf entries")
        if np.any(x < 0):
            raise ValueError(f"{name} must be >= 0; found {x[x < 0][:3].tolist()}")
        if np.any(x != np.round(x)):
            raise ValueError(f"{name} must hold whole numbers; found {x[x != np.round(x)][:3].tolist()}")
    if np.any(c > n):
        i = int(np.argmax(c > n))
        raise ValueError(f"num_correct > num_samples for problem {i}: {int(c[i])} > {int(n[i])}")
    return n, c


def check_ks(k) -> np.ndarray:
    """Budgets k as an int64 array (K,) of whole numbers >= 1, or a ValueError."""
    ks = np.atleast_1d(np.asarray(k))
    if ks.ndim != 1 or ks.size == 0:
        raise ValueError(f"k must be an int or a 1-d array of ints; got shape {np.shape(k)}")
    if not np.all(np.isfinite(ks.astype(float))) or np.any(ks != np.round(ks)):
        raise ValueError(f"k must hold whole numbers; got {ks[:5].tolist()}")
    ks = ks.astype(np.int64)
    if np.any(ks < 1):
        raise ValueError(f"k must be >= 1; got {ks[ks < 1][:3].tolist()}")
    return ks


def pass_at_k(num_samples, num_correct, k, *, beyond_n: str = "raise") -> np.ndarray:
    """Unbiased pass@k per problem, for one k or many at once.

    ``pass@k = 1 - C(n-c, k) / C(n, k)`` (Chen et al. 2021, arXiv:2107.03374), computed as
    ``-expm1(cumsum_j log1p(-c / (n - j)))`` over j < k, so a whole curve costs one pass.

    Parameters
    ----------
    num_samples, num_correct : array_like, shape (P,)
        Samples drawn and samples correct for each of P problems; n may differ per problem.
    k : int or array_like of int, shape (K,)
        Budgets, each >= 1.
    beyond_n : {"raise", "plugin"}
        What to do where ``k > n`` for some problem, where no unbiased estimate exists.
        ``"raise"`` (default) raises ``ValueError``; ``"plugin"`` uses the plug-in estimate
        ``1 - (1 - c/n)^k`` at every k for the problems with ``n < max(k)`` (biased, but
        monotone in k, unlike a switch from the unbiased form at k = n; say so in any figure).

    Returns
    -------
    ndarray, shape (P,) if k is a scalar, else (P, K)
    """
    n, c = check_counts(num_samples, num_correct)
    ks = check_ks(k)
    if beyond_n not in ("raise", "plugin"):
        raise ValueError(f"beyond_n must be 'raise' or 'plugin'; got {beyond_n!r}")
    if np.any(n == 0):
        i = int(np.argmax(n == 0))
        raise ValueError(f"num_samples must be >= 1 for every problem; problem {i} has n = 0")
    if n.size and np.any(ks[None, :] > n[:, None]):
        if beyond_n == "raise":
            i = int(np.argmax(np.any(ks[None, :] > n[:, None], axis=1)))
            raise ValueError(
                f"k > n: k = {int(ks.max())} but problem {i} has only n = {int(n[i])} samples "
                f"(pass beyond_n='plugin' to extrapolate with 1 - (1 - c/n)^k)"
            )
    k_max = int(ks.max())
    # term[p, j] = log(1 - c / (n - j)), j < k_max; built in place, one (P, K_max) buffer.
    # Where n - j <= c the fraction is >= 1: clipped to 1, the log is -inf and the ratio 0.
    # Rows with n < k_max are replaced by the plug-in below, so their garbage never shows.
    term = np.subtract.outer(n, np.arange(k_max, dtype=float))  # (P, K_max) samples left
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(c[:, None], term, out=term)
        np.minimum(term, 1.0, out=term)
        np.negative(term, out=term)
        np.log1p(term, out=term)
    np.cumsum(term, axis=1, out=term)
    log_ratio = term if ks.size == k_max and np.array_equal(ks, np.arange(1, k_max + 1)) else term[:, ks - 1]
    result = -np.expm1(log_ratio)  # (P, K)

    beyond = n < k_max  # (P,) problems with too few samples for the largest k
    if np.any(beyond):
        with np.errstate(divide="ignore"):
            plugin = -np.expm1(ks[None, :] * np.log1p(-(c / n)[:, None]))
        result = np.where(beyond[:, None], plugin, result)
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
    multinomial reweighting of problems, so the band costs one (B, P) x (P, K) product.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1); got {level}")
    if n_boot < 1:
        raise ValueError(f"n_boot must be >= 1; got {n_boot}")
    per_problem = pass_at_k(num_samples, num_correct, k, beyond_n=beyond_n)
    per_problem = per_problem.reshape(per_problem.shape[0], -1)  # (P, K)
    P = per_problem.shape[0]
    if P == 0:
        raise ValueError("coverage_curve needs at least one problem; got none")
    boot = bootstrap_weights(P, n_boot, seed) @ per_problem / P  # (B, K)
    alpha = (1 - level) / 2
    lower, upper = np.quantile(boot, [alpha, 1 - alpha], axis=0)
    return CoverageCurve(
        k=check_ks(k),
        coverage=per_problem.mean(axis=0),
        lower=lower,
        upper=upper,
        num_problems=P,
        level=level,
    )


def bootstrap_weights(num_problems: int, n_boot: int, seed: int = 0) -> np.ndarray:
    """(B, P) multinomial counts: how often each of P problems appears in each of B resamples.

    A bootstrap replicate of any mean over problems is then ``weights @ per_problem / P``, so B
    replicates of a (P, K) table cost one matrix product (Efron 1979, the nonparametric bootstrap).
    """
    if num_problems < 1:
        raise ValueError(f"num_problems must be >= 1; got {num_problems}")
    if n_boot < 0:
        raise ValueError(f"n_boot must be >= 0; got {n_boot}")
    rng = np.random.default_rng(seed)
    return rng.multinomial(num_problems, np.full(num_problems, 1.0 / num_problems), size=n_boot).astype(float)


def log_spaced_ks(k_max: int, num: int = 40) -> np.ndarray:
    """``num`` distinct integers from 1 to ``k_max``, evenly spaced in log k (arXiv:2407.21787 fits on 40)."""
    if k_max < 1:
        raise ValueError(f"k_max must be >= 1; got {k_max}")
    return np.unique(np.round(np.geomspace(1, k_max, num)).astype(np.int64))
