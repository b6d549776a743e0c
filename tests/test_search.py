"""Beam search and DVTS on a scripted backend whose every step is right with a known probability.

The scripted backend reads the chain question and the steps so far from the prompt text and
writes the next step: the right one with probability ``q``, else the same line with its result
off by one; after the last operation, "Answer: v" (right with probability ``q``). With the exact
step checker as verifier the expected accuracy of beam search follows from a Markov chain over
the number of right partial solutions kept (``exact_beam_accuracy``), computed here independently
of the search code.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom

from ttslib.generate.base import Completion, PromptResult
from ttslib.problems import make_chains
from ttslib.search import SearchConfig, beam_search, dvts, rescore, run_search
from ttslib.selection import best_of_n
from ttslib.data import correct_matrix
from ttslib.verifiers import StepChecker, StepScores

TEMPLATE = "Q: {question}\n"


class ScriptedBackend:
    """A text backend: each step right with probability ``q``; its tokens are its words plus the delimiter."""

    name = "scripted"

    def __init__(self, q: float, *, never_delimit: bool = False):
        self.q, self.never_delimit = q, never_delimit
        self.prompt_tokens_seen = 0

    @staticmethod
    def _state(prompt: str):
        lines = prompt.split("\n")
        question = lines[0][len("Q: "):]
        done = [l for l in lines[1:] if l]
        tokens = question.split()
        value = int(tokens[0])
        for line in done:  # carry on from the partial solution's own last result
            value = int(line.split("=")[1]) if "=" in line else value
        return tokens, done, value

    def _step(self, prompt: str, rng) -> str:
        tokens, done, value = self._state(prompt)
        k = len(done)
        right = rng.random() < self.q
        if k < (len(tokens) - 1) // 2:
            op, y = tokens[1 + 2 * k], int(tokens[2 + 2 * k])
            result = value + y if op == "+" else value - y
            return f"{value} {op} {y} = {result + (0 if right else 1)}"
        return f"Answer: {value + (0 if right else 1)}"

    def generate(self, prompts, config, seeds):
        out = []
        for prompt, seed in zip(prompts, seeds):
            rng = np.random.default_rng(seed)
            n_prompt = len(prompt.split())
            self.prompt_tokens_seen += n_prompt
            comps = []
            for _ in range(config.n):
                step = self._step(prompt, rng)
                if self.never_delimit:
                    comps.append(Completion(text=step + " and so on", token_logprobs=(-0.1,) * config.max_tokens, finish_reason="length"))
                else:
                    comps.append(Completion(text=step, token_logprobs=(-0.1,) * (len(step.split()) + 1), finish_reason="stop"))
            out.append(PromptResult(num_prompt_tokens=n_prompt, completions=tuple(comps)))
        return out


class ConstantVerifier:
    name, model = "constant", None

    def score(self, questions, partials, *, step_logprobs=None):
        return StepScores(scores=tuple(np.full(len(p), 0.5) for p in partials), num_tokens=0)


def exact_beam_accuracy(q: float, steps: int, n: int, m: int) -> float:
    """P(some candidate is right) for beam search with an exact verifier: a Markov chain over r, the
    right partial solutions kept (<= n/m); each step samples m children of each kept one."""
    keep = n // m
    dist = np.zeros(keep + 1)
    right = binom.pmf(np.arange(n + 1), n, q)  # the first step: n children of the prompt
    for r, p in enumerate(right):
        dist[min(r, keep)] += p
    for _ in range(steps - 1):
        nxt = np.zeros(keep + 1)
        for r in range(1, keep + 1):  # r right parents get r*m children (the wrong ones stay wrong)
            pm = binom.pmf(np.arange(r * m + 1), r * m, q)
            for rr, p in enumerate(pm):
                nxt[min(rr, keep)] += dist[r] * p
        nxt[0] += dist[0]
        dist = nxt
    return 1 - dist[0]


def chains(levels=(5,), per_level=200, seed=1):
    return make_chains(per_level, levels=levels, seed=seed)


def test_exact_reference_on_a_tiny_case():
    # one step, n = m = 2: success iff either of 2 samples is right
    assert exact_beam_accuracy(0.3, 1, 2, 2) == pytest.approx(1 - 0.7**2)
    # two steps, keep 1 of 2 then 2 children: (1 - 0.7^2)^2
    assert exact_beam_accuracy(0.3, 2, 2, 2) == pytest.approx((1 - 0.7**2) ** 2)


@pytest.mark.parametrize("q,n,m", [(0.5, 4, 2), (0.6, 8, 4), (0.4, 16, 4)])
def test_beam_search_reaches_the_exact_expected_accuracy(q, n, m):
    problems = chains()  # 3 terms: 2 operations + the answer line = 3 steps
    table = beam_search(problems, ScriptedBackend(q), StepChecker(), n=n, beam_width=m, template=TEMPLATE, grade_style="answer_is", progress=False)
    assert (table.groupby("problem_id").size() == n).all()
    solved = table.groupby("problem_id")["is_correct"].any().to_numpy()
    want = exact_beam_accuracy(q, 3, n, m)
    se = np.sqrt(want * (1 - want) / len(solved))
    assert abs(solved.mean() - want) < 4 * se + 1e-9, (solved.mean(), want)
    # what best-of-N on the last step's score picks is right whenever any candidate is right
    _, correct = correct_matrix(table)
    _, scores = correct_matrix(table, "score")
    assert best_of_n(correct.astype(bool), scores.astype(float), n=[n]).accuracy[0] == pytest.approx(solved.mean())


def test_beam_search_beats_sampling_with_an_exact_verifier():
    problems = chains(per_level=100)
    q = 0.5
    table = beam_search(problems, ScriptedBackend(q), StepChecker(), n=8, beam_width=4, template=TEMPLATE, grade_style="answer_is", progress=False)
    assert table.groupby("problem_id")["is_correct"].any().mean() > 1 - (1 - q**3) ** 8


def test_constant_verifier_best_of_n_is_pass_at_1():
    q, problems = 0.7, chains(per_level=300)
    table = beam_search(problems, ScriptedBackend(q), ConstantVerifier(), n=4, beam_width=2, template=TEMPLATE, grade_style="answer_is", progress=False)
    _, correct = correct_matrix(table)
    acc = best_of_n(correct.astype(bool), np.full(correct.shape, 0.5), n=[4]).accuracy[0]
    want = q**3  # with no signal the kept partial solutions are a random draw
    assert abs(acc - want) < 4 * np.sqrt(want * (1 - want) / correct.size) + 0.01


def test_dvts_with_one_subtree_is_beam_search():
    problems = chains(per_level=20)
    kw = dict(template=TEMPLATE, grade_style="answer_is", progress=False)
    a = beam_search(problems, ScriptedBackend(0.6), StepChecker(), n=4, beam_width=4, **kw)
    b = dvts(problems, ScriptedBackend(0.6), StepChecker(), n=4, beam_width=4, **kw)
    cols = ["problem_id", "sample_idx", "completion", "is_correct", "step_scores", "search_generated_tokens"]
    pd.testing.assert_frame_equal(a[cols], b[cols])


@pytest.mark.parametrize("method", ["beam_search", "dvts"])
@pytest.mark.parametrize("q", [0.0, 1.0, 0.5])
def test_exactly_n_candidates(method, q):
    problems = chains(levels=(1, 9), per_level=5)
    config = SearchConfig(method=method, n=8, beam_width=2, max_steps=3)  # level 9 needs 4 steps: cut at 3
    table = run_search(problems, ScriptedBackend(q), StepChecker(), config, template=TEMPLATE, grade_style="answer_is", progress=False)
    assert (table.groupby("problem_id").size() == 8).all()
    assert sorted(table["sample_idx"].unique()) == list(range(8))
    long = table[table["level"] == 9]
    assert (long["status"] == "length: no answer within max_steps").all()
    assert not long["is_correct"].any()


def test_token_accounting_by_hand():
    # q = 1: every step right and "x op y = z" has 5 words + the delimiter = 6 tokens, "Answer: v" 2 + 1
    problems = make_chains(1, levels=(5,), seed=0)  # one problem, 2 operations
    backend = ScriptedBackend(1.0)
    n, m = 4, 2
    table = beam_search(problems, backend, StepChecker(), n=n, beam_width=m, template=TEMPLATE, grade_style="answer_is", progress=False)
    generated = n * (6 + 6 + 3)  # n children at each of the 3 steps
    assert table["search_generated_tokens"].iloc[0] == generated
    assert (table["num_completion_tokens"] == 15).all()
    assert table["step_num_tokens"].iloc[0] == [6, 6, 3]
    # prefill of a text backend: every request re-sends its partial solution
    question = problems["question"].iloc[0]
    first = len(f"Q: {question}".split())
    line1 = table["steps"].iloc[0][0]
    second = first + len(line1.split())
    third = second + len(table["steps"].iloc[0][1].split())
    assert table["search_prefill_tokens"].iloc[0] == first + (n // m) * (second + third) == backend.prompt_tokens_seen
    assert table["search_verifier_tokens"].iloc[0] == 0


def test_step_without_delimiter_ends_its_solution():
    problems = chains(per_level=3)
    table = beam_search(problems, ScriptedBackend(1.0, never_delimit=True), StepChecker(), n=4, beam_width=2,
                        max_step_tokens=7, template=TEMPLATE, grade_style="answer_is", progress=False)
    assert (table.groupby("problem_id").size() == 4).all()
    assert table["status"].str.startswith("length: step without delimiter").all()
    assert (table["num_completion_tokens"] == 7).all()


class BadVerifier:
    model = None

    def __init__(self, kind):
        self.kind, self.name = kind, f"bad-{kind}"

    def score(self, questions, partials, *, step_logprobs=None):
        if self.kind == "nan":
            return StepScores(tuple(np.full(len(p), np.nan) for p in partials), 0)
        if self.kind == "range":
            return StepScores(tuple(np.full(len(p), 1.5) for p in partials), 0)
        return StepScores(tuple(np.ones(len(p) + 1) for p in partials), 0)


@pytest.mark.parametrize("kind,match", [("nan", "bad-nan.*NaN"), ("range", "bad-range.*\\[0, 1\\]"), ("count", "bad-count.*steps")])
def test_bad_verifier_is_named(kind, match):
    with pytest.raises(ValueError, match=match):
        beam_search(chains(per_level=2), ScriptedBackend(0.5), BadVerifier(kind), n=4, beam_width=2, template=TEMPLATE, progress=False)


def test_bad_config():
    with pytest.raises(ValueError, match="multiple of beam_width"):
        SearchConfig(n=6, beam_width=4)
    with pytest.raises(ValueError, match="method"):
        SearchConfig(method="mcts")
    with pytest.raises(ValueError, match="lookahead"):
        SearchConfig(method="dvts", lookahead=1)


def test_lookahead_counts_its_rollouts():
    problems = make_chains(1, levels=(5,), seed=0)
    plain = beam_search(problems, ScriptedBackend(1.0), StepChecker(), n=4, beam_width=2, template=TEMPLATE, grade_style="answer_is", progress=False)
    look = beam_search(problems, ScriptedBackend(1.0), StepChecker(), n=4, beam_width=2, lookahead=1, template=TEMPLATE, grade_style="answer_is", progress=False)
    assert look["is_correct"].all() and plain["is_correct"].all()
    # one greedy step more per unfinished child: after steps 1 and 2 (6 and 3 tokens), none after the answer
    assert look["search_generated_tokens"].iloc[0] == plain["search_generated_tokens"].iloc[0] + 4 * 6 + 4 * 3


def test_resume_gives_the_same_table(tmp_path):
    problems = chains(per_level=6)
    kw = dict(n=4, beam_width=2, template=TEMPLATE, grade_style="answer_is", progress=False, problems_per_shard=2)
    full = beam_search(problems, ScriptedBackend(0.6), StepChecker(), out_dir=tmp_path / "a", **kw)
    # a run killed after its first shard: its run.json and that shard are on disk, nothing else
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    (tmp_path / "b" / "samples.parquet").unlink()
    for shard in sorted((tmp_path / "b" / "shards").glob("*.parquet"))[1:]:
        shard.unlink()
    resumed = beam_search(problems, ScriptedBackend(0.6), StepChecker(), out_dir=tmp_path / "b", **kw)
    pd.testing.assert_frame_equal(full, resumed)
    with pytest.raises(ValueError, match="other settings"):
        beam_search(problems, ScriptedBackend(0.6), StepChecker(), out_dir=tmp_path / "a", **{**kw, "n": 8})


def test_sampling_prunes_nothing_and_rescore_matches_the_checker():
    q, problems = 0.6, chains(per_level=150)
    table = run_search(problems, ScriptedBackend(q), ConstantVerifier(), SearchConfig(method="sampling", n=8, beam_width=1),
                       template=TEMPLATE, grade_style="answer_is", progress=False)
    assert (table.groupby("problem_id").size() == 8).all()
    spent = table.groupby("problem_id").agg(tree=("search_generated_tokens", "first"), paths=("num_completion_tokens", "sum"))
    assert (spent["tree"] == spent["paths"]).all()  # every sampled token is on some candidate's path
    want = q**3  # independent solutions: each right with q per step
    assert abs(table["is_correct"].mean() - want) < 4 * np.sqrt(want * (1 - want) / len(table))
    questions = dict(zip(problems["problem_id"], problems["question"]))
    scored = rescore(table, questions, StepChecker())
    direct = StepChecker().score([questions[p] for p in table["problem_id"]], list(table["steps"])).scores
    assert [list(s) for s in scored["step_scores_step_checker"]] == [list(d) for d in direct]
    assert (scored["verifier_tokens_step_checker"] == 0).all()
    last_right = scored["step_scores_step_checker"].map(lambda s: s[-1] == 1.0)
    assert (last_right == scored["is_correct"]).all()  # on the scripted chains the checker's last step is the grade
    with pytest.raises(ValueError, match="no question"):
        rescore(table, {}, StepChecker())


def test_text_backend_records_the_prompt_length_it_reported():
    problems = make_chains(2, levels=(5,), seed=0)
    table = beam_search(problems, ScriptedBackend(0.7), StepChecker(), n=4, beam_width=2, template=TEMPLATE, grade_style="answer_is", progress=False)
    want = {pid: len(f"Q: {q}".split()) for pid, q in zip(problems["problem_id"], problems["question"])}
    assert table.groupby("problem_id")["num_prompt_tokens"].first().to_dict() == want
