"""Findings: a comparison as a record, whose sentence the package writes from its numbers.

A notebook never types "ahead" or "steeper": it builds a :class:`Finding` (what is compared, how, over
which range, both estimates, the difference and its paired interval) and prints ``finding.sentence()``.
The verdict comes from the interval alone:

- **ahead**: the interval of ``a - b`` lies above 0; **behind**: below 0;
- **not shown**: it holds 0. Then the sentence also gives the smallest difference the data could have
  detected with 80% power at this level, ``(z_{1-alpha/2} + z_{0.8}) * se`` (the normal approximation
  of a two-sided test; Cohen 1988, ch. 2), so that "not shown" is read as "not shown, with this power".

Three ways to get the interval:

- :func:`paired_finding`: per-problem values of both sides on the same problems (accuracy, pass@k):
  the paired normal interval of :func:`ttslib.compare.paired_difference`.
- :func:`bootstrap_finding`: bootstrap replicates of both estimates made on the *same* resamples of
  problems (fitted parameters: exponents, Beta parameters). The interval is the percentile band of the
  replicate differences (Efron & Tibshirani 1993, ch. 13); never two separate intervals checked for
  overlap, which is no test (Schenker & Gentleman 2001).
- several comparisons made together form a :func:`family`: p-values adjusted by Holm's step-down
  method (Holm 1979), which holds the chance of any false "ahead"/"behind" in the family at 1 - level.
  Each finding then states its adjusted verdict and the size of its family.

A trend ("rises with pretraining") is a :func:`trend` over ordered pairs: each step is a finding, the
steps form a family, and the trend is stated only for the steps shown.

Bad input (NaN, shapes that differ, fewer than 2 problems or 2 replicates, a level outside (0, 1))
raises ``ValueError`` naming the argument.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.special import ndtr, ndtri
from scipy.stats import binomtest

from ttslib.checks import check_level
from ttslib.compare import paired_difference

__all__ = ["Finding", "Trend", "Summary", "paired_finding", "bootstrap_finding", "family", "trend", "holm", "detectable_difference",
           "POWER", "FEW_DIFFER"]

POWER = 0.8  # the power at which "the smallest difference this data could detect" is stated
DIFFER_ATOL = 1e-9  # per-problem values closer than this count as equal (floating-point noise of exact computations)
FEW_DIFFER = 10  # below this many problems that differ, a paired finding uses the exact sign test, and states no power


def detectable_difference(se: float, *, level: float = 0.95, power: float = POWER) -> float:
    """Smallest true difference a two-sided test at ``level`` detects with probability ``power``:
    ``(z_{(1+level)/2} + z_{power}) * se`` (normal approximation; about 2.80 se at 95% and 80%)."""
    level, power = check_level(level), check_level(power)
    return float((ndtri((1 + level) / 2) + ndtri(power)) * se)


def holm(p_values, *, alpha: float = 0.05) -> np.ndarray:
    """Which hypotheses Holm's step-down method rejects at family-wise error ``alpha`` (Holm 1979):
    sort the m p-values ascending; reject the i-th smallest (i = 1..m) while ``p_(i) <= alpha / (m - i + 1)``;
    stop at the first that is not. Returns a (m,) bool array in the input's order."""
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1 or np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError(f"p_values must be a 1-d array of numbers in [0, 1]; got {p_values!r}")
    order = np.argsort(p, kind="stable")
    m = p.size
    passed = p[order] <= alpha / (m - np.arange(m))
    stop = m if passed.all() else int(np.argmin(passed))  # index of the first that fails
    reject = np.zeros(m, dtype=bool)
    reject[order[:stop]] = True
    return reject


@dataclass(frozen=True)
class Finding:
    """``a`` against ``b``: the ``quantity`` measured by ``method`` over ``range`` on ``num_problems`` problems.

    ``difference`` is a - b, with its ``level`` interval [lower, upper] and two-sided ``p_value``;
    ``detectable`` is :func:`detectable_difference` for this interval. ``family_size`` > 1 marks a
    finding judged within a Holm family (:func:`family`); ``adjusted_shown`` is then whether Holm
    rejects "no difference" for it.
    """

    a: str
    b: str
    quantity: str
    method: str
    range: str
    a_value: float
    b_value: float
    difference: float
    lower: float
    upper: float
    level: float
    p_value: float
    detectable: float
    num_problems: int
    family_size: int = 1
    adjusted_shown: bool | None = None
    num_differ: int | None = None  # paired findings: problems whose two values differ (None: not counted)
    words: tuple[str, str] = ("ahead", "behind")  # how the sentence says a - b > 0 and < 0, e.g. ("less negative", "more negative")
    censored: int = 0  # bootstrap findings: replicates whose difference was set by a rule, not measured (e.g. a target not reached)

    @property
    def unadjusted_verdict(self) -> str:
        """"ahead" (interval above 0), "behind" (below 0) or "not shown" (it holds 0), before any family adjustment."""
        if self.few_differ and not self.p_value < 1 - self.level:
            return "not shown"  # too few problems differ for the normal interval alone: the exact sign test must agree
        return "ahead" if self.lower > 0 else "behind" if self.upper < 0 else "not shown"

    @property
    def few_differ(self) -> bool:
        """Fewer than :data:`FEW_DIFFER` problems differ: the normal interval is not to be trusted alone."""
        return self.num_differ is not None and self.num_differ < FEW_DIFFER

    @property
    def verdict(self) -> str:
        """The verdict the sentence states: the interval's, and "not shown" where a family's Holm adjustment keeps it."""
        if self.family_size > 1 and not self.adjusted_shown:
            return "not shown"
        return self.unadjusted_verdict

    @property
    def said(self) -> str:
        """The verdict in this finding's :attr:`words`: ``words[0]`` for "ahead", ``words[1]`` for "behind"."""
        return {"ahead": self.words[0], "behind": self.words[1]}.get(self.verdict, self.verdict)

    def interval(self, decimals: int = 3) -> str:
        """``+0.080 [+0.020, +0.140]``: the difference and its interval as a sentence prints them."""
        return f"{self.difference:+.{decimals}f} [{self.lower:+.{decimals}f}, {self.upper:+.{decimals}f}]"

    def printed(self, decimals: int = 3) -> tuple[float, float, float]:
        """(difference, lower, upper) rounded as the sentence prints them, for an assert next to it."""
        return tuple(round(float(x), decimals) + 0.0 for x in (self.difference, self.lower, self.upper))

    def verdict_text(self, decimals: int = 3) -> str:
        """The verdict with what qualifies it: the power behind "not shown", the family behind an adjusted one."""
        text = f"{self.a} {self.said}" if self.verdict != "not shown" else "not shown"
        if self.verdict == "not shown":
            text += f" ({self.power_text(decimals)})"
            if self.family_size > 1 and self.unadjusted_verdict != "not shown":
                text += f"; {self.words[self.unadjusted_verdict == 'behind']} before Holm's adjustment over {self.family_size} comparisons"
        elif self.family_size > 1:
            text += f" (after Holm's adjustment over {self.family_size} comparisons)"
        return text

    def power_text(self, decimals: int = 3) -> str:
        """What a "not shown" could have shown: the detectable difference, or why none can be stated."""
        if self.num_differ == 0:
            return "no problem differs: the data hold no difference to detect"
        if self.censored:
            return (f"{self.censored} resamples' differences were set by a rule, not measured, so the interval's ends are bounds; "
                    "no power stated")
        if self.few_differ:
            split = (f"; the normal interval {self.interval(decimals)} holds 0, and a verdict needs both"
                     if self.p_value < 1 - self.level and self.lower <= 0 <= self.upper else "")
            return (f"only {self.num_differ} problem{'s' * (self.num_differ != 1)} differ{'s' * (self.num_differ == 1)}; "
                    f"exact sign test p = {self.p_value:.2g}{split}; "
                    "too few for a power statement")
        text = f"smallest difference this data could detect at {POWER:.0%} power: {self.detectable:.{decimals}f}"
        if self.family_size > 1:  # Holm's first threshold, (1 - level) / m: the level at which the family's first finding is judged
            text += f", {self.holm_detectable:.{decimals}f} at Holm's first threshold over {self.family_size} comparisons"
        return text

    @property
    def holm_detectable(self) -> float:
        """:attr:`detectable` at Holm's first (strictest) threshold over the family, ``1 - (1 - level) / family_size``."""
        se = self.detectable / (ndtri((1 + self.level) / 2) + ndtri(POWER))
        return detectable_difference(se, level=1 - (1 - self.level) / self.family_size)

    def sentence(self, decimals: int = 3) -> str:
        """One sentence from the record's fields: both sides, the quantity, range, method, interval and verdict."""
        return (f"{self.a} minus {self.b}, {self.quantity} ({self.range}; {self.num_problems} problems): "
                f"{self.a_value:.{decimals}f} against {self.b_value:.{decimals}f}, difference {self.interval(decimals)} "
                f"({self.level:.0%} {self.method}): {self.verdict_text(decimals)}.")

    def __str__(self) -> str:
        return self.sentence()


def paired_finding(a_values, b_values, *, a: str, b: str, quantity: str, range: str, level: float = 0.95,
                   words: tuple[str, str] = ("ahead", "behind")) -> Finding:
    """A finding from per-problem values of both sides on the same problems, in the same order.

    Parameters
    ----------
    a_values, b_values : (P,) per-problem values (accuracy, pass@k, ...) of the two things compared
    a, b : their names, as the sentence should print them
    quantity, range : what the values are ("accuracy") and where they were measured ("N = 64")
    level : the interval's coverage
    words : how the sentence says a - b above and below 0; ("ahead", "behind") unless the quantity has no
        better side (an exponent: ("less negative", "more negative"); an extrapolation: ("higher", "lower"))

    The interval is the paired normal interval of :func:`ttslib.compare.paired_difference`. Where fewer than
    :data:`FEW_DIFFER` problems have different values (rare successes: most differences are 0), the normal
    approximation does not hold: the p-value is then the exact two-sided sign test over the problems that
    differ (Conover 1999, sec. 3.4), a verdict other than "not shown" needs both it and the interval, and
    no power is stated.
    """
    d = paired_difference(a_values, b_values, level=level)
    a_arr, b_arr = np.asarray(a_values, dtype=float), np.asarray(b_values, dtype=float)
    a_mean = float(np.sort(a_arr, kind="stable").sum() / d.num_problems)
    b_mean = float(np.sort(b_arr, kind="stable").sum() / d.num_problems)
    diff = a_arr - b_arr
    differ = int(np.count_nonzero(np.abs(diff) > DIFFER_ATOL))  # rounding noise (1e-15 between two exact sums) is no difference
    if differ == 0:
        p = 1.0
    elif differ < FEW_DIFFER:
        p = float(binomtest(int(np.count_nonzero(diff > DIFFER_ATOL)), differ, 0.5).pvalue)
    else:
        p = float(2 * ndtr(-abs(d.mean) / d.se))
    return Finding(a, b, quantity, "paired normal interval over problems", range, a_mean, b_mean, d.mean, d.lower, d.upper, d.level, p,
                   detectable_difference(d.se, level=level), d.num_problems, num_differ=differ, words=_check_words(words))


def bootstrap_finding(a_value: float, b_value: float, a_boot, b_boot, *, a: str, b: str, quantity: str, range: str,
                      num_problems: int, level: float = 0.95, words: tuple[str, str] = ("ahead", "behind"), censored: int = 0) -> Finding:
    """A finding from two estimates and their bootstrap replicates on the same resamples of problems.

    Parameters
    ----------
    a_value, b_value : the two point estimates (fitted on all problems)
    a_boot, b_boot : (B,) their replicates; replicate i of both sides must come from the same resample of
        problems (as :func:`ttslib.fit.fit_power_law_pair` makes them). NaN replicates (a failed fit) are
        left out of both.
    num_problems : problems resampled
    words : as in :func:`paired_finding`
    censored : how many replicates' differences a rule set instead of a measurement (a model that did not
        reach a target within its measured budgets, its difference put at 0): then no power is stated, as
        the replicates' spread is not the sampling distribution's

    The interval is the percentile band of ``a_boot - b_boot``; the p-value is twice the smaller share of
    replicate differences on either side of 0 (with the +1 correction of Davison & Hinkley 1997, eq. 4.11).
    The detectable difference uses the replicates' standard deviation as the standard error.
    """
    level = check_level(level)
    a_boot, b_boot = np.asarray(a_boot, dtype=float), np.asarray(b_boot, dtype=float)
    if a_boot.shape != b_boot.shape or a_boot.ndim != 1:
        raise ValueError(f"a_boot and b_boot must be (B,) replicates of the same resamples; got shapes {a_boot.shape} and {b_boot.shape}")
    if not (np.isfinite(a_value) and np.isfinite(b_value)):
        raise ValueError(f"a_value and b_value must be finite; got {a_value} and {b_value}")
    d = np.sort((a_boot - b_boot)[~(np.isnan(a_boot) | np.isnan(b_boot))], kind="stable")
    if d.size < 2:
        raise ValueError(f"a bootstrap finding needs at least 2 replicates where both fits succeeded; got {d.size}")
    lower, upper = np.quantile(d, [(1 - level) / 2, (1 + level) / 2])
    p = float(min(1.0, 2 * (1 + min(np.count_nonzero(d <= 0), np.count_nonzero(d >= 0))) / (d.size + 1)))
    se = float(np.sqrt(((d - d.sum() / d.size) ** 2).sum() / (d.size - 1)))
    return Finding(a, b, quantity, f"paired bootstrap percentile interval, {d.size} resamples of problems", range, float(a_value), float(b_value),
                   float(a_value - b_value), float(lower), float(upper), level, p, detectable_difference(se, level=level), int(num_problems),
                   words=_check_words(words), censored=int(censored))


def _check_words(words) -> tuple[str, str]:
    if not (isinstance(words, tuple) and len(words) == 2 and all(isinstance(w, str) and w.strip() for w in words) and words[0] != words[1]):
        raise ValueError(f"words must be two different non-empty strings (for a - b above and below 0); got {words!r}")
    return words


def family(findings: Sequence[Finding]) -> list[Finding]:
    """The findings of one section judged together: Holm's adjustment at 1 - level over all of them.

    Returns the findings, in order, each with ``family_size`` and ``adjusted_shown`` set; a finding whose
    interval excludes 0 but which Holm does not reject is then "not shown". All must share one level.
    """
    findings = list(findings)
    if not findings:
        raise ValueError("a family needs at least one finding; got none")
    levels = {f.level for f in findings}
    if len(levels) != 1:
        raise ValueError(f"a family's findings must share one level; got {sorted(levels)}")
    shown = holm([f.p_value for f in findings], alpha=1 - levels.pop())
    return [replace(f, family_size=len(findings), adjusted_shown=bool(s)) for f, s in zip(findings, shown)]


@dataclass(frozen=True)
class Trend:
    """``quantity`` along ``order`` (e.g. model sizes): one finding per step (later minus earlier), judged as a family."""

    quantity: str
    order: tuple[str, ...]
    steps: tuple[Finding, ...]

    def direction(self) -> str:
        """What the shown steps say, in the steps' :attr:`Finding.words` (up, down): "<up> at every step",
        "<down> at every step", "<up> at K of M steps, <down> at none" (and the reverse), "both directions"
        (some steps shown each way) or "no step shown"."""
        up, down = self.steps[0].words
        ups, downs = (sum(s.verdict == v for s in self.steps) for v in ("ahead", "behind"))
        if ups == len(self.steps):
            return f"{up} at every step"
        if downs == len(self.steps):
            return f"{down} at every step"
        if ups and downs:
            return "both directions"
        if ups or downs:
            m = len(self.steps)
            return f"{up} at {ups} of {m} steps, {down} at none" if ups else f"{down} at {downs} of {m} steps, {up} at none"
        return "no step shown"

    def sentence(self, decimals: int = 3) -> str:
        counts = {v: sum(s.verdict == v for s in self.steps) for v in ("ahead", "behind", "not shown")}
        first, m = self.steps[0], len(self.steps)
        shared = lambda field: len({getattr(s, field) for s in self.steps}) == 1  # noqa: E731
        where = [first.range] if shared("range") else []
        size = f"{first.num_problems} problems" if shared("num_problems") else "problems per step"
        head = (f"{self.quantity} along {' -> '.join(self.order)} ({'; '.join(where + [f'{m} step' + 's' * (m != 1)])}, "
                f"each later minus earlier, {first.level:.0%} {first.method}, {size}, Holm-adjusted together): {self.direction()}; "
                f"{first.words[0]} at {counts['ahead']}, {first.words[1]} at {counts['behind']}, not shown at {counts['not shown']} of "
                f"{m} step" + "s" * (m != 1))
        per_step = not (shared("range") and shared("num_problems"))

        def step(s: Finding) -> str:
            if s.verdict != "not shown":
                said = s.said
            elif s.unadjusted_verdict != "not shown":
                said = f"not shown after Holm's adjustment; {s.words[s.unadjusted_verdict == 'behind']} before it"
            else:
                said = f"not shown; {s.power_text(decimals)}"
            where = f" [{s.range}; {s.num_problems} problems]" if per_step else ""
            return f"{s.b} -> {s.a}{where} {s.interval(decimals)} ({said})"

        return head + ": " + "; ".join(step(s) for s in self.steps) + "."

    def __str__(self) -> str:
        return self.sentence()


def trend(findings: Sequence[Finding], *, quantity: str, words: tuple[str, str] = ("up", "down")) -> Trend:
    """A trend from the findings of consecutive ordered pairs: ``findings[i]`` is item i+1 minus item i.

    ``words`` say a step's rise and fall ("up", "down"; for exponents e.g. ("less negative", "more negative")).
    """
    steps = [replace(f, words=words) for f in family(findings)]
    for before, after in zip(steps, steps[1:]):
        if after.b != before.a:
            raise ValueError(f"a trend's steps must chain: step '{before.b} -> {before.a}' is followed by '{after.b} -> {after.a}'")
    return Trend(quantity, (steps[0].b, *(s.a for s in steps)), tuple(steps))


class Summary:
    """What a section shows, rendered: a list of lines (findings, trends, paper comparisons, plain facts).

    A notebook cell that ends with a Summary shows it as Markdown and as plain text (for viewers without
    Markdown). Facts are for measured values that compare nothing ("pass@1 is 0.30 on 150 problems").
    """

    def __init__(self, *lines):
        items = [x for line in lines for x in (line if isinstance(line, (list, tuple)) else [line])]
        self.lines = [x.sentence() if hasattr(x, "sentence") else str(x) for x in items]

    def __str__(self) -> str:
        return "\n".join(f"- {line}" for line in self.lines)

    __repr__ = __str__

    def _repr_markdown_(self) -> str:
        return str(self)
