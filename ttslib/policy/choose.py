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


def split_samples(*arrays, fraction: float = 0.5, seed: int = 0) -> list[np.ndarray]:
    """Split each problem's N samples at random into round(fraction N) held apart (to estimate its bin)
    and the rest (to score), the same split for every array (P, N). Returns [a_held, a_rest, b_held, ...]."""
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
    held, rest = np.sort(order[:, :m], axis=1), np.sort(order[:, m:], axis=1)
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
    """Problem ids (P,), configs (C,) MultiIndex (strategy, budget), accuracy and cost (P, C)."""
    wide = df.pivot(index="problem_id", columns=["strategy", "budget"], values=["accuracy", "cost"]).sort_index(axis=1)
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
    in [0, 1] stays in [0, 1]): columns ``bin, strategy, budget, accuracy, se, lower, upper, cost,
    num_problems``. A config some of the bin's problems lack gets a NaN band."""
    df = validate_results(results)
    codes, labels = _bin_codes(bins, df["problem_id"].to_numpy())
    out = df.assign(bin=labels[codes]).groupby(["bin", "strategy", "budget"], sort=True).agg(
        accuracy=("accuracy", "mean"), se=("accuracy", "sem"), cost=("cost", "mean"), num_problems=("accuracy", "size"))
    out = out.reset_index()
    ids, configs, acc, _ = _matrices(df)  # (P, C), problems sorted by id
    codes, labels = _bin_codes(bins, ids)
    bands = {}
    for b, label in enumerate(labels):
        a = acc[codes == b]  # (P_b, C)
        boot = bootstrap_weights(a.shape[0], n_boot, seed) @ np.nan_to_num(a) / a.shape[0]  # (n_boot, C)
        band = percentile_band(boot, level)
        for j, (strategy, budget) in enumerate(configs):
            complete = not np.isnan(a[:, j]).any()
            bands[(label, strategy, budget)] = (band.lower[j], band.upper[j]) if complete else (np.nan, np.nan)
    keys = list(zip(out["bin"], out["strategy"], out["budget"]))
    out["lower"] = [bands[k][0] for k in keys]
    out["upper"] = [bands[k][1] for k in keys]
    return out[["bin", "strategy", "budget", "accuracy", "se", "lower", "upper", "cost", "num_problems"]]


def choose_policy(results: pd.DataFrame, bins, budget: float) -> pd.DataFrame:
    """For each bin, the config with the highest mean accuracy among those whose mean cost fits ``budget``
    (units of ``cost``); ties: lower cost in the bin, then strategy name, then budget (module docstring).

    Returns one row per bin: ``bin, strategy, budget`` (the config's), ``accuracy, cost`` (its means over
    the bin's problems), ``num_problems, max_cost`` (the compute budget asked for).
    """
    df = validate_results(results)
    ids, configs, acc, cost = _matrices(df)
    codes, labels = _bin_codes(bins, ids)
    fits = cost.mean(0) <= budget * (1 + _RTOL)
    if not fits.any():
        j = int(np.argmin(cost.mean(0)))
        raise ValueError(f"budget {budget:g} fits no strategy: the cheapest, {configs[j][0]!r} at budget {configs[j][1]:g}, "
                         f"costs {cost.mean(0)[j]:g} on average over these {ids.size} problems")
    rows = []
    for b, label in enumerate(labels):
        a, c = acc[codes == b].mean(0), cost[codes == b].mean(0)  # (C,) means over the bin
        pick = fits & (a >= a[fits].max() - _ATOL)
        pick &= c <= c[pick].min() * (1 + _RTOL)
        j = int(np.argmax(pick))  # configs are sorted by strategy name, then budget
        rows.append((label, configs[j][0], configs[j][1], a[j], c[j], int((codes == b).sum()), float(budget)))
    return pd.DataFrame(rows, columns=["bin", "strategy", "budget", "accuracy", "cost", "num_problems", "max_cost"])


@dataclass(frozen=True)
class PolicyEvaluation:
    """Per-problem outcomes (P, K) at each grid budget: ``held_out`` (chosen without the problem's fold),
    ``optimistic`` (chosen on all problems), ``single`` / ``single_optimistic`` (one config for every bin),
    each with its realised ``*_cost``; ``choices`` (fold -1: on all problems; bin "all": single) and
    ``summary`` (budget, kind, accuracy, lower, upper, cost: bootstrap over problems, choices held fixed)."""

    budgets: np.ndarray
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


def evaluate_policy(results: pd.DataFrame, bins, *, budgets=None, reference: str | None = None, folds: int = 2,
                    seed: int = 0, n_boot: int = 1000, level: float = 0.95) -> PolicyEvaluation:
    """Choose the policy on K-1 folds of problems (stratified by bin), score it on the held-out fold.

    ``reference`` (e.g. "best_of_n"): ``budgets`` are that strategy's own budgets (default: all), and in
    each fold the compute budget is its mean cost over the fold's training problems (Snell et al. match
    budgets to best-of-N generations, arXiv:2408.03314). Without it ``budgets`` are in units of cost.
    Intervals: percentile bootstrap over problems (``level``), with the folds' choices held fixed.
    """
    df = validate_results(results)
    ids, configs, acc, cost = _matrices(df)
    codes, labels = _bin_codes(bins, ids)
    if int(folds) != folds or folds < 2:
        raise ValueError(f"folds must be an int >= 2; got {folds}")
    small = np.bincount(codes, minlength=labels.size) < folds
    if small.any():
        raise ValueError(f"bin {labels[small][0]!r} has {int(np.bincount(codes)[small][0])} problem(s), fewer than folds = "
                         f"{folds}: a fold would have no problem of it (merge bins or use fewer folds)")
    if reference is not None:
        own = configs.get_level_values(0) == reference
        if not own.any():
            raise ValueError(f"reference {reference!r} is not a strategy of results: {sorted(set(configs.get_level_values(0)))}")
        ref_budgets = configs.get_level_values(1)[own].to_numpy(dtype=float)
        grid = ref_budgets if budgets is None else np.atleast_1d(np.asarray(budgets, dtype=float))
        if not np.isin(grid, ref_budgets).all():
            raise ValueError(f"budgets must be budgets of {reference!r} ({ref_budgets.tolist()}); got {grid.tolist()}")
        cols = [configs.get_loc((reference, b)) for b in grid]
        caps = lambda rows: cost[rows][:, cols].mean(0)  # noqa: E731
    elif budgets is None:
        raise ValueError("give budgets (in units of cost) or a reference strategy whose budgets to use")
    else:
        grid = np.atleast_1d(np.asarray(budgets, dtype=float))
        caps = lambda rows: grid  # noqa: E731
    rng, fold, offset = np.random.default_rng(seed), np.empty(ids.size, dtype=np.int64), 0
    for b in range(labels.size):  # stratified: each bin dealt round-robin over the folds
        members = rng.permutation(np.flatnonzero(codes == b))
        fold[members] = (np.arange(members.size) + offset) % folds
        offset += members.size
    bin_of = pd.Series(labels[codes], index=ids)
    out = {k: np.empty((ids.size, grid.size)) for k in ("held_out", "optimistic", "single", "single_optimistic")}
    spent = {k: np.empty_like(v) for k, v in out.items()}
    chosen = []
    for f in [*range(folds), -1]:
        train, test = (fold != f, fold == f) if f >= 0 else (np.ones(ids.size, bool),) * 2
        sub = df[df["problem_id"].isin(ids[train])]
        for name, b_train, b_test in (("", bin_of[train], codes[test]), ("single", pd.Series("all", index=ids[train]), np.zeros(test.sum(), int))):
            key = (name or "held_out") if f >= 0 else (f"{name}_optimistic" if name else "optimistic")
            for k, cap in enumerate(caps(train)):
                pick = choose_policy(sub, b_train, cap)
                col = np.array([configs.get_loc((s, b)) for s, b in zip(pick["strategy"], pick["budget"])])
                if name == "":  # (B,) in the order of labels; stratified folds give every bin a choice
                    col = col[pd.Index(pick["bin"]).get_indexer(labels)]
                out[key][test, k] = acc[test, col[b_test]]
                spent[key][test, k] = cost[test, col[b_test]]
                chosen.append(pick.assign(fold=f, grid_budget=grid[k]))
    weights = bootstrap_weights(ids.size, n_boot, seed) / ids.size  # (B, P)
    rows = []
    for kind, per in [*out.items(), ("held_out - single", out["held_out"] - out["single"])]:
        lo, hi = np.quantile(weights @ per, [(1 - level) / 2, (1 + level) / 2], axis=0)
        c = spent[kind].mean(0) if kind in spent else np.nan
        rows.append(pd.DataFrame({"budget": grid, "kind": kind, "accuracy": per.mean(0), "lower": lo, "upper": hi, "cost": c}))
    return PolicyEvaluation(grid, ids, labels[codes], fold, out["held_out"], spent["held_out"], out["optimistic"],
                            spent["optimistic"], out["single"], spent["single"], out["single_optimistic"],
                            spent["single_optimistic"], pd.concat(chosen, ignore_index=True), pd.concat(rows, ignore_index=True))


def strategy_curve(results: pd.DataFrame, strategy: str, problem_ids=None):
    """One strategy's budgets (K,), accuracy and cost (P, K), rows in the order of ``problem_ids``."""
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
