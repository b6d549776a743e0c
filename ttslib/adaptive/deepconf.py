"""DeepConf, Deep Think with Confidence (Fu et al. 2025, arXiv:2508.15260), replayed on a pool.

A trace's score is its lowest group confidence c (``ttslib.adaptive.confidence``). Both variants
vote with weights c over the traces they keep; ties split evenly; a missing answer never votes.

* Offline (Sec. 3.2): keep the traces with c >= s, s the (100 - eta)-th percentile of the scores of
  the traces in hand (numpy's linear interpolation), eta = 10 (DeepConf-low) or 90 (DeepConf-high),
  and vote. Over the whole pool this needs no order: exact. Among n < N random traces it is a
  Monte Carlo mean over orders. Cost: every trace, in full.
* Online (Sec. 3.3, Alg. 2): the first ``warmup`` traces of an order (16 in the paper) are generated
  in full and set s as above. Each later trace is stopped at the first full window whose group
  confidence falls below s (it costs the tokens generated until then and casts no vote), or runs
  to its end and votes. Warm-up traces vote when c >= s, as in the paper's code. After the warm-up
  and after each later trace, the consensus ``beta = V(top answer) / sum_a V(a)`` (V the summed
  weights) is checked; sampling stops once beta >= ``consensus`` (0.95 in the paper; None: never),
  or at the cap ``max_samples``. A trace is stopped exactly when c < s, so its cost needs only the
  record lows of its running group confidence (``Pool.lows``, ``Pool.lows_at``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ttslib._majority import winner_correct
from ttslib.adaptive.orders import gather, running_count
from ttslib.adaptive.stopping import sample_cap, whole_setting, tally

__all__ = ["DeepConfOffline", "DeepConfOnline"]


def _check_eta(eta):
    if not 0 < float(eta) < 100:
        raise ValueError(f"eta must lie in (0, 100) (the percentage of traces kept); got {eta!r}")


def _weighted_share(classes, weights, voting, good):
    """Correct share of the vote of the ``voting`` samples (n, p, R) with ``weights`` (n, p, R); classes
    (n, p, R), good (p, K) -> (p, R)."""
    count, sums = tally(np.where(voting, classes, -1), weights, good.shape[1])
    return winner_correct(sums, count > 0, good[:, None, :])


def _need_confidence(pool, what):
    if pool.confidence is None:
        raise ValueError(f"{what} needs the traces' confidence: pass confidence= (or lows=, lows_at=) to make_pool")


@dataclass(frozen=True)
class DeepConfOffline:
    """DeepConf offline: keep the top ``eta`` % of ``n`` traces (None: the whole pool, exact) by confidence."""

    eta: float = 10
    n: int | None = None

    @property
    def kind(self) -> str:
        return "exact" if self.n is None else "orders"

    def __post_init__(self):
        _check_eta(self.eta)
        if self.n is not None:
            whole_setting(self.n, "n", 1)

    def check(self, N: int) -> None:
        if self.n is not None:
            whole_setting(self.n, "n", 1, N)

    def exact(self, pool):
        _need_confidence(pool, "DeepConfOffline")
        c = pool.confidence
        s = np.percentile(c, 100 - self.eta, axis=1, keepdims=True)
        keep = ((c >= s) & (pool.classes >= 0)).T[:, :, None]
        acc = _weighted_share(pool.classes.T[:, :, None], c.T[:, :, None], keep, pool.good)[:, 0]
        N = c.shape[1]
        return acc, np.full(acc.shape, float(N)), pool.tokens.sum(1)

    def values(self, block):
        pool, pre = block.pool, block.prefixes
        _need_confidence(pool, "DeepConfOffline")
        c = gather(pool.confidence, pre.order[: self.n])  # (n, p, R)
        s = np.percentile(c, 100 - self.eta, axis=0, keepdims=True)
        seq = pre.seq[: self.n]
        acc = _weighted_share(seq, c, (c >= s) & (seq >= 0), pool.good)
        return acc, np.full(acc.shape, float(self.n)), pre.spent[self.n]


@dataclass(frozen=True)
class DeepConfOnline:
    """DeepConf online: ``warmup`` traces set the bar at percentile 100 - ``eta``; later traces below it
    stop early; stop at ``consensus`` (None: never) or ``max_samples`` (None: the pool's N)."""

    eta: float = 10
    warmup: int = 16
    consensus: float | None = 0.95
    max_samples: int | None = None
    kind = "orders"

    def __post_init__(self):
        _check_eta(self.eta)
        whole_setting(self.warmup, "warmup", 1)
        if self.consensus is not None and not 0 < float(self.consensus) <= 1:
            raise ValueError(f"consensus must lie in (0, 1] (a share of the weighted vote) or be None; got {self.consensus!r}")

    def check(self, N: int) -> None:
        if self.warmup > N:
            raise ValueError(f"warmup must be <= N = {N} (the pool's samples per problem); got warmup = {self.warmup}")
        sample_cap(self.max_samples, N, low=self.warmup)

    def values(self, block):
        pool, pre = block.pool, block.prefixes
        _need_confidence(pool, "DeepConfOnline")
        if pool.lows is None:
            raise ValueError("DeepConfOnline needs each trace's record lows (where it would stop): pass lows= and "
                             "lows_at= (from confidence_lows) to make_pool")
        N, p, R = pre.seq.shape
        L, W = sample_cap(self.max_samples, N, self.warmup), self.warmup
        order, seq = pre.order[:L], pre.seq[:L]
        c = gather(pool.confidence, order)  # (L, p, R) scores along the order
        s = np.percentile(c[:W], 100 - self.eta, axis=0)  # (p, R) the bar set by the warm-up
        votes = (c >= s) & (seq >= 0)  # (L, p, R) the traces that vote, if drawn
        tau = self._stop(seq, np.where(votes, c, 0.0), pool.good.shape[1], W)
        live = np.arange(L)[:, None, None] < tau
        acc = _weighted_share(seq, c, votes & live, pool.good)
        # a trace's cost: all of it, unless it came after the warm-up and fell below the bar; then the
        # tokens up to its first record low below the bar (lows fall along a trace: count those >= s)
        cost = gather(pool.tokens, order)
        cut = live & (c < s) & (np.arange(L) >= W)[:, None, None]
        i, q, r = np.nonzero(cut)
        trace = order[i, q, r]
        lows, at = pool.lows[q, trace], pool.lows_at[q, trace]  # (cuts, M)
        first_below = (lows >= s[q, r][:, None]).sum(1)  # NaN padding compares False
        cost[i, q, r] = at[np.arange(len(i)), np.minimum(first_below, lows.shape[1] - 1)]
        return acc, tau.astype(float), np.where(live, cost, 0.0).sum(0)

    def _stop(self, seq, vote, K, W):
        """(p, R) traces drawn: the first i >= W at which the weighted vote's top share reaches consensus."""
        L, p, R = seq.shape
        if self.consensus is None:
            return np.full((p, R), L)
        cells = np.where(seq < 0, K, seq) + (np.arange(p) * (K + 1))[None, :, None]
        mine = running_count(cells.reshape(L, p * R), R, p * (K + 1), vote.reshape(L, p * R)).reshape(L, p, R)
        top = np.maximum.accumulate(np.where(seq >= 0, mine, 0.0), axis=0)  # the leading answer's weight
        total = np.cumsum(vote, axis=0)
        reached = (total > 0) & (top >= self.consensus * total * (1 - 1e-12))  # (L, p, R); 1e-12: summation order
        reached[: W - 1] = False
        return np.where(reached.any(0), reached.argmax(0) + 1, L)
