"""Synthetic samples with a verifier of known quality, for testing selection rules against a truth.

Each problem has a success rate ``p ~ Beta(alpha, beta)``; each of its N samples is correct with
probability p. A correct sample gives the right answer (class 0); a wrong one gives one of
``num_wrong`` wrong answers drawn from a problem-specific mix ``Dirichlet(concentration)`` (a small
concentration lets one wrong answer dominate and outvote the right one); a share ``no_answer`` of
samples has no extracted answer (class -1, counted wrong).

The verifier score of a sample is ``expit(d' (correct - 1/2) + eps)``, eps ~ N(0, 1) drawn once
and shared by every d': the equal-variance signal-detection model, whose AUC (the chance that a
random correct sample outscores a random wrong one) is ``Phi(d' / sqrt(2))`` (Green & Swets 1966).
``d' = 0`` knows nothing. The errors are independent from sample to sample, unlike a real reward
model's (Brown et al. 2024, arXiv:2407.21787 Sec. 4), which is what makes this a best case for
best-of-N at a given AUC.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit
from scipy.stats import norm

__all__ = ["SyntheticSamples", "synthetic_samples", "verifier_auc"]


@dataclass(frozen=True)
class SyntheticSamples:
    """``correct`` (P, N) bool, ``answers`` (P, N) int class ids (0 right, 1..num_wrong wrong, -1 no
    answer), ``scores`` {d': (P, N) float in (0, 1)}, ``p_solve`` (P,) the drawn success rates."""

    correct: np.ndarray
    answers: np.ndarray
    scores: dict
    p_solve: np.ndarray


def verifier_auc(dprime):
    """AUC of the equal-variance Gaussian verifier, ``Phi(d' / sqrt(2))``."""
    return norm.cdf(np.asarray(dprime, dtype=float) / np.sqrt(2))


def synthetic_samples(num_problems: int, num_samples: int, dprimes=(0.0, 1.0, 2.0), *, alpha: float = 0.6,
                      beta: float = 1.2, num_wrong: int = 10, concentration: float = 0.5, no_answer: float = 0.05,
                      seed: int = 0) -> SyntheticSamples:
    """Draw P x N samples with answers and one verifier score per d' (see the module docstring).

    Parameters
    ----------
    num_problems, num_samples : P >= 1 and N >= 1
    dprimes : verifier qualities d' >= 0 (score gap correct - wrong, in noise standard deviations)
    alpha, beta : Beta prior of the per-problem success rate, both > 0
    num_wrong : wrong answers per problem, >= 1; concentration > 0 of their Dirichlet mix
    no_answer : share of samples with no extracted answer, in [0, 1)
    seed : seed of ``numpy.random.default_rng``; the draws depend only on it and on the shapes
    """
    for name, value in (("num_problems", num_problems), ("num_samples", num_samples), ("num_wrong", num_wrong)):
        if not float(value).is_integer() or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1; got {value!r}")
    for name, value in (("alpha", alpha), ("beta", beta), ("concentration", concentration)):
        if not value > 0:
            raise ValueError(f"{name} must be > 0; got {value!r}")
    if not 0 <= no_answer < 1:
        raise ValueError(f"no_answer must lie in [0, 1); got {no_answer!r}")
    d = np.atleast_1d(np.asarray(dprimes, dtype=float))
    if d.ndim != 1 or not np.all(np.isfinite(d)) or np.any(d < 0):
        raise ValueError(f"dprimes must be finite numbers >= 0; got {np.asarray(dprimes).tolist()}")
    rng = np.random.default_rng(seed)
    P, N = int(num_problems), int(num_samples)
    p_solve = rng.beta(alpha, beta, size=(P, 1))  # (P, 1)
    correct = rng.random((P, N)) < p_solve  # (P, N)
    mix = rng.dirichlet(np.full(int(num_wrong), concentration), size=P)  # (P, W) how wrong samples spread
    wrong = 1 + (rng.random((P, N, 1)) > mix.cumsum(1)[:, None, :-1]).sum(-1)  # (P, N) in 1..W, inverse CDF
    answers = np.where(correct, 0, wrong)
    answers[rng.random((P, N)) < no_answer] = -1
    correct &= answers >= 0
    noise = rng.normal(size=(P, N))
    scores = {x: expit(float(x) * (correct - 0.5) + noise) for x in np.atleast_1d(dprimes).tolist()}  # {d': (P, N)}
    return SyntheticSamples(correct, answers.astype(np.int64), scores, p_solve[:, 0])
