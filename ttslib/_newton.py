"""The k-step Newton bootstrap behind ``ttslib.beta.fit_beta`` (Andrews 2002, Econometrica 70:119),
kept apart so that ``beta`` reads in one sitting: per-problem derivatives of a log-likelihood by
central differences, and Newton steps on each bootstrap replicate's reweighted log-likelihood.
"""

from __future__ import annotations

import numpy as np


def derivatives(loglik, theta: np.ndarray, h: float = 1e-3):
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


def newton_bootstrap(loglik, theta_hat: np.ndarray, weights: np.ndarray, steps: int, chunk: int = 50) -> np.ndarray:
    """k-step bootstrap: Newton steps on each replicate's weighted log-likelihood, from theta_hat.

    Step 1 reuses the per-problem derivatives at theta_hat for every replicate (one evaluation in
    all); later steps differentiate at each replicate's own estimate, ``chunk`` replicates at a time.
    A replicate whose Hessian is not negative definite takes the full-data Hessian instead.
    """
    grad0, hess0 = (x[0] for x in derivatives(loglik, theta_hat[None]))  # (P, d), (P, d, d)
    theta = np.repeat(theta_hat[None], weights.shape[0], axis=0)  # (B, d)
    for step in range(steps):
        if step == 0:
            g, H = weights @ grad0, np.einsum("bp,pde->bde", weights, hess0)
        else:
            parts = [derivatives(loglik, theta[i:i + chunk]) for i in range(0, len(theta), chunk)]
            grad, hess = (np.concatenate(x) for x in zip(*parts))
            g, H = np.einsum("bp,bpd->bd", weights, grad), np.einsum("bp,bpde->bde", weights, hess)
        concave = np.all(np.linalg.eigvalsh(H) < 0, axis=-1)
        H = np.where(concave[:, None, None], H, hess0.sum(0) * (weights.sum(1) / weights.shape[1])[:, None, None])
        theta = theta + np.clip(-np.linalg.solve(H, g[..., None])[..., 0], -2, 2)  # <= factor e^2 per step
    return theta
