"""Strategy results tables (``ttslib.policy``'s input): from exact selection curves, from search runs,
with the compute each spends (generated tokens or FLOPs)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ttslib.flops import sequence_flops

RESULT_COLUMNS = ("problem_id", "strategy", "n", "accuracy", "cost")
_RTOL, _ATOL = 1e-9, 1e-12  # cost fits a budget within _RTOL; accuracies within _ATOL tie


def validate_results(results: pd.DataFrame) -> pd.DataFrame:
    """Check a strategy-results table (module docstring) and return it typed, or raise ValueError."""
    if not isinstance(results, pd.DataFrame):
        raise TypeError(f"results must be a pandas DataFrame; got {type(results).__name__}")
    missing = [c for c in RESULT_COLUMNS if c not in results.columns]
    if missing:
        raise ValueError(f"results is missing column(s) {missing}; it has {list(results.columns)}")
    df = results.astype({"problem_id": str, "strategy": str})
    for col, ok, want in (("n", lambda x: x > 0, "> 0"), ("accuracy", lambda x: (x >= -_RTOL) & (x <= 1 + _RTOL), "in [0, 1]"),
                          ("cost", lambda x: x >= 0, ">= 0")):
        x = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
        bad = ~(np.isfinite(x) & ok(x))
        if bad.any():
            row = df.loc[bad, ["problem_id", "strategy", "n", col]].iloc[0].to_dict()
            raise ValueError(f"results column {col!r} must be finite and {want}; {int(bad.sum())} row(s) are not "
                             f"(NaN or out of range), first {row}")
        df[col] = np.clip(x, 0, 1) if col == "accuracy" else x  # exact sums may overshoot 1 by rounding
    dup = df.duplicated(["problem_id", "strategy", "n"])
    if dup.any():
        raise ValueError(f"results has duplicate (problem_id, strategy, n) rows, e.g. {df.loc[dup, ['problem_id', 'strategy', 'n']].iloc[0].tolist()}"
                         " (a strategy's name must spell every setting that changes it: ttslib.policy.Strategy)")
    P = df["problem_id"].nunique()
    per_config = df.groupby(["strategy", "n"])["problem_id"].nunique()
    short = per_config[per_config < P]
    if len(short):
        (s, b), m = short.index[0], int(short.iloc[0])
        raise ValueError(f"strategy {s!r} at n = {b:g} has {m} of the {P} problems; every (strategy, n) "
                         f"must cover the same problems ({len(short)} config(s) do not)")
    for col in ("level", "score"):
        if col in df.columns and (df.groupby("problem_id")[col].nunique(dropna=False) > 1).any():
            raise ValueError(f"results column {col!r} must hold one value per problem")
    return df


def results_from_selection(selections, problem_ids, cost, *, level=None, score=None) -> pd.DataFrame:
    """Strategy results from ``ttslib.selection.Selection`` objects (exact expectations over n-subsets).

    ``selections``: a mapping name -> Selection, or Selections named by their rule; ``problem_ids`` (P,)
    their rows; ``cost`` (P, K) at each selection's ``n`` (or a mapping name -> (P, K)), e.g.
    :func:`sampling_cost`; ``level``, ``score`` (P,) optional per-problem columns.
    """
    sels = dict(selections) if isinstance(selections, Mapping) else {s.rule: s for s in selections}
    ids = np.asarray(problem_ids, dtype=str)
    parts = []
    for name, sel in sels.items():
        c = np.asarray(cost[name] if isinstance(cost, Mapping) else cost, dtype=float)
        if c.shape != sel.per_problem.shape or ids.shape != (sel.per_problem.shape[0],):
            raise ValueError(f"cost of {name!r} must have the shape of its per_problem {sel.per_problem.shape} and "
                             f"problem_ids one entry per row; got {c.shape} and {ids.shape}")
        K = sel.n.size
        part = pd.DataFrame({"problem_id": np.repeat(ids, K), "strategy": str(name), "n": np.tile(sel.n, ids.size),
                             "accuracy": sel.per_problem.ravel(), "cost": c.ravel()})
        for col, values in (("level", level), ("score", score)):
            if values is not None:
                part[col] = np.repeat(np.asarray(values), K)
        parts.append(part)
    return validate_results(pd.concat(parts, ignore_index=True))


def sampling_cost(completion_tokens, n, *, prompt_tokens=None, model=None, attention: str = "kaplan") -> np.ndarray:
    """Expected cost (P, K) of drawing n of each problem's samples: ``n * mean_j m_j`` generated tokens,
    or with ``model`` FLOPs ``S(0, p) + n * mean_j S(p, m_j)`` (shared prompt, arXiv:2001.08361 via
    ``ttslib.flops``). ``completion_tokens`` (P, N) tokens of each sample, ``prompt_tokens`` (P,)."""
    m = np.asarray(completion_tokens, dtype=float)
    ns = np.atleast_1d(np.asarray(n, dtype=float))
    if m.ndim != 2 or ns.ndim != 1 or np.any(ns < 1):
        raise ValueError(f"completion_tokens must be (P, N) and n budgets >= 1; got shapes {m.shape}, {ns.shape}")
    if model is None:
        return m.mean(1, keepdims=True) * ns
    if prompt_tokens is None:
        raise ValueError("prompt_tokens (P,) are needed for FLOPs (model given)")
    p = np.asarray(prompt_tokens, dtype=float)
    each = sequence_flops(model, m, start=p[:, None], attention=attention).mean(1, keepdims=True)
    return sequence_flops(model, p, attention=attention)[:, None] + each * ns


def results_from_search(table: pd.DataFrame, *, rule: str = "weighted", aggregate: str = "last", model=None,
                        verifier_models=None) -> pd.DataFrame:
    """Strategy results from search runs (``ttslib.policy.strategies.search_strategies``): one strategy per
    search setting (method, verifier, M, lookahead, variant), its n those of its runs; ``rule`` picks one
    of a run's N candidates; cost generated tokens, or FLOPs with ``model``; ``level`` kept if present."""
    from ttslib.policy.strategies import search_strategies

    res = search_strategies(table, select=rule, aggregate=aggregate, model=model, verifier_models=verifier_models)
    level = None
    if "level" in table.columns:
        level = table.assign(problem_id=table["problem_id"].astype(str)).groupby("problem_id")["level"].first().loc[res.problem_ids].to_numpy()
    return res.table("tokens" if model is None else "flops", level=level)
