"""Particle filtering and REBASE (``ttslib.particles`` and the search loop) against independent references.

- The particle weight against a transcription of its_hub's definition (``algorithms/particle_gibbs.py``:
  ``_inv_sigmoid`` of reward_hub's aggregated PRM score, clipped to [1e-7, 1 - 1e-7]).
- REBASE's widths against a transcription of ``select_softmax`` in ``thu-wyz/inference_scaling/rebase.py``.
- The exact expected accuracy of each on the scripted chains of ``test_search`` (each step right with
  probability q), with a verifier that gives a right prefix's step the score ``HI`` and a wrong one ``LO``:
  REBASE's allocation then depends only on how many unfinished nodes are right (a Markov chain over that
  count); particle filtering's weights depend on how many steps each particle got right before its first
  error, and the reference enumerates every extension and every multinomial resampling outcome.
"""

from __future__ import annotations

import itertools
import math
import shutil

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom

from test_search import TEMPLATE, ScriptedBackend, chains
from ttslib.problems import make_chains
from ttslib.search import SearchConfig, run_search
from ttslib.particles import (aggregate_scores, particle_log_weight, rebase_widths, resample_counts,
                                     resampling_probabilities)
from ttslib.verifiers import StepChecker, StepScores

HI, LO = 0.8, 0.3
STEPS = 3  # level-5 chains: two operations and the answer line


class TwoValued:
    """The exact step checker's verdicts mapped to ``HI`` (prefix right) and ``LO`` (prefix wrong)."""

    name, model = "two_valued", None

    def score(self, questions, partials, *, step_logprobs=None):
        exact = StepChecker().score(questions, partials)
        return StepScores(tuple(np.where(s == 1.0, HI, LO) for s in exact.scores), 0)


def its_hub_weight(scores, how):
    """its_hub: reward_hub's PRMResult aggregation, then _inv_sigmoid (clip to [1e-7, 1 - 1e-7], log(x / (1 - x)))."""
    x = {"prod": math.prod(scores), "min": min(scores), "last": scores[-1]}[how]
    x = min(max(x, 1e-7), 1 - 1e-7)
    return math.log(x / (1 - x))


def rebase_reference(rewards, width, temperature):
    """rebase.py's select_softmax, transcribed: sorted best first, each takes ceil(W * e_j / S), then W -= it, S -= e_j."""
    exps = [math.exp(r / temperature) for r in rewards]
    total, left, out = sum(exps), width, []
    for e in exps:
        take = math.ceil(left * e / total) if left > 0 else 0
        out.append(take)
        left, total = left - take, total - e
    return out


@pytest.mark.parametrize("how", ["prod", "min", "last"])
def test_particle_weight_is_its_hubs(how):
    rng = np.random.default_rng(0)
    cases = [list(rng.uniform(0, 1, size=rng.integers(1, 6))) for _ in range(200)] + [[0.0], [1.0], [1.0, 0.0], [0.5]]
    for scores in cases:
        assert particle_log_weight(scores, how) == pytest.approx(its_hub_weight(scores, how), rel=1e-12, abs=1e-9)
    with pytest.raises(ValueError, match="aggregate"):
        particle_log_weight([0.5], "mean")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        particle_log_weight([1.5], "last")


def test_resampling_at_temperature_one_draws_by_odds():
    r = np.array([0.9, 0.5, 0.2, 0.05])
    p = resampling_probabilities([particle_log_weight([x], "last") for x in r])
    odds = r / (1 - r)
    np.testing.assert_allclose(p, odds / odds.sum(), rtol=1e-12)
    cold = resampling_probabilities([particle_log_weight([x], "last") for x in r], temperature=0.01)
    assert cold[0] > 1 - 1e-9  # a cold softmax keeps the best
    counts = resample_counts(np.log(odds), 10**6, np.random.default_rng(1))
    assert counts.sum() == 10**6
    np.testing.assert_allclose(counts / 10**6, p, atol=5 * np.sqrt(p * (1 - p) / 10**6).max())


def test_rebase_widths_follow_the_formula():
    assert list(rebase_widths([0.9, 0.8, 0.5], 16, 0.2)) == [10, 5, 1] == rebase_reference([0.9, 0.8, 0.5], 16, 0.2)
    rng, overshoot = np.random.default_rng(2), 0
    for _ in range(500):
        k, width, temp = int(rng.integers(1, 9)), int(rng.integers(1, 65)), float(rng.choice([0.05, 0.2, 1.0, 5.0]))
        rewards = sorted(np.round(rng.uniform(0, 1, size=k), 3), reverse=True)
        got = rebase_widths(rewards, width, temp)
        assert got.sum() == width and (got >= 0).all()
        want = rebase_reference(rewards, width, temp)
        if sum(want) > width:  # the reference's float S - e_j leaves the last ratio just above 1: ceil gives one more
            overshoot += 1
            want[-1] = width - sum(want[:-1])
        assert list(got) == want, (rewards, width, temp)
    assert 0 < overshoot < 250  # the float accident is common (about 1 case in 5), and only ever at the last node
    with pytest.raises(ValueError, match="sorted best first"):
        rebase_widths([0.1, 0.9], 4)
    with pytest.raises(ValueError, match="temperature"):
        rebase_widths([0.9], 4, 0.0)


def exact_rebase_accuracy(q: float, n: int, temperature: float) -> float:
    """P(some candidate is right): the right unfinished nodes r after each depth form a Markov chain; r right
    nodes (reward HI, first) and n - r wrong (LO) share the width n by rebase_reference; right children come
    only from right parents, each with probability q; every node ends at the answer line (depth STEPS)."""
    dist = binom.pmf(np.arange(n + 1), n, q)  # depth 1: n children of the prompt
    for _ in range(STEPS - 1):
        nxt = np.zeros(n + 1)
        for r, p in enumerate(dist):
            if p == 0:
                continue
            to_right = sum(rebase_reference([HI] * r + [LO] * (n - r), n, temperature)[:r]) if r else 0
            nxt[: to_right + 1] += p * binom.pmf(np.arange(to_right + 1), to_right, q)
        dist = nxt
    return 1 - dist[0]


def _prefix_weight(j: int, d: int, how: str) -> float:
    """its_hub's weight of a d-step prefix whose first j steps are right (HI) and the rest wrong (LO)."""
    return its_hub_weight([HI] * min(j, d) + [LO] * (d - min(j, d)), how)


def _particle_states(q: float, n: int, how: str, temperature: float, resample_last: bool, ref: int | None = None) -> dict:
    """The distribution of the final particles (a sorted tuple of their j) of one particle filter of n free
    particles. A particle is the number j of steps it got right before its first error (right so far: j = steps
    done); its prefix scores are HI j times then LO. Each step extends every particle (a right one stays right
    with probability q), then draws n particles from softmax(w / T) of the logit of their aggregated scores:
    every extension and every multinomial outcome is enumerated. ``ref``: particle Gibbs' reference (its j),
    which competes in each draw at step d with the weight of its first d steps; a draw of it is a particle
    with its first d steps (j = min(ref, d))."""
    states = {(0,) * n: 1.0}
    for d in range(1, STEPS + 1):
        grown: dict[tuple, float] = {}
        for state, p in states.items():
            right = [i for i, j in enumerate(state) if j == d - 1]
            for hits in itertools.product([True, False], repeat=len(right)):
                new = list(state)
                for i, hit in zip(right, hits):
                    new[i] += hit
                pr = p * math.prod(q if h else 1 - q for h in hits)
                key = tuple(sorted(new))
                grown[key] = grown.get(key, 0.0) + pr
        if d == STEPS and not resample_last:
            states = grown
            break
        states = {}
        for state, p in grown.items():
            types = list(state) + ([min(ref, d)] if ref is not None else [])
            w = np.array([_prefix_weight(j, d, how) for j in types]) / temperature
            probs = np.exp(w - w.max())
            probs /= probs.sum()
            for draw in itertools.combinations_with_replacement(range(len(types)), n):  # a multiset of drawn particles
                counts = np.bincount(draw, minlength=len(types))
                pr = math.factorial(n) / math.prod(math.factorial(c) for c in counts) * math.prod(probs ** counts)
                key = tuple(sorted(types[i] for i in draw))
                states[key] = states.get(key, 0.0) + p * pr
    return states


def exact_particle_accuracy(q: float, n: int, how: str, temperature: float, resample_last: bool) -> float:
    """P(some final particle is right) of particle filtering with n particles (:func:`_particle_states`)."""
    return sum(p for state, p in _particle_states(q, n, how, temperature, resample_last).items() if max(state) == STEPS)


def exact_gibbs_accuracy(q: float, m: int, how: str, temperature: float) -> float:
    """P(some candidate is right) of particle Gibbs with 2 iterations of m particles: the first a particle filter;
    if none of its particles is right, the reference is drawn from them by softmax(w / T) of their final weights,
    and the second runs m - 1 free particles beside it (:func:`_particle_states` with ``ref``)."""
    total = 0.0
    for state, p in _particle_states(q, m, how, temperature, True).items():
        if max(state) == STEPS:
            total += p
            continue
        w = np.array([_prefix_weight(j, STEPS, how) for j in state]) / temperature
        pick = np.exp(w - w.max())
        pick /= pick.sum()
        for j_ref, p_ref in zip(state, pick):
            second = _particle_states(q, m - 1, how, temperature, True, ref=j_ref)
            total += p * p_ref * sum(pr for s, pr in second.items() if max(s) == STEPS)
    return total


def _solved(table):
    assert (table.groupby("problem_id").size() == table["n"].iloc[0]).all()
    return table.groupby("problem_id")["is_correct"].any().to_numpy()


def _close(solved, want):
    se = np.sqrt(want * (1 - want) / len(solved))
    assert abs(solved.mean() - want) < 4 * se + 1e-9, (solved.mean(), want)


def test_the_exact_references_on_tiny_cases():
    # one particle: resampling changes nothing, so it is right with q^3
    assert exact_particle_accuracy(0.6, 1, "prod", 1.0, True) == pytest.approx(0.6**3)
    # a cold softmax keeps a right particle whenever there is one: as beam search keeping the right ones
    cold = exact_particle_accuracy(0.5, 2, "last", 1e-3, True)
    r1 = 1 - 0.5**2
    assert cold == pytest.approx(r1**3, rel=1e-6)  # each step: some right particle survives iff one of 2 children is right
    # REBASE with width 1 is one sample; with width 2 a right node takes both units (ceil(2 * 0.924) = 2 at T = 0.2),
    # so a right solution survives each step iff one of 2 children is right
    assert exact_rebase_accuracy(0.7, 1, 0.2) == pytest.approx(0.7**3)
    assert exact_rebase_accuracy(0.5, 2, 0.2) == pytest.approx((1 - 0.5**2) ** 3)


@pytest.mark.parametrize("q,n,temp", [(0.5, 4, 0.2), (0.4, 8, 0.2), (0.6, 4, 1.0)])
def test_rebase_reaches_its_exact_expected_accuracy(q, n, temp):
    config = SearchConfig(method="rebase", n=n, rebase_temperature=temp)
    table = run_search(chains(), ScriptedBackend(q), TwoValued(), config, template=TEMPLATE, grade_style="answer_is", progress=False)
    _close(_solved(table), exact_rebase_accuracy(q, n, temp))


@pytest.mark.parametrize("q,n,how,temp,resample", [(0.5, 3, "prod", 1.0, "all"), (0.4, 4, "prod", 1.0, "all"),
                                                    (0.5, 3, "min", 0.5, "all"), (0.5, 3, "last", 1.0, "active")])
def test_particle_filtering_reaches_its_exact_expected_accuracy(q, n, how, temp, resample):
    config = SearchConfig(method="particle_filtering", n=n, pf_aggregate=how, pf_temperature=temp, pf_resample=resample)
    table = run_search(chains(per_level=300), ScriptedBackend(q), TwoValued(), config, template=TEMPLATE, grade_style="answer_is",
                       progress=False)
    _close(_solved(table), exact_particle_accuracy(q, n, how, temp, resample_last=resample == "all"))


@pytest.mark.parametrize("q,m,how,temp", [(0.5, 2, "prod", 1.0), (0.4, 3, "prod", 0.5)])
def test_particle_gibbs_reaches_its_exact_expected_accuracy(q, m, how, temp):
    config = SearchConfig(method="particle_filtering", n=2 * m, pf_iterations=2, pf_aggregate=how, pf_temperature=temp)
    table = run_search(chains(per_level=400), ScriptedBackend(q), TwoValued(), config, template=TEMPLATE, grade_style="answer_is",
                       progress=False)
    _close(_solved(table), exact_gibbs_accuracy(q, m, how, temp))


def test_the_gibbs_reference_competes_with_its_first_steps():
    """One draw of the loop itself at a cold temperature: after step 1 the reference (first step right, then two
    wrong) weighs logit(HI) and the free particle (first step wrong) logit(LO), so the reference's first step is
    drawn; weighed by its whole solution, logit(HI * LO * LO), it would lose."""
    from ttslib.search.prune import Node, Tree, advance

    class Keep:
        def release(self, handles):
            pass

    ref = Node(handle=None, steps=("a", "b", "c"), step_tokens=(1, 1, 1), step_logprobs=((), (), ()),
               scores=np.array([HI, LO, LO]), ended=True)
    free = Node(handle="h", steps=("x",), step_tokens=(1,), step_logprobs=((),), scores=np.array([LO]), order=1)
    tree = Tree(0, 2, 4, np.random.default_rng(0), reference=ref)
    revived = []
    revive = lambda tree, t, source: revived.append(Node(handle="r", steps=source.steps[:t], scores=source.scores[:t])) or revived[-1]  # noqa: E731
    config = SearchConfig(method="particle_filtering", n=4, pf_iterations=2, pf_temperature=0.01)
    advance(tree, [free], config, Keep(), revive)
    assert len(revived) == 1 and tree.population == revived and tree.active == revived and tree.alloc == [1]


def test_resampling_matters_in_the_exact_reference():
    # the reference is not blind to its weights: resampling by them beats n independent samples
    independent = 1 - (1 - 0.5**3) ** 4
    assert exact_particle_accuracy(0.5, 4, "prod", 1.0, True) > independent + 0.05


@pytest.mark.parametrize("method", ["particle_filtering", "rebase"])
def test_shuffled_problems_give_the_same_table(method):
    problems = chains(levels=(3, 5, 7), per_level=4)
    config = SearchConfig(method=method, n=4)
    kw = dict(template=TEMPLATE, grade_style="answer_is", progress=False, problems_per_shard=3)
    a = run_search(problems, ScriptedBackend(0.6), TwoValued(), config, **kw)
    b = run_search(problems.sample(frac=1.0, random_state=3), ScriptedBackend(0.6), TwoValued(), config, **kw)
    key = ["problem_id", "sample_idx"]
    pd.testing.assert_frame_equal(a.sort_values(key).reset_index(drop=True), b.sort_values(key).reset_index(drop=True))


@pytest.mark.parametrize("config", [SearchConfig(method="rebase", n=8), SearchConfig(method="particle_filtering", n=8),
                                    SearchConfig(method="particle_filtering", n=8, pf_iterations=2)])
@pytest.mark.parametrize("q", [0.0, 1.0, 0.5])
def test_exactly_n_candidates(config, q):
    problems = chains(levels=(1, 9), per_level=5)
    config = SearchConfig(**{**config.__dict__, "max_steps": 3})  # level 9 needs 4 steps: cut at 3
    table = run_search(problems, ScriptedBackend(q), TwoValued(), config, template=TEMPLATE, grade_style="answer_is", progress=False)
    assert (table.groupby("problem_id").size() == 8).all()
    assert sorted(table["sample_idx"].unique()) == list(range(8))
    long = table[table["level"] == 9]
    assert (long["status"] == "length: no answer within max_steps").all() and not long["is_correct"].any()


def test_rebase_tokens_by_hand():
    # q = 1: every node right with equal reward, so each of the n gets one child: n chains of 6 + 6 + 3 tokens
    problems = make_chains(1, levels=(5,), seed=0)
    table = run_search(problems, ScriptedBackend(1.0), TwoValued(), SearchConfig(method="rebase", n=4),
                       template=TEMPLATE, grade_style="answer_is", progress=False)
    assert table["search_generated_tokens"].iloc[0] == 4 * (6 + 6 + 3)
    assert table["is_correct"].all() and (table["rebase_temperature"] == 0.2).all()


def test_particle_gibbs_keeps_its_reference():
    problems = chains(per_level=20)
    config = SearchConfig(method="particle_filtering", n=6, pf_iterations=3)
    table = run_search(problems, ScriptedBackend(0.5), TwoValued(), config, template=TEMPLATE, grade_style="answer_is", progress=False)
    assert (table.groupby(["problem_id", "pf_iteration"]).size() == 2).all()
    for _, g in table.groupby("problem_id"):
        for i in (1, 2):  # the reference, one of the last iteration's particles, is among this iteration's
            before = set(g.loc[g["pf_iteration"] == i - 1, "completion"])
            assert before & set(g.loc[g["pf_iteration"] == i, "completion"])


def test_particle_settings_are_checked_and_recorded(tmp_path):
    with pytest.raises(ValueError, match="pf_temperature is a setting of particle_filtering"):
        SearchConfig(method="beam_search", pf_temperature=0.5)
    with pytest.raises(ValueError, match="beam_width is a setting of beam search"):
        SearchConfig(method="rebase", beam_width=2)
    with pytest.raises(ValueError, match="multiple of pf_iterations"):
        SearchConfig(method="particle_filtering", n=6, pf_iterations=4)
    with pytest.raises(ValueError, match="pf_aggregate"):
        SearchConfig(method="particle_filtering", pf_aggregate="mean")
    with pytest.raises(ValueError, match="temperature"):
        SearchConfig(method="rebase", rebase_temperature=-1.0)
    assert set(SearchConfig().settings()) == {"method", "n", "beam_width", "max_steps", "max_step_tokens", "lookahead",
                                              "dvts_variant", "temperature", "top_p", "seed"}  # as the shipped runs' manifests
    config = SearchConfig(method="particle_filtering", n=4, pf_temperature=0.5)
    kw = dict(template=TEMPLATE, grade_style="answer_is", progress=False, problems_per_shard=2)
    problems = chains(per_level=6)
    full = run_search(problems, ScriptedBackend(0.6), TwoValued(), config, out_dir=tmp_path / "a", **kw)
    shutil.copytree(tmp_path / "a", tmp_path / "b")  # killed after its first shard
    (tmp_path / "b" / "samples.parquet").unlink()
    for shard in sorted((tmp_path / "b" / "shards").glob("*.parquet"))[1:]:
        shard.unlink()
    pd.testing.assert_frame_equal(full, run_search(problems, ScriptedBackend(0.6), TwoValued(), config, out_dir=tmp_path / "b", **kw))
    with pytest.raises(ValueError, match="pf_temperature"):
        run_search(problems, ScriptedBackend(0.6), TwoValued(), SearchConfig(method="particle_filtering", n=4), out_dir=tmp_path / "a", **kw)


def test_aggregates():
    assert aggregate_scores([0.5, 0.4], "prod") == pytest.approx(0.2)
    assert aggregate_scores([0.5, 0.4, 0.9], "min") == 0.4 and aggregate_scores([0.5, 0.9], "last") == 0.9
    with pytest.raises(ValueError, match="non-empty"):
        aggregate_scores([], "prod")


def test_the_policy_sees_each_method_as_its_own_strategy():
    from ttslib.particles import ParticleFilter, Rebase
    from ttslib.policy import Strategy, VerifierSpec
    from ttslib.strategies import search_strategies

    problems = chains(per_level=8)
    kw = dict(template=TEMPLATE, grade_style="answer_is", progress=False)
    runs = [run_search(problems, ScriptedBackend(0.5), TwoValued(), SearchConfig(method=m, n=4, **extra), **kw)
            for m, extra in [("beam_search", {"beam_width": 2}), ("rebase", {}), ("particle_filtering", {}),
                             ("particle_filtering", {"pf_temperature": 0.5})]]
    spec = VerifierSpec.recorded("two_valued")
    res = search_strategies(pd.concat(runs, ignore_index=True).sample(frac=1.0, random_state=0), verifiers=[spec])
    want = {Strategy("beam_search", spec, beam_width=2), Strategy("rebase", spec, scheme=Rebase()),
            Strategy("particle_filtering", spec, scheme=ParticleFilter()),
            Strategy("particle_filtering", spec, scheme=ParticleFilter(temperature=0.5))}
    assert set(res.selections) == want
    for run in runs:  # each strategy's cost is its run's tree
        s = [k for k in want if k.method == run["method"].iloc[0]]
        spent = run.groupby("problem_id")["search_generated_tokens"].first().sort_index().to_numpy()
        assert any(np.array_equal(res.tokens[k][:, 0], spent) for k in s)
    # FLOPs of runs concatenated, whose tables have other columns (only particle filtering records re-read tokens),
    # are each run's FLOPs alone
    together = search_strategies(pd.concat(runs, ignore_index=True), model="SmolLM2-135M", verifiers=[spec])
    for run in runs:
        alone = search_strategies(run, model="SmolLM2-135M", verifiers=[spec])
        (s,) = alone.selections
        np.testing.assert_array_equal(together.flops[s], alone.flops[s])


@pytest.mark.model
@pytest.mark.parametrize("config", [SearchConfig(method="particle_filtering", n=4, max_steps=6, max_step_tokens=16),
                                    SearchConfig(method="particle_filtering", n=4, max_steps=6, max_step_tokens=16, pf_iterations=2),
                                    SearchConfig(method="rebase", n=4, max_steps=6, max_step_tokens=16)],
                         ids=["pf", "gibbs", "rebase"])
def test_resampled_particles_share_their_prefixes_in_the_embedded_cache(config):
    """Nothing is decoded twice: the backend decodes at most the distinct tokens of the trees (the prompt once,
    every sampled token once; a particle Gibbs reference continued part of the way re-reads its steps, counted
    in search_prefill_tokens)."""
    from ttslib.generate import PROMPTS
    from ttslib.generate.llama import LlamaCppBackend

    style = PROMPTS["chain_fewshot"]
    backend = LlamaCppBackend(n_threads=1)
    problems = make_chains(2, levels=(2, 5), seed=4)
    before = backend.stats["decoded"]
    table = run_search(problems, backend, TwoValued(), config, template=style.template, delimiter=style.step_delimiter,
                       grade_style=style.grade_style, progress=False, problems_per_shard=len(problems))
    decoded = backend.stats["decoded"] - before
    per = table.groupby("problem_id").first()
    prefix = max(len(p.tokens) for p in backend._prefixes)
    questions = int((per["num_prompt_tokens"] - prefix).sum())  # each problem's own part of its prompt
    distinct = prefix + questions + int(per["search_generated_tokens"].sum())  # the few-shot prefix once
    revived = int(per["search_prefill_tokens"].sum()) - questions  # what continuing a Gibbs reference re-read
    assert (table.groupby("problem_id").size() == 4).all()
    assert revived == 0 if config.pf_iterations == 1 else revived > 0
    if config.method == "particle_filtering":  # what was read again is counted as such (its FLOPs: ttslib.strategies)
        assert int(per["search_reread_tokens"].sum()) == revived
    assert decoded <= distinct + revived, (decoded, distinct, revived)
    assert decoded >= int(per["search_generated_tokens"].sum()) - 4 * len(per) * config.max_steps  # it did decode the trees
