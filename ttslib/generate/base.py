"""What every generation backend takes and returns, and the numpy sampler the embedded one uses.

A backend turns prompts into completions: ``backend.generate(prompts, config, seeds)`` returns one
:class:`PromptResult` per prompt, each holding ``config.n`` :class:`Completion` records with the
sampled tokens' log-probabilities. The run loop in :mod:`ttslib.generate.run` turns those into a
sample table (the schema of :mod:`ttslib.data`).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = [
    "SamplingConfig",
    "Completion",
    "PromptResult",
    "Backend",
    "BackendError",
    "HasSettings",
    "Resettable",
    "backend_settings",
    "reset_backend",
    "failed_result",
    "problem_seed",
    "sample_tokens",
]


class BackendError(RuntimeError):
    """A backend could not produce completions (dead server, bad model path, prompt too long)."""


@dataclass(frozen=True)
class SamplingConfig:
    """How to sample. ``seed`` is the run's seed; each problem gets its own seed from it."""

    n: int = 8  # samples per prompt
    temperature: float = 0.8
    top_p: float = 1.0
    max_tokens: int = 256
    stop: tuple[str, ...] = ()
    seed: int = 0

    def __post_init__(self):
        if not isinstance(self.n, (int, np.integer)) or self.n < 1:
            raise ValueError(f"n (samples per prompt) must be an int >= 1; got {self.n!r}")
        if not (np.isfinite(self.temperature) and self.temperature >= 0):
            raise ValueError(f"temperature must be finite and >= 0; got {self.temperature!r}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must lie in (0, 1]; got {self.top_p!r}")
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1; got {self.max_tokens!r}")
        object.__setattr__(self, "stop", tuple(self.stop))


@dataclass(frozen=True)
class Completion:
    """One sampled continuation. ``token_logprobs[i]`` is log p(token_i | prefix) under the model (T = 1)."""

    text: str
    token_logprobs: tuple[float, ...]
    finish_reason: str  # "stop" (end token or stop string) or "length"
    status: str = "ok"
    token_ids: tuple[int, ...] = ()  # the sampled tokens, where the backend knows them (the embedded one does)
    eos: bool | None = None  # ended on the model's end token (True), not (False: a stop string or the length), or the backend cannot tell (None)

    @property
    def num_tokens(self) -> int:
        return len(self.token_logprobs)


@dataclass(frozen=True)
class PromptResult:
    num_prompt_tokens: int
    completions: tuple[Completion, ...] = field(default_factory=tuple)


def failed_result(n: int, reason: str, num_prompt_tokens: int = 0) -> PromptResult:
    """``n`` empty completions recording why a prompt could not be sampled (``status = "error: ..."``)."""
    failed = Completion(text="", token_logprobs=(), finish_reason="error", status=f"error: {reason}")
    return PromptResult(num_prompt_tokens=num_prompt_tokens, completions=(failed,) * n)


class Backend(Protocol):
    name: str

    def generate(self, prompts: list[str], config: SamplingConfig, seeds: list[int]) -> list[PromptResult]:
        """Sample ``config.n`` completions for each prompt; ``seeds[i]`` seeds prompt i."""


@runtime_checkable
class HasSettings(Protocol):
    """A backend or verifier that declares its settings: ``settings()`` returns every one that can change
    a sample or a score, as JSON values (a run's manifest records them and a resume compares them)."""

    def settings(self) -> dict: ...


@runtime_checkable
class Resettable(Protocol):
    """A stateful backend: ``reset()`` returns it to the state it was constructed in (no live sequences,
    no cache), whatever ran or failed before, so the next call samples as a fresh backend would."""

    def reset(self) -> None: ...


def backend_settings(obj) -> dict:
    """``obj.settings()`` where it declares them (:class:`HasSettings`), else its class: what a manifest records."""
    if isinstance(obj, HasSettings):
        return obj.settings()
    return {"class": f"{type(obj).__module__}.{type(obj).__qualname__}", "declared": False}


def reset_backend(backend) -> None:
    """:meth:`Resettable.reset` where the backend has state; a stateless one (vLLM, a server) has nothing to reset."""
    if isinstance(backend, Resettable):
        backend.reset()


def problem_seed(run_seed: int, problem_id: str) -> int:
    """A problem's seed from the run's seed and its id, so a resumed or re-sharded run draws the same samples."""
    return (int(run_seed) * 1_000_003 + zlib.crc32(str(problem_id).encode())) % (2**31 - 1)


def sample_tokens(logits: np.ndarray, *, temperature: float, top_p: float, rng: np.random.Generator):
    """Draw one token per row of ``logits`` (B, V); return (tokens (B,), log p(token) at T = 1 (B,)).

    Sampling: softmax(logits / T), restricted to the smallest set of tokens whose mass reaches
    ``top_p`` (nucleus sampling, Holtzman et al. 2019, arXiv:1904.09751); T = 0 is greedy.
    Inverse-CDF sampling, one uniform per row: no sort over the vocabulary unless top_p < 1,
    where only a short list of the largest logits is sorted (unless the nucleus is wider).
    """
    shifted = np.array(logits, dtype=np.float64)  # (B, V), a copy worked on in place
    B, V = shifted.shape
    shifted -= shifted.max(axis=1, keepdims=True)  # max 0 per row
    weights = np.exp(shifted)
    log_z_t1 = np.log(weights.sum(axis=1))  # (B,) log partition function at T = 1
    rows = np.arange(B)
    if temperature == 0:
        tokens = shifted.argmax(axis=1)
    elif top_p >= 1.0:
        if temperature != 1:
            np.multiply(shifted, 1.0 / temperature, out=weights)
            np.exp(weights, out=weights)
        cdf = np.cumsum(weights, axis=1, out=weights)  # (B, V)
        u = rng.random(B) * cdf[:, -1]
        # the first index whose cumulative weight reaches u (binary search per row)
        tokens = np.minimum([np.searchsorted(cdf[b], u[b], side="left") for b in range(B)], V - 1)
    else:
        tokens = np.empty(B, dtype=np.int64)
        scaled = shifted / temperature
        log_z = np.log(np.exp(scaled).sum(axis=1))
        width = min(V, 512)
        for b in range(B):  # rows differ in nucleus size; B is the number of live samples
            # the short list in index order, then by logit, stably: tied logits keep index order on every CPU
            top = np.sort(np.argpartition(scaled[b], V - width)[V - width :]) if width < V else np.arange(V)
            order = top[np.argsort(-scaled[b, top], kind="stable")]
            p = np.exp(scaled[b, order] - log_z[b])
            if p.sum() < top_p and width < V:  # the nucleus is wider than the short list
                order = np.argsort(-scaled[b], kind="stable")
                p = np.exp(scaled[b, order] - log_z[b])
            keep = int(np.searchsorted(np.cumsum(p), top_p) + 1)
            p = p[:keep] / p[:keep].sum()
            tokens[b] = order[rng.choice(keep, p=p)]
    return tokens, shifted[rows, tokens] - log_z_t1
