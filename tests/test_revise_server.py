"""Chains of revisions, code self-repair and budget forcing through a real OpenAI-compatible server on loopback
(llama-cpp-python's ``llama_cpp.server`` with SmolLM2-135M, started once and killed by the module) against the
embedded backend on the same problems: the same table layout, the same manifest fields, and accuracy and
lengths within sampling error. Lengths are compared in characters: the embedded backend counts the tokens of a
stop string it generated, and a server reports its own count (llama.cpp's leaves them out)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from servers import free_port, start_llama_server
from ttslib.problems import make_chains
from ttslib.revise import RevisionConfig, revise

pytestmark = [pytest.mark.model, pytest.mark.slow]


@pytest.fixture(scope="module")
def server():
    from ttslib.generate.openai_http import OpenAIBackend

    port = free_port()
    proc = start_llama_server(port, n_ctx=2048)
    try:
        yield OpenAIBackend(f"http://127.0.0.1:{port}/v1", "smollm2", n_per_request=1, max_retries=1, timeout=300)
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def embedded():
    from ttslib.generate.llama import LlamaCppBackend

    return LlamaCppBackend(n_threads=1)


def _within_sampling_error(tables, keys, column, slack):
    per = [t.groupby(keys)[column].mean() for t in tables]
    d = (per[0] - per[1]).to_numpy(dtype=float)
    assert abs(d.mean()) <= 4 * d.std(ddof=1) / np.sqrt(d.size) + slack, (column, per[0].tolist(), per[1].tolist())


def test_revisions_through_the_server_match_the_embedded_backend(tmp_path, server, embedded):
    problems = make_chains(3, levels=(1, 4, 7), seed=2)  # 9 chains of 2 to 4 terms
    config = RevisionConfig(rounds=2, chains=4, feedback="checker", max_tokens=48)
    served = revise(server, problems, config, out_dir=tmp_path / "served", problems_per_shard=3, progress=False)
    embedded = revise(embedded, problems, config, problems_per_shard=3, progress=False)
    for table in (served, embedded):
        assert len(table) == 9 * 4 * 2 and (table.groupby("problem_id").size() == 8).all()
        assert table.loc[table["round"] == 1, "feedback"].str.fullmatch(r"(line \d+ is wrong|every line is right)\.").all()
    # the same model and settings, other random streams: per problem and round, accuracy and the attempts' length
    # agree within sampling error (length in characters: the embedded backend counts the tokens of the stop string
    # it generated, "\nFeedback", and a server reports its own count)
    for table in (served, embedded):
        table["chars"] = table["completion"].str.len()
    for column, slack in (("is_correct", 0.1), ("chars", 4.0)):
        _within_sampling_error((served, embedded), ["problem_id", "round"], column, slack)
    manifest = json.loads((tmp_path / "served" / "run.json").read_text())
    assert manifest["backend"] == "openai" and manifest["revision"]["feedback"] == "checker" and manifest["revision"]["rounds"] == 2


def test_self_repair_through_the_server_matches_the_embedded_backend(tmp_path, server, embedded):
    """Two HumanEval problems, 3 chains x 2 rounds with the sandbox's feedback: every round-1 program gets a
    feedback line, a chain that passes its examples stops, and the attempts' length agrees within sampling error."""
    from ttslib.problems import load_humaneval

    problems = load_humaneval(limit=2)
    config = RevisionConfig(rounds=2, chains=3, feedback="tests", stop_when_passing=True, max_tokens=48, top_p=0.95)
    tables = [revise(b, problems, config, problem_set="humaneval", out_dir=tmp_path / b.name, problems_per_shard=2,
                     progress=False) for b in (server, embedded)]
    for table in tables:
        assert len(table) == 2 * 3 * 2 and table.loc[table["round"] == 1, "feedback"].notna().all()
        assert (table.loc[table["carried"], "num_completion_tokens"] == 0).all()
        table["chars"] = table["completion"].str.len()
    _within_sampling_error(tables, ["problem_id", "round"], "chars", 40.0)
    manifest = json.loads((tmp_path / "openai" / "run.json").read_text())
    assert manifest["revision"]["feedback"] == "tests" and manifest["revision"]["stop_when_passing"] is True


def test_budget_forcing_through_the_server_matches_the_embedded_backend(tmp_path, server, embedded):
    """Budget forcing on 4 chain problems, 3 chains, caps 8, 16, 32 and up to 1 Wait: no cap overrun on either
    backend, and accuracy at each cap and the reasoning's length within sampling error."""
    from ttslib.forcing import ForcingConfig, force

    problems = make_chains(2, levels=(1, 4), seed=3)
    config = ForcingConfig(ladder=(8, 16, 32), waits=1, chains=3)
    tables = [force(b, problems, config, out_dir=tmp_path / b.name, problems_per_shard=4, progress=False)
              for b in (server, embedded)]
    for table in tables:
        caps = table[table["checkpoint"] == "budget"]
        assert len(table) == 4 * 3 * config.checkpoints and (caps["thinking_tokens"] <= caps["budget"]).all()
        table["chars"] = table["completion"].str.len()
    caps = [t[t["checkpoint"] == "budget"] for t in tables]
    _within_sampling_error(caps, ["problem_id", "budget"], "is_correct", 0.15)
    _within_sampling_error(caps, ["problem_id", "budget"], "chars", 12.0)
    manifest = json.loads((tmp_path / "openai" / "run.json").read_text())
    assert manifest["backend"] == "openai" and manifest["forcing"]["ladder"] == [8, 16, 32]
