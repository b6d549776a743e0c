"""Where problems and samples are held apart: random splits of each problem's samples, folds of problems
stratified by difficulty bin, and the selection of rows by mask, index or id.

Randomness belongs to a problem, not to a row position: each split draws in the canonical order of the
problems (``ttslib.checks.canonical_order`` of their values), so shuffled rows give the same split.
``assign_folds`` deals each bin's problems, shuffled, round-robin over the folds (continuing the deal from
one bin to the next), so each fold holds floor or ceil of a bin's count / folds of each bin, as the
stratified K-fold of cross-validation (Snell et al. choose with 2 folds, arXiv:2408.03314).

Bad input raises ValueError: arrays of different shapes, a fraction leaving a part empty, fewer problems in
a bin than folds, a row id that is not there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ttslib.checks import canonical_order


def split_sample_indices(*arrays, fraction: float = 0.5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Column indices (P, m) held apart and (P, N - m) the rest, m = round(fraction N), drawn at random per
    problem, each problem's draw tied to its values in ``arrays`` (P, N) (their canonical order), so the
    order of the rows cannot matter."""
    shapes = {np.shape(a) for a in arrays}
    if not arrays or len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise ValueError(f"split_samples needs arrays of one shape (P, N); got shapes {sorted(shapes)}")
    P, N = next(iter(shapes))
    m = int(round(fraction * N))
    if not 1 <= m <= N - 1:
        raise ValueError(f"fraction * N must round to 1..N-1 (both parts non-empty); got fraction={fraction}, N={N}")
    rank = np.empty(P, dtype=np.int64)  # problems draw in their canonical order, so row order cannot matter
    rank[canonical_order(*arrays)] = np.arange(P)
    order = np.argsort(np.random.default_rng(seed).random((P, N))[rank], axis=1, kind="stable")
    return np.sort(order[:, :m], axis=1), np.sort(order[:, m:], axis=1)


def split_samples(*arrays, fraction: float = 0.5, seed: int = 0) -> list[np.ndarray]:
    """Split each problem's N samples at random into round(fraction N) held apart (to estimate its bin)
    and the rest (to score), the same split for every array (P, N). Returns [a_held, a_rest, b_held, ...]."""
    held, rest = split_sample_indices(*arrays, fraction=fraction, seed=seed)
    return [np.take_along_axis(np.asarray(a), idx, 1) for a in arrays for idx in (held, rest)]


def split_counts(num_samples, num_correct, *, fraction: float = 0.5, seed: int = 0):
    """The same split for counts: of n samples with c correct, round(fraction n) held apart hold
    Hypergeometric(n, c, round(fraction n)) correct ones. Returns ((n_held, c_held), (n_rest, c_rest))."""
    n, c = np.asarray(num_samples, dtype=np.int64), np.asarray(num_correct, dtype=np.int64)
    if n.shape != c.shape or np.any(n < 2) or np.any((c < 0) | (c > n)):
        raise ValueError("num_samples (>= 2 each) and num_correct (0..num_samples) must be arrays of one shape")
    m = np.clip(np.round(fraction * n).astype(np.int64), 1, n - 1)
    order = canonical_order(n, c)  # draws in the canonical order of problems, returned in the order given
    c_held = np.empty_like(c)
    c_held[order] = np.random.default_rng(seed).hypergeometric(c[order], (n - c)[order], m[order])
    return (m, c_held), (n - m, c - c_held)


def assign_folds(codes: np.ndarray, folds: int, seed: int = 0, labels=None) -> np.ndarray:
    """Fold (P,) of each problem, stratified by bin: each bin's problems, shuffled, dealt round-robin over
    the folds (ValueError where a bin has fewer problems than folds)."""
    if int(folds) != folds or folds < 2:
        raise ValueError(f"folds must be an int >= 2; got {folds}")
    counts = np.bincount(codes)
    small = (counts > 0) & (counts < folds)
    if small.any():
        b = int(np.argmax(small))
        raise ValueError(f"bin {labels[b] if labels is not None else b!r} has {int(counts[small][0])} problem(s), fewer than folds = {folds}: "
                         f"a fold would have no problem of it (merge bins or use fewer folds)")
    rng, fold, offset = np.random.default_rng(seed), np.empty(codes.size, dtype=np.int64), 0
    for b in range(counts.size):
        members = rng.permutation(np.flatnonzero(codes == b))
        fold[members] = (np.arange(members.size) + offset) % folds
        offset += members.size
    return fold


def row_index(ids: np.ndarray, rows) -> np.ndarray:
    """Row positions (R,) into ``ids`` (P,) from ``rows``: None (all), a boolean mask (P,), integer positions,
    or problem ids."""
    if rows is None:
        return np.arange(ids.size)
    r = np.asarray(rows)
    if r.dtype == bool:
        if r.shape != ids.shape:
            raise ValueError(f"a row mask must have one entry per problem ({ids.size}); got {r.shape}")
        return np.flatnonzero(r)
    if r.dtype.kind in "iu":
        return r
    got = pd.Index(ids).get_indexer(r.astype(str))
    if (got < 0).any():
        raise ValueError(f"{int((got < 0).sum())} problem id(s) are not here, e.g. {r[got < 0][0]!r}")
    return got
