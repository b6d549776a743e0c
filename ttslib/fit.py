"""Scaling-law fits for repeated sampling: the power law of the curve, and the distribution behind it.

Two estimators of how coverage grows with the number of samples k:

1. The exponentiated power law of Large Language Monkeys (Brown et al. 2024, arXiv:2407.21787, Sec. 3),
   ``coverage(k) ~ exp(a * k^b)`` with a, b < 0, two ways. The paper's (Table 3): nonlinear least
   squares of ``log coverage = a k^b`` on 40 log-spaced k (``method="nls"``; a is linear given b, so
   the fit is a one-dimensional search in b). The linearised form (``method="loglog"``): on log-log
   axes ``log(-log coverage) = log(-a) + b log k`` is a line with a closed-form fit. The two weigh the
   points differently (the log-log form leaves out coverage 1 and stretches points near it), so they
   give different (a, b) on the same counts. Both are vectorised over bootstrap replicates.
2. The distributional view of Schaeffer et al. 2025 (arXiv:2502.17578): per-problem success
   probabilities ``p ~ s * Beta(alpha, beta)``, fitted to the counts (n, c) by maximum likelihood with
   the binomial sampling noise in the likelihood (beta-binomial). The aggregate curve is then exact,
   ``pass_D@k = 1 - E[(1 - p)^k]`` (``= 1 - B(alpha, beta + k) / B(alpha, beta)`` when s = 1), and its
   power-law exponent for large k is ``b = -alpha``.

Bootstrap intervals resample problems: a power-law replicate is a row of multinomial weights on one (P, K)
pass@k matrix (one matrix product and one vectorised fit for all); the Beta fits take k Newton steps per
replicate from the full-data estimate (Andrews 2002, Econometrica 70:119, ``ttslib._newton``). A replicate
whose fit fails (NaN) is counted in ``num_failed_boot`` and left out of the interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import scipy.optimize
import scipy.special as sp
from scipy.stats import chi2

from ttslib._newton import newton_bootstrap
from ttslib.checks import CHUNK, bootstrap_weights, canonical_order, check_counts, check_ks, percentile_band, row_chunks
from ttslib.coverage import log_spaced_ks, pass_at_k

__all__ = ["PowerLawFit", "BetaFit", "fit_power_law_curve", "fit_power_law_nls_curve", "fit_power_law",
           "beta_binomial_logpmf", "beta_coverage", "fit_beta"]


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
    method: str = "loglog"  # "loglog" (linearised) or "nls" (the paper's)
    num_failed_boot: int = 0  # replicates left out of the intervals because their fit failed

    def predict(self, k) -> np.ndarray:
        return np.exp(self.a * np.asarray(k, dtype=float) ** self.b)


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
    """Nonlinear least squares of ``log cov = a k^b`` (arXiv:2407.21787, Sec. 3 and Table 3).

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
        "nls" (the paper's: least squares of ``log cov`` on ``a k^b``, ``fit_power_law_nls_curve``).
    n_boot, level, seed : bootstrap resamples of problems (0: no intervals), interval level, RNG seed.
    beyond_n : passed to ``ttslib.coverage.pass_at_k``.

    Returns
    -------
    PowerLawFit. Raises ``ValueError`` if fewer than two k have usable coverage (0 < cov < 1; for
    "nls" 0 < cov <= 1, not all 1), e.g. a model that never succeeds, or a single k.
    """
    if method not in ("loglog", "nls"):
        raise ValueError(f"method must be 'loglog' or 'nls'; got {method!r}")
    n, c = check_counts(num_samples, num_correct)
    order = canonical_order(n, c)  # draws and sums in the canonical order of problems: row order cannot matter
    if k is None:
        if n.size == 0 or n.min() < 2:
            raise ValueError(f"the default k needs every problem to have n >= 2; smallest n is {n.min() if n.size else None}")
        k = log_spaced_ks(int(n.min()), 40)
    ks = check_ks(k)
    per_problem = pass_at_k(num_samples, num_correct, ks, beyond_n=beyond_n).reshape(n.size, -1)[order]  # (P, K)
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
    boot_cov = bootstrap_weights(n.size, n_boot, seed) @ per_problem[:, use] / n.size  # (B, K')
    boot = np.stack(curve(ks[use], boot_cov), axis=-1).reshape(-1, 2)  # (B, 2)
    lower, upper, failed = percentile_band(boot, level) if n_boot else (np.full(2, np.nan), np.full(2, np.nan), 0)
    return PowerLawFit(float(a), float(b), (float(lower[0]), float(upper[0])), (float(lower[1]), float(upper[1])), ks[use], cov[use], n.size,
                       int(np.sum(np.asarray(num_correct) == 0)), level, boot, method, failed)


# ----------------------------------------------------------------------------------------------
# The distributional view: p ~ s * Beta(alpha, beta), counts ~ Binomial(n, p)  (arXiv:2502.17578)

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(64)


def beta_binomial_logpmf(num_samples, num_correct, alpha, beta, scale=1.0) -> np.ndarray:
    """``log P(c | n)`` when ``p ~ scale * Beta(alpha, beta)`` and ``c ~ Binomial(n, p)`` (arXiv:2502.17578).

    ``scale = 1``: the beta-binomial, ``C(n, c) B(c + alpha, n - c + beta) / B(alpha, beta)``.
    ``scale < 1``: ``C(n, c) E[p^c (1 - p)^(n - c)]`` by 64-point Gauss-Legendre quadrature in log p on
    a window around the integrand's peak (width from its curvature), plus the part below
    ``p = 1e-4 / n`` in closed form (incomplete Beta, first order in n p). Relative error about 1e-8
    wherever c / n <= scale; there the likelihood is what matters for a fit.
    Counts have shape (P,); ``alpha, beta, scale`` broadcast against them, e.g. (B, 1) -> (B, P).
    """
    n, c = (np.asarray(x, dtype=float) for x in (num_samples, num_correct))
    a, b, s = (np.asarray(x, dtype=float) for x in (alpha, beta, scale))
    if not (np.all(a > 0) and np.all(b > 0) and np.all((s > 0) & (s <= 1))):  # NaN fails these too
        raise ValueError(f"need alpha > 0, beta > 0 and 0 < scale <= 1; got {a.ravel()[:3]}, {b.ravel()[:3]}, {s.ravel()[:3]}")
    log_choose = sp.gammaln(n + 1) - sp.gammaln(c + 1) - sp.gammaln(n - c + 1)
    exact = log_choose + sp.betaln(c + a, n - c + b) - sp.betaln(a, b)
    if np.all(s >= 1):
        return exact
    n, c, a, b, s = np.broadcast_arrays(n, c, a, b, np.minimum(s, 1 - 1e-12))
    m, u, log_s = n - c, c + a, np.log(s)
    peak = u / (n + a + b)  # where p^(c + alpha) (1 - p)^(n - c) peaks (log p measure)
    sd = np.sqrt((1 - peak) / u)  # its width in log p, from the curvature at the peak
    with np.errstate(divide="ignore"):
        slope = u - m * s / (1 - s)  # d/dlog p of the log-integrand at p = s (> 0: peak beyond s)
    lo = np.log(peak) - np.maximum(10 * sd, 30 / u)
    lo = np.where(np.log(peak) > log_s, np.minimum(lo, log_s - 30 / np.abs(slope)), lo)
    hi = np.log(peak) + np.maximum(10 * sd, np.log(50 / u) + 1)
    t_cut = np.log(1e-4 / n)
    t_min, t_max = np.maximum(t_cut, lo), np.minimum(log_s, hi)
    t_min = np.minimum(t_min, t_max)
    half, mid = (t_max - t_min)[..., None] / 2, (t_max + t_min)[..., None] / 2
    t = mid + half * _NODES  # (..., 64) nodes in log p
    p_over_s = np.minimum(np.exp(t) / s[..., None], 1 - 1e-16)
    log_f = (u[..., None] * t + m[..., None] * np.log1p(-np.exp(t)) + (b[..., None] - 1) * np.log1p(-p_over_s)
             - (a * log_s)[..., None])
    quad = sp.logsumexp(log_f, b=half * _WEIGHTS, axis=-1)
    x = np.exp(t_cut) / s  # below p = 1e-4/n: (1-p)^m = 1 - m p + O((m p)^2)
    tail = sp.betainc(u, b, x) - m * s * u / (u + b) * sp.betainc(u + 1, b, x)
    use_tail = (t_min <= t_cut + 1e-12) & (tail > 0)
    with np.errstate(divide="ignore"):
        low = np.where(use_tail, c * log_s + sp.betaln(u, b) + np.log(np.where(use_tail, tail, 1.0)), -np.inf)
    scaled = log_choose + np.logaddexp(quad, low) - sp.betaln(a, b)
    return np.where(s >= 1 - 1e-12, exact, scaled)


def beta_coverage(k, alpha, beta, scale=1.0) -> np.ndarray:
    """Exact aggregate ``pass_D@k = 1 - E[(1 - p)^k]``, p ~ scale * Beta(alpha, beta) (arXiv:2502.17578).

    With scale = 1 this is ``1 - B(alpha, beta + k) / B(alpha, beta)``; E[(1-p)^k] is the chance of
    c = 0 in n = k draws, so both cases reuse ``beta_binomial_logpmf``. Shape of ``k``.
    """
    ks = np.asarray(k, dtype=float)
    if not np.all(np.isfinite(ks) & (ks >= 1)):
        raise ValueError(f"k must be finite and >= 1; got {ks.ravel()[:5].tolist()}")
    return -np.expm1(beta_binomial_logpmf(ks, np.zeros_like(ks), alpha, beta, scale))


@dataclass(frozen=True)
class BetaFit:
    """Maximum-likelihood ``p ~ scale * Beta(alpha, beta)`` from counts; intervals from the bootstrap."""

    alpha: float
    beta: float
    scale: float  # 1.0 for the two-parameter Beta
    alpha_interval: tuple[float, float]
    beta_interval: tuple[float, float]
    scale_interval: tuple[float, float]
    log_likelihood: float
    log_likelihood_one_p: float  # the limit alpha, beta -> infinity: every problem has p = sum c / sum n
    num_problems: int
    num_never_solved: int  # problems with c = 0: kept, the likelihood uses them
    level: float
    boot: np.ndarray  # (B, 3) replicates of (alpha, beta, scale)
    num_failed_boot: int = 0  # replicates left out of the intervals (NaN)
    DEGENERATE_P: ClassVar[float] = 0.05  # the level of the test in :attr:`degenerate`

    @property
    def degenerate(self) -> bool:
        """The counts are consistent with one common p: no spread, so no tail and no power law.

        Likelihood-ratio test against the point-mass limit, on the boundary of the parameter space,
        so the null distribution is a 50:50 mix of chi2_0 and chi2_1 (Self & Liang 1987): 5% at 2.71.
        """
        critical = float(chi2.ppf(1 - 2 * self.DEGENERATE_P, 1))  # 2.706 at 5%
        return bool(2 * (self.log_likelihood - self.log_likelihood_one_p) < critical)

    @property
    def exponent(self) -> float:
        """Large-k exponent of ``-log pass_D@k ~ Gamma(alpha+beta)/(Gamma(beta) s^alpha) k^-alpha``: -alpha."""
        return -self.alpha

    def coverage(self, k) -> np.ndarray:
        return beta_coverage(k, self.alpha, self.beta, self.scale)

    def power_law(self, k) -> tuple[float, float]:
        """(a, b) of the power law fitted to this distribution's exact curve at ``k`` (arXiv:2502.17578)."""
        a, b = fit_power_law_curve(k, self.coverage(check_ks(k)))
        return float(a), float(b)


# Box for theta = (log alpha, log beta, logit scale). alpha > e^7 ~ 1100 is a point mass in all but
# name (relative spread < 3%); counts that look like one common p push alpha there (see degenerate).
_LOWER, _UPPER = np.array([-15.0, -15.0, -30.0]), np.array([7.0, 25.0, 30.0])


def _to_params(theta: np.ndarray) -> tuple:
    """theta (..., d) = (log alpha, log beta[, logit scale]) -> alpha, beta, scale, each (..., 1)."""
    scale = sp.expit(theta[..., 2:3]) if theta.shape[-1] == 3 else 1.0
    return np.exp(theta[..., 0:1]), np.exp(theta[..., 1:2]), scale


def fit_beta(num_samples, num_correct, *, scaled=False, n_boot=1000, level=0.95, seed=0, boot_steps=None) -> BetaFit:
    """Maximum-likelihood ``p ~ scale * Beta(alpha, beta)`` from counts (beta-binomial; arXiv:2502.17578).

    Maximises ``sum_i log P(c_i | n_i)`` (``beta_binomial_logpmf``) over (log alpha, log beta[, logit
    scale]) by Nelder-Mead from several initial values (moments of c/n; alpha in {0.1, 0.5, 2} with
    the mean of c/n matched; for the scaled fit the two-parameter optimum at two scales), keeping the best.

    Parameters
    ----------
    num_samples, num_correct : array_like, shape (P,); every n >= 1. Never-solved problems are data.
    scaled : also fit the upper end ``scale`` of the support (the scaled Beta of arXiv:2502.17578).
    n_boot, level, seed : bootstrap over problems (0: no intervals).
    boot_steps : Newton steps per bootstrap replicate; default 3 (two-parameter: equals a refit) or 1
        (scaled: its quadrature likelihood is too costly to re-differentiate per replicate, and its
        (beta, scale) are weakly identified, so these intervals are approximate; alpha's is the usable one).
    """
    n, c = check_counts(num_samples, num_correct)
    order = canonical_order(n, c)  # the likelihood's sums and the bootstrap in the canonical order of problems
    n, c = n[order], c[order]
    if n.size == 0 or np.any(n == 0):
        raise ValueError("fit_beta needs at least one problem and n >= 1 for every problem (drop those with n = 0)")
    if not np.any(c > 0):
        raise ValueError(f"no problem was ever solved (c = 0 in all {n.size}); the Beta MLE does not exist")
    if np.all(c == n):
        raise ValueError(f"every sample of all {n.size} problems is correct; the Beta MLE does not exist")

    def loglik(theta):  # theta (B, d) -> (B, P)
        return beta_binomial_logpmf(n, c, *_to_params(theta))

    def objective(theta):
        theta = np.clip(theta, _LOWER[:theta.size], _UPPER[:theta.size])
        return -float(loglik(theta[None])[0].sum())

    def best_of(starts):  # Nelder-Mead from each initial value (simplex of side 0.5), keep the best
        simplex = lambda x0: np.vstack([x0, x0 + 0.5 * np.eye(len(x0))])  # noqa: E731
        runs = [scipy.optimize.minimize(objective, x0, method="Nelder-Mead", options={
            "initial_simplex": simplex(np.asarray(x0, dtype=float)), "xatol": 1e-5, "fatol": 1e-7, "maxiter": 4000})
            for x0 in starts]
        return min(runs, key=lambda r: r.fun)

    p_hat = c / n
    mu, var = p_hat.mean(), max(p_hat.var(), 1e-12)
    common = max(mu * (1 - mu) / var - 1, 1e-3)  # method of moments: alpha + beta
    best = best_of([np.log([max(mu * common, 1e-3), max((1 - mu) * common, 1e-3)])]  # and the mean of c/n
                   + [np.log([a0, a0 * (1 - mu) / mu]) for a0 in (0.1, 0.5, 2.0)])  # at several alpha
    if scaled:
        top = float(np.clip(p_hat.max(), 0.02, 0.98))
        best = best_of([[*best.x, sp.logit(s0)] for s0 in (top, 0.99)])  # just above max c/n, and ~unscaled
    theta_hat = np.clip(best.x, _LOWER[:best.x.size], _UPPER[:best.x.size])
    steps = (1 if scaled else 3) if boot_steps is None else boot_steps
    weights = bootstrap_weights(n.size, n_boot, seed)
    theta_boot = newton_bootstrap(loglik, theta_hat, weights, steps) if n_boot else np.zeros((0, theta_hat.size))
    theta_boot = np.clip(theta_boot, _LOWER[:theta_hat.size], _UPPER[:theta_hat.size])
    a_b, b_b, s_b = _to_params(theta_boot)
    boot = np.column_stack([a_b[:, 0], b_b[:, 0], np.broadcast_to(s_b, a_b.shape)[:, 0]])
    alpha, beta, scale = (float(np.ravel(x)[0]) for x in _to_params(theta_hat))
    p_one = c.sum() / n.sum()
    one_p = float(np.sum(sp.gammaln(n + 1) - sp.gammaln(c + 1) - sp.gammaln(n - c + 1)
                         + sp.xlogy(c, p_one) + sp.xlog1py(n - c, -p_one)))
    lower, upper, failed = percentile_band(boot, level) if n_boot else (np.full(3, np.nan), np.full(3, np.nan), 0)
    return BetaFit(alpha, beta, scale, *zip(lower.tolist(), upper.tolist()), -float(best.fun), one_p, n.size,
                   int(np.sum(c == 0)), level, boot, failed)
