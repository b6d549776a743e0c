"""From a sampling pool and search runs to strategies and their results: one place for what notebooks
03 and 04 both need.

A :class:`Strategy` is a record of every setting that changes what a strategy returns: its method
(``oracle``, ``majority``, ``best_of_n``, ``weighted``, ``beam_search``, ``dvts``), the verifier that
scores it, how a solution's step scores become one score (``aggregate``: last, min or prod), and for a
search its beam width M, lookahead, DVTS variant and the rule that picks one of its N candidates. Its
:attr:`Strategy.name` spells all of them (``"beam_search/noisy_auc0.80 (M=4)"``, ``"weighted/confidence"``)
and :meth:`Strategy.parse` reads it back, so a name in a results table is the strategy, not a label.

:class:`StrategyResults` holds, per strategy, its exact :class:`ttslib.selection.Selection` (accuracy per
problem at each n) and its cost per problem at each n, in generated tokens and, with a registry model
(``ttslib.flops``), in FLOPs with the attention term (Kaplan et al., arXiv:2001.08361):

- a pool's rules at n samples: ``S(0, p) + n * mean_j S(p, m_j)`` (the prompt prefilled once);
- a search: ``S(0, p)`` for the prompt, ``2 N_params`` per generated token plus the attention term at
  each token's position in its partial solution (``search_context_sum``, recorded by ``ttslib.search``;
  for runs made before it was recorded, estimated from the candidates' lengths, and said so in
  ``notes``), plus the prompt tokens a text backend re-sent beyond the prompt, and ``2 N_v`` per token a
  model verifier read.

:func:`pool_arrays` reads a sample table into (P, N) arrays, answers grouped by
``ttslib.grade.canonical_answer`` ("0.5" and "\\frac{1}{2}" vote together), the model's confidence per
sample (:func:`ttslib.verifiers.sample_confidence`), and every verifier's step scores;
:func:`score_pool` adds verifiers named like ``"step_checker"``, ``"confidence"``, ``"noisy_auc0.80"``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ttslib.flops import get_model, sequence_flops, tree_flops
from ttslib.selection import (Selection, aggregate_steps, answer_classes, best_of_n, log2_budgets, majority_vote,
                              oracle, weighted_vote)

POOL_METHODS = ("oracle", "majority", "best_of_n", "weighted")
SEARCH_METHODS = ("beam_search", "dvts")
AGGREGATES = ("last", "min", "prod", "mean")
SELECT_RULES = ("weighted", "best_of_n", "majority")
DVTS_VARIANTS = ("kit", "sal")
_VERIFIED = ("best_of_n", "weighted", *SEARCH_METHODS)


@dataclass(frozen=True, order=True)
class Strategy:
    """Every setting that changes what a strategy returns (module docstring). Defaults that do not apply
    to a method are None: a sampling rule has no beam width, majority vote and the oracle no verifier."""

    method: str
    verifier: str | None = None
    aggregate: str | None = None  # step scores -> one score: "last" (default where a verifier is used), "min", "prod", "mean"
    beam_width: int | None = None  # search: M
    lookahead: int | None = None  # beam search: greedy steps rolled before scoring (0 default)
    variant: str | None = None  # dvts: "kit" (default) or "sal" (search-and-learn's)
    select: str | None = None  # search: the rule picking one of its N candidates ("weighted" default)

    def __post_init__(self):
        m = self.method
        if m not in POOL_METHODS + SEARCH_METHODS:
            raise ValueError(f"method must be one of {POOL_METHODS + SEARCH_METHODS}; got {m!r}")
        set_ = object.__setattr__
        if m in _VERIFIED:
            if not self.verifier:
                raise ValueError(f"strategy {m!r} needs a verifier")
            set_(self, "aggregate", self.aggregate or "last")
        elif self.verifier is not None or self.aggregate is not None:
            raise ValueError(f"strategy {m!r} uses no verifier; got verifier={self.verifier!r}, aggregate={self.aggregate!r}")
        if self.aggregate is not None and self.aggregate not in AGGREGATES:
            raise ValueError(f"aggregate must be one of {AGGREGATES}; got {self.aggregate!r}")
        if m in SEARCH_METHODS:
            if not isinstance(self.beam_width, (int, np.integer)) or self.beam_width < 1:
                raise ValueError(f"a search strategy needs beam_width (M) an int >= 1; got {self.beam_width!r}")
            set_(self, "beam_width", int(self.beam_width))
            set_(self, "lookahead", int(self.lookahead or 0))
            set_(self, "select", self.select or "weighted")
            if self.select not in SELECT_RULES:
                raise ValueError(f"select must be one of {SELECT_RULES}; got {self.select!r}")
            if m == "dvts":
                set_(self, "variant", self.variant or "kit")
                if self.variant not in DVTS_VARIANTS:
                    raise ValueError(f"variant must be one of {DVTS_VARIANTS}; got {self.variant!r}")
            elif self.variant is not None:
                raise ValueError("variant is a setting of DVTS")
            if self.lookahead < 0 or (self.lookahead and m != "beam_search"):
                raise ValueError(f"lookahead must be >= 0, and 0 unless beam search; got {self.lookahead} for {m}")
        elif any(x is not None for x in (self.beam_width, self.lookahead, self.variant, self.select)):
            raise ValueError(f"beam_width, lookahead, variant and select are settings of a search, not of {m!r}")

    @property
    def name(self) -> str:
        """``method[/verifier][ (settings that differ from the defaults; M always for a search)]``."""
        opts = []
        if self.beam_width is not None:
            opts.append(f"M={self.beam_width}")
        if self.lookahead:
            opts.append(f"lookahead={self.lookahead}")
        if self.aggregate not in (None, "last"):
            opts.append(f"aggregate={self.aggregate}")
        if self.variant not in (None, "kit"):
            opts.append(f"variant={self.variant}")
        if self.select not in (None, "weighted"):
            opts.append(f"select={self.select}")
        head = self.method + (f"/{self.verifier}" if self.verifier else "")
        return head + (f" ({', '.join(opts)})" if opts else "")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def parse(cls, name: str) -> Strategy:
        """The strategy a :attr:`name` spells (ValueError for anything else)."""
        m = re.fullmatch(r"([a-z_]+)(?:/([^\s()]+))?(?: \(([^()]*)\))?", str(name).strip())
        if m is None:
            raise ValueError(f"not a strategy name: {name!r} (want 'method[/verifier][ (key=value, ...)]')")
        kwargs = {"method": m.group(1), "verifier": m.group(2)}
        keys = {"M": ("beam_width", int), "lookahead": ("lookahead", int), "aggregate": ("aggregate", str),
                "variant": ("variant", str), "select": ("select", str)}
        for part in filter(None, (p.strip() for p in (m.group(3) or "").split(","))):
            key, _, value = part.partition("=")
            if key not in keys or not value:
                raise ValueError(f"strategy {name!r}: unknown setting {part!r} (known: {sorted(keys)})")
            kwargs[keys[key][0]] = keys[key][1](value)
        return cls(**kwargs)

    @classmethod
    def of(cls, strategy) -> Strategy:
        """A Strategy from itself or its name."""
        return strategy if isinstance(strategy, Strategy) else cls.parse(strategy)


@dataclass(frozen=True)
class PoolArrays:
    """A pool of N samples per problem as (P, N) arrays, rows in ``problem_ids`` order (sorted)."""

    problem_ids: np.ndarray  # (P,) str
    correct: np.ndarray  # (P, N) bool
    answers: np.ndarray  # (P, N) canonical answer keys (object), None: no answer
    completion_tokens: np.ndarray  # (P, N) float
    prompt_tokens: np.ndarray  # (P,) float
    confidence: np.ndarray  # (P, N) exp(mean token log-probability) of each sample
    step_scores: dict = field(default_factory=dict)  # verifier name -> (P, N) object array of step-score lists
    level: np.ndarray | None = None  # (P,)

    @property
    def classes(self) -> np.ndarray:
        """Answer class ids (P, N), -1: no answer (``ttslib.selection.answer_classes`` of the keys)."""
        return answer_classes(self.answers)

    @property
    def shape(self) -> tuple[int, int]:
        return self.correct.shape

    def scores(self, verifier: str, aggregate: str = "last") -> np.ndarray:
        """One score per sample (P, N): the verifier's step scores aggregated, or the model's confidence."""
        if verifier in self.step_scores:
            return aggregate_steps(self.step_scores[verifier], aggregate)
        if verifier == "confidence" and not self.step_scores.get(verifier):
            return self.confidence
        raise ValueError(f"the pool has no scores of verifier {verifier!r}; it has {sorted(self.step_scores)}"
                         " (score_pool adds more)")

    def take(self, rows=None, columns=None) -> PoolArrays:
        """The pool cut to some problems (a boolean mask, indices or problem ids) and some samples (P, n) index."""
        r = _row_index(self.problem_ids, rows)
        cut = (lambda a: a[r]) if columns is None else (lambda a: np.take_along_axis(a[r], columns, 1))
        return PoolArrays(self.problem_ids[r], cut(self.correct), cut(self.answers), cut(self.completion_tokens),
                          self.prompt_tokens[r], cut(self.confidence), {k: cut(v) for k, v in self.step_scores.items()},
                          None if self.level is None else self.level[r])

    def split(self, fraction: float = 0.5, seed: int = 0) -> tuple[PoolArrays, PoolArrays]:
        """Each problem's samples split at random into a held-apart part (for its bin) and a scored part,
        the draw tied to the problem's own samples (``ttslib.policy.split_samples``)."""
        from ttslib.policy.choose import split_sample_indices

        tied = [self.correct, self.answers, self.confidence, self.completion_tokens, *(self.step_scores[k] for k in sorted(self.step_scores))]
        held, rest = split_sample_indices(*tied, fraction=fraction, seed=seed)
        return self.take(columns=held), self.take(columns=rest)


def _row_index(ids: np.ndarray, rows) -> np.ndarray:
    if rows is None:
        return np.arange(ids.size)
    r = np.asarray(rows)
    if r.dtype == bool:
        if r.shape != ids.shape:
            raise ValueError(f"a row mask must have one entry per problem ({ids.size}); got {r.shape}")
        return np.flatnonzero(r)
    if r.dtype.kind in "iu":
        return r
    got = pd.Index(ids).get_indexer(r.astype(str))
    if (got < 0).any():
        raise ValueError(f"{int((got < 0).sum())} problem id(s) are not here, e.g. {r[got < 0][0]!r}")
    return got


def _matrix(samples: pd.DataFrame, column: str, ids: np.ndarray, N: int) -> np.ndarray:
    return samples[column].to_numpy(dtype=object).reshape(ids.size, N)


def pool_arrays(samples: pd.DataFrame) -> PoolArrays:
    """A sample table (``ttslib.data`` schema, N samples for every problem) as :class:`PoolArrays`.

    Step scores: ``step_scores`` under the table's ``verifier`` (or "default"), and every
    ``step_scores_<name>`` column under its name; a sample with no step score scores 0.
    """
    from ttslib.grade import answer_keys
    from ttslib.verifiers import sample_confidence

    need = ["problem_id", "sample_idx", "is_correct", "answer", "num_completion_tokens", "num_prompt_tokens"]
    missing = [c for c in need if c not in samples.columns]
    if missing:
        raise ValueError(f"the sample table is missing column(s) {missing}; it has {list(samples.columns)}")
    df = samples.assign(problem_id=samples["problem_id"].astype(str)).sort_values(["problem_id", "sample_idx"], kind="stable")
    sizes = df.groupby("problem_id", sort=True).size()
    if sizes.nunique() != 1:
        raise ValueError(f"every problem needs the same number of samples; problem {sizes.idxmin()!r} has {sizes.min()}, "
                         f"{sizes.idxmax()!r} has {sizes.max()}")
    ids, N = sizes.index.to_numpy(dtype=str), int(sizes.iloc[0])
    if df["is_correct"].isna().any():
        raise ValueError(f"is_correct is missing in {int(df['is_correct'].isna().sum())} row(s): grade the table first")
    df = df.assign(_conf=sample_confidence(df))
    scores = {}
    names = {"step_scores": str(df["verifier"].iloc[0]) if "verifier" in df.columns and df["verifier"].nunique() == 1 else "default"}
    names |= {c: c.removeprefix("step_scores_") for c in df.columns if c.startswith("step_scores_")}
    for column, name in names.items():
        if column in df.columns:
            filled = [s if s is not None and len(s) else [0.0] for s in df[column]]
            scores[name] = np.array(filled + [None], dtype=object)[:-1].reshape(ids.size, N)
    level = df.groupby("problem_id", sort=True)["level"].first().to_numpy() if "level" in df.columns else None
    return PoolArrays(ids, _matrix(df, "is_correct", ids, N).astype(bool), answer_keys(_matrix(df, "answer", ids, N)),
                      _matrix(df, "num_completion_tokens", ids, N).astype(float),
                      df.groupby("problem_id", sort=True)["num_prompt_tokens"].first().to_numpy(dtype=float),
                      _matrix(df, "_conf", ids, N).astype(float), scores, level)


def make_verifier(name: str):
    """The verifier a name spells: "step_checker", "confidence", "confidence_min", "noisy_auc0.80"
    (the checker blurred to that AUC, noise seed 0) or "noisy_auc0.80_seed3"."""
    from ttslib import verifiers

    if name == "step_checker":
        return verifiers.StepChecker()
    if name in ("confidence", "confidence_min"):
        return verifiers.ModelConfidence("mean" if name == "confidence" else "min")
    m = re.fullmatch(r"noisy_auc([0-9.]+)(?:_seed(\d+))?", name)
    if m:
        return verifiers.NoisyVerifier(verifiers.StepChecker(), auc=float(m.group(1)), seed=int(m.group(2) or 0))
    raise ValueError(f"no verifier is named {name!r}: step_checker, confidence, confidence_min, noisy_auc<AUC>[_seed<S>]")


def score_pool(samples: pd.DataFrame, questions: Mapping, verifiers: Iterable) -> pd.DataFrame:
    """The pool with ``step_scores_<name>`` added for each verifier (a name for :func:`make_verifier`, or a
    verifier object); its measured ``name`` is the column's."""
    from ttslib.search import rescore

    for v in verifiers:
        samples = rescore(samples, questions, make_verifier(v) if isinstance(v, str) else v)
    return samples


def step_auc(pool: PoolArrays, truth: str = "step_checker") -> pd.Series:
    """ROC AUC of each verifier's step scores against the exact checker's verdicts, over all steps."""
    from ttslib.verifiers import roc_auc

    if truth not in pool.step_scores:
        raise ValueError(f"step_auc needs the {truth!r} scores in the pool (score_pool adds them)")
    flat = lambda s: np.concatenate([np.asarray(x, dtype=float) for x in s.ravel()])  # noqa: E731
    right = flat(pool.step_scores[truth]) > 0.5
    return pd.Series({name: roc_auc(flat(s)[right], flat(s)[~right]) for name, s in pool.step_scores.items()}, name="AUC")


@dataclass(frozen=True)
class StrategyResults:
    """Per strategy, its exact selection and its cost per problem at each n (module docstring).
    ``tokens[s]`` (P, K) generated tokens, ``flops[s]`` (P, K) or None without a model."""

    problem_ids: np.ndarray
    selections: dict
    tokens: dict
    flops: dict
    notes: tuple = ()

    def __getitem__(self, strategy) -> Selection:
        return self.selections[Strategy.of(strategy)]

    def __contains__(self, strategy) -> bool:
        return Strategy.of(strategy) in self.selections

    def __iter__(self):
        return iter(self.selections)

    def find(self, **settings) -> list[Strategy]:
        """The strategies whose settings equal ``settings`` (e.g. ``method="dvts", verifier="step_checker"``), sorted."""
        return sorted(s for s in self.selections if all(getattr(s, k) == v for k, v in settings.items()))

    def cost(self, strategy, unit: str = "flops") -> np.ndarray:
        """(P, K) cost of a strategy: "flops" or "tokens" (generated)."""
        s = Strategy.of(strategy)
        table = {"flops": self.flops, "tokens": self.tokens}[unit]
        if table.get(s) is None:
            raise ValueError(f"no {unit} for {s.name}: give a registry model to compute FLOPs")
        return table[s]

    def take(self, rows=None, *, strategies=None, ns=None) -> StrategyResults:
        """Cut to some problems (mask, indices or ids), some strategies, and the budgets n listed in ``ns``."""
        r = _row_index(self.problem_ids, rows)
        keep = [Strategy.of(s) for s in strategies] if strategies is not None else list(self.selections)
        sel, tok, fl = {}, {}, {}
        for s in keep:
            cut = self.selections[s].take(r, ns=ns)
            cols = np.flatnonzero(np.isin(self.selections[s].n, cut.n))
            sel[s], tok[s] = cut, self.tokens[s][r][:, cols]
            fl[s] = None if self.flops.get(s) is None else self.flops[s][r][:, cols]
        return StrategyResults(self.problem_ids[r], sel, tok, fl, self.notes)

    def merge(self, other: StrategyResults) -> StrategyResults:
        """Both sets of strategies on the problems both have (a strategy in both: ValueError)."""
        both = sorted(set(self.problem_ids) & set(other.problem_ids))
        if not both:
            raise ValueError("the two results share no problem")
        clash = sorted(set(self.selections) & set(other.selections))
        if clash:
            raise ValueError(f"strategy {clash[0].name!r} is in both results")
        a, b = self.take(both), other.take(both)
        return StrategyResults(a.problem_ids, a.selections | b.selections, a.tokens | b.tokens, a.flops | b.flops,
                               tuple(dict.fromkeys(self.notes + other.notes)))

    def table(self, unit: str = "tokens", *, level=None, score=None, oracle: bool = False) -> pd.DataFrame:
        """The long strategy-results table of ``ttslib.policy`` (problem_id, strategy, n, accuracy, cost);
        cost in ``unit``; ``level``, ``score`` (P,) optional. The oracle (pass@n) reads the ground truth, so
        it is no strategy a policy may choose: left out unless ``oracle``."""
        parts = []
        for s, sel in sorted(self.selections.items()):
            if s.method == "oracle" and not oracle:
                continue
            K = sel.n.size
            part = pd.DataFrame({"problem_id": np.repeat(self.problem_ids, K), "strategy": s.name, "n": np.tile(sel.n, self.problem_ids.size),
                                 "accuracy": sel.per_problem.ravel(), "cost": self.cost(s, unit).ravel()})
            for col, values in (("level", level), ("score", score)):
                if values is not None:
                    part[col] = np.repeat(np.asarray(values), K)
            parts.append(part)
        from ttslib.policy.results import validate_results

        return validate_results(pd.concat(parts, ignore_index=True))

    def difference(self, a, b, n: int, *, level: float = 0.95, rows=None):
        """Strategy ``a`` minus ``b`` at the same n, paired over problems (``ttslib.compare.paired_difference``:
        mean, interval and verdict), optionally on some problems only."""
        from ttslib.compare import paired_difference

        r = _row_index(self.problem_ids, rows)
        return paired_difference(self[a].at(n)[r], self[b].at(n)[r], level=level)

    def accuracy(self) -> pd.DataFrame:
        """Mean accuracy, strategies by n (rows: strategy names)."""
        return pd.DataFrame({s.name: pd.Series(sel.accuracy, index=sel.n) for s, sel in sorted(self.selections.items())}).T.rename_axis(columns="n")


def pool_strategies(pool: PoolArrays, *, verifiers=None, aggregate: str = "last", ns=None, model=None,
                    num_draws: int = 1000, seed: int = 0, attention: str = "kaplan") -> StrategyResults:
    """The sampling rules on a pool: the oracle (pass@n), majority vote, and best-of-N and weighted best-of-N
    with each verifier (default: every one the pool has, ``"confidence"`` where it has none), at ``ns``
    (default 1, 2, 4, ..., N), exact (``ttslib.selection``); cost at n: n samples' expected tokens, and with
    ``model`` FLOPs (``ttslib.policy.sampling_cost``)."""
    from ttslib.policy.results import sampling_cost

    ns = log2_budgets(pool.shape[1]) if ns is None else np.asarray(ns)
    names = list(pool.step_scores) or ["confidence"] if verifiers is None else list(verifiers)
    cls = pool.classes
    sels = {Strategy("oracle"): oracle(pool.correct, ns), Strategy("majority"): majority_vote(cls, pool.correct, ns)}
    for v in names:
        score = pool.scores(v, aggregate)
        sels[Strategy("best_of_n", v, aggregate)] = best_of_n(pool.correct, score, ns, answers=cls)
        sels[Strategy("weighted", v, aggregate)] = weighted_vote(cls, pool.correct, score, ns, num_draws=num_draws, seed=seed)
    sels = {s: replace(sel, rule=s.name) for s, sel in sels.items()}
    tokens = sampling_cost(pool.completion_tokens, ns)
    flops = None if model is None else sampling_cost(pool.completion_tokens, ns, prompt_tokens=pool.prompt_tokens, model=model,
                                                     attention=attention)
    return StrategyResults(pool.problem_ids, sels, dict.fromkeys(sels, tokens), dict.fromkeys(sels, flops))


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


def search_strategy(group: pd.DataFrame, *, select: str = "weighted", aggregate: str = "last") -> Strategy:
    """The strategy of one search run's rows (their method, verifier, beam width, lookahead, variant)."""
    first = group.iloc[0]
    get = lambda c, default=None: first[c] if c in group.columns and pd.notna(first[c]) else default  # noqa: E731
    return Strategy(str(first["method"]), str(first["verifier"]), aggregate, int(get("beam_width", 4)),
                    int(get("lookahead", 0)), (str(get("dvts_variant", "kit")) if first["method"] == "dvts" else None), select)


SEARCH_KEYS = ("method", "verifier", "beam_width", "lookahead", "dvts_variant")


def search_strategies(runs: pd.DataFrame, *, select: str = "weighted", aggregate: str = "last", model=None,
                      verifier_models=None, attention: str = "kaplan") -> StrategyResults:
    """Search runs (``ttslib.search`` tables, several runs concatenated) as strategies: runs that differ only
    in n form one strategy's curve over n; ``select`` picks one of each run's N candidates (the HF blog's
    weighted vote by default; ties split evenly). ``verifier_models`` maps a verifier that read tokens to its
    registry model (None: free). Every strategy must cover the same problems at each of its n."""
    if select not in SELECT_RULES:
        raise ValueError(f"select must be one of {SELECT_RULES}; got {select!r}")
    need = ["problem_id", "method", "n", "verifier", "answer", "is_correct", "step_scores", "search_generated_tokens"]
    missing = [c for c in need if c not in runs.columns]
    if missing:
        raise ValueError(f"search table is missing column(s) {missing}; it has {list(runs.columns)}")
    from ttslib.grade import answer_keys

    df = runs.assign(problem_id=runs["problem_id"].astype(str), _key=answer_keys(runs["answer"]))
    keys = [c for c in SEARCH_KEYS if c in df.columns]
    df = df.sort_values(keys + ["n", "problem_id"] + (["sample_idx"] if "sample_idx" in df else []), kind="stable")
    per_strategy: dict[Strategy, dict] = {}
    notes = []
    for _, g in df.groupby(keys + ["n"], sort=True, dropna=False):
        s, n = search_strategy(g, select=select, aggregate=aggregate), int(g["n"].iloc[0])
        sizes = g.groupby("problem_id", sort=True).size()
        if (sizes != n).any():
            raise ValueError(f"search run {s.name} at n={n} has {int(sizes[sizes != n].iloc[0])} rows for problem "
                             f"{sizes.index[sizes != n][0]!r}; a run keeps exactly n candidates per problem")
        P = sizes.size
        correct = g["is_correct"].to_numpy(dtype=bool).reshape(P, n)
        cls = answer_classes(g["_key"].to_numpy(dtype=object).reshape(P, n))
        if select == "majority":
            acc = majority_vote(cls, correct, n).per_problem[:, 0]
        else:
            score = aggregate_steps(g["step_scores"].to_numpy(dtype=object).reshape(P, n), aggregate)
            acc = best_of_n(correct, score, n, answers=cls).per_problem[:, 0] if select == "best_of_n" else \
                _full_vote(cls, correct, np.where(cls < 0, 0.0, score))
        tokens, flops, note = _search_cost(g, sizes.index, n, model, verifier_models, attention, s)
        notes += [note] if note else []
        per_strategy.setdefault(s, {})[n] = (sizes.index.to_numpy(dtype=str), acc, tokens, flops)
    sels, tok, fl, ids = {}, {}, {}, None
    for s, by_n in per_strategy.items():
        ns = sorted(by_n)
        these = by_n[ns[0]][0]
        if ids is None:
            ids = these
        for n in ns:
            if not np.array_equal(by_n[n][0], ids):
                raise ValueError(f"search run {s.name} at n={n} covers other problems than the first run "
                                 f"({len(by_n[n][0])} vs {len(ids)}); cut the runs to common problems first")
        stack = lambda i: np.stack([by_n[n][i] for n in ns], axis=1)  # noqa: E731
        sels[s] = Selection(s.name, np.array(ns), stack(1), np.zeros((ids.size, len(ns))), "exact")
        tok[s], fl[s] = stack(2), (None if model is None else stack(3))
    if not sels:
        raise ValueError("the search table has no rows")
    return StrategyResults(ids, sels, tok, fl, tuple(dict.fromkeys(notes)))


def _one_per_problem(g: pd.DataFrame, column: str, what: str) -> np.ndarray:
    spent = g.groupby("problem_id", sort=True)[column].agg(["min", "max"])
    if (spent["min"] != spent["max"]).any():
        raise ValueError(f"search run {what}: {column} differs within a problem (it is a per-problem total)")
    return spent["min"].to_numpy(dtype=float)


def _search_cost(g, ids, n, model, verifier_models, attention, s):
    """Generated tokens (P,) and FLOPs (P,) of one run (module docstring), and a note if FLOPs were estimated."""
    what = f"{s.name} at n={n}"
    generated = _one_per_problem(g, "search_generated_tokens", what)
    if model is None:
        return generated, None, None
    prompt = g.groupby("problem_id", sort=True)["num_prompt_tokens"].first().to_numpy(dtype=float)
    note = None
    if "search_context_sum" in g.columns and g["search_context_sum"].notna().all():
        context = _one_per_problem(g, "search_context_sum", what)
    else:  # each generated token placed at the candidates' mean token position: an estimate
        m = g["num_completion_tokens"].to_numpy(dtype=float).reshape(ids.size, n)
        mean_pos = prompt + ((m * (m + 1) / 2).sum(1) / np.maximum(m.sum(1), 1))
        context = np.round(generated * mean_pos)
        note = ("search runs without search_context_sum (made before it was recorded): the attention term of their "
                "generated tokens is estimated at the candidates' mean token position")
    flops = sequence_flops(model, prompt, attention=attention) + tree_flops(model, generated, context, attention=attention)
    if "search_prefill_tokens" in g.columns:  # re-sent partial solutions (text backends), beyond the prompt
        extra = np.maximum(_one_per_problem(g, "search_prefill_tokens", what) - prompt, 0.0)
        flops += sequence_flops(model, extra, attention=attention) if extra.any() else 0.0
    read = _one_per_problem(g, "search_verifier_tokens", what) if "search_verifier_tokens" in g.columns else np.zeros(ids.size)
    if read.any():
        v_model = (verifier_models or {}).get(s.verifier, "missing")
        if v_model == "missing":
            raise ValueError(f"verifier {s.verifier!r} read tokens: give its model (or None if free) in verifier_models")
        if v_model is not None:
            flops = flops + 2.0 * get_model(v_model).params * read
    return generated, flops, note
