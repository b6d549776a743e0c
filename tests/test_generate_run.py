"""The run loop without a model: a scripted backend makes the shards, the crash and the resume
exact and fast to check (tests/test_generate.py repeats the important cases with the real model)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time

import pandas as pd
import pytest

from ttslib.data import read_samples
from ttslib.generate import BackendError, RunLocked, RunMismatch, SamplingConfig, generate_samples
from ttslib.generate.rundir import ShardCorrupted
from ttslib.generate.base import Backend, Completion, HasModelName, HasSettings, PromptResult, failed_result
from ttslib.problems import make_arithmetic


class ScriptedBackend(Backend, HasModelName):
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


def test_each_shard_s_time_and_the_writers_machine_are_facts_of_the_run_not_settings(tmp_path):
    problems = make_arithmetic(3, levels=(2, 5), seed=1)  # 6 problems, 2 a shard
    with pytest.raises(BackendError):
        run(ScriptedBackend(fail_after=4), problems, tmp_path, per_shard=2)
    facts = json.loads((tmp_path / "run.json").read_text())["facts"]
    assert sorted(facts["shards"]) == ["shards/000000.parquet", "shards/000002.parquet"] and len(facts["writers"]) == 1
    first = facts["shards"]["shards/000000.parquet"]
    assert first["problems"] == 2 and first["rows"] == 2 * 4 and first["writer"] == 0
    assert first["tokens"] == 2 * 4 * 2 and first["seconds"] >= 0 and first["seconds_per_problem"] == pytest.approx(first["seconds"] / 2, abs=1e-3)
    writer = facts["writers"][0]
    assert writer["backend"] == "scripted" and writer["pid"] == os.getpid() and writer["cores"] >= 1 and writer["cpu"]
    # a resume with other facts on record (another machine, other times) is no other run: it adds a writer
    stored = json.loads((tmp_path / "run.json").read_text())
    stored["facts"]["writers"][0]["cpu"] = "another machine"
    (tmp_path / "run.json").write_text(json.dumps(stored))
    resumed = run(ScriptedBackend(), problems, tmp_path, per_shard=2)
    facts = json.loads((tmp_path / "run.json").read_text())["facts"]
    assert len(facts["writers"]) == 2 and facts["writers"][0]["cpu"] == "another machine"
    assert facts["shards"]["shards/000004.parquet"]["writer"] == 1 and len(facts["shards"]) == 3
    pd.testing.assert_frame_equal(resumed, run(ScriptedBackend(), problems, tmp_path / "clean", per_shard=2))
    # and a setting is still compared
    with pytest.raises(RunMismatch, match="problems_per_shard"):
        run(ScriptedBackend(), problems, tmp_path, per_shard=3)
    assert "backend_decoded" not in facts["shards"]["shards/000004.parquet"]  # a backend that counts nothing records nothing


def test_a_backend_that_counts_its_tokens_has_each_shard_s_counts_recorded(tmp_path):
    from ttslib.generate.base import CountsTokens

    class Counting(ScriptedBackend, CountsTokens):
        def __init__(self):
            super().__init__()
            self.stats = {"decoded": 0, "sampled": 0}

        def generate(self, prompts, config, seeds):
            self.stats["decoded"] += 10 * len(prompts)  # as if each prompt cost 10 tokens
            self.stats["sampled"] += config.n * len(prompts)
            return super().generate(prompts, config, seeds)

    run(Counting(), make_arithmetic(3, levels=(2, 5), seed=1), tmp_path, per_shard=2)
    shards = json.loads((tmp_path / "run.json").read_text())["facts"]["shards"]
    assert all(f["backend_decoded"] == 20 and f["backend_sampled"] == 8 for f in shards.values()), shards


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
    with pytest.raises(ShardCorrupted, match=r"shard \S+000000.parquet is corrupted: .* recorded for shards/000001.parquet"):
        run(ScriptedBackend(), problems, tmp_path)
    (tmp_path / "SHA256SUMS").unlink()  # as an older run has none: the content check still refuses the swap
    with pytest.raises(RunMismatch, match="shard 000000 .* not .* as its name says"):
        run(ScriptedBackend(), problems, tmp_path)


# --- one writer, the run it claims to be (issue: runs you can trust) ---------------------------------

def test_a_refused_resume_names_each_field_with_its_stored_and_new_value(tmp_path):
    problems = make_arithmetic(2, levels=(2,), seed=0)
    run(ScriptedBackend(), problems, tmp_path)
    other = SamplingConfig(n=4, max_tokens=4, stop=("\n",), seed=3, top_p=0.95)
    with pytest.raises(RunMismatch, match=r"sampling\.top_p: stored 1\.0, given 0\.95"):
        generate_samples(problems, ScriptedBackend(), other, template=TEMPLATE, grade_style="last_number",
                         out_dir=tmp_path, progress=False)
    with pytest.raises(RunMismatch, match=r"template: stored '1 \+ 1 = 2\\n\{question\} =', given '\{question\} ='"):
        generate_samples(problems, ScriptedBackend(), CONFIG, template="{question} =", grade_style="last_number",
                         out_dir=tmp_path, progress=False)


class SettingsBackend(ScriptedBackend, HasSettings):
    """The scripted backend with one declared setting that changes its samples."""

    def __init__(self, offset: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.offset = offset

    def settings(self) -> dict:
        return {"offset": self.offset}


def test_a_backend_setting_is_recorded_and_compared(tmp_path):
    problems = make_arithmetic(2, levels=(2,), seed=0)
    run(SettingsBackend(offset=1), problems, tmp_path)
    assert json.loads((tmp_path / "run.json").read_text())["backend_settings"] == {"offset": 1}
    with pytest.raises(RunMismatch, match=r"backend_settings\.offset: stored 1, given 2"):
        run(SettingsBackend(offset=2), problems, tmp_path)


def test_a_shard_of_another_run_is_refused(tmp_path):
    problems = make_arithmetic(2, levels=(2,), seed=0)
    four, eight = tmp_path / "n4", tmp_path / "n8"
    run(ScriptedBackend(), problems, four)  # n = 4
    config8 = SamplingConfig(n=8, max_tokens=4, stop=("\n",), seed=3)
    kw = dict(template=TEMPLATE, grade_style="last_number", out_dir=eight, progress=False)
    with pytest.raises(BackendError):
        generate_samples(problems, ScriptedBackend(fail_after=1), config8, **kw)
    copied = eight / "shards" / "000001.parquet"
    shutil.copy(four / "shards" / "000001.parquet", copied)
    with pytest.raises(RunMismatch, match=r"shard 000001 .* another run: .*sampling\.n: stored 4, given 8"):
        generate_samples(problems, ScriptedBackend(), config8, **kw)
    pd.read_parquet(copied).to_parquet(copied, index=False)  # the same rows without the manifest (an older shard)
    with pytest.raises(RunMismatch, match=r"shard 000001 .* holds 4 rows for problem .*; this run makes 8 per problem"):
        generate_samples(problems, ScriptedBackend(), config8, **kw)
    copied.unlink()
    assert len(generate_samples(problems, ScriptedBackend(), config8, **kw)) == 2 * 8  # made again


def test_a_second_writer_is_refused_naming_the_first(tmp_path):
    from ttslib.generate.rundir import writer_lock

    problems = make_arithmetic(1, levels=(2,), seed=0)
    with writer_lock(tmp_path):  # this process writes; the run below is a second writer
        note = json.loads((tmp_path / "writer.lock").read_text())
        assert note["pid"] == os.getpid() and note["host"] == socket.gethostname()
        with pytest.raises(RunLocked, match=rf"being written by pid {os.getpid()} on host {socket.gethostname()}"):
            run(ScriptedBackend(), problems, tmp_path)
    assert not (tmp_path / "run.json").exists(), "the refused writer wrote nothing"
    assert (tmp_path / "writer.lock").read_text() == "", "a writer that finishes leaves no note"
    assert len(run(ScriptedBackend(), problems, tmp_path)) == 4  # one problem, n = 4


def test_a_dead_writers_lock_is_taken_over_with_a_message(tmp_path, capfd):
    problems = make_arithmetic(1, levels=(2,), seed=0)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)  # a pid that ran and is gone
    (tmp_path / "writer.lock").write_text(json.dumps({"pid": pid, "host": "elsewhere", "started": "2026-01-01T00:00:00"}))
    assert len(run(ScriptedBackend(), problems, tmp_path)) == 4  # one problem, n = 4
    assert f"taking over the run from its last writer (pid {pid} on host elsewhere" in capfd.readouterr().err


WRITER = """
import os, sys, time
import numpy as np
from ttslib.generate import SamplingConfig, generate_samples
from ttslib.generate.base import Completion, PromptResult
from ttslib.problems import make_arithmetic

class Unseeded:  # ignores its seeds: two runs of it never agree
    name, model_name = "unseeded", "unseeded-v1"
    def generate(self, prompts, config, seeds):
        time.sleep(0.15)
        draw = np.random.default_rng()
        return [PromptResult(3, tuple(Completion(f" {draw.integers(1000)}", (-0.5,), "stop") for _ in range(config.n)))
                for _ in prompts]

problems = make_arithmetic(4, levels=(2, 3), seed=0)
generate_samples(problems, Unseeded(), SamplingConfig(n=3, max_tokens=2, seed=0), template="{question} =",
                 grade_style="last_number", out_dir=sys.argv[1], progress=False)
"""


@pytest.mark.slow
@pytest.mark.parametrize("stagger", [0.0, 0.3])
def test_two_writer_processes_one_is_refused_and_the_table_is_the_shards(tmp_path, stagger):
    out = tmp_path / "run"
    first = subprocess.Popen([sys.executable, "-c", WRITER, str(out)], stderr=subprocess.PIPE, text=True)
    time.sleep(stagger)
    second = subprocess.Popen([sys.executable, "-c", WRITER, str(out)], stderr=subprocess.PIPE, text=True)
    results = [(p.wait(timeout=120), p.stderr.read()) for p in (first, second)]
    codes = sorted(code for code, _ in results)
    assert codes[0] == 0 and codes[1] != 0, results
    refused = next(err for code, err in results if code != 0)
    assert "RunLocked" in refused and "being written by pid" in refused
    table = read_samples(out / "samples.parquet")
    shards = pd.concat([pd.read_parquet(p) for p in sorted((out / "shards").glob("*.parquet"))], ignore_index=True)
    assert len(table) == 8 * 3 and table["completion"].tolist() == shards["completion"].tolist()
    assert not list((out / "shards").glob("*.tmp"))
