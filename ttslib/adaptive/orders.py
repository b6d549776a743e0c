"""Random orders of a pool and what every prefix of an order holds, for a block of problems at once.

An order is a uniformly random permutation of a problem's N samples, drawn from the problem's own
seed. A stopping rule reads samples along the order; its decision after i samples depends on the
prefix of length i only, through a few running statistics computed here once for all rules, vectorised over problems x
orders x positions:

* ``top``, ``second`` (rows, N+1): the two largest answer counts a >= b after i samples (b = a on a
  tie; missing answers count for no answer). An increment of answer x to count r lifts a when r > a
  (x was a leader; b is unchanged: it was a or below); otherwise b = max(b, r).
* ``share`` (rows, N+1): the majority vote's expected correctness after i samples, ties split evenly,
  U / T with T the answers at the top count and U the correct ones among them (0 before any answer).
* ``settled`` (rows, N+1): the answers at the top count are exactly those at the top of the whole
  pool, so the vote after i samples returns what the full pool's vote returns.
* ``spent`` (rows, N+1): completion tokens of the first i samples.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["draw_orders", "Prefixes", "prefixes"]


def draw_orders(keys, N: int, R: int) -> np.ndarray:
    """(p, R, N) sample indices: R uniformly random orders per problem, from ``default_rng(key)``."""
    out = np.empty((len(keys), R, N), dtype=np.int16 if N < 2**15 else np.int32)
    for j, key in enumerate(keys):  # one generator per problem: its draws do not depend on its neighbours
        # distinct float64 keys (two equal in 64 draws: ~1e-13), so the unstable sort is still a uniform order
        out[j] = np.random.default_rng(int(key)).random((R, N)).argsort(axis=1)
    return out


class Prefixes(NamedTuple):
    """Running statistics of every prefix of every order (module docstring), positions first:
    ``order`` (N, p, R) the sample index at each position, ``seq`` (N, p, R) its answer class (-1:
    none); ``spent``, ``top``, ``second``, ``share``, ``settled`` (N+1, p, R), index i: after i samples."""

    order: np.ndarray
    seq: np.ndarray
    spent: np.ndarray
    top: np.ndarray
    second: np.ndarray
    share: np.ndarray
    settled: np.ndarray


def gather(per_sample, order) -> np.ndarray:
    """``per_sample`` (p, N) read along orders (N, p, R): out[i, q, r] = per_sample[q, order[i, q, r]]."""
    p, N = per_sample.shape
    return per_sample.ravel()[order + (np.arange(p) * N)[None, :, None]]


def prefixes(classes, good, tokens, order) -> Prefixes:
    """:class:`Prefixes` of orders (p, R, N) of samples with classes (p, N), class correctness (p, K)
    and tokens (p, N). Positions come first in every array, so each running statistic is a few
    whole-array operations per position (module docstring)."""
    p, R, N = order.shape
    K = good.shape[1]
    order = np.ascontiguousarray(order.transpose(2, 0, 1))  # (N, p, R)
    flat = order + (np.arange(p) * N)[None, :, None]  # into the (p, N) tables, raveled
    seq = classes.ravel()[flat]
    spent = np.zeros((N + 1, p, R))
    np.cumsum(tokens.ravel()[flat], axis=0, out=spent[1:])
    slot = np.where(seq < 0, K, seq) + (np.arange(p) * (K + 1))[None, :, None]  # (N, p, R) a cell per problem's answer
    r = running_count(slot.reshape(N, p * R), R, p * (K + 1)).reshape(N, p, R)
    r[seq < 0] = 0  # a missing answer counts for nothing
    a = np.maximum.accumulate(r, axis=0)  # (N, p, R) top count after i + 1 samples
    lift = np.empty(a.shape, dtype=bool)  # the top count rose here (its answer was a leader)
    lift[0], lift[1:] = a[0] > 0, a[1:] > a[:-1]
    b = np.maximum.accumulate(np.where(lift, 0, r), axis=0)  # the runner-up: a lift leaves it, else max(b, r)
    # leaders now: the samples since the last lift whose count equals the top count
    at_top = (r == a) & (r > 0)
    since = np.maximum.accumulate(np.where(lift, np.arange(N)[:, None, None], 0), axis=0)  # (N, p, R) last lift
    sizes = np.bincount(np.where(classes < 0, K, classes).ravel() + np.repeat(np.arange(p) * (K + 1), N),
                        minlength=p * (K + 1)).reshape(p, K + 1)[:, :K]
    leaders = (sizes == sizes.max(1, initial=0)[:, None]) & (sizes > 0)  # (p, K) the full pool's top answers
    flag = lambda table: np.concatenate([table, np.zeros((p, 1), bool)], 1).ravel()[slot]  # noqa: E731
    T, U, W = (_since(at_top & m, since) for m in (True, flag(good), flag(leaders)))
    share = np.zeros((N + 1, p, R))
    share[1:] = np.where(T > 0, U / np.maximum(T, 1), 0.0)
    n_lead = leaders.sum(1)[None, :, None]
    settled = np.empty((N + 1, p, R), dtype=bool)
    settled[0] = n_lead[0] == 0
    settled[1:] = (T == n_lead) & (W == n_lead)
    pad = lambda x: np.concatenate([np.zeros((1, p, R), x.dtype), x], axis=0)  # noqa: E731  index i: after i samples
    return Prefixes(order, seq, spent, pad(a), pad(b), share, settled)


def running_count(cells, R: int, num_cells: int, weights=None) -> np.ndarray:
    """(N, rows) at each position, the count (or summed ``weights``) of its cell so far, itself included.

    ``cells`` (N, rows) ints in 0..num_cells-1, rows = (problems x R) with problem-major cells, so
    one row's cells are its own: a running tally per cell, one gather and one scatter per position.
    """
    N, rows = cells.shape
    flat = cells * R + np.arange(rows)[None, :] % R  # a row's cell, unique to (problem, answer, order)
    tally = np.zeros(num_cells * R, dtype=np.int16 if weights is None and N < 2**15 else np.float64)
    out = np.empty((N, rows), dtype=tally.dtype)
    for i in range(N):  # positions; every row at once
        where = flat[i]
        tally[where] += 1 if weights is None else weights[i]
        out[i] = tally[where]
    return out


def _since(hit, since) -> np.ndarray:
    """How many of ``hit`` (N, p, R) fall in [since_i, i] at each position i."""
    c = np.cumsum(hit, axis=0, dtype=np.int32)
    before = np.take_along_axis(np.concatenate([np.zeros((1,) + c.shape[1:], c.dtype), c], 0), since, 0)
    return c - before
