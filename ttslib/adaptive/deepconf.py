"""DeepConf, Deep Think with Confidence (Fu et al. 2025, arXiv:2508.15260), replayed on a pool.

A trace's score is its lowest group confidence c (``ttslib.adaptive.confidence``). Both variants
vote with weights c over the traces they keep; ties split evenly; a missing answer never votes.

* Offline: keep the traces with c >= s, s the (100 - eta)-th percentile of the scores of
  the traces in hand (numpy's linear interpolation), eta = 10 or 90 (the settings issue 31 names; with tied scores more than eta% are kept),
  and vote. Over the whole pool this needs no order: exact. Among n < N random traces it is a
  Monte Carlo mean over orders. Cost: every trace, in full.
* Online: the first ``warmup`` traces of an order (16 in issue 31's description) are generated
  in full and set s as above. Each later trace is stopped at the first full window whose group
  confidence falls below s (it costs the tokens generated until then and casts no vote), or runs
  to its end and votes. Warm-up traces vote when c >= s (our reading). After the warm-up
  and after each later trace, the consensus ``beta = V(top answer) / sum_a V(a)`` (V the summed
  weights) is checked; sampling stops once beta >= ``consensus`` (a setting; None: never),
  or at the cap ``max_samples``. A trace is stopped exactly when c < s, so its cost needs only the
  record lows of its running group confidence (``Pool.lows``, ``Pool.lows_at``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ttslib._majority import winner_correct
from ttslib.adaptive.orders import gather, percentile_first
from ttslib.adaptive.stopping import sample_cap, tally, tally_cells, whole_setting

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
        s = percentile_first(c, 100 - self.eta)[None]
        count, sums = tally_cells(pre.cell[: self.n], c, pool.good.shape[1], (c >= s) & (pre.seq[: self.n] >= 0))
        acc = winner_correct(sums, count > 0, pool.good[:, None, :])
        return acc, np.full(acc.shape, float(self.n)), pre.spent_at(self.n)


def _cut_at(lows, lows_at, rows, bar) -> np.ndarray:
    """Tokens generated when traces ``rows`` (indices into the (p, N) traces, raveled) first fall below
    ``bar`` (one per row): ``lows_at`` at their first record low < bar. Each has one (its lowest is below
    the bar); lows fall along a trace, so the count of lows >= bar is found a column at a time, only for
    the traces still above the bar (most fall at their first few records)."""
    M = lows.shape[-1]
    lows, lows_at = lows.reshape(-1, M), lows_at.reshape(-1, M)
    first = np.zeros(len(rows), dtype=np.intp)
    above = np.arange(len(rows))
    for m in range(M - 1):
        above = above[lows[rows[above], m] >= bar[above]]  # NaN padding compares False
        if not above.size:
            break
        first[above] = m + 1
    return lows_at[rows, first]


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
        L, W, K = sample_cap(self.max_samples, N, self.warmup), self.warmup, pool.good.shape[1]
        # the warm-up, every order at once: its W traces in full, the bar, their votes
        c = gather(pool.confidence, pre.order[:W])  # (W, p, R) scores along the order
        s = percentile_first(c, 100 - self.eta).ravel()  # (p x R,) the bar set by the warm-up
        votes = (c >= s.reshape(p, R)) & (pre.seq[:W] >= 0)
        cells = pre.cell[:L].reshape(L, p * R)
        size = p * (K + 1) * R
        weight = np.bincount(cells[:W].ravel(), np.where(votes, c, 0.0).ravel(), minlength=size)  # sums in draw order
        count = np.bincount(cells[:W].ravel(), votes.ravel(), minlength=size)
        top = weight.reshape(p, K + 1, R).max(1).ravel()  # the leading answer's weight; the no-answer cell stays 0
        total = np.where(votes, c, 0.0).sum(0).ravel()
        # then a trace at a time, for the orders still going only (most stop within a few traces); the
        # going orders' state is kept compact: their index, problem, bar, leading weight, total
        tau = np.full(p * R, L)
        spent = pre.spent_at(W).ravel()  # the warm-up's traces in full; then each later trace's cost
        cuts = []  # (order, trace, bar) of the later traces below their bar: their costs at the end, at once
        going = np.arange(p * R)
        g = [going // R * N, s, top, total]  # base: each order's problem, into the (p, N) tables raveled
        confidence, tokens = pool.confidence.ravel(), pool.tokens.ravel()
        for i in range(W - 1, L):
            base, bar, lead, votes_so_far = g
            if i >= W:
                row = base + pre.order[i].ravel()[going]
                ci = confidence[row]
                vote = (ci >= bar) & (pre.seq[i].ravel()[going] >= 0)
                add = ci * vote
                where = cells[i, going]
                weight[where] += add  # an order's cells are its own: no index repeats
                count[where] += vote
                np.maximum(lead, weight[where], out=lead)  # weights >= 0: only the drawn answer can lead anew
                votes_so_far += add
                low = ci < bar  # stopped at its first record low below the bar; else all of it
                spent[going] += np.where(low, 0.0, tokens[row])
                cuts.append((going[low], row[low], bar[low]))
            if self.consensus is None:
                continue
            hit = (votes_so_far > 0) & (lead >= self.consensus * votes_so_far * (1 - 1e-12))  # 1e-12: summation order
            if hit.any():
                tau[going[hit]] = i + 1
                going, g = going[~hit], [x[~hit] for x in g]
                if not going.size:
                    break
        if cuts:
            which, row, bar = (np.concatenate(x) for x in zip(*cuts))
            spent += np.bincount(which, _cut_at(pool.lows, pool.lows_at, row, bar), minlength=p * R)
        cut = lambda table: table.reshape(p, K + 1, R)[:, :K].transpose(0, 2, 1)  # noqa: E731  (p, R, K)
        acc = winner_correct(cut(weight), cut(count) > 0, pool.good[:, None, :])
        return acc, tau.reshape(p, R).astype(float), spent.reshape(p, R)
