"""Difficulty bins, held-apart splits, the per-bin choice of strategy and its held-out evaluation, and the
efficiency multiple against a baseline strategy (conventions in ``ttslib.policy``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ttslib.checks import canonical_order, percentile_band
from ttslib.coverage import bootstrap_weights
from ttslib.policy.results import _ATOL, _RTOL, validate_results

ABSOLUTE_BINS = {1: "easy (pass@1 >= 0.5)", 2: "medium (0.1 <= pass@1 < 0.5)", 3: "hard (pass@1 < 0.1)"}


def split_sample_indices(*arrays, fraction: float = 0.5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Column indices (P, m) held apart and (P, N - m) the rest, m = round(fraction N), drawn at random per
    problem, each problem's draw tied to its values in ``arrays`` (P, N) (their canonical order), so the
    order of the rows cannot matter."""
    shapes = {np.shape(a) for a in arrays}
    if not arrays or len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise ValueError(f"split_samples needs arrays of one shape (P, N); got shapes {sorted(shapes)}")
    P, N = next(iter(shapes))
    m = int(round(fraction * N))
    if not 1 <= m <= N - 1:
        raise ValueError(f"fraction * N must round to 1..N-1 (both parts non-empty); got fraction={fraction}, N={N}")
    rank = np.empty(P, dtype=np.int64)  # problems draw in their canonical order, so row order cannot matter
    rank[canonical_order(*arrays)] = np.arange(P)
    order = np.argsort(np.random.default_rng(seed).random((P, N))[rank], axis=1, kind="stable")
    return np.sort(order[:, :m], axis=1), np.sort(order[:, m:], axis=1)


def split_samples(*arrays, fraction: float = 0.5, seed: int = 0) -> list[np.ndarray]:
    """Split each problem's N samples at random into round(fraction N) held apart (to estimate its bin)
    and the rest (to score), the same split for every array (P, N). Returns [a_held, a_rest, b_held, ...]."""
    held, rest = split_sample_indices(*arrays, fraction=fraction, seed=seed)
    return [np.take_along_axis(np.asarray(a), idx, 1) for a in arrays for idx in (held, rest)]


def split_counts(num_samples, num_correct, *, fraction: float = 0.5, seed: int = 0):
    """The same split for counts: of n samples with c correct, round(fraction n) held apart hold
    Hypergeometric(n, c, round(fraction n)) correct ones. Returns ((n_held, c_held), (n_rest, c_rest))."""
    n, c = np.asarray(num_samples, dtype=np.int64), np.asarray(num_correct, dtype=np.int64)
    if n.shape != c.shape or np.any(n < 2) or np.any((c < 0) | (c > n)):
        raise ValueError("num_samples (>= 2 each) and num_correct (0..num_samples) must be arrays of one shape")
    m = np.clip(np.round(fraction * n).astype(np.int64), 1, n - 1)
    order = canonical_order(n, c)  # draws in the canonical order of problems, returned in the order given
    c_held = np.empty_like(c)
    c_held[order] = np.random.default_rng(seed).hypergeometric(c[order], (n - c)[order], m[order])
    return (m, c_held), (n - m, c - c_held)


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
    """Problem ids (P,), configs (C,) MultiIndex (strategy, n), accuracy and cost (P, C)."""
    wide = df.pivot(index="problem_id", columns=["strategy", "n"], values=["accuracy", "cost"]).sort_index(axis=1)
    configs = wide["accuracy"].columns
    return wide.index.to_numpy(dtype=str), configs, wide["accuracy"].to_numpy(), wide["cost"][configs].to_numpy()


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
    out = df.assign(bin=labels[codes]).groupby(["bin", "strategy", "n"], sort=True).agg(
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
    cap ``max_cost`` (units of ``cost``); ties: lower cost in the bin, then strategy name, then n (module
    docstring).

    Returns one row per bin: ``bin, strategy, n`` (the config's), ``accuracy, cost`` (its means over the
    bin's problems), ``num_problems, max_cost`` (the cap asked for).
    """
    df = validate_results(results)
    ids, configs, acc, cost = _matrices(df)
    codes, labels = _bin_codes(bins, ids)
    return _choose(configs, acc, cost, codes, labels, max_cost)


def _choose(configs, acc, cost, codes, labels, max_cost) -> pd.DataFrame:
    """:func:`choose_policy` on matrices (P, C) of the problems to choose on."""
    fits = cost.mean(0) <= max_cost * (1 + _RTOL)
    if not fits.any():
        j = int(np.argmin(cost.mean(0)))
        raise ValueError(f"compute cap {max_cost:g} fits no strategy: the cheapest, {configs[j][0]!r} at n = {configs[j][1]:g}, "
                         f"costs {cost.mean(0)[j]:g} on average over these {acc.shape[0]} problems")
    rows = []
    for b, label in enumerate(labels):
        a, c = acc[codes == b].mean(0), cost[codes == b].mean(0)  # (C,) means over the bin
        pick = fits & (a >= a[fits].max() - _ATOL)
        pick &= c <= c[pick].min() * (1 + _RTOL)
        j = int(np.argmax(pick))  # configs are sorted by strategy name, then n
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


def assign_folds(codes: np.ndarray, folds: int, seed: int = 0, labels=None) -> np.ndarray:
    """Fold (P,) of each problem, stratified by bin: each bin's problems, shuffled, dealt round-robin over
    the folds (ValueError where a bin has fewer problems than folds)."""
    if int(folds) != folds or folds < 2:
        raise ValueError(f"folds must be an int >= 2; got {folds}")
    counts = np.bincount(codes)
    small = (counts > 0) & (counts < folds)
    if small.any():
        b = int(np.argmax(small))
        raise ValueError(f"bin {labels[b] if labels is not None else b!r} has {int(counts[small][0])} problem(s), fewer than folds = {folds}: "
                         f"a fold would have no problem of it (merge bins or use fewer folds)")
    rng, fold, offset = np.random.default_rng(seed), np.empty(codes.size, dtype=np.int64), 0
    for b in range(counts.size):
        members = rng.permutation(np.flatnonzero(codes == b))
        fold[members] = (np.arange(members.size) + offset) % folds
        offset += members.size
    return fold


def _grid(configs, cost, reference, ns, max_costs):
    """The grid (K,) of reference n (or None) and a function rows -> the compute caps (K,) on those rows."""
    if reference is None:
        if max_costs is None or ns is not None:
            raise ValueError("give max_costs (compute caps in units of cost), or a reference strategy and its ns")
        caps = np.atleast_1d(np.asarray(max_costs, dtype=float))
        return None, lambda rows: caps
    if max_costs is not None:
        raise ValueError("with a reference strategy the caps are its mean costs at ns: give ns, not max_costs")
    own = configs.get_level_values(0) == reference
    if not own.any():
        raise ValueError(f"reference {reference!r} is not a strategy of results: {sorted(set(configs.get_level_values(0)))}")
    ref_ns = configs.get_level_values(1)[own].to_numpy(dtype=float)
    grid = ref_ns if ns is None else np.atleast_1d(np.asarray(ns, dtype=float))
    if not np.isin(grid, ref_ns).all():
        raise ValueError(f"ns must be n of {reference!r} ({ref_ns.tolist()}); got {grid.tolist()}")
    cols = [configs.get_loc((reference, n)) for n in grid]
    return grid, lambda rows: cost[rows][:, cols].mean(0)


def _score_choice(pick, configs, labels, codes_test, single: bool):
    """Column (P_test,) of the config each test problem gets from a choice (one row per bin, or one for all)."""
    col = np.array([configs.get_loc((s, n)) for s, n in zip(pick["strategy"], pick["n"])])
    return np.full(codes_test.size, col[0]) if single else col[pd.Index(pick["bin"]).get_indexer(labels)][codes_test]


def _summarise(out, spent, ns, caps, n_boot, level, seed, P):
    """Accuracy of each kind with its percentile bootstrap band over problems (choices held fixed)."""
    weights = bootstrap_weights(P, n_boot, seed) / P  # (B, P)
    rows = []
    for kind, per in [*out.items(), ("held_out - single", out["held_out"] - out["single"])]:
        lo, hi = np.quantile(weights @ per, [(1 - level) / 2, (1 + level) / 2], axis=0)
        c = spent[kind].mean(0) if kind in spent else np.nan
        rows.append(pd.DataFrame({"n": ns if ns is not None else np.nan, "max_cost": caps, "kind": kind,
                                  "accuracy": per.mean(0), "lower": lo, "upper": hi, "cost": c}))
    return pd.concat(rows, ignore_index=True)


def evaluate_policy(results: pd.DataFrame, bins, *, reference: str | None = None, ns=None, max_costs=None,
                    folds: int = 2, seed: int = 0, n_boot: int = 1000, level: float = 0.95) -> PolicyEvaluation:
    """Choose the policy on K-1 folds of problems (stratified by bin), score it on the held-out fold.

    The grid: with ``reference`` (e.g. "best_of_n/..."), its n (``ns``, default all of them), the compute cap
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


def strategy_curve(results: pd.DataFrame, strategy: str, problem_ids=None):
    """One strategy's n (K,), accuracy and cost (P, K), rows in the order of ``problem_ids``."""
    df = validate_results(results)
    ids, configs, acc, cost = _matrices(df)
    own = configs.get_level_values(0) == strategy
    if not own.any():
        raise ValueError(f"strategy {strategy!r} is not in results: {sorted(set(configs.get_level_values(0)))}")
    rows = np.arange(ids.size) if problem_ids is None else pd.Index(ids).get_indexer(np.asarray(problem_ids, dtype=str))
    if np.any(rows < 0):
        raise ValueError(f"problem_ids holds {int((rows < 0).sum())} problem(s) not in results")
    return configs.get_level_values(1)[own].to_numpy(dtype=float), acc[rows][:, own], cost[rows][:, own]


def _cost_to_reach(acc, cost, target):
    """Cost at which a curve (..., Kb) first reaches each target (..., K), linear in log cost between
    configs of its running best; status 0 reached, 1 never reached, 2 reached already at its cheapest."""
    order = np.argsort(cost, axis=-1, kind="stable")
    c, a = np.take_along_axis(cost, order, -1), np.maximum.accumulate(np.take_along_axis(acc, order, -1), axis=-1)
    hit = a[..., None, :] >= target[..., :, None] - _ATOL  # (..., K, Kb)
    j = hit.argmax(-1)
    take = lambda x, i: np.take_along_axis(x, i, -1)  # noqa: E731
    a1, a0 = take(a, j), take(a, np.maximum(j - 1, 0))
    frac = np.clip((target - a0) / np.where(a1 > a0, a1 - a0, 1.0), 0, 1)
    log_c = np.log(take(c, np.maximum(j - 1, 0))) + frac * (np.log(take(c, j)) - np.log(take(c, np.maximum(j - 1, 0))))
    status = np.where(~hit.any(-1), 1, np.where((j == 0) & (a[..., :1] > target + _ATOL), 2, 0))
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
    lo, hi = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2], axis=0, method="inverted_cdf")
    names = np.array(["reached", "not reached", "below baseline range"])
    bound = np.where(status == 1, bc.mean(0).max(), np.where(status == 2, bc.mean(0).min(), np.nan)) / c.mean(0)
    return pd.DataFrame({"accuracy": a.mean(0), "cost": c.mean(0), "baseline_cost": need, "multiple": need / c.mean(0),
                         "lower": lo, "upper": hi, "status": names[status], "bound": bound, "p_reached": (boot_status == 0).mean(0)})
