"""A search's critical path: the steps each search records (``search_rounds``) against its own token counts and a
by-hand tree, ``ttslib.cost.search_seconds`` against a step-by-step roofline, and searches costed in seconds and
dollars for the policy (``ttslib.strategies.scenario_costs``)."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from test_search import TEMPLATE, ScriptedBackend, chains
from ttslib.cost import HARDWARE, ApiPrice, Hardware, Scenario, SelfHosted, kv_bytes_per_token, search_seconds, weight_bytes
from ttslib.problems import make_chains
from ttslib.registry import get_model
from ttslib.search import SearchConfig, run_search
from ttslib.verifiers import StepChecker, StepScores

TOY = Hardware("toy", peak_flops=1e9, bandwidth=1e8, precision="made up", source="a test")
KW = dict(template=TEMPLATE, grade_style="answer_is", progress=False)


class ReadingChecker:
    """The exact step checker, reading every word of each partial solution (a model verifier's tokens)."""

    name, model = "reading_checker", None

    def score(self, questions, partials, *, step_logprobs=None):
        exact = StepChecker().score(questions, partials)
        read = sum(len(q.split()) + sum(len(s.split()) for s in p) for q, p in zip(questions, partials))
        return StepScores(exact.scores, read)


CONFIGS = {
    "beam": SearchConfig(method="beam_search", n=4, beam_width=2),
    "beam_lookahead": SearchConfig(method="beam_search", n=4, beam_width=2, lookahead=1),
    "dvts": SearchConfig(method="dvts", n=4, beam_width=2),
    "sampling": SearchConfig(method="sampling", n=4, beam_width=1),
    "pf": SearchConfig(method="particle_filtering", n=4),
    "gibbs": SearchConfig(method="particle_filtering", n=6, pf_iterations=3),
    "rebase": SearchConfig(method="rebase", n=4),
}


@pytest.mark.parametrize("name", CONFIGS)
def test_the_steps_account_for_every_token_the_search_counted(name):
    config = CONFIGS[name]
    table = run_search(chains(per_level=6), ScriptedBackend(0.6), ReadingChecker(), config, **KW)
    for _, g in table.groupby("problem_id"):
        first = g.iloc[0]
        steps = json.loads(first["search_rounds"])
        assert (g["search_rounds"] == first["search_rounds"]).all()
        made = sum(sum(kids) for r in steps for level in r["decode"] for _, kids in level)
        assert made == first["search_generated_tokens"]
        assert sum(t for r in steps for _, t in r["prefill"]) == first["search_prefill_tokens"]
        assert sum(r["verifier"] for r in steps) == pytest.approx(first["search_verifier_tokens"], rel=1e-9)
        assert 1 <= len(steps) <= config.max_steps
        assert all(len(r["decode"]) <= 1 + config.lookahead for r in steps)
        expanded = [sum(len(kids) for _, kids in r["decode"][0]) for r in steps]
        assert all(r["scored"] == e for r, e in zip(steps, expanded))  # every child is scored in its step
        if config.method in ("beam_search", "sampling", "rebase", "particle_filtering") and config.pf_iterations == 1:
            assert expanded[0] == config.n  # the first step samples N children of the prompt
        assert max(expanded) <= config.n


def test_the_steps_of_a_beam_search_by_hand():
    # q = 1: "x op y = z" is 5 words + the delimiter = 6 tokens, "Answer: v" 2 + 1; a text backend re-sends each
    # partial solution whole, so each request's prefill starts at position 0
    problems = make_chains(1, levels=(5,), seed=0)  # one problem, 2 operations: 3 steps
    table = run_search(problems, ScriptedBackend(1.0), StepChecker(), SearchConfig(method="beam_search", n=4, beam_width=2), **KW)
    p = int(table["num_prompt_tokens"].iloc[0])
    one = p + len(table["steps"].iloc[0][0].split())  # each request's context: the prompt and the steps so far
    two = one + len(table["steps"].iloc[0][1].split())
    assert json.loads(table["search_rounds"].iloc[0]) == [
        {"prefill": [[0, p]], "decode": [[[p, [6, 6, 6, 6]]]], "scored": 4, "verifier": 0.0},
        {"prefill": [[0, one], [0, one]], "decode": [[[p + 6, [6, 6]], [p + 6, [6, 6]]]], "scored": 4, "verifier": 0.0},
        {"prefill": [[0, two], [0, two]], "decode": [[[p + 12, [3, 3]], [p + 12, [3, 3]]]], "scored": 4, "verifier": 0.0},
    ]
    # the server counts a re-sent step's words (5), the kit the step's sampled tokens (its words and the delimiter)
    assert one == p + 6 - 1 and two == p + 12 - 2


def by_hand(steps, model, hw, verifier=None, prompt=None):
    """Each step: its prefill pass, then each decoding pass token by token (every live child at its position,
    the prompt read once a token for all, each parent's context beyond it once a token for its children), then
    the verifier's pass."""
    spec, W, D = get_model(model), weight_bytes(model), kv_bytes_per_token(model)
    prompt = steps[0]["decode"][0][0][0] if prompt is None else prompt
    per = lambda t: 2 * spec.params + 2 * spec.n_layers * spec.d_attn * t  # noqa: E731  C(t) at position t
    total = 0.0
    for r in steps:
        if r["prefill"]:
            flops = sum(per(t) for start, n in r["prefill"] for t in range(start + 1, start + n + 1))
            total += max(flops / hw.peak_flops, (W + D * sum(n for _, n in r["prefill"])) / hw.bandwidth)
        for level in r["decode"]:
            longest = max((max(kids) for _, kids in level), default=0)
            for t in range(1, longest + 1):
                live = [(start, sum(m >= t for m in kids)) for start, kids in level if any(m >= t for m in kids)]
                flops = sum(k * per(start + t) for start, k in live)
                read = prompt + sum(start - prompt + k * t for start, k in live)
                total += max(flops / hw.peak_flops, (W + D * read) / hw.bandwidth)
        if verifier and r["scored"]:
            v, Wv, Dv = get_model(verifier), weight_bytes(verifier), kv_bytes_per_token(verifier)
            length = max(round(r["verifier"] / r["scored"]), 1)
            flops = r["scored"] * sum(2 * v.params + 2 * v.n_layers * v.d_attn * t for t in range(1, length + 1))
            total += max(flops / hw.peak_flops, (Wv + Dv * r["verifier"]) / hw.bandwidth)
    return total


@pytest.mark.parametrize("hw", [TOY, HARDWARE["H100-SXM"]], ids=["compute-bound", "memory-bound"])
@pytest.mark.parametrize("name", ["beam", "beam_lookahead", "gibbs", "rebase"])
def test_search_seconds_is_the_step_by_step_roofline(name, hw):
    table = run_search(chains(per_level=2), ScriptedBackend(0.6), ReadingChecker(), CONFIGS[name], **KW)
    for text in table.groupby("problem_id")["search_rounds"].first():
        steps = json.loads(text)
        assert search_seconds(text, "SmolLM2-135M", hw) == pytest.approx(by_hand(steps, "SmolLM2-135M", hw), rel=1e-9)
        got = search_seconds(steps, "SmolLM2-135M", hw, verifier_model="SmolLM2-360M")
        assert got == pytest.approx(by_hand(steps, "SmolLM2-135M", hw, "SmolLM2-360M"), rel=1e-9)


def test_parents_read_their_shared_prompt_once_a_step():
    # two parents right after the prompt (REBASE's first children) read it as one parent with both children does
    hw = Hardware("memory", peak_flops=1e18, bandwidth=1e8, precision="made up", source="a test")
    apart = [{"prefill": [], "decode": [[[100, [3]], [100, [3]]]], "scored": 2, "verifier": 0}]
    together = [{"prefill": [], "decode": [[[100, [3, 3]]]], "scored": 2, "verifier": 0}]
    assert search_seconds(apart, "SmolLM2-135M", hw) == pytest.approx(search_seconds(together, "SmolLM2-135M", hw), rel=1e-12)
    # two parents 10 tokens past the prompt each read their own 10 tokens: 2 x 10 more KV a step than one parent
    deeper = [{"prefill": [], "decode": [[[110, [3]], [110, [3]]]], "scored": 2, "verifier": 0}]
    extra = search_seconds(deeper, "SmolLM2-135M", hw, prompt_tokens=100) - search_seconds(apart, "SmolLM2-135M", hw, prompt_tokens=100)
    assert extra == pytest.approx(3 * 2 * 10 * kv_bytes_per_token("SmolLM2-135M") / hw.bandwidth, rel=1e-9)


def test_the_whole_prompt_in_place_of_what_the_cache_did_not_hold():
    # the embedded backend prefilled 10 of a 60-token prompt (50 in its cache); a problem alone prefills all 60
    cached = [{"prefill": [[50, 10]], "decode": [[[60, [4, 4]]]], "scored": 2, "verifier": 0}]
    whole = [{"prefill": [[0, 60]], "decode": [[[60, [4, 4]]]], "scored": 2, "verifier": 0}]
    assert search_seconds(cached, "SmolLM2-135M", TOY, prompt_tokens=60) == search_seconds(whole, "SmolLM2-135M", TOY)
    assert search_seconds(cached, "SmolLM2-135M", TOY) < search_seconds(whole, "SmolLM2-135M", TOY)
    assert cached[0]["prefill"] == [[50, 10]]  # the record given is not changed


def test_the_steps_of_a_search_wait_on_each_other():
    # the same children decoded in one step or in two: two steps read the weights for each token of both
    one = [{"prefill": [[0, 10]], "decode": [[[10, [4, 4]]]], "scored": 2, "verifier": 0}]
    two = [{"prefill": [[0, 10]], "decode": [[[10, [4]]]], "scored": 1, "verifier": 0},
           {"prefill": [], "decode": [[[10, [4]]]], "scored": 1, "verifier": 0}]
    hw = HARDWARE["H100-SXM"]  # a 135M model at batch 2 is bound by its weights' read
    assert search_seconds(two, "SmolLM2-135M", hw) > 1.9 * (search_seconds(one, "SmolLM2-135M", hw) - search_seconds(
        [{"prefill": [[0, 10]], "decode": [], "scored": 0, "verifier": 0}], "SmolLM2-135M", hw))


@pytest.mark.parametrize("bad,match", [("[]", "non-empty"), ([{"decode": []}], "step 0"), ([{"prefill": [[0, -1]], "decode": [],
                                       "scored": 0, "verifier": 0}], "prefill tokens"), ("{}", "non-empty")])
def test_bad_steps_are_refused_by_name(bad, match):
    with pytest.raises(ValueError, match=match):
        search_seconds(bad, "SmolLM2-135M", TOY)


def _runs():
    problems = chains(per_level=4)
    return pd.concat([run_search(problems, ScriptedBackend(0.6), StepChecker(), SearchConfig(method=m, n=n, **extra), **KW)
                      for m, extra in [("beam_search", {"beam_width": 2}), ("rebase", {})] for n in (2, 4)], ignore_index=True)


def test_the_policy_costs_searches_in_seconds_and_dollars():
    from ttslib.strategies import scenario_costs, search_strategies

    runs = _runs()
    res = search_strategies(runs)
    hosted = scenario_costs(res, None, Scenario("an H100", SelfHosted("H100-SXM", 2.0), "SmolLM2-135M"), searches=runs)
    api = scenario_costs(res, None, Scenario("an API", ApiPrice("openai", "gpt-4o", dt.date(2026, 12, 1))), searches=runs)
    for s in res:
        for k, n in enumerate(res[s].n):
            run = runs[(runs["method"] == s.method) & (runs["n"] == n)]
            per = run.assign(problem_id=run["problem_id"].astype(str)).groupby("problem_id")["search_rounds"].first()
            per = per.loc[res.problem_ids]
            prompt = run.assign(problem_id=run["problem_id"].astype(str)).groupby("problem_id")["num_prompt_tokens"].first()
            want = np.array([search_seconds(t, "SmolLM2-135M", "H100-SXM", prompt_tokens=int(p))
                             for t, p in zip(per, prompt.loc[res.problem_ids])])
            np.testing.assert_allclose(hosted.cost(s, "seconds")[:, k], want, rtol=1e-12)
            np.testing.assert_allclose(hosted.cost(s, "dollars")[:, k], want * 2.0 / 3600, rtol=1e-12)
            sent = np.array([sum(c for r in json.loads(t) for lv in r["decode"] for c, _ in lv) for t in per])
            made = run.groupby("problem_id")["search_generated_tokens"].first().loc[res.problem_ids].to_numpy()
            np.testing.assert_allclose(api.cost(s, "dollars")[:, k], sent * 2.5e-6 + made * 10e-6, rtol=1e-12)
        # a bigger search waits longer
        assert (hosted.cost(s, "seconds")[:, 1] > hosted.cost(s, "seconds")[:, 0]).mean() > 0.5
    with pytest.raises(ValueError, match="do not record search_rounds"):
        scenario_costs(res, None, Scenario("an H100", SelfHosted("H100-SXM", 2.0), "SmolLM2-135M"),
                       searches=runs.drop(columns="search_rounds"))
    with pytest.raises(ValueError, match="one problem at a time"):
        scenario_costs(res, None, Scenario("a batch", SelfHosted("H100-SXM", 2.0), "SmolLM2-135M", concurrent=4), searches=runs)
    with pytest.raises(ValueError, match="other problems or budgets"):
        scenario_costs(res, None, Scenario("an H100", SelfHosted("H100-SXM", 2.0), "SmolLM2-135M"), searches=runs[runs["n"] == 2])
