"""Generating samples: one interface over an embedded CPU model, vLLM and OpenAI-compatible servers.

``generate_samples(problems, backend, SamplingConfig(n=...), template=...)`` returns a graded
sample table (``ttslib.data``) and, with ``out_dir``, writes it in resumable shards. Backends
load their heavy dependencies only when constructed:

- :class:`~ttslib.generate.llama.LlamaCppBackend`: GGUF on CPU, N samples batched over a shared prompt cache;
- :class:`~ttslib.generate.vllm.VLLMBackend`: vLLM in-process, prefix caching on;
- :class:`~ttslib.generate.openai_http.OpenAIBackend`: any OpenAI-compatible server, several at once.

What a backend can do beyond ``generate`` (a prefix cache, forking, next-token logits, ...) it declares
by subclassing the capability protocols of :mod:`ttslib.generate.base`; docs/backends.md has the table.
"""

from ttslib.generate.base import BackendError, Completion, PromptResult, SamplingConfig
from ttslib.generate.prompts import PROMPTS, PromptStyle
from ttslib.generate.run import RunLocked, RunMismatch, generate_samples, render_prompt

__all__ = [
    "BackendError",
    "Completion",
    "PromptResult",
    "SamplingConfig",
    "PROMPTS",
    "PromptStyle",
    "RunLocked",
    "RunMismatch",
    "generate_samples",
    "render_prompt",
    "make_backend",
]


def make_backend(kind: str, model: str | None = None, **kwargs):
    """Build a backend by name: ``"llama"`` (default model SmolLM2-135M), ``"vllm"``, ``"openai"`` or ``"ray"``
    (``ttslib.generate.ray_data``: requests through Ray Data LLM)."""
    if kind == "llama":
        from ttslib.generate.llama import LlamaCppBackend

        return LlamaCppBackend(model, **kwargs)
    if kind == "vllm":
        from ttslib.generate.vllm import VLLMBackend

        if model is None:
            raise ValueError("the vllm backend needs --model (a hub id or a local directory)")
        return VLLMBackend(model, **kwargs)
    if kind == "openai":
        from ttslib.generate.openai_http import OpenAIBackend

        if model is None or "base_urls" not in kwargs:
            raise ValueError("the openai backend needs --model and at least one --base-url")
        return OpenAIBackend(model=model, **kwargs)
    if kind == "ray":
        from ttslib.generate.ray_data import RayBackend

        if model is None:
            raise ValueError("the ray backend needs --model (the served name, or the model its engines load)")
        return RayBackend(model, **kwargs)
    raise ValueError(f"backend must be 'llama', 'vllm', 'openai' or 'ray'; got {kind!r}")
