"""The efficiency multiple: how many times the compute a baseline strategy needs to reach a policy's accuracy.

``multiple_k = C_base(mean acc_k) / mean cost_k`` (Snell et al. report about 4x against best-of-N,
arXiv:2408.03314), with a paired bootstrap over problems. The multiple can be infinite in a resample
(the baseline never gets there), so its band is an order statistic of the resamples
(:func:`ordinal_band`, inverted-CDF quantiles), defined where a mean or an interpolated quantile is not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ttslib.checks import bootstrap_weights, canonical_order, check_level
from ttslib.policy.table import ACCURACY_ATOL


def ordinal_band(boot, level: float) -> tuple[np.ndarray, np.ndarray]:
    """``[(1 - level) / 2, (1 + level) / 2]`` quantiles over axis 0 of replicates ``boot`` (B, ...) by the
    inverted empirical CDF (Hyndman and Fan 1996, definition 1): each bound is one of the replicates, so
    replicates may be +-inf (``ttslib.checks.percentile_band`` interpolates, and refuses infinities)."""
    level = check_level(level)
    boot = np.asarray(boot, dtype=float)
    if np.isnan(boot).any():
        raise ValueError(f"boot must hold no NaN; found {int(np.isnan(boot).sum())}")
    lower, upper = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2], axis=0, method="inverted_cdf")
    return lower, upper


def _cost_to_reach(acc, cost, target):
    """Cost at which a curve (..., Kb) first reaches each target (..., K), linear in log cost between
    configs of its running best; status 0 reached, 1 never reached, 2 reached already at its cheapest."""
    order = np.argsort(cost, axis=-1, kind="stable")
    c, a = np.take_along_axis(cost, order, -1), np.maximum.accumulate(np.take_along_axis(acc, order, -1), axis=-1)
    hit = a[..., None, :] >= target[..., :, None] - ACCURACY_ATOL  # (..., K, Kb)
    j = hit.argmax(-1)
    take = lambda x, i: np.take_along_axis(x, i, -1)  # noqa: E731
    a1, a0 = take(a, j), take(a, np.maximum(j - 1, 0))
    frac = np.clip((target - a0) / np.where(a1 > a0, a1 - a0, 1.0), 0, 1)
    log_c = np.log(take(c, np.maximum(j - 1, 0))) + frac * (np.log(take(c, j)) - np.log(take(c, np.maximum(j - 1, 0))))
    status = np.where(~hit.any(-1), 1, np.where((j == 0) & (a[..., :1] > target + ACCURACY_ATOL), 2, 0))
    return np.where(status == 0, np.exp(np.where(j == 0, np.log(c[..., :1]), log_c)), np.nan), status


def efficiency_multiple(accuracy, cost, baseline_accuracy, baseline_cost, *, n_boot: int = 1000, level: float = 0.95,
                        seed: int = 0) -> pd.DataFrame:
    """How many times the compute the baseline needs to reach each of a policy's accuracies.

    ``multiple_k = C_base(mean acc_k) / mean cost_k`` with ``C_base`` the baseline's cost to first reach that
    accuracy, interpolated linearly in log cost between its configs (running best); Snell et al. report ~4x
    against best-of-N (arXiv:2408.03314). ``accuracy, cost`` (P, K) and ``baseline_*`` (P, Kb) per problem,
    the same problems in the same order (a paired bootstrap over problems). Where the baseline never
    reaches the accuracy the multiple is NaN with status "not reached" (inf in the bootstrap) and ``bound``
    = its largest cost / the policy's, which the multiple exceeds if the baseline ever gets there; where its
    cheapest config already exceeds it, NaN with "below baseline range" (0 in the bootstrap) and ``bound``
    = its smallest cost / the policy's, an upper bound.
    """
    arrs = [np.asarray(x, dtype=float) for x in (accuracy, cost, baseline_accuracy, baseline_cost)]
    if arrs[0].ndim != 2 or arrs[1].shape != arrs[0].shape or arrs[3].shape != arrs[2].shape or arrs[2].shape[0] != arrs[0].shape[0]:
        raise ValueError(f"accuracy, cost (P, K) and baseline_accuracy, baseline_cost (P, Kb) must share P; got "
                         f"{[a.shape for a in arrs]}")
    if not all(np.all(np.isfinite(a)) for a in arrs) or np.any(arrs[1].mean(0) <= 0) or np.any(arrs[3].mean(0) <= 0):
        raise ValueError("accuracy and cost must be finite and mean costs > 0 (the multiple is a ratio on a log axis)")
    order = canonical_order(*arrs)  # the paired bootstrap draws problems in their canonical order
    a, c, ba, bc = (x[order] for x in arrs)
    need, status = _cost_to_reach(ba.mean(0), bc.mean(0), a.mean(0))
    w = bootstrap_weights(a.shape[0], n_boot, seed) / a.shape[0]  # (B, P)
    boot_need, boot_status = _cost_to_reach(w @ ba, w @ bc, w @ a)  # (B, K)
    boot = np.where(boot_status == 1, np.inf, np.where(boot_status == 2, 0.0, boot_need / (w @ c)))
    lo, hi = ordinal_band(boot, level)
    names = np.array(["reached", "not reached", "below baseline range"])
    bound = np.where(status == 1, bc.mean(0).max(), np.where(status == 2, bc.mean(0).min(), np.nan)) / c.mean(0)
    return pd.DataFrame({"accuracy": a.mean(0), "cost": c.mean(0), "baseline_cost": need, "multiple": need / c.mean(0),
                         "lower": lo, "upper": hi, "status": names[status], "bound": bound, "p_reached": (boot_status == 0).mean(0)})
