"""Paired comparisons over problems: is one estimate ahead of another, behind it, or not shown apart?

Two strategies (or checkpoints, or models) measured on the same P problems give per-problem values
``a`` and ``b`` (accuracy, pass@k, coverage; each (P,)). Their difference is judged on the
per-problem differences ``d = a - b``, which removes what the problems share (most of the spread
between easy and hard problems):

    mean(d) +- z * sd(d) / sqrt(P),     z = Phi^-1((1 + level) / 2)

the normal interval of a paired mean (the paired t-test's standard error; with P of about 30 or
more the t and normal quantiles differ by under 4%). The verdict follows from the interval and
nothing else: "ahead" where it lies above 0, "behind" where below, "not shown" where it holds 0.
This is the rule the notebooks' sentences follow (``notebooks/`` and ``STYLE.md``).

Bad input: arrays of different shapes, fewer than 2 problems, or NaN in either raise ``ValueError``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from ttslib.checks import check_level

__all__ = ["PairedDifference", "paired_difference"]


@dataclass(frozen=True)
class PairedDifference:
    """``mean`` of a - b over ``num_problems`` problems, its standard error ``se`` and ``level`` interval."""

    mean: float
    se: float
    lower: float
    upper: float
    level: float
    num_problems: int

    @property
    def verdict(self) -> str:
        """"ahead" (interval above 0), "behind" (below 0) or "not shown" (it holds 0)."""
        return "ahead" if self.lower > 0 else "behind" if self.upper < 0 else "not shown"

    def __str__(self) -> str:
        return f"{self.mean:+.3f} [{self.lower:+.3f}, {self.upper:+.3f}]"

    def printed(self, decimals: int = 3) -> tuple[float, float, float]:
        """(mean, lower, upper) rounded as a sentence prints them, for an assert next to it."""
        return tuple(round(float(x), decimals) + 0.0 for x in (self.mean, self.lower, self.upper))


def paired_difference(a, b, *, level: float = 0.95) -> PairedDifference:
    """The paired difference ``mean(a - b)`` over problems with its normal interval (module docstring).

    Parameters
    ----------
    a, b : (P,) per-problem values of the two things compared, on the same problems in the same order
    level : the interval's coverage, in (0, 1)
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    level = check_level(level)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"a and b must be (P,) arrays over the same problems; got shapes {a.shape} and {b.shape}")
    if a.size < 2:
        raise ValueError(f"a paired interval needs at least 2 problems; got {a.size}")
    if np.isnan(a).any() or np.isnan(b).any():
        raise ValueError(f"a and b must not hold NaN; got {int(np.isnan(a).sum())} in a and {int(np.isnan(b).sum())} in b")
    d = np.sort(a - b, kind="stable")  # summed in sorted order: the same bits in any row order
    mean = float(d.sum() / d.size)
    se = float(np.sqrt(((d - mean) ** 2).sum() / (d.size - 1) / d.size))
    z = float(ndtri((1 + level) / 2))
    return PairedDifference(mean, se, mean - z * se, mean + z * se, level, int(d.size))
