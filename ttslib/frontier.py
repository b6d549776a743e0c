"""The iso-FLOPs frontier: for each target score, which model reaches it with the fewest FLOPs.

Each model's curve is a score (coverage, accuracy) at increasing budgets k with their FLOPs (from
``ttslib.flops``, e.g. :func:`ttslib.flops.flops_at_k`). A model reaches a target at the first budget
whose best score so far is at or above it; the frontier is the cheapest model per target, the view of
Large Language Monkeys (Brown et al. 2024, arXiv:2407.21787, Fig. 4) and of Snell et al. 2024
(arXiv:2408.03314, Sec. 7) when comparing a small model sampling more with a large one sampling less.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["flops_to_reach", "iso_flops_frontier"]


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
