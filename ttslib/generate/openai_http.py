"""Any OpenAI-compatible completions server: vLLM, SGLang, llama.cpp's ``llama-server``, hosted APIs.

Requests go to ``/v1/completions`` with ``n``, ``logprobs`` and ``stop``, through the ``openai``
client (which retries with exponential backoff and honours timeouts). Several base URLs share
the work: prompts are dealt round-robin, at most ``concurrency`` requests are in flight per
URL, and a request that still fails after its retries is tried on the other URLs before the
run stops with a :class:`BackendError` naming every URL and the last error. A prompt the server
refuses (too long for the context, say) is recorded as failed with its real prompt length where the
server tells it (see ``OpenAIBackend._refused_prompt_tokens``), so FLOPs and token tables stay honest.

With ``SamplingConfig.confidence_top_k`` = k the request asks ``logprobs=k`` and each completion carries
DeepConf's token confidence from the server's ``top_logprobs`` (:func:`server_token_confidence`). Where a
server does not return k finite top log-probabilities for every token, that completion's confidence is
None (never filled in) and the backend says why, once per reason, as a ``RuntimeWarning``.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import urllib.request
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ttslib.generate.base import Backend, BackendError, Completion, HasModelName, HasSettings, PromptResult, SamplingConfig, failed_result

__all__ = ["OpenAIBackend", "server_token_confidence", "completion_request", "prompt_result", "request_blocks"]

# prompt tokens as refusal messages state them: vLLM ("your request has 3000 input tokens"; older
# and OpenAI: "(2000 in the messages, 100 in the completion)"), llama-server ("n_prompt_tokens": 1234)
_PROMPT_TOKENS_IN_ERROR = re.compile(
    r"request has (\d+) input tokens|\((\d+) in the messages|n_prompt_tokens['\"]?\s*[:=]\s*(\d+)")


def server_eos(choice, stops) -> bool | None:
    """Whether an OpenAI-compatible server ended a choice on the model's end token, where it says so.

    ``finish_reason`` is "stop" both at the end token and at a stop string. The server tells them apart
    in its own fields: vLLM's ``stop_reason`` (None at the end token, the stop string otherwise),
    llama.cpp's ``stop_type`` ("eos", "word", "limit") or ``stopped_eos``. Without them, the sampled
    tokens' text (``logprobs.tokens``) runs past the returned text exactly where a stop string was cut
    off (llama-cpp-python's ``llama_cpp.server`` counts the stop string's tokens but returns the text
    before it) and equals it where the end token ended it (not counted). Otherwise None: cannot tell.
    """
    if choice.finish_reason != "stop":
        return False
    extra = dict(getattr(choice, "model_extra", None) or {})
    if "stop_reason" in extra:
        return extra["stop_reason"] is None
    if "stop_type" in extra:
        return extra["stop_type"] == "eos"
    if "stopped_eos" in extra:
        return bool(extra["stopped_eos"])
    tokens = getattr(choice.logprobs, "tokens", None) if choice.logprobs is not None else None
    if isinstance(tokens, list) and all(isinstance(t, str) for t in tokens):  # [] too: the end token at once
        joined, text = "".join(tokens), choice.text or ""
        if joined == text:
            return True
        if joined.startswith(text) and any(stop and stop in joined[len(text):] for stop in stops):
            return False
    return None


def server_token_confidence(logprobs, k: int) -> tuple[tuple[float, ...] | None, str | None]:
    """DeepConf's token confidence ``C_i = -mean of the k largest log-probabilities at token i``
    (arXiv:2508.15260, Eq. 2) from a completions choice's ``logprobs`` (``token_logprobs`` and
    ``top_logprobs``, a dict {token text: log-probability} per token), or (None, why) where the server
    did not give k finite top log-probabilities at every token.

    Tokens whose ``token_logprobs`` entry is None (an echoed prompt's first token) are left out, as they
    are from the token log-probabilities. A dict may hold the sampled token beside the top k (k + 1
    entries, llama-cpp-python's server): the k largest values are the top k. Fewer than k entries (a server
    that caps ``logprobs``, or two tokens with the same text sharing a key) is not the quantity asked for.
    """
    from ttslib.adaptive.confidence import token_confidence

    sampled = getattr(logprobs, "token_logprobs", None) if logprobs is not None else None
    tops = getattr(logprobs, "top_logprobs", None) if logprobs is not None else None
    if not isinstance(tops, list):
        return None, "returned no top_logprobs"
    if not isinstance(sampled, list) or len(tops) != len(sampled):
        return None, f"returned top_logprobs for {len(tops)} tokens, not one per sampled token"
    tops = [top for top, lp in zip(tops, sampled) if lp is not None]
    sizes = [len(top) if isinstance(top, dict) else 0 for top in tops]
    if any(size < k for size in sizes):
        return None, f"returned {min(sizes)} top log-probabilities at a token, fewer than the {k} asked for"
    if not tops:
        return (), None
    try:
        values = np.array([sorted(map(float, top.values()), reverse=True)[:k] for top in tops])  # (T, k)
        return tuple(token_confidence(values).tolist()), None
    except (TypeError, ValueError):
        return None, "returned top log-probabilities that are not all finite numbers <= 0"


def request_blocks(n: int, n_per_request: int | None) -> list[int]:
    """How a prompt's n samples are split into requests: ``n_per_request`` a request (all n at once if None). Request
    j of a prompt with seed s is sent seed s + j, so the split is a setting that changes the samples."""
    per = n_per_request or n
    return [min(per, n - start) for start in range(0, n, per)]


def completion_request(model: str, prompt: str, config: SamplingConfig, seed: int, n: int) -> dict:
    """The body of one ``/v1/completions`` request: n samples of ``prompt`` under ``config`` with ``seed``
    (the same for every backend that sends requests: the direct client and Ray's HTTP processor)."""
    return {"model": model, "prompt": prompt, "n": n, "temperature": config.temperature, "top_p": config.top_p,
            "max_tokens": config.max_tokens, "stop": list(config.stop) or None, "logprobs": config.confidence_top_k or 1,
            "seed": seed}


def prompt_result(responses, config: SamplingConfig, *, where: str, say_absent) -> PromptResult:
    """One prompt's samples from its completions responses (``openai.types.Completion``, in request order):
    each choice's text, token log-probabilities (the kit's token count), finish reason, whether it ended on
    the end token (:func:`server_eos`) and, with ``confidence_top_k``, DeepConf's token confidence (None where
    the server did not give it; ``say_absent(why, k)`` is told why). ``where`` names the server in errors."""
    completions = []
    for response in responses:
        for choice in sorted(response.choices, key=lambda c: c.index):
            logprobs = choice.logprobs.token_logprobs if choice.logprobs is not None else None
            if logprobs is None:
                raise BackendError(f"{where} returned no logprobs; the kit needs them for token counts")
            confidence = None
            if config.confidence_top_k is not None:
                confidence, why = server_token_confidence(choice.logprobs, config.confidence_top_k)
                if why is not None:
                    say_absent(why, config.confidence_top_k)
            completions.append(
                Completion(
                    text=choice.text,
                    token_logprobs=tuple(float(x) for x in logprobs if x is not None),
                    finish_reason=choice.finish_reason or "stop",
                    eos=server_eos(choice, config.stop),
                    token_confidence=confidence,
                )
            )
    if len(completions) != config.n:
        raise BackendError(
            f"asked for {config.n} samples, got {len(completions)}: the server may ignore `n`; set n_per_request=1"
        )
    return PromptResult(num_prompt_tokens=int(responses[0].usage.prompt_tokens), completions=tuple(completions))


class OpenAIBackend(Backend, HasModelName, HasSettings):
    """Sample from one or more OpenAI-compatible servers (text in, text out: no cache handles, no logits).

    Parameters
    ----------
    base_urls : a URL or a list of URLs, e.g. ``["http://127.0.0.1:8000/v1", "http://127.0.0.1:8001/v1"]``
    model : the model name the servers expect
    api_key : sent as a bearer token (local servers ignore it)
    concurrency : requests in flight per URL
    max_retries : retries per request on one URL (the client backs off exponentially between them)
    timeout : seconds per request
    n_per_request : samples asked for in one request; servers that ignore ``n`` (llama.cpp's)
        need 1. Default: all ``config.n`` at once.
    """

    name = "openai"

    def __init__(
        self,
        base_urls,
        model: str,
        *,
        api_key: str = "EMPTY",
        concurrency: int = 4,
        max_retries: int = 3,
        timeout: float = 120.0,
        n_per_request: int | None = None,
    ):
        import openai

        self.base_urls = [base_urls] if isinstance(base_urls, str) else list(base_urls)
        if not self.base_urls:
            raise ValueError("base_urls must name at least one server")
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1; got {concurrency}")
        self.model_name = model
        self.timeout = timeout
        self.n_per_request = n_per_request
        self._errors = (openai.APIConnectionError, openai.APITimeoutError, openai.InternalServerError, openai.RateLimitError)
        self._bad_request = (openai.BadRequestError, openai.UnprocessableEntityError)
        self._fatal = (openai.NotFoundError, openai.AuthenticationError, openai.PermissionDeniedError)
        self._clients = [
            openai.OpenAI(base_url=url, api_key=api_key, max_retries=max_retries, timeout=timeout) for url in self.base_urls
        ]
        self._slots = [threading.BoundedSemaphore(concurrency) for _ in self.base_urls]
        self._pool = ThreadPoolExecutor(max_workers=concurrency * len(self.base_urls))
        self._said, self._said_lock = set(), threading.Lock()  # reasons token_confidence was absent, said once each

    def _request(self, first: int, prompt: str, config: SamplingConfig, seed: int, n: int):
        """One completions request, on URL ``first`` and then on each other URL if it keeps failing."""
        last_error = None
        for i in itertools.islice(itertools.cycle(range(len(self._clients))), first, first + len(self._clients)):
            try:
                with self._slots[i]:  # at most `concurrency` requests in flight on each URL
                    return self._clients[i].completions.create(**completion_request(self.model_name, prompt, config, seed, n))
            except self._bad_request as err:
                if config.confidence_top_k and "logprob" in str(err).lower():  # every prompt would be refused alike
                    raise BackendError(f"{self.base_urls[i]} refused logprobs={config.confidence_top_k} (confidence_top_k): "
                                       f"{err}. Ask for a k the server allows (vLLM: --max-logprobs)") from err
                return err  # this prompt only (e.g. longer than the context): recorded, the run goes on
            except self._fatal as err:
                raise BackendError(f"{self.base_urls[i]} refused the request: {err}") from err
            except self._errors as err:
                last_error = err
        raise BackendError(f"no server answered (tried {', '.join(self.base_urls)}): {last_error}") from last_error

    def _one_prompt(self, index: int, prompt: str, config: SamplingConfig, seed: int) -> PromptResult:
        sizes = request_blocks(config.n, self.n_per_request)
        responses = [self._request(index + j, prompt, config, seed + j, m) for j, m in enumerate(sizes)]
        refused = [r for r in responses if isinstance(r, Exception)]
        if refused:  # the whole prompt is recorded as failed, even if some of its requests succeeded
            tokens = self._refused_prompt_tokens(index, prompt, responses, refused[0])
            return failed_result(config.n, f"server refused the prompt: {refused[0]}", tokens)
        return prompt_result(responses, config, where=self.base_urls[0], say_absent=self._say_absent)

    def _say_absent(self, why: str, k: int) -> None:
        """One RuntimeWarning per reason and backend: token_confidence is None where the server did not give it."""
        with self._said_lock:
            if why in self._said:
                return
            self._said.add(why)
        warnings.warn(f"{', '.join(self.base_urls)} {why} (asked logprobs={k}): token_confidence is not recorded for "
                      f"those samples (None in the table), never filled in", RuntimeWarning, stacklevel=2)

    def _refused_prompt_tokens(self, index: int, prompt: str, responses, error) -> int:
        """Prompt tokens of a refused prompt: from a request of it that went through, else the server's
        tokenizer (``/tokenize`` of vLLM, SGLang and llama-server; ``/extras/tokenize/count`` of
        llama-cpp-python's server), else the number the refusal states; 0 only if none of them says."""
        for r in responses:
            if not isinstance(r, Exception) and getattr(r, "usage", None) is not None:
                return int(r.usage.prompt_tokens)
        url = self.base_urls[index % len(self.base_urls)]
        root = re.sub(r"/v1/?$", "", url.rstrip("/"))
        asks = [(f"{root}/tokenize", {"model": self.model_name, "prompt": prompt, "content": prompt}),
                (f"{root}/extras/tokenize/count", {"input": prompt})]
        for endpoint, body in asks:
            try:
                request = urllib.request.Request(endpoint, json.dumps(body).encode(), {"Content-Type": "application/json"})
                with urllib.request.urlopen(request, timeout=min(self.timeout, 30)) as reply:
                    answer = json.loads(reply.read())
            except (OSError, ValueError):  # no such endpoint, or not JSON: try the next way
                continue
            count = answer.get("count", len(answer["tokens"]) if isinstance(answer.get("tokens"), list) else None)
            if isinstance(count, int) and count > 0:
                return count
        found = _PROMPT_TOKENS_IN_ERROR.search(str(getattr(error, "body", None) or "") + " " + str(error))
        return int(next(g for g in found.groups() if g)) if found else 0

    def settings(self) -> dict:
        """What a run's manifest records: the served model and how samples are split into requests (which
        changes the seeds a server sees). The servers' addresses and the concurrency are not recorded: a
        request's answer depends on its model, prompt, settings and seed, not on which replica or when."""
        return {"model": self.model_name, "n_per_request": self.n_per_request}

    def generate(self, prompts: list[str], config: SamplingConfig, seeds: list[int]) -> list[PromptResult]:
        futures = [self._pool.submit(self._one_prompt, i, p, config, s) for i, (p, s) in enumerate(zip(prompts, seeds))]
        return [f.result() for f in futures]

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        for client in self._clients:
            client.close()
