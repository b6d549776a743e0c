"""Selection from N samples: best-of-N, majority vote and weighted best-of-N, exactly in expectation.

A rule sees a random n-subset of a problem's N samples (drawn without replacement) and returns
one answer. Published code estimates its accuracy from a few subsets: openai/prm800k ``eval.py``
draws a few hundred random ones; huggingface/search-and-learn scores one, the first n of its N
completions (``pred_*@n``, ``utils/score.py``), so its curve is one draw, not an average. Here the
mean over all C(N, n) subsets is computed exactly where that is tractable, for every n at once:

* best-of-N (Cobbe et al. 2021, arXiv:2110.14168; Lightman et al. 2023, arXiv:2305.20050 Fig. 3):
  with samples sorted by score, the one of rank r (ascending) is the maximum of a random n-subset
  with probability C(r-1, n-1) / C(N, n); samples of equal score share their ranks evenly.
* majority vote (self-consistency, Wang et al. 2022, arXiv:2203.11171): the answer counts of a
  random n-subset are multivariate hypergeometric; a generating function over answer classes gives
  the probability that a correct answer wins, alone or tied with s others (``ttslib._majority``).
* weighted best-of-N (largest summed score per answer; Snell et al. 2024, arXiv:2408.03314 Sec. 5):
  sums of real scores over subsets have no closed form, so it is exact by enumerating all 2^N
  subsets for N <= 16, and otherwise a Monte Carlo estimate with its standard error.

Conventions. Ties (between answers, or between scores in best-of-N) are split evenly: the value is
the expectation over a uniformly random tie-break. A sample with no answer (None) never wins a
vote but still takes a place in the subset; a subset with no answered sample scores 0.
Bad input raises ValueError: N = 0, n outside 1..N, NaN/inf or missing scores (except for
samples without an answer where they are ignored), ``correct`` that differs within one answer.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.special import gammaln
from scipy.stats import norm

from ttslib._majority import (majority_all_distinct, majority_exact, majority_rao_blackwell, majority_work,
                              vote_enumerate, vote_monte_carlo)
from ttslib.checks import (CHUNK, bootstrap_weights, canonical_order, check_budgets, check_level, check_n_boot, percentile_band, row_chunks,
                           samples_matrix)
from ttslib.coverage import pass_at_k

__all__ = ["Selection", "SelectionCurve", "AnswerTallies", "answer_classes", "answer_tallies", "aggregate_steps",
           "best_of_n", "oracle", "majority_vote", "weighted_vote", "selection_curve", "log2_budgets"]

EXACT_MAJORITY_MAX_WORK = 5e9  # method="auto": exact majority below this work estimate (~5 s), else Monte Carlo
EXACT_WEIGHTED_MAX_N = 16  # exact weighted vote enumerates 2^N subsets


@dataclass(frozen=True)
class Selection:
    """Expected accuracy of one rule: ``n`` (K,) budgets, ``per_problem`` (P, K), ``se`` (P, K) the
    Monte Carlo standard error of each entry (0 where ``method == "exact"``). ``rule`` names the rule:
    a str here ("majority", ...), the strategy's record where ``ttslib.strategies`` made it (shown by ``str``)."""

    rule: Hashable
    n: np.ndarray
    per_problem: np.ndarray
    se: np.ndarray
    method: str

    @property
    def accuracy(self) -> np.ndarray:
        """Mean over problems, (K,); summed in sorted order, so the same bits whatever the row order."""
        return np.sort(self.per_problem, axis=0).mean(axis=0)

    @property
    def accuracy_se(self) -> np.ndarray:
        """Monte Carlo standard error of ``accuracy``, sqrt(sum_p se_p^2) / P, (K,)."""
        return np.sqrt(np.sort(np.square(self.se), axis=0).sum(axis=0)) / self.se.shape[0]

    def column(self, n: int) -> int:
        """The index of budget ``n`` in ``self.n`` (ValueError if it was not computed)."""
        hit = np.flatnonzero(self.n == n)
        if hit.size != 1:
            raise ValueError(f"{self.rule}: no budget n = {n}; it has n = {self.n.tolist()}")
        return int(hit[0])

    def at(self, n: int) -> np.ndarray:
        """Per-problem expected accuracy at budget ``n``, (P,)."""
        return self.per_problem[:, self.column(n)]

    def accuracy_at(self, n: int) -> float:
        """Mean accuracy at budget ``n``."""
        return float(self.accuracy[self.column(n)])

    def take(self, rows=None, *, ns=None, max_n=None) -> Selection:
        """The same rule on some problems (a boolean mask or indices) and some budgets (those in ``ns``,
        or up to ``max_n``)."""
        r = slice(None) if rows is None else np.asarray(rows)
        keep = np.ones(self.n.size, dtype=bool)
        if ns is not None:
            keep &= np.isin(self.n, np.asarray(ns))
        if max_n is not None:
            keep &= self.n <= max_n
        return Selection(self.rule, self.n[keep], self.per_problem[r][:, keep], self.se[r][:, keep], self.method)


@dataclass(frozen=True)
class SelectionCurve:
    """Accuracy vs n, arrays (K,); [lower, upper] is a percentile bootstrap over problems widened by
    z * ``mc_se`` (the Monte Carlo error, 0 if exact). ``rule`` as in :class:`Selection`."""

    rule: Hashable
    n: np.ndarray
    accuracy: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    mc_se: np.ndarray
    num_problems: int
    level: float
    method: str


def answer_classes(answers, equivalent=None) -> np.ndarray:
    """Answer class ids (P, N) int64 from (P, N) hashable answers, numbered per problem by first
    appearance; -1 for no answer (None or NaN).

    Strings are stripped and equal answers share a class. ``equivalent(a, b) -> bool`` (e.g.
    ``ttslib.grade.answers_equivalent``) merges more: a new answer joins the first class whose
    first member it is equivalent to (greedy: a non-transitive callable depends on order).
    """
    a = np.asarray(answers, dtype=object)
    if a.ndim != 2:
        raise ValueError(f"answers must be a (P, N) array; got shape {a.shape}")
    out = np.full(a.shape, -1, dtype=np.int64)
    for p, row in enumerate(a):  # Python objects and a Python callable: no vectorised form
        ids, firsts = {}, []  # answer -> class id; first member of each class
        for i, x in enumerate(row):
            if _missing(x):
                continue
            key = x.strip() if isinstance(x, str) else x
            if key not in ids:
                same = (j for j, f in enumerate(firsts) if equivalent is not None and equivalent(f, key))
                ids[key] = next(same, len(firsts))
                firsts += [key] if ids[key] == len(firsts) else []
            out[p, i] = ids[key]
    return out


def _missing(x) -> bool:
    try:
        return x is None or bool(x != x)  # None or NaN
    except (TypeError, ValueError):  # pd.NA has no truth value
        return True


def aggregate_steps(step_scores, how: str = "last") -> np.ndarray:
    """Whole-solution score from per-step PRM scores: ``last``, ``min``, ``prod`` or ``mean``
    (arXiv:2408.03314 Sec. 5.2; "last" worked best in search-and-learn).

    ``step_scores``: (P, N) object array of sequences (``ttslib.data.correct_matrix(df, "step_scores")``)
    or (P, N, S) floats padded with NaN. Returns (P, N). Every sample needs at least one step.
    """
    if how not in ("last", "min", "prod", "mean"):
        raise ValueError(f"how must be one of 'last', 'min', 'prod', 'mean'; got {how!r}")
    arr = step_scores if isinstance(step_scores, np.ndarray) else np.asarray(step_scores, dtype=object)
    if arr.dtype != object and arr.ndim == 3:
        valid = ~np.isnan(arr)
        flat, lengths = arr[valid], valid.sum(-1).ravel()
    elif arr.ndim == 2:  # ragged Python lists: one pass to flatten them, the reductions are vectorised
        lengths = np.array([0 if x is None else len(x) for x in arr.ravel()], dtype=np.int64)
        flat = np.concatenate([np.asarray(x, dtype=float) for x in arr.ravel() if x is not None] + [np.empty(0)])
    else:
        raise ValueError(f"step_scores must be (P, N) sequences or (P, N, S) floats; got shape {arr.shape}")
    if np.any(lengths == 0):
        raise ValueError(f"step_scores: {int((lengths == 0).sum())} sample(s) have no step scores")
    if not np.all(np.isfinite(flat)):
        raise ValueError(f"step_scores must be finite; found {int((~np.isfinite(flat)).sum())} NaN/inf")
    starts = np.cumsum(lengths) - lengths
    if how == "last":
        return flat[starts + lengths - 1].reshape(arr.shape[:2])
    ufunc = {"min": np.minimum, "prod": np.multiply, "mean": np.add}[how]
    return (ufunc.reduceat(flat, starts) / (lengths if how == "mean" else 1)).reshape(arr.shape[:2])


def best_of_n(correct, scores, n=None, *, answers=None) -> Selection:
    """Exact expected accuracy of picking the highest-scored of n random samples, every n at once.

    ``E[acc_n] = sum_r cbar_r C(r-1, n-1) / C(N, n)`` over ranks r = 1..N by ascending score, cbar_r
    the mean correctness of the samples tied with rank r (arXiv:2110.14168, arXiv:2305.20050).

    Parameters
    ----------
    correct : (P, N) bool
    scores : (P, N) float, finite; only the order within a problem matters
    n : int or (K,) ints in 1..N, default 1..N
    answers : (P, N) answers or class ids, optional. If given, a sample with no answer is never
        picked over an answered one (as in openai/prm800k's evaluation), counts as wrong, and its
        score may be NaN.
    """
    correct = _check_correct(correct)
    P, N = correct.shape
    ns = _budgets(n, N)
    none = None if answers is None else _class_ids(answers, correct.shape) < 0
    s = _check_scores(scores, correct.shape, ignore=none)
    if none is not None:
        s, correct = np.where(none, -np.inf, s), correct & ~none
    order = np.argsort(s, axis=1, kind="stable")  # any order within a tie: ties are averaged below
    s_sorted = np.take_along_axis(s, order, 1)
    new_run = np.ones((P, N), dtype=bool)  # a run of equal scores starts here
    new_run[:, 1:] = s_sorted[:, 1:] != s_sorted[:, :-1]
    run = np.cumsum(new_run.ravel()) - 1  # (P*N,) run ids, never shared between problems
    c_sorted = np.take_along_axis(correct, order, 1).ravel().astype(float)
    cbar = (np.bincount(run, c_sorted) / np.bincount(run))[run].reshape(P, N)
    r = np.arange(1, N + 1)[:, None]  # (N, 1) rank by ascending score
    acc = np.empty((P, ns.size))
    for cols in row_chunks(ns.size, 4 * N, CHUNK // 4):  # blocks of budgets: no (N, N) weights at n = 1..N
        m = ns[cols]
        log_w = gammaln(r) - gammaln(m) - gammaln(np.maximum(r - m, 0) + 1) - (
            gammaln(N + 1) - gammaln(m + 1) - gammaln(N - m + 1))  # log C(r-1, n-1) - log C(N, n)
        acc[:, cols] = cbar @ np.where(r >= m, np.exp(log_w), 0.0)  # (P, N) @ (N, K)
    return Selection("best_of_n", ns, acc, np.zeros_like(acc), "exact")


def oracle(correct, n=None) -> Selection:
    """pass@n, the accuracy of a perfect selector, ``1 - C(N-c, n) / C(N, n)`` (arXiv:2107.03374);
    ``correct`` (P, N), ``n`` in 1..N (default all)."""
    correct = _check_correct(correct)
    P, N = correct.shape
    ns = _budgets(n, N)
    acc = pass_at_k(np.full(P, N), correct.sum(1), ns)
    return Selection("oracle", ns, acc, np.zeros_like(acc), "exact")


def majority_vote(answers, correct, n=None, *, method="auto", num_draws=100, seed=0) -> Selection:
    """Expected accuracy of the most frequent answer among n random samples (arXiv:2203.11171).

    ``E[acc_n] = E[#correct answers among the most frequent / #most frequent]``, the counts of a
    random n-subset being multivariate hypergeometric.

    Parameters
    ----------
    answers : (P, N) hashable answers (None: no answer), or int class ids from ``answer_classes``
        (negative: no answer). Pass classes to merge equivalent answers ("1/2" and "0.5").
    correct : (P, N) bool, equal within an answer class
    n : int or (K,) ints in 1..N, default 1..N
    method : "exact" (generating function, N <= 1000; cost grows with the square of the number of
        answers that can tie: ~5 s for 500 x 256 typical samples; problems where no answer has two
        samples take a closed form instead), "monte_carlo" (``num_draws`` random orders per problem,
        ``seed``, with the correct answer's count integrated out exactly (``ttslib._majority``): about
        50 orders give a standard error below 1e-3 on 128 x 10^4 samples) or "auto" (exact while its
        work estimate is below ``EXACT_MAJORITY_MAX_WORK``, else Monte Carlo).
    """
    correct = _check_correct(correct)
    N = correct.shape[1]
    ns = _budgets(n, N)
    cls, sizes, good = answer_tallies(answers, correct)
    distinct = sizes.max(1, initial=0) <= 1  # (P,) no answer has two samples: closed form
    if _method(method) == "auto":
        work = 0.0 if distinct.all() else majority_work(sizes[~distinct], good[~distinct], N) if N <= 1000 else np.inf
        method = "exact" if work <= EXACT_MAJORITY_MAX_WORK else "monte_carlo"
    if method == "exact":
        acc = np.empty((len(cls), ns.size))
        acc[distinct] = majority_all_distinct(cls[distinct], correct[distinct], ns)
        if not distinct.all():
            acc[~distinct] = majority_exact(sizes[~distinct], good[~distinct], N, ns)
        return Selection("majority", ns, acc, np.zeros_like(acc), "exact")
    if num_draws < 2:
        raise ValueError(f"num_draws must be >= 2 for a standard error; got {num_draws}")
    mean, se = _in_canonical_order(lambda rows: majority_rao_blackwell(cls[rows], good[rows], ns, num_draws,
                                                                       np.random.default_rng(seed)), cls, correct)
    return Selection("majority", ns, mean, se, "monte_carlo")


def weighted_vote(answers, correct, scores, n=None, *, method="auto", num_draws=1000, seed=0) -> Selection:
    """Expected accuracy of the answer with the largest summed score among n random samples.

    ``argmax_a sum_{i in subset, answer_i = a} score_i`` (weighted best-of-N, arXiv:2408.03314);
    majority vote is the case of equal scores.

    Parameters
    ----------
    answers, correct, n : as in ``majority_vote``
    scores : (P, N) float >= 0 (a sum of negative scores favours rare answers: pass e.g.
        ``exp(mean token logprob)``); scores of samples with no answer are ignored.
    method : "exact" (enumerates the 2^N subsets, N <= 16), "monte_carlo" or "auto".
    """
    correct = _check_correct(correct)
    N = correct.shape[1]
    ns = _budgets(n, N)
    cls, _, good = answer_tallies(answers, correct)
    s = _check_scores(scores, correct.shape, ignore=cls < 0)
    if np.any((s < 0) & (cls >= 0)):
        raise ValueError(f"weighted_vote needs scores >= 0; found {s[(s < 0) & (cls >= 0)][:3].tolist()}")
    s = np.where(cls < 0, 0.0, s)
    if _method(method) == "auto":
        method = "exact" if N <= EXACT_WEIGHTED_MAX_N else "monte_carlo"
    if method == "exact":
        if N > EXACT_WEIGHTED_MAX_N:
            raise ValueError(f"exact weighted vote enumerates 2^N subsets: N = {N} > {EXACT_WEIGHTED_MAX_N}; "
                             f"use method='monte_carlo'")
        acc = vote_enumerate(cls, good, s, ns)
        return Selection("weighted", ns, acc, np.zeros_like(acc), "exact")
    mean, se = _in_canonical_order(lambda rows: vote_monte_carlo(cls[rows], good[rows], s[rows], ns, num_draws, seed), cls, correct, s)
    return Selection("weighted", ns, mean, se, method)


def selection_curve(selection: Selection, *, level=0.95, n_boot=1000, seed=0) -> SelectionCurve:
    """Mean accuracy with a percentile bootstrap band over problems (multinomial reweighting, as
    ``ttslib.coverage.coverage_curve``), widened by ``z_level * selection.accuracy_se``."""
    check_level(level)
    check_n_boot(n_boot)
    P = selection.per_problem.shape[0]
    weights = bootstrap_weights(P, n_boot, seed) / P  # (B, P), over problems in their canonical order
    per_problem = selection.per_problem[canonical_order(selection.per_problem, selection.se)]
    lower, upper, _ = percentile_band(weights @ per_problem, level)
    widen = norm.ppf((1 + level) / 2) * selection.accuracy_se
    return SelectionCurve(selection.rule, selection.n, selection.accuracy, lower - widen, upper + widen,
                          selection.accuracy_se, P, level, selection.method)


def log2_budgets(N: int) -> np.ndarray:
    """1, 2, 4, ... up to N, with N appended if it is not a power of two."""
    if N < 1:
        raise ValueError(f"N must be >= 1; got {N}")
    ns = 2 ** np.arange(int(np.log2(N)) + 1)
    return ns if ns[-1] == N else np.append(ns, N)


def _in_canonical_order(draw, *per_problem):
    """Run a Monte Carlo estimator ``draw(rows) -> (mean, se)``, each (P, K), on the problems in their
    canonical order (``ttslib.checks.canonical_order``), and return its outputs in the order given:
    the draws follow the canonical order, so where a row stands cannot change them."""
    order = canonical_order(*per_problem)
    mean, se = draw(order)
    out_mean, out_se = np.empty_like(mean), np.empty_like(se)
    out_mean[order], out_se[order] = mean, se
    return out_mean, out_se


# ---- checks ------------------------------------------------------------------------------------


def _check_correct(correct) -> np.ndarray:
    c = samples_matrix(correct, "correct")
    if c.shape[0] == 0:
        raise ValueError(f"correct must be a (P, N) array with P >= 1; got shape {c.shape}")
    if c.dtype != bool and not np.isin(c, (0, 1)).all():
        raise ValueError(f"correct must hold True/False (or 0/1); found {np.unique(c)[:5].tolist()}")
    return c.astype(bool)


def _budgets(n, N: int) -> np.ndarray:
    return check_budgets(n, N, "n")


def _check_scores(scores, shape, ignore=None) -> np.ndarray:
    try:
        s = np.asarray(scores, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(f"scores must be numbers; got {np.asarray(scores).dtype} ({err})") from None
    if s.shape != shape:
        raise ValueError(f"scores must have the shape of correct {shape}; got {s.shape}")
    bad = ~np.isfinite(s) & (True if ignore is None else ~ignore)
    if bad.any():
        p, i = np.argwhere(bad)[0]
        raise ValueError(f"scores must be finite for every sample that can be picked; {int(bad.sum())} are "
                         f"NaN/inf (missing?), first at problem {p}, sample {i}")
    return s


def _method(method):
    if method not in ("auto", "exact", "monte_carlo"):
        raise ValueError(f"method must be 'auto', 'exact' or 'monte_carlo'; got {method!r}")
    return method


def _class_ids(answers, shape) -> np.ndarray:
    a = answers if isinstance(answers, np.ndarray) else samples_matrix(answers, "answers", dtype=object)
    if a.shape != shape:
        raise ValueError(f"answers must have the shape of correct {shape}; got {a.shape}")
    if not np.issubdtype(a.dtype, np.integer):
        return answer_classes(a)
    # integers are read as class ids from answer_classes: -1 (no answer) or 0..N-1 per row
    bad = (a < -1) | (a >= shape[1])
    if bad.any():
        p, i = np.argwhere(bad)[0]
        raise ValueError(
            f"integer answers are read as class ids (from answer_classes: -1 for no answer, or 0..{shape[1] - 1}); "
            f"found {np.unique(a[bad])[:3].tolist()} in {int(bad.sum())} sample(s), first at problem {p}, sample {i}. "
            f"Pass numeric answers as strings or objects, or through answer_classes"
        )
    return a.astype(np.int64)


class AnswerTallies(NamedTuple):
    """What a vote needs of each problem's answers: ``classes`` (P, N) class ids (-1: no answer),
    ``sizes`` (P, K) samples in each class and ``correct`` (P, K) whether each class is a right answer."""

    classes: np.ndarray
    sizes: np.ndarray
    correct: np.ndarray


def answer_tallies(answers, correct) -> AnswerTallies:
    """Answer classes, their sizes and their correctness, the input of ``ttslib._majority``'s votes.

    ``answers`` (P, N) as in :func:`majority_vote` (answers, or class ids from :func:`answer_classes`);
    ``correct`` (P, N) bool. K is the largest class id + 1. Raises ``ValueError`` where ``correct``
    differs within an answer class (one answer cannot be both right and wrong).
    """
    correct = _check_correct(correct)
    cls = _class_ids(answers, correct.shape)
    P, K = cls.shape[0], int(cls.max(initial=-1)) + 1
    slot = (np.arange(P)[:, None] * (K + 1) + np.where(cls < 0, K, cls)).ravel()  # slot K: no answer
    sizes = np.bincount(slot, minlength=P * (K + 1)).reshape(P, K + 1)[:, :K]  # (P, K), no (P, N, K) one-hot
    hits = np.bincount(slot, correct.ravel(), minlength=P * (K + 1)).reshape(P, K + 1)[:, :K].astype(np.int64)
    mixed = (hits > 0) & (hits < sizes)
    if mixed.any():
        p, k = np.argwhere(mixed)[0]
        raise ValueError(f"correct differs within an answer class in {int(mixed.sum())} class(es), first in "
                         f"problem {p}: {int(hits[p, k])} of its {int(sizes[p, k])} samples are correct")
    return AnswerTallies(cls, sizes, hits > 0)
