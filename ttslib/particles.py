"""The maths of particle filtering and REBASE: particle weights, resampling, and REBASE's width allocation.

Particle filtering (Puri et al., arXiv:2502.01618; its_hub ``algorithms/particle_gibbs.py``). A particle's
weight is the logit of its aggregated step scores, ``w = log(r / (1 - r))`` with ``r = agg(scores)`` clipped
to ``[1e-7, 1 - 1e-7]`` and ``agg`` one of ``prod``, ``min``, ``last`` (reward_hub's aggregations). It is
recomputed from the whole prefix at every step, not accumulated. Particles are resampled multinomially, with
replacement, from ``softmax(w / T)``; its_hub has no temperature (``T = 1``), the paper's code has one.
With ``T = 1`` a particle is drawn in proportion to its odds ``r / (1 - r)``.

REBASE (Wu et al., arXiv:2408.00724; ``thu-wyz/inference_scaling`` ``rebase.py``, ``select_softmax``). The
unfinished nodes of a depth, sorted by reward (best first), share the remaining width ``W``: node j gets
``ceil(W_j * exp(R_j / T) / sum_{k >= j} exp(R_k / T))`` children, where ``W_j`` is the width not yet given
to nodes before it; the last node therefore takes what is left, and the widths sum to ``W``. Its config
uses ``T = 0.2``.

Pure functions on arrays: no model, no I/O; ``rng`` is the caller's (a problem's own stream). The settings
of each method are a record (:class:`ParticleFilter`, :class:`Rebase`), which a search run's manifest and rows
and a policy's strategy record (``ttslib.policy.strategy``) hold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ttslib.checks import whole_number

PF_AGGREGATES = ("prod", "min", "last")  # reward_hub's AggregationMethod, less "model" (one score for a whole solution)
PF_RESAMPLE = ("all", "active")  # its_hub: ended particles stay in the pool; the paper's code without --resample-inactive: frozen
CLIP = 1e-7  # its_hub's _inv_sigmoid clips scores to [CLIP, 1 - CLIP] before the logit


@dataclass(frozen=True, order=True)
class ParticleFilter:
    """The settings of particle filtering (module docstring): how step scores become a particle's score
    (``aggregate``), the resampling softmax's ``temperature``, particle Gibbs ``iterations`` (1: plain
    particle filtering) and which particles are redrawn (``resample``: "all", its_hub's, or "active")."""

    aggregate: str = "prod"
    temperature: float = 1.0
    iterations: int = 1
    resample: str = "all"

    def __post_init__(self):
        if self.aggregate not in PF_AGGREGATES:
            raise ValueError(f"pf_aggregate must be one of {PF_AGGREGATES}; got {self.aggregate!r}")
        if self.resample not in PF_RESAMPLE:
            raise ValueError(f"pf_resample must be one of {PF_RESAMPLE}; got {self.resample!r}")
        whole_number(self.iterations, "pf_iterations", minimum=1)
        object.__setattr__(self, "temperature", check_temperature(self.temperature, "pf_temperature"))
        object.__setattr__(self, "iterations", int(self.iterations))

    def __str__(self) -> str:
        return f"{self.aggregate}, T={self.temperature:g}" + (f", {self.iterations} iterations" if self.iterations > 1 else "") \
            + (", ended set aside" if self.resample == "active" else "")


@dataclass(frozen=True, order=True)
class Rebase:
    """The setting of REBASE: the ``temperature`` of its width allocation."""

    temperature: float = 0.2

    def __post_init__(self):
        object.__setattr__(self, "temperature", check_temperature(self.temperature, "rebase_temperature"))

    def __str__(self) -> str:
        return f"T={self.temperature:g}"


def aggregate_scores(scores, how: str) -> float:
    """One score from a prefix's step scores: their product, minimum or last (reward_hub's ``PRMResult``)."""
    s = np.asarray(scores, dtype=float)
    if s.ndim != 1 or s.size == 0:
        raise ValueError(f"scores must be a non-empty 1-D sequence of step scores; got shape {s.shape}")
    if how == "prod":
        return float(np.prod(s))
    if how == "min":
        return float(np.min(s))
    if how == "last":
        return float(s[-1])
    raise ValueError(f"aggregate must be one of {PF_AGGREGATES}; got {how!r}")


def particle_log_weight(scores, aggregate: str = "prod") -> float:
    """A particle's log-weight ``logit(clip(agg(scores)))`` (its_hub's ``_inv_sigmoid`` of the aggregated PRM score)."""
    r = aggregate_scores(scores, aggregate)
    if not 0.0 <= r <= 1.0:
        raise ValueError(f"an aggregated step score must lie in [0, 1]; got {r}")
    r = min(max(r, CLIP), 1.0 - CLIP)
    return float(np.log(r) - np.log1p(-r))


def resampling_probabilities(log_weights, temperature: float = 1.0) -> np.ndarray:
    """``softmax(log_weights / temperature)``, shifted by its maximum: (K,) -> (K,), summing to 1."""
    w = np.asarray(log_weights, dtype=float)
    if w.ndim != 1 or w.size == 0 or not np.isfinite(w).all():
        raise ValueError(f"log_weights must be a non-empty 1-D array of finite numbers; got {w!r}")
    check_temperature(temperature)
    z = (w - w.max()) / temperature
    p = np.exp(z)
    return p / p.sum()


def resample_counts(log_weights, k: int, rng: np.random.Generator, temperature: float = 1.0) -> np.ndarray:
    """How many of ``k`` multinomial draws (with replacement) from ``softmax(log_weights / T)`` each particle gets."""
    return rng.multinomial(int(k), resampling_probabilities(log_weights, temperature))


def rebase_widths(rewards, width: int, temperature: float = 0.2) -> np.ndarray:
    """REBASE's children per node: ``rewards`` sorted best first, (K,) -> (K,) ints summing to ``width``.

    Node j gets ``ceil(W_j * e_j / S_j)`` with ``e = exp(R / T)``, ``S_j = sum_{k >= j} e_k`` and ``W_j`` the width
    left after nodes 0..j-1, never more than ``W_j`` (the reference's float rounding can overshoot by one)."""
    r = np.asarray(rewards, dtype=float)
    if r.ndim != 1 or r.size == 0 or not np.isfinite(r).all():
        raise ValueError(f"rewards must be a non-empty 1-D array of finite numbers; got {r!r}")
    if np.any(np.diff(r) > 0):
        raise ValueError("rewards must be sorted best first (non-increasing)")
    whole_number(width, "width")
    check_temperature(temperature)
    e = np.exp((r - r.max()) / temperature)  # shifted: the ratios are unchanged, and exp cannot overflow
    tails = np.cumsum(e[::-1])[::-1]  # S_j
    out, left = np.zeros(r.size, dtype=int), int(width)
    for j in range(r.size):
        take = min(left, int(np.ceil(left * e[j] / tails[j] - 1e-12)))
        out[j], left = take, left - take
    out[-1] += left  # the last ratio is 1: it takes the rest (only rounding could leave any)
    return out


def check_temperature(temperature, name: str = "temperature") -> float:
    """``temperature`` as a float, or a ValueError naming ``name`` unless it is a finite number > 0."""
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.integer, np.floating)) \
            or not np.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"{name} must be a finite number > 0; got {temperature!r}")
    return float(temperature)
