"""The checks and helpers the maths modules share: counts, budgets, bootstrap bands, chunking.

Every check raises ``ValueError`` naming the argument, what was expected and the offending values
(the first few, their number and where the first one is), so callers need no checks of their own:
``coverage``, ``data``, ``flops``, ``selection`` and ``fit`` use these.

The bootstrap over problems (Efron 1979) is a multinomial reweighting: replicate b of a mean over
P problems is ``weights[b] @ per_problem / P``, so B replicates of a (P, K) table cost one matrix
product. A replicate that yields NaN (a fit that failed on it) is counted, not dropped silently.

Row order never changes a result. A randomised estimator that takes per-problem arrays with no ids
first puts the problems in a canonical order (``canonical_order``: a stable sort on each problem's
values, as bytes), draws and sums in that order, and returns per-problem outputs in the order given.
So shuffled rows give bit-identical results, on any CPU; two problems with identical values are
interchangeable, and which of them gets which draw is the only thing row order can change.
"""

from __future__ import annotations

import zlib
from typing import NamedTuple

import numpy as np

__all__ = ["samples_matrix", "whole_numbers", "check_counts", "check_ks", "check_budgets", "check_level", "check_n_boot",
           "check_bootstrap_problems", "bootstrap_weights", "canonical_order", "Band", "percentile_band", "row_chunks", "CHUNK"]

CHUNK = 20_000_000  # array elements per block of rows (~160 MB of float64): bounds peak memory


def _first(values: np.ndarray, bad: np.ndarray) -> str:
    where = np.argwhere(bad)[0]
    at = int(where[0]) if where.size == 1 else tuple(int(i) for i in where)
    return f"{values[bad][:3].tolist()} in {int(bad.sum())} entr{'y' if bad.sum() == 1 else 'ies'} (first at index {at})"


def whole_number(value, name: str, *, minimum: int = 0) -> int:
    """``value`` as an int, or a ValueError naming ``name`` unless it is an int (not a bool) >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}; got {value!r}")
    return int(value)


def whole_numbers(x, name: str, *, minimum: int = 0) -> np.ndarray:
    """``x`` as a float array, checked to hold finite whole numbers >= ``minimum``."""
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must hold numbers; got {np.asarray(x, dtype=object).ravel()[:3].tolist()} ({err})") from None
    bad = ~np.isfinite(arr) | (arr < minimum) | (arr != np.round(arr))
    if np.any(bad):
        raise ValueError(f"{name} must hold finite whole numbers >= {minimum}; found {_first(arr, bad)}")
    return arr


def samples_matrix(x, name: str, dtype=None) -> np.ndarray:
    """``x`` as a (P, N) array: one row of N samples per problem. Ragged rows (another N for some
    problem, e.g. a sample table whose problems were sampled unequally) raise a ValueError naming them."""
    if isinstance(x, np.ndarray) and x.dtype != object:
        arr = x
    else:
        rows = list(x) if not isinstance(x, np.ndarray) or x.ndim == 1 else None
        lengths = [len(r) if hasattr(r, "__len__") and not isinstance(r, str) else -1 for r in rows] if rows is not None else []
        if rows is not None and lengths and (len(set(lengths)) > 1 or -1 in lengths):
            common = max(set(lengths), key=lengths.count)
            odd = [p for p, m in enumerate(lengths) if m != common]
            raise ValueError(
                f"{name} needs the same number of samples N for every problem (a (P, N) array); most problems have "
                f"{common}, but problem {odd[0]} has {lengths[odd[0]]} ({len(odd)} problem(s) differ: {odd[:5]}). "
                f"Select a common N per problem (e.g. the first N samples) or pad with no-answer samples"
            )
        arr = np.asarray(x, dtype=dtype if dtype is not None else (object if isinstance(x, np.ndarray) else None))
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a (P, N) array; got shape {arr.shape}")
    return arr


def check_counts(num_samples, num_correct) -> tuple[np.ndarray, np.ndarray]:
    """Per-problem counts as float arrays (P,): whole numbers >= 0 with num_correct <= num_samples."""
    n, c = np.asarray(num_samples, dtype=object), np.asarray(num_correct, dtype=object)
    if n.ndim != 1 or c.shape != n.shape:
        raise ValueError(
            f"num_samples and num_correct must be 1-d arrays of one length (one entry per problem); "
            f"got shapes {n.shape} and {c.shape}"
        )
    n, c = whole_numbers(num_samples, "num_samples"), whole_numbers(num_correct, "num_correct")
    if np.any(c > n):
        i = int(np.argmax(c > n))
        raise ValueError(f"num_correct > num_samples in {int((c > n).sum())} problem(s), first problem {i}: "
                         f"{int(c[i])} > {int(n[i])}")
    return n, c


def check_ks(k, name: str = "k") -> np.ndarray:
    """Budgets as an int64 array (K,) of whole numbers >= 1."""
    if np.ndim(k) > 1 or np.size(k) == 0:
        raise ValueError(f"{name} must be an int or a 1-d array of ints; got shape {np.shape(k)}")
    return whole_numbers(np.atleast_1d(k), name, minimum=1).astype(np.int64)


def check_budgets(n, N: int, name: str = "n") -> np.ndarray:
    """Budgets in 1..N as int64 (K,); ``None`` means every budget 1..N. Subsets are drawn without
    replacement, so a budget above N has no meaning."""
    if N < 1:
        raise ValueError(f"every problem needs at least one sample; got N = {N}")
    if n is None:
        return np.arange(1, N + 1, dtype=np.int64)
    if np.ndim(n) > 1 or np.size(n) == 0:
        raise ValueError(f"{name} must be an int or a 1-d array of ints; got shape {np.shape(n)}")
    ns = whole_numbers(np.atleast_1d(n), name, minimum=-(2**62))
    outside = (ns < 1) | (ns > N)
    if outside.any():
        raise ValueError(f"{name} must lie in 1..N = {N} (subsets are drawn without replacement); "
                         f"got {ns[outside][:3].astype(np.int64).tolist()}")
    return ns.astype(np.int64)


def check_level(level) -> float:
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1); got {level!r}")
    return float(level)


def check_n_boot(n_boot, *, minimum: int = 1) -> int:
    if not float(n_boot).is_integer() or n_boot < minimum:
        raise ValueError(f"n_boot must be a whole number >= {minimum}; got {n_boot!r}")
    return int(n_boot)


def check_bootstrap_problems(num_problems: int, n_boot, what: str) -> None:
    """A bootstrap over problems needs two problems or more: with one, every resample is that problem and
    the interval has zero width, which would read as certainty. ``n_boot = 0`` (no interval) is fine."""
    if check_n_boot(n_boot, minimum=0) > 0 and num_problems < 2:
        raise ValueError(f"{what}: a bootstrap interval over problems needs at least 2 problems; got {num_problems} "
                         f"(every resample would be that one problem: a zero-width interval). Pass n_boot=0 for the "
                         f"estimate without an interval")


def bootstrap_weights(num_problems: int, n_boot: int, seed: int = 0) -> np.ndarray:
    """(B, P) multinomial counts: how often each of P problems appears in each of B resamples.

    A bootstrap replicate of any mean over problems is then ``weights @ per_problem / P``, so B
    replicates of a (P, K) table cost one matrix product (Efron 1979, the nonparametric bootstrap).
    """
    if num_problems < 1:
        raise ValueError(f"num_problems must be >= 1; got {num_problems}")
    check_n_boot(n_boot, minimum=0)
    rng = np.random.default_rng(seed)
    return rng.multinomial(num_problems, np.full(num_problems, 1.0 / num_problems), size=n_boot).astype(float)


def canonical_order(*per_problem) -> np.ndarray:
    """The canonical order of P problems: a permutation (P,) that sorts them stably on their values.

    Each argument is an array whose first axis is the problems, (P,) or (P, ...): numbers, bools, or
    objects such as answers (each keyed by the CRC-32 of its ``repr``, so two distinct objects may tie).
    A problem's key is the bytes of its values in all arguments (as float64, in argument order),
    and problems are sorted on their keys, ties (identical problems) kept in the order given. Any
    shuffle of the same problems therefore yields the same sorted rows: the order in which the kit's
    randomised estimators draw (module docstring).
    """
    arrays = [np.asarray(a) for a in per_problem]
    if not arrays or {a.shape[0] if a.ndim else -1 for a in arrays} == {-1}:
        raise ValueError("canonical_order needs at least one array with a problem axis")
    P = arrays[0].shape[0]
    if any(a.ndim == 0 or a.shape[0] != P for a in arrays):
        raise ValueError(f"canonical_order needs arrays of P = {P} rows each; got shapes {[a.shape for a in arrays]}")
    as_numbers = [a if a.dtype != object else np.vectorize(lambda v: zlib.crc32(repr(v).encode()), otypes=[np.float64])(a)
                  for a in arrays]
    rows = np.ascontiguousarray(np.concatenate([a.reshape(P, -1).astype(np.float64) for a in as_numbers], axis=1))
    if rows.shape[1] == 0:
        return np.arange(P)
    return np.argsort(rows.view(np.dtype((np.void, rows.shape[1] * 8))).ravel(), kind="stable")


class Band(NamedTuple):
    """Percentile band of bootstrap replicates: ``lower``, ``upper`` (shape of one replicate) and how
    many replicates were NaN in some entry (``num_failed``; left out of the quantiles)."""

    lower: np.ndarray
    upper: np.ndarray
    num_failed: int


def percentile_band(boot, level: float) -> Band:
    """``[(1 - level) / 2, (1 + level) / 2]`` quantiles over axis 0 of replicates ``boot`` (B, ...).

    Replicates with a NaN anywhere are counted in ``num_failed`` and left out; with no replicate
    left the band is NaN. Infinite values are an error (they come from a bug, not a failed fit).
    """
    boot = np.asarray(boot, dtype=float)
    level = check_level(level)
    if np.isinf(boot).any():
        raise ValueError(f"bootstrap replicates must not be infinite; found {int(np.isinf(boot).sum())} inf entries")
    failed = np.isnan(boot.reshape(boot.shape[0], -1)).any(axis=1) if boot.shape[0] else np.zeros(0, bool)
    kept = boot[~failed]
    if kept.shape[0] == 0:
        nan = np.full(boot.shape[1:], np.nan)
        return Band(nan, nan.copy(), int(failed.sum()))
    lower, upper = np.quantile(kept, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return Band(lower, upper, int(failed.sum()))


def row_chunks(num_rows: int, elements_per_row: float, budget: float = CHUNK):
    """Slices of rows such that each block holds at most ``budget`` elements (at least one row)."""
    step = max(1, int(budget // max(elements_per_row, 1)))
    return [slice(lo, min(lo + step, num_rows)) for lo in range(0, num_rows, step)]
