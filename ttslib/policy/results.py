"""Strategy results tables (``ttslib.policy``'s input): from exact selection curves, from search runs,
with the compute each spends (generated tokens or FLOPs)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ttslib.flops import get_model, sequence_flops
from ttslib.selection import aggregate_steps, answer_classes, best_of_n, majority_vote

RESULT_COLUMNS = ("problem_id", "strategy", "budget", "accuracy", "cost")
_RTOL, _ATOL = 1e-9, 1e-12  # cost fits a budget within _RTOL; accuracies within _ATOL tie


def validate_results(results: pd.DataFrame) -> pd.DataFrame:
    """Check a strategy-results table (module docstring) and return it typed, or raise ValueError."""
    if not isinstance(results, pd.DataFrame):
        raise TypeError(f"results must be a pandas DataFrame; got {type(results).__name__}")
    missing = [c for c in RESULT_COLUMNS if c not in results.columns]
    if missing:
        raise ValueError(f"results is missing column(s) {missing}; it has {list(results.columns)}")
    df = results.astype({"problem_id": str, "strategy": str})
    for col, ok, want in (("budget", lambda x: x > 0, "> 0"), ("accuracy", lambda x: (x >= -_RTOL) & (x <= 1 + _RTOL), "in [0, 1]"),
                          ("cost", lambda x: x >= 0, ">= 0")):
        x = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
        bad = ~(np.isfinite(x) & ok(x))
        if bad.any():
            row = df.loc[bad, ["problem_id", "strategy", "budget", col]].iloc[0].to_dict()
            raise ValueError(f"results column {col!r} must be finite and {want}; {int(bad.sum())} row(s) are not "
                             f"(NaN or out of range), first {row}")
        df[col] = np.clip(x, 0, 1) if col == "accuracy" else x  # exact sums may overshoot 1 by rounding
    dup = df.duplicated(["problem_id", "strategy", "budget"])
    if dup.any():
        raise ValueError(f"results has duplicate (problem_id, strategy, budget) rows, e.g. {df.loc[dup, ['problem_id', 'strategy', 'budget']].iloc[0].tolist()}")
    P = df["problem_id"].nunique()
    per_config = df.groupby(["strategy", "budget"])["problem_id"].nunique()
    short = per_config[per_config < P]
    if len(short):
        (s, b), m = short.index[0], int(short.iloc[0])
        raise ValueError(f"strategy {s!r} at budget {b:g} has {m} of the {P} problems; every (strategy, budget) "
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
        part = pd.DataFrame({"problem_id": np.repeat(ids, K), "strategy": name, "budget": np.tile(sel.n, ids.size),
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


def _full_vote(cls, correct, weights):
    """Accuracy of the answer with the largest summed weight over all N samples (ties split), (P,)."""
    onehot = cls[..., None] == np.arange(max(int(cls.max()) + 1, 1))  # (P, N, K)
    good, bad = (onehot & correct[..., None]).any(1), (onehot & ~correct[..., None]).any(1)
    if (good & bad).any():
        raise ValueError(f"is_correct differs within an answer in {int((good & bad).any(1).sum())} problem(s)")
    sums = np.where(onehot.any(1), np.einsum("pn,pnk->pk", weights, onehot), -np.inf)  # (P, K)
    top = sums.max(1, keepdims=True)
    win = np.isfinite(sums) & (sums >= top - 1e-9 * np.abs(top))
    return np.where(win.any(1), (win & good).sum(1) / np.maximum(win.sum(1), 1), 0.0)


def results_from_search(table: pd.DataFrame, *, rule: str = "weighted", aggregate: str = "last", model=None,
                        verifier_models=None) -> pd.DataFrame:
    """Strategy results from search runs (ttslib.search): strategy ``"{method}/{verifier}"``, budget ``n``.

    Each run keeps exactly n candidates per problem; ``rule`` picks one answer among them:
    "weighted" (largest summed score per answer, the HF blog's final step), "best_of_n" (highest score)
    or "majority"; a candidate's score is ``aggregate_steps(step_scores, aggregate)`` (arXiv:2408.03314),
    ties split evenly. Cost per problem: ``search_generated_tokens``, or with ``model`` FLOPs
    ``2 N (generated + prefill) + 2 N_v verifier tokens`` (Kaplan's leading term: tree positions are not
    recorded), ``verifier_models`` mapping each verifier name to its registry model or None (free).
    """
    if rule not in ("weighted", "best_of_n", "majority"):
        raise ValueError(f"rule must be 'weighted', 'best_of_n' or 'majority'; got {rule!r}")
    need = ["problem_id", "method", "n", "verifier", "answer", "is_correct", "step_scores", "search_generated_tokens"]
    need += ["search_prefill_tokens", "search_verifier_tokens"] if model is not None else []
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise ValueError(f"search table is missing column(s) {missing}; it has {list(table.columns)}")
    df = table.assign(problem_id=table["problem_id"].astype(str))
    df = df.sort_values(["method", "n", "verifier", "problem_id"] + (["sample_idx"] if "sample_idx" in df else []), kind="stable")
    parts, tokens = [], [c for c in need if c.startswith("search_")]
    for (method, n, verifier), g in df.groupby(["method", "n", "verifier"], sort=True):
        sizes = g.groupby("problem_id").size()
        if (sizes != n).any():
            raise ValueError(f"search run ({method}, n={n}, {verifier}) has {int(sizes[sizes != n].iloc[0])} rows for problem "
                             f"{sizes.index[sizes != n][0]!r}; a run keeps exactly n candidates per problem")
        P = sizes.size
        correct = g["is_correct"].to_numpy(dtype=bool).reshape(P, n)
        cls = answer_classes(g["answer"].to_numpy(dtype=object).reshape(P, n))
        if rule == "majority":
            acc = majority_vote(cls, correct, n).per_problem[:, 0]
        else:
            score = aggregate_steps(g["step_scores"].to_numpy(dtype=object).reshape(P, n), aggregate)
            acc = best_of_n(correct, score, n, answers=cls).per_problem[:, 0] if rule == "best_of_n" else \
                _full_vote(cls, correct, np.where(cls < 0, 0.0, score))
        spent = g.groupby("problem_id")[tokens].agg(["min", "max"])
        if (spent.xs("min", axis=1, level=1) != spent.xs("max", axis=1, level=1)).any(axis=None):
            raise ValueError(f"search run ({method}, n={n}, {verifier}): search token totals differ within a problem")
        spent = spent.xs("min", axis=1, level=1).to_numpy(dtype=float)
        cost = spent[:, 0]
        if model is not None:
            v_model = (verifier_models or {}).get(verifier, "missing")
            if v_model == "missing" and spent[:, 2].any():
                raise ValueError(f"verifier {verifier!r} read tokens: give its model (or None if free) in verifier_models")
            v_params = 0.0 if v_model in (None, "missing") else get_model(v_model).params
            cost = 2 * get_model(model).params * (spent[:, 0] + spent[:, 1]) + 2 * v_params * spent[:, 2]
        part = pd.DataFrame({"problem_id": sizes.index, "strategy": f"{method}/{verifier}", "budget": n,
                             "accuracy": acc, "cost": cost})
        if "level" in g:
            part["level"] = g.groupby("problem_id")["level"].first().to_numpy()
        parts.append(part)
    return validate_results(pd.concat(parts, ignore_index=True))

