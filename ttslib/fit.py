"""The power law of repeated sampling: coverage(k) ~ exp(a k^b), fitted to a coverage curve.

The exponentiated power law of Large Language Monkeys (Brown et al. 2024, arXiv:2407.21787, Sec. 3),
``coverage(k) ~ exp(a * k^b)`` with a, b < 0, fitted on 40 log-spaced k as the paper's Table 3 is
(which fitting method the paper used, our source does not say), two ways. Nonlinear least squares
(nls) of ``log coverage = a k^b`` (``method="nls"``; a is linear given b, so the fit is a
one-dimensional search in b). The linearised form (``method="loglog"``): on log-log
axes ``log(-log coverage) = log(-a) + b log k`` is a line with a closed-form fit. The two weigh the
points differently (the log-log form leaves out coverage 1 and stretches points near it), so they
give different (a, b) on the same counts. Both are vectorised over bootstrap replicates.

The distribution behind the curve (per-problem p ~ Beta, arXiv:2502.17578) is ``ttslib.beta``.

Bootstrap intervals resample problems: a replicate is a row of multinomial weights on one (P, K)
pass@k matrix (one matrix product and one vectorised fit for all). A replicate whose fit fails (NaN)
is counted in ``num_failed_boot`` and left out of the interval. A bootstrap over problems needs two
problems or more: with one, every resample is that problem and the interval would have zero width,
so ``n_boot > 0`` with one problem raises ``ValueError`` (as ``scipy.stats.bootstrap`` does);
``n_boot=0`` gives the point estimate alone.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ttslib.checks import (CHUNK, bootstrap_weights, canonical_order, check_bootstrap_problems, check_counts, check_ks, percentile_band,
                           row_chunks)
from ttslib.coverage import log_spaced_ks, pass_at_k
from ttslib.findings import Finding, bootstrap_finding

__all__ = ["PowerLawFit", "fit_power_law_curve", "fit_power_law_nls_curve", "fit_power_law", "fit_power_law_pair", "compare_exponents"]


@dataclass(frozen=True)
class PowerLawFit:
    """``coverage(k) = exp(a * k**b)`` fitted to one coverage curve; intervals are bootstrap percentiles."""

    a: float
    b: float
    a_interval: tuple[float, float]
    b_interval: tuple[float, float]
    k: np.ndarray  # (K,) budgets the fit used (0 < coverage < 1 there; nls: 0 < coverage <= 1)
    coverage: np.ndarray  # (K,) observed coverage at those k
    num_problems: int
    num_never_solved: int  # problems with c = 0: kept, they hold coverage below 1
    level: float
    boot: np.ndarray  # (B, 2) bootstrap replicates of (a, b), NaN where a replicate's fit failed
    method: str = "loglog"  # "loglog" (linearised) or "nls" (nonlinear least squares of log coverage)
    num_failed_boot: int = 0  # replicates left out of the intervals because their fit failed

    def predict(self, k) -> np.ndarray:
        return np.exp(self.a * np.asarray(k, dtype=float) ** self.b)

    def relative_error(self) -> np.ndarray:
        """(K,) how far the fitted curve is from the observed coverage at the k it was fitted on:
        ``predict(k) / coverage - 1`` (0 where the line passes through the point; -0.8 where the fitted
        coverage is a fifth of the observed). A goodness-of-fit check that reads in the units of coverage,
        where the log-log plot hides a factor of several at small k."""
        return self.predict(self.k) / self.coverage - 1


def _check_curve(k, cov) -> tuple[np.ndarray, np.ndarray]:
    x, cov = np.log(check_ks(k).astype(float)), np.asarray(cov, dtype=float)
    if cov.shape[-1:] != x.shape or not np.all(np.isfinite(cov)) or np.any((cov < 0) | (cov > 1)):
        raise ValueError(f"coverage must be finite in [0, 1] with last axis of length {x.size}; got shape {cov.shape}")
    return x, cov


def fit_power_law_curve(k, cov) -> tuple[np.ndarray, np.ndarray]:
    """Closed-form least squares of ``log(-log cov) = log(-a) + b log k`` (arXiv:2407.21787, Sec. 3).

    ``k``: (K,); ``cov``: (..., K). Points with coverage 0 or 1 (where the log-log transform is
    undefined) are left out of that curve's fit. Returns ``a, b`` of shape (...); NaN for a curve
    with fewer than two usable points.
    """
    x, cov = _check_curve(k, cov)
    use = (cov > 0) & (cov < 1)  # (..., K)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(use, np.log(-np.log(np.where(use, cov, 0.5))), 0.0)
        w = use.astype(float)
        sw, sx, sy = w.sum(-1), (w * x).sum(-1), (w * y).sum(-1)
        sxx, sxy = (w * x * x).sum(-1), (w * x * y).sum(-1)
        b = (sxy - sx * sy / sw) / (sxx - sx * sx / sw)
        log_neg_a = (sy - b * sx) / sw
    ok = (sw >= 2) & (np.ptp(np.where(use, x, x[0]), axis=-1) > 0)
    return np.where(ok, -np.exp(log_neg_a), np.nan), np.where(ok, b, np.nan)


def fit_power_law_nls_curve(k, cov) -> tuple[np.ndarray, np.ndarray]:
    """Nonlinear least squares of ``log cov = a k^b``, the form of arXiv:2407.21787, Sec. 3 and Table 3.

    Given b, the best a is ``sum y k^b / sum k^2b`` (y = log cov), so the residual sum of squares is
    a function of b alone, ``S(b) = sum y^2 - (sum y k^b)^2 / sum k^2b``; it is minimised on a grid of
    b in [-4, 1] and then by golden-section search around the best grid point, for every curve at
    once. ``k``: (K,); ``cov``: (..., K). Points with coverage 0 (log undefined) are left out;
    coverage 1 is a point (y = 0). Returns ``a, b`` of shape (...); NaN for a curve with fewer than
    two usable k, or with coverage 1 at all of them.
    """
    x, cov = _check_curve(k, cov)
    flat = cov.reshape(-1, x.size)
    w = (flat > 0).astype(float)  # (C, K)
    with np.errstate(divide="ignore"):
        y = np.where(w > 0, np.log(np.where(w > 0, flat, 1.0)), 0.0)

    def rss(b, rows=slice(None)):  # b (C, G) -> S(b) minus the constant sum y^2, and the best a given b, each (C, G)
        kb = np.exp(b[..., None] * x) * w[rows, None, :]  # (C, G, K)
        sy, s2 = np.einsum("cgk,ck->cg", kb, y[rows]), np.einsum("cgk,cgk->cg", kb, kb)
        return -sy * sy / s2, sy / s2

    grid = np.linspace(-4.0, 1.0, 201)
    b = np.empty(len(flat))
    for rows in row_chunks(len(flat), grid.size * x.size, CHUNK // 4):
        b[rows] = grid[np.argmin(rss(np.broadcast_to(grid, (rows.stop - rows.start, grid.size)), rows)[0], axis=1)]
    lo, hi, g = b - (grid[1] - grid[0]), b + (grid[1] - grid[0]), (np.sqrt(5) - 1) / 2
    for _ in range(40):  # golden section: the bracket shrinks by 0.618 a step, to ~1e-8 of the grid step
        m1, m2 = hi - g * (hi - lo), lo + g * (hi - lo)
        left = rss(np.stack([m1, m2], axis=1))[0]  # (C, 2)
        hi, lo = np.where(left[:, 0] < left[:, 1], m2, hi), np.where(left[:, 0] < left[:, 1], lo, m1)
    b = (lo + hi) / 2
    a = rss(b[:, None])[1][:, 0]
    for _ in range(3):  # Gauss-Newton polish: S(b) is flat at its minimum, the search stops at ~sqrt(eps)
        f = np.exp(b[:, None] * x) * w  # (C, K) k^b on the used points
        jac = np.stack([f, a[:, None] * f * x], axis=1)  # (C, 2, K) d(a k^b)/d(a, b)
        h, g = jac @ jac.transpose(0, 2, 1), jac @ (y - a[:, None] * f)[..., None]  # (C, 2, 2), (C, 2, 1)
        fine = np.abs(np.linalg.det(h)) > 0
        step = np.where(fine[:, None], np.linalg.solve(np.where(fine[:, None, None], h, np.eye(2)), g)[..., 0], 0.0)
        a, b = a + step[:, 0], b + step[:, 1]
    ok = (w.sum(1) >= 2) & np.any(y < 0, axis=1) & (np.ptp(np.where(w > 0, x, x[0]), axis=1) > 0)
    shape = cov.shape[:-1]
    return np.where(ok, a, np.nan).reshape(shape), np.where(ok, b, np.nan).reshape(shape)


def _per_problem(num_samples, num_correct, ks, order, beyond_n) -> np.ndarray:
    """(P, K) unbiased pass@k of each problem, rows in ``order``."""
    n = np.asarray(num_samples).size
    return pass_at_k(num_samples, num_correct, ks, beyond_n=beyond_n).reshape(n, -1)[order]


def _default_ks(*num_samples) -> np.ndarray:
    """40 log-spaced k from 1 to the smallest n of all problems (every problem has an unbiased pass@k there)."""
    n_min = min((int(np.min(n)) for n in num_samples if np.size(n)), default=None)
    if n_min is None or n_min < 2:
        raise ValueError(f"the default k needs every problem to have n >= 2; smallest n is {n_min}")
    return log_spaced_ks(n_min, 40)


def _fit_table(per_problem, ks, weights, *, method, level, num_never_solved) -> PowerLawFit:
    """Fit one (P, K) pass@k table (rows in canonical order) and its bootstrap replicates ``weights`` (B, P)."""
    P = per_problem.shape[0]
    cov = per_problem.mean(axis=0)
    use = (cov > 0) & ((cov < 1) if method == "loglog" else (cov <= 1))
    if np.count_nonzero(use) < 2 or np.unique(ks[use]).size < 2 or np.all(cov[use] == 1):
        raise ValueError(
            f"a power law needs coverage strictly between 0 and 1 at two or more distinct k; got coverage "
            f"{np.round(cov, 4).tolist()[:8]} at k = {ks.tolist()[:8]}"
            + (" (the model never succeeds)" if not np.any(cov > 0) else "")
        )
    curve = fit_power_law_curve if method == "loglog" else fit_power_law_nls_curve
    a, b = curve(ks[use], cov[use])
    boot_cov = weights @ per_problem[:, use] / P  # (B, K')
    boot = np.stack(curve(ks[use], boot_cov), axis=-1).reshape(-1, 2)  # (B, 2)
    lower, upper, failed = percentile_band(boot, level) if weights.shape[0] else (np.full(2, np.nan), np.full(2, np.nan), 0)
    return PowerLawFit(float(a), float(b), (float(lower[0]), float(upper[0])), (float(lower[1]), float(upper[1])), ks[use], cov[use], P,
                       num_never_solved, level, boot, method, failed)


def _check_method(method) -> None:
    if method not in ("loglog", "nls"):
        raise ValueError(f"method must be 'loglog' or 'nls'; got {method!r}")


def fit_power_law(num_samples, num_correct, k=None, *, method="loglog", n_boot=1000, level=0.95, seed=0,
                  beyond_n="raise") -> PowerLawFit:
    """Fit ``coverage(k) = exp(a k^b)`` (arXiv:2407.21787, Sec. 3) with a bootstrap over problems.

    Parameters
    ----------
    num_samples, num_correct : array_like, shape (P,)
    k : array_like of int, shape (K,), optional
        Budgets to fit on; default 40 log-spaced k from 1 to min(n), where every problem has an
        unbiased pass@k (as the paper, which fits on 40 log-spaced k).
    method : "loglog" (least squares of ``log(-log cov)`` on ``log k``, ``fit_power_law_curve``) or
        "nls" (nonlinear least squares of ``log cov`` on ``a k^b``, ``fit_power_law_nls_curve``).
    n_boot, level, seed : bootstrap resamples of problems (0: no intervals), interval level, RNG seed.
    beyond_n : passed to ``ttslib.coverage.pass_at_k``.

    Returns
    -------
    PowerLawFit. Raises ``ValueError`` if fewer than two k have usable coverage (0 < cov < 1; for
    "nls" 0 < cov <= 1, not all 1), e.g. a model that never succeeds, or a single k; and if
    ``n_boot > 0`` with a single problem (no bootstrap over problems: module docstring).
    """
    _check_method(method)
    n, c = check_counts(num_samples, num_correct)
    check_bootstrap_problems(n.size, n_boot, "fit_power_law")
    order = canonical_order(n, c)  # draws and sums in the canonical order of problems: row order cannot matter
    ks = check_ks(_default_ks(n) if k is None else k)
    return _fit_table(_per_problem(num_samples, num_correct, ks, order, beyond_n), ks, bootstrap_weights(n.size, n_boot, seed),
                      method=method, level=level, num_never_solved=int(np.sum(c == 0)))


def fit_power_law_pair(num_samples_a, num_correct_a, num_samples_b, num_correct_b, k=None, *, method="loglog", n_boot=1000,
                       level=0.95, seed=0, beyond_n="raise") -> tuple[PowerLawFit, PowerLawFit]:
    """Two power-law fits on the same P problems whose bootstrap replicates share their resamples.

    Row i of both count arrays is the same problem. Replicate j of both fits is fitted on the same
    resample of problems, so ``fit_a.boot[:, 1] - fit_b.boot[:, 1]`` are replicates of the difference of
    the exponents (for :func:`ttslib.findings.bootstrap_finding`): a paired bootstrap, which sees what the
    two models share on each problem, where two separate intervals cannot.

    Parameters
    ----------
    num_samples_a, num_correct_a, num_samples_b, num_correct_b : array_like, shape (P,), same problems, same order
    k : budgets for both fits; default 40 log-spaced k from 1 to the smallest n of either model
    method, n_boot, level, seed, beyond_n : as in :func:`fit_power_law`

    Returns
    -------
    (fit_a, fit_b). Each point estimate equals :func:`fit_power_law`'s on its own counts and ``k``.
    """
    _check_method(method)
    n_a, c_a = check_counts(num_samples_a, num_correct_a)
    n_b, c_b = check_counts(num_samples_b, num_correct_b)
    if n_a.shape != n_b.shape:
        raise ValueError(f"both models must be counted on the same problems; got {n_a.size} and {n_b.size} problems")
    check_bootstrap_problems(n_a.size, n_boot, "fit_power_law_pair")
    order = canonical_order(n_a, c_a, n_b, c_b)  # one order for both: row order cannot matter, and resample j is one set of problems
    ks = check_ks(_default_ks(n_a, n_b) if k is None else k)
    weights = bootstrap_weights(n_a.size, n_boot, seed)
    return tuple(_fit_table(_per_problem(n, c, ks, order, beyond_n), ks, weights, method=method, level=level,
                            num_never_solved=int(np.sum(c == 0))) for n, c in ((num_samples_a, num_correct_a), (num_samples_b, num_correct_b)))


def compare_exponents(num_samples_a, num_correct_a, num_samples_b, num_correct_b, *, a: str, b: str, where: str = "", k=None,
                      method="loglog", n_boot=1000, level=0.95, seed=0,
                      words: tuple[str, str] = ("less negative", "more negative")) -> Finding:
    """Exponent ``b`` of model a minus that of model b on the same problems, as a paired bootstrap finding.

    Both are fitted by :func:`fit_power_law_pair` (replicate j of both on one resample of problems) and
    compared by :func:`ttslib.findings.bootstrap_finding`. An exponent has no better side, so the sentence
    says "less negative" / "more negative" (``words``) where a finding on accuracy says "ahead" / "behind".

    Parameters
    ----------
    num_samples_a, num_correct_a, num_samples_b, num_correct_b : array_like, shape (P,), same problems, same order
    a, b : the names the sentence gives the two models (e.g. two sizes, or two checkpoints of one model)
    where : what the sentence's range names before the k range (benchmark, checkpoint)
    k, method, n_boot, level, seed : as in :func:`fit_power_law_pair` (n_boot >= 2)
    words : how the sentence says a - b above and below 0 (:func:`ttslib.findings.bootstrap_finding`)
    """
    fa, fb = fit_power_law_pair(num_samples_a, num_correct_a, num_samples_b, num_correct_b, k, method=method, n_boot=n_boot,
                                level=level, seed=seed)
    low, high = int(min(fa.k.min(), fb.k.min())), int(max(fa.k.max(), fb.k.max()))
    fitted = {"loglog": "log-log least squares", "nls": "nonlinear least squares of log coverage"}[method]
    return bootstrap_finding(fa.b, fb.b, fa.boot[:, 1], fb.boot[:, 1], a=a, b=b, quantity=f"power-law exponent b ({fitted})",
                             range=f"{where + ', ' if where else ''}k = {low} to {high:,}", num_problems=fa.num_problems, level=level,
                             words=words)
