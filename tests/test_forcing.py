"""ttslib.forcing: budget forcing on a scripted thinker whose reasoning and answers are known to the token, so
every checkpoint's tokens and correctness are known exactly; the budget is never overrun; kill and resume;
bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ttslib.forcing import FORCING_STYLES, ForcingConfig, force, forcing_arrays
from ttslib.generate.base import Backend, BackendError, Completion, HasModelName, PromptResult
from ttslib.problems import chain_solution, make_chains

RECHECK = " checked\n"  # what the thinker writes after each "Wait,"


class Thinker(Backend, HasModelName):
    """A token is a character. Thinking, it writes the chain's solution lines, then "Answer:" (a stop string it
    generated, counted as the embedded backend counts it); after a "Wait," it writes RECHECK, then "Answer:".
    Asked for the answer, it gives the right value if the reasoning holds every solution line, else the value + 1.
    ``overrun`` makes it write one token more than asked; it dies after ``fail_after`` calls."""

    name, model_name = "scripted-thinker", "thinker-v1"

    def __init__(self, overrun=False, fail_after=None):
        self.overrun, self.fail_after, self.calls, self.asked = overrun, fail_after, 0, []

    def generate(self, prompts, config, seeds):
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise BackendError("scripted server went away")
        self.calls += 1
        out = []
        for prompt in prompts:
            head, tail = prompt.rsplit("Q: ", 1)
            question, reasoning = tail.split("\n", 1)
            lines = chain_solution(question)
            value = int(lines[-1].split(": ")[1])
            if reasoning.endswith("\nAnswer:") or reasoning == "Answer:":
                body = reasoning[: -len("Answer:")]
                right = all(line in body.split("\n") for line in lines[:-1])
                text = f" {value if right else value + 1}"
                out.append(PromptResult(len(prompt), (Completion(text, (-0.1,) * len(text), "stop"),)))
                continue
            self.asked.append(config.max_tokens)
            if "Wait," in reasoning:  # rechecking since the last "Wait,"
                plan, done = RECHECK, reasoning.rsplit("Wait,", 1)[1]
            else:
                plan, done = "\n".join(lines[:-1]) + "\n", reasoning
            full = plan[len(done):] + "Answer:"
            n = min(len(full), config.max_tokens + (1 if self.overrun else 0))
            piece = full[:n]
            ended = piece.endswith("Answer:")
            text = piece[: -len("Answer:")] if ended else piece
            out.append(PromptResult(len(prompt), (Completion(text, (-0.1,) * n, "stop" if ended else "length"),)))
        return out


PROBLEMS = make_chains(2, levels=(1, 3), seed=0)  # 4 problems


def _think_length(question):
    return len("\n".join(chain_solution(question)[:-1]) + "\n") + len("Answer:")


def test_every_checkpoint_is_exact_and_the_budget_is_never_overrun():
    config = ForcingConfig(ladder=(5, 10, 20, 40, 60), waits=3, chains=2)  # the third end lies beyond 60 tokens
    backend = Thinker()
    table = force(backend, PROBLEMS, config, progress=False)
    assert len(table) == 4 * 2 * config.checkpoints
    assert max(backend.asked) <= 60 and min(backend.asked) >= 1
    by_q = dict(zip(PROBLEMS["problem_id"].astype(str), PROBLEMS["question"]))
    for _, row in table.iterrows():
        T = _think_length(by_q[row["problem_id"]])
        extra = len(RECHECK) + len("Answer:")
        if row["checkpoint"] == "budget":
            B = int(row["budget"])
            # the reasoning reaches B tokens exactly, or the chain ended for good first (after 3 "Wait"s)
            assert row["thinking_tokens"] == min(B, T + 3 * extra) <= B
            # right once every solution line is written (its last newline not needed)
            assert row["is_correct"] == (row["thinking_tokens"] >= T - len("Answer:") - 1)
        else:
            j = int(row["step"])
            assert row["reached"] == (T + j * extra <= 60)
            if row["reached"]:
                assert row["thinking_tokens"] == T + j * extra and row["waits"] == j and row["is_correct"]
            else:
                assert not row["is_correct"] and row["answer"] is None and row["status"] == "not reached"
    assert (table["num_completion_tokens"] == table["thinking_tokens"] + table["answer_tokens"]).all()
    arrays = forcing_arrays(table.sample(frac=1.0, random_state=1))
    assert list(arrays["ladder"]) == [5, 10, 20, 40, 60] and arrays["budget"]["correct"].shape == (4, 2, 5)
    assert arrays["end"]["reached"].shape == (4, 2, 4) and not arrays["end"]["reached"][:, :, 3].all()


def test_a_backend_that_overruns_its_budget_is_refused():
    with pytest.raises(BackendError, match="budget would be overrun"):
        force(Thinker(overrun=True), PROBLEMS, ForcingConfig(ladder=(4, 8), waits=0, chains=1), progress=False)


def test_a_killed_run_resumes_to_the_same_table(tmp_path):
    config = ForcingConfig(ladder=(6, 12, 48), waits=1, chains=2)
    whole = force(Thinker(), PROBLEMS, config, progress=False)
    with pytest.raises(BackendError, match="went away"):
        force(Thinker(fail_after=9), PROBLEMS, config, out_dir=tmp_path, problems_per_shard=1, progress=False)
    assert len(list((tmp_path / "shards").glob("*.parquet"))) >= 1
    resumed = force(Thinker(), PROBLEMS, config, out_dir=tmp_path, problems_per_shard=1, progress=False)
    cols = ["problem_id", "sample_idx", "checkpoint", "step", "thinking_tokens", "answer", "is_correct"]
    pd.testing.assert_frame_equal(whole[cols].reset_index(drop=True), resumed[cols].reset_index(drop=True), check_dtype=False)
    with pytest.raises(ValueError, match="forcing|differ"):
        force(Thinker(), PROBLEMS, ForcingConfig(ladder=(6, 12, 49), waits=1, chains=2), out_dir=tmp_path,
              problems_per_shard=1, progress=False)


@pytest.mark.parametrize("kw, match", [
    (dict(ladder=(16, 8)), "increase"), (dict(ladder=(16, 16)), "increase"), (dict(ladder=()), "one or more"),
    (dict(ladder=(0, 4)), ">= 1"), (dict(waits=-1), "waits"), (dict(chains=0), "chains"), (dict(wait="  "), "wait"),
    (dict(temperature=float("nan")), "temperature"),
])
def test_bad_settings_name_what_is_wrong(kw, match):
    with pytest.raises(ValueError, match=match):
        ForcingConfig(**kw)


def test_a_problem_set_without_a_forcing_prompt_is_refused():
    with pytest.raises(ValueError, match="no budget-forcing prompt"):
        force(Thinker(), PROBLEMS, ForcingConfig(), problem_set="humaneval", progress=False)
    assert "chains" in FORCING_STYLES


def test_the_curve_averages_each_checkpoint_over_the_chains_that_reached_it():
    from ttslib.forcing import forcing_curve

    table = force(Thinker(), PROBLEMS, ForcingConfig(ladder=(5, 10, 20, 40, 60), waits=3, chains=2), progress=False)
    curve = forcing_curve(table.sample(frac=1.0, random_state=3))
    for _, row in curve.iterrows():
        rows = table[(table["problem_id"] == row["problem_id"]) & (table["checkpoint"] == row["checkpoint"])
                     & (table["step"] == row["step"]) & table["reached"]]
        assert row["chains"] == len(rows)
        if len(rows):
            assert row["accuracy"] == pytest.approx(rows["is_correct"].mean())
            assert row["tokens"] == pytest.approx(rows["num_completion_tokens"].mean())
        else:
            assert np.isnan(row["accuracy"]) and np.isnan(row["tokens"])
    assert (curve["checkpoint"] == "end").sum() == 4 * 4 and curve.loc[curve["checkpoint"] == "end", "chains"].eq(0).any()


def test_up_to_j_waits_takes_the_jth_end_or_else_the_largest_cap():
    from ttslib.forcing import up_to_waits

    table = force(Thinker(), PROBLEMS, ForcingConfig(ladder=(5, 10, 20, 40, 60), waits=3, chains=2), progress=False)
    for j in range(4):
        got = up_to_waits(table.sample(frac=1.0, random_state=j), j).set_index(["problem_id", "chain_idx"])
        for (pid, c), row in got.iterrows():
            chain = table[(table["problem_id"] == pid) & (table["chain_idx"] == c)]
            end = chain[(chain["checkpoint"] == "end") & (chain["step"] == j)].iloc[0]
            cap = chain[(chain["checkpoint"] == "budget") & (chain["budget"] == 60)].iloc[0]
            use = end if end["reached"] else cap
            assert row["ended"] == end["reached"] and row["is_correct"] == use["is_correct"]
            assert row["tokens"] == use["num_completion_tokens"]
    with pytest.raises(ValueError, match="0..K = 3"):
        up_to_waits(table, 4)
