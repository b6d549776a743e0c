"""The command line: `ttslib summary` on the shipped run, and argument errors of `ttslib generate`."""

from __future__ import annotations

import enum
import inspect
import json
import math
import typing
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from conftest import ROOT
from ttslib.cli import app
from ttslib.coverage import coverage
from ttslib.data import read_samples, samples_to_counts

runner = CliRunner()


def _parameters(command: str) -> dict:
    """``{name: (type, OptionInfo or ArgumentInfo)}`` of a command, read from the typer app itself (its
    function's signature), so that an option added to the command is here without a word."""
    func = next(c.callback for c in app.registered_commands if (c.name or c.callback.__name__) == command)
    hints = typing.get_type_hints(func)
    return {name: (hints[name], p.default) for name, p in inspect.signature(func).parameters.items()}


def _commands() -> list[str]:
    return [c.name or c.callback.__name__ for c in app.registered_commands]


def test_summary_of_the_shipped_arithmetic_run():
    path = ROOT / "data" / "arith_smollm2.parquet"
    result = runner.invoke(app, ["summary", str(path)])
    assert result.exit_code == 0, result.output
    counts = samples_to_counts(read_samples(path))
    assert "400 problems, 12800 samples" in result.output
    assert f"k=32: {coverage(counts['num_samples'], counts['num_correct'], 32):.3f}" in result.output
    assert "pass@1 by level: 1: 0.74" in result.output


def test_generate_rejects_an_unknown_prompt_and_a_missing_server(tmp_path):
    result = runner.invoke(app, ["generate", "--out", str(tmp_path / "x"), "--prompt", "nope"])
    assert result.exit_code == 2 and "'--prompt': must be one of" in result.output
    result = runner.invoke(app, ["generate", "--out", str(tmp_path / "y"), "--backend", "openai", "--per-level", "1"])
    assert result.exit_code == 2 and "needs --model and at least one --base-url" in result.output


def test_summary_names_a_missing_file(tmp_path):
    result = runner.invoke(app, ["summary", str(tmp_path / "none.parquet")])
    assert result.exit_code == 2 and "no such file or directory" in result.output and "none.parquet" in result.output


# --- every option of generate and search either reaches the run's manifest or cannot change a result ---

class _Captured(Exception):
    pass


def _manifest_of(monkeypatch, args: list[str]) -> dict:
    """The manifest `ttslib <args>` would write, caught where the run loop gets it (nothing is sampled)."""
    import ttslib.generate.run as run_module
    from ttslib.generate.rundir import flatten, normalise

    seen = {}

    def capture(problems, make_rows, *, out_dir=None, manifest=None, **kwargs):
        seen["manifest"] = flatten(normalise(manifest))
        raise _Captured

    monkeypatch.setattr(run_module, "run_sharded", capture)
    result = runner.invoke(app, args)
    assert isinstance(result.exception, _Captured), (args, result.output, result.exception)
    return seen["manifest"]


# option -> (extra base arguments, the option's changed value), or the reason it cannot change a result
NO_EFFECT = {
    "out": "where the run is written, not what it holds",
    "threads": "llama.cpp splits each product's rows over threads (tests/test_generate.py compares 1 and 2 threads)",
    "concurrency": "requests in flight: each request's answer depends on its model, prompt, settings and seed only",
    "base_url": "which replica answers: the served model (recorded) decides, not its address",
    "ray_engine_config": "where Ray places the vLLM engines (accelerator type, placement group), not what they sample",
    "ray_address": "which Ray cluster runs the requests or the actors, not what they answer (search: it reaches only "
                   "ray.init; the manifest holds what the actors report of their backend)",
}
# search's Ray options: checking them needs actors on a running Ray cluster, so another test does, by resuming
# a run on actors of another backend (refused) and on more actors reserving other CPUs (accepted)
CHECKED_ELSEWHERE = {
    option: "tests/test_generate_ray.py::test_a_search_resume_checks_what_the_actors_hold_not_how_many"
    for option in ("ray_actor_backend", "ray_actors", "ray_actor_cpus", "ray_actor_gpus")
}
CHANGES = {
    "generate": {
        "problems": ([], ["--problems", "chains"]), "problems_file": (["--problems", "file", "--problems-file", "{a}"], ["--problems-file", "{b}"]),
        "limit": ([], ["--limit", "3"]), "per_level": ([], ["--per-level", "2"]), "backend": ([], ["--backend", "openai", "--model", "m", "--base-url", "http://127.0.0.1:9/v1"]),
        "model": (["--backend", "openai", "--base-url", "http://127.0.0.1:9/v1", "--model", "m"], ["--model", "m2"]),
        "n_per_request": (["--backend", "openai", "--base-url", "http://127.0.0.1:9/v1", "--model", "m"], ["--n-per-request", "1"]),
        "prompt": ([], ["--prompt", "gsm8k_fewshot"]), "n": ([], ["--n", "5"]), "temperature": ([], ["--temperature", "0.5"]),
        "top_p": ([], ["--top-p", "0.9"]), "max_tokens": ([], ["--max-tokens", "7"]), "seed": ([], ["--seed", "1"]),
        "problems_per_shard": ([], ["--problems-per-shard", "2"]), "flash_attn": ([], ["--flash-attn"]),
        "confidence_top_k": ([], ["--confidence-top-k", "20"]),
        "ray_engine": (["--backend", "ray", "--model", "m", "--ray-engine", "vllm"], ["--ray-engine", "http", "--base-url", "http://127.0.0.1:9/v1"]),
        "ray_request_seeds": (["--backend", "ray", "--model", "m", "--ray-engine", "vllm"], ["--no-ray-request-seeds"]),
        "ray_engine_kwargs": (["--backend", "ray", "--model", "m", "--ray-engine", "vllm"], ["--ray-engine-kwargs", '{{"max_model_len": 512}}']),  # braces doubled: .format()ted
    },
    "search": {
        "method": ([], ["--method", "dvts"]), "n": ([], ["--n", "8"]), "beam_width": ([], ["--beam-width", "2"]),
        "dvts_variant": (["--method", "dvts"], ["--dvts-variant", "sal"]),
        "pf_aggregate": (["--method", "particle_filtering"], ["--pf-aggregate", "min"]),
        "pf_temperature": (["--method", "particle_filtering"], ["--pf-temperature", "0.5"]),
        "pf_iterations": (["--method", "particle_filtering"], ["--pf-iterations", "2"]),
        "pf_resample": (["--method", "particle_filtering"], ["--pf-resample", "active"]),
        "rebase_temperature": (["--method", "rebase"], ["--rebase-temperature", "0.5"]),
        "lookahead": ([], ["--lookahead", "1"]), "max_steps": ([], ["--max-steps", "5"]), "max_step_tokens": ([], ["--max-step-tokens", "9"]),
        "verifier": ([], ["--verifier", "checker"]), "auc": ([], ["--auc", "0.804"]), "verifier_seed": ([], ["--verifier-seed", "5"]),
        "problems": ([], ["--problems", "arith"]), "problems_file": (["--problems", "file", "--problems-file", "{a}"], ["--problems-file", "{b}"]),
        "limit": ([], ["--limit", "3"]), "per_level": ([], ["--per-level", "2"]), "backend": ([], ["--backend", "openai", "--model", "m", "--base-url", "http://127.0.0.1:9/v1"]),
        "model": (["--backend", "openai", "--base-url", "http://127.0.0.1:9/v1", "--model", "m"], ["--model", "m2"]),
        "n_per_request": (["--backend", "openai", "--base-url", "http://127.0.0.1:9/v1", "--model", "m"], ["--n-per-request", "1"]),
        "prompt": ([], ["--prompt", "chain_other"]), "temperature": ([], ["--temperature", "0.5"]), "top_p": ([], ["--top-p", "0.9"]),
        "seed": ([], ["--seed", "1"]), "problems_per_shard": ([], ["--problems-per-shard", "3"]), "flash_attn": ([], ["--flash-attn"]),
    },
}


@pytest.mark.model
@pytest.mark.parametrize("command", ["generate", "search"])
def test_every_option_changes_the_manifest_or_cannot_change_a_result(command, monkeypatch, tmp_path):
    import dataclasses

    from ttslib.generate import PROMPTS
    from ttslib.problems import make_arithmetic

    # a second template with a step delimiter, so that search's --prompt has another value to take
    monkeypatch.setitem(PROMPTS, "chain_other", dataclasses.replace(PROMPTS["chain_fewshot"], template="Q. {question}\n"))

    options = {name for name, (_, info) in _parameters(command).items() if isinstance(info, typer.models.OptionInfo)}
    unclassified = options - set(CHANGES[command]) - set(NO_EFFECT) - (set(CHECKED_ELSEWHERE) if command == "search" else set())
    assert not unclassified, f"`ttslib {command}` options neither in the manifest test nor argued harmless: {unclassified}"
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    make_arithmetic(1, levels=(2,), seed=0).to_json(a, orient="records", lines=True)
    make_arithmetic(1, levels=(2,), seed=1).to_json(b, orient="records", lines=True)
    base = [command, "--out", str(tmp_path / "out"), "--per-level", "1", "--limit", "2"]
    for option, (extra, changed) in CHANGES[command].items():
        extra = [x.format(a=a, b=b) for x in extra]
        changed = [x.format(a=a, b=b) for x in changed]
        before = _manifest_of(monkeypatch, base + extra)
        after = _manifest_of(monkeypatch, base + extra + changed)
        assert before != after, f"--{option.replace('_', '-')} {changed[1:]} does not reach the manifest"
    for option in sorted(set(NO_EFFECT) & options - ({"ray_address"} if command == "search" else set())):  # search: actors needed
        changed = {"out": ["--out", str(tmp_path / "elsewhere")], "threads": ["--threads", "1"],
                   "concurrency": ["--concurrency", "9"], "base_url": ["--base-url", "http://127.0.0.1:10/v1"],
                   "ray_address": ["--ray-address", "auto"], "ray_engine_config": ["--ray-engine-config", '{"accelerator_type": "H100"}']}[option]
        extra = {"concurrency": ["--backend", "openai", "--model", "m", "--base-url", "http://127.0.0.1:9/v1"],
                 "base_url": ["--backend", "openai", "--model", "m", "--base-url", "http://127.0.0.1:9/v1"],
                 "ray_address": ["--backend", "ray", "--model", "m", "--base-url", "http://127.0.0.1:9/v1"],
                 "ray_engine_config": ["--backend", "ray", "--model", "m", "--ray-engine", "vllm"]}.get(option, [])
        assert _manifest_of(monkeypatch, base + extra) == _manifest_of(monkeypatch, base + extra + changed), option


# --- summary and report read through one loader: the same formats, the same one-line errors -----------

def _bad_tables(tmp_path):
    good = read_samples(ROOT / "data" / "arith_smollm2.parquet").head(64)
    cases = {}
    empty = tmp_path / "empty.parquet"
    good.head(0).to_parquet(empty)
    cases["empty"] = (empty, "no rows")
    broken = tmp_path / "broken.parquet"
    data = (ROOT / "data" / "arith_smollm2.parquet").read_bytes()
    cut = slice(3 * len(data) // 10, 7 * len(data) // 10)  # the middle 40% zeroed: pages, not the footer
    broken.write_bytes(data[: cut.start] + bytes(cut.stop - cut.start) + data[cut.stop:])
    cases["corrupt"] = (broken, "cannot be read as Parquet")
    jsonl = tmp_path / "bad.jsonl"
    lines = good.head(5)[["problem_id", "is_correct"]].to_json(orient="records", lines=True).splitlines()
    lines[3] = lines[3][:-5]  # line 4 cut short
    jsonl.write_text("\n".join(lines) + "\n")
    cases["jsonl"] = (jsonl, "line 4:")
    return cases


@pytest.mark.parametrize("case", ["empty", "corrupt", "jsonl"])
@pytest.mark.parametrize("command", ["summary", "report"])
def test_a_bad_table_gets_one_line_and_exit_2(command, case, tmp_path):
    path, message = _bad_tables(tmp_path)[case]
    result = runner.invoke(app, [command, str(path)])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.exception
    assert message in result.output and len(result.output.strip().splitlines()) == 1, result.output


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_summary_reads_every_format_report_reads(suffix, tmp_path):
    table = read_samples(ROOT / "data" / "arith_smollm2.parquet")
    table = table[table["problem_id"].isin(table["problem_id"].unique()[:10])][["problem_id", "sample_idx", "is_correct", "level"]]
    path = tmp_path / f"t{suffix}"
    {".csv": lambda: table.to_csv(path, index=False), ".jsonl": lambda: table.to_json(path, orient="records", lines=True),
     ".parquet": lambda: table.to_parquet(path)}[suffix]()
    result = runner.invoke(app, ["summary", str(path)])
    assert result.exit_code == 0 and "10 problems, 320 samples" in result.output, result.output


def test_an_unfinished_run_is_named_with_problems_done_of_total(tmp_path):
    from ttslib.generate import BackendError, SamplingConfig, generate_samples
    from ttslib.problems import make_arithmetic
    from ttslib.report import load_table
    from test_generate_run import TEMPLATE, ScriptedBackend

    problems = make_arithmetic(3, levels=(2, 4), seed=0)
    with pytest.raises(BackendError):
        generate_samples(problems, ScriptedBackend(fail_after=4), SamplingConfig(n=2, max_tokens=2), template=TEMPLATE,
                         grade_style="last_number", out_dir=tmp_path / "run", progress=False)
    for where in (tmp_path / "run", tmp_path / "run" / "shards"):
        result = runner.invoke(app, ["summary", str(where)])
        assert result.exit_code == 0 and "4 problems, 8 samples" in result.output, result.output
        assert "unfinished run: 4 of 6 problems done" in result.output
    assert load_table(tmp_path / "run").notes[0].startswith("unfinished run: 4 of 6 problems done")


def test_implausible_values_are_named(tmp_path):
    from ttslib.report import load_table

    table = read_samples(ROOT / "data" / "arith_smollm2.parquet").head(64)
    table.loc[3, "sample_idx"] = 10**15
    path = tmp_path / "far.parquet"
    table.to_parquet(path)
    result = runner.invoke(app, ["summary", str(path)])
    assert result.exit_code == 0 and f"sample_idx reaches {10**15} for problem" in result.output, result.output
    assert load_table(ROOT / "data" / "arith_smollm2.parquet").notes == ()  # the shipped run: nothing to say


@pytest.mark.parametrize("score", [1.9, float("nan")])
def test_step_scores_outside_0_1_in_a_search_and_learn_file_are_refused(score, tmp_path):
    import json

    row = {"problem": "What is 1 + 1?", "answer": "2", "unique_id": "p1", "completions": ["1 + 1 = 2\n\nThe answer is 2"],
           "scores": [[0.9, score]], "pred": "2", "completion_tokens": [9]}
    path = tmp_path / "sal_completions.jsonl"
    path.write_text(json.dumps(row).replace("NaN", "NaN") + "\n")
    result = runner.invoke(app, ["summary", str(path)])
    assert result.exit_code == 2 and "outside [0, 1]" in result.output and "'p1'" in result.output, result.output


@pytest.mark.model
def test_generate_humaneval_grades_by_running_and_regrade_agrees(tmp_path):
    """`ttslib generate --problems humaneval` (the default code prompt, graded in the sandbox on the way),
    then `ttslib regrade` of the same table: the same verdicts."""
    out = tmp_path / "he"
    result = runner.invoke(app, ["generate", "--problems", "humaneval", "--limit", "2", "--n", "2", "--max-tokens", "48",
                                 "--out", str(out), "--threads", "1"])
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out / "samples.parquet")
    assert len(table) == 4 and table["verdict"].isin(["passed", "failed", "timeout", "out_of_memory", "error"]).all()
    assert json.loads((out / "run.json").read_text())["grade_style"] == "code"
    again = runner.invoke(app, ["regrade", str(out / "samples.parquet"), "--out", str(tmp_path / "re.parquet")])
    assert again.exit_code == 0, again.output
    regraded = pd.read_parquet(tmp_path / "re.parquet")
    assert regraded["verdict"].tolist() == table["verdict"].tolist() and regraded["is_correct"].tolist() == table["is_correct"].tolist()


@pytest.mark.model
def test_generate_records_token_confidence_when_asked(tmp_path):
    """`--confidence-top-k 20`: a token_confidence per completion token in the table, k in run.json, and the
    closing line counts the samples without one (none, with the embedded model)."""
    out = tmp_path / "conf"
    result = runner.invoke(app, ["generate", "--per-level", "1", "--limit", "2", "--n", "2", "--max-tokens", "4",
                                 "--confidence-top-k", "20", "--out", str(out), "--threads", "1"])
    assert result.exit_code == 0, result.output
    assert "token_confidence absent in 0" in result.stdout
    table = read_samples(out / "samples.parquet")
    assert (table["token_confidence"].map(len) == table["num_completion_tokens"]).all()
    assert json.loads((out / "run.json").read_text())["sampling"]["confidence_top_k"] == 20


# --- every option of every command refuses an out-of-range value: one line on stderr, exit 2, no work ---

# Options whose bounds a callback checks (typer cannot show them to this test) and free strings: the bad
# values to try, each a list of command-line words ("{dir}", "{file}", "{table}", "{input}" are filled in).
BAD_VALUES = {
    ("*", "limit"): [["-1"], ["0"]],  # issue 29's cases, tried whatever the declaration says: -1 ran 163 of 164
    ("*", "n"): [["0"]],
    ("*", "per_level"): [["0"]],
    ("generate", "max_tokens"): [["0"]],
    ("*", "temperature"): [["-1"], ["nan"], ["inf"]],
    ("*", "top_p"): [["0"], ["1.5"], ["nan"]],
    ("*", "base_url"): [["ftp://127.0.0.1/v1"], ["127.0.0.1:8000"]],
    ("generate", "prompt"): [["nope"]],
    ("search", "prompt"): [["nope"], ["arith_fewshot"]],  # a template without a step delimiter
    ("search", "method"): [["greedy"]],
    ("search", "dvts_variant"): [["other"]],
    ("search", "pf_aggregate"): [["mean"]],
    ("search", "pf_temperature"): [["0"], ["nan"]],
    ("search", "pf_iterations"): [["0"]],
    ("search", "pf_resample"): [["some"]],
    ("search", "rebase_temperature"): [["-1"]],
    ("search", "auc"): [["0.4"], ["1"], ["nan"]],
    ("regrade", "table"): [["{file}"], ["{empty}"]],  # not Parquet; no rows
    ("regrade", "out"): [["{input}"]],  # the input itself, which regrade promises to leave as it is
    ("regrade", "timeout"): [["0"], ["-1"], ["nan"], ["3601"]],
    ("summary", "path"): [["{missing}"], ["{zero}"], ["{text}"], ["{blank_level}"], ["{array_line}"]],
    ("report", "samples"): [["{missing}"], ["{zero}"]],
    ("report", "model"): [["no-such-model"]],
    ("report", "fmt"): [["nope"]],
    ("report", "column"): [["problem_id"]],
    ("generate", "problems_file"): [["{file}"], ["{short}"]],  # not JSON lines; a line without 'reference'
    ("search", "problems_file"): [["{file}"], ["{short}"]],
    ("revise", "problems_file"): [["{file}"], ["{short}"]],
    ("revise", "max_tokens"): [["0"]],
    ("force", "problems_file"): [["{file}"], ["{short}"]],
    ("force", "ladder"): [["16,8"], ["0,4"], ["16,,32"], ["many"]],  # out of order, zero, not numbers
    ("force", "wait"): [["  "]],
    ("*", "ray_address"): [["10.0.0.5"], ["http://10.0.0.5:6379"]],  # no port; not a Ray address
    ("generate", "ray_engine_kwargs"): [["max_model_len=4096"], ["[4096]"]],  # not JSON; not an object
    ("generate", "ray_engine_config"): [["{{"], ["3"]],  # "{" (formatted): not JSON
    ("search", "ray_actor_cpus"): [["0"], ["nan"]],
    ("search", "ray_actor_gpus"): [["-1"], ["inf"]],
}
# Options with no out-of-range value, and why.
NO_BAD_VALUE = {
    "flash_attn": "a flag: on and off are both valid",
    "ray_request_seeds": "a flag: on and off are both valid (off with --ray-engine http is refused in one line, exit 1)",
    "stop_when_passing": "a flag: on and off are both valid (on without feedback is refused in one line, exit 1)",
    "model": "generate/search: a registry name, a GGUF path, a hub id or a served model's name; which is valid depends "
             "on --backend and only the backend knows when it starts (a bad one: one line, exit 1)",
}
# The least each command needs to reach its work; the parameter under test replaces its own entry.
BASE = {"generate": {"out": ["--out", "{run}"], "problems": ["--problems", "file"], "problems_file": ["--problems-file", "{problems}"]},
        "search": {"out": ["--out", "{run}"], "problems": ["--problems", "file"], "problems_file": ["--problems-file", "{problems}"]},
        "revise": {"out": ["--out", "{run}"], "problems": ["--problems", "file"], "problems_file": ["--problems-file", "{problems}"]},
        "force": {"out": ["--out", "{run}"], "problems": ["--problems", "file"], "problems_file": ["--problems-file", "{problems}"]},
        "regrade": {"table": ["{input}"], "out": ["--out", "{regraded}"]},
        "summary": {"path": ["{input}"]},
        "report": {"samples": ["{input}"]}}


def _typed_bad_values(annotation, info) -> list[list[str]]:
    """Out-of-range values that the option's declaration itself gives: its bounds, its choices, its path kind."""
    kind = typing.get_args(annotation)[0] if typing.get_origin(annotation) is typing.Union else annotation
    bad = []
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        bad.append(["not-a-choice"])
    if getattr(info, "min", None) is not None:
        bad.append([str(info.min - 1) if kind is int else str(info.min - 0.5)])
    if getattr(info, "max", None) is not None:
        bad.append([str(info.max + 1)])
    if kind is Path:
        if getattr(info, "exists", False):
            bad.append(["{missing}"])
        if not getattr(info, "dir_okay", True):
            bad.append(["{dir}"])
        if not getattr(info, "file_okay", True):
            bad.append(["{file}"])
    return bad


def _cases():
    for command in _commands():
        for name, (annotation, info) in _parameters(command).items():
            bad = _typed_bad_values(annotation, info) + BAD_VALUES.get((command, name), BAD_VALUES.get(("*", name), []))
            if not bad and name not in NO_BAD_VALUE:
                yield pytest.param(command, name, None, id=f"{command}-{name}-UNCOVERED")
            for i, words in enumerate(bad):
                yield pytest.param(command, name, words, id=f"{command}-{name}-{i}")


@pytest.fixture
def files(tmp_path):
    """The paths the bad values name, made once per test."""
    from ttslib.problems import make_arithmetic

    table = read_samples(ROOT / "data" / "code" / "humaneval_smollm2.parquet").head(2)
    made = {"dir": tmp_path / "a_dir", "file": tmp_path / "plain.txt", "missing": tmp_path / "missing.parquet",
            "input": tmp_path / "input.parquet", "empty": tmp_path / "empty.parquet", "run": tmp_path / "run",
            "regraded": tmp_path / "regraded.parquet", "problems": tmp_path / "problems.jsonl",
            "short": tmp_path / "short.jsonl", "zero": tmp_path / "zero.csv", "text": tmp_path / "text.csv",
            "blank_level": tmp_path / "blank.csv", "array_line": tmp_path / "array.jsonl"}
    made["dir"].mkdir()
    made["file"].write_text("not a table, not JSON\n")
    table.to_parquet(made["input"])
    table.head(0).to_parquet(made["empty"])
    make_arithmetic(1, levels=(2,)).to_json(made["problems"], orient="records", lines=True)
    made["short"].write_text('{"problem_id": "a", "question": "1 + 1"}\n')
    made["zero"].write_text("problem_id,num_samples,num_correct\na,4,1\nb,0,0\n")
    made["text"].write_text("problem_id,num_samples,num_correct\na,4,1\nb,many,0\n")
    made["blank_level"].write_text("problem_id,num_samples,num_correct,level\na,4,1,1\nb,4,0,\n")
    made["array_line"].write_text('{"problem_id": "a", "is_correct": true}\n[1, 2]\n')
    return {key: str(path) for key, path in made.items()}


@pytest.mark.parametrize("command, name, words", list(_cases()))
def test_every_option_refuses_an_out_of_range_value_in_one_line(command, name, words, files, monkeypatch):
    assert words is not None, (f"`ttslib {command}` parameter {name!r} has no declared bound, choice or path kind: "
                               f"give it one, or list its bad values in BAD_VALUES, or why it has none in NO_BAD_VALUE")
    import ttslib.cli as cli
    import ttslib.codegrade
    import ttslib.generate
    import ttslib.generate.run

    def work(*args, **kwargs):
        raise AssertionError("work started before the bad value was refused")

    for module, attribute in [(ttslib.generate.run, "run_sharded"), (ttslib.generate, "make_backend"),
                              (ttslib.codegrade, "grade_code_table"), (cli, "_write_report")]:
        monkeypatch.setattr(module, attribute, work)
    annotation, info = _parameters(command)[name]
    flag = ([d for d in info.param_decls if d.startswith("--")] or [f"--{name.replace('_', '-')}"])[0] \
        if isinstance(info, typer.models.OptionInfo) else None
    base = {key: ws for key, ws in BASE[command].items() if key != name}
    args = [command] + [w for ws in base.values() for w in ws] + ([flag] if flag else []) + list(words)
    args = [a.format(**files) for a in args]
    result = runner.invoke(app, args)
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2, (args, result.exit_code, result.output, result.exception)
    assert len(lines) == 1 and lines[0].startswith("error: ") and result.stdout == "", (args, result.output)
    named = [flag] if flag else [name.upper(), *(w.format(**files) for w in words)]  # an argument: named, or its value quoted
    assert any(n.lower() in lines[0].lower() for n in named), f"the message names none of {named}: {lines[0]}"


@pytest.mark.parametrize("options", [["--n", "6"], ["--method", "dvts", "--lookahead", "1"], ["--dvts-variant", "sal"],
                                     ["--method", "rebase", "--beam-width", "2"], ["--pf-iterations", "2"],
                                     ["--method", "particle_filtering", "--n", "6", "--pf-iterations", "4"]])
def test_search_options_that_do_not_go_together_are_refused_before_any_work(options, monkeypatch, tmp_path):
    import ttslib.generate

    monkeypatch.setattr(ttslib.generate, "make_backend", lambda *a, **k: pytest.fail("work started"))
    result = runner.invoke(app, ["search", "--out", str(tmp_path / "run"), *options])
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1, result.output


def test_regrade_checks_out_before_grading_and_loses_nothing(tmp_path, monkeypatch):
    """`--out` naming a folder, or the input itself: refused before any program runs; the folder, the input and
    the directory around them are as they were (issue 29: a traceback after all the grading, and <dir>.tmp left)."""
    import ttslib.codegrade

    monkeypatch.setattr(ttslib.codegrade, "grade_code_table", lambda *a, **k: pytest.fail("grading started"))
    table = tmp_path / "input.parquet"
    read_samples(ROOT / "data" / "code" / "humaneval_smollm2.parquet").head(2).to_parquet(table)
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "kept.txt").write_text("mine")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    for out in (folder, table):
        result = runner.invoke(app, ["regrade", str(table), "--out", str(out)])
        assert result.exit_code == 2 and "'--out'" in result.stderr, result.output
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_a_limit_of_minus_one_runs_nothing(tmp_path, monkeypatch):
    """`--limit -1` ran 163 of 164 problems (pandas' head(-1)); now it is refused."""
    import ttslib.generate.run

    monkeypatch.setattr(ttslib.generate.run, "run_sharded", lambda *a, **k: pytest.fail("work started"))
    result = runner.invoke(app, ["generate", "--out", str(tmp_path / "run"), "--limit", "-1"])
    assert result.exit_code == 2 and "'--limit'" in result.stderr
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_summary_keeps_ids_007_and_7_apart(suffix, tmp_path):
    """Ids are text: CSV and JSON readers no longer turn "007" into 7 and merge it with problem 7."""
    table = pd.DataFrame({"problem_id": ["007", "007", "7", "7"], "sample_idx": [0, 1, 0, 1], "is_correct": [True, True, False, False]})
    path = tmp_path / f"ids{suffix}"
    table.to_csv(path, index=False) if suffix == ".csv" else table.to_json(path, orient="records", lines=True)
    result = runner.invoke(app, ["summary", str(path)])
    assert result.exit_code == 0 and "2 problems, 4 samples" in result.output and "k=1: 0.500" in result.output, result.output
