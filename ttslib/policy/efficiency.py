"""The efficiency multiple: how many times the compute a baseline strategy needs to reach a policy's accuracy.

``multiple_k = C_base(mean acc_k) / mean cost_k`` (Snell et al. report about 4x against best-of-N,
arXiv:2408.03314), with a paired bootstrap over problems. The multiple can be infinite in a resample
(the baseline never gets there), so its band is an order statistic of the resamples
(:func:`ordinal_band`, inverted-CDF quantiles), defined where a mean or an interpolated quantile is not.

Where the multiple is undefined, it is reported so, never as a number: "coincides" (the policy gives
every problem the accuracy and cost of one of the baseline's configs, or the caller marks it as one of
them, as :func:`one_sample_budgets` finds where every config is one sample: it *is* the baseline there,
and the multiple 1 says nothing), "not reached" (the baseline never gets to the policy's accuracy within its
largest budget), "below baseline range" (its smallest budget already does). :class:`EfficiencyFinding`
renders one budget's multiple as a sentence that says which, and how many resamples were censored.
Several budgets judged together form an :func:`efficiency_family`: Holm's adjustment (Holm 1979) over the
bootstrap p-values of ``log multiple = 0`` of the budgets where the multiple is defined, as
:func:`ttslib.findings.family` does for paired findings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ttslib.checks import bootstrap_weights, canonical_order, check_level
from ttslib.findings import holm
from ttslib.policy.strategy import Strategy
from ttslib.policy.table import ACCURACY_ATOL, COST_RTOL

STATUSES = ("reached", "not reached", "below baseline range", "coincides")
ONE_SAMPLE_METHODS = ("majority", "best_of_n", "weighted")  # sampling rules that, at n = 1, return their one sample's answer


def one_sample_budgets(choices: pd.DataFrame, grid, *, single: bool = False, baseline: Strategy | None = None,
                       baseline_ns=None) -> np.ndarray:
    """(K,) bool: the budgets of ``grid`` at which every held-out choice is a sampling rule at n = 1.

    ``choices`` is :attr:`ttslib.policy.PolicyEvaluation.choices`; its rows of folds >= 0 are read, per
    bin (``single=False``: the policy) or the one choice for all bins (``single=True``: the best single
    strategy). Majority vote, best-of-N and weighted best-of-N at n = 1 all return the one sample drawn,
    so each scores pass@1 in expectation at the cost of one sample: where every choice is one of them,
    the policy *is* any of them at n = 1, although a Monte Carlo estimate (weighted best-of-N beyond its
    exact range) makes their per-problem values differ by its error. With ``baseline`` and its
    ``baseline_ns``, a budget also needs the baseline to be such a rule with n = 1 among its budgets
    (pass the result as ``efficiency_multiple(..., same=...)``).
    """
    need = {"fold", "bin", "grid_n", "strategy", "n"} - set(choices.columns)
    if need:
        raise ValueError(f"choices must be a PolicyEvaluation's choices table; it lacks {sorted(need)}")
    grid = np.atleast_1d(np.asarray(grid, dtype=float))
    rows = choices[(choices["fold"] >= 0) & ((choices["bin"] == "all") == single)]
    out = np.array([bool(len(r)) and all(s.method in ONE_SAMPLE_METHODS and n == 1 for s, n in zip(r["strategy"], r["n"]))
                    for r in (rows[rows["grid_n"] == g] for g in grid)], dtype=bool)
    if baseline is not None:
        if not isinstance(baseline, Strategy):
            raise TypeError(f"baseline must be a Strategy record; got {baseline!r}")
        if baseline.method not in ONE_SAMPLE_METHODS or 1 not in np.asarray(baseline_ns, dtype=float):
            out[:] = False
    return out


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
                        seed: int = 0, same=None) -> pd.DataFrame:
    """How many times the compute the baseline needs to reach each of a policy's accuracies.

    ``multiple_k = C_base(mean acc_k) / mean cost_k`` with ``C_base`` the baseline's cost to first reach that
    accuracy, interpolated linearly in log cost between its configs (running best); Snell et al. report ~4x
    against best-of-N (arXiv:2408.03314). ``accuracy, cost`` (P, K) and ``baseline_*`` (P, Kb) per problem,
    the same problems in the same order (a paired bootstrap over problems). Where the baseline never
    reaches the accuracy the multiple is NaN with status "not reached" (inf in the bootstrap) and ``bound``
    = its largest cost / the policy's, which the multiple exceeds if the baseline ever gets there; where its
    cheapest config already exceeds it, NaN with "below baseline range" (0 in the bootstrap) and ``bound``
    = its smallest cost / the policy's, an upper bound. Where the policy's accuracy and cost equal those of
    one baseline config on every problem (within ``ACCURACY_ATOL`` and ``COST_RTOL``), NaN with "coincides"
    and a NaN band: the two are the same there; ``same`` (K,) bool marks more budgets where the caller knows
    the policy to be one of the baseline's configs although Monte Carlo error makes their values differ
    (:func:`one_sample_budgets`). ``p_reached`` and ``p_below`` are the shares of resamples
    in which the baseline reaches the accuracy, and in which its cheapest config already exceeds it.
    ``p_value`` is the two-sided bootstrap p-value of multiple = 1 (log multiple = 0), ``2 min(#(m* <= 1) + 1,
    #(m* >= 1) + 1) / (B + 1)`` capped at 1 (Davison and Hinkley 1997, ch. 4), a censored replicate counted
    on its side; NaN where the status is not "reached".
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
    p_value = np.minimum(1.0, 2 * (np.minimum((boot <= 1).sum(0), (boot >= 1).sum(0)) + 1) / (boot.shape[0] + 1))
    coincide = (np.isclose(a[:, :, None], ba[:, None, :], rtol=0, atol=ACCURACY_ATOL)
                & np.isclose(c[:, :, None], bc[:, None, :], rtol=COST_RTOL, atol=0)).all(0).any(-1)  # (K,): one config equals it
    if same is not None:
        marked = np.asarray(same)
        if marked.dtype != bool or marked.shape != coincide.shape:
            raise ValueError(f"same must be a ({coincide.size},) bool array, one per budget; got {same!r}")
        coincide = coincide | marked
    status = np.where(coincide, 3, status)
    bound = np.where(status == 1, bc.mean(0).max(), np.where(status == 2, bc.mean(0).min(), np.nan)) / c.mean(0)
    return pd.DataFrame({"accuracy": a.mean(0), "cost": c.mean(0), "baseline_cost": np.where(coincide, np.nan, need),
                         "multiple": np.where(coincide, np.nan, need / c.mean(0)), "lower": np.where(coincide, np.nan, lo),
                         "upper": np.where(coincide, np.nan, hi), "status": np.array(STATUSES)[status], "bound": bound,
                         "p_reached": (boot_status == 0).mean(0), "p_below": (boot_status == 2).mean(0),
                         "p_value": np.where(status == 0, p_value, np.nan)})


@dataclass(frozen=True)
class EfficiencyFinding:
    """One budget's efficiency multiple of ``policy`` against ``baseline`` (a row of :func:`efficiency_multiple`).

    ``verdict``: "above 1" / "below 1" where the multiple is defined and its ``level`` band lies above / below 1,
    "not shown" where the band holds 1, "undefined" where the status is not "reached" (the sentence says why
    and gives ``bound``). ``p_reached`` and ``p_below``: shares of resamples in which the baseline reached the
    accuracy, and in which its cheapest config already exceeded it (those count as inf and 0 in the band).
    ``p_value``: the bootstrap p-value of multiple = 1. ``family_size`` > 1 marks a finding judged in an
    :func:`efficiency_family`; ``adjusted_shown`` is then whether Holm's adjustment rejects multiple = 1, and
    the verdict is "above 1" / "below 1" only where both the band and the adjustment say so.
    """

    policy: str
    baseline: str
    budget: str
    accuracy: float
    cost: float
    multiple: float
    lower: float
    upper: float
    status: str
    bound: float
    p_reached: float
    p_below: float
    level: float = 0.95
    p_value: float = float("nan")
    family_size: int = 1
    adjusted_shown: bool | None = None

    @property
    def unadjusted_verdict(self) -> str:
        """The verdict of this budget's band alone, before any adjustment."""
        if self.status != "reached":
            return "undefined"
        return "above 1" if self.lower > 1 else "below 1" if self.upper < 1 else "not shown"

    @property
    def verdict(self) -> str:
        if self.family_size > 1 and self.unadjusted_verdict in ("above 1", "below 1") and not self.adjusted_shown:
            return "not shown"
        return self.unadjusted_verdict

    def short(self, decimals: int = 2) -> str:
        """``budget 4: 0.82 [0.69, 0.95], below 1``: the multiple, its band, verdict and any censoring."""
        d = decimals
        if self.status == "coincides":
            return (f"{self.budget}: undefined (the policy coincides with {self.baseline} here: one of its configurations, "
                    "problem by problem, or one-sample rules, which all score pass@1)")
        if self.status == "not reached":
            return (f"{self.budget}: undefined ({self.baseline} does not reach the policy's accuracy {self.accuracy:.3f} within its "
                    f"largest budget, {self.bound:.{d}f}x the policy's cost; reached in {self.p_reached:.1%} of resamples)")
        if self.status == "below baseline range":
            return (f"{self.budget}: undefined ({self.baseline}'s smallest budget, {self.bound:.{d}f}x the policy's cost, already "
                    f"exceeds the policy's accuracy {self.accuracy:.3f})")
        hi = "inf)" if np.isinf(self.upper) else f"{self.upper:.{d}f}]"
        text = f"{self.budget}: {self.multiple:.{d}f} [{self.lower:.{d}f}, {hi}, {self.verdict}"
        notes = [f"{self.unadjusted_verdict} before Holm's adjustment over {self.family_size}" if self.verdict != self.unadjusted_verdict
                 else f"after Holm's adjustment over {self.family_size}"] if self.family_size > 1 and self.unadjusted_verdict != "not shown" else []
        notes += [f"in {share:.1%} of resamples {what}" for share, what in
                  ((1 - self.p_reached - self.p_below, f"{self.baseline} never reaches the policy's accuracy, counted as inf"),
                   (self.p_below, f"{self.baseline}'s smallest budget already goes past it, counted as 0")) if share > 1e-9]
        return text + (f" ({'; '.join(notes)})" if notes else "")

    def sentence(self, decimals: int = 2) -> str:
        return (f"Efficiency multiple of {self.policy} against {self.baseline} (the baseline's tokens to reach the policy's "
                f"accuracy / the policy's tokens; {self.level:.0%} paired bootstrap band over problems), {self.short(decimals)}.")

    def __str__(self) -> str:
        return self.sentence()


def efficiency_findings(table: pd.DataFrame, *, policy: str, baseline: str, budgets, level: float = 0.95) -> list[EfficiencyFinding]:
    """One :class:`EfficiencyFinding` per row of an :func:`efficiency_multiple` table; ``budgets`` (K,) names
    each row as the sentence should print it ("budget 4")."""
    budgets = list(budgets)
    if len(budgets) != len(table):
        raise ValueError(f"budgets must name each of the table's {len(table)} rows; got {len(budgets)}")
    missing = {"accuracy", "cost", "multiple", "lower", "upper", "status", "bound", "p_reached", "p_below"} - set(table.columns)
    if missing:
        raise ValueError(f"table must be an efficiency_multiple table; it lacks {sorted(missing)}")
    return [EfficiencyFinding(policy, baseline, str(b), float(r.accuracy), float(r.cost), float(r.multiple), float(r.lower),
                              float(r.upper), str(r.status), float(r.bound), float(r.p_reached), float(r.p_below), level,
                              float(getattr(r, "p_value", np.nan)))
            for b, r in zip(budgets, table.itertuples())]


def efficiency_family(findings: Sequence[EfficiencyFinding]) -> list[EfficiencyFinding]:
    """The budgets' multiples judged together: Holm's adjustment at ``1 - level`` over the p-values of the
    findings whose multiple is defined (status "reached"); the others are returned unchanged (no verdict).

    Returns the findings in order, the defined ones with ``family_size`` (how many are defined) and
    ``adjusted_shown`` set. All must share one level, and every defined one needs a p-value (a table made by
    :func:`efficiency_multiple`).
    """
    findings = list(findings)
    levels = {f.level for f in findings}
    if len(levels) > 1:
        raise ValueError(f"an efficiency family's findings must share one level; got {sorted(levels)}")
    defined = [i for i, f in enumerate(findings) if f.status == "reached"]
    if any(np.isnan(findings[i].p_value) for i in defined):
        raise ValueError("every defined finding of an efficiency family needs a p_value (a table from efficiency_multiple); found NaN")
    if not defined:
        return findings
    shown = holm([findings[i].p_value for i in defined], alpha=1 - levels.pop())
    out = list(findings)
    for i, s in zip(defined, shown):
        out[i] = replace(findings[i], family_size=len(defined), adjusted_shown=bool(s))
    return out
