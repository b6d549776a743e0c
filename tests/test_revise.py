"""ttslib.revise: chains of revisions on a scripted backend whose revisions behave in a known way; the prompt
shows the last attempts and their feedback; kill and resume; bad input; the table feeds ttslib.sequential."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from ttslib.generate.base import Backend, BackendError, Completion, HasModelName, PromptResult
from ttslib.problems import chain_solution, make_chains
from ttslib.revise import REVISION_STYLES, RevisionConfig, chain_arrays, chain_feedback, revise, revision_prompt
from ttslib.sequential import make_chain_pool, splits


class Reviser(Backend, HasModelName):
    """Writes a wrong first attempt (its last line off by one) and the right solution in every revision;
    with ``copy``, a revision copies the attempt before it instead. Dies after ``fail_after`` calls."""

    name, model_name = "scripted-reviser", "reviser-v1"

    def __init__(self, copy=False, fail_after=None):
        self.copy, self.fail_after, self.calls, self.prompts = copy, fail_after, 0, []

    def generate(self, prompts, config, seeds):
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise BackendError("scripted server went away")
        self.calls += 1
        out = []
        for prompt in prompts:
            self.prompts.append(prompt)
            question = prompt.rsplit("Q: ", 1)[1].split("\n", 1)[0]
            k = int(re.findall(r"Attempt (\d+):\n", prompt)[-1])
            lines = chain_solution(question)
            if k == 1 or self.copy:
                value = int(lines[-1].split(": ")[1])
                lines = lines[:-1] + [f"Answer: {value + 1}"]
            text = "\n".join(lines)
            out.append(PromptResult(len(prompt) // 4, (Completion(text, tuple([-0.1] * len(lines)), "stop"),)))
        return out


PROBLEMS = make_chains(2, levels=(1, 4), seed=0)  # 4 problems


def test_round_one_is_wrong_and_every_revision_right_with_its_feedback():
    table = revise(Reviser(), PROBLEMS, RevisionConfig(rounds=3, chains=2, feedback="checker"), progress=False)
    assert len(table) == 4 * 2 * 3
    assert (table["sample_idx"] == table["chain_idx"] * 3 + table["round"] - 1).all()
    assert not table.loc[table["round"] == 1, "is_correct"].any() and table.loc[table["round"] > 1, "is_correct"].all()
    first = table[table["round"] == 1]
    assert first["feedback"].str.fullmatch(r"line \d+ is wrong\.").all()  # the answer line is the wrong one
    assert (table.loc[table["round"] > 1, "feedback"] == "every line is right.").all()
    ids, answers, correct, tokens, read = chain_arrays(table.sample(frac=1.0, random_state=0))
    pool = make_chain_pool(answers, correct, tokens, context=read)
    by = {(s.p, s.r): s.accuracy.mean() for s in splits(pool, [1, 2, 3, 6])}
    assert by[(1, 1)] == 0 and by[(2, 1)] == 0 and by[(1, 2)] == 1 and by[(2, 3)] == 1


def test_a_revision_sees_the_last_keep_attempts_and_their_feedback():
    style = REVISION_STYLES["chains"]
    attempts = [f"try {i}" for i in range(1, 7)]
    notes = [f"note {i}" for i in range(1, 7)]
    prompt = revision_prompt(style, "3 + 4", attempts, notes, keep=4)
    tail = prompt.split("Q: 3 + 4\n", 1)[1]
    assert tail == "".join(f"Attempt {i}:\ntry {i}\nFeedback: note {i}\n" for i in range(3, 7)) + "Attempt 7:\n"
    assert revision_prompt(style, "3 + 4", [], keep=4).endswith("Q: 3 + 4\nAttempt 1:\n")
    blind = revision_prompt(style, "3 + 4", attempts[:2], keep=4)
    assert "Feedback" not in blind.split("Q: 3 + 4", 1)[1] and blind.startswith(style.blind)


def test_checker_feedback_names_the_first_wrong_line():
    assert chain_feedback("3 + 4 - 2", "3 + 4 = 7\n7 - 2 = 5\nAnswer: 5") == "every line is right."
    assert chain_feedback("3 + 4 - 2", "3 + 4 = 8\n8 - 2 = 6\nAnswer: 6") == "line 1 is wrong."
    assert chain_feedback("3 + 4 - 2", "3 + 4 = 7\n7 - 2 = 5\nAnswer: 6") == "line 3 is wrong."
    assert chain_feedback("3 + 4 - 2", "") == "line 1 is wrong."


def test_blind_copies_stay_wrong_and_a_killed_run_resumes_to_the_same_table(tmp_path):
    config = RevisionConfig(rounds=2, chains=2, feedback="none")
    whole = revise(Reviser(copy=True), PROBLEMS, config, problems_per_shard=1, progress=False)
    assert not whole["is_correct"].any() and whole["feedback"].isna().all()
    with pytest.raises(BackendError):
        revise(Reviser(copy=True, fail_after=4), PROBLEMS, config, out_dir=tmp_path, problems_per_shard=1, progress=False)
    assert len(list((tmp_path / "shards").glob("*.parquet"))) == 2  # two rounds per problem: 2 problems done
    again = revise(Reviser(copy=True), PROBLEMS, config, out_dir=tmp_path, problems_per_shard=1, progress=False)
    pd.testing.assert_frame_equal(again.reset_index(drop=True), whole.reset_index(drop=True), check_dtype=False)
    with pytest.raises(Exception, match="rounds"):
        revise(Reviser(), PROBLEMS, RevisionConfig(rounds=3, chains=2), out_dir=tmp_path, problems_per_shard=1, progress=False)


def test_bad_input_names_what_is_wrong():
    with pytest.raises(ValueError, match="rounds must"):
        RevisionConfig(rounds=0)
    with pytest.raises(ValueError, match="feedback must"):
        RevisionConfig(feedback="oracle")
    with pytest.raises(ValueError, match="no revision prompt"):
        revise(Reviser(), PROBLEMS, RevisionConfig(), problem_set="gsm8k")
    table = revise(Reviser(), PROBLEMS, RevisionConfig(rounds=2, chains=2), progress=False)
    with pytest.raises(ValueError, match="chains x"):
        chain_arrays(table.iloc[1:])
    with pytest.raises(ValueError, match="chain_idx"):
        chain_arrays(table.drop(columns="chain_idx"))
    assert np.array_equal(chain_arrays(table)[0], np.sort(PROBLEMS["problem_id"].to_numpy(dtype=str)))


@pytest.mark.model
def test_the_revise_command_runs_on_the_embedded_model(tmp_path):
    """`ttslib revise` end to end on SmolLM2-135M: one chain problem, 2 chains x 2 rounds, with the checker's
    feedback; a revision reads its prompt and the attempt before it, so its prompt is the longer."""
    from typer.testing import CliRunner

    from ttslib.cli import app
    from ttslib.data import read_samples

    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["revise", "--out", str(out), "--per-level", "1", "--limit", "1", "--rounds", "2",
                                      "--chains", "2", "--feedback", "checker", "--max-tokens", "24", "--threads", "1"])
    assert result.exit_code == 0, result.output
    table = read_samples(out / "samples.parquet")
    assert sorted(zip(table["chain_idx"], table["round"])) == [(0, 1), (0, 2), (1, 1), (1, 2)]
    by_round = table.groupby("round")["num_prompt_tokens"].min()
    assert by_round[2] > by_round[1]
    assert table.loc[table["round"] == 1, "feedback"].str.fullmatch(r"(line \d+ is wrong|every line is right)\.").all()


class Repairer(Backend, HasModelName):
    """HumanEval, scripted: round 1 returns None (wrong); a revision shown feedback that names a failing example
    writes the canonical solution; a blind revision (or one told "every example passes.") repeats the attempt."""

    name, model_name = "scripted-repairer", "repairer-v1"

    def __init__(self, problems):
        self.by_prompt = dict(zip(problems["question"], problems["reference"]))
        self.prompts = []

    def generate(self, prompts, config, seeds):
        out = []
        for prompt in prompts:
            self.prompts.append(prompt)
            question = next(q for q in self.by_prompt if prompt.endswith(q))
            told = prompt.rsplit("# Feedback: ", 1)[1].split("\n", 1)[0] if prompt.count(question) > 1 and "# Feedback: " in prompt else None
            fix = told is not None and told != "every example passes."
            text = self.by_prompt[question] if fix else "    return None\n"
            out.append(PromptResult(len(prompt) // 4, (Completion(text, (-0.1,) * 5, "stop"),)))
        return out


def test_self_repair_reads_the_failing_example_and_stops_once_the_examples_pass():
    from ttslib.problems import load_humaneval

    problems = load_humaneval(limit=3)
    config = RevisionConfig(rounds=3, chains=2, feedback="tests", stop_when_passing=True, max_tokens=64)
    backend = Repairer(problems)
    table = revise(backend, problems, config, problem_set="humaneval", progress=False)
    assert len(table) == 3 * 2 * 3 and table["answer"].isna().all()
    first = table[table["round"] == 1]
    assert not first["is_correct"].any()
    # the failing example as the model is told it: the call, what it should return, what came back
    assert first["feedback"].str.fullmatch(r".+\(.*\) should return .+; got None\.").all(), first["feedback"].tolist()
    assert table.loc[table["round"] == 2, "is_correct"].all() and (table.loc[table["round"] == 2, "feedback"] == "every example passes.").all()
    third = table[table["round"] == 3]
    assert third["carried"].all() and (third["num_completion_tokens"] == 0).all() and third["is_correct"].all()
    assert len(backend.prompts) == 3 * 2 * 2  # nothing generated for a chain that passed
    # round 1 is the kit's ordinary HumanEval prompt; a repair shows the attempt and its feedback, not the hidden tests
    from ttslib.generate.prompts import PROMPTS

    assert backend.prompts[0] == PROMPTS["humaneval_fewshot"].template.format(question=problems["question"].iloc[0])
    repair = backend.prompts[-1]
    assert "# Feedback: " in repair and "def check(" not in repair and "    return None\n# Feedback: " in repair
    blind = revise(Repairer(problems), problems, RevisionConfig(rounds=2, chains=1, feedback="none", max_tokens=64),
                   problem_set="humaneval", progress=False)
    assert not blind["is_correct"].any() and blind["feedback"].isna().all() and "carried" not in blind.columns


def test_feedback_a_problem_set_cannot_give_is_refused():
    from ttslib.problems import load_humaneval

    with pytest.raises(ValueError, match="feedback='checker' has nothing to read 'humaneval'"):
        revise(Reviser(), load_humaneval(limit=1), RevisionConfig(feedback="checker"), problem_set="humaneval")
    with pytest.raises(ValueError, match="feedback='tests' has nothing to read 'chains'"):
        revise(Reviser(), PROBLEMS, RevisionConfig(feedback="tests"))
    with pytest.raises(ValueError, match="stop_when_passing needs feedback"):
        RevisionConfig(stop_when_passing=True)


def test_round_one_can_be_the_pools_own_samples(tmp_path):
    """--first: the chains start from a pool's samples (smallest sample_idx first), which are not generated again."""
    from ttslib.problems import load_humaneval

    problems = load_humaneval(limit=2)
    pool = pd.DataFrame({"problem_id": np.repeat(problems["problem_id"].to_numpy(), 3), "sample_idx": [2, 0, 1] * 2,
                         "completion": ["    return 2\n", "    return 0\n", "    return 1\n"] * 2, "num_prompt_tokens": 50,
                         "num_completion_tokens": [7, 5, 6] * 2, "status": "ok", "seed": [12, 10, 11] * 2})
    backend = Repairer(problems)
    config = RevisionConfig(rounds=2, chains=2, feedback="tests", max_tokens=64)
    table = revise(backend, problems, config, problem_set="humaneval", first=pool, out_dir=tmp_path, progress=False)
    one = table[table["round"] == 1].sort_values(["problem_id", "chain_idx"])
    assert one["completion"].tolist() == ["    return 0\n", "    return 1\n"] * 2 and one["seed"].tolist() == [10, 11] * 2
    assert one["num_completion_tokens"].tolist() == [5, 6] * 2
    assert len(backend.prompts) == 2 * 2 and all("    return 0\n# Feedback" in p or "    return 1\n# Feedback" in p
                                                  for p in backend.prompts)
    assert table.loc[table["round"] == 2, "is_correct"].all()
    with pytest.raises(ValueError, match="differ|first"):  # other starting samples: the run directory is another run's
        revise(backend, problems, config, problem_set="humaneval", first=pool.assign(seed=pool["seed"] + 1), out_dir=tmp_path,
               progress=False)
    with pytest.raises(ValueError, match="fewer than 4 samples"):
        revise(backend, problems, RevisionConfig(rounds=2, chains=4, feedback="tests"), problem_set="humaneval", first=pool)
