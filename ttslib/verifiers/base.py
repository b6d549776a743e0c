"""The verifier protocol: a verifier scores every step of a batch of partial solutions.

``verifier.score(questions, partials)`` returns a :class:`StepScores`: for partial solution i (a
list of step strings, delimiter removed) an array of one score in [0, 1] per step, and the number of
tokens the verifier read, so that search can count its cost (:func:`ttslib.flops.verifier_flops` on
``verifier.model``). The search calls :func:`check_step_scores` on every answer, so a verifier that
returns NaN, a score outside [0, 1] or the wrong number of scores fails loudly, naming itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from abc import abstractmethod
from typing import Protocol

import numpy as np

__all__ = ["StepScores", "Verifier", "check_step_scores", "check_batch", "roc_auc"]


@dataclass(frozen=True)
class StepScores:
    """Per-step scores of a batch: ``scores[i]`` is a float array (S_i,) in [0, 1] for partial i;
    ``num_tokens`` is how many tokens the verifier read (0 for free verifiers)."""

    scores: tuple[np.ndarray, ...]
    num_tokens: int
    truncated: tuple[int, ...] = ()  # per partial: the earliest steps some of its steps were scored without (a PRM's max_length); () none


class Verifier(Protocol):
    """A ``name``, a ``model`` (its name in the :mod:`ttslib.flops` registry, None if it costs no FLOPs)
    and ``score(questions, partials, *, step_logprobs=None) -> StepScores``.

    ``questions[i]`` is the question of ``partials[i]``; ``step_logprobs[i][j]`` the sampled tokens'
    log-probabilities of step j of partial i (used by model confidence, ignored by the others).
    The kit's verifiers declare it by subclassing (``ttslib.generate.base.supports(v, Verifier)``);
    the search reads ``name`` and ``model`` and calls ``score`` on any object.
    """

    name: str
    model: str | None

    @abstractmethod
    def score(
        self,
        questions: Sequence[str],
        partials: Sequence[Sequence[str]],
        *,
        step_logprobs: Sequence[Sequence[Sequence[float]]] | None = None,
    ) -> StepScores: ...


def check_batch(questions, partials) -> tuple[list[str], list[list[str]]]:
    """The inputs of ``score`` as lists, or ValueError/TypeError naming what is wrong: one question per
    partial, strings only (a bare string as a partial would be read as a list of characters)."""
    if isinstance(questions, str) or isinstance(partials, str):
        raise TypeError("questions and partials must be sequences (one question per partial), not a single string")
    questions, partials = list(questions), list(partials)
    if len(questions) != len(partials):
        raise ValueError(f"questions and partials must have the same length; got {len(questions)} and {len(partials)}")
    for i, (q, steps) in enumerate(zip(questions, partials)):
        if not isinstance(q, str):
            raise TypeError(f"questions[{i}] must be a str; got {type(q).__name__}")
        if isinstance(steps, str):
            raise TypeError(f"partials[{i}] must be a list of step strings, not one string: {steps[:40]!r}")
        for j, step in enumerate(steps):
            if not isinstance(step, str):
                raise TypeError(f"partials[{i}][{j}] must be a str; got {type(step).__name__}")
    return questions, [list(steps) for steps in partials]


def check_step_scores(result, partials, name: str) -> StepScores:
    """``result`` if it is a valid answer to ``partials``, else ValueError naming the verifier ``name``.

    Valid: a :class:`StepScores` with one finite score in [0, 1] per step of every partial (as many
    arrays as partials, each as long as its partial) and ``num_tokens`` a whole number >= 0.
    """
    if not isinstance(result, StepScores):
        raise ValueError(f"verifier {name!r} returned {type(result).__name__}, not StepScores")
    lengths = [len(p) for p in partials]
    if len(result.scores) != len(lengths):
        raise ValueError(
            f"verifier {name!r} returned scores for {len(result.scores)} partial solutions; {len(lengths)} were asked"
        )
    for i, (s, want) in enumerate(zip(result.scores, lengths)):
        s = np.asarray(s)
        if s.ndim != 1 or s.shape[0] != want:
            raise ValueError(
                f"verifier {name!r} returned scores of shape {s.shape} for partial {i}, which has {want} steps"
            )
        if not np.issubdtype(s.dtype, np.number) or np.issubdtype(s.dtype, np.complexfloating):
            raise ValueError(f"verifier {name!r} returned non-numeric scores ({s.dtype}) for partial {i}")
        bad = ~((s >= 0) & (s <= 1))  # NaN compares False: caught here too
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"verifier {name!r} returned {s[j]!r} for step {j} of partial {i}: scores must lie in [0, 1] (no NaN)"
            )
    total = sum(lengths)
    got = sum(len(s) for s in result.scores)
    if got != total:  # cannot differ after the checks above; kept as the stated contract
        raise ValueError(f"verifier {name!r} returned {got} scores in total for {total} steps")
    n = result.num_tokens
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"verifier {name!r} returned num_tokens = {n!r}; expected an int >= 0")
    if result.truncated and len(result.truncated) != len(lengths):
        raise ValueError(f"verifier {name!r} returned truncated for {len(result.truncated)} partials; {len(lengths)} were asked")
    return result


def roc_auc(scores_right, scores_wrong) -> float:
    """ROC AUC of a verifier: P(score of a right step > score of a wrong step) + P(tie) / 2, the
    Mann-Whitney U statistic over n_right * n_wrong (Hanley and McNeil 1982), from average ranks:
    ``AUC = (R_right - n_right (n_right + 1) / 2) / (n_right n_wrong)``.

    Parameters
    ----------
    scores_right, scores_wrong : array_like (n_right,), (n_wrong,), both non-empty and finite.
    """
    from scipy.stats import rankdata

    a = np.asarray(scores_right, dtype=float).ravel()
    b = np.asarray(scores_wrong, dtype=float).ravel()
    if a.size == 0 or b.size == 0:
        raise ValueError(f"roc_auc needs at least one right and one wrong step; got {a.size} and {b.size}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("roc_auc: scores must be finite (no NaN or inf)")
    ranks = rankdata(np.concatenate([a, b]))  # ties get their average rank
    u = ranks[: a.size].sum() - a.size * (a.size + 1) / 2
    return float(u / (a.size * b.size))
