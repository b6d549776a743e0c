"""Scaling-law fits for repeated sampling: the power law of the curve, and the distribution behind it.

Two estimators of how coverage grows with the number of samples k:

1. The exponentiated power law of Large Language Monkeys (Brown et al. 2024, arXiv:2407.21787, Sec. 3),
   ``coverage(k) ~ exp(a * k^b)`` with a, b < 0. On log-log axes ``log(-log coverage) = log(-a) + b log k``
   is a line, so the least-squares fit has a closed form, vectorised here over bootstrap replicates.
2. The distributional view of Schaeffer et al. 2025 (arXiv:2502.17578): per-problem success
   probabilities ``p ~ s * Beta(alpha, beta)``, fitted to the counts (n, c) by maximum likelihood with
   the binomial sampling noise in the likelihood (beta-binomial). The aggregate curve is then exact,
   ``pass_D@k = 1 - E[(1 - p)^k]`` (``= 1 - B(alpha, beta + k) / B(alpha, beta)`` when s = 1), and its
   power-law exponent for large k is ``b = -alpha``.

Bootstrap intervals resample problems. The power law reuses one (P, K) pass@k matrix: a replicate is a
row of multinomial weights, so all replicates cost one matrix product and one closed-form regression.
The Beta fits use a k-step Newton bootstrap (Andrews 2002, Econometrica 70:119): each replicate starts
at the full-data estimate and takes Newton steps on its reweighted log-likelihood.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.optimize
import scipy.special as sp

from ttslib.coverage import bootstrap_weights, check_counts, check_ks, coverage, log_spaced_ks, pass_at_k

__all__ = ["PowerLawFit", "BetaFit", "fit_power_law_curve", "fit_power_law", "beta_binomial_logpmf",
           "beta_coverage", "fit_beta", "subsample_counts", "backtest"]


@dataclass(frozen=True)
class PowerLawFit:
    """``coverage(k) = exp(a * k**b)`` fitted to one coverage curve; intervals are bootstrap percentiles."""

    a: float
    b: float
    a_interval: tuple[float, float]
    b_interval: tuple[float, float]
    k: np.ndarray  # (K,) budgets the fit used (0 < coverage < 1 there)
    coverage: np.ndarray  # (K,) observed coverage at those k
    num_problems: int
    num_never_solved: int  # problems with c = 0: kept, they hold coverage below 1
    level: float
    boot: np.ndarray  # (B, 2) bootstrap replicates of (a, b)

    def predict(self, k) -> np.ndarray:
        return np.exp(self.a * np.asarray(k, dtype=float) ** self.b)


def fit_power_law_curve(k, cov) -> tuple[np.ndarray, np.ndarray]:
    """Closed-form least squares of ``log(-log cov) = log(-a) + b log k`` (arXiv:2407.21787, Sec. 3).

    ``k``: (K,); ``cov``: (..., K). Points with coverage 0 or 1 (where the log-log transform is
    undefined) are left out of that curve's fit. Returns ``a, b`` of shape (...); NaN for a curve
    with fewer than two usable points.
    """
    x = np.log(check_ks(k).astype(float))
    cov = np.asarray(cov, dtype=float)
    if cov.shape[-1:] != x.shape or not np.all(np.isfinite(cov)) or np.any((cov < 0) | (cov > 1)):
        raise ValueError(f"coverage must be finite in [0, 1] with last axis of length {x.size}; got shape {cov.shape}")
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


def _interval(boot: np.ndarray, level: float) -> list[tuple[float, float]]:
    if boot.shape[0] == 0:
        return [(np.nan, np.nan)] * boot.shape[1]
    lo, hi = np.nanquantile(boot, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return list(zip(lo.tolist(), hi.tolist()))


def fit_power_law(num_samples, num_correct, k=None, *, n_boot=1000, level=0.95, seed=0, beyond_n="raise"):
    """Fit ``coverage(k) = exp(a k^b)`` (arXiv:2407.21787, Sec. 3) with a bootstrap over problems.

    Parameters
    ----------
    num_samples, num_correct : array_like, shape (P,)
    k : array_like of int, shape (K,), optional
        Budgets to fit on; default 40 log-spaced k from 1 to min(n), where every problem has an
        unbiased pass@k (as the paper, which fits on 40 log-spaced k).
    n_boot, level, seed : bootstrap resamples of problems (0: no intervals), interval level, RNG seed.
    beyond_n : passed to ``ttslib.coverage.pass_at_k``.

    Returns
    -------
    PowerLawFit. Raises ``ValueError`` if fewer than two k have 0 < coverage < 1 (e.g. a model that
    never succeeds, or a single k).
    """
    n, _ = check_counts(num_samples, num_correct)
    if k is None:
        if n.size == 0 or n.min() < 2:
            raise ValueError(f"the default k needs every problem to have n >= 2; smallest n is {n.min() if n.size else None}")
        k = log_spaced_ks(int(n.min()), 40)
    ks = check_ks(k)
    per_problem = pass_at_k(num_samples, num_correct, ks, beyond_n=beyond_n).reshape(n.size, -1)  # (P, K)
    cov = per_problem.mean(axis=0)
    use = (cov > 0) & (cov < 1)
    if np.count_nonzero(use) < 2 or np.unique(ks[use]).size < 2:
        raise ValueError(
            f"a power law needs coverage strictly between 0 and 1 at two or more distinct k; got coverage "
            f"{np.round(cov, 4).tolist()[:8]} at k = {ks.tolist()[:8]}"
            + (" (the model never succeeds)" if not np.any(cov > 0) else "")
        )
    a, b = fit_power_law_curve(ks[use], cov[use])
    boot_cov = bootstrap_weights(n.size, n_boot, seed) @ per_problem[:, use] / n.size  # (B, K')
    boot = np.stack(fit_power_law_curve(ks[use], boot_cov), axis=-1)  # (B, 2)
    a_int, b_int = _interval(boot, level)
    return PowerLawFit(float(a), float(b), a_int, b_int, ks[use], cov[use], n.size,
                       int(np.sum(np.asarray(num_correct) == 0)), level, boot)


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

    @property
    def degenerate(self) -> bool:
        """The counts are consistent with one common p: no spread, so no tail and no power law.

        Likelihood-ratio test against the point-mass limit, on the boundary of the parameter space,
        so the null distribution is a 50:50 mix of chi2_0 and chi2_1 (Self & Liang 1987): 5% at 2.71.
        """
        return bool(2 * (self.log_likelihood - self.log_likelihood_one_p) < 2.71)

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


def _derivatives(loglik, theta: np.ndarray, h: float = 1e-3):
    """Per-problem gradient (B, P, d) and Hessian (B, P, d, d) of ``loglik`` by central differences."""
    d = theta.shape[-1]
    unit = h * np.eye(d)
    pairs = [(i, j) for i in range(d) for j in range(d)]
    shifts = [np.zeros(d), *unit, *-unit] + [si * unit[i] + sj * unit[j] for i, j in pairs if i < j
                                             for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1))]
    f = loglik((theta[None] + np.array(shifts)[:, None]).reshape(-1, d)).reshape(len(shifts), len(theta), -1)
    f0, up, down, cross = f[0], f[1:d + 1], f[d + 1:2 * d + 1], iter(f[2 * d + 1:].reshape(-1, 4, *f.shape[1:]))
    hess = np.zeros(f0.shape + (d, d))
    for i, j in pairs:
        if i == j:
            hess[..., i, i] = (up[i] - 2 * f0 + down[i]) / h**2
        elif i < j:
            pp, pm, mp, mm = next(cross)
            hess[..., i, j] = hess[..., j, i] = (pp - pm - mp + mm) / (4 * h**2)
    return np.moveaxis(up - down, 0, -1) / (2 * h), hess


def _newton_bootstrap(loglik, theta_hat: np.ndarray, weights: np.ndarray, steps: int, chunk: int = 50) -> np.ndarray:
    """k-step bootstrap: Newton steps on each replicate's weighted log-likelihood, from theta_hat.

    Step 1 reuses the per-problem derivatives at theta_hat for every replicate (one evaluation in
    all); later steps differentiate at each replicate's own estimate, ``chunk`` replicates at a time.
    A replicate whose Hessian is not negative definite takes the full-data Hessian instead.
    """
    grad0, hess0 = (x[0] for x in _derivatives(loglik, theta_hat[None]))  # (P, d), (P, d, d)
    theta = np.repeat(theta_hat[None], weights.shape[0], axis=0)  # (B, d)
    for step in range(steps):
        if step == 0:
            g, H = weights @ grad0, np.einsum("bp,pde->bde", weights, hess0)
        else:
            parts = [_derivatives(loglik, theta[i:i + chunk]) for i in range(0, len(theta), chunk)]
            grad, hess = (np.concatenate(x) for x in zip(*parts))
            g, H = np.einsum("bp,bpd->bd", weights, grad), np.einsum("bp,bpde->bde", weights, hess)
        concave = np.all(np.linalg.eigvalsh(H) < 0, axis=-1)
        H = np.where(concave[:, None, None], H, hess0.sum(0) * (weights.sum(1) / weights.shape[1])[:, None, None])
        theta = theta + np.clip(-np.linalg.solve(H, g[..., None])[..., 0], -2, 2)  # <= factor e^2 per step
    return theta


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
    theta_boot = _newton_bootstrap(loglik, theta_hat, weights, steps) if n_boot else np.zeros((0, theta_hat.size))
    theta_boot = np.clip(theta_boot, _LOWER[:theta_hat.size], _UPPER[:theta_hat.size])
    a_b, b_b, s_b = _to_params(theta_boot)
    boot = np.column_stack([a_b[:, 0], b_b[:, 0], np.broadcast_to(s_b, a_b.shape)[:, 0]])
    alpha, beta, scale = (float(np.ravel(x)[0]) for x in _to_params(theta_hat))
    p_one = c.sum() / n.sum()
    one_p = float(np.sum(sp.gammaln(n + 1) - sp.gammaln(c + 1) - sp.gammaln(n - c + 1)
                         + sp.xlogy(c, p_one) + sp.xlog1py(n - c, -p_one)))
    return BetaFit(alpha, beta, scale, *_interval(boot, level), -float(best.fun), one_p, n.size,
                   int(np.sum(c == 0)), level, boot)


# ----------------------------------------------------------------------------------------------
# Backtest: fit on the first m samples, predict coverage at a larger budget.

def subsample_counts(num_samples, num_correct, m: int, *, rng) -> np.ndarray:
    """Correct samples among the first ``m`` of each problem: ``Hypergeometric(n, c, m)``.

    Only counts are stored, not the order of samples; if samples are exchangeable (drawn i.i.d.),
    the first m are a uniformly random m-subset, whose number of correct ones is hypergeometric.
    ``rng`` is a ``numpy.random.Generator``. Every problem needs n >= m.
    """
    n, c = check_counts(num_samples, num_correct)
    if np.any(n < m):
        raise ValueError(f"subsample_counts needs n >= m = {m} for every problem; smallest n is {int(n.min())}")
    return rng.hypergeometric(c.astype(np.int64), (n - c).astype(np.int64), m)


def backtest(num_samples, num_correct, *, m=(100, 1000), k_target=10_000, seed=0) -> pd.DataFrame:
    """Fit on the first m samples per problem, predict coverage at ``k_target``, compare with what was seen.

    Only problems with n >= k_target enter (there the observed coverage is the unbiased estimate).
    For each m, three estimators see the same subsample (``subsample_counts``): the power law fitted
    to its coverage on 40 log-spaced k <= m and extrapolated, and the Beta and scaled Beta fitted to
    its counts, whose exact pass_D@k_target is the prediction (arXiv:2502.17578).

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
    ks = log_spaced_ks(k_target, 40)
    observed, observed_b = coverage(n, c, k_target), float(fit_power_law_curve(ks, coverage(n, c, ks))[1])
    rng, rows = np.random.default_rng(seed), []
    for size in m:
        c_m, n_m, ks_m = subsample_counts(n, c, size, rng=rng), np.full(n.size, size), log_spaced_ks(size, 40)
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
