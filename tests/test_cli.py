"""The command line: `ttslib summary` on the shipped run, and argument errors of `ttslib generate`."""

from __future__ import annotations

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
    assert result.exit_code == 1 and "error: no sample table at" in result.output and "none.parquet" in result.output
