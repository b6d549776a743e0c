"""A global budget shared across problems in two stages (AdaBoN-like, arXiv:2505.12050).

Stage 1 draws ``explore`` samples of every problem. Stage 2 shares out the rest of a budget of
``budget`` x P samples in proportion to each problem's difficulty, estimated from its exploration
samples alone: ``d = 1 - (top answer count) / explore`` (0 when they all agree; a missing answer
agrees with nothing). Shares are capped at the N - explore samples a problem has left (the excess
goes to the others, in proportion again) and rounded by largest remainder (ties by the problems'
seeds, so row order cannot matter). If every problem's exploration agreed, the rest is shared evenly.
The answer is the majority over all of a problem's samples. The difficulty estimate is ours: the
agreement of the votes, which needs no reward model.

The allocation couples the problems: on the r-th order of every problem at once, each problem's
second stage depends on every exploration. Its standard error of the mean over problems is the
spread of the per-order means (``RuleResult.mean_se``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ttslib.adaptive.stopping import whole_setting

__all__ = ["TwoStage", "allocate", "top_count"]


def top_count(seq) -> np.ndarray:
    """(p, R) the largest answer count among the samples seq (p, R, m) (-1: no answer)."""
    p, R, m = seq.shape
    K = int(seq.max(initial=-1)) + 1
    slot = (np.arange(p * R)[:, None] * (K + 1) + np.where(seq < 0, K, seq).reshape(p * R, m)).ravel()
    return np.bincount(slot, minlength=p * R * (K + 1)).reshape(p, R, K + 1)[..., :K].max(-1, initial=0)


def allocate(difficulty, extra: int, cap: int, tiebreak) -> np.ndarray:
    """Whole shares (P, R) of ``extra`` samples per column, in proportion to ``difficulty`` (P, R) >= 0,
    at most ``cap`` each (module docstring); ``tiebreak`` (P,) ints order the problems first."""
    d = np.asarray(difficulty, dtype=float)
    P, R = d.shape
    if not 0 <= extra <= cap * P:
        raise ValueError(f"extra must lie in 0..cap x P = {cap * P}; got {extra}")
    first = np.argsort(np.asarray(tiebreak), kind="stable")  # sums in one order: bit-identical under shuffles
    d = d[first]
    x = np.zeros((P, R))
    for _ in range(P + 1):  # water-filling: each pass fills at least one problem to its cap, or ends
        left = extra - x.sum(0)  # (R,)
        open_ = x < cap
        w = np.where(open_, d, 0.0)
        w = np.where((w.sum(0) > 0)[None, :], w, open_.astype(float))  # every open problem agreed: evenly
        if np.all(left <= 1e-9 * max(extra, 1)):
            break
        x = np.minimum(x + left * w / np.maximum(w.sum(0), 1e-300), cap)
    whole = np.floor(x + 1e-9)
    short = np.rint(extra - whole.sum(0)).astype(np.int64)  # (R,) samples still to give, one each
    rank = np.empty((R, P), dtype=np.int64)
    by = np.lexsort((np.broadcast_to(np.arange(P), (R, P)), -(x - whole).T), axis=-1)  # largest remainder first
    np.put_along_axis(rank, by, np.arange(P)[None, :], axis=-1)
    whole += (rank.T < short[None, :]) & (whole < cap)
    out = np.empty_like(whole, dtype=np.int64)
    out[first] = whole
    return out


@dataclass(frozen=True)
class TwoStage:
    """Two-stage allocation of ``budget`` samples per problem on average, ``explore`` of them first."""

    explore: int = 4
    budget: float = 16
    kind = "coupled"

    def __post_init__(self):
        whole_setting(self.explore, "explore", 1)
        if not float(self.budget) >= self.explore:
            raise ValueError(f"budget must be >= explore = {self.explore} (samples per problem on average); got {self.budget!r}")

    def check(self, N: int) -> None:
        if self.explore > N or self.budget > N:
            raise ValueError(f"explore and budget must be <= N = {N} (the pool's samples per problem); "
                             f"got explore = {self.explore}, budget = {self.budget}")

    def plan(self, explored, N: int, keys) -> np.ndarray:
        """(P, R) samples per problem on each order, from the top answer counts of its exploration (P, R)."""
        P = explored.shape[0]
        extra = int(round(self.budget * P)) - self.explore * P
        return self.explore + allocate(1.0 - explored / self.explore, extra, N - self.explore, keys)

    def values(self, block):
        n = block.plan[self]  # (p, R) samples each problem gets on each order
        pre = block.prefixes
        return pre.share(n), n.astype(float), pre.spent_at(n)
