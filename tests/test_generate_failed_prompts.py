"""Prompts a backend refuses keep their real prompt length (issue 12): the vLLM backend with a
stand-in engine, the HTTP backend against a local stand-in server speaking the OpenAI protocol."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from servers import serve_json
from ttslib.generate.base import SamplingConfig

CONFIG = SamplingConfig(n=3, temperature=0.8, max_tokens=8)


def test_vllm_refused_prompt_records_its_token_count():
    from ttslib.generate.vllm import VLLMBackend

    class Engine:  # vLLM refuses a batch with a too-long prompt by raising ValueError
        def generate(self, prompts, params, use_tqdm=False):
            raise ValueError("The decoder prompt (length 9) is longer than the maximum model length of 4")

        def get_tokenizer(self):
            return SimpleNamespace(encode=lambda text: text.split())

    backend = VLLMBackend.__new__(VLLMBackend)  # no vLLM here: the engine is the stand-in above
    backend._vllm, backend._llm, backend.model_name = SimpleNamespace(SamplingParams=lambda **kw: kw), Engine(), "m"
    [result] = backend.generate(["one two three four five six seven eight nine"], CONFIG, [0])
    assert result.num_prompt_tokens == 9
    assert [c.status for c in result.completions] == ["error: vLLM refused the prompt: The decoder prompt (length 9) "
                                                      "is longer than the maximum model length of 4"] * 3


def _serve(tokenize_reply, refusal):
    """A server that refuses every completion with ``refusal`` (HTTP 400) and answers /tokenize with
    ``tokenize_reply`` (None: 404)."""

    def answer(path, body):
        if path.endswith("/completions"):
            return 400, {"error": {"message": refusal, "type": "BadRequestError", "code": 400}}
        if path == "/tokenize" and tokenize_reply is not None:
            return 200, tokenize_reply
        return 404, {"detail": "Not Found"}

    return serve_json(answer)


@pytest.mark.parametrize("tokenize_reply, refusal, expected", [
    ({"count": 17, "max_model_len": 8, "tokens": list(range(17))}, "maximum context length is 8 tokens", 17),  # vLLM
    ({"tokens": list(range(12))}, "the request exceeds the available context size", 12),  # llama-server
    (None, "This model's maximum context length is 2048 tokens. However, your request has 3000 input tokens.", 3000),
    (None, "you requested 2100 tokens (2000 in the messages, 100 in the completion)", 2000),
    (None, "no number here", 0),
])
def test_http_refused_prompt_records_its_token_count(tokenize_reply, refusal, expected):
    pytest.importorskip("openai")
    from ttslib.generate.openai_http import OpenAIBackend

    server = _serve(tokenize_reply, refusal)
    backend = OpenAIBackend(f"http://127.0.0.1:{server.server_address[1]}/v1", "m", max_retries=0, timeout=10)
    try:
        [result] = backend.generate(["a prompt"], CONFIG, [0])
    finally:
        backend.close()
        server.shutdown()
    assert result.num_prompt_tokens == expected
    assert all(c.status.startswith("error: server refused the prompt") for c in result.completions)
