"""Verifiers of the chain task that need no model: the exact step checker and a noisy copy of it.

The chain task (:func:`ttslib.problems.make_chains`) asks for the left-to-right value of a bare
expression of + and - ("3 + 4 - 2"); a solution is one line per operation ("3 + 4 = 7",
"7 - 2 = 5") and then the answer line ("Answer: 5", as ``ttslib.problems.chain_solution``
writes it and the ``chain_fewshot`` prompt shows; "A: 5" is accepted too).

* :class:`StepChecker` is an exact, free process reward model for it. Steps are judged
  prefix-correct, as PRM800K labels them (Lightman et al. 2023, arXiv:2305.20050): step j is right
  (1.0) iff every earlier step is right and step j is the correct next step given the question.
* :class:`NoisyVerifier` draws scores around another verifier's verdict with a chosen ROC AUC, so
  that search gains can be measured against verifier quality (Liu et al. 2025, arXiv:2502.06703).
"""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
from scipy.special import ndtr, ndtri

from ttslib.generate.base import HasSettings, backend_settings
from ttslib.verifiers.base import StepScores, Verifier, check_batch

__all__ = ["StepChecker", "NoisyVerifier", "parse_chain", "chain_step_verdicts"]

_QUESTION = re.compile(r"\s*(\d+)((?:\s*[+-]\s*\d+)*)\s*")
_TERM = re.compile(r"([+-])\s*(\d+)")
# "x op y = z" with any spaces (x and z may carry a sign: a wrong line can write one); "Answer: N" or "A: N"
_OPERATION = re.compile(r"\s*(-?\d+)\s*([+-])\s*(\d+)\s*=\s*(-?\d+)\s*")
_ANSWER = re.compile(r"\s*(?:A|Answer):\s*(-?\d+)\s*")  # the kit's prompt writes "Answer: N"


def parse_chain(question: str) -> tuple[int, list[tuple[str, int]]]:
    """The first operand and the (op, operand) pairs of a chain question: "3 + 4 - 2" -> (3, [("+", 4), ("-", 2)]).

    Raises ValueError (naming the question) for anything but non-negative integers joined by + and -.
    """
    if not isinstance(question, str):
        raise TypeError(f"question must be a str; got {type(question).__name__}")
    m = _QUESTION.fullmatch(question)
    if m is None:
        raise ValueError(
            f"question {question!r} is not a chain: expected non-negative integers joined by + and -, e.g. '3 + 4 - 2'"
        )
    return int(m.group(1)), [(op, int(y)) for op, y in _TERM.findall(m.group(2))]


def chain_step_verdicts(question: str, steps) -> np.ndarray:
    """Prefix-correctness of each step of one chain solution, (S,) bool.

    With running values v_0 = first operand and v_k = v_{k-1} op_k y_k, step j is right iff steps
    0..j-1 are right and either j = k < K (K operations) and step j reads "v_k op_{k+1} y_{k+1} = v_{k+1}"
    (spaces free: "3+4=7" counts), or j = K and it reads "Answer: v_K" (or "A: v_K"). A step after the answer line, an
    answer before the last operation, an empty or malformed line, and everything after a wrong step
    is wrong.
    """
    value, terms = parse_chain(question)
    verdicts = np.zeros(len(steps), dtype=bool)
    for j, step in enumerate(steps):
        if j < len(terms):
            op, y = terms[j]
            nxt = value + y if op == "+" else value - y
            m = _OPERATION.fullmatch(step)
            ok = m is not None and (int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4))) == (value, op, y, nxt)
            value = nxt
        elif j == len(terms):
            m = _ANSWER.fullmatch(step)
            ok = m is not None and int(m.group(1)) == value
        else:
            ok = False  # anything after the answer line
        if not ok:
            break
        verdicts[j] = True
    return verdicts


class StepChecker(Verifier, HasSettings):
    """The exact step verifier of the chain task: score 1.0 for a prefix-correct step, 0.0 otherwise
    (see :func:`chain_step_verdicts`). Free: ``num_tokens`` is 0 and ``model`` None."""

    name = "step_checker"
    model = None

    def settings(self) -> dict:
        """What a run's manifest records (``ttslib.generate.base.HasSettings``): nothing but the name."""
        return {"name": self.name}

    def score(self, questions, partials, *, step_logprobs=None) -> StepScores:
        questions, partials = check_batch(questions, partials)
        scores = tuple(chain_step_verdicts(q, steps).astype(float) for q, steps in zip(questions, partials))
        return StepScores(scores=scores, num_tokens=0)


class NoisyVerifier(Verifier, HasSettings):
    """A verifier of set quality: scores drawn around a base verifier's verdict with ROC AUC ``auc``.

    Each step gets a latent ``z = (+mu/2 if right else -mu/2) + e`` with ``e ~ N(0, 1)``, and the
    score ``Phi(z)`` (standard normal CDF, monotone, so AUC is unchanged and scores lie in [0, 1]).
    A right and a wrong step differ by ``z_r - z_w ~ N(mu, 2)``, so
    ``AUC = P(z_r > z_w) = Phi(mu / sqrt(2))``, i.e. ``mu = sqrt(2) * Phi^-1(auc)`` (the binormal
    ROC model, e.g. Hanley 1988). A step is right when the base score is >= 0.5 (the step checker's
    scores are exactly 0 or 1).

    The noise is a function of (seed, question, step prefix): ``e = Phi^-1(u)`` with u read from a
    BLAKE2b hash of them, so a step scores the same every time it is scored (rescoring a partial
    during search does not re-draw it), whatever the batch and its order.

    Parameters
    ----------
    base : the verifier whose verdict is blurred (default: :class:`StepChecker`).
    auc : target ROC AUC between right and wrong steps, in [0.5, 1) (0.5: scores ignore the verdict).
    seed : int, selects the noise.
    """

    def __init__(self, base=None, auc: float = 0.8, seed: int = 0):
        if isinstance(auc, bool) or not isinstance(auc, (int, float, np.integer, np.floating)) or not 0.5 <= auc < 1:
            raise ValueError(f"auc must be a number in [0.5, 1) (1 would need infinite separation); got {auc!r}")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise ValueError(f"seed must be an int; got {seed!r}")
        self.base = base if base is not None else StepChecker()
        self.auc = float(auc)
        self.seed = int(seed)
        self.mu = float(np.sqrt(2.0) * ndtri(self.auc))
        self.name = f"noisy_auc{self.auc:.2f}"
        self.model = self.base.model

    def settings(self) -> dict:
        """What a run's manifest records: the exact AUC (the name rounds it), the noise seed, the base verifier."""
        return {"name": self.name, "auc": self.auc, "seed": self.seed, "base": backend_settings(self.base)}

    def _uniform(self, question: str, prefix) -> float:
        key = json.dumps([self.seed, question, list(prefix)], ensure_ascii=False).encode("utf-8")
        h = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little")
        return (h + 0.5) / 2.0**64  # in (0, 1), never 0 or 1

    def score(self, questions, partials, *, step_logprobs=None) -> StepScores:
        questions, partials = check_batch(questions, partials)
        base = self.base.score(questions, partials, step_logprobs=step_logprobs)
        scores = []
        for q, steps, verdict in zip(questions, partials, base.scores):
            u = np.array([self._uniform(q, steps[: j + 1]) for j in range(len(steps))])
            right = np.asarray(verdict, dtype=float) >= 0.5
            z = np.where(right, self.mu / 2, -self.mu / 2) + ndtri(u)
            scores.append(ndtr(z))
        return StepScores(scores=tuple(scores), num_tokens=base.num_tokens)
