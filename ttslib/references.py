"""Published results as records, and a comparison with one that names both sides.

A sentence that sets a notebook's number beside a paper's names, for each side, the model, the
benchmark, the quantity, the method and the range (k, n, budget). The papers' side lives in
``ttslib/references.csv`` (one row per published result: paper, arXiv id, table or figure, and those
five fields, with the value as a number where it is one and as the paper words it). A notebook builds
:func:`compare_with_paper` from its own measured setting, and prints its sentence.

Where the two sides differ in model, benchmark, quantity, method or range, the sentence lists what
differs and tests nothing: the numbers are set side by side. Only where all five agree (as strings: a
range "k = 1 to 128" is not "k = 1 to 10^4"), and the paper gives a number, does it say whether that
number lies inside the notebook's interval.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path

__all__ = ["Setting", "PaperResult", "PaperComparison", "paper_result", "paper_results", "compare_with_paper"]

_CSV = Path(__file__).with_name("references.csv")
_COMPARED = ("model", "benchmark", "quantity", "method", "range")


@dataclass(frozen=True)
class Setting:
    """Where a number was measured: ``model`` on ``benchmark``, ``quantity`` by ``method`` over ``range``."""

    model: str
    benchmark: str
    quantity: str
    method: str
    range: str

    def describe(self) -> str:
        return f"{self.model} on {self.benchmark}, {self.quantity} by {self.method}, {self.range}"


@dataclass(frozen=True)
class PaperResult:
    """One published result (a row of ``references.csv``)."""

    key: str
    paper: str
    arxiv: str
    where: str
    setting: Setting
    value: float | None  # the number, where the paper gives one
    value_text: str  # the result as the paper states it

    @property
    def citation(self) -> str:
        return f"{self.paper}, {'arXiv:' + self.arxiv + ', ' if self.arxiv else ''}{self.where}"


@cache
def paper_results() -> dict[str, PaperResult]:
    """Every published result the kit knows, by key."""
    out = {}
    with _CSV.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            setting = Setting(*(row[name.name] for name in fields(Setting)))
            value = float(row["value"]) if row["value"].strip() else None
            out[row["key"]] = PaperResult(row["key"], row["paper"], row["arxiv"], row["where"], setting, value, row["value_text"])
    return out


def paper_result(key: str) -> PaperResult:
    """The published result named ``key`` (a row of ``ttslib/references.csv``)."""
    known = paper_results()
    if key not in known:
        raise ValueError(f"key must name a published result in ttslib/references.csv; got {key!r}; known: {', '.join(sorted(known))}")
    return known[key]


@dataclass(frozen=True)
class PaperComparison:
    """A paper's result beside the notebook's: ``estimate`` [lower, upper] measured in ``ours``."""

    paper: PaperResult
    ours: Setting
    estimate: float | None
    lower: float | None = None
    upper: float | None = None
    level: float = 0.95
    decimals: int = 3

    @property
    def differs_in(self) -> tuple[str, ...]:
        """The fields (model, benchmark, quantity, method, range) in which the two sides differ."""
        return tuple(name for name in _COMPARED if getattr(self.ours, name) != getattr(self.paper.setting, name))

    @property
    def inside(self) -> bool | None:
        """Whether the paper's number lies in our interval; None where that is no test (settings differ, no number, no interval)."""
        if self.differs_in or self.paper.value is None or self.lower is None or self.upper is None:
            return None
        return bool(self.lower <= self.paper.value <= self.upper)

    def _ours(self) -> str:
        if self.estimate is None:
            return "not measured here"
        d = self.decimals
        if self.lower is None:
            band = ""
        else:  # an end at infinity is open: [1.71, inf)
            left = "(" if math.isinf(self.lower) else "["
            right = ")" if math.isinf(self.upper) else "]"
            band = f" {left}{self.lower:.{d}f}, {self.upper:.{d}f}{right} ({self.level:.0%} interval)"
        return f"{self.estimate:.{d}f}{band}"

    def sentence(self) -> str:
        text = (f"Paper ({self.paper.citation}): {self.paper.setting.describe()}: {self.paper.value_text}. "
                f"Here: {self.ours.describe()}: {self._ours()}.")
        if self.differs_in:
            return text + f" The two differ in {', '.join(self.differs_in)}: set side by side, not tested."
        if self.inside is None:
            missing = "the paper gives no number" if self.paper.value is None else (
                "no estimate is measured here" if self.estimate is None else "our estimate has no interval")
            return text + f" Nothing to test: {missing}."
        return text + f" The paper's {self.paper.value:g} lies {'inside' if self.inside else 'outside'} this interval."

    def __str__(self) -> str:
        return self.sentence()


def compare_with_paper(key: str, ours: Setting, estimate: float | None, lower: float | None = None, upper: float | None = None, *,
                       level: float = 0.95, decimals: int = 3) -> PaperComparison:
    """The published result ``key`` beside our ``estimate`` [lower, upper], measured in setting ``ours``."""
    if not isinstance(ours, Setting):
        raise TypeError(f"ours must be a ttslib.references.Setting; got {type(ours).__name__}")
    for name, v in (("estimate", estimate), ("lower", lower), ("upper", upper)):
        if v is not None and math.isnan(v):
            raise ValueError(f"{name} must be a number or None; got NaN")
    if (lower is None) != (upper is None):
        raise ValueError(f"lower and upper come together; got lower={lower} and upper={upper}")
    return PaperComparison(paper_result(key), ours, estimate, lower, upper, level, decimals)
