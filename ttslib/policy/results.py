"""Strategy results: per strategy, its exact selection (accuracy per problem at each n) and its cost per
problem at each n, and the long table (:mod:`ttslib.policy.table`) made from them or from selections.

:class:`StrategyResults` is what ``ttslib.strategies`` builds from a sampling pool and search runs; here it
is only held, cut, merged, compared and turned into the table, so nothing in this module runs a model.
Costs: generated tokens, and with a registry model (``ttslib.flops``) FLOPs with the attention term
(Kaplan et al., arXiv:2001.08361); a pool's rules at n samples cost ``S(0, p) + n * mean_j S(p, m_j)``
(:func:`sampling_cost`: the prompt prefilled once).

Bad input raises ValueError (shapes that disagree, a strategy in both results of a merge, FLOPs asked of
results made without a model) or TypeError (a strategy that is not a :class:`Strategy` record).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ttslib.compare import paired_difference
from ttslib.flops import sequence_flops
from ttslib.policy.splits import row_index
from ttslib.policy.strategy import Strategy
from ttslib.policy.table import results_table
from ttslib.selection import Selection


def results_from_selection(selections: Mapping, problem_ids, cost, *, level=None, score=None) -> pd.DataFrame:
    """Strategy results from ``ttslib.selection.Selection`` objects (exact expectations over n-subsets).

    ``selections``: a mapping :class:`Strategy` -> Selection; ``problem_ids`` (P,) their rows; ``cost``
    (P, K) at each selection's ``n`` (or a mapping Strategy -> (P, K)), e.g. :func:`sampling_cost`;
    ``level``, ``score`` (P,) optional per-problem columns.
    """
    if not isinstance(selections, Mapping):
        raise TypeError(f"selections must be a mapping Strategy -> Selection; got {type(selections).__name__}")
    curves = {}
    for s, sel in selections.items():
        c = np.asarray(cost[s] if isinstance(cost, Mapping) else cost, dtype=float)
        if c.shape != sel.per_problem.shape:
            raise ValueError(f"cost of {s} must have the shape of its per_problem {sel.per_problem.shape}; got {c.shape}")
        curves[s] = (sel.n, sel.per_problem, c)
    return results_table(problem_ids, curves, level=level, score=score)


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


@dataclass(frozen=True)
class StrategyResults:
    """Per strategy, its exact selection and its cost per problem at each n (module docstring).
    ``tokens[s]`` (P, K) generated tokens, ``flops[s]`` (P, K) or None without a model."""

    problem_ids: np.ndarray
    selections: dict
    tokens: dict
    flops: dict
    notes: tuple = ()
    extra: dict = field(default_factory=dict)  # unit -> {strategy: (P, K) cost}: "seconds", "dollars" (:meth:`with_cost`)

    def __getitem__(self, strategy: Strategy) -> Selection:
        return self.selections[_record(strategy)]

    def __contains__(self, strategy: Strategy) -> bool:
        return _record(strategy) in self.selections

    def __iter__(self):
        return iter(self.selections)

    def find(self, **settings) -> list[Strategy]:
        """The strategies whose settings equal ``settings`` (e.g. ``method="dvts", verifier=VerifierSpec.step_checker()``), sorted."""
        return sorted(s for s in self.selections if all(getattr(s, k) == v for k, v in settings.items()))

    def cost(self, strategy, unit: str = "flops") -> np.ndarray:
        """(P, K) cost of a strategy: "flops", "tokens" (generated), or a unit added by :meth:`with_cost`
        ("seconds", "dollars" under a ``ttslib.cost`` scenario)."""
        s = _record(strategy)
        units = {"flops": self.flops, "tokens": self.tokens, **self.extra}
        if unit not in units:
            raise ValueError(f"no cost in {unit!r}: these results have {sorted(units)} (add seconds or dollars with "
                             f"ttslib.strategies.scenario_costs)")
        if units[unit].get(s) is None:
            why = "give a registry model to compute FLOPs" if unit == "flops" else f"its {unit} were not computed"
            raise ValueError(f"no {unit} for {s}: {why}")
        return units[unit][s]

    def with_cost(self, unit: str, costs: Mapping) -> StrategyResults:
        """These results with another cost axis ``unit``: ``costs`` maps strategies to (P, K) arrays at their n."""
        if unit in ("flops", "tokens"):
            raise ValueError(f"{unit!r} is a built-in cost; name the new axis otherwise")
        checked = {}
        for s, c in costs.items():
            c = np.asarray(c, dtype=float)
            if c.shape != self[s].per_problem.shape:
                raise ValueError(f"{unit} of {_record(s)}: shape {c.shape}, its selection has {self[s].per_problem.shape}")
            if np.any(~np.isfinite(c)) or np.any(c < 0):
                raise ValueError(f"{unit} of {_record(s)} must be finite and >= 0")
            checked[_record(s)] = c
        return StrategyResults(self.problem_ids, self.selections, self.tokens, self.flops, self.notes, self.extra | {unit: checked})

    def take(self, rows=None, *, strategies=None, ns=None) -> StrategyResults:
        """Cut to some problems (mask, indices or ids), some strategies, and the budgets n listed in ``ns``."""
        r = row_index(self.problem_ids, rows)
        keep = [_record(s) for s in strategies] if strategies is not None else list(self.selections)
        sel, tok, fl = {}, {}, {}
        extra = {unit: {} for unit in self.extra}
        for s in keep:
            cut = self.selections[s].take(r, ns=ns)
            cols = np.flatnonzero(np.isin(self.selections[s].n, cut.n))
            sel[s], tok[s] = cut, self.tokens[s][r][:, cols]
            fl[s] = None if self.flops.get(s) is None else self.flops[s][r][:, cols]
            for unit, costs in self.extra.items():
                if s in costs:
                    extra[unit][s] = costs[s][r][:, cols]
        return StrategyResults(self.problem_ids[r], sel, tok, fl, self.notes, extra)

    def merge(self, other: StrategyResults) -> StrategyResults:
        """Both sets of strategies on the problems both have (a strategy in both: ValueError)."""
        both = sorted(set(self.problem_ids) & set(other.problem_ids))
        if not both:
            raise ValueError("the two results share no problem")
        clash = sorted(set(self.selections) & set(other.selections))
        if clash:
            raise ValueError(f"strategy {clash[0]} is in both results")
        a, b = self.take(both), other.take(both)
        extra = {unit: a.extra.get(unit, {}) | b.extra.get(unit, {}) for unit in set(a.extra) | set(b.extra)}
        return StrategyResults(a.problem_ids, a.selections | b.selections, a.tokens | b.tokens, a.flops | b.flops,
                               tuple(dict.fromkeys(self.notes + other.notes)), extra)

    def table(self, unit: str = "tokens", *, level=None, score=None, oracle: bool = False) -> pd.DataFrame:
        """The strategy-results table (``ttslib.policy.table``: problem_id, one column per setting, n, accuracy, cost);
        cost in ``unit``; ``level``, ``score`` (P,) optional. The oracle (pass@n) reads the ground truth, so
        it is no strategy a policy may choose: left out unless ``oracle``."""
        curves = {s: (sel.n, sel.per_problem, self.cost(s, unit)) for s, sel in sorted(self.selections.items())
                  if oracle or s.method != "oracle"}
        return results_table(self.problem_ids, curves, level=level, score=score)

    def difference(self, a, b, n: int, *, level: float = 0.95, rows=None):
        """Strategy ``a`` minus ``b`` at the same n, paired over problems (``ttslib.compare.paired_difference``:
        mean, interval and verdict), optionally on some problems only."""
        r = row_index(self.problem_ids, rows)
        return paired_difference(self[a].at(n)[r], self[b].at(n)[r], level=level)

    def accuracy(self) -> pd.DataFrame:
        """Mean accuracy, strategies by n (rows: strategy labels)."""
        return pd.DataFrame({s.label: pd.Series(sel.accuracy, index=sel.n) for s, sel in sorted(self.selections.items())}).T.rename_axis(columns="n")


def _record(strategy) -> Strategy:
    if not isinstance(strategy, Strategy):
        raise TypeError(f"a strategy is a Strategy record (e.g. Strategy('majority')); got {strategy!r}")
    return strategy
