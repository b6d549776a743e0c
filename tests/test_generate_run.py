"""The run loop without a model: a scripted backend makes the shards, the crash and the resume
exact and fast to check (tests/test_generate.py repeats the important cases with the real model)."""

from __future__ import annotations

import pandas as pd
import pytest

from ttslib.data import read_samples
from ttslib.generate import BackendError, RunMismatch, SamplingConfig, generate_samples
from ttslib.generate.base import Completion, PromptResult, failed_result
from ttslib.problems import make_arithmetic


class ScriptedBackend:
    """Answers each prompt's last expression correctly on even samples; dies after ``fail_after`` prompts."""

    name = "scripted"
    model_name = "scripted-v1"

    def __init__(self, fail_after: int | None = None, refuse: str | None = None):
        self.fail_after, self.refuse, self.calls = fail_after, refuse, 0

    def generate(self, prompts, config, seeds):
        out = []
        for prompt, seed in zip(prompts, seeds):
            if self.fail_after is not None and self.calls >= self.fail_after:
                raise BackendError("scripted server went away")
            self.calls += 1
            if self.refuse and self.refuse in prompt:
                out.append(failed_result(config.n, "prompt too long", 7))
                continue
            expression = prompt.rsplit("\n", 1)[-1].rstrip(" =")
            value = eval(expression)  # the kit's own arithmetic, e.g. "23 + 4"
            texts = [f" {value}" if i % 2 == 0 else f" {value + 1 + seed % 3}" for i in range(config.n)]
            out.append(PromptResult(7, tuple(Completion(t, (-0.1, -0.2), "stop") for t in texts)))
        return out


TEMPLATE = "1 + 1 = 2\n{question} ="
CONFIG = SamplingConfig(n=4, max_tokens=4, stop=("\n",), seed=3)


def run(backend, problems, out=None, per_shard=1):
    return generate_samples(problems, backend, CONFIG, template=TEMPLATE, grade_style="last_number",
                            out_dir=out, problems_per_shard=per_shard, progress=False)  # fmt: skip


def test_table_is_graded_and_complete():
    problems = make_arithmetic(3, levels=(2, 5), seed=0)
    table = run(ScriptedBackend(), problems)
    assert len(table) == 6 * 4 and table["is_correct"].tolist() == [True, False] * 12
    assert list(table["problem_id"].unique()) == list(problems["problem_id"])
    assert (table["logprob"].round(6) == -0.3).all() and (table["num_completion_tokens"] == 2).all()


@pytest.mark.parametrize("per_shard", [1, 4])
def test_crash_then_resume_gives_every_sample_exactly_once(tmp_path, per_shard):
    problems = make_arithmetic(5, levels=(2, 5), seed=1)
    with pytest.raises(BackendError, match="finished shard"):
        run(ScriptedBackend(fail_after=6), problems, tmp_path, per_shard)
    assert not (tmp_path / "samples.parquet").exists()
    kept = len(list((tmp_path / "shards").glob("*.parquet")))
    assert kept == 6 // per_shard, "every shard finished before the crash is on disk"
    (tmp_path / "shards" / "999999.parquet.tmp").write_bytes(b"half a shard")  # killed mid-write
    resumed = run(ScriptedBackend(), problems, tmp_path, per_shard)
    assert len(resumed) == 10 * 4 and not resumed.duplicated(["problem_id", "sample_idx"]).any()
    pd.testing.assert_frame_equal(resumed, run(ScriptedBackend(), problems, tmp_path / "clean", per_shard))
    assert not list((tmp_path / "shards").glob("*.tmp"))


def test_resume_with_other_settings_is_refused(tmp_path):
    problems = make_arithmetic(3, levels=(2,), seed=0)
    run(ScriptedBackend(fail_after=None), problems.head(2), tmp_path)
    with pytest.raises(RunMismatch, match="problems_sha256"):
        run(ScriptedBackend(), problems, tmp_path)
    with pytest.raises(RunMismatch, match="problems_per_shard"):
        run(ScriptedBackend(), problems.head(2), tmp_path, per_shard=2)
    other = problems.head(2).assign(reference=["0", "0"])
    with pytest.raises(RunMismatch, match="problems_sha256"):
        run(ScriptedBackend(), other, tmp_path)
    assert len(read_samples(tmp_path / "samples.parquet")) == 2 * 4, "the finished run is untouched"


def test_refused_prompts_and_missing_references_are_recorded_not_raised():
    problems = make_arithmetic(2, levels=(2,), seed=0)
    problems.loc[1, "reference"] = None
    table = run(ScriptedBackend(refuse=problems.loc[0, "question"]), problems)
    first = table[table["problem_id"] == problems.loc[0, "problem_id"]]
    second = table[table["problem_id"] == problems.loc[1, "problem_id"]]
    assert set(first["status"]) == {"error: prompt too long"} and not first["is_correct"].any()
    assert set(second["status"]) == {"no_reference"} and not second["is_correct"].any()


def test_bad_arguments():
    problems = make_arithmetic(1, levels=(2,), seed=0)
    with pytest.raises(ValueError, match="problems_per_shard"):
        run(ScriptedBackend(), problems, per_shard=0)
    with pytest.raises(ValueError, match="placeholder"):
        generate_samples(problems, ScriptedBackend(), CONFIG, template="{answer}", progress=False)
    with pytest.raises(ValueError, match="empty"):
        run(ScriptedBackend(), problems.head(0))


def test_a_shard_holding_other_problems_than_its_name_is_refused(tmp_path):
    problems = make_arithmetic(3, levels=(2,), seed=0)
    with pytest.raises(BackendError):
        run(ScriptedBackend(fail_after=2), problems, tmp_path)
    shards = tmp_path / "shards"
    (shards / "000000.parquet").rename(shards / "swap")
    (shards / "000001.parquet").rename(shards / "000000.parquet")
    (shards / "swap").rename(shards / "000001.parquet")
    with pytest.raises(RunMismatch, match="shard 000000"):
        run(ScriptedBackend(), problems, tmp_path)
