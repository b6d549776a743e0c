"""What a replay's results say: a tidy table of rules, and the budget a fixed vote needs for a rule's accuracy.

* :func:`results_table`: one row per rule (its family, its settings, mean accuracy, samples and tokens
  per problem with their Monte Carlo standard errors), for figures and printed tables.
* :func:`equal_accuracy_budget`: the saving at equal accuracy. Fixed-budget majority vote, replayed exactly
  at budgets n_1 < n_2 < ..., has mean accuracy A(n); the budget it needs for a rule's accuracy a is
  n* = A^{-1}(a), interpolated linearly on log2 n between the two measured budgets whose accuracies
  bracket a (the first such pair from below; none if a lies outside [A(n_1), max A]). The rule's
  saving is 1 - s / n* for s its expected samples (or tokens, against the fixed vote's tokens at n*,
  linear in n between the two budgets).
  Its interval resamples problems (``ttslib.checks.bootstrap_weights``, problems in the order of their
  ids, so row order cannot matter): each replicate recomputes a, A(n), n* and s on the same resample.
  The replay's Monte Carlo error is not in it; :func:`results_table` states its size.
* :func:`saving`: the share of a fixed budget's cost a rule does not spend, ``1 - sum_p s_p / sum_p f_p``
  over the same problems (the fixed vote at the rule's cap, say), with the same bootstrap band.
* :func:`by_bin`: each rule's mean accuracy and cost within bins of problems (difficulty levels).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from ttslib.adaptive.pool import RuleResult
from ttslib.adaptive.stopping import FixedMajority
from ttslib.checks import bootstrap_weights

__all__ = ["RULE_NAMES", "rule_name", "rule_settings", "results_table", "Saving", "saving", "EqualAccuracy",
           "equal_accuracy_budget", "by_bin"]

RULE_NAMES = {"ESC": "ESC", "AdaptiveConsistency": "Adaptive-Consistency", "ShortestMajority": "shortest majority vote",
              "FixedMajority": "majority vote, fixed n", "OracleBound": "oracle bound", "DeepConfOffline": "DeepConf offline",
              "DeepConfOnline": "DeepConf online", "TwoStage": "two-stage budget"}
_SHORT = {"window": "w", "max_samples": "cap", "threshold": "P", "warmup": "warm-up"}
_SPACED = ("max_samples", "warmup", "explore", "budget")  # "cap 40", not "cap = 40"


def rule_name(rule) -> str:
    """The family of a settings record as figures name it: ``ESC(window=5)`` -> ``"ESC"``."""
    return RULE_NAMES.get(type(rule).__name__, type(rule).__name__)


def rule_settings(rule) -> str:
    """A record's settings as a label shows them, None left out: ``"w = 5, cap 40"``, ``"P = 0.95, cap 40"``, ``"eta = 10, n = 32"``."""
    out = []
    for f in fields(rule):
        v = getattr(rule, f.name)
        if v is not None:
            out.append(f"{_SHORT.get(f.name, f.name)} {v:g}" if f.name in _SPACED else f"{_SHORT.get(f.name, f.name)} = {v:g}")
    return ", ".join(out)


def results_table(results, **columns) -> pd.DataFrame:
    """One row per :class:`RuleResult`: ``rule`` (family), ``settings``, ``record`` (the settings record),
    ``accuracy``, ``samples``, ``tokens`` (means over problems) and their standard errors ``*_se`` (the
    replay's Monte Carlo error; 0 where exact), ``method``, ``problems``; ``columns`` are added as constants
    (``pool="SmolLM2-135M arithmetic"``)."""
    rows = []
    for r in results:
        if not isinstance(r, RuleResult):
            raise TypeError(f"results must be RuleResult records (from replay); got {type(r).__name__}")
        mean = r.mean
        rows.append({"rule": rule_name(r.rule), "settings": rule_settings(r.rule), "record": r.rule,
                     "accuracy": mean[0], "samples": mean[1], "tokens": mean[2], "accuracy_se": r.mean_se[0],
                     "samples_se": r.mean_se[1], "tokens_se": r.mean_se[2], "method": r.method, "problems": r.accuracy.size})
    return pd.DataFrame(rows).assign(**columns)


@dataclass(frozen=True)
class Saving:
    """``1 - spent / fixed`` (means over problems) and its bootstrap band ``lower``, ``upper`` over problems."""

    spent: float
    fixed: float
    saving: float
    lower: float
    upper: float
    n_boot: int


def _weights(ids, n_boot: int, seed: int):
    """Problems in id order (row order cannot matter) and (1 + B, P) weights: row 0 the estimate, then B resamples."""
    ids = np.asarray(ids, dtype=str)
    P = ids.size
    return np.argsort(ids, kind="stable"), np.vstack([np.ones(P), bootstrap_weights(P, n_boot, seed)]) / P


def saving(spent, fixed, *, ids, n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> Saving:
    """The share of ``fixed`` (P,) cost per problem that ``spent`` (P,) does not use, ``1 - mean(spent) / mean(fixed)``,
    with its percentile band over ``n_boot`` resamples of the problems ``ids`` (P,)."""
    spent, fixed = np.asarray(spent, dtype=float), np.asarray(fixed, dtype=float)
    if spent.shape != fixed.shape or spent.shape != np.shape(ids) or spent.ndim != 1:
        raise ValueError(f"spent, fixed and ids must be (P,) each; got {spent.shape}, {fixed.shape}, {np.shape(ids)}")
    if not (np.all(np.isfinite(spent)) and np.all(np.isfinite(fixed)) and np.all(fixed >= 0)) or fixed.sum() <= 0:
        raise ValueError("spent and fixed must be finite, fixed >= 0 with a positive total")
    order, w = _weights(ids, n_boot, seed)
    ratio = 1 - (w @ spent[order]) / (w @ fixed[order])
    lower, upper = np.quantile(ratio[1:], [(1 - level) / 2, (1 + level) / 2]) if n_boot else (np.nan, np.nan)
    return Saving(float(spent[order].mean()), float(fixed[order].mean()), float(ratio[0]), float(lower), float(upper), int(n_boot))


@dataclass(frozen=True)
class EqualAccuracy:
    """A rule against fixed-budget majority vote at the rule's own accuracy (module docstring).

    ``accuracy`` the rule's mean accuracy; ``spent`` its mean cost (samples or tokens, ``unit``); ``budget``
    the fixed vote's budget n* for that accuracy (NaN: outside the measured budgets' accuracies) and
    ``fixed_cost`` its cost there; ``saving`` 1 - spent / fixed_cost; ``lower``, ``upper`` the percentile
    band of the saving over ``n_boot`` resamples of problems, of which ``outside`` had no n* (left out;
    a band from fewer than 95% of them is NaN).
    """

    rule: object
    unit: str
    accuracy: float
    spent: float
    budget: float
    fixed_cost: float
    saving: float
    lower: float
    upper: float
    n_boot: int
    outside: int


def _matched(curve_acc, log_n, cost, target):
    """n* and the fixed vote's cost there for each column: curve_acc (J, B), cost (J, B), target (B,).
    n* is interpolated on log2 n in accuracy; the cost at n* linearly in n between the two budgets (for
    samples, n* itself; for tokens, n* samples' tokens)."""
    J, B = curve_acc.shape
    n = 2.0 ** log_n
    budget, spent = np.full(B, np.nan), np.full(B, np.nan)
    for b in range(B):
        a = curve_acc[:, b]
        for j in range(J - 1):
            lo, hi = a[j], a[j + 1]
            if target[b] == lo or (lo < target[b] <= hi):
                t = 0.0 if target[b] == lo else (target[b] - lo) / (hi - lo)
                budget[b] = 2 ** (log_n[j] + t * (log_n[j + 1] - log_n[j]))
                u = (budget[b] - n[j]) / (n[j + 1] - n[j])
                spent[b] = cost[j, b] + u * (cost[j + 1, b] - cost[j, b])
                break
    return budget, spent


def equal_accuracy_budget(rule: RuleResult, fixed, *, ids, unit: str = "samples", n_boot: int = 1000, seed: int = 0,
                          level: float = 0.95) -> EqualAccuracy:
    """The saving of ``rule`` against majority vote at a fixed budget, at the rule's own accuracy.

    Parameters
    ----------
    rule : the rule's :class:`RuleResult`
    fixed : :class:`RuleResult` of ``FixedMajority(n)`` at two or more budgets n, on the same problems
    ids : (P,) the problems' ids in the results' row order (``Pool.ids``)
    unit : "samples" or "tokens": the cost compared
    n_boot, seed, level : the bootstrap over problems
    """
    if unit not in ("samples", "tokens"):
        raise ValueError(f"unit must be 'samples' or 'tokens'; got {unit!r}")
    fixed = sorted(fixed, key=lambda r: r.rule.n if isinstance(r.rule, FixedMajority) else -1)
    if len(fixed) < 2 or not all(isinstance(r.rule, FixedMajority) for r in fixed):
        raise ValueError("fixed must hold the results of FixedMajority(n) at two or more budgets n")
    P = rule.accuracy.size
    if any(r.accuracy.size != P for r in fixed) or np.shape(ids) != (P,):
        raise ValueError(f"rule, fixed and ids must be of the same {P} problems (ids: the pool's, Pool.ids); got "
                         f"{[r.accuracy.size for r in fixed]} and ids {np.shape(ids)}")
    cost_of = (lambda r: r.samples) if unit == "samples" else (lambda r: r.tokens)
    order, w = _weights(ids, n_boot, seed)
    acc = w @ rule.accuracy[order]
    spent = w @ cost_of(rule)[order]
    curve = np.vstack([w @ r.accuracy[order] for r in fixed])  # (J, 1 + B)
    cost = np.vstack([w @ cost_of(r)[order] for r in fixed])
    log_n = np.log2([r.rule.n for r in fixed])
    budget, fixed_cost = _matched(curve, log_n, cost, acc)
    saving = 1 - spent / fixed_cost
    boot = saving[1:]
    outside = int(np.isnan(boot).sum())
    if n_boot and outside <= 0.05 * n_boot:
        lower, upper = np.quantile(boot[~np.isnan(boot)], [(1 - level) / 2, (1 + level) / 2])
    else:
        lower = upper = np.nan
    return EqualAccuracy(rule.rule, unit, float(acc[0]), float(spent[0]), float(budget[0]), float(fixed_cost[0]),
                         float(saving[0]), float(lower), float(upper), int(n_boot), outside)


def by_bin(results, bins, **columns) -> pd.DataFrame:
    """Each rule's mean accuracy, samples and tokens within each bin: ``bins`` (P,) labels in the pool's row
    order; one row per (rule, bin) with ``problems`` and the Monte Carlo standard errors of the means."""
    bins = np.asarray(bins)
    rows = []
    for r in results:
        if bins.shape != r.accuracy.shape:
            raise ValueError(f"bins must hold one label per problem, ({r.accuracy.size},); got {bins.shape}")
        for b in sorted(set(bins.tolist())):
            part = r.take(bins == b)
            mean = part.mean
            rows.append({"rule": rule_name(r.rule), "settings": rule_settings(r.rule), "record": r.rule, "bin": b,
                         "accuracy": mean[0], "samples": mean[1], "tokens": mean[2], "accuracy_se": part.mean_se[0],
                         "samples_se": part.mean_se[1], "tokens_se": part.mean_se[2], "problems": part.accuracy.size})
    return pd.DataFrame(rows).assign(**columns)
