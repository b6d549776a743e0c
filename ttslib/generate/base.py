"""What every generation backend takes and returns, and the numpy sampler the embedded one uses.

A backend turns prompts into completions: ``backend.generate(prompts, config, seeds)`` returns one
:class:`PromptResult` per prompt, each holding ``config.n`` :class:`Completion` records with the
sampled tokens' log-probabilities. The run loop in :mod:`ttslib.generate.run` turns those into a
sample table (the schema of :mod:`ttslib.data`).

What a backend can do beyond that is declared, one :class:`typing.Protocol` per capability
(:data:`CAPABILITIES`: a model name, settings, a reset, its tokens, a stateful prefix cache, forking,
batched extension, next-token logits, shards made by workers elsewhere, shards streamed), by listing the protocols among the backend's bases. Search,
verifiers and the run loop ask :func:`supports` or :func:`require`; a backend that lacks what a caller
needs gets a TypeError naming the backend and the missing capability.
"""

from __future__ import annotations

import zlib
from abc import abstractmethod
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

__all__ = [
    "SamplingConfig",
    "Completion",
    "PromptResult",
    "BackendError",
    "Backend",
    "HasModelName",
    "HasSettings",
    "Resettable",
    "Tokenizer",
    "PrefixCache",
    "Forkable",
    "BatchedExtend",
    "NextTokenLogits",
    "ShardPool",
    "StreamsShards",
    "CAPABILITIES",
    "supports",
    "declared",
    "members",
    "require",
    "backend_model_name",
    "backend_settings",
    "reset_backend",
    "failed_result",
    "problem_seed",
    "sample_tokens",
    "top_k_confidence",
    "top_k_values",
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
    confidence_top_k: int | None = None  # record token_confidence from the top-k log-probs per token (DeepConf: k = 20); None: not recorded

    def __post_init__(self):
        if not isinstance(self.n, (int, np.integer)) or self.n < 1:
            raise ValueError(f"n (samples per prompt) must be an int >= 1; got {self.n!r}")
        if not (np.isfinite(self.temperature) and self.temperature >= 0):
            raise ValueError(f"temperature must be finite and >= 0; got {self.temperature!r}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must lie in (0, 1]; got {self.top_p!r}")
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1; got {self.max_tokens!r}")
        k = self.confidence_top_k
        if k is not None and (isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1):
            raise ValueError(f"confidence_top_k (top log-probabilities per token for token_confidence) must be an int "
                             f">= 1 or None; got {k!r}")
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
    token_confidence: tuple[float, ...] | None = None  # DeepConf's C_i per token (SamplingConfig.confidence_top_k), None: not asked or not given

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


# ---- what a backend can do: one protocol per capability, declared by subclassing ------------------
#
# A backend lists the capabilities it has among its bases, e.g.
# ``class LlamaCppBackend(Backend, HasModelName, PrefixCache, Forkable, ...)``; code that needs one asks
# :func:`supports` or :func:`require`, which read that declaration and never guess from the attributes an
# object happens to have. Methods are abstract, so a class that declares a capability and lacks one of
# its methods cannot be instantiated. docs/backends.md has the table of who declares what.


class Backend(Protocol):
    """Text in, completions out: every backend. ``name`` names the backend ("llama.cpp", "vllm", "openai")."""

    name: str

    @abstractmethod
    def generate(self, prompts: list[str], config: SamplingConfig, seeds: list[int]) -> list[PromptResult]:
        """Sample ``config.n`` completions for each prompt; ``seeds[i]`` seeds prompt i."""


class HasModelName(Protocol):
    """The backend knows its model's name (``model_name``), which a run records in its ``model`` column."""

    model_name: str


class HasSettings(Protocol):
    """A backend or verifier that declares its settings: ``settings()`` returns every one that can change
    a sample or a score, as JSON values (a run's manifest records them and a resume compares them)."""

    @abstractmethod
    def settings(self) -> dict: ...


class Resettable(Protocol):
    """A stateful backend: ``reset()`` returns it to the state it was constructed in (no live sequences,
    no cache), whatever ran or failed before, so the next call samples as a fresh backend would."""

    @abstractmethod
    def reset(self) -> None: ...


class Tokenizer(Protocol):
    """The backend's own tokens: ``tokenize(text, add_bos=...)`` returns the ids its model reads."""

    @abstractmethod
    def tokenize(self, text: str, *, add_bos: bool = True) -> list[int]: ...


class PrefixCache(Protocol):
    """A stateful prefix cache: ``prefill(prompts)`` turns token lists into live sequences held in the
    backend's cache (handles, each with ``prefilled``: the prompt tokens decoded for it, a prefix shared
    with earlier prompts being copied, not decoded); ``release(handles)`` frees them."""

    @abstractmethod
    def prefill(self, prompts: list[list[int]]) -> list: ...

    @abstractmethod
    def release(self, handles) -> None: ...


class Forkable(Protocol):
    """``fork(handle, k)``: k new live sequences that share the cached tokens of ``handle`` (which stays live)."""

    @abstractmethod
    def fork(self, handle, k: int) -> list: ...


class BatchedExtend(Protocol):
    """``extend(handles, rngs, ...)`` samples any set of live sequences on in one batch until each hits a
    stop string, the end token or ``max_tokens``, returning a :class:`Completion` per handle (with its
    ``token_ids``); ``is_eog(token)`` says whether a token ends generation (end of text or of turn)."""

    @abstractmethod
    def extend(self, handles: list, rngs: list, *, max_tokens: int, stop=(), temperature: float = 0.8,
               top_p: float = 1.0) -> list[Completion]: ...

    @abstractmethod
    def is_eog(self, token: int) -> bool: ...


class CountsTokens(Protocol):
    """``stats``: counts since construction of the tokens the backend ``decoded`` (every token through the model,
    a prompt's cached prefix not counted again) and ``sampled``; a run records each shard's difference as a fact."""

    stats: dict


class ShardPool(Protocol):
    """Workers elsewhere, each with its own backend (a pool of Ray actors, ``ttslib.search.ray_actors``):
    ``map_shards(shards, job)`` takes [(start, problems)] and yields (start, rows, seconds) as each shard is made,
    in any order, each shard once; the caller is the one writer of the run."""

    @abstractmethod
    def map_shards(self, shards, job): ...


class StreamsShards(Protocol):
    """``generate_shards(shards, config)``: [(start, prompts, seeds)] in, (start, results, seconds) out as each
    shard's samples are all back, in any order, each shard once. A backend that sends a whole run's requests at
    once (Ray Data, whose start-up per dataset is seconds) streams them this way; the caller writes the shards."""

    @abstractmethod
    def generate_shards(self, shards, config: SamplingConfig): ...


class NextTokenLogits(Protocol):
    """``next_token_logits(prompts)``: the logits (P, V) of the token after each prompt, and how many prompt
    tokens the backend decoded to get them."""

    @abstractmethod
    def next_token_logits(self, prompts: list[str]) -> tuple[np.ndarray, int]: ...


CAPABILITIES = (Backend, HasModelName, HasSettings, Resettable, Tokenizer, PrefixCache, Forkable, BatchedExtend, CountsTokens,
                NextTokenLogits, ShardPool, StreamsShards)


def supports(obj, capability: type) -> bool:
    """Whether ``obj``'s class declares ``capability`` (a protocol such as :class:`PrefixCache`) among its bases.

    The declaration is read, never guessed: an object that merely has a method of the same name does not
    support the capability (``isinstance`` on a runtime-checkable protocol would only look for the names).
    """
    if not isinstance(capability, type):
        raise TypeError(f"capability must be a protocol class such as PrefixCache; got {capability!r}")
    return capability in type(obj).__mro__


def declared(cls: type) -> tuple[type, ...]:
    """The capabilities of :data:`CAPABILITIES` that the class ``cls`` declares, in that order."""
    if not isinstance(cls, type):
        raise TypeError(f"cls must be a class; got {cls!r}")
    return tuple(c for c in CAPABILITIES if c in cls.__mro__)


def members(capability: type) -> list[str]:
    """The attributes and methods a capability protocol asks for, in the order it states them."""
    own = [n for n in vars(capability) if not n.startswith("_")]
    return list(dict.fromkeys([*vars(capability).get("__annotations__", {}), *own]))


def require(obj, *capabilities: type, needed_by: str) -> None:
    """Nothing if ``obj`` declares every one of ``capabilities``; else a TypeError naming ``obj``'s class,
    what ``needed_by`` needs and which capabilities (with their methods) it does not declare."""
    missing = [c for c in capabilities if not supports(obj, c)]
    if missing:
        said = ", ".join(f"{c.__name__} ({', '.join(members(c))})" for c in missing)
        raise TypeError(
            f"{needed_by} needs a backend that declares {said}; {type(obj).__name__} does not. "
            "A backend declares a capability by subclassing its protocol (ttslib.generate.base; docs/backends.md)."
        )


def backend_model_name(backend) -> str | None:
    """The backend's model name where it declares one (:class:`HasModelName`), else None."""
    return backend.model_name if supports(backend, HasModelName) else None


def backend_settings(obj) -> dict:
    """``obj.settings()`` where it declares them (:class:`HasSettings`), else its class: what a manifest records."""
    if supports(obj, HasSettings):
        return obj.settings()
    return {"class": f"{type(obj).__module__}.{type(obj).__qualname__}", "declared": False}


def reset_backend(backend) -> None:
    """:meth:`Resettable.reset` where the backend declares state; a stateless one (vLLM, a server) has nothing to reset."""
    if supports(backend, Resettable):
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


def top_k_confidence(logits: np.ndarray, k: int) -> np.ndarray:
    """DeepConf's token confidence from next-token logits: ``C = -mean of the k largest log-softmax(logits)``
    per row (Fu et al. 2025, arXiv:2508.15260, Eq. 2; k = 20 in the paper), at temperature 1 as
    :func:`sample_tokens`'s log-probabilities are.

    ``logits`` (B, V); returns (B,) float >= 0. One log-sum-exp per row and the k largest logits
    (:func:`top_k_values`); the mean itself is :func:`ttslib.adaptive.confidence.token_confidence`.
    """
    from ttslib.adaptive.confidence import token_confidence  # here, not at the top: ttslib.adaptive imports this module

    logits = np.asarray(logits)
    if logits.ndim != 2 or not 1 <= k <= logits.shape[1]:
        raise ValueError(f"top_k_confidence: logits must be (B, V) with 1 <= k <= V; got shape {logits.shape}, k = {k!r}")
    peak = logits.max(axis=1, keepdims=True)  # (B, 1)
    log_z = peak[:, 0].astype(np.float64) + np.log(np.exp(logits - peak).sum(axis=1, dtype=np.float64))  # (B,)
    top = top_k_values(logits, k).astype(np.float64)  # (B, k)
    return token_confidence(top - log_z[:, None])  # <= 0: log_z >= the peak, the sum holding exp(0) = 1


def top_k_values(x: np.ndarray, k: int, *, block: int = 128) -> np.ndarray:
    """The k largest values of each row of ``x`` (B, V), largest first: (B, k).

    Cheaper than a partition of every row: the rows are cut into blocks of ``block`` values, and the
    k-th largest block maximum tau is a lower bound of the k-th largest value (the k largest block
    maxima are k values >= tau). Only the values >= tau (a few hundred of the vocabulary, ties
    included) are sorted. Measured on (16, 49,152) float32: 1.9 ms against 4.5 ms for ``np.partition``.
    """
    B, V = x.shape
    blocks = -(-V // block)
    if blocks < k:
        return -np.sort(-np.partition(x, V - k, axis=1)[:, V - k :], axis=1)
    padded = np.pad(x, ((0, 0), (0, blocks * block - V)), constant_values=-np.inf) if blocks * block > V else x
    tau = np.partition(padded.reshape(B, blocks, block).max(axis=2), blocks - k, axis=1)[:, blocks - k]  # (B,)
    rows, cols = np.nonzero(x >= tau[:, None])  # >= k per row, in row order
    values = x[rows, cols]
    values = values[np.lexsort((-values, rows))]  # by row, largest first
    starts = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=B))[:-1]])
    return values[starts[:, None] + np.arange(k)]
