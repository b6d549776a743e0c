"""Expanders: how a backend samples the next steps of partial solutions (``ttslib.search``).

Which one a backend gets follows from what it declares (``ttslib.generate.base``): a backend with a
stateful prefix cache, forking and batched extension (the embedded one) keeps partial solutions in its
cache (:class:`LlamaExpander`); any other is sent each partial solution as text (:class:`TextExpander`).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol

from ttslib.generate.base import BatchedExtend, Forkable, PrefixCache, SamplingConfig, Tokenizer, require, supports


class Expander(Protocol):
    """What the search loop asks of an expander. A handle is the expander's own (a live sequence, or text).

    ``roots(prompts)``: the prompts' handles, their token counts and the prompt tokens decoded for each.
    ``expand(requests, greedy=, consume=)``: for each (handle, k, rng) its k next steps as
    [(completion, child handle, ended on the end token: True, False or None if the backend cannot tell)],
    and the prompt tokens decoded for them. Where ``consume[i]``, request i's handle passes to the
    expander (its last child may take it over): the caller no longer holds it and must not release it.
    ``release(handles)``: the caller is done with them.
    ``prefix(prompt, steps)``: a handle of the prompt followed by these steps (each ended by the delimiter),
    and the tokens decoded for it: how particle Gibbs continues its reference from part of the way.
    """

    @abstractmethod
    def roots(self, prompts: list[str]) -> tuple[list, list[int], list[int]]: ...

    @abstractmethod
    def expand(self, requests, *, greedy: bool = False, consume=None) -> list[tuple[list, int]]: ...

    @abstractmethod
    def release(self, handles) -> None: ...

    @abstractmethod
    def prefix(self, prompt: str, steps) -> tuple[object, int]: ...


class LlamaExpander(Expander):
    """Next steps on a backend with a stateful prefix cache (the embedded ``LlamaCppBackend``): partial
    solutions stay in its KV cache, children share their parent's cells, and no token is decoded twice."""

    needs = (Tokenizer, PrefixCache, Forkable, BatchedExtend)  # what the backend must declare

    def __init__(self, backend, *, delimiter: str, max_step_tokens: int, temperature: float, top_p: float):
        require(backend, *self.needs, needed_by="search with partial solutions kept in the cache (LlamaExpander)")
        self.backend, self.delimiter = backend, delimiter
        self.max_step_tokens, self.temperature, self.top_p = max_step_tokens, temperature, top_p

    def roots(self, prompts: list[str]) -> tuple[list, list[int], list[int]]:
        """Handles of the prompts, their token counts, and the prompt tokens decoded for each."""
        tokens = [self.backend.tokenize(p) for p in prompts]
        seqs = self.backend.prefill(tokens)
        return seqs, [len(t) for t in tokens], [s.prefilled for s in seqs]

    def expand(self, requests, *, greedy: bool = False, consume=None):
        """For each (handle, k, rng): k next steps as [(completion, child handle, ended by an end token)],
        and the prompt tokens decoded for it (0 here: only sampled tokens are decoded). Where
        ``consume[i]``, request i's parent is not needed after: its sequence becomes the last child."""
        children, rngs = [], []
        for i, (handle, k, rng) in enumerate(requests):
            own = bool(consume is not None and consume[i])
            kids = self.backend.fork(handle, k - own) + ([handle] if own else [])
            children.append(kids)
            rngs += [rng] * k
        flat = [s for kids in children for s in kids]
        comps = self.backend.extend(
            flat, rngs, max_tokens=self.max_step_tokens, stop=(self.delimiter,),
            temperature=0.0 if greedy else self.temperature, top_p=self.top_p,
        )
        out, i = [], 0
        for kids in children:
            out.append(([(c, s, bool(c.token_ids) and self.backend.is_eog(c.token_ids[-1])) for c, s in zip(comps[i : i + len(kids)], kids)], 0))
            i += len(kids)
        return out

    def release(self, handles) -> None:
        self.backend.release(list(handles))

    def prefix(self, prompt: str, steps):
        """The steps' text re-tokenized and prefilled; the prompt's cells come from the backend's prefix cache."""
        seq, = self.backend.prefill([self.backend.tokenize(prompt + "".join(s + self.delimiter for s in steps))])
        return seq, seq.prefilled


class TextExpander(Expander):
    """Next steps through the text interface of any backend (vLLM, OpenAI-compatible servers): each
    partial solution is re-sent as text; the server's prefix cache (vLLM's) can spare the re-decoding.
    A step ends its solution where the backend says the model's end token ended it (``Completion.eos``);
    where a backend cannot tell (``eos`` None), the step is taken as delimited and the run counts it in
    ``search_eos_unknown``."""

    def __init__(self, backend, *, delimiter: str, max_step_tokens: int, temperature: float, top_p: float):
        self.backend, self.delimiter = backend, delimiter
        self.max_step_tokens, self.temperature, self.top_p = max_step_tokens, temperature, top_p

    def roots(self, prompts: list[str]):
        return list(prompts), [0] * len(prompts), [0] * len(prompts)

    def expand(self, requests, *, greedy: bool = False, consume=None):
        out = [None] * len(requests)
        # each request's seed from its problem's stream, in request order: a problem's draws do not depend on
        # which other problems share the batch (grouping by k below would reorder them)
        request_seeds = [int(rng.integers(2**31 - 1)) for _, _, rng in requests]
        by_k: dict[int, list[int]] = {}
        for i, (_, k, _) in enumerate(requests):
            by_k.setdefault(k, []).append(i)
        for k, members in by_k.items():
            config = SamplingConfig(n=k, temperature=0.0 if greedy else self.temperature, top_p=self.top_p,
                                    max_tokens=self.max_step_tokens, stop=(self.delimiter,))
            seeds = [request_seeds[i] for i in members]
            results = self.backend.generate([requests[i][0] for i in members], config, seeds)
            for i, result in zip(members, results):
                text = requests[i][0]
                kids = []
                for c in result.completions:  # the delimiter goes back only after a step the stop string ended
                    eos = c.eos if c.finish_reason == "stop" else False  # None: the backend cannot tell
                    kids.append((c, text + c.text + (self.delimiter if c.finish_reason == "stop" and eos is not True else ""), eos))
                out[i] = (kids, result.num_prompt_tokens)
        return out

    def release(self, handles) -> None:
        pass

    def prefix(self, prompt: str, steps):
        """The text itself; the server decodes it with the next request (counted there)."""
        return prompt + "".join(s + self.delimiter for s in steps), 0


def make_expander(backend, delimiter: str, config) -> Expander:
    """:class:`LlamaExpander` where the backend declares every capability it needs, else :class:`TextExpander`."""
    kind = LlamaExpander if all(supports(backend, c) for c in LlamaExpander.needs) else TextExpander
    return kind(backend, delimiter=delimiter, max_step_tokens=config.max_step_tokens, temperature=config.temperature, top_p=config.top_p)
