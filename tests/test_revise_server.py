"""Chains of revisions through a real OpenAI-compatible server on loopback (llama-cpp-python's ``llama_cpp.server``
with SmolLM2-135M, started and killed by the test) against the embedded backend on the same problems: the same
chain table layout, the same manifest fields, and accuracy per round and tokens per attempt within sampling error."""

from __future__ import annotations

import json

import numpy as np
import pytest

from servers import free_port, start_llama_server
from ttslib.problems import make_chains
from ttslib.revise import RevisionConfig, revise

pytestmark = [pytest.mark.model, pytest.mark.slow]


def test_revisions_through_the_server_match_the_embedded_backend(tmp_path):
    from ttslib.generate.llama import LlamaCppBackend
    from ttslib.generate.openai_http import OpenAIBackend

    port = free_port()
    proc = start_llama_server(port, n_ctx=2048)
    try:
        problems = make_chains(3, levels=(1, 4, 7), seed=2)  # 9 chains of 2 to 4 terms
        config = RevisionConfig(rounds=2, chains=4, feedback="checker", max_tokens=48)
        served = revise(OpenAIBackend(f"http://127.0.0.1:{port}/v1", "smollm2", n_per_request=1, max_retries=1, timeout=60),
                        problems, config, out_dir=tmp_path / "served", problems_per_shard=3, progress=False)
    finally:
        proc.kill()
        proc.wait()
    embedded = revise(LlamaCppBackend(n_threads=1), problems, config, problems_per_shard=3, progress=False)
    for table in (served, embedded):
        assert len(table) == 9 * 4 * 2 and (table.groupby("problem_id").size() == 8).all()
        assert table.loc[table["round"] == 1, "feedback"].str.fullmatch(r"(line \d+ is wrong|every line is right)\.").all()
    # the same model and settings, other random streams: per problem and round, accuracy and the attempts' length
    # agree within sampling error (length in characters: the embedded backend counts the tokens of the stop string
    # it generated, "\nFeedback", and a server reports its own count)
    for table in (served, embedded):
        table["chars"] = table["completion"].str.len()
    for column, slack in (("is_correct", 0.1), ("chars", 4.0)):
        per = [t.groupby(["problem_id", "round"])[column].mean() for t in (served, embedded)]
        d = (per[0] - per[1]).to_numpy(dtype=float)
        assert abs(d.mean()) <= 4 * d.std(ddof=1) / np.sqrt(d.size) + slack, (column, per[0].tolist(), per[1].tolist())
    manifest = json.loads((tmp_path / "served" / "run.json").read_text())
    assert manifest["backend"] == "openai" and manifest["revision"]["feedback"] == "checker" and manifest["revision"]["rounds"] == 2
