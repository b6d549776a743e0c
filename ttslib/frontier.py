"""The iso-FLOPs frontier: for each target score, which model reaches it with the fewest FLOPs.

Each model's curve is a score (coverage, accuracy) at increasing budgets k with their FLOPs (from
``ttslib.flops``, e.g. :func:`ttslib.flops.flops_at_k`). A model reaches a target at the first budget
whose best score so far is at or above it; the frontier is the cheapest model per target, the view of
Large Language Monkeys (Brown et al. 2024, arXiv:2407.21787, Fig. 4) and of Snell et al. 2024
(arXiv:2408.03314, Sec. 7) when comparing a small model sampling more with a large one sampling less.

"Cheapest" is a point estimate until it has an interval. :func:`cheapest_findings` resamples the
problems (one multinomial reweighting shared by every model, so the comparison is paired), recomputes
each model's FLOPs to reach each target, and compares, per target, the cheapest model with the
runner-up (the second cheapest on all problems) on ``-log10 FLOPs`` (a :class:`ttslib.findings.Finding`:
"ahead" means it needs fewer FLOPs). A model that does not reach the target within its measured
budgets in a resample needs more FLOPs than it was measured for, by an unknown amount: its value there is
the interval from one more budget step to infinity, and the replicate's difference is taken at the
point of that interval nearest to 0 (no difference where the interval holds 0). This can only pull
the interval towards 0, never make a difference look larger.

The cheapest model and the runner-up are picked on all problems and then compared on resamples of the
same problems; they are not re-chosen within each resample. The interval is therefore conditional on
that choice (post-selection): a pick that led by chance on these problems keeps its lead in the
resamples. Each finding's range says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ttslib.findings import Finding, bootstrap_finding

__all__ = ["flops_to_reach", "iso_flops_frontier", "cheapest_findings", "SELECTED"]


def flops_to_reach(flops, score, targets) -> np.ndarray:
    """FLOPs at the first budget whose ``score`` reaches each target, NaN where none does.

    ``flops`` and ``score`` have shape (K,), ordered by budget with ``flops`` increasing; ``targets`` (T,).
    """
    f, s, t = (np.asarray(a, dtype=float) for a in (flops, score, targets))
    if f.ndim != 1 or s.shape != f.shape or f.size == 0:
        raise ValueError(f"flops and score must be 1-d arrays of one length; got shapes {f.shape} and {s.shape}")
    if np.any(np.diff(f) <= 0):
        raise ValueError("flops must increase with the budget")
    if not (np.all(np.isfinite(f)) and np.all(np.isfinite(s)) and np.all(np.isfinite(t))):
        raise ValueError("flops, score and targets must be finite; found NaN or inf")
    best = np.maximum.accumulate(s)  # (K,) best score reached by each budget
    idx = np.searchsorted(best, np.atleast_1d(t), side="left")  # first budget with best >= target
    out = f[np.minimum(idx, f.size - 1)]
    return np.where(idx < f.size, out, np.nan)


def iso_flops_frontier(curves, targets) -> pd.DataFrame:
    """For each target score and each model, the FLOPs and budget k needed to reach it, and which model is cheapest.

    ``curves`` maps a model label to ``(k, flops, score)``, each of shape (K,). Returns a long table
    with columns ``target, model, k, flops, cheapest`` (k and flops NaN where the model never reaches it).
    """
    rows = []
    for label, (k, flops, score) in curves.items():
        reach = flops_to_reach(flops, score, targets)
        k_at = np.interp(reach, np.asarray(flops, float), np.asarray(k, float))  # exact at grid points
        rows.append(pd.DataFrame({"target": np.atleast_1d(targets), "model": label, "k": np.where(np.isnan(reach), np.nan, k_at), "flops": reach}))
    table = pd.concat(rows, ignore_index=True)
    least = table.groupby("target")["flops"].transform("min")
    table["cheapest"] = table["flops"].eq(least) & table["flops"].notna()
    return table


def _reach_index(curves: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """(..., T) index of the first budget whose best score so far reaches each target; K where none does."""
    best = np.maximum.accumulate(curves, axis=-1)  # (..., K)
    hit = best[..., None, :] >= targets[:, None]  # (..., T, K)
    return np.where(hit.any(-1), hit.argmax(-1), curves.shape[-1])


SELECTED = "cheapest and runner-up picked on all problems, then compared on resamples of the same problems"


def cheapest_findings(curves, targets, *, quantity: str = "score", n_boot: int = 1000, seed: int = 0,
                      level: float = 0.95, range: str = "each model's budgets up to its measured samples") -> dict[float, Finding]:
    """Per target, the cheapest model against the runner-up on -log10 FLOPs, paired over problem resamples.

    Parameters
    ----------
    curves : {model: (flops, per_problem)}, ``flops`` (K,) increasing with the budget, ``per_problem`` (P, K)
        each problem's score at those budgets (pass@k for coverage); every model on the same P problems, in
        the same order
    targets : (T,) target mean scores
    quantity : what the score is, for the findings' sentences ("MATH coverage (pass@k, an oracle)")
    n_boot, seed : resamples of problems (multinomial weights from ``numpy.random.default_rng(seed)``)
    range : where the FLOPs were measured, for the findings' sentences: the budgets, and how the FLOPs of a
        sample were obtained (e.g. one assumed length for every model); :data:`SELECTED` is appended

    Returns
    -------
    {target: :class:`ttslib.findings.Finding`} for each target that at least two models reach on all problems: ``a`` the
    cheapest, ``b`` the runner-up, values ``-log10 FLOPs`` (so ``difference`` is log10 of how many times
    fewer FLOPs ``a`` needs). Censored replicates are resolved towards 0 (module docstring).
    """
    targets = np.atleast_1d(np.asarray(targets, dtype=float))
    sizes = {m: np.shape(pp)[0] for m, (_, pp) in curves.items()}
    if len(set(sizes.values())) != 1 or len(sizes) < 2:
        raise ValueError(f"curves must hold at least two models on the same problems; got problems per model {sizes}")
    if n_boot < 2:
        raise ValueError(f"n_boot must be >= 2; got {n_boot}")
    P = next(iter(sizes.values()))
    weights = np.random.default_rng(seed).multinomial(P, np.full(P, 1.0 / P), size=n_boot) / P  # (B, P), shared: paired
    point, low, high = {}, {}, {}  # model -> (T,) log10 FLOPs; (B, T) lower and upper ends of the replicate's value
    for m, (flops, per_problem) in curves.items():
        f = np.log10(np.asarray(flops, dtype=float))
        pp = np.asarray(per_problem, dtype=float)
        if pp.ndim != 2 or pp.shape[1] != f.size or np.any(np.diff(f) <= 0) or not np.isfinite(pp).all():
            raise ValueError(f"curves[{m!r}]: flops must be (K,) increasing and per_problem (P, K) finite; got {f.shape} and {pp.shape}")
        beyond = np.log10(2 * 10 ** f[-1] - 10 ** f[-2]) if f.size > 1 else np.log10(2) + f[-1]  # one more budget step
        ext = np.append(f, beyond)
        i_point = _reach_index(np.sort(pp, axis=0, kind="stable").mean(axis=0), targets)  # (T,)
        i_boot = _reach_index(weights @ pp, targets)  # (B, T)
        point[m] = np.where(i_point < f.size, ext[i_point], np.nan)
        low[m], high[m] = ext[i_boot], np.where(i_boot < f.size, ext[i_boot], np.inf)
    findings = {}
    for t, target in enumerate(targets):
        reached = sorted((point[m][t], m) for m in curves if np.isfinite(point[m][t]))
        if len(reached) < 2:
            continue
        (fa, a), (fb, b) = reached[:2]
        d = np.clip(0.0, low[b][:, t] - high[a][:, t], high[b][:, t] - low[a][:, t])  # log10(F_b / F_a), censoring towards 0
        a_boot = -low[a][:, t]
        censored = int(np.count_nonzero(np.isinf(high[a][:, t]) | np.isinf(high[b][:, t])))
        findings[float(target)] = bootstrap_finding(
            -fa, -fb, a_boot, a_boot - d, a=a, b=b, level=level, num_problems=P, range=f"{range}; {SELECTED}", censored=censored,
            quantity=f"-log10 FLOPs per problem to reach {quantity} {target:g} (higher: fewer FLOPs)")
    return findings
