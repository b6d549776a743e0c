"""The command line: `ttslib summary` on the shipped run, and argument errors of `ttslib generate`."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import ROOT
from ttslib.cli import app
from ttslib.coverage import coverage
from ttslib.data import read_samples, samples_to_counts

runner = CliRunner()


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
    assert result.exit_code != 0 and "--prompt must be one of" in result.output
    result = runner.invoke(app, ["generate", "--out", str(tmp_path / "y"), "--backend", "openai", "--per-level", "1"])
    assert result.exit_code == 1 and "needs --model and at least one --base-url" in result.output


def test_summary_names_a_missing_file(tmp_path):
    result = runner.invoke(app, ["summary", str(tmp_path / "none.parquet")])
    assert result.exit_code == 1 and "no such file or directory" in result.output and "none.parquet" in result.output


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
    },
    "search": {
        "method": ([], ["--method", "dvts"]), "n": ([], ["--n", "8"]), "beam_width": ([], ["--beam-width", "2"]),
        "dvts_variant": (["--method", "dvts"], ["--dvts-variant", "sal"]),
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

    import click
    import typer.main

    from ttslib.generate import PROMPTS
    from ttslib.problems import make_arithmetic

    # a second template with a step delimiter, so that search's --prompt has another value to take
    monkeypatch.setitem(PROMPTS, "chain_other", dataclasses.replace(PROMPTS["chain_fewshot"], template="Q. {question}\n"))

    cli = typer.main.get_command(app).commands[command]
    options = {p.name for p in cli.params if isinstance(p, click.Option)}
    unclassified = options - set(CHANGES[command]) - set(NO_EFFECT)
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
    for option in sorted(set(NO_EFFECT) & options):
        changed = {"out": ["--out", str(tmp_path / "elsewhere")], "threads": ["--threads", "1"],
                   "concurrency": ["--concurrency", "9"], "base_url": ["--base-url", "http://127.0.0.1:10/v1"]}[option]
        extra = ["--backend", "openai", "--model", "m", "--base-url", "http://127.0.0.1:9/v1"] if option in ("concurrency", "base_url") else []
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
def test_a_bad_table_gets_one_line_and_exit_1(command, case, tmp_path):
    path, message = _bad_tables(tmp_path)[case]
    result = runner.invoke(app, [command, str(path)])
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit), result.exception
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
    assert result.exit_code == 1 and "outside [0, 1]" in result.output and "'p1'" in result.output, result.output


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
