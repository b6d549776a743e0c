"""DeepConf's token confidence recorded at the source (issue 31, item 1), without the model: the numpy
formula against a direct computation, vLLM's conversion on hand-built outputs, an OpenAI-compatible
stand-in server with and without ``top_logprobs``, the manifest and the resume. The embedded model's
confidences are checked against llama-cpp-python's own logits in tests/test_generate.py."""

from __future__ import annotations

import json
import math
import warnings
from types import SimpleNamespace

import numpy as np
import pytest

from servers import serve_completions
from test_generate_run import TEMPLATE, ScriptedBackend
from ttslib.adaptive.confidence import token_confidence
from ttslib.generate import BackendError, RunMismatch, SamplingConfig, generate_samples
from ttslib.generate.base import Completion, PromptResult, top_k_confidence, top_k_values
from ttslib.problems import make_arithmetic


def direct_confidence(logits_row, k: int) -> float:
    """-mean of the k largest log-softmax values of one row, in float64, by sorting the whole row."""
    x = np.asarray(logits_row, dtype=np.float64)
    log_p = x - (x.max() + math.log(np.exp(x - x.max()).sum()))
    return -float(np.sort(log_p)[::-1][:k].mean())


# ---------------------------------------------------------------- the formula on logits


@pytest.mark.parametrize("V", [300, 5000, 49_152])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k", [1, 5, 20])
def test_top_k_confidence_is_minus_the_mean_of_the_top_k_log_softmax(dtype, k, V):
    rng = np.random.default_rng(k)
    logits = (rng.normal(size=(6, V)) * 4).astype(dtype)
    logits[2, :] = 0.0  # uniform: every log-probability is -log V
    logits[3, :] = rng.integers(-3, 3, V)  # many ties at the top
    logits[4, : V // 2] = -np.inf  # tokens a model rules out
    got = top_k_confidence(logits, k)
    want = [direct_confidence(row, k) for row in logits]
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype is np.float32 else 1e-12)
    assert got[2] == pytest.approx(math.log(V))
    np.testing.assert_array_equal(top_k_values(logits, k), -np.sort(-logits, axis=1)[:, :k])
    # the same as the maths side's formula on the top-k log-probabilities, largest first
    log_p = logits.astype(np.float64) - np.log(np.exp(logits.astype(np.float64)).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(got, token_confidence(-np.sort(-log_p, axis=1)[:, :k]), rtol=1e-5)


def test_top_k_confidence_refuses_k_out_of_range():
    with pytest.raises(ValueError, match="1 <= k <= V"):
        top_k_confidence(np.zeros((2, 4)), 5)
    with pytest.raises(ValueError, match="1 <= k <= V"):
        top_k_confidence(np.zeros((2, 4)), 0)


@pytest.mark.parametrize("k", [0, -3, 2.5, True, "20"])
def test_sampling_config_refuses_a_bad_confidence_top_k(k):
    with pytest.raises(ValueError, match="confidence_top_k"):
        SamplingConfig(confidence_top_k=k)


# ---------------------------------------------------------------- vLLM, on hand-built outputs


def _step(values: dict) -> dict:
    """A vLLM logprobs step: {token id: Logprob-like with .logprob}."""
    return {tok: SimpleNamespace(logprob=lp, rank=None, decoded_token=str(tok)) for tok, lp in values.items()}


def test_vllm_conversion_takes_the_top_k_and_not_the_sampled_token_below_them():
    from ttslib.generate.vllm import vllm_token_values

    # k = 2. Step 0: the sampled token (7) is outside the top 2, so vLLM returns 3 entries; step 1: it is the top one.
    steps = [_step({1: -0.5, 2: -1.5, 7: -4.0}), _step({3: -0.1, 4: -2.9})]
    logprobs, confidence = vllm_token_values([7, 3], steps, 2)
    assert logprobs == (-4.0, -0.1)
    np.testing.assert_allclose(confidence, [1.0, 1.5])  # -(-0.5 - 1.5) / 2, -(-0.1 - 2.9) / 2
    assert vllm_token_values([7, 3], steps, None) == ((-4.0, -0.1), None)
    assert vllm_token_values([], [], 2) == ((), ())
    with pytest.raises(BackendError, match="returned 2 log-probabilities at a step where logprobs=3"):
        vllm_token_values([7, 3], steps, 3)
    with pytest.raises(BackendError, match="not all finite"):
        vllm_token_values([1], [_step({1: -0.5, 2: -math.inf})], 2)


class _Engine:
    """A stand-in vLLM engine: one prompt, two samples, the sampled token outside the top k at step 0."""

    def __init__(self, refuse: str | None = None):
        self.refuse, self.params = refuse, []

    def generate(self, prompts, params, use_tqdm=False):
        self.params.append(params)
        if self.refuse:
            raise ValueError(self.refuse)
        steps = [_step({1: -0.5, 2: -1.5, 7: -4.0}), _step({3: -0.1, 4: -2.9})]
        sample = SimpleNamespace(text=" 7", token_ids=[7, 3], logprobs=steps, finish_reason="stop", stop_reason=None)
        return [SimpleNamespace(prompt_token_ids=[0, 1, 2], outputs=[SimpleNamespace(index=i, **vars(sample)) for i in (1, 0)])
                for _ in prompts]


def _vllm(engine):
    from ttslib.generate.vllm import VLLMBackend

    backend = VLLMBackend.__new__(VLLMBackend)  # no vLLM here: the engine is the stand-in
    backend._vllm, backend._llm, backend.model_name = SimpleNamespace(SamplingParams=lambda **kw: kw), engine, "m"
    return backend


def test_vllm_backend_asks_logprobs_k_and_records_the_confidence():
    engine = _Engine()
    [result] = _vllm(engine).generate(["p"], SamplingConfig(n=2, confidence_top_k=2), [0])
    assert engine.params[-1]["logprobs"] == 2
    assert [c.token_confidence for c in result.completions] == [(1.0, 1.5)] * 2
    [result] = _vllm(engine).generate(["p"], SamplingConfig(n=2), [0])
    assert engine.params[-1]["logprobs"] == 0 and result.completions[0].token_confidence is None


def test_vllm_refusing_logprobs_k_stops_the_run_instead_of_failing_every_prompt():
    engine = _Engine(refuse="Requested sample logprobs of 40, which is greater than max allowed: 20")
    with pytest.raises(BackendError, match="refused logprobs=40 .*max_logprobs >= 40"):
        _vllm(engine).generate(["p", "q"], SamplingConfig(n=2, confidence_top_k=40), [0, 1])


# ---------------------------------------------------------------- an OpenAI-compatible server


TOPS = [{" 9": -3.0, " 7": -0.2, " 8": -1.8}, {" ": -4.5, ".": -3.5, "\n": -0.05}]  # 3 per token, not in order
CHOICE = {"text": " 7", "finish_reason": "stop",
          "logprobs": {"tokens": [" 7", "\n"], "token_logprobs": [-0.2, -0.05], "text_offset": [0, 2], "top_logprobs": TOPS}}


def _http(server):
    pytest.importorskip("openai")
    from ttslib.generate.openai_http import OpenAIBackend

    return OpenAIBackend(f"http://127.0.0.1:{server.server_address[1]}/v1", "m", max_retries=0, timeout=10)


def test_http_backend_asks_logprobs_k_and_records_the_top_k_mean():
    server = serve_completions([CHOICE])
    backend = _http(server)
    try:
        [result] = backend.generate(["p"], SamplingConfig(n=2, confidence_top_k=2), [0])
        [plain] = backend.generate(["p"], SamplingConfig(n=2), [0])
    finally:
        backend.close()
        server.shutdown()
        server.server_close()
    assert [r["logprobs"] for r in server.requests] == [2, 1]
    want = [-(-0.2 - 1.8) / 2, -(-0.05 - 3.5) / 2]  # the 2 largest of each dict's 3
    for c in result.completions:
        np.testing.assert_allclose(c.token_confidence, want)
        assert c.token_logprobs == (-0.2, -0.05)
    assert plain.completions[0].token_confidence is None


@pytest.mark.parametrize("logprobs, why", [
    ({"tokens": [" 7", "\n"], "token_logprobs": [-0.2, -0.05]}, "returned no top_logprobs"),
    ({"tokens": [" 7", "\n"], "token_logprobs": [-0.2, -0.05], "top_logprobs": [TOPS[0], {"\n": -0.05}]},
     "returned 1 top log-probabilities at a token, fewer than the 2 asked for"),
    ({"tokens": [" 7", "\n"], "token_logprobs": [-0.2, -0.05], "top_logprobs": [TOPS[0], None]},
     "returned 0 top log-probabilities at a token"),
])
def test_a_server_without_top_logprobs_leaves_the_confidence_absent_and_says_so(logprobs, why, tmp_path):
    server = serve_completions([dict(CHOICE, logprobs=logprobs)])
    backend = _http(server)
    problems = make_arithmetic(2, levels=(1,), seed=0)
    try:
        with pytest.warns(RuntimeWarning) as said:
            table = generate_samples(problems, backend, SamplingConfig(n=2, max_tokens=4, confidence_top_k=2), template=TEMPLATE,
                                     grade_style="last_number", out_dir=tmp_path, progress=False)
    finally:
        backend.close()
        server.shutdown()
        server.server_close()
    messages = [str(w.message) for w in said]
    assert sum(why in m for m in messages) == 1, messages  # the backend says why, once
    assert sum("absent (None) in 4 of 4 samples drawn" in m for m in messages) == 1, messages  # the run says how many
    assert table["token_confidence"].isna().all() and (table["num_completion_tokens"] == 2).all()
    assert json.loads((tmp_path / "run.json").read_text())["sampling"]["confidence_top_k"] == 2


def test_a_server_refusing_logprobs_k_stops_the_run():
    server = serve_completions([CHOICE], refuse="logprobs must be at most 5")
    backend = _http(server)
    try:
        with pytest.raises(BackendError, match="refused logprobs=20 .*logprobs must be at most 5"):
            backend.generate(["p"], SamplingConfig(n=1, confidence_top_k=20), [0])
    finally:
        backend.close()
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------- the run: column, manifest, resume


class ConfidentBackend(ScriptedBackend):
    """The scripted backend, each completion with one confidence per token when asked."""

    def generate(self, prompts, config, seeds):
        out = super().generate(prompts, config, seeds)
        if config.confidence_top_k is None:
            return out
        return [PromptResult(r.num_prompt_tokens, tuple(Completion(c.text, c.token_logprobs, c.finish_reason,
                                                                   token_confidence=(1.5, 0.25)) for c in r.completions))
                for r in out]


def _run(config, out):
    return generate_samples(make_arithmetic(2, levels=(2,), seed=0), ConfidentBackend(), config, template=TEMPLATE,
                            grade_style="last_number", out_dir=out, progress=False)


def test_the_column_is_written_and_k_is_recorded_and_compared_on_resume(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every sample has its confidence: nothing to say
        table = _run(SamplingConfig(n=4, max_tokens=4, confidence_top_k=20), tmp_path)
    assert [list(v) for v in table["token_confidence"]] == [[1.5, 0.25]] * 8
    assert json.loads((tmp_path / "run.json").read_text())["sampling"]["confidence_top_k"] == 20
    with pytest.raises(RunMismatch, match=r"sampling\.confidence_top_k: stored 20, given 5"):
        _run(SamplingConfig(n=4, max_tokens=4, confidence_top_k=5), tmp_path)
    with pytest.raises(RunMismatch, match=r"sampling\.confidence_top_k: stored 20, given '\(not recorded\)'"):
        _run(SamplingConfig(n=4, max_tokens=4), tmp_path)
    assert len(_run(SamplingConfig(n=4, max_tokens=4, confidence_top_k=20), tmp_path)) == 8  # same k: resumes


def test_without_k_there_is_no_column_and_no_key(tmp_path):
    """Not asked, nothing recorded: a run made before the setting existed resumes as it did."""
    table = _run(SamplingConfig(n=4, max_tokens=4), tmp_path)
    assert "token_confidence" not in table.columns
    assert "confidence_top_k" not in json.loads((tmp_path / "run.json").read_text())["sampling"]
    with pytest.raises(RunMismatch, match=r"sampling\.confidence_top_k: stored '\(not recorded\)', given 20"):
        _run(SamplingConfig(n=4, max_tokens=4, confidence_top_k=20), tmp_path)
