"""Generation: the numpy sampler, the embedded llama.cpp backend on the real model, the run loop
(shards, resume after kill -9, determinism), an OpenAI-compatible server started here, and vLLM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT
from ttslib.data import read_samples
from ttslib.generate import PROMPTS, BackendError, RunMismatch, SamplingConfig, generate_samples
from ttslib.generate.base import problem_seed, sample_tokens
from ttslib.problems import make_arithmetic

ARITH = PROMPTS["arith_fewshot"]


# ---------------------------------------------------------------- the sampler (no model needed)


def test_sampler_draws_from_softmax_at_temperature():
    rng = np.random.default_rng(0)
    logits = np.log(np.array([[0.5, 0.3, 0.15, 0.05]]))
    draws = np.concatenate([sample_tokens(logits, temperature=1.0, top_p=1.0, rng=rng)[0] for _ in range(20_000)])
    freq = np.bincount(draws, minlength=4) / draws.size
    np.testing.assert_allclose(freq, [0.5, 0.3, 0.15, 0.05], atol=0.015)
    # T = 0.5 squares the probabilities before renormalising
    draws = np.concatenate([sample_tokens(logits, temperature=0.5, top_p=1.0, rng=rng)[0] for _ in range(20_000)])
    p2 = np.array([0.5, 0.3, 0.15, 0.05]) ** 2
    np.testing.assert_allclose(np.bincount(draws, minlength=4) / draws.size, p2 / p2.sum(), atol=0.015)


def test_sampler_top_p_keeps_the_nucleus_and_logprobs_are_at_t1():
    rng = np.random.default_rng(1)
    probs = np.array([0.5, 0.3, 0.15, 0.05])
    logits = np.tile(np.log(probs), (1000, 1))
    tokens, lps = sample_tokens(logits, temperature=1.0, top_p=0.8, rng=rng)
    assert set(tokens) == {0, 1}  # 0.5 + 0.3 reaches 0.8
    np.testing.assert_allclose(np.bincount(tokens) / tokens.size, [0.5 / 0.8, 0.3 / 0.8], atol=0.05)
    np.testing.assert_allclose(lps, np.log(probs[tokens]))
    greedy, _ = sample_tokens(np.log(probs)[None, :], temperature=0, top_p=1.0, rng=rng)
    assert greedy[0] == 0


def test_sampler_top_p_wider_than_the_short_list():
    rng = np.random.default_rng(2)
    logits = np.zeros((3, 2000))  # uniform: the nucleus of 0.9 holds 1800 tokens
    tokens, _ = sample_tokens(logits, temperature=1.0, top_p=0.9, rng=rng)
    assert tokens.shape == (3,)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"n": 0}, "n"), ({"temperature": -1}, "temperature"), ({"top_p": 0}, "top_p"), ({"max_tokens": 0}, "max_tokens")],
)
def test_sampling_config_rejects_bad_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SamplingConfig(**kwargs)


def test_problem_seed_is_stable_and_distinct():
    assert problem_seed(0, "a") == problem_seed(0, "a")
    assert len({problem_seed(0, f"p{i}") for i in range(1000)}) == 1000
    assert problem_seed(0, "a") != problem_seed(1, "a")


# ---------------------------------------------------------------- the embedded model

def needs_llama_cpp():
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install -e .[llama])")


@pytest.fixture(scope="module")
def backend():
    needs_llama_cpp()
    from ttslib.generate.llama import LlamaCppBackend

    return LlamaCppBackend()


@pytest.mark.model
def test_greedy_batch_matches_llama_cpp_own_generation(backend):
    """Temperature 0: every one of the N batched samples equals llama-cpp-python's own greedy completion,
    and the sampled tokens' log-probabilities equal those it reports."""
    from llama_cpp import Llama

    prompt = ARITH.template.format(question="23 + 4")
    reference = Llama(str(backend.model_path), n_ctx=512, verbose=False, logits_all=True)
    theirs = reference.create_completion(prompt, max_tokens=6, temperature=0, stop=list(ARITH.stop), logprobs=1)
    want = [x for x in theirs["choices"][0]["logprobs"]["token_logprobs"] if x is not None]
    one = backend.generate([prompt], SamplingConfig(n=1, temperature=0, max_tokens=6, stop=ARITH.stop), [0])[0]
    assert one.completions[0].text == theirs["choices"][0]["text"]
    np.testing.assert_allclose(one.completions[0].token_logprobs, want, atol=2e-3)
    # several sequences in one batch take other CPU kernels: the same tokens, log-probs within 0.05
    four = backend.generate([prompt], SamplingConfig(n=4, temperature=0, max_tokens=6, stop=ARITH.stop), [0])[0]
    assert {c.text for c in four.completions} == {theirs["choices"][0]["text"]}
    np.testing.assert_allclose(four.completions[3].token_logprobs, want, atol=0.05)
    assert one.num_prompt_tokens == len(reference.tokenize(prompt.encode(), add_bos=True, special=True))


@pytest.mark.model
def test_samples_are_seeded_and_varied(backend):
    prompt = ARITH.template.format(question="57 + 38")
    config = SamplingConfig(n=16, temperature=1.0, max_tokens=6, stop=ARITH.stop)
    a, b = backend.generate([prompt], config, [3])[0], backend.generate([prompt], config, [3])[0]
    c = backend.generate([prompt], config, [4])[0]
    assert a == b
    assert a != c
    assert len({x.text for x in a.completions}) > 1
    assert all(x.finish_reason in ("stop", "length") and x.num_tokens >= 1 for x in a.completions)
    assert all(np.all(np.array(x.token_logprobs) <= 0) for x in a.completions)


@pytest.mark.model
def test_prompt_longer_than_context_is_recorded_not_raised(backend):
    from ttslib.generate.llama import LlamaCppBackend

    small = LlamaCppBackend(max_context=64)
    result = small.generate(["1 + 1 = 2\n" * 40], SamplingConfig(n=3, max_tokens=8), [0])[0]
    assert [c.status[:6] for c in result.completions] == ["error:"] * 3
    assert "exceeds the context" in result.completions[0].status


CHAIN = PROMPTS["chain_fewshot"]


@pytest.mark.model
def test_shared_prefix_is_decoded_once_and_changes_nothing(backend):
    """Prompts sharing the few-shot part: it is decoded once; greedy completions equal those of a
    backend that caches nothing (every prompt decoded whole)."""
    from ttslib.generate.llama import LlamaCppBackend

    prompts = [CHAIN.template.format(question=q) for q in ("3 + 4", "8 - 2 + 1", "5 + 5 + 5")]
    config = SamplingConfig(n=2, temperature=0, max_tokens=24, stop=CHAIN.stop)
    plain = LlamaCppBackend(min_shared=10**9, batch_seqs=2)
    want = [r.completions[0].text for r in plain.generate(prompts, config, [0, 1, 2])]
    assert plain.stats["decoded"] >= sum(len(plain.tokenize(p)) for p in prompts)
    cached = LlamaCppBackend(batch_seqs=64)
    got = cached.generate(prompts, config, [0, 1, 2])
    assert [r.completions[0].text for r in got] == want
    lengths = [len(cached.tokenize(p)) for p in prompts]
    shared = len(cached._prefixes[0].tokens)
    assert shared >= lengths[0] - 12  # the few-shot part and "Q:" at least
    sampled = cached.stats["sampled"]
    assert cached.stats["decoded"] <= shared + sum(n - shared for n in lengths) + sampled
    # the same prompts again: only what follows the cached prefix is decoded
    before = cached.stats["decoded"]
    again = cached.generate(prompts, config, [0, 1, 2])
    assert [r.completions[0].text for r in again] == want
    assert cached.stats["decoded"] - before <= sum(n - shared for n in lengths) + (cached.stats["sampled"] - sampled)


@pytest.mark.model
def test_step_by_step_extension_equals_one_generation(backend):
    """Greedy: extending a sequence one step (stop at the newline) at a time, forking in between,
    gives the same tokens as one generation; each stop token is decoded once, at the next step."""
    prompt = CHAIN.template.format(question="6 + 3 + 2")
    whole = backend.generate([prompt], SamplingConfig(n=1, temperature=0, max_tokens=40, stop=CHAIN.stop), [0])[0].completions[0]
    rng = np.random.default_rng(0)
    (seq,) = backend.prefill([backend.tokenize(prompt)])
    steps, ids = [], []
    for _ in range(6):
        (child,) = backend.fork(seq, 1)
        backend.release([seq])
        seq = child
        (comp,) = backend.extend([seq], [rng], max_tokens=20, stop=("\n",), temperature=0)
        steps.append(comp.text)
        ids += comp.token_ids
        assert backend.piece(comp.token_ids[-1]).endswith(b"\n") or comp.finish_reason != "stop"
        if comp.text == "":
            break
    backend.release([seq])
    assert "\n".join(steps).startswith(whole.text)
    assert ids[: len(whole.token_ids)] == list(whole.token_ids)


@pytest.mark.model
def test_release_frees_every_sequence(backend):
    free, prefixes = len(backend._free_ids), len(backend._prefixes)
    backend.generate([CHAIN.template.format(question="1 + 2")] * 3, SamplingConfig(n=5, max_tokens=5), [0, 1, 2])
    assert len(backend._free_ids) == free - (len(backend._prefixes) - prefixes)  # only a new cached prefix stays
    (seq,) = backend.prefill([backend.tokenize("1 + 2 = 3\n")])
    backend.release([seq])
    with pytest.raises(ValueError, match="not live"):
        backend.release([seq])


def test_unknown_model_path_is_a_clear_error():
    needs_llama_cpp()
    from ttslib.generate.llama import LlamaCppBackend

    with pytest.raises(BackendError, match="model file not found"):
        LlamaCppBackend("/nonexistent/model.gguf")


# ---------------------------------------------------------------- the run loop


@pytest.mark.model
def test_run_writes_a_valid_graded_table_and_resumes(backend, tmp_path):
    problems = make_arithmetic(2, levels=(1, 2, 9), seed=5)
    config = SamplingConfig(n=4, temperature=0.8, max_tokens=6, stop=ARITH.stop, seed=11)
    run = lambda out, p=problems: generate_samples(  # noqa: E731
        p, backend, config, template=ARITH.template, grade_style=ARITH.grade_style, out_dir=out, progress=False
    )
    full = run(tmp_path / "a")
    assert len(full) == 6 * 4 and set(full["status"]) <= {"ok", "no_answer"}
    assert full["is_correct"].any(), "level 1 (times tables) should be solved sometimes"
    assert (full["logprob"] <= 0).all() and (full["num_completion_tokens"] >= 1).all()
    pd.testing.assert_frame_equal(full, read_samples(tmp_path / "a" / "samples.parquet"))
    # a run stopped after two problems resumes to the same table
    run(tmp_path / "b", problems.head(2))
    with pytest.raises(RunMismatch, match="num_problems"):
        run(tmp_path / "b")  # the manifest records the problem set: a different set is refused
    os.remove(tmp_path / "b" / "run.json")
    resumed = run(tmp_path / "b")
    pd.testing.assert_frame_equal(resumed, full)


@pytest.mark.model
def test_problem_without_reference_is_recorded(backend):
    problems = make_arithmetic(1, levels=(2,), seed=0).assign(reference=None)
    table = generate_samples(problems, backend, SamplingConfig(n=2, max_tokens=4, stop=ARITH.stop), template=ARITH.template, progress=False)
    assert set(table["status"]) == {"no_reference"} and not table["is_correct"].any()


@pytest.mark.model
@pytest.mark.slow
def test_cli_killed_with_sigkill_resumes_with_every_sample_once(tmp_path):
    needs_llama_cpp()
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "ttslib.cli", "generate", "--problems", "arith", "--per-level", "2", "--n", "4",
           "--max-tokens", "6", "--out", str(out), "--seed", "2"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while len(list((out / "shards").glob("*.parquet"))) < 3 and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    shards_before = len(list((out / "shards").glob("*.parquet")))
    assert 3 <= shards_before < 20, "the run should have been killed midway"
    assert not (out / "samples.parquet").exists()
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    table = read_samples(out / "samples.parquet")
    assert len(table) == 20 * 4
    assert not table.duplicated(["problem_id", "sample_idx"]).any()
    # same seed, same backend: an uninterrupted run gives the same samples
    clean = tmp_path / "clean"
    subprocess.run([*cmd[:-4], "--out", str(clean), "--seed", "2"], cwd=ROOT, check=True, capture_output=True)
    pd.testing.assert_frame_equal(table, read_samples(clean / "samples.parquet"))


# ---------------------------------------------------------------- an OpenAI-compatible server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(port: int):
    needs_llama_cpp()
    pytest.importorskip("uvicorn", reason="llama_cpp.server needs llama-cpp-python[server]")
    from ttslib.generate.llama import smollm2_path

    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_path()), "--model_alias", "smollm2",
         "--host", "127.0.0.1", "--port", str(port), "--logits_all", "True", "--n_ctx", "512", "--verbose", "False"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("llama_cpp.server did not start within 60 s")


@pytest.mark.model
@pytest.mark.slow
def test_openai_backend_against_a_real_server_that_dies(tmp_path):
    from ttslib.generate.openai_http import OpenAIBackend

    port, dead = _free_port(), _free_port()
    server = _start_server(port)
    try:
        # the first URL has no server: its requests fail over to the live one
        urls = [f"http://127.0.0.1:{dead}/v1", f"http://127.0.0.1:{port}/v1"]
        http = OpenAIBackend(urls, "smollm2", n_per_request=1, max_retries=1, timeout=30, concurrency=2)
        problems = make_arithmetic(2, levels=(1, 2), seed=1)
        config = SamplingConfig(n=3, temperature=0.8, max_tokens=6, stop=ARITH.stop)
        table = generate_samples(problems.head(2), http, config, template=ARITH.template, grade_style=ARITH.grade_style,
                                 out_dir=tmp_path, progress=False)  # fmt: skip
        assert len(table) == 6 and (table["num_completion_tokens"] >= 1).all() and (table["logprob"] <= 0).all()
        assert table["is_correct"].any()
        # a server that ignores n is caught, not silently short
        with pytest.raises(BackendError, match="n_per_request"):
            OpenAIBackend(urls[1:], "smollm2", max_retries=0).generate(["1 + 1 ="], config, [0])
    finally:
        server.kill()
        server.wait()
    # the server is gone: the run stops with an error naming the URLs, and keeps what it had
    (tmp_path / "run.json").unlink()
    with pytest.raises(BackendError, match=rf"127\.0\.0\.1:{port}.*finished shard"):
        generate_samples(problems, http, config, template=ARITH.template, grade_style=ARITH.grade_style,
                         out_dir=tmp_path, progress=False)  # fmt: skip
    assert len(list((tmp_path / "shards").glob("*.parquet"))) == 2
    server = _start_server(port)  # back up: the same command resumes and completes
    try:
        table = generate_samples(problems, http, config, template=ARITH.template, grade_style=ARITH.grade_style,
                                 out_dir=tmp_path, progress=False)  # fmt: skip
        assert len(table) == 4 * 3 and not table.duplicated(["problem_id", "sample_idx"]).any()
    finally:
        server.kill()
        server.wait()
        http.close()
