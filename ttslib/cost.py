"""What sampling costs beyond FLOPs: bytes moved, seconds on named hardware, and dollars.

**Bytes.** Decoding one step of a batch reads the weights once, and for every sequence in it the KV cache
of the tokens its new token attends to. Bytes of KV per token: ``D = 2 * n_layers * n_kv_heads * head_dim
* kv_bytes`` (keys and values; ``ttslib.registry``). Samples of one problem share their prompt's KV cache,
so a step reads the prompt's ``p`` tokens once for the batch and each live sequence's own tokens. For
samples of ``m_j`` tokens decoded together (steps ``t = 1 .. max m``; a sequence is live while ``t <= m_j``)
the decode reads, in all,

    max(m) * W + D * (p * max(m) + sum_j m_j (m_j + 1) / 2),      W = params * weight_bytes,

the form of Kinetics' cost model (Sadhukhan et al. 2025, arXiv:2506.05333: weights, the shared prompt's KV
once per step, each trial's own KV), with the weights' traffic kept: at a small batch it dominates.
Without a shared prompt each live sequence reads the prompt itself. FLOPs are ``ttslib.flops``'.

**Seconds.** A roofline: a step takes ``max(FLOPs / peak, bytes / bandwidth)`` on the named hardware
(:data:`HARDWARE`, each row with its source). Kinetics instead adds the KV cache's bytes to the FLOPs at the
hardware's arithmetic intensity ``I = peak / bandwidth``: ``eFLOPs = FLOPs + I * KV bytes`` (:func:`eflops`; its
cost model leaves the weights' read out). The samples of one
problem are one batch (parallel): their time is the prefill plus ``max(m)`` steps, not tokens over
throughput. Rounds that wait on each other (revisions, or the steps of a search) add up (:func:`critical_path`).

**Dollars.** An API prices input and output tokens (:class:`ApiPrice`: genai-prices' packaged data, the
version pinned in ``requirements.lock``, at the prices that apply on a stated date, never fetched); a
self-hosted accelerator costs its seconds at a price per hour the user states (:class:`SelfHosted`; no
default price). Pure functions: no model is run, no network is used.
"""

from __future__ import annotations

import csv
import json
import datetime as _dt
import math
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path

import numpy as np

from ttslib.checks import whole_numbers
from ttslib.flops import ATTENTION, flops_per_token, sequence_flops
from ttslib.registry import get_model

__all__ = ["Hardware", "HARDWARE", "get_hardware", "Precision", "kv_bytes_per_token", "weight_bytes", "Traffic", "search_seconds",
           "decode_traffic", "prefill_traffic", "shard_traffic", "shard_predictions", "step_seconds", "eflops", "batch_seconds", "expected_batch_seconds", "equal_length_cost", "per_solved", "rounds_seconds", "critical_path", "ApiPrice",
           "SelfHosted", "Scenario", "prices_version"]


@dataclass(frozen=True)
class Hardware:
    """An accelerator (or this machine): dense peak FLOP/s at ``precision`` and memory bandwidth in bytes/s."""

    name: str
    peak_flops: float
    bandwidth: float
    precision: str
    source: str

    def __post_init__(self):
        for field, v in (("peak_flops", self.peak_flops), ("bandwidth", self.bandwidth)):
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise ValueError(f"hardware {self.name!r}: {field} must be a positive number; got {v!r}")

    @property
    def intensity(self) -> float:
        """FLOPs per byte at the roofline's ridge, ``peak_flops / bandwidth`` (Kinetics' I)."""
        return self.peak_flops / self.bandwidth


def _read_hardware() -> dict[str, Hardware]:
    with resources.files("ttslib").joinpath("hardware.csv").open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f)]
    return {r["name"]: Hardware(r["name"], float(r["peak_flops"]), float(r["bandwidth"]), r["precision"], r["source"])
            for r in rows}


HARDWARE: dict[str, Hardware] = _read_hardware()  # ttslib/hardware.csv: datasheet rows and this machine's measured rates


def get_hardware(hardware) -> Hardware:
    """A :class:`Hardware` as given, or the row of :data:`HARDWARE` it names."""
    if isinstance(hardware, Hardware):
        return hardware
    if hardware is None:
        raise ValueError(f"no hardware given: name one of {sorted(HARDWARE)} or pass a ttslib.cost.Hardware")
    if hardware not in HARDWARE:
        raise KeyError(f"unknown hardware {hardware!r}; the table (ttslib/hardware.csv) has {sorted(HARDWARE)}")
    return HARDWARE[hardware]


@dataclass(frozen=True)
class Precision:
    """Bytes per weight and per KV-cache element: BF16 weights and cache by default; a 4-bit GGUF's weights
    take about 0.5 to 0.6 bytes (Q4_1: 5 bits a weight with its scales, 0.625)."""

    weights: float = 2.0
    kv: float = 2.0

    def __post_init__(self):
        for field, v in (("weights", self.weights), ("kv", self.kv)):
            if not (math.isfinite(v) and v > 0):
                raise ValueError(f"Precision.{field} (bytes) must be a positive number; got {v!r}")


def kv_bytes_per_token(model, precision: Precision = Precision()) -> float:
    """Bytes of keys and values one token leaves in the cache: ``2 * n_layers * n_kv_heads * head_dim * kv``."""
    spec = get_model(model)
    return 2.0 * spec.n_layers * spec.n_kv_heads * spec.head_dim * precision.kv


def weight_bytes(model, precision: Precision = Precision()) -> float:
    """Bytes of the weights, read once per decoding step of a batch: ``params * weights``."""
    return get_model(model).params * precision.weights


@dataclass(frozen=True)
class Traffic:
    """Per step of one batch: FLOPs and bytes (arrays of equal shape; a prefill is one step); ``weights`` is the
    part of the bytes that reads the weights (once a step), the rest is the KV cache."""

    flops: np.ndarray
    bytes: np.ndarray
    weights: float = 0.0  # bytes of the weights read at each step

    @property
    def kv_bytes(self) -> np.ndarray:
        return self.bytes - self.weights

    @property
    def total_flops(self) -> float:
        return float(self.flops.sum())

    @property
    def total_bytes(self) -> float:
        return float(self.bytes.sum())


def _lengths(x, name: str) -> np.ndarray:
    m = whole_numbers(x, name)
    if m.ndim != 1:
        raise ValueError(f"{name} must be one problem's sample lengths, a 1-d array; got shape {m.shape}")
    return m


def decode_traffic(model, lengths, prompt_tokens: int, *, shared_prompt: bool = True, precision: Precision = Precision(),
                   attention: str = "kaplan") -> Traffic:
    """FLOPs and bytes of each decoding step when one problem's samples of ``lengths`` tokens (m_j) are decoded
    together after a prompt of ``prompt_tokens`` (p): step t (1-based) decodes every sample with m_j >= t, each
    token at position p + t (module docstring)."""
    spec = get_model(model)
    m = _lengths(lengths, "lengths")
    p = float(whole_numbers(prompt_tokens, "prompt_tokens"))
    steps = int(m.max()) if m.size else 0
    if steps + p > spec.context:
        raise ValueError(f"prompt + longest sample = {int(p) + steps} tokens exceeds the context of {spec.name} ({spec.context})")
    t = np.arange(1, steps + 1, dtype=float)
    live = (m[None, :] >= t[:, None]).sum(1).astype(float)  # sequences decoded at each step
    if attention not in ATTENTION:
        raise ValueError(f"attention must be one of {sorted(ATTENTION)}; got {attention!r}")
    flops = live * flops_per_token(model, p + t, attention=attention) if steps else np.zeros(0)
    kv = kv_bytes_per_token(model, precision)
    prompt_reads = p * (np.ones_like(t) if shared_prompt else live)
    W = weight_bytes(model, precision)
    return Traffic(flops, W + kv * (prompt_reads + live * t), W)


def prefill_traffic(model, prompt_tokens: int, *, precision: Precision = Precision(), attention: str = "kaplan") -> Traffic:
    """The prompt's forward pass as one step: ``S(0, p)`` FLOPs (``ttslib.flops``); the weights read once and
    the prompt's KV written once."""
    p = float(whole_numbers(prompt_tokens, "prompt_tokens"))
    flops = np.atleast_1d(sequence_flops(model, p, attention=attention)).astype(float)
    W = weight_bytes(model, precision)
    return Traffic(flops, np.array([W + kv_bytes_per_token(model, precision) * p]), W)


def shard_traffic(model, problems, *, precision: Precision = Precision(), attention: str = "kaplan") -> tuple[Traffic, Traffic]:
    """(prefill, decode) of several problems decoded together, as a backend call of a shard runs them: ``problems``
    is ``[(lengths, prompt_tokens), ...]``. The prompts are prefilled in one pass (the weights read once); at each
    decoding step the weights are read once for every live sample of every problem, and each problem's prompt
    once (its samples share it)."""
    groups = [(decode_traffic(model, m, p, precision=precision, attention=attention), int(p)) for m, p in problems]
    if not groups:
        raise ValueError("problems is empty")
    W = weight_bytes(model, precision)
    steps = max(g.flops.size for g, _ in groups)
    flops, nbytes = np.zeros(steps), np.full(steps, W)
    for g, _ in groups:
        flops[: g.flops.size] += g.flops
        nbytes[: g.bytes.size] += g.bytes - W  # each problem's own reads, the weights counted once above
    pre = [prefill_traffic(model, p, precision=precision, attention=attention) for _, p in groups]
    prefill = Traffic(np.array([sum(x.total_flops for x in pre)]), np.array([W + sum(x.total_bytes - W for x in pre)]), W)
    return prefill, Traffic(flops, nbytes, W)


def shard_predictions(samples, facts: dict, model, hardware, *, precision: Precision = Precision(),
                      attention: str = "kaplan", problems_per_batch: int | None = None):
    """Each finished shard of a run beside the roofline's time for its samples: a DataFrame indexed by shard with
    ``measured s`` (``run.json``'s facts, ``docs/runs.md``), ``predicted s`` (on ``hardware``), ``tokens``,
    ``measured / predicted``, and what the prediction is made of: ``prefill s``, decoding ``steps``, the
    ``compute-bound steps`` and the predicted seconds of every compute-bound step, prefill included
    (``compute-bound s``). A shard ``shards/000012.parquet`` holds the ``problems`` its facts give, from the 12th
    problem of the table in its run's order; its problems are decoded together (:func:`shard_traffic`), or in
    consecutive batches of ``problems_per_batch`` as the backend ran them (the embedded backend: its ``batch_seqs``
    over the samples a problem).

    Where the facts hold the backend's own counts (``backend_decoded``, ``backend_sampled``: a backend that counts
    its tokens), the prediction does the work the backend did: a sample's last sampled token is not decoded, and
    the prompts' tokens decoded are the backend's count less the samples' (a cached prompt prefix is decoded once,
    not once a prompt), placed in each prompt in proportion to its length. Without them, every prompt token is
    prefilled and every sampled token decoded."""
    import pandas as pd

    for need in ("problem_id", "num_completion_tokens", "num_prompt_tokens"):
        if need not in samples.columns:
            raise ValueError(f"the sample table needs column {need!r}; it has {list(samples.columns)}")
    shards = (facts or {}).get("shards") or {}
    if not shards:
        raise ValueError("these facts record no finished shard (a run made before runs recorded their time?)")
    hw = get_hardware(hardware)
    W, D = weight_bytes(model, precision), kv_bytes_per_token(model, precision)
    order = list(pd.unique(samples["problem_id"]))
    by = samples.groupby("problem_id", sort=False)
    rows = []
    for name, fact in sorted(shards.items()):
        start = int(Path(name).stem)
        ids = order[start : start + int(fact["problems"])]
        lengths = [by.get_group(i)["num_completion_tokens"].to_numpy(dtype=float) for i in ids]
        prompts = np.array([float(by.get_group(i)["num_prompt_tokens"].iloc[0]) for i in ids])
        counted = "backend_decoded" in fact
        decoded_samples = sum(float(np.maximum(m - 1, 0).sum()) for m in lengths) if counted else sum(float(m.sum()) for m in lengths)
        prompt_decoded = float(fact["backend_decoded"]) - decoded_samples if counted else float(prompts.sum())
        if not 0 <= prompt_decoded <= prompts.sum():
            raise ValueError(f"{name}: the backend decoded {fact['backend_decoded']} tokens, which its samples ({decoded_samples:g} "
                             f"decoded) and prompts ({prompts.sum():g} tokens) cannot make up")
        tails = prompts * prompt_decoded / prompts.sum()  # each prompt's decoded part, at the end of the prompt
        size = len(ids) if problems_per_batch is None else int(problems_per_batch)
        batches = [slice(b, b + size) for b in range(0, len(ids), size)]
        pre_flops = np.array([float(sum(sequence_flops(model, round(t), start=round(p - t), attention=attention)
                                        for p, t in zip(prompts[b], tails[b]))) for b in batches])
        pre = Traffic(pre_flops, np.array([W + D * tails[b].sum() for b in batches]), W)  # each batch's prompts in one pass
        decs = [shard_traffic(model, [(np.maximum(m - 1, 0) if counted else m, int(p)) for m, p in zip(lengths[b], prompts[b])],
                              precision=precision, attention=attention)[1] for b in batches]
        dec = Traffic(np.concatenate([d.flops for d in decs]), np.concatenate([d.bytes for d in decs]), W)
        prefill, steps = float(step_seconds(pre, hw).sum()), step_seconds(dec, hw)
        bound = dec.flops / hw.peak_flops >= dec.bytes / hw.bandwidth
        row = {"shard": name, "measured s": float(fact["seconds"]), "predicted s": prefill + float(steps.sum()), "tokens": int(fact["tokens"]),
               "prompt tokens decoded": prompt_decoded, "prefill s": prefill, "steps": int(steps.size),
               "compute-bound steps": int(bound.sum()),
               "compute-bound s": float(step_seconds(pre, hw)[pre.flops / hw.peak_flops >= pre.bytes / hw.bandwidth].sum())
               + float(steps[bound].sum())}
        if counted:
            row |= {"backend decoded": int(fact["backend_decoded"]), "backend sampled": int(fact.get("backend_sampled", -1))}
        rows.append(row)
    out = pd.DataFrame(rows).set_index("shard")
    out["measured / predicted"] = out["measured s"] / out["predicted s"]
    return out


def step_seconds(traffic: Traffic, hardware) -> np.ndarray:
    """The roofline time of each step: ``max(flops / peak_flops, bytes / bandwidth)``."""
    hw = get_hardware(hardware)
    return np.maximum(traffic.flops / hw.peak_flops, traffic.bytes / hw.bandwidth)


def eflops(traffic: Traffic, hardware, *, weights: bool = False) -> float:
    """Kinetics' equivalent FLOPs (arXiv:2506.05333): ``FLOPs + I * KV bytes``, I the hardware's ``peak / bandwidth``.
    Kinetics' cost model counts the KV cache's traffic and leaves the weights' read out (its repository's
    ``cost_model/utils.py``); ``weights=True`` adds it."""
    moved = traffic.total_bytes if weights else float((traffic.bytes - traffic.weights).sum())
    return traffic.total_flops + get_hardware(hardware).intensity * moved


def batch_seconds(model, lengths, prompt_tokens: int, hardware, *, shared_prompt: bool = True,
                  precision: Precision = Precision(), attention: str = "kaplan") -> float:
    """Roofline seconds to sample one problem's ``lengths`` in one batch: its prefill plus every decoding step."""
    kw = dict(precision=precision, attention=attention)
    steps = [prefill_traffic(model, prompt_tokens, **kw), decode_traffic(model, lengths, prompt_tokens, shared_prompt=shared_prompt, **kw)]
    return float(sum(step_seconds(s, hardware).sum() for s in steps))


def expected_batch_seconds(model, lengths, prompt_tokens: int, n: int, hardware, *, concurrent: int = 1,
                           precision: Precision = Precision(), attention: str = "kaplan") -> float:
    """Expected roofline seconds of sampling ``n`` of one problem's pool of samples (``lengths``, N of them) in
    one batch, over every n-subset of the pool, exactly: at step t the number of live samples is hypergeometric
    (N, #{m_j >= t}, n). ``concurrent`` problems alike are decoded together, sharing each step's read of the
    weights (the seconds are then those of the whole step; a problem's share of the machine is them over
    ``concurrent``). The prompt is shared by the batch."""
    from scipy.stats import hypergeom

    spec, hw = get_model(model), get_hardware(hardware)
    m = _lengths(lengths, "lengths")
    N, p = m.size, float(whole_numbers(prompt_tokens, "prompt_tokens"))
    if not (isinstance(n, (int, np.integer)) and 1 <= n <= N):
        raise ValueError(f"n must be a whole number from 1 to the pool's {N} samples; got {n!r}")
    if not (isinstance(concurrent, (int, np.integer)) and concurrent >= 1):
        raise ValueError(f"concurrent must be a whole number >= 1 (problems decoded together); got {concurrent!r}")
    if attention not in ATTENTION:
        raise ValueError(f"attention must be one of {sorted(ATTENTION)}; got {attention!r}")
    W, D, C = weight_bytes(model, precision), kv_bytes_per_token(model, precision), float(concurrent)
    prefill = prefill_traffic(model, int(p), precision=precision, attention=attention)
    total = max(C * prefill.total_flops / hw.peak_flops, (W + C * (prefill.total_bytes - W)) / hw.bandwidth)
    t = np.arange(1, int(m.max()) + 1, dtype=float)
    K = (m[None, :] >= t[:, None]).sum(1)  # samples of the pool still live at step t
    live = np.arange(n + 1, dtype=float)
    prob = hypergeom.pmf(live[None, :], N, K[:, None], n)  # (T, n + 1): P(l of the n drawn are live at step t)
    per_token = flops_per_token(model, p + t, attention=attention)
    step = np.maximum(C * live[None, :] * per_token[:, None] / hw.peak_flops,
                      (W + C * D * (p + live[None, :] * t[:, None])) / hw.bandwidth)
    step[:, 0] = 0.0  # no sample live: no step
    return float(total + (prob * step).sum())


def equal_length_cost(model, k, completion_tokens: int, prompt_tokens: int, hardware, *, precision: Precision = Precision(),
                      attention: str = "kaplan") -> dict[str, np.ndarray]:
    """Cost of k samples of one problem, all ``completion_tokens`` (m) long after a shared prompt of p tokens,
    decoded as one batch, for every k in ``k`` (an array): "flops" (``S(0, p) + k S(p, m)``), "bytes" (the prefill's
    ``W + D p``, then ``m W + D (p m + k m (m + 1) / 2)``), "seconds" (the roofline, step by step) and "eflops"
    (Kinetics': flops + I * the KV bytes, the weights' read left out as in its cost model). What a coverage curve at k
    samples costs when only a length per sample is known (the Pythia counts)."""
    spec, hw = get_model(model), get_hardware(hardware)
    ks = whole_numbers(k, "k")
    m, p = float(whole_numbers(completion_tokens, "completion_tokens")), float(whole_numbers(prompt_tokens, "prompt_tokens"))
    if np.any(ks < 1):
        raise ValueError("k must be >= 1 (samples per problem)")
    if attention not in ATTENTION:
        raise ValueError(f"attention must be one of {sorted(ATTENTION)}; got {attention!r}")
    if m + p > spec.context:
        raise ValueError(f"prompt + completion = {int(p + m)} tokens exceeds the context of {spec.name} ({spec.context})")
    W, D = weight_bytes(model, precision), kv_bytes_per_token(model, precision)
    pre = prefill_traffic(model, int(p), precision=precision, attention=attention)
    flops = pre.total_flops + ks * float(sequence_flops(model, m, start=p, attention=attention))
    nbytes = pre.total_bytes + m * W + D * (p * m + ks * m * (m + 1) / 2)
    t = np.arange(1, int(m) + 1, dtype=float)
    per_token = flops_per_token(model, p + t, attention=attention)  # (m,)
    steps = np.maximum(ks[:, None] * per_token[None, :] / hw.peak_flops, (W + D * (p + ks[:, None] * t[None, :])) / hw.bandwidth)
    seconds = float(step_seconds(pre, hw).sum()) + steps.sum(1)
    kv = nbytes - W * (1 + m)  # the prefill's and the m steps' weight reads left out
    return {"flops": flops, "bytes": nbytes, "seconds": seconds, "eflops": flops + hw.intensity * kv}


def per_solved(cost, solved, *, n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> tuple[float, float, float]:
    """Cost per solved problem, ``sum(cost) / sum(solved)`` over problems (``solved``: each problem's chance of being
    solved, in [0, 1]), with a percentile bootstrap interval over problems (a ratio of two means: the problems are
    resampled together). Infinite where nothing is solved."""
    c, v = np.asarray(cost, dtype=float), np.asarray(solved, dtype=float)
    if c.shape != v.shape or c.ndim != 1 or c.size == 0:
        raise ValueError(f"cost and solved must be 1-d arrays of one value per problem; got shapes {c.shape} and {v.shape}")
    if np.any(~np.isfinite(c)) or np.any(c < 0) or np.any(~np.isfinite(v)) or np.any((v < 0) | (v > 1)):
        raise ValueError("cost must be finite and >= 0, solved in [0, 1]")
    ratio = lambda cs, vs: np.where(vs > 0, cs / np.where(vs > 0, vs, 1.0), np.inf)  # noqa: E731
    rows = np.random.default_rng(seed).integers(0, c.size, size=(n_boot, c.size))
    boot = ratio(c[rows].sum(1), v[rows].sum(1))
    with np.errstate(invalid="ignore"):  # resamples that solve nothing: an infinite cost, kept in the ordering
        lo, hi = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2], method="inverted_cdf")
    return float(ratio(c.sum(), v.sum())), float(lo), float(hi)


def rounds_seconds(tokens, context, r: int, model, hardware, *, ps=None, precision: Precision = Precision(),
                   attention: str = "kaplan", max_subsets: int = 10_000) -> np.ndarray:
    """Roofline seconds on the critical path of p chains of ``r`` rounds (sequential revisions, ``ttslib.sequential``):
    the rounds wait on each other, so their times add up; within a round the p chains are one batch, each reading
    its own context (the prompt and the attempts it revises, nothing carried from the round before, as
    ``ttslib.sequential.round_flops`` counts them) and writing its tokens (:func:`shard_traffic`, one chain a
    group). ``tokens`` and ``context``: (P, C, R). Returns (P, K) for p in ``ps`` (default 1..C), the expectation
    over the p-subsets of the C chains by enumeration (refused beyond ``max_subsets`` subsets a problem)."""
    import itertools

    m, x = whole_numbers(tokens, "tokens"), whole_numbers(context, "context")
    if m.ndim != 3 or m.shape != x.shape:
        raise ValueError(f"tokens and context must be (P, C, R) arrays of one shape; got {m.shape} and {x.shape}")
    P, C, R = m.shape
    if not (isinstance(r, (int, np.integer)) and 1 <= r <= R):
        raise ValueError(f"r must be a whole number of rounds from 1 to {R}; got {r!r}")
    ps = np.arange(1, C + 1) if ps is None else np.asarray(ps, dtype=int)
    if ps.ndim != 1 or ps.size == 0 or ps.min() < 1 or ps.max() > C:
        raise ValueError(f"ps must be chain counts in 1..C = {C}; got {ps!r}")
    count = {int(p): math.comb(C, int(p)) for p in ps}
    if max(count.values()) > max_subsets:
        raise ValueError(f"{max(count.values())} subsets of {C} chains a problem is more than max_subsets = {max_subsets}")
    hw = get_hardware(hardware)

    def round_time(i: int, j: int, chains) -> float:
        pre, dec = shard_traffic(model, [([m[i, c, j]], x[i, c, j]) for c in chains], precision=precision, attention=attention)
        return float(step_seconds(pre, hw).sum() + step_seconds(dec, hw).sum())

    out = np.zeros((P, ps.size))
    for i in range(P):
        for k, p in enumerate(ps):
            out[i, k] = np.mean([sum(round_time(i, j, chains) for j in range(r)) for chains in itertools.combinations(range(C), int(p))])
    return out


def search_seconds(rounds, model, hardware, *, verifier_model=None, prompt_tokens: int | None = None,
                   precision: Precision = Precision(), attention: str = "kaplan") -> float:
    """Roofline seconds of one problem's search on its critical path (``ttslib.search``'s ``search_rounds``: the
    JSON text or its parsed list). The steps of a search wait on each other, so their times add up; within a step:
    - what was prefilled (the prompt, a re-sent or re-read partial solution) is one pass: its FLOPs
      (``ttslib.flops.sequence_flops`` after each piece's position), the weights read once, each token's KV written;
    - each sequential decoding pass (the expansion, then each lookahead step) decodes every child together, the
      children of one parent sharing its context (:func:`shard_traffic`'s decode, a parent a group), and the prompt
      all parents start with read once a step for all of them, as sampling's shared prompt is;
    - the verifier, where ``verifier_model`` is given (None: free, as a rule or a checker is), reads what it scored
      in one pass: the step's partial solutions, each of the mean length, weights read once.
    The problem runs alone on the machine; a batch of problems decoded together shares each step's weight reads.
    The first piece prefilled is the prompt, or the part of it the run's backend did not hold in its cache (the
    embedded backend keeps a few-shot prefix shared by the problems of a shard); ``prompt_tokens`` costs the whole
    prompt there instead, as a problem alone would prefill it (and as :func:`batch_seconds` costs sampling's)."""
    if isinstance(rounds, str):
        rounds = json.loads(rounds)
    if not isinstance(rounds, list) or not rounds:
        raise ValueError("rounds must be a search's non-empty list of steps (its search_rounds)")
    if prompt_tokens is not None:
        p = int(whole_numbers(prompt_tokens, "prompt_tokens"))
        first = dict(rounds[0]) if isinstance(rounds[0], dict) else rounds[0]
        if isinstance(first, dict) and isinstance(first.get("prefill"), list):
            first["prefill"] = [[0, p]] + first["prefill"][1:]
            rounds = [first] + list(rounds[1:])
    hw = get_hardware(hardware)
    W, D = weight_bytes(model, precision), kv_bytes_per_token(model, precision)
    try:  # the prompt every partial solution starts with: its KV read once a decoding step for all of them
        shared = int(prompt_tokens) if prompt_tokens is not None else int(rounds[0]["decode"][0][0][0])
    except (KeyError, IndexError, TypeError, ValueError):
        shared = 0
    total = 0.0
    for j, step in enumerate(rounds):
        try:
            prefill, passes, scored, read = step["prefill"], step["decode"], int(step["scored"]), float(step["verifier"])
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"step {j} of the rounds is not a search_rounds entry (prefill, decode, scored, verifier): {step!r}"[:300]) from None
        if prefill:
            where = whole_numbers([x[0] for x in prefill], "prefill positions")
            tokens = whole_numbers([x[1] for x in prefill], "prefill tokens")
            flops = float(np.sum(sequence_flops(model, tokens, start=where, attention=attention)))
            total += float(step_seconds(Traffic(np.array([flops]), np.array([W + D * tokens.sum()]), W), hw).sum())
        for groups in passes:
            groups = [(np.asarray(kids, dtype=float), int(start)) for start, kids in groups if len(kids) and max(kids) > 0]
            if groups:
                total += float(step_seconds(_pass_traffic(model, groups, shared, precision, attention), hw).sum())
        if verifier_model is not None and scored and read > 0:
            length = max(round(read / scored), 1)
            flops = scored * float(sequence_flops(verifier_model, length, attention=attention))
            Wv = weight_bytes(verifier_model, precision)
            traffic = Traffic(np.array([flops]), np.array([Wv + kv_bytes_per_token(verifier_model, precision) * read]), Wv)
            total += float(step_seconds(traffic, hw).sum())
    return total


def _pass_traffic(model, groups, shared: int, precision: Precision, attention: str) -> Traffic:
    """One decoding pass of a search step: every parent's children decoded together (:func:`shard_traffic`'s
    decode, a parent a group), except that the prompt all parents start with is read once a step for all of
    them, as sampling's shared prompt is (:func:`decode_traffic`), and each parent reads the rest of its context."""
    D = kv_bytes_per_token(model, precision)
    traffic = shard_traffic(model, groups, precision=precision, attention=attention)[1]
    t = np.arange(1, traffic.flops.size + 1)
    parents = np.array([(m[None, :] >= t[:, None]).any(1) for m, _ in groups]).sum(0)  # parents with a live child at step t
    p = np.minimum(shared, min(start for _, start in groups))
    return Traffic(traffic.flops, traffic.bytes - D * p * np.maximum(parents - 1, 0), traffic.weights)


def critical_path(rounds) -> float:
    """Seconds of rounds that wait on each other (revisions; the steps of a search): their sum. Each round's
    own samples run in parallel, so a round is :func:`batch_seconds` of its batch, not tokens over throughput."""
    r = np.asarray(rounds, dtype=float)
    if np.any(~np.isfinite(r)) or np.any(r < 0):
        raise ValueError(f"round seconds must be finite and >= 0; got {r.tolist()[:5]}")
    return float(r.sum())


def prices_version() -> str:
    """The installed genai-prices, whose packaged data every :class:`ApiPrice` reads."""
    from importlib.metadata import version

    return version("genai-prices")


@dataclass(frozen=True)
class ApiPrice:
    """An API's dollars per token for ``model`` at ``provider``, as genai-prices' packaged data gives them for
    the date ``as_of`` (a ``datetime.date``; prices change, so the date is part of the scenario)."""

    provider: str
    model: str
    as_of: _dt.date

    def __post_init__(self):
        if not isinstance(self.as_of, _dt.date):
            raise TypeError(f"as_of must be a datetime.date (the day the prices apply); got {self.as_of!r}")
        self._rates()  # an unpriced model fails here, naming itself

    @property
    def dated(self) -> bool:
        """Whether the price data gives this model prices that change by date (else one price, with no date)."""
        from genai_prices import data_snapshot

        _, info = data_snapshot.get_snapshot().find_provider_model(self.model, None, self.provider, None)
        return isinstance(info.prices, list)

    @property
    def source(self) -> str:
        when = (f"prices as of {self.as_of.isoformat()}" if self.dated
                else f"one price with no date in the data (asked for {self.as_of.isoformat()})")
        return f"genai-prices {prices_version()} (packaged data), {when}"

    def _calc(self, input_tokens: int, output_tokens: int):
        from genai_prices import Usage, calc_price

        when = _dt.datetime.combine(self.as_of, _dt.time(12), tzinfo=_dt.timezone.utc)
        try:
            return calc_price(Usage(input_tokens=int(input_tokens), output_tokens=int(output_tokens)), model_ref=self.model,
                              provider_id=self.provider, genai_request_timestamp=when)
        except LookupError as e:
            raise LookupError(f"genai-prices {prices_version()} has no price for model {self.model!r} at provider "
                              f"{self.provider!r}: {e}") from None

    def _rates(self) -> tuple[Decimal, Decimal]:
        """Dollars per input and per output token, as a request of 1,000 of each is priced (where a price is tiered
        by prompt length: its first tier)."""
        p = self._calc(1000, 1000)
        return Decimal(p.input_price) / 1000, Decimal(p.output_price) / 1000

    def per_million(self) -> tuple[float, float]:
        """Dollars per million input and per million output tokens."""
        i, o = self._rates()
        return float(i * 10**6), float(o * 10**6)

    def dollars(self, input_tokens, output_tokens) -> np.ndarray:
        """Dollars for ``input_tokens`` and ``output_tokens`` (arrays broadcast; whole numbers >= 0), at the
        per-token rates of :meth:`per_million`."""
        i, o = np.broadcast_arrays(whole_numbers(input_tokens, "input_tokens"), whole_numbers(output_tokens, "output_tokens"))
        per_in, per_out = self._rates()
        out = [float(Decimal(int(a)) * per_in + Decimal(int(b)) * per_out) for a, b in zip(i.ravel(), o.ravel())]
        return np.array(out).reshape(i.shape)


@dataclass(frozen=True)
class SelfHosted:
    """An accelerator rented or owned at ``dollars_per_hour`` (no default: state what you pay), whose roofline
    seconds are what a run costs."""

    hardware: Hardware | str
    dollars_per_hour: float

    def __post_init__(self):
        object.__setattr__(self, "hardware", get_hardware(self.hardware))
        v = self.dollars_per_hour
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise ValueError(f"dollars_per_hour must be a positive number (what one {self.hardware.name} costs an hour); got {v!r}")

    def dollars(self, seconds) -> np.ndarray:
        s = np.asarray(seconds, dtype=float)
        if np.any(~np.isfinite(s)) or np.any(s < 0):
            raise ValueError("seconds must be finite and >= 0")
        return s * self.dollars_per_hour / 3600.0


@dataclass(frozen=True)
class Scenario:
    """A named way to pay for samples: an API's prices (:class:`ApiPrice`: dollars only, its seconds unknown), or an
    accelerator at a stated price (:class:`SelfHosted`) running the registry ``model`` in ``precision``, with
    ``concurrent`` problems decoded together (seconds: a problem's batch on the roofline; dollars: its share of
    the machine, the seconds over ``concurrent``)."""

    name: str
    price: ApiPrice | SelfHosted
    model: str | None = None
    precision: Precision = Precision()
    concurrent: int = 1
    prompt_once: bool = False  # an API: bill a problem's prompt once (n samples in one request) or with every sample

    def __post_init__(self):
        if not isinstance(self.price, (ApiPrice, SelfHosted)):
            raise TypeError(f"scenario {self.name!r}: price must be a ttslib.cost.ApiPrice or SelfHosted; got {self.price!r}")
        if isinstance(self.price, SelfHosted):
            if self.model is None:
                raise ValueError(f"scenario {self.name!r}: a self-hosted scenario needs the registry model it runs (for its roofline)")
            get_model(self.model)
        if not (isinstance(self.concurrent, int) and self.concurrent >= 1):
            raise ValueError(f"scenario {self.name!r}: concurrent must be a whole number >= 1; got {self.concurrent!r}")

    @property
    def has_seconds(self) -> bool:
        return isinstance(self.price, SelfHosted)

    @property
    def source(self) -> str:
        if isinstance(self.price, ApiPrice):
            return f"{self.price.model} at {self.price.provider}: {self.price.source}"
        hw = self.price.hardware
        return (f"{self.model} on {hw.name} ({hw.source}) at ${self.price.dollars_per_hour:g} an hour (stated), "
                f"{self.concurrent} problem(s) at a time, {self.precision.weights:g}-byte weights, {self.precision.kv:g}-byte KV")

    def sample_costs(self, lengths, prompt_tokens: int, ns) -> tuple[np.ndarray | None, np.ndarray]:
        """(seconds or None, dollars) of drawing each n in ``ns`` of one problem's pool of sample ``lengths``: the
        expectation over n-subsets."""
        m = _lengths(lengths, "lengths")
        ns = np.asarray(ns, dtype=int)
        if isinstance(self.price, ApiPrice):
            per_in, per_out = (x / 1e6 for x in self.price.per_million())
            prompts = np.ones_like(ns) if self.prompt_once else ns  # one request for all n samples, or one a sample
            return None, prompts * prompt_tokens * per_in + ns * m.mean() * per_out
        hw = self.price.hardware
        seconds = np.array([expected_batch_seconds(self.model, m, prompt_tokens, int(n), hw, concurrent=self.concurrent,
                                                   precision=self.precision) for n in ns])
        return seconds, self.price.dollars(seconds / self.concurrent)
