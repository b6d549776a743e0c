"""Where a solution ends, through every backend, and search-and-learn's DVTS beside the kit's.

A scripted text backend whose steps can end early (the model's end token, seen or not by the backend),
with the exact step checker: the expected accuracy of each DVTS variant follows from its rule, computed
here by enumeration independently of the search code.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from ttslib.generate.base import Completion, PromptResult
from ttslib.generate.openai_http import server_eos
from ttslib.generate.vllm import vllm_eos
from ttslib.grade import final_answer_line
from ttslib.strategies import search_strategies
from ttslib.problems import make_chains
from ttslib.search import SEARCH_PRESETS, SearchConfig, run_search
from ttslib.verifiers import StepChecker

from test_search import TEMPLATE, ScriptedBackend


class EndingBackend(ScriptedBackend):
    """Each next step: with probability ``e`` the model stops at once (its end token: empty text), else the
    scripted step. ``says``: the backend reports which stop it hit (``Completion.eos``), or not (None)."""

    def __init__(self, q: float, e: float, *, says: bool = True):
        super().__init__(q)
        self.e, self.says = e, says

    def generate(self, prompts, config, seeds):
        out = []
        for prompt, seed in zip(prompts, seeds):
            rng = np.random.default_rng(seed)
            comps = []
            for _ in range(config.n):
                if rng.random() < self.e:
                    comps.append(Completion(text="", token_logprobs=(-0.1,), finish_reason="stop", eos=True if self.says else None))
                else:
                    step = self._step(prompt, rng)
                    comps.append(Completion(text=step, token_logprobs=(-0.1,) * (len(step.split()) + 1), finish_reason="stop",
                                            eos=False if self.says else None))
            out.append(PromptResult(num_prompt_tokens=len(prompt.split()), completions=tuple(comps)))
        return out


def child_outcomes(q, e, m, final):
    """Every outcome of M children with its probability: each "end" (early end, p = e), "right" or "wrong"."""
    p = {"end": e, "right": (1 - e) * q, "wrong": (1 - e) * (1 - q)}
    for kinds in itertools.product(p, repeat=m):
        yield kinds, float(np.prod([p[k] for k in kinds]))


def exact_dvts(q: float, e: float, m: int, steps: int, variant: str) -> float:
    """P(a subtree's candidates hold a right answer), exact checker (a right partial scores 1, else 0),
    ties broken by sampling order. ``steps``: operations + the answer line."""
    def go(step, ended, right_path):
        if step == steps:  # the answer line: every child ends (early or on its answer)
            return 0.0 if not right_path else sum(pr for kinds, pr in child_outcomes(q, e, m, True) if "right" in kinds)
        total = 0.0
        for kinds, pr in child_outcomes(q, e, m, False):
            scores = [1.0 if right_path and k == "right" else 0.0 for k in kinds]
            if variant == "sal":  # follow the best child, ended or not; stop if it ended (its siblings: no answer yet)
                best = kinds[int(np.argmax(scores))]
                total += 0.0 if best == "end" else pr * go(step + 1, 0, right_path and best == "right")
            else:  # kit: ended children set aside; done at M ended; continue from the best unfinished
                now = ended + kinds.count("end")
                unfinished = [(s, k) for s, k in zip(scores, kinds) if k != "end"]
                if now >= m or not unfinished:
                    continue  # its M ended are early ends: no answer
                best = max(unfinished, key=lambda x: x[0])[1]
                total += pr * go(step + 1, now, right_path and best == "right")
        return total
    return go(1, 0, True)


def test_the_exact_references_agree_where_nothing_ends_early():
    for m, steps in ((2, 2), (3, 3)):
        want = (1 - 0.4**m) ** steps  # some child right at every step
        assert exact_dvts(0.6, 0.0, m, steps, "kit") == pytest.approx(want)
        assert exact_dvts(0.6, 0.0, m, steps, "sal") == pytest.approx(want)
    assert exact_dvts(0.6, 0.3, 2, 3, "kit") != pytest.approx(exact_dvts(0.6, 0.3, 2, 3, "sal"), abs=0.01)


@pytest.mark.parametrize("variant", ["kit", "sal"])
def test_each_dvts_variant_reaches_its_exact_expected_accuracy(variant):
    q, e, m = 0.7, 0.25, 2
    problems = make_chains(400, levels=(5,), seed=3)  # 3 terms: 2 operations + the answer line
    config = SearchConfig(method="dvts", n=2 * m, beam_width=m, dvts_variant=variant, max_steps=6)
    table = run_search(problems, EndingBackend(q, e), StepChecker(), config, template=TEMPLATE, grade_style="answer_is", progress=False)
    assert (table.groupby("problem_id").size() == 2 * m).all() and (table["dvts_variant"] == variant).all()
    per_subtree = exact_dvts(q, e, m, 3, variant)
    want = 1 - (1 - per_subtree) ** 2  # two independent subtrees
    solved = table.groupby("problem_id")["is_correct"].any()
    se = np.sqrt(want * (1 - want) / solved.size)
    assert abs(solved.mean() - want) < 4 * se, (variant, solved.mean(), want)
    names = {s.label for s in search_strategies(table)}
    assert names == {f"dvts/step_checker (M=2{', variant=sal' if variant == 'sal' else ''})"}


def test_sal_dvts_returns_the_last_expansion_of_each_subtree():
    problems = make_chains(30, levels=(5,), seed=4)
    config = SearchConfig(method="dvts", n=4, beam_width=2, dvts_variant="sal", max_steps=6)
    table = run_search(problems, EndingBackend(0.6, 0.3), StepChecker(), config, template=TEMPLATE, grade_style="answer_is", progress=False)
    for _, g in table.groupby("problem_id"):
        for sub in (g.iloc[:2], g.iloc[2:]):  # a subtree's two candidates share every step but the last
            a, b = (list(s) for s in sub["steps"])
            assert len(a) == len(b) and a[:-1] == b[:-1]


def test_a_step_the_backend_ended_on_its_end_token_ends_the_solution():
    problems = make_chains(40, levels=(5,), seed=5)
    config = SearchConfig(method="beam_search", n=4, beam_width=2, max_steps=6)
    told = run_search(problems, EndingBackend(0.8, 0.3, says=True), StepChecker(), config, template=TEMPLATE, grade_style="answer_is", progress=False)
    blind = run_search(problems, EndingBackend(0.8, 0.3, says=False), StepChecker(), config, template=TEMPLATE, grade_style="answer_is", progress=False)
    for table in (told, blind):  # an empty step ends a solution in both: no step follows one
        assert all(list(s)[:-1].count("") == 0 for s in table["steps"])
    assert (told["search_eos_unknown"] == 0).all() and (blind["search_eos_unknown"] > 0).all()


def test_the_completion_joins_steps_with_the_delimiter():
    problems = make_chains(5, levels=(5,), seed=6)

    class Blank(ScriptedBackend):  # the same steps, delimited by a blank line
        @staticmethod
        def _state(prompt):
            return ScriptedBackend._state(prompt.replace("\n\n", "\n"))

    table = run_search(problems, Blank(1.0), StepChecker(), SearchConfig(n=2, beam_width=2), template=TEMPLATE, delimiter="\n\n",
                       grade_style="answer_is", progress=False)
    assert all(c == "\n\n".join(s) for c, s in zip(table["completion"], table["steps"]))


@pytest.mark.parametrize("step, style, ends", [
    ("Answer: 7", "answer_is", True), ("So the answer is 7.", "answer_is", True), ("Therefore, the final answer is 12", "answer_is", True),
    ("We check that the answer is positive.", "answer_is", False), ("3 + 4 = 7", "answer_is", False),
    ("Therefore, the final answer is: $\\boxed{\\frac{1}{2}}$.", "boxed", True), ("so x = 2, and the answer is 2", "boxed", False),
    ("#### 42", "gsm8k", True), ("a total of 42", "last_number", False), ("The answer is 3", "auto", True),
])
def test_only_a_final_answer_line_ends_a_solution(step, style, ends):
    assert final_answer_line(step, style=style) is ends


def choice(text, finish="stop", tokens=None, **extra):
    logprobs = SimpleNamespace(tokens=tokens, token_logprobs=[-0.1] * len(tokens or [text]))
    return SimpleNamespace(text=text, finish_reason=finish, logprobs=logprobs, model_extra=extra)


def test_servers_tell_the_end_token_from_the_step_delimiter():
    assert server_eos(choice("x = 2", stop_reason=None), ["\n\n"]) is True  # vLLM: None at the end token
    assert server_eos(choice("x = 2", stop_reason="\n\n"), ["\n\n"]) is False
    assert server_eos(choice("x = 2", stop_type="eos"), ["\n\n"]) is True  # llama.cpp's own fields
    assert server_eos(choice("x = 2", stop_type="word"), ["\n\n"]) is False
    # llama-cpp-python's server: the stop string's tokens are counted, its text cut; the end token is neither
    assert server_eos(choice("x = 2", tokens=["x", " =", " 2", "\n\n"]), ["\n\n"]) is False
    assert server_eos(choice("x = 2", tokens=["x", " =", " 2"]), ["\n\n"]) is True
    assert server_eos(choice("", tokens=[]), ["\n\n"]) is True  # the end token first: nothing counted
    assert server_eos(choice("x = 2", tokens=["x", " =", " 2", "</s>"]), ["\n\n"]) is None  # cannot tell
    assert server_eos(choice("x = 2", finish="length"), ["\n\n"]) is False
    assert vllm_eos("stop", None) is True and vllm_eos("stop", "\n\n") is False and vllm_eos("stop", "absent") is None
    assert vllm_eos("length", None) is False


def test_presets_fit_the_problem_family():
    math = SEARCH_PRESETS["math500"]
    assert (math.max_steps, math.max_step_tokens) == (40, 2048)
    from ttslib.generate import PROMPTS

    assert PROMPTS[math.prompt].step_delimiter == "\n\n" and PROMPTS[math.prompt].grade_style == "boxed"
    assert all(PROMPTS[p.prompt].step_delimiter for p in SEARCH_PRESETS.values())


def test_a_verifier_that_cut_a_partials_context_is_named_in_the_table():
    from ttslib.verifiers import StepScores

    class Cutting:  # scores like the checker, and says it left out all but the last two steps of longer partials
        name, model = "cutting", None
        checker = StepChecker()

        def score(self, questions, partials, *, step_logprobs=None):
            got = self.checker.score(questions, partials)
            return StepScores(got.scores, 0, truncated=tuple(max(0, len(p) - 2) for p in partials))

    problems = make_chains(6, levels=(7,), seed=8)  # 4 terms: 3 operations + the answer line
    table = run_search(problems, ScriptedBackend(1.0), Cutting(), SearchConfig(n=2, beam_width=2, max_steps=6), template=TEMPLATE,
                       grade_style="answer_is", progress=False)
    assert (table["verifier_truncated"] == table["steps"].map(len) - 2).all()
