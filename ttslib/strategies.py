"""From a sampling pool and search runs to strategy results: the one place where a run's table (answers,
grades, step scores, token counts) becomes the arrays and records ``ttslib.policy`` chooses among.

This module sits above both the maths (``ttslib.selection``, ``ttslib.flops``, ``ttslib.policy``) and the
generation side (``ttslib.grade`` for canonical answers, ``ttslib.verifiers`` for the model's confidence
and the verifiers a :class:`~ttslib.policy.strategy.VerifierSpec` names, ``ttslib.search`` to rescore a
pool), so that the policy runs no model.

- :func:`pool_arrays` reads a sample table into (P, N) arrays (:class:`PoolArrays`): answers grouped by
  ``ttslib.grade.canonical_answer`` ("0.5" and "\\frac{1}{2}" vote together), the model's confidence per
  sample (``ttslib.verifiers.sample_confidence``), and every verifier's step scores.
- :func:`make_verifier` builds the verifier a spec names; :func:`score_pool` adds its step scores to a pool.
- :func:`pool_strategies`, :func:`adaptive_strategies` and :func:`search_strategies` give
  :class:`ttslib.policy.StrategyResults`: a pool's rules at n samples (exact, ``ttslib.selection``), adaptive
  rules replayed on random orders of the pool (``ttslib.adaptive``), and search runs, with cost in generated tokens
  and, with a registry model, FLOPs with the attention term (Kaplan et al., arXiv:2001.08361): for a search
  ``S(0, p)`` for the prompt, ``2 N_params`` per generated token plus the attention term at each token's
  position in its partial solution (``search_context_sum``; for runs made before it was recorded,
  estimated from the candidates' lengths, and said so in ``notes``), plus the prompt tokens a text backend
  re-sent beyond the prompt, and ``2 N_v`` per token a model verifier read.

Verifiers in tables. A table records a verifier by the name its object carries (``verifier`` column,
``step_scores_<name>`` columns). :func:`known_verifier` matches such a name against the labels of the
specs the caller declares (and the kit's fixed ones: step checker, confidence); a name no spec has is a
``VerifierSpec.recorded(name)``. A name is compared with labels formatted from records, never parsed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ttslib import verifiers as verifier_objects
from ttslib.adaptive import DeepConfOffline, Pool, ShortestMajority, confidence_lows, make_pool, replay
from ttslib.flops import sequence_flops, tree_flops
from ttslib.grade import answer_keys
from ttslib.policy.results import StrategyResults, sampling_cost
from ttslib.policy.splits import row_index, split_sample_indices
from ttslib.policy.strategy import SEARCH_METHODS, SELECT_RULES, Strategy, VerifierSpec
from ttslib.registry import get_model
from ttslib.search import rescore
from ttslib.selection import (Selection, aggregate_steps, answer_classes, best_of_n, log2_budgets, majority_vote, oracle,
                              weighted_vote)
from ttslib.verifiers import roc_auc, sample_confidence

FIXED_VERIFIERS = (VerifierSpec.step_checker(), VerifierSpec.confidence("mean"), VerifierSpec.confidence("min"))
CONFIDENCE = FIXED_VERIFIERS[1]


def known_verifier(name: str, verifiers: Iterable[VerifierSpec] = ()) -> VerifierSpec:
    """The spec among ``verifiers`` and :data:`FIXED_VERIFIERS` whose label is ``name``, else ``VerifierSpec.recorded(name)``."""
    specs = list(verifiers)
    bad = [v for v in specs if not isinstance(v, VerifierSpec)]
    if bad:
        raise TypeError(f"verifiers must be VerifierSpec records; got {bad[0]!r}")
    for spec in (*specs, *FIXED_VERIFIERS):
        if spec.label == str(name):
            return spec
    return VerifierSpec.recorded(str(name))


def make_verifier(spec: VerifierSpec):
    """The ``ttslib.verifiers`` object a spec names (a recorded verifier cannot be made: ValueError)."""
    if not isinstance(spec, VerifierSpec):
        raise TypeError(f"spec must be a VerifierSpec (e.g. VerifierSpec.noisy(0.8, seed=3)); got {spec!r}")
    if spec.kind == "step_checker":
        return verifier_objects.StepChecker()
    if spec.kind in ("confidence", "confidence_min"):
        return verifier_objects.ModelConfidence("mean" if spec.kind == "confidence" else "min")
    if spec.kind == "noisy":
        return verifier_objects.NoisyVerifier(verifier_objects.StepChecker(), auc=spec.auc, seed=spec.seed)
    if spec.kind == "group_confidence":
        raise ValueError("verifier group_confidence is DeepConf's score a ttslib.adaptive pool holds (make_pool(confidence=...)); "
                         "it scores no step, so the kit makes no verifier object of it")
    raise ValueError(f"verifier {spec} is known only by its recorded name: the kit cannot make it")


def score_pool(samples: pd.DataFrame, questions: Mapping, verifiers: Iterable) -> pd.DataFrame:
    """The pool with column ``step_scores_<label>`` added for each :class:`VerifierSpec` in ``verifiers``
    (``ttslib.search.rescore``; ``questions`` maps problem_id -> question)."""
    for spec in verifiers:
        samples = rescore(samples, questions, make_verifier(spec), column=f"step_scores_{spec.label}")
    return samples


@dataclass(frozen=True)
class PoolArrays:
    """A pool of N samples per problem as (P, N) arrays, rows in ``problem_ids`` order (sorted)."""

    problem_ids: np.ndarray  # (P,) str
    correct: np.ndarray  # (P, N) bool
    answers: np.ndarray  # (P, N) canonical answer keys (object), None: no answer
    completion_tokens: np.ndarray  # (P, N) float
    prompt_tokens: np.ndarray  # (P,) float
    confidence: np.ndarray  # (P, N) exp(mean token log-probability) of each sample
    step_scores: dict = field(default_factory=dict)  # VerifierSpec -> (P, N) object array of step-score lists
    level: np.ndarray | None = None  # (P,)

    @property
    def classes(self) -> np.ndarray:
        """Answer class ids (P, N), -1: no answer (``ttslib.selection.answer_classes`` of the keys)."""
        return answer_classes(self.answers)

    @property
    def shape(self) -> tuple[int, int]:
        return self.correct.shape

    def scores(self, verifier: VerifierSpec, aggregate: str = "last") -> np.ndarray:
        """One score per sample (P, N): the verifier's step scores aggregated, or the model's confidence."""
        if verifier in self.step_scores:
            return aggregate_steps(self.step_scores[verifier], aggregate)
        if verifier == CONFIDENCE:
            return self.confidence
        raise ValueError(f"the pool has no scores of verifier {verifier}; it has {[str(v) for v in sorted(self.step_scores)]}"
                         " (score_pool adds more)")

    def take(self, rows=None, columns=None) -> PoolArrays:
        """The pool cut to some problems (a boolean mask, indices or problem ids) and some samples (P, n) index."""
        r = row_index(self.problem_ids, rows)
        cut = (lambda a: a[r]) if columns is None else (lambda a: np.take_along_axis(a[r], columns, 1))
        return PoolArrays(self.problem_ids[r], cut(self.correct), cut(self.answers), cut(self.completion_tokens),
                          self.prompt_tokens[r], cut(self.confidence), {k: cut(v) for k, v in self.step_scores.items()},
                          None if self.level is None else self.level[r])

    def split(self, fraction: float = 0.5, seed: int = 0) -> tuple[PoolArrays, PoolArrays]:
        """Each problem's samples split at random into a held-apart part (for its bin) and a scored part,
        the draw tied to the problem's own samples (``ttslib.policy.split_samples``)."""
        tied = [self.correct, self.answers, self.confidence, self.completion_tokens, *(self.step_scores[k] for k in sorted(self.step_scores, key=str))]
        held, rest = split_sample_indices(*tied, fraction=fraction, seed=seed)
        return self.take(columns=held), self.take(columns=rest)


def _matrix(samples: pd.DataFrame, column: str, ids: np.ndarray, N: int) -> np.ndarray:
    return samples[column].to_numpy(dtype=object).reshape(ids.size, N)


def pool_arrays(samples: pd.DataFrame, verifiers: Iterable[VerifierSpec] = ()) -> PoolArrays:
    """A sample table (``ttslib.data`` schema, N samples for every problem) as :class:`PoolArrays`.

    Step scores: ``step_scores`` under the table's ``verifier`` (or "default"), and every
    ``step_scores_<name>`` column under its name, each name the spec :func:`known_verifier` finds among
    ``verifiers``; a sample with no step score scores 0.
    """
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
            scores[known_verifier(name, verifiers)] = np.array(filled + [None], dtype=object)[:-1].reshape(ids.size, N)
    level = df.groupby("problem_id", sort=True)["level"].first().to_numpy() if "level" in df.columns else None
    return PoolArrays(ids, _matrix(df, "is_correct", ids, N).astype(bool), answer_keys(_matrix(df, "answer", ids, N)),
                      _matrix(df, "num_completion_tokens", ids, N).astype(float),
                      df.groupby("problem_id", sort=True)["num_prompt_tokens"].first().to_numpy(dtype=float),
                      _matrix(df, "_conf", ids, N).astype(float), scores, level)


def adaptive_pool(samples: pd.DataFrame, *, window: int | None = None) -> Pool:
    """A sample table as a ``ttslib.adaptive.Pool`` (answers as :func:`pool_arrays` reads them), with DeepConf's
    confidence where the table has ``token_confidence`` (``ttslib generate --confidence-top-k``).

    ``window``: DeepConf's group window in tokens (2,048 in issue 31's description of the paper);
    needed with ``token_confidence``. Each trace's record lows (``confidence_lows``) are kept, so DeepConf
    online can replay where each trace would stop. A table where only some samples have their token
    confidence (a server that did not give it for all) is refused, naming how many lack it.
    """
    arrays = pool_arrays(samples)
    P, N = arrays.shape
    lows = at = None
    if "token_confidence" in samples.columns:
        if window is None:
            raise ValueError("window (DeepConf's group window, in tokens) is needed: the table has token_confidence")
        df = samples.assign(problem_id=samples["problem_id"].astype(str)).sort_values(["problem_id", "sample_idx"], kind="stable")
        traces = df["token_confidence"].to_list()
        absent = sum(t is None or np.ndim(t) == 0 or len(t) == 0 for t in traces)  # None, NaN or empty
        if absent:
            raise ValueError(f"token_confidence is absent or empty in {absent} of {len(traces)} samples; DeepConf needs it for "
                             f"every trace (regenerate with --confidence-top-k, or drop the column for the other rules)")
        lengths = np.array([len(t) for t in traces]).reshape(P, N)
        if np.any(lengths != arrays.completion_tokens):
            raise ValueError(f"token_confidence must hold one value per completion token; "
                             f"{int((lengths != arrays.completion_tokens).sum())} samples differ from num_completion_tokens")
        lows, at = confidence_lows([traces[p * N:(p + 1) * N] for p in range(P)], window)
    return make_pool(arrays.classes, arrays.correct, arrays.completion_tokens, lows=lows, lows_at=at, ids=arrays.problem_ids)


def revision_strategies(pool, problem_ids, *, feedback: str = "none", answers=("last",), rounds=None,
                        model=None) -> StrategyResults:
    """Majority vote over chains of revisions (``ttslib.sequential``) as strategies the policy chooses among: one
    strategy per rounds r (default 1..R) and chain answer (``answers``: "last", "majority"),
    ``Strategy("majority", revisions=Revisions(r, feedback, answer))``, at budgets n = p r for p = 1..C chains,
    exact over all p-subsets of the C chains; cost: the tokens generated, and with a registry ``model`` the
    forward FLOPs (``ttslib.sequential.round_flops``: each round reads its whole context, which grows with r).

    Parameters
    ----------
    pool : a ``ttslib.sequential.ChainPool`` (``make_chain_pool`` of ``ttslib.revise.chain_arrays``)
    problem_ids : (P,) the pool's problems, in its row order
    feedback : the feedback the chains were revised with ("none" or "checker"), recorded in the strategy
    """
    from ttslib.sequential import Revisions, round_flops, rounds_curve

    P, C, R = pool.shape
    priced = None if model is None else round_flops(pool, model)
    ids = np.asarray(problem_ids, dtype=str)
    if ids.shape != (P,):
        raise ValueError(f"problem_ids must hold the pool's {P} problems; got shape {ids.shape}")
    sels, tokens, flops = {}, {}, {}
    for how in answers:
        for r in (range(1, R + 1) if rounds is None else rounds):
            s = Strategy("majority", revisions=Revisions(int(r), feedback, how))
            acc, spent, _ = rounds_curve(pool, int(r), how)
            sels[s] = Selection(s, np.arange(1, C + 1) * int(r), acc, np.zeros_like(acc), "exact")
            tokens[s] = spent
            flops[s] = None if priced is None else rounds_curve(priced, int(r), how)[1]
    return StrategyResults(ids, sels, tokens, flops)


def step_auc(pool: PoolArrays, truth: VerifierSpec = FIXED_VERIFIERS[0]) -> pd.Series:
    """ROC AUC of each verifier's step scores against the exact checker's verdicts, over all steps
    (``ttslib.verifiers.roc_auc``); indexed by :class:`VerifierSpec`."""
    if truth not in pool.step_scores:
        raise ValueError(f"step_auc needs the {truth} scores in the pool (score_pool adds them)")
    flat = lambda s: np.concatenate([np.asarray(x, dtype=float) for x in s.ravel()])  # noqa: E731
    right = flat(pool.step_scores[truth]) > 0.5
    return pd.Series({v: roc_auc(flat(s)[right], flat(s)[~right]) for v, s in pool.step_scores.items()}, name="AUC")


def pool_strategies(pool: PoolArrays, *, verifiers=None, aggregate: str = "last", ns=None, model=None,
                    num_draws: int = 1000, seed: int = 0, attention: str = "kaplan") -> StrategyResults:
    """The sampling rules on a pool: the oracle (pass@n), majority vote, and best-of-N and weighted best-of-N
    with each verifier (:class:`VerifierSpec`; default: every one the pool has, the model's confidence where
    it has none), at ``ns`` (default 1, 2, 4, ..., N), exact (``ttslib.selection``); cost at n: n samples'
    expected tokens, and with ``model`` FLOPs (``ttslib.policy.sampling_cost``)."""
    ns = log2_budgets(pool.shape[1]) if ns is None else np.asarray(ns)
    names = list(pool.step_scores) or [CONFIDENCE] if verifiers is None else list(verifiers)
    cls = pool.classes
    sels = {Strategy("oracle"): oracle(pool.correct, ns), Strategy("majority"): majority_vote(cls, pool.correct, ns)}
    for v in names:
        score = pool.scores(v, aggregate)
        sels[Strategy("best_of_n", v, aggregate)] = best_of_n(pool.correct, score, ns, answers=cls)
        sels[Strategy("weighted", v, aggregate)] = weighted_vote(cls, pool.correct, score, ns, num_draws=num_draws, seed=seed)
    sels = {s: replace(sel, rule=s) for s, sel in sels.items()}  # the rule is the record: plots read its fields
    tokens = sampling_cost(pool.completion_tokens, ns)
    flops = None if model is None else sampling_cost(pool.completion_tokens, ns, prompt_tokens=pool.prompt_tokens, model=model,
                                                     attention=attention)
    return StrategyResults(pool.problem_ids, sels, dict.fromkeys(sels, tokens), dict.fromkeys(sels, flops))


SAMPLING_METHODS = ("oracle", "majority", "best_of_n", "weighted")  # rules that draw n of a problem's pool samples


def scenario_costs(results: StrategyResults, pool: PoolArrays | None, scenario, *, chains=None, searches=None,
                   verifier_models=None, verifiers: Iterable[VerifierSpec] = ()) -> StrategyResults:
    """``results`` with two more cost axes under ``scenario`` (``ttslib.cost.Scenario``): "dollars", and for a
    self-hosted scenario "seconds".

    - The rules that draw n of each problem's ``pool`` samples: a problem's samples are one batch on the roofline,
      the expectation over n-subsets exact (``ttslib.cost.expected_batch_seconds``).
    - With ``chains`` (a ``ttslib.sequential.ChainPool`` with context, the pool of ``revision_strategies``), the
      revision strategies: p chains of r rounds, the rounds one after another and the chains of a round one batch
      (``ttslib.cost.rounds_seconds``), one problem at a time; an API bills each round's context as input.
    - With ``searches`` (the search runs behind ``results``' search strategies, as given to
      :func:`search_strategies`, with the same ``verifiers``), the searches: each problem's steps one after
      another (``search_rounds``, ``ttslib.cost.search_seconds``), one problem at a time with its whole prompt
      prefilled, a model verifier's reads included where ``verifier_models`` names its model; an API bills each request's context (its partial
      solution) once as input and its children as output, and refuses a search whose verifier read tokens (the
      API does not price the verifier). Runs made before ``search_rounds`` was recorded are refused by name.

    A strategy none of these covers gets no cost in the new units (``StrategyResults.cost`` refuses it by name)."""
    if pool is None and chains is None and searches is None:
        raise ValueError("give the sampling pool, the chain pool (chains=), the search runs (searches=), or some of them")
    if (chains is not None or searches is not None) and scenario.concurrent != 1:
        raise ValueError(f"scenario {scenario.name!r} decodes {scenario.concurrent} problems together; revision chains and "
                         "searches are costed one problem at a time (concurrent=1)")
    out = results
    if chains is not None:
        out = _revision_costs(out, chains, scenario)
    if searches is not None:
        out = _search_costs(out, searches, scenario, verifier_models, verifiers)
    if pool is None:
        return out
    if not np.array_equal(np.asarray(results.problem_ids, dtype=str), np.asarray(pool.problem_ids, dtype=str)):
        raise ValueError("results and pool are on other problems (or in another order): cut both to the same problems first")
    drawn = [s for s in results if s.method in SAMPLING_METHODS and s.revisions is None]
    if not drawn:
        raise ValueError(f"no sampling rule in these results ({sorted({s.method for s in results})}); scenario costs cover {SAMPLING_METHODS}")
    m, p = pool.completion_tokens, np.asarray(pool.prompt_tokens)
    by_ns = {}
    for s in drawn:
        key = tuple(int(n) for n in results[s].n)
        if key not in by_ns:
            rows = [scenario.sample_costs(m[i], int(p[i]), key) for i in range(m.shape[0])]
            seconds = None if rows[0][0] is None else np.stack([r[0] for r in rows])
            by_ns[key] = (seconds, np.stack([r[1] for r in rows]))
    out = _add_costs(out, "dollars", {s: by_ns[tuple(int(n) for n in results[s].n)][1] for s in drawn})
    if scenario.has_seconds:
        out = _add_costs(out, "seconds", {s: by_ns[tuple(int(n) for n in results[s].n)][0] for s in drawn})
    return out


def _add_costs(results: StrategyResults, unit: str, costs: dict) -> StrategyResults:
    """``results.with_cost`` keeping what that unit already holds for other strategies."""
    return results.with_cost(unit, {**results.extra.get(unit, {}), **costs})


def _search_costs(results: StrategyResults, runs: pd.DataFrame, scenario, verifier_models, verifiers) -> StrategyResults:
    from ttslib.cost import ApiPrice, search_seconds

    searched = [s for s in results if s.method in SEARCH_METHODS]
    if not searched:
        raise ValueError("searches given, but these results hold no search strategy (ttslib.strategies.search_strategies)")
    if "search_rounds" not in runs.columns or runs["search_rounds"].isna().any():
        raise ValueError("these search runs do not record search_rounds (made before searches recorded their steps): "
                         "their critical path is unknown; run them again to cost them in seconds or dollars")
    api = isinstance(scenario.price, ApiPrice)
    df = runs.assign(problem_id=runs["problem_id"].astype(str))
    keys = [c for c in SEARCH_KEYS if c in df.columns]
    per: dict = {}  # strategy -> {n: (ids, seconds or None, dollars)}
    for _, g in df.groupby(keys + ["n"], sort=True, dropna=False):
        n = int(g["n"].iloc[0])
        mine = [s for s in searched if search_strategy(g, select=s.select, aggregate=s.aggregate, verifiers=verifiers) == s]
        if not mine:
            continue
        rounds = g.groupby("problem_id", sort=True)["search_rounds"].agg(["first", "nunique"])
        if (rounds["nunique"] != 1).any():
            raise ValueError(f"search run {mine[0]} at n={n}: search_rounds differs within a problem (it is per problem)")
        steps = [json.loads(r) for r in rounds["first"]]
        prompts = g.groupby("problem_id", sort=True)["num_prompt_tokens"].first().to_numpy(dtype=int)
        if api:
            read = float(g["search_verifier_tokens"].max()) if "search_verifier_tokens" in g else 0.0
            if read > 0:
                raise ValueError(f"search run {mine[0]} at n={n}: its verifier read tokens, which an API scenario does not price")
            per_in, per_out = (x / 1e6 for x in scenario.price.per_million())
            sent = np.array([sum(start for r in st for level in r["decode"] for start, _ in level) for st in steps], dtype=float)
            made = np.array([sum(sum(kids) for r in st for level in r["decode"] for _, kids in level) for st in steps], dtype=float)
            seconds, dollars = None, sent * per_in + made * per_out
        else:
            v_model = (verifier_models or {}).get(mine[0].verifier)
            seconds = np.array([search_seconds(st, scenario.model, scenario.price.hardware, verifier_model=v_model, prompt_tokens=int(p),
                                               precision=scenario.precision) for st, p in zip(steps, prompts)])
            dollars = scenario.price.dollars(seconds)
        for s in mine:
            per.setdefault(s, {})[n] = (rounds.index.to_numpy(dtype=str), seconds, dollars)
    missing = [s for s in searched if s not in per]
    if missing:
        raise ValueError(f"no run in searches for {missing[0]} (give the runs its results were made from, with the same verifiers)")
    seconds, dollars = {}, {}
    for s, by_n in per.items():
        ns = [int(n) for n in results[s].n]
        if any(n not in by_n for n in ns) or any(not np.array_equal(by_n[n][0], np.asarray(results.problem_ids, dtype=str)) for n in ns):
            raise ValueError(f"the search runs of {s} cover other problems or budgets than its results: give the same runs")
        dollars[s] = np.stack([by_n[n][2] for n in ns], axis=1)
        if not api:
            seconds[s] = np.stack([by_n[n][1] for n in ns], axis=1)
    out = _add_costs(results, "dollars", dollars)
    return _add_costs(out, "seconds", seconds) if seconds else out


def _revision_costs(results: StrategyResults, chains, scenario) -> StrategyResults:
    from ttslib.cost import ApiPrice, rounds_seconds

    revised = [s for s in results if s.revisions is not None]
    if not revised:
        raise ValueError("chains given, but these results hold no revision strategy (ttslib.strategies.revision_strategies)")
    if chains.context is None:
        raise ValueError("the chain pool records no context (what each round reads): make it with context= (ttslib.revise.chain_arrays)")
    seconds, dollars = {}, {}
    for s in revised:
        r = s.revisions.rounds
        ps = (np.asarray(results[s].n) // r).astype(int)
        if isinstance(scenario.price, ApiPrice):
            per_in, per_out = (x / 1e6 for x in scenario.price.per_million())
            read, made = chains.context[:, :, :r].sum(2).mean(1), chains.tokens[:, :, :r].sum(2).mean(1)  # (P,) per chain
            dollars[s] = ps[None, :] * (read * per_in + made * per_out)[:, None]
        else:
            seconds[s] = rounds_seconds(chains.tokens, chains.context, r, scenario.model, scenario.price.hardware, ps=ps,
                                        precision=scenario.precision)
            dollars[s] = scenario.price.dollars(seconds[s])
    out = _add_costs(results, "dollars", dollars)
    return _add_costs(out, "seconds", seconds) if seconds else out


def adaptive_strategies(pool, rules, *, num_orders: int = 1000, seed: int = 0, model=None, prompt_tokens=None,
                        attention: str = "kaplan") -> StrategyResults:
    """Adaptive rules on a pool as strategies the policy chooses among, beside :func:`pool_strategies`
    (``StrategyResults.merge``): each rule replayed on ``num_orders`` random orders of each problem's samples
    (``ttslib.adaptive.replay``), its expected accuracy per problem the strategy's selection (with its Monte
    Carlo standard error), its expected cost per problem the strategy's cost.

    Parameters
    ----------
    pool : a ``ttslib.adaptive.Pool`` (``make_pool``; DeepConf needs its confidence, and online its lows), or a
        :class:`PoolArrays` (answers, correctness, tokens and prompt tokens; no DeepConf confidence)
    rules : ``ttslib.adaptive`` settings records (``ESC``, ``AdaptiveConsistency``, ``ShortestMajority``,
        ``DeepConfOffline``, ``DeepConfOnline``) or their :class:`Strategy` records (``Strategy.adaptive``);
        ``TwoStage``, ``OracleBound`` and ``FixedMajority`` are refused (``ttslib.policy.strategy`` says why)
    num_orders, seed : the replay's orders; problem ``id`` draws from ``problem_seed(seed, id)``, so shuffled rows
        or a subset of the problems give each problem the same numbers
    model : a registry model for FLOPs (None: tokens only); ``prompt_tokens`` (P,) are then needed with a Pool

    Budget n. An adaptive strategy's n is its cap, the most samples it may draw: ``max_samples`` (ESC,
    Adaptive-Consistency, DeepConf online) or ``n`` (shortest majority, DeepConf offline), None meaning the
    pool's N. So it has one n, the budget it was given; what it spends on average is its cost, which is what
    a compute cap compares.

    Cost. Tokens: the expected generated tokens (a DeepConf-online trace stopped early costs the tokens up
    to its stop). FLOPs, as :func:`~ttslib.policy.sampling_cost`, the prompt prefilled once:
    ``S(0, p) + E[sum over the samples drawn of S(p, m_j)]``, the expectation taken on the same orders by
    replaying the rule with each sample's FLOPs in place of its tokens (and a stopped trace's FLOPs at its
    stop), so exact up to the Monte Carlo error for rules whose decisions read no token counts. Shortest
    majority reads them but always draws n samples: ``S(0, p) + n mean_j S(p, m_j)``, exact.
    """
    if isinstance(pool, PoolArrays):
        prompt = pool.prompt_tokens
        pool = make_pool(pool.classes, pool.correct, pool.completion_tokens, ids=pool.problem_ids)
    elif isinstance(pool, Pool):
        prompt = None if prompt_tokens is None else np.asarray(prompt_tokens, dtype=float)
    else:
        raise TypeError(f"pool must be a ttslib.adaptive.Pool (make_pool) or PoolArrays (pool_arrays); got {type(pool).__name__}")
    P, N = pool.shape
    strategies = [r if isinstance(r, Strategy) else Strategy.adaptive(r) for r in rules]
    fixed = [s for s in strategies if s.stop is None]
    if fixed:
        raise ValueError(f"rules must be adaptive (a stop rule); got {fixed[0]}, a fixed budget: pool_strategies gives those")
    if len(set(strategies)) != len(strategies) or not strategies:
        raise ValueError(f"rules must be distinct and at least one; got {[str(s) for s in strategies]}")
    stops = [s.stop for s in strategies]
    replayed = replay(pool, stops, num_orders=num_orders, seed=seed)
    flops = dict.fromkeys(strategies)
    if model is not None:
        if prompt is None or prompt.shape != (P,):
            raise ValueError(f"prompt_tokens (P,) = ({P},) are needed for FLOPs (model given); got "
                             f"{None if prompt is None else prompt.shape}")
        each = sequence_flops(model, pool.tokens, start=prompt[:, None], attention=attention)  # (P, N) S(p, m_j)
        at = None if pool.lows_at is None else sequence_flops(model, pool.lows_at, start=prompt[:, None, None], attention=attention)
        walk = [j for j, r in enumerate(stops) if not isinstance(r, ShortestMajority)]
        priced = replay(replace(pool, tokens=each, lows_at=at), [stops[j] for j in walk], num_orders=num_orders, seed=seed)
        spent = dict(zip(walk, (r.tokens for r in priced)))
        prefill = sequence_flops(model, prompt, attention=attention)
        for j, s in enumerate(strategies):  # shortest majority: n samples drawn uniformly, whatever it reads
            flops[s] = (prefill + (spent[j] if j in spent else s.stop.n * each.mean(1)))[:, None]
    sels, tokens = {}, {}
    for s, r in zip(strategies, replayed):
        sels[s] = Selection(s, np.array([stop_cap(s.stop, N)]), r.accuracy[:, None], r.accuracy_se[:, None], r.method)
        tokens[s] = r.tokens[:, None]
    return StrategyResults(pool.ids.astype(str), sels, tokens, flops)


def stop_cap(rule, N: int) -> int:
    """The most samples an adaptive rule may draw from a pool of N per problem: its ``n`` (shortest majority,
    DeepConf offline) or its ``max_samples`` (the others), None meaning N (:func:`adaptive_strategies`)."""
    cap = rule.n if isinstance(rule, (ShortestMajority, DeepConfOffline)) else rule.max_samples
    return N if cap is None else int(cap)


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


def search_strategy(group: pd.DataFrame, *, select: str = "weighted", aggregate: str = "last", verifiers=()) -> Strategy:
    """The strategy of one search run's rows (their method, verifier, beam width, lookahead, variant); the
    verifier is the spec :func:`known_verifier` finds among ``verifiers`` for the recorded name."""
    from ttslib.particles import ParticleFilter, Rebase

    first = group.iloc[0]
    get = lambda c, default=None: first[c] if c in group.columns and pd.notna(first[c]) else default  # noqa: E731
    method, verifier = str(first["method"]), known_verifier(str(first["verifier"]), verifiers)
    if method == "particle_filtering":
        scheme = ParticleFilter(str(get("pf_aggregate", "prod")), float(get("pf_temperature", 1.0)), int(get("pf_iterations", 1)),
                                str(get("pf_resample", "all")))
        return Strategy(method, verifier, aggregate, select=select, scheme=scheme)
    if method == "rebase":
        return Strategy(method, verifier, aggregate, select=select, scheme=Rebase(float(get("rebase_temperature", 0.2))))
    return Strategy(method, verifier, aggregate, int(get("beam_width", 4)), int(get("lookahead", 0)),
                    (str(get("dvts_variant", "kit")) if method == "dvts" else None), select)


SEARCH_KEYS = ("method", "verifier", "beam_width", "lookahead", "dvts_variant", "pf_aggregate", "pf_temperature", "pf_iterations",
               "pf_resample", "rebase_temperature")


def search_strategies(runs: pd.DataFrame, *, select: str = "weighted", aggregate: str = "last", model=None,
                      verifier_models=None, attention: str = "kaplan", verifiers: Iterable[VerifierSpec] = ()) -> StrategyResults:
    """Search runs (``ttslib.search`` tables, several runs concatenated) as strategies: runs that differ only
    in n form one strategy's curve over n; ``select`` picks one of each run's N candidates (the HF blog's
    weighted vote by default; ties split evenly). ``verifier_models`` maps a verifier (:class:`VerifierSpec`)
    that read tokens to its registry model (None: free); ``verifiers`` declares the specs behind the runs'
    recorded verifier names (:func:`known_verifier`). Every strategy must cover the same problems at each of its n."""
    if select not in SELECT_RULES:
        raise ValueError(f"select must be one of {SELECT_RULES}; got {select!r}")
    need = ["problem_id", "method", "n", "verifier", "answer", "is_correct", "step_scores", "search_generated_tokens"]
    missing = [c for c in need if c not in runs.columns]
    if missing:
        raise ValueError(f"search table is missing column(s) {missing}; it has {list(runs.columns)}")
    df = runs.assign(problem_id=runs["problem_id"].astype(str), _key=answer_keys(runs["answer"]))
    keys = [c for c in SEARCH_KEYS if c in df.columns]
    df = df.sort_values(keys + ["n", "problem_id"] + (["sample_idx"] if "sample_idx" in df else []), kind="stable")
    per_strategy: dict[Strategy, dict] = {}
    notes = []
    for _, g in df.groupby(keys + ["n"], sort=True, dropna=False):
        s, n = search_strategy(g, select=select, aggregate=aggregate, verifiers=verifiers), int(g["n"].iloc[0])
        sizes = g.groupby("problem_id", sort=True).size()
        if (sizes != n).any():
            raise ValueError(f"search run {s} at n={n} has {int(sizes[sizes != n].iloc[0])} rows for problem "
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
                raise ValueError(f"search run {s} at n={n} covers other problems than the first run "
                                 f"({len(by_n[n][0])} vs {len(ids)}); cut the runs to common problems first")
        stack = lambda i: np.stack([by_n[n][i] for n in ns], axis=1)  # noqa: E731
        sels[s] = Selection(s, np.array(ns), stack(1), np.zeros((ids.size, len(ns))), "exact")
        tok[s], fl[s] = stack(2), (None if model is None else stack(3))
    if not sels:
        raise ValueError("the search table has no rows")
    return StrategyResults(ids, sels, tok, fl, tuple(dict.fromkeys(notes)))


def _one_per_problem(g: pd.DataFrame, column: str, what: str) -> np.ndarray:
    spent = g.groupby("problem_id", sort=True)[column].agg(["min", "max"])
    if (spent["min"] != spent["max"]).any():
        raise ValueError(f"search run {what}: {column} differs within a problem (it is a per-problem total)")
    return spent["min"].to_numpy(dtype=float)


def _has(g: pd.DataFrame, column: str) -> bool:
    """Whether a run's rows record ``column``: runs of several methods concatenated leave it empty (NaN) in the
    rows of a run that has no such column (only particle filtering records re-read tokens)."""
    return column in g.columns and bool(g[column].notna().any())


def _recorded(g: pd.DataFrame, column: str, what: str) -> np.ndarray:
    """A per-problem total the run recorded, or zeros where its rows do not have it (:func:`_has`)."""
    if not _has(g, column):
        return np.zeros(g["problem_id"].nunique())
    return _one_per_problem(g, column, what)


def _search_cost(g, ids, n, model, verifier_models, attention, s):
    """Generated tokens (P,) and FLOPs (P,) of one run (module docstring), and a note if FLOPs were estimated."""
    what = f"{s} at n={n}"
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
    decoded = generated + _recorded(g, "search_reread_tokens", what)
    flops = sequence_flops(model, prompt, attention=attention) + tree_flops(model, decoded, context, attention=attention)
    if _has(g, "search_prefill_tokens"):  # re-sent partial solutions (text backends), beyond the prompt
        extra = np.maximum(_one_per_problem(g, "search_prefill_tokens", what) - prompt, 0.0)
        flops += sequence_flops(model, extra, attention=attention) if extra.any() else 0.0
    read = _recorded(g, "search_verifier_tokens", what)
    if read.any():
        v_model = (verifier_models or {}).get(s.verifier, "missing")
        if v_model == "missing":
            raise ValueError(f"verifier {s.verifier} read tokens: give its model (or None if free) in verifier_models")
        if v_model is not None:
            flops = flops + 2.0 * get_model(v_model).params * read
    return generated, flops, note


def results_from_search(table: pd.DataFrame, *, rule: str = "weighted", aggregate: str = "last", model=None,
                        verifier_models=None, verifiers: Iterable[VerifierSpec] = ()) -> pd.DataFrame:
    """The strategy-results table (``ttslib.policy.table``) of search runs (:func:`search_strategies`): one
    strategy per search setting, its n those of its runs; ``rule`` picks one of a run's N candidates; cost
    generated tokens, or FLOPs with ``model``; ``level`` kept if present."""
    res = search_strategies(table, select=rule, aggregate=aggregate, model=model, verifier_models=verifier_models,
                            verifiers=verifiers)
    level = None
    if "level" in table.columns:
        level = table.assign(problem_id=table["problem_id"].astype(str)).groupby("problem_id")["level"].first().loc[res.problem_ids].to_numpy()
    return res.table("tokens" if model is None else "flops", level=level)
