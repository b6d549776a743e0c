"""The strategy-results table that everything in ``ttslib.policy`` reads: its columns, the one builder and
the one validator.

A tidy table (Wickham, "Tidy data", JSS 2014): one row per (problem, strategy, n), one column per setting
of the strategy (:data:`SETTINGS`, the fields of :class:`ttslib.policy.strategy.Strategy`; a setting that
does not apply is None, the verifier a :class:`~ttslib.policy.strategy.VerifierSpec`, the adaptive ``stop``
rule a ``ttslib.adaptive`` settings record and the ``revisions`` a ``ttslib.sequential.Revisions`` record, as the
verifier a record of its own settings), then ``n`` (with revisions: the budget in attempts)
(samples, or a search's N; an adaptive rule's cap, the most samples it may draw), ``accuracy`` in [0, 1] (the expected correctness of the answer the strategy returns for
that problem with its n) and ``cost`` >= 0 (the compute it spends there: generated tokens or FLOPs, one
unit per table); optional ``level`` (a given label) and ``score`` (mean verifier score), one value per
problem. A (strategy, n) pair is a *config*. No label is stored: :func:`strategies_of` rebuilds each
row's record from its setting columns, and a label is made from the record only for display.

Tolerances: a config fits a compute cap C when its mean cost is at most ``C (1 + COST_RTOL)``; mean
accuracies within ``ACCURACY_ATOL`` tie.

Bad input raises ValueError: a missing column, NaN or out-of-range n, accuracy or cost, settings that
make no strategy, duplicate rows, a config that lacks some problems, two values of ``level`` or
``score`` for one problem.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ttslib.policy.strategy import Strategy

SETTINGS = ("method", "verifier", "aggregate", "beam_width", "lookahead", "variant", "select", "stop", "revisions")
RESULT_COLUMNS = ("problem_id", *SETTINGS, "n", "accuracy", "cost")
COST_RTOL = 1e-9  # a mean cost fits a cap within this relative tolerance (and accuracy may overshoot [0, 1] by it)
ACCURACY_ATOL = 1e-12  # mean accuracies this close tie


def results_table(problem_ids, curves: Mapping, *, level=None, score=None) -> pd.DataFrame:
    """The strategy-results table (module docstring) from per-strategy arrays: the one builder.

    Parameters
    ----------
    problem_ids : (P,) the problems, one row of every array each.
    curves : mapping :class:`Strategy` -> ``(n, accuracy, cost)``, ``n`` (K,) and ``accuracy``, ``cost`` (P, K).
    level, score : (P,) optional per-problem columns.
    """
    ids = np.asarray(problem_ids, dtype=str)
    parts = []
    for s, (n, acc, cost) in curves.items():
        if not isinstance(s, Strategy):
            raise TypeError(f"curves must be keyed by Strategy records; got {s!r}")
        n, acc, cost = np.atleast_1d(n), np.asarray(acc, dtype=float), np.asarray(cost, dtype=float)
        if acc.shape != (ids.size, n.size) or cost.shape != acc.shape:
            raise ValueError(f"strategy {s}: accuracy and cost must have shape (P, K) = ({ids.size}, {n.size}) "
                             f"(problem_ids, n); got {acc.shape} and {cost.shape}")
        rows = ids.size * n.size
        part = pd.DataFrame({"problem_id": np.repeat(ids, n.size)})
        for col in SETTINGS:
            part[col] = pd.Series([getattr(s, col)] * rows, dtype=object)
        part["n"], part["accuracy"], part["cost"] = np.tile(n, ids.size), acc.ravel(), cost.ravel()
        for col, values in (("level", level), ("score", score)):
            if values is not None:
                part[col] = np.repeat(np.asarray(values), n.size)
        parts.append(part)
    if not parts:
        raise ValueError("curves holds no strategy")
    return validate_results(pd.concat(parts, ignore_index=True))


def strategies_of(results: pd.DataFrame) -> pd.Series:
    """The :class:`Strategy` of each row, rebuilt from its setting columns (one record per distinct row of them)."""
    missing = [c for c in SETTINGS if c not in results.columns]
    if missing:
        raise ValueError(f"results is missing setting column(s) {missing}; it has {list(results.columns)}")
    keys = list(zip(*(results[c].to_numpy(dtype=object) for c in SETTINGS)))
    made = {}
    for key in dict.fromkeys(keys):
        settings = {c: (None if v is None or (isinstance(v, float) and np.isnan(v)) else v) for c, v in zip(SETTINGS, key)}
        try:
            made[key] = Strategy(**settings)
        except (TypeError, ValueError) as err:
            raise ValueError(f"results has settings that make no strategy: {settings} ({err})") from None
    return pd.Series([made[k] for k in keys], index=results.index, name="strategy", dtype=object)


def validate_results(results: pd.DataFrame) -> pd.DataFrame:
    """Check a strategy-results table (module docstring) and return it typed, or raise ValueError."""
    if not isinstance(results, pd.DataFrame):
        raise TypeError(f"results must be a pandas DataFrame; got {type(results).__name__}")
    missing = [c for c in RESULT_COLUMNS if c not in results.columns]
    if missing:
        raise ValueError(f"results is missing column(s) {missing}; it has {list(results.columns)}")
    df = results.astype({"problem_id": str})
    strategies = strategies_of(df)
    for col, ok, want in (("n", lambda x: x > 0, "> 0"), ("accuracy", lambda x: (x >= -COST_RTOL) & (x <= 1 + COST_RTOL), "in [0, 1]"),
                          ("cost", lambda x: x >= 0, ">= 0")):
        x = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
        bad = ~(np.isfinite(x) & ok(x))
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(f"results column {col!r} must be finite and {want}; {int(bad.sum())} row(s) are not "
                             f"(NaN or out of range), first problem {df['problem_id'].iloc[i]!r}, strategy {strategies.iloc[i]}, "
                             f"n = {df['n'].iloc[i]}, {col} = {df[col].iloc[i]}")
        df[col] = np.clip(x, 0, 1) if col == "accuracy" else x  # exact sums may overshoot 1 by rounding
    keyed = pd.DataFrame({"problem_id": df["problem_id"], "strategy": strategies, "n": df["n"]})
    dup = keyed.duplicated()
    if dup.any():
        first = keyed[dup].iloc[0]
        raise ValueError(f"results has duplicate (problem, strategy, n) rows, e.g. {first['problem_id']!r}, {first['strategy']}, "
                         f"n = {first['n']:g} (every setting that changes a strategy must be its own column)")
    P = df["problem_id"].nunique()
    per_config = keyed.groupby(["strategy", "n"], sort=False)["problem_id"].nunique()
    short = per_config[per_config < P]
    if len(short):
        (s, b), m = short.index[0], int(short.iloc[0])
        raise ValueError(f"strategy {s} at n = {b:g} has {m} of the {P} problems; every (strategy, n) "
                         f"must cover the same problems ({len(short)} config(s) do not)")
    for col in ("level", "score"):
        if col in df.columns and (df.groupby("problem_id")[col].nunique(dropna=False) > 1).any():
            raise ValueError(f"results column {col!r} must hold one value per problem")
    return df
