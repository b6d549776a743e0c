"""Rules that stop sampling one problem once its vote is settled, and the two yardsticks beside them.

* ESC, early-stopping self-consistency (Li et al. 2024, arXiv:2401.10480): draw windows of w samples;
  stop after the first window whose w answers are one and the same answer (a window with a missing
  answer is not unanimous); else stop at the cap L (windows past L are not drawn; the last one may
  be cut). The answer is the majority over every sample drawn.
* Adaptive-Consistency (Aggarwal et al. 2023, arXiv:2305.11860, the Beta criterion): with a >= b the
  two largest answer counts so far, stop once
  ``P = int_{1/2}^1 x^a (1-x)^b dx / int_0^1 x^a (1-x)^b dx = 1 - I_{1/2}(a+1, b+1) >= threshold``
  (I the regularised incomplete Beta function), else at the cap L (40 in the paper); answer: majority.
* Shortest majority vote (arXiv:2502.12215) at a fixed budget n: each answer scores
  ``c_a / mean length of its samples = c_a^2 / sum of their tokens`` among the n drawn, and the top
  score wins. This is our reading of the paper's rule (more votes and shorter solutions both help);
  its code was not consulted.
* Fixed-budget majority at n: exact (``ttslib.selection.majority_vote``); cost n samples and
  n x mean tokens, exact.
* Oracle bound: with hindsight, the first prefix whose top answers are exactly the full pool's top
  answers (so its vote, ties broken at random, returns what the full pool's vote returns). No rule
  that answers by the majority vote of the samples it drew, and returns the full pool's answer on
  this order, stops earlier. A rule may stop earlier by returning another answer (a rule capped
  below N aims at the vote at its cap), or by voting another way (a weighted vote can settle on the
  answer sooner). Accuracy: the full pool's majority, exactly.

Ties split evenly; a missing answer never wins; caps are ``max_samples`` (None: the pool's N).
Every rule's value is a Monte Carlo mean over random orders unless marked exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import betainc

from ttslib._majority import winner_correct
from ttslib.adaptive.orders import gather
from ttslib.selection import majority_vote

__all__ = ["ESC", "AdaptiveConsistency", "ShortestMajority", "FixedMajority", "OracleBound", "ac_stop_probability"]


def whole_setting(value, name, low, high=None):
    if isinstance(value, bool) or not float(value).is_integer() or value < low or (high is not None and value > high):
        span = f">= {low}" if high is None else f"in {low}..{high}"
        raise ValueError(f"{name} must be a whole number {span}; got {value!r}")
    return int(value)


def sample_cap(max_samples, N, low=1) -> int:
    """The cap L: ``max_samples`` in low..N (the pool cannot replay more samples than it holds)."""
    if max_samples is None:
        return N
    if isinstance(max_samples, bool) or not float(max_samples).is_integer() or not low <= max_samples <= N:
        raise ValueError(f"max_samples must be a whole number in {low}..N = {N} (the pool holds N samples per problem); "
                         f"got {max_samples!r}")
    return int(max_samples)


def _stopped(block, tau):
    """(accuracy, samples, tokens) of stopping at tau (p, R) and voting by majority."""
    pre = block.prefixes
    return pre.share(tau), tau.astype(float), pre.spent_at(tau)


def tally(seq, weights, K: int):
    """Per answer, its samples and their summed ``weights`` among seq (n, p, R) -> two (p, R, K) arrays."""
    n, p, R = seq.shape
    slot = (np.where(seq < 0, K, seq) + (np.arange(p * R) * (K + 1)).reshape(p, R)).ravel()
    size = p * R * (K + 1)
    count = np.bincount(slot, minlength=size).reshape(p, R, K + 1)[..., :K].astype(float)
    total = np.bincount(slot, np.broadcast_to(weights, seq.shape).ravel(), minlength=size).reshape(p, R, K + 1)[..., :K]
    return count, total


def tally_cells(cell, weights, K: int, mask=None):
    """:func:`tally` of the samples at ``cell`` (n, p, R) (``Prefixes.cell``: one cell per problem, answer and
    order), those where ``mask`` (n, p, R) holds if given: no cell arithmetic, sums in draw order."""
    n, p, R = cell.shape
    size = p * (K + 1) * R
    w = np.broadcast_to(weights, cell.shape)
    idx, w = (cell.ravel(), w.ravel()) if mask is None else (cell[mask], w[mask])
    per = lambda x: x.reshape(p, K + 1, R)[:, :K].transpose(0, 2, 1)  # noqa: E731  (p, R, K), no answer left out
    return per(np.bincount(idx, minlength=size)).astype(float), per(np.bincount(idx, w, minlength=size))


def ac_stop_probability(a, b) -> np.ndarray:
    """``1 - I_{1/2}(a+1, b+1)``: the posterior probability that the leading answer's share exceeds the
    runner-up's, under a uniform prior (Adaptive-Consistency's Beta criterion, arXiv:2305.11860)."""
    return 1.0 - betainc(np.asarray(a, float) + 1, np.asarray(b, float) + 1, 0.5)


@dataclass(frozen=True)
class ESC:
    """Early-stopping self-consistency: ``window`` w >= 2 samples per window, cap ``max_samples``."""

    window: int = 5
    max_samples: int | None = None
    kind = "orders"

    def __post_init__(self):
        whole_setting(self.window, "window", 2)

    def check(self, N: int) -> None:
        if self.window > N:
            raise ValueError(f"window must be <= N = {N} (the pool's samples per problem); got window = {self.window}")
        sample_cap(self.max_samples, N, low=self.window)

    def values(self, block):
        seq = block.prefixes.seq
        L, w = sample_cap(self.max_samples, seq.shape[0], self.window), self.window
        k = L // w  # full windows within the cap
        win = seq[: k * w].reshape((k, w) + seq.shape[1:])
        same = (win == win[:, :1]).all(1) & (win[:, 0] >= 0)  # (k, p, R) unanimous windows
        tau = np.where(same.any(0), (same.argmax(0) + 1) * w, L)
        return _stopped(block, tau)


@dataclass(frozen=True)
class AdaptiveConsistency:
    """Adaptive-Consistency, Beta criterion: stop once P >= ``threshold`` in (0, 1), cap ``max_samples``."""

    threshold: float = 0.95
    max_samples: int | None = None
    kind = "orders"

    def __post_init__(self):
        if not 0 < float(self.threshold) < 1:
            raise ValueError(f"threshold must lie in (0, 1) (a posterior probability); got {self.threshold!r}")

    def check(self, N: int) -> None:
        sample_cap(self.max_samples, N)

    def values(self, block):
        pre = block.prefixes
        L = sample_cap(self.max_samples, pre.seq.shape[0])
        grid = np.arange(L + 1)
        stop_table = ac_stop_probability(grid[:, None], grid[None, :]) >= self.threshold  # (a, b)
        # P rises with a: per runner-up count b, the least leading count that stops (L + 1: none)
        least = np.where(stop_table.any(0), stop_table.argmax(0), L + 1).astype(pre.top.dtype)
        if not np.array_equal(stop_table, grid[:, None] >= least[None, :]):
            raise AssertionError("the Adaptive-Consistency criterion should rise with the leading count")
        stop = pre.top[1 : L + 1] >= least[pre.second[1 : L + 1]]  # (L, p, R) after 1..L samples
        tau = np.where(stop.any(0), stop.argmax(0) + 1, L)
        return _stopped(block, tau)


@dataclass(frozen=True)
class ShortestMajority:
    """Shortest majority vote among ``n`` random samples: score c_a^2 / tokens_a (module docstring)."""

    n: int
    kind = "orders"

    def __post_init__(self):
        whole_setting(self.n, "n", 1)

    def check(self, N: int) -> None:
        whole_setting(self.n, "n", 1, N)

    def values(self, block):
        pre, pool = block.prefixes, block.pool
        _, p, R = pre.seq.shape
        K = pool.good.shape[1]
        count, length = tally_cells(pre.cell[: self.n], gather(pool.tokens, pre.order[: self.n]), K)
        score = np.where(count > 0, count ** 2 / np.maximum(length, 1), 0.0)
        acc = winner_correct(score, count > 0, pool.good[:, None, :])
        return acc, np.full((p, R), float(self.n)), pre.spent_at(self.n)


@dataclass(frozen=True)
class FixedMajority:
    """Majority vote at a fixed budget ``n``: exact."""

    n: int
    kind = "exact"

    def __post_init__(self):
        whole_setting(self.n, "n", 1)

    def check(self, N: int) -> None:
        whole_setting(self.n, "n", 1, N)

    def exact(self, pool):
        acc = majority_vote(pool.classes, pool.correct, self.n).per_problem[:, 0]
        return acc, np.full(acc.shape, float(self.n)), self.n * pool.tokens.mean(1)

    def values(self, block):  # the same rule along the orders (tests and benchmarks compare the two)
        pre = block.prefixes
        return pre.share(self.n), np.full(pre.seq.shape[1:], float(self.n)), pre.spent_at(self.n)


@dataclass(frozen=True)
class OracleBound:
    """The fewest samples that return the full pool's majority answer, with hindsight."""

    kind = "orders"

    def check(self, N: int) -> None:
        pass

    def values(self, block):
        pre = block.prefixes
        tau = pre.settled[1:].argmax(0) + 1  # always settled at N
        return _stopped(block, tau)
