"""Step-level search through a real OpenAI-compatible server on loopback (llama-cpp-python's
``llama_cpp.server`` with SmolLM2-135M, started and killed by the test), against the embedded backend on
the same problems: exactly N candidates, nothing continued past its end token or its final-answer line,
the same step counts and accuracy within sampling error, and a server killed mid-run resumed without loss.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import shared_file
from servers import free_port, start_llama_server
from ttslib.cli import app
from ttslib.generate import PROMPTS, BackendError
from ttslib.grade import final_answer_line
from ttslib.problems import make_chains
from ttslib.search import SearchConfig, run_search
from ttslib.verifiers import StepChecker

pytestmark = [pytest.mark.model, pytest.mark.slow]
CHAIN = PROMPTS["chain_fewshot"]


def nothing_past_its_end(table: pd.DataFrame, style: str) -> None:
    """No step follows a final-answer line or an empty step (an end token); and the server said which stop it hit."""
    for steps in table["steps"]:
        for step in list(steps)[:-1]:
            assert step.strip() and not final_answer_line(step, style=style), list(steps)
    assert (table["search_eos_unknown"] == 0).all()


def http_backend(port, **kw):
    from ttslib.generate.openai_http import OpenAIBackend

    return OpenAIBackend(f"http://127.0.0.1:{port}/v1", "smollm2", n_per_request=1, max_retries=1, timeout=60, **kw)


@pytest.fixture(scope="module")
def server():
    port = free_port()
    proc = start_llama_server(port, n_ctx=1024)
    yield port, proc
    proc.kill()
    proc.wait()


def test_chains_through_the_server_match_the_embedded_backend(server, tmp_path):
    from ttslib.generate.llama import LlamaCppBackend

    port, _ = server
    problems = make_chains(3, levels=(1, 4, 7), seed=2)  # 9 chains of 2 to 4 terms
    config = SearchConfig(method="beam_search", n=4, beam_width=2, max_steps=6, max_step_tokens=16, seed=0)
    kw = dict(template=CHAIN.template, delimiter=CHAIN.step_delimiter, grade_style=CHAIN.grade_style, progress=False)
    served = run_search(problems, http_backend(port), StepChecker(), config, out_dir=tmp_path / "served", **kw)
    embedded = run_search(problems, LlamaCppBackend(n_threads=1), StepChecker(), config, **kw)
    for table in (served, embedded):
        assert (table.groupby("problem_id").size() == 4).all()
    nothing_past_its_end(served, CHAIN.grade_style)
    # the same model and settings, other random streams: step counts and accuracy agree within sampling error
    steps = [t["steps"].map(len).groupby(t["problem_id"]).mean() for t in (served, embedded)]
    d = steps[0] - steps[1]
    assert abs(d.mean()) <= 4 * d.std(ddof=1) / np.sqrt(d.size) + 0.5, (steps[0].tolist(), steps[1].tolist())
    acc = [t.groupby("problem_id")["is_correct"].mean() for t in (served, embedded)]
    a = acc[0] - acc[1]
    assert abs(a.mean()) <= 4 * a.std(ddof=1) / np.sqrt(a.size) + 0.1
    manifest = json.loads((tmp_path / "served" / "run.json").read_text())
    assert manifest["backend"] == "openai" and manifest["search"]["n"] == 4


@pytest.mark.parametrize("method", [["--method", "beam_search", "--beam-width", "2"], ["--method", "particle_filtering"],
                                    ["--method", "rebase"]], ids=lambda m: m[1])
def test_math500_with_blank_line_steps_through_the_cli(server, tmp_path, method):
    port, _ = server
    path = shared_file("math500_test.jsonl")
    out = tmp_path / "math"
    args = ["search", "--problems", "math500", "--problems-file", str(path), "--limit", "3", "--backend", "openai",
            "--base-url", f"http://127.0.0.1:{port}/v1", "--model", "smollm2", "--n-per-request", "1", "--n", "4",
            *method, "--max-steps", "3", "--max-step-tokens", "24", "--verifier", "confidence", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out / "samples.parquet")
    assert (table.groupby("problem_id").size() == 4).all() and table["problem_id"].nunique() == 3
    nothing_past_its_end(table, "boxed")
    assert all(c == "\n\n".join(s) for c, s in zip(table["completion"], table["steps"]))  # MATH steps: blank lines
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["search_preset"] == "math500" and manifest["delimiter"] == "\n\n"
    assert manifest["search"]["max_steps"] == 3 and manifest["template"] == PROMPTS["math_boxed"].template  # override recorded
    assert manifest["search"]["method"] == method[1] and table["method"].eq(method[1]).all()


def test_a_server_killed_mid_run_and_restarted_resumes_with_nothing_lost(tmp_path):
    port = free_port()
    problems = make_chains(2, levels=(1, 4), seed=5)
    config = SearchConfig(method="dvts", n=4, beam_width=2, max_steps=5, max_step_tokens=16)
    kw = dict(template=CHAIN.template, delimiter=CHAIN.step_delimiter, grade_style=CHAIN.grade_style, progress=False,
              out_dir=tmp_path, problems_per_shard=1)
    proc = start_llama_server(port)
    http = http_backend(port)
    real, calls = http.generate, []

    def dies(prompts, cfg, seeds):  # the server dies during a later problem's search, once a shard is written
        calls.append(1)
        if any((tmp_path / "shards").glob("*.parquet")) and proc.poll() is None:
            proc.kill()
            proc.wait()
        return real(prompts, cfg, seeds)

    http.generate = dies
    try:
        with pytest.raises(BackendError, match=rf"127\.0\.0\.1:{port}"):
            run_search(problems, http, StepChecker(), config, **kw)
    finally:
        proc.kill()
        proc.wait()
    kept = {p.name: p.read_bytes() for p in (tmp_path / "shards").glob("*.parquet")}
    assert 1 <= len(kept) < len(problems)
    proc = start_llama_server(port)  # back up: the same call resumes
    try:
        http.generate = real
        table = run_search(problems, http, StepChecker(), config, **kw)
    finally:
        proc.kill()
        proc.wait()
    assert len(table) == 4 * len(problems) and not table.duplicated(["problem_id", "sample_idx"]).any()
    assert all((tmp_path / "shards" / name).read_bytes() == data for name, data in kept.items())  # finished shards untouched
    nothing_past_its_end(table, CHAIN.grade_style)
