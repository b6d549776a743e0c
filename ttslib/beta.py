"""The distribution behind the power law: per-problem success probabilities p ~ scale * Beta(alpha, beta).

The distributional view of Schaeffer et al. 2025 (arXiv:2502.17578): per-problem success
probabilities ``p ~ s * Beta(alpha, beta)``, fitted to the counts (n, c) by maximum likelihood with
the binomial sampling noise in the likelihood (beta-binomial). The aggregate curve is then exact,
``pass_D@k = 1 - E[(1 - p)^k]`` (``= 1 - B(alpha, beta + k) / B(alpha, beta)`` when s = 1), and its
power-law exponent for large k is ``b = -alpha`` (the power law itself: ``ttslib.fit``).

Intervals resample problems: each bootstrap replicate takes k Newton steps from the full-data estimate
(Andrews 2002, Econometrica 70:119, ``ttslib._newton``); a replicate whose fit fails (NaN) is counted in
``num_failed_boot`` and left out. A bootstrap over problems needs two problems or more (``n_boot > 0``
with one problem raises ``ValueError``, as ``scipy.stats.bootstrap`` does). The resamples are those of
``ttslib.fit.fit_power_law`` on the same counts and seed (the same weights on the same canonical order of
problems), so replicate j of ``-alpha`` and of the power law's ``b`` come from one resample: the two
exponents can be compared paired (``ttslib.findings.bootstrap_finding``).

The estimate lives in a box (``BOUNDS``): alpha up to e^7 ~ 1100 is a point mass in all but name. Where
the likelihood keeps rising towards an edge of the box (counts with less spread than any Beta mixture,
see :attr:`BetaFit.degenerate`) the estimate sits on that edge, and :attr:`BetaFit.at_bound` names the
parameters there. Newton steps assume a zero gradient, which an edge does not have (stepping from it
gave intervals that excluded their own estimate), so the bootstrap holds those parameters on their edge
(their interval is the single point) and steps in the others, each replicate's best fit given the edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import scipy.optimize
import scipy.special as sp
from scipy.stats import chi2

from ttslib._newton import newton_bootstrap
from ttslib.checks import bootstrap_weights, canonical_order, check_bootstrap_problems, check_counts, check_ks, percentile_band
from ttslib.fit import fit_power_law_curve

__all__ = ["BetaFit", "BOUNDS", "beta_binomial_logpmf", "beta_coverage", "fit_beta"]


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
    at_bound: tuple[str, ...] = ()  # parameters whose estimate sits on an edge of the box BOUNDS (held there by the bootstrap)
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
BOUNDS = {  # the box, in the parameters' own units
    "alpha": (float(np.exp(_LOWER[0])), float(np.exp(_UPPER[0]))),
    "beta": (float(np.exp(_LOWER[1])), float(np.exp(_UPPER[1]))),
    "scale": (float(sp.expit(_LOWER[2])), float(sp.expit(_UPPER[2]))),
}
_AT_BOUND_TOL = 1e-4  # theta this close to an edge is on it (Nelder-Mead stops within ~1e-5 of a flat optimum)


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
    n_boot, level, seed : bootstrap over problems (0: no intervals; more needs two or more problems).
    boot_steps : Newton steps per bootstrap replicate; default 3 (two-parameter: equals a refit) or 1
        (scaled: its quadrature likelihood is too costly to re-differentiate per replicate, and its
        (beta, scale) are weakly identified, so these intervals are approximate; alpha's is the usable one).

    Returns
    -------
    BetaFit. A parameter on an edge of ``BOUNDS`` is named in ``at_bound`` and held there by the
    bootstrap (module docstring). Raises ``ValueError`` for no problem, n = 0, counts never or always
    correct (no MLE), and ``n_boot > 0`` with one problem.
    """
    n, c = check_counts(num_samples, num_correct)
    order = canonical_order(n, c)  # the likelihood's sums and the bootstrap in the canonical order of problems
    n, c = n[order], c[order]
    if n.size == 0 or np.any(n == 0):
        raise ValueError("fit_beta needs at least one problem and n >= 1 for every problem (drop those with n = 0)")
    check_bootstrap_problems(n.size, n_boot, "fit_beta")
    if not np.any(c > 0):
        raise ValueError(f"no problem was ever solved (c = 0 in all {n.size}); the Beta MLE does not exist")
    if np.all(c == n):
        raise ValueError(f"every sample of all {n.size} problems is correct; the Beta MLE does not exist")

    pairs, inverse = np.unique(np.column_stack([n, c]), axis=0, return_inverse=True)  # problems with equal counts
    inverse = inverse.ravel()  # share one likelihood term, computed once: the same bits, fewer evaluations

    def loglik(theta):  # theta (B, d) -> (B, P)
        return beta_binomial_logpmf(pairs[:, 0], pairs[:, 1], *_to_params(theta))[..., inverse]

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
    d = best.x.size
    theta_hat = np.clip(best.x, _LOWER[:d], _UPPER[:d])
    at_bound = (theta_hat <= _LOWER[:d] + _AT_BOUND_TOL) | (theta_hat >= _UPPER[:d] - _AT_BOUND_TOL)  # (d,)
    steps = (1 if scaled else 3) if boot_steps is None else boot_steps
    weights = bootstrap_weights(n.size, n_boot, seed)
    if not n_boot:
        theta_boot = np.zeros((0, d))
    elif not at_bound.any():
        theta_boot = newton_bootstrap(loglik, theta_hat, weights, steps)
    else:  # Newton steps assume a zero gradient; on an edge it is not, so step in the free parameters only
        theta_boot = np.repeat(theta_hat[None], n_boot, axis=0)
        if not at_bound.all():
            def loglik_free(free):  # (B, d_free) -> (B, P), the parameters on an edge held there
                full = np.repeat(theta_hat[None], free.shape[0], axis=0)
                full[:, ~at_bound] = free
                return loglik(full)
            theta_boot[:, ~at_bound] = newton_bootstrap(loglik_free, theta_hat[~at_bound], weights, steps)
    theta_boot = np.clip(theta_boot, _LOWER[:d], _UPPER[:d])
    a_b, b_b, s_b = _to_params(theta_boot)
    boot = np.column_stack([a_b[:, 0], b_b[:, 0], np.broadcast_to(s_b, a_b.shape)[:, 0]])
    alpha, beta, scale = (float(np.ravel(x)[0]) for x in _to_params(theta_hat))
    p_one = c.sum() / n.sum()
    one_p = float(np.sum(sp.gammaln(n + 1) - sp.gammaln(c + 1) - sp.gammaln(n - c + 1)
                         + sp.xlogy(c, p_one) + sp.xlog1py(n - c, -p_one)))
    lower, upper, failed = percentile_band(boot, level) if n_boot else (np.full(3, np.nan), np.full(3, np.nan), 0)
    return BetaFit(alpha, beta, scale, *zip(lower.tolist(), upper.tolist()), -float(best.fun), one_p, n.size,
                   int(np.sum(c == 0)), level, boot, failed, tuple(name for name, on in zip(BOUNDS, at_bound) if on))
