"""Difficulty bins, the per-bin choice of strategy under a compute cap, and its evaluation on held-out folds.

Snell et al. 2024 (arXiv:2408.03314, Sec. 3-5) bin problems by difficulty and, per bin and compute budget,
pick the strategy with the best accuracy, choosing with 2-fold cross-validation; Liu et al. 2025
(arXiv:2502.06703) choose on the test set itself. Here the choice is made on K-1 folds of problems and
scored on the held-out fold, beside the optimistic (same-problem) score.

Conventions. Everything reads the strategy-results table of :mod:`ttslib.policy.table`; a config is a
(:class:`~ttslib.policy.strategy.Strategy`, n) pair, told apart by the record's fields, never by a label.
A config *fits* a compute cap C when its mean cost over the problems the choice is made on is at most
``C (1 + COST_RTOL)``. Within a bin the chosen config has the highest mean accuracy (ties within
``ACCURACY_ATOL``), then the lowest mean cost in the bin, then the first strategy in the records' order
(their fields in declaration order), then the lowest n. Strategies need not share their n: configs
compete by cost, so a strategy with no rows at some n is no candidate there. Bins are labels per problem
(a Series indexed by problem_id); quantile bin 1 is the easiest (highest values). Bands are percentile
bootstrap bands over problems (``ttslib.checks.percentile_band``), drawn in problem-id order.

Bad input raises ValueError: a bad results table, a problem without a bin, a compute cap no config fits,
a bin with fewer problems than folds; TypeError: a reference that is not a Strategy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ttslib.checks import bootstrap_weights, percentile_band
from ttslib.policy.splits import assign_folds
from ttslib.policy.strategy import Strategy
from ttslib.policy.table import ACCURACY_ATOL, COST_RTOL, strategies_of, validate_results

ABSOLUTE_BINS = {1: "easy (pass@1 >= 0.5)", 2: "medium (0.1 <= pass@1 < 0.5)", 3: "hard (pass@1 < 0.1)"}


def difficulty_bins(values, method: str = "quantile", *, num_bins: int = 5) -> pd.Series:
    """Difficulty bin per problem from ``values`` (a Series indexed by problem_id, or (P,)).

    "quantile": ``num_bins`` equal-count bins of pass@1 (oracle) or mean verifier score (predicted), as
    Snell et al. (arXiv:2408.03314); bin ``num_bins - floor(num_bins (r - 1) / P)`` with r the rank from
    the lowest, ties taking the lowest rank, so equal values share a bin (counts equal as far as ties
    allow) and bin 1 is the easiest. "absolute": Liu et al. (arXiv:2502.06703) on pass@1, 1 easy
    (>= 0.5), 2 medium (0.1..0.5), 3 hard (< 0.1) (``ABSOLUTE_BINS``). "given": the values are labels.
    """
    v = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values))
    if v.isna().any():
        raise ValueError(f"values has {int(v.isna().sum())} missing value(s), e.g. for problem {v.index[v.isna()][0]!r}")
    if method == "given":
        return v.rename("bin")
    x = pd.to_numeric(v, errors="raise").to_numpy(dtype=float)
    if method == "quantile":
        if not 1 <= num_bins <= x.size:
            raise ValueError(f"num_bins must lie in 1..{x.size} (the number of problems); got {num_bins}")
        rank = pd.Series(x).rank(method="min").to_numpy()
        return pd.Series(num_bins - np.floor(num_bins * (rank - 1) / x.size).astype(int), index=v.index, name="bin")
    if method == "absolute":
        if np.any((x < 0) | (x > 1)):
            raise ValueError("absolute bins read pass@1: values must lie in [0, 1]")
        return pd.Series(np.where(x >= 0.5, 1, np.where(x >= 0.1, 2, 3)), index=v.index, name="bin")
    raise ValueError(f"method must be 'quantile', 'absolute' or 'given'; got {method!r}")


def _matrices(df):
    """Problem ids (P,) sorted, configs (C,) a sorted list of (Strategy, n), accuracy and cost (P, C) (NaN: no row)."""
    ids, row = np.unique(df["problem_id"].to_numpy(dtype=str), return_inverse=True)
    pairs = list(zip(strategies_of(df), df["n"].to_numpy(dtype=float)))
    configs = sorted(set(pairs))
    where = {config: j for j, config in enumerate(configs)}
    col = np.array([where[p] for p in pairs], dtype=np.int64)
    acc, cost = np.full((ids.size, len(configs)), np.nan), np.full((ids.size, len(configs)), np.nan)
    acc[row, col], cost[row, col] = df["accuracy"].to_numpy(dtype=float), df["cost"].to_numpy(dtype=float)
    return ids, configs, acc, cost


def _bin_codes(bins, ids):
    """Bin index (P,) into the sorted labels (B,) for problems ``ids``; ValueError for a missing bin."""
    b = pd.Series(bins)
    b.index = b.index.astype(str)
    lacking = ~pd.Index(ids).isin(b.index)
    if lacking.any():
        raise ValueError(f"bins has no bin for {int(lacking.sum())} problem(s) of results, e.g. {ids[lacking][0]!r}")
    b = b.loc[ids]
    if b.isna().any():
        raise ValueError(f"bins is missing for problem {b.index[b.isna()][0]!r}")
    labels = pd.unique(b)
    try:
        labels = np.array(sorted(labels), dtype=object)
    except TypeError:  # labels of mixed types: keep their order of appearance
        labels = np.asarray(labels, dtype=object)
    return pd.Index(labels).get_indexer(b.to_numpy()), labels


def bin_curves(results: pd.DataFrame, bins, *, n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Mean accuracy and mean cost of every config in every bin, with the accuracy's standard error over
    the bin's problems and its ``level`` percentile bootstrap band (``n_boot`` resamples of the bin's
    problems, drawn in problem-id order, so the rows' order cannot matter; the band of a mean of values
    in [0, 1] stays in [0, 1]): columns ``bin, strategy, n, accuracy, se, lower, upper, cost,
    num_problems``. A config some of the bin's problems lack gets a NaN band."""
    df = validate_results(results)
    codes, labels = _bin_codes(bins, df["problem_id"].to_numpy())
    out = df.assign(bin=labels[codes], strategy=strategies_of(df)).groupby(["bin", "strategy", "n"], sort=True).agg(
        accuracy=("accuracy", "mean"), se=("accuracy", "sem"), cost=("cost", "mean"), num_problems=("accuracy", "size"))
    out = out.reset_index()
    ids, configs, acc, _ = _matrices(df)  # (P, C), problems sorted by id
    codes, labels = _bin_codes(bins, ids)
    bands = {}
    for b, label in enumerate(labels):
        a = acc[codes == b]  # (P_b, C)
        boot = bootstrap_weights(a.shape[0], n_boot, seed) @ np.nan_to_num(a) / a.shape[0]  # (n_boot, C)
        band = percentile_band(boot, level)
        for j, (strategy, n) in enumerate(configs):
            complete = not np.isnan(a[:, j]).any()
            bands[(label, strategy, n)] = (band.lower[j], band.upper[j]) if complete else (np.nan, np.nan)
    keys = list(zip(out["bin"], out["strategy"], out["n"]))
    out["lower"] = [bands[k][0] for k in keys]
    out["upper"] = [bands[k][1] for k in keys]
    return out[["bin", "strategy", "n", "accuracy", "se", "lower", "upper", "cost", "num_problems"]]


def choose_policy(results: pd.DataFrame, bins, max_cost: float) -> pd.DataFrame:
    """For each bin, the config with the highest mean accuracy among those whose mean cost fits the compute
    cap ``max_cost`` (units of ``cost``); ties: lower cost in the bin, then the records' order, then n (module
    docstring).

    Returns one row per bin: ``bin, strategy, n`` (the config's :class:`Strategy` and n), ``accuracy, cost`` (its means over the
    bin's problems), ``num_problems, max_cost`` (the cap asked for).
    """
    df = validate_results(results)
    ids, configs, acc, cost = _matrices(df)
    codes, labels = _bin_codes(bins, ids)
    return _choose(configs, acc, cost, codes, labels, max_cost)


def _choose(configs, acc, cost, codes, labels, max_cost) -> pd.DataFrame:
    """:func:`choose_policy` on matrices (P, C) of the problems to choose on."""
    fits = cost.mean(0) <= max_cost * (1 + COST_RTOL)
    if not fits.any():
        j = int(np.argmin(cost.mean(0)))
        raise ValueError(f"compute cap {max_cost:g} fits no strategy: the cheapest, {configs[j][0]} at n = {configs[j][1]:g}, "
                         f"costs {cost.mean(0)[j]:g} on average over these {acc.shape[0]} problems")
    rows = []
    for b, label in enumerate(labels):
        a, c = acc[codes == b].mean(0), cost[codes == b].mean(0)  # (C,) means over the bin
        pick = fits & (a >= a[fits].max() - ACCURACY_ATOL)
        pick &= c <= c[pick].min() * (1 + COST_RTOL)
        j = int(np.argmax(pick))  # configs are sorted by their strategy records, then n
        rows.append((label, configs[j][0], configs[j][1], a[j], c[j], int((codes == b).sum()), float(max_cost)))
    return pd.DataFrame(rows, columns=["bin", "strategy", "n", "accuracy", "cost", "num_problems", "max_cost"])


@dataclass(frozen=True)
class PolicyEvaluation:
    """Per-problem outcomes (P, K) at each point of the grid: ``held_out`` (chosen without the problem's
    fold), ``optimistic`` (chosen on all problems), ``single`` / ``single_optimistic`` (one config for every
    bin), each with its realised ``*_cost``. The grid: ``ns`` (the reference strategy's n, or None) and
    ``max_costs`` (the compute cap on all problems). ``choices`` (fold -1: on all problems; bin "all":
    single; ``grid_n``, ``max_cost``) and ``summary`` (n, max_cost, kind, accuracy, lower, upper, cost:
    bootstrap over problems, choices held fixed)."""

    ns: np.ndarray | None
    max_costs: np.ndarray
    problem_ids: np.ndarray
    bins: np.ndarray
    fold: np.ndarray
    held_out: np.ndarray
    held_out_cost: np.ndarray
    optimistic: np.ndarray
    optimistic_cost: np.ndarray
    single: np.ndarray
    single_cost: np.ndarray
    single_optimistic: np.ndarray
    single_optimistic_cost: np.ndarray
    choices: pd.DataFrame
    summary: pd.DataFrame


def _grid(configs, cost, reference, ns, max_costs):
    """The grid (K,) of reference n (or None) and a function rows -> the compute caps (K,) on those rows."""
    if reference is None:
        if max_costs is None or ns is not None:
            raise ValueError("give max_costs (compute caps in units of cost), or a reference strategy and its ns")
        caps = np.atleast_1d(np.asarray(max_costs, dtype=float))
        return None, lambda rows: caps
    if max_costs is not None:
        raise ValueError("with a reference strategy the caps are its mean costs at ns: give ns, not max_costs")
    if not isinstance(reference, Strategy):
        raise TypeError(f"reference must be a Strategy record; got {reference!r}")
    ref_ns = np.array([n for s, n in configs if s == reference], dtype=float)
    if not ref_ns.size:
        raise ValueError(f"reference {reference} is not a strategy of results: {sorted({str(s) for s, _ in configs})}")
    grid = ref_ns if ns is None else np.atleast_1d(np.asarray(ns, dtype=float))
    if not np.isin(grid, ref_ns).all():
        raise ValueError(f"ns must be n of {reference!r} ({ref_ns.tolist()}); got {grid.tolist()}")
    cols = [configs.index((reference, n)) for n in grid]
    return grid, lambda rows: cost[rows][:, cols].mean(0)


def _score_choice(pick, configs, labels, codes_test, single: bool):
    """Column (P_test,) of the config each test problem gets from a choice (one row per bin, or one for all)."""
    where = {config: j for j, config in enumerate(configs)}
    col = np.array([where[(s, n)] for s, n in zip(pick["strategy"], pick["n"])])
    return np.full(codes_test.size, col[0]) if single else col[pd.Index(pick["bin"]).get_indexer(labels)][codes_test]


def _summarise(out, spent, ns, caps, n_boot, level, seed, P):
    """Accuracy of each kind with its percentile bootstrap band over problems (choices held fixed)."""
    weights = bootstrap_weights(P, n_boot, seed) / P  # (B, P)
    rows = []
    for kind, per in [*out.items(), ("held_out - single", out["held_out"] - out["single"])]:
        band = percentile_band(weights @ per, level)
        lo, hi = band.lower, band.upper
        c = spent[kind].mean(0) if kind in spent else np.nan
        rows.append(pd.DataFrame({"n": ns if ns is not None else np.nan, "max_cost": caps, "kind": kind,
                                  "accuracy": per.mean(0), "lower": lo, "upper": hi, "cost": c}))
    return pd.concat(rows, ignore_index=True)


def evaluate_policy(results: pd.DataFrame, bins, *, reference: Strategy | None = None, ns=None, max_costs=None,
                    folds: int = 2, seed: int = 0, n_boot: int = 1000, level: float = 0.95) -> PolicyEvaluation:
    """Choose the policy on K-1 folds of problems (stratified by bin), score it on the held-out fold.

    The grid: with ``reference`` (a :class:`Strategy`, e.g. best-of-N), its n (``ns``, default all of them), the compute cap
    in each fold being the reference's mean cost at that n over the fold's training problems (Snell et al.
    match compute to best-of-N's generations, arXiv:2408.03314); without it, compute caps ``max_costs`` in
    units of cost. Intervals: percentile bootstrap over problems (``level``), with the folds' choices held
    fixed. The steps: :func:`assign_folds`, :func:`choose_policy` per fold and cap, then the summary.
    """
    df = validate_results(results)
    ids, configs, acc, cost = _matrices(df)
    codes, labels = _bin_codes(bins, ids)
    fold = assign_folds(codes, folds, seed, labels)
    grid, caps = _grid(configs, cost, reference, ns, max_costs)
    out = {k: np.empty((ids.size, caps(np.ones(ids.size, bool)).size)) for k in ("held_out", "optimistic", "single", "single_optimistic")}
    spent = {k: np.empty_like(v) for k, v in out.items()}
    chosen = []
    for f in [*range(folds), -1]:  # fold -1: chosen on all problems, scored on them (optimistic)
        train, test = (fold != f, fold == f) if f >= 0 else (np.ones(ids.size, bool),) * 2
        train_results = df[df["problem_id"].isin(ids[train])]
        for single in (False, True):
            key = ("single" if single else "held_out") if f >= 0 else ("single_optimistic" if single else "optimistic")
            train_bins = pd.Series("all" if single else labels[codes[train]], index=ids[train])
            for k, cap in enumerate(caps(train)):
                pick = choose_policy(train_results, train_bins, cap)  # sees the training problems only
                col = _score_choice(pick, configs, labels, codes[test], single)
                out[key][test, k], spent[key][test, k] = acc[test, col], cost[test, col]
                chosen.append(pick.assign(fold=f, grid_n=np.nan if grid is None else grid[k]))
    caps_all = caps(np.ones(ids.size, bool))
    return PolicyEvaluation(grid, caps_all, ids, labels[codes], fold, out["held_out"], spent["held_out"], out["optimistic"],
                            spent["optimistic"], out["single"], spent["single"], out["single_optimistic"],
                            spent["single_optimistic"], pd.concat(chosen, ignore_index=True),
                            _summarise(out, spent, grid, caps_all, n_boot, level, seed, ids.size))


def strategy_curve(results: pd.DataFrame, strategy: Strategy, problem_ids=None):
    """One strategy's n (K,), accuracy and cost (P, K), rows in the order of ``problem_ids``."""
    if not isinstance(strategy, Strategy):
        raise TypeError(f"strategy must be a Strategy record; got {strategy!r}")
    df = validate_results(results)
    ids, configs, acc, cost = _matrices(df)
    own = np.array([s == strategy for s, _ in configs])
    if not own.any():
        raise ValueError(f"strategy {strategy} is not in results: {sorted({str(s) for s, _ in configs})}")
    rows = np.arange(ids.size) if problem_ids is None else pd.Index(ids).get_indexer(np.asarray(problem_ids, dtype=str))
    if np.any(rows < 0):
        raise ValueError(f"problem_ids holds {int((rows < 0).sum())} problem(s) not in results")
    return np.array([n for s, n in configs if s == strategy], dtype=float), acc[rows][:, own], cost[rows][:, own]
