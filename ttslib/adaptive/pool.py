"""The fixed pool an adaptive rule is replayed on, and the record a replay returns.

A pool holds, per problem, N samples drawn once: their answer classes, correctness, completion
tokens and, for DeepConf, each trace's confidence. A rule replayed on it sees the samples in a
uniformly random order, as if it had drawn them one by one, and stops when its criterion says so.
Its value on a problem is an expectation over those orders: exact where a closed form exists, else
a Monte Carlo mean over R orders with its standard error.

Randomness belongs to a problem: its orders come from ``problem_seed(seed, id)``
(``ttslib.generate.base``), the id given by the caller or, without ids, the CRC-32 of the problem's
own values. So shuffled rows, or a subset of the problems, give each problem the same numbers.
"""

from __future__ import annotations

import zlib
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np

from ttslib.checks import samples_matrix
from ttslib.generate.base import problem_seed
from ttslib.selection import answer_tallies

__all__ = ["Pool", "make_pool", "RuleResult"]


@dataclass(frozen=True, eq=False)
class Pool:
    """N samples per problem, checked (:func:`make_pool`).

    ``classes`` (P, N) int64 answer classes (-1: no answer), ``correct`` (P, N) bool, ``good`` (P, K)
    whether each class is right, ``tokens`` (P, N) float completion tokens, ``ids`` (P,) str the
    problems' ids (seeds of their orders), ``confidence`` (P, N) float a trace's lowest group
    confidence (DeepConf) or None, ``lows`` / ``lows_at`` (P, N, M) the record lows of a trace's
    running lowest group confidence and the token count at which each was reached (NaN / 0 padded;
    :func:`ttslib.adaptive.confidence.confidence_lows`), or None.
    """

    classes: np.ndarray
    correct: np.ndarray
    good: np.ndarray
    tokens: np.ndarray
    ids: np.ndarray
    confidence: np.ndarray | None = None
    lows: np.ndarray | None = None
    lows_at: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return self.classes.shape

    def keys(self, seed: int) -> np.ndarray:
        """(P,) int64 seeds of the problems' orders: ``problem_seed(seed, id)``."""
        return np.array([problem_seed(seed, i) for i in self.ids], dtype=np.int64)

    def take(self, rows) -> Pool:
        """The pool on some problems (indices or a mask); each keeps its id, hence its orders."""
        r = np.asarray(rows)
        pick = (lambda a: None if a is None else a[r])  # noqa: E731
        return Pool(self.classes[r], self.correct[r], self.good[r], self.tokens[r], self.ids[r],
                    pick(self.confidence), pick(self.lows), pick(self.lows_at))


def make_pool(answers, correct, tokens, *, confidence=None, lows=None, lows_at=None, ids=None) -> Pool:
    """A checked :class:`Pool` from (P, N) arrays.

    Parameters
    ----------
    answers : (P, N) answers (None: no answer) or int class ids from ``ttslib.selection.answer_classes``
    correct : (P, N) bool, equal within an answer
    tokens : (P, N) completion tokens, finite whole numbers >= 0 (>= 1 for a sample with an answer)
    confidence : (P, N) float >= 0, a trace's lowest group confidence (DeepConf), optional; derived
        from ``lows`` when only they are given
    lows, lows_at : (P, N, M) float and int, optional (DeepConf online): per trace the strictly
        decreasing record lows of its running lowest group confidence, NaN-padded, and the tokens
        generated when each was reached, 0-padded (``confidence_lows`` builds them)
    ids : (P,) problem ids, optional; default the CRC-32 of each problem's values
    """
    tallies = answer_tallies(answers, correct)
    cls, good = tallies.classes, tallies.correct
    corr = np.asarray(correct, dtype=bool)
    P, N = cls.shape
    tok = _finite(samples_matrix(tokens, "tokens"), "tokens", (P, N))
    if np.any(tok < 0) or np.any(tok != np.round(tok)):
        raise ValueError(f"tokens must be whole numbers >= 0; found {tok[(tok < 0) | (tok != np.round(tok))][:3].tolist()}")
    if np.any((tok < 1) & (cls >= 0)):
        raise ValueError("tokens must be >= 1 for every sample with an answer (shortest majority divides by "
                         f"lengths); found {int(((tok < 1) & (cls >= 0)).sum())} answered sample(s) of 0 tokens")
    if (lows is None) != (lows_at is None):
        raise ValueError("lows and lows_at come together (both from confidence_lows); got only one of them")
    if lows is not None:
        lows, lows_at = _check_lows(lows, lows_at, tok)
        floor = np.nanmin(lows, axis=2)  # the lowest group confidence of each trace
        if confidence is None:
            confidence = floor
    if confidence is not None:
        confidence = _finite(confidence, "confidence", (P, N))
        if np.any(confidence < 0):
            raise ValueError(f"confidence must be >= 0 (it is -mean(top-k logprobs)); found {confidence[confidence < 0][:3].tolist()}")
        if lows is not None and not np.allclose(confidence, floor, rtol=1e-9, atol=0):
            raise ValueError("confidence must equal the lowest of each trace's lows (both are its lowest group confidence)")
    if ids is None:
        rows = [cls, corr, tok] + ([confidence] if confidence is not None else [])
        ids = [f"{zlib.crc32(b''.join(np.ascontiguousarray(a[p], dtype=np.float64).tobytes() for a in rows)):08x}" for p in range(P)]
    ids = np.asarray([str(i) for i in ids], dtype=object)
    if ids.shape != (P,):
        raise ValueError(f"ids must hold one id per problem, shape ({P},); got {ids.shape}")
    return Pool(cls, corr, good, tok, ids, confidence, lows, lows_at)


def _finite(x, name, shape) -> np.ndarray:
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must hold numbers ({err})") from None
    if a.shape != shape:
        raise ValueError(f"{name} must have shape {shape} (problems x samples); got {a.shape}")
    if not np.all(np.isfinite(a)):
        p, i = np.argwhere(~np.isfinite(a))[0]
        raise ValueError(f"{name} must be finite; {int((~np.isfinite(a)).sum())} NaN/inf, first at problem {p}, sample {i}")
    return a


def _check_lows(lows, lows_at, tok):
    v, at = np.asarray(lows, dtype=float), np.asarray(lows_at)
    if v.ndim != 3 or v.shape[:2] != tok.shape or at.shape != v.shape:
        raise ValueError(f"lows and lows_at must both have shape (P, N, M) with (P, N) = {tok.shape}; got {v.shape} and {at.shape}")
    real = ~np.isnan(v)
    if np.any(np.isinf(v)) or not np.all(real[..., 0]) or np.any(real[..., 1:] & ~real[..., :-1]):
        raise ValueError("lows must hold for every trace at least one finite value, then NaN padding only at the end")
    if np.any((v[..., 1:] >= v[..., :-1]) & real[..., 1:]):
        raise ValueError("lows must be strictly decreasing along each trace (the record lows of its running minimum)")
    at = np.where(real, at, 0)
    if np.any(at[real] < 1) or np.any(at > tok[..., None]) or np.any(np.diff(at, axis=2)[real[..., 1:]] <= 0):
        raise ValueError("lows_at must increase along each trace, within 1..tokens of the trace")
    return v, at.astype(np.int64)


@dataclass(frozen=True, eq=False)
class RuleResult:
    """One rule's expected accuracy and cost per problem over random orders of the pool.

    ``rule`` the settings record; ``accuracy``, ``samples``, ``tokens`` (P,) expectations and their
    Monte Carlo standard errors ``*_se`` (P,) (0 where ``method == "exact"``); ``mean_se`` (3,) the
    standard error of the mean over problems of (accuracy, samples, tokens): sqrt(sum_p se_p^2) / P
    for independent problems, the spread of per-order means where a rule couples problems (a
    global budget); ``num_orders`` R (0 if exact).
    """

    rule: Hashable
    accuracy: np.ndarray
    samples: np.ndarray
    tokens: np.ndarray
    accuracy_se: np.ndarray
    samples_se: np.ndarray
    tokens_se: np.ndarray
    mean_se: np.ndarray
    method: str
    num_orders: int

    @property
    def mean(self) -> np.ndarray:
        """(3,) mean over problems of (accuracy, samples, tokens), summed in sorted order (row order free)."""
        return np.array([np.sort(a).mean() for a in (self.accuracy, self.samples, self.tokens)])

    def take(self, rows) -> RuleResult:
        """The result on some problems (indices or a mask), for held-out splits.

        A problem's orders come from its id, so for a rule that keeps to one problem its values here equal a
        replay on these problems alone; ``mean_se`` is recomputed over them. A rule that couples problems
        (``kind == "coupled"``, a global budget) gave each problem what the whole pool's allocation gave it,
        which a replay on the subset would not; its ``mean_se`` (the spread of per-order means) cannot be cut
        from the means kept here: NaN (replay the subset for it).
        """
        r = np.asarray(rows)
        cut = [a[r] for a in (self.accuracy, self.samples, self.tokens, self.accuracy_se, self.samples_se, self.tokens_se)]
        P = cut[0].size
        if getattr(self.rule, "kind", None) == "coupled" or P == 0:
            mean_se = np.full(3, np.nan)
        else:
            mean_se = np.array([np.sqrt(np.sort(np.square(s)).sum()) / P for s in cut[3:]])
        return RuleResult(self.rule, *cut, mean_se, self.method, self.num_orders)


def summarise(rule, values, *, coupled: bool = False) -> RuleResult:
    """A Monte Carlo :class:`RuleResult` from per-order values: a tuple of three (P, R) arrays."""
    P, R = values[0].shape
    means = [v.mean(1) for v in values]
    ses = [v.std(1, ddof=1) / np.sqrt(R) for v in values]
    ses = [np.where(np.ptp(v, axis=1) > 1e-12 * np.maximum(1, np.abs(v).max(1)), s, 0.0) for v, s in zip(values, ses)]
    if coupled:  # a rule that ties problems together: the spread of the mean over problems, order by order
        mean_se = np.array([np.sort(v, axis=0).mean(0).std(ddof=1) / np.sqrt(R) for v in values])
    else:
        mean_se = np.array([np.sqrt(np.sort(np.square(s)).sum()) / P for s in ses])
    return RuleResult(rule, *means, *ses, mean_se, "monte_carlo", R)


def exact(rule, accuracy, samples, tokens) -> RuleResult:
    """An exact :class:`RuleResult` (no Monte Carlo error)."""
    z = np.zeros(len(accuracy))
    return RuleResult(rule, np.asarray(accuracy, float), np.asarray(samples, float), np.asarray(tokens, float),
                      z, z.copy(), z.copy(), np.zeros(3), "exact", 0)
