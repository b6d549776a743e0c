"""Random orders of a pool and what every prefix of an order holds, for a block of problems at once.

An order is a uniformly random permutation of a problem's N samples, drawn from the problem's own
seed. A stopping rule reads samples along the order; its decision after i samples depends on the
prefix of length i only, through a few running statistics computed here once for all rules, vectorised over problems x
orders x positions:

* ``top``, ``second`` (rows, N+1): the two largest answer counts a >= b after i samples (b = a on a
  tie; missing answers count for no answer). An increment of answer x to count r lifts a when r > a
  (x was a leader; b is unchanged: it was a or below); otherwise b = max(b, r).
* ``leading``, ``right`` (rows, N+1): T the answers at the top count after i samples and U the correct
  ones among them; the majority vote's expected correctness, ties split evenly, is U / T (0 before any
  answer): ``Prefixes.share(i)`` at the positions a rule stops.
* ``settled`` (rows, N+1): the answers at the top count are exactly those at the top of the whole
  pool, so the vote after i samples returns what the full pool's vote returns.
* ``spent`` (rows, N+1): completion tokens of the first i samples.

Counts are int16 (a pool holds fewer than 2^15 samples per problem) and tokens int64, so the tables
of a block take a few bytes per element and sum exactly.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["draw_orders", "Prefixes", "prefixes", "at", "running", "percentile_first", "running_count"]


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
    none), ``cell`` (N, p, R) a tally cell of its (problem, answer, order), ``(q (K + 1) + answer) R + r``
    (answer K: none); ``spent``, ``top``, ``second``, ``leading``, ``right``, ``settled`` (N+1, p, R),
    index i: after i samples."""

    order: np.ndarray
    seq: np.ndarray
    cell: np.ndarray
    spent: np.ndarray
    top: np.ndarray
    second: np.ndarray
    leading: np.ndarray
    right: np.ndarray
    settled: np.ndarray

    def share(self, i) -> np.ndarray:
        """(p, R) the majority vote's expected correctness after ``i`` samples: an int, or (p, R) positions."""
        T, U = (at(table, i) for table in (self.leading, self.right))
        return np.where(T > 0, U / np.maximum(T, 1), 0.0)

    def spent_at(self, i) -> np.ndarray:
        """(p, R) tokens of the first ``i`` samples (an int, or (p, R) positions), as floats."""
        return at(self.spent, i).astype(float)


def at(table, i) -> np.ndarray:
    """table (N+1, p, R) at position ``i``: an int, or (p, R) positions."""
    if np.ndim(i) == 0:
        return table[int(i)]
    return np.take_along_axis(table, np.asarray(i)[None].astype(np.intp), 0)[0]


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
    flat = order + (np.arange(p, dtype=order.dtype if p * N < 2**15 else np.int64) * N)[None, :, None]  # into (p, N), raveled
    seq = classes.astype(np.int16 if K < 2**15 else np.int64).ravel()[flat]
    spent = np.zeros((N + 1, p, R), dtype=np.int64)
    spent[1:] = running(np.add, np.asarray(tokens).astype(np.int64).ravel()[flat])
    slot = np.where(seq < 0, K, seq).astype(np.int32 if p * (K + 1) * R < 2**31 else np.int64)
    slot += (np.arange(p, dtype=slot.dtype) * (K + 1))[None, :, None]  # (problem, answer): a row of (p, K + 1) tables
    cell = slot * R + np.arange(R, dtype=slot.dtype)  # (problem, answer, order): an order's cells are its own
    r = running_count(cell, p * (K + 1) * R)
    r[seq < 0] = 0  # a missing answer counts for nothing
    a = running(np.maximum, r)  # (N, p, R) top count after i + 1 samples
    lift = np.empty(a.shape, dtype=bool)  # the top count rose here (its answer was a leader)
    lift[0], lift[1:] = a[0] > 0, a[1:] > a[:-1]
    b = running(np.maximum, np.where(lift, 0, r))  # the runner-up: a lift leaves it, else max(b, r)
    # leaders now: the samples since the last lift whose count equals the top count
    at_top = (r == a) & (r > 0)
    sizes = np.bincount(np.where(classes < 0, K, classes).ravel() + np.repeat(np.arange(p) * (K + 1), N),
                        minlength=p * (K + 1)).reshape(p, K + 1)[:, :K]
    leaders = (sizes == sizes.max(1, initial=0)[:, None]) & (sizes > 0)  # (p, K) the full pool's top answers
    flag = lambda table: np.concatenate([table, np.zeros((p, 1), bool)], 1).ravel()[slot]  # noqa: E731
    if N < 2**10:  # T, U, W in one pass: three 10-bit counts packed in an int32 (each at most N)
        code = np.concatenate([1 + (good << 10) + (leaders.astype(np.int32) << 20), np.zeros((p, 1), np.int32)], 1)
        packed = _since_lift(np.where(at_top, code.astype(np.int32).ravel()[slot], 0), lift)
        T, U, W = packed & 1023, (packed >> 10) & 1023, packed >> 20
    else:
        T, U, W = (_since_lift(at_top & m, lift) for m in (True, flag(good), flag(leaders)))
    n_lead = leaders.sum(1)[None, :, None]
    settled = np.empty((N + 1, p, R), dtype=bool)
    settled[0] = n_lead[0] == 0
    settled[1:] = (T == n_lead) & (W == n_lead)
    pad = lambda x: np.concatenate([np.zeros((1, p, R), x.dtype), x], axis=0)  # noqa: E731  index i: after i samples
    return Prefixes(order, seq, cell, spent, pad(a), pad(b), pad(T), pad(U), settled)


def running_count(cell, num_cells: int, weights=None) -> np.ndarray:
    """(N, p, R) at each position, the count (or summed ``weights``) of its cell so far, itself included.

    ``cell`` (N, p, R) as ``Prefixes.cell``: one order's cells are its own, so a running tally
    per cell is one gather and one scatter per position, every order at once.
    """
    N = cell.shape[0]
    tally = np.zeros(num_cells, dtype=np.int16 if weights is None and N < 2**15 else np.float64)
    out = np.empty(cell.shape, dtype=tally.dtype)
    for i in range(N):  # positions; every row at once
        where = cell[i]
        tally[where] += 1 if weights is None else weights[i]
        out[i] = tally[where]
    return out


def _since_lift(hit, lift) -> np.ndarray:
    """How many of ``hit`` (N, p, R) fall at or after the last ``lift`` up to each position i (int16); ``hit``
    may also hold packed counts (ints whose bit fields each count, none overflowing into the next).

    The running count c is nondecreasing and so is the position of the last lift, so the count before
    that lift is the running maximum of c just before each lift: one accumulate, no gather."""
    c = running(np.add, hit.astype(np.int16 if hit.shape[0] < 2**15 else np.int32) if hit.dtype == bool else hit)
    before = np.zeros_like(c)
    np.multiply(c[:-1], lift[1:], out=before[1:])
    return c - running(np.maximum, before)


def running(ufunc, x) -> np.ndarray:
    """``ufunc.accumulate(x, axis=0)`` (np.add: cumsum, np.maximum: running max), a position at a time.

    Same values, same order of operations; numpy's accumulate along the first axis walks each column
    with a stride and takes about 20x longer on these (N, p, R) tables than N whole-row operations."""
    out = np.array(x, copy=True)
    for i in range(1, len(out)):
        ufunc(out[i], out[i - 1], out=out[i])
    return out


def percentile_first(x, q) -> np.ndarray:
    """``np.percentile(x, q, axis=0)`` (linear interpolation), through a sort along the first axis.

    numpy's percentile partitions each column with a stride; sorting the (n, p, R) table along its first
    axis is several times faster. The interpolation is numpy's own (``_lerp``), so the bar equals it
    bit for bit and ``c >= bar`` keeps the same traces."""
    x = np.sort(x, axis=0)
    n = x.shape[0]
    h = (n - 1) * (q / 100)
    lo = int(np.floor(h))
    hi = min(lo + 1, n - 1)
    t = h - lo
    a, b = x[lo], x[hi]
    diff = b - a
    out = a + diff * t
    if t >= 0.5:
        out = b - diff * (1 - t)
    return out
