"""Grading: pull the final answer out of a completion and judge it against the reference.

Two steps, each usable alone:

1. ``extract_answer`` finds the final answer as a string: the last ``\\boxed{...}`` (MATH,
   Hendrycks et al. 2021, arXiv:2103.03874), GSM8K's ``#### 42`` (Cobbe et al. 2021,
   arXiv:2110.14168), "the (final) answer is X", or the last number in the text.
2. ``answers_equivalent`` decides whether two answer strings mean the same value: exact and
   rational-number fast paths first, then math-verify (sympy) for everything else
   (fractions vs decimals, intervals, sets, tuples, expressions).

math-verify's own timeout (``signal.alarm``) works only in the main thread; it is switched off
here and each comparison runs under ``ttslib._deadline`` instead, with a size guard on the integers
sympy would build. A timeout or a refusal counts as "not equivalent" with status ``"timeout"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd
from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify
from sympy import Basic

from ttslib._deadline import MAX_BITS as _MAX_BITS
from ttslib._deadline import Deadline as _Deadline
from ttslib._deadline import bits as _bits
from ttslib._deadline import deadline as _deadline

__all__ = ["Grade", "STYLES", "extract_answer", "answers_equivalent", "canonical_answer", "grade", "grade_many", "grade_table"]

STYLES = ("auto", "boxed", "gsm8k", "answer_is", "last_number")
_PARSE_CONFIG = (LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig())

# Answer patterns.
_BOXED = re.compile(r"\\(?:boxed|fbox)\s*")
_HASHES = re.compile(r"####\s*([^\n]*)")
_ANSWER_IS = re.compile(r"answer\s*(?:is\b|:)\s*:?\s*([^\n]+)", re.IGNORECASE)
_NUMBER = re.compile(r"(?:(?<![\w)\]}])[-+])?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)")
_LEADING_NUMBER = re.compile(r"^([-+]?)\\?\$?\s*((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)(?:\s+[A-Za-z][A-Za-z ]*)?$")
_THOUSANDS = re.compile(r"^([-+]?)(?:\\?\$)?\s*(\d{1,3}(?:,(?:\\!)?\s?\d{3})+(?:\.\d+)?)$")
_SIMPLE_NUMBER = re.compile(r"^[-+]?(?:\d+(?:\.\d*)?|\.\d+)$")
_FRAC = re.compile(r"^([-+]?)\\frac(?:\{([-+]?\d+)\}|(\d))(?:\{([-+]?\d+)\}|(\d))$")
_SLASH = re.compile(r"^([-+]?\d+)/([-+]?\d+)$")
_NOISE = re.compile(r"\\left(?![a-zA-Z])|\\right(?![a-zA-Z])|\\[!,;:]|\\ |~|\$|\\%|%|\^\{?\\circ\}?|\\circ|\s+")
_TEXT = re.compile(r"\\(?:text|textbf|mathrm|mbox)\{([^{}]*)\}")


@dataclass(frozen=True)
class Grade:
    """The grade of one completion.

    Attributes
    ----------
    answer : str or None
        The extracted final answer (None: none found); the sample table's ``answer``.
    is_correct : bool
        The answer is equivalent to the reference; the sample table's ``is_correct``.
    status : str
        ``"ok"``, ``"no_answer"``, ``"timeout"`` (not decided in time) or ``"error: ..."``.
    """

    answer: str | None
    is_correct: bool
    status: str


# --------------------------------------------------------------------------- extraction


def _braced(text: str, start: int, end: int) -> str | None:
    """Content of the brace group opening at ``text[start]`` if it closes before ``end`` (``\\{`` is literal)."""
    depth, i = 0, start
    while i < end:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        depth += (c == "{") - (c == "}")
        if depth == 0:
            return text[start + 1 : i]
        i += 1
    return None  # unbalanced, e.g. a completion cut off at the length limit


def _last_boxed(text: str) -> str | None:
    """Content of the last complete ``\\boxed{...}`` / ``\\fbox{...}`` (or ``\\boxed 5``)."""
    unclosed = len(text)  # a group that opens before an unclosed one and contains it is unclosed too
    for m in reversed(list(_BOXED.finditer(text))):
        if text[m.end() : m.end() + 1] == "{":
            content = _braced(text, m.end(), unclosed)
            unclosed = m.end() if content is None else unclosed
        else:
            content = re.match(r"[^\s$]*", text[m.end() :]).group(0)
        if content and content.strip():
            return content.strip()
    return None


def _clean(tail: str) -> str | None:
    """The answer at the start of ``tail``: unwrap ``$...$``/``\\(...\\)``/bold, drop the sentence's end."""
    tail = tail.strip().strip("*").strip()
    boxed = _last_boxed(tail)
    if boxed is not None:
        return boxed
    math_mode = re.match(r"^(?:\$+(.+?)\$+|\\\((.+?)\\\)|\\\[(.+?)\\\])", tail)
    if math_mode:
        tail = next(g for g in math_mode.groups() if g is not None)
    else:
        tail = re.split(r"\.(?:\s|$)|;|\s\(", tail)[0]  # "12 eggs. So ..." -> "12 eggs"
    tail = tail.strip().rstrip(".").strip().strip("*").strip()
    number = _LEADING_NUMBER.match(tail)
    if number:  # "18 dollars" -> "18"
        tail = number.group(1) + number.group(2)
    return tail or None


def _strip_thousands(answer: str) -> str:
    """``1,000`` / ``10,\\!080`` / ``\\$32,\\!348`` -> ``1000`` / ``10080`` / ``32348``; other strings unchanged."""
    m = _THOUSANDS.match(answer.strip())
    return m.group(1) + re.sub(r",(?:\\!)?\s?", "", m.group(2)) if m else answer


def extract_answer(completion: str, *, style: str = "auto") -> str | None:
    """Final answer of a completion: the last ``\\boxed{}``, else ``#### x``, else "answer is x".

    Parameters
    ----------
    completion : str
        The generated text.
    style : {"auto", "boxed", "gsm8k", "answer_is", "last_number"}
        ``"boxed"``: the last complete ``\\boxed{...}`` or ``\\fbox{...}`` (balanced braces;
        MATH, arXiv:2103.03874); ``"gsm8k"``: the text after the last ``####`` (arXiv:2110.14168);
        ``"answer_is"``: after the last "answer is" / "answer:", without ``$...$``, bold or a
        trailing period; ``"last_number"``: the last number in the text, for small models that
        write only a number. ``"auto"`` tries boxed, then gsm8k, then answer_is.

    Returns
    -------
    str or None
        The answer as written (thousands separators removed from a number), None if none found.
    """
    if not isinstance(completion, str):
        raise TypeError(f"completion must be a str; got {type(completion).__name__}")
    if style not in STYLES:
        raise ValueError(f"style must be one of {STYLES}; got {style!r}")
    found = None
    if style in ("auto", "boxed"):
        found = _last_boxed(completion)
    if found is None and style in ("auto", "gsm8k"):
        hits = _HASHES.findall(completion)
        found = _clean(hits[-1]) if hits else None
    if found is None and style in ("auto", "answer_is"):
        hits = _ANSWER_IS.findall(completion)
        found = _clean(hits[-1]) if hits else None
    if style == "last_number":
        hits = _NUMBER.findall(completion)
        found = hits[-1] if hits else None
    return None if found is None else _strip_thousands(found)


_FINAL_LINE = re.compile(r"^\W*(?:(?:so|thus|therefore|hence)\b\W*)?(?:the\s+)?(?:final\s+)?answer\s*(?:is\b|:)", re.IGNORECASE)


def final_answer_line(step: str, *, style: str = "auto") -> bool:
    """Whether a step of a solution gives its final answer, as ``style`` writes one: a complete ``\\boxed{}``
    (boxed), a line starting ``####`` (gsm8k), or a line that *starts* with "answer is" / "answer:",
    optionally after "So", "Thus", "Therefore", "Hence", "the", "final" (answer_is); ``"auto"`` any of these,
    ``"last_number"`` never (a number is no end). "Check that the answer is positive." ends nothing."""
    if style not in STYLES:
        raise ValueError(f"style must be one of {STYLES}; got {style!r}")
    if style == "last_number":
        return False
    lines = [line.strip() for line in step.splitlines()]
    boxed = style in ("auto", "boxed") and _last_boxed(step) is not None
    hashes = style in ("auto", "gsm8k") and any(line.startswith("####") and _HASHES.search(line) for line in lines)
    said = style in ("auto", "answer_is") and any(_FINAL_LINE.match(line) and extract_answer(line, style="answer_is") for line in lines)
    return bool(boxed or hashes or said)


# --------------------------------------------------------------------------- canonical forms


def _normalize(answer: str) -> str:
    """Spelling-only normal form: no spaces, ``\\left``/``\\right``, ``$``, ``\\%``, degrees, ``\\text``; ``\\dfrac`` -> ``\\frac``."""
    s = _strip_thousands(answer.strip())
    s = _TEXT.sub(r"\1", s).replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    return _NOISE.sub("", s).rstrip(".")


def _fraction(normal: str) -> Fraction | None:
    """The rational number a normalised answer spells (``3``, ``-0.5``, ``1/2``, ``\\frac{1}{2}``, ``\\frac12``), else None."""
    try:
        if _SIMPLE_NUMBER.match(normal):
            return Fraction(normal)
        m = _SLASH.match(normal)
        if m:
            return Fraction(int(m.group(1)), int(m.group(2)))
        m = _FRAC.match(normal)
        if m:
            num, den = int(m.group(2) or m.group(3)), int(m.group(4) or m.group(5))
            return Fraction(-num if m.group(1) == "-" else num, den)
    except (ValueError, ZeroDivisionError):
        pass
    return None


def canonical_answer(answer: str | None, *, timeout_s: float | None = 5.0) -> str | None:
    """A key under which equivalent answers fall together for majority voting: key(a) == key(b) => a ~ b.

    Parameters
    ----------
    answer : str or None
        An extracted answer.
    timeout_s : float or None
        Time allowed to evaluate the answer with math-verify (None: no limit).

    Returns
    -------
    str or None
        The reduced fraction for a rational number (``'0.5'``, ``'1/2'``, ``'\\frac{1}{2}'``,
        ``'\\frac12'`` -> ``'1/2'``; ``'3.0'`` -> ``'3'``; ``'1,000'`` -> ``'1000'``; also what
        math-verify evaluates to a rational: ``'2^{10}'`` -> ``'1024'``), else the spelling-only
        normal form; None for None. Coarser than ``answers_equivalent``: ``'\\sqrt{8}'`` and
        ``'2\\sqrt{2}'`` get different keys.
    """
    _check_timeout(timeout_s)
    if answer is None:
        return None
    normal = _normalize(answer)
    value = _fraction(normal)
    if value is None:
        try:
            with _deadline(timeout_s):
                parsed = (_parse(answer) or [None])[0]
                if isinstance(parsed, Basic) and parsed.is_number and _bits(parsed) <= _MAX_BITS:
                    evaluated = parsed.doit()
                    if evaluated.is_Rational:
                        value = Fraction(int(evaluated.p), int(evaluated.q))
        except (_Deadline, Exception):
            pass
    return normal if value is None else str(value)


def answer_keys(answers, *, timeout_s: float | None = 5.0) -> np.ndarray:
    """:func:`canonical_answer` of each answer (any shape; one call per distinct answer), so that votes
    over graded answers count equivalent spellings once ("0.5", "1/2", "\\frac{1}{2}"); None and NaN stay None."""
    a = np.asarray(answers, dtype=object)
    flat = a.ravel()
    missing = np.array([x is None or (not isinstance(x, str) and bool(pd.isna(x))) for x in flat], dtype=bool)
    keys = {x: canonical_answer(str(x), timeout_s=timeout_s) for x in dict.fromkeys(flat[~missing])}
    out = np.array([None if m else keys[x] for x, m in zip(flat, missing)] + [None], dtype=object)[:-1]
    return out.reshape(a.shape)


def _parse(answer: str) -> list:
    """math-verify's reading of one answer string (sympy objects, then the string itself)."""
    return parse("\\boxed{" + _strip_thousands(answer) + "}", extraction_config=_PARSE_CONFIG, parsing_timeout=None)


# --------------------------------------------------------------------------- equivalence and grading


def _judge(answer: str | None, reference: str, timeout_s: float | None) -> tuple[bool, str]:
    """(equivalent, status) of an answer against a reference; math-verify is asymmetric: reference is its gold."""
    if answer is None:
        return False, "no_answer"
    na, nr = _normalize(answer), _normalize(reference)
    if na == nr:
        return True, "ok"
    fa, fr = _fraction(na), _fraction(nr)
    if fa is not None and fr is not None:
        if fa == fr or ("." not in na and "." not in nr):  # decimals go on: math-verify rounds 0.3333333 to 1/3
            return fa == fr, "ok"
    try:
        with _deadline(timeout_s):
            gold, target = _parse(reference), _parse(answer)
            if max(map(_bits, gold + target), default=0.0) > _MAX_BITS:
                return False, "timeout"  # sympy would build an integer too large to finish in time
            return bool(verify(gold, target, timeout_seconds=None)), "ok"
    except _Deadline:
        return False, "timeout"
    except Exception as e:  # math-verify catches its own errors; this is for anything it lets through
        return False, f"error: {type(e).__name__}: {e}"[:200]


def _check_timeout(timeout_s) -> None:
    if timeout_s is not None and not timeout_s > 0:
        raise ValueError(f"timeout_s must be a positive number of seconds or None; got {timeout_s!r}")


def answers_equivalent(a: str | None, b: str | None, *, timeout_s: float | None = 5.0) -> bool:
    """a ~ b: equal after normalising spelling, equal as rationals, or equal by math-verify.

    math-verify (huggingface/Math-Verify) compares with sympy: numbers to 6 decimals, sets,
    intervals, tuples, matrices, equations and expressions.

    Parameters
    ----------
    a, b : str or None
        Answer strings; ``b`` plays the reference ("gold"), as math-verify is not symmetric
        for equations (``'x=3'`` vs ``'3'``).
    timeout_s : float or None
        Time allowed for the comparison, in the calling thread whichever it is (None: no limit).

    Returns
    -------
    bool
        False also when either is None, on timeout, or when an answer is too large to evaluate.
    """
    _check_timeout(timeout_s)
    for name, value in (("a", a), ("b", b)):
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name} must be a str or None; got {type(value).__name__}")
    if a is None or b is None:
        return False
    return _judge(a, b, timeout_s)[0]


def _missing(reference) -> bool:
    """None, NaN, pandas' NA or blank text."""
    return reference is None or (pd.api.types.is_scalar(reference) and pd.isna(reference)) or not str(reference).strip()


def _check_reference(reference, where: str) -> None:
    if _missing(reference):
        raise ValueError(f"reference answer missing{where}: got {reference!r}")


def grade(completion: str, reference: str, *, style: str = "auto", timeout_s: float | None = 5.0) -> Grade:
    """Grade one completion: ``answers_equivalent(extract_answer(completion), reference)``.

    Parameters
    ----------
    completion : str
        The generated text.
    reference : str
        The reference answer; None or empty raises ValueError.
    style, timeout_s
        As in ``extract_answer`` and ``answers_equivalent``.

    Returns
    -------
    Grade
    """
    _check_reference(reference, "")
    _check_timeout(timeout_s)
    answer = extract_answer(completion, style=style)
    return Grade(answer, *_judge(answer, str(reference), timeout_s))


def grade_many(completions, references, *, style: str = "auto", timeout_s: float | None = 5.0,
               missing: str = "raise") -> list[Grade]:
    """``grade`` over M pairs, judging each distinct (answer, reference) pair once.

    Parameters
    ----------
    completions : sequence of str, (M,)
    references : sequence of str, (M,)
    style, timeout_s
        As in ``grade``; ``timeout_s`` applies per distinct pair.
    missing : {"raise", "mark"}
        What a missing (None, NaN or empty) reference does: raise ValueError naming its index, or
        give ``Grade(extracted answer, False, "no_reference")``, as ``ttslib generate`` and the
        importers record problems that have no reference.

    Returns
    -------
    list of Grade, (M,)
    """
    completions, references = list(completions), list(references)
    if len(completions) != len(references):
        raise ValueError(f"completions and references must have the same length; got {len(completions)} and {len(references)}")
    if missing not in ("raise", "mark"):
        raise ValueError(f"missing must be 'raise' or 'mark'; got {missing!r}")
    if missing == "raise":
        for i, reference in enumerate(references):
            _check_reference(reference, f" at index {i}")
    _check_timeout(timeout_s)
    judged: dict[tuple[str | None, str], tuple[bool, str]] = {}
    grades = []
    for completion, reference in zip(completions, references):
        answer = extract_answer(completion, style=style)
        if _missing(reference):
            grades.append(Grade(answer, False, "no_reference"))
            continue
        key = (answer, str(reference))
        if key not in judged:
            judged[key] = _judge(answer, str(reference), timeout_s)
        grades.append(Grade(answer, *judged[key]))
    return grades


def grade_table(df: pd.DataFrame, references=None, *, style: str = "auto", timeout_s: float | None = 5.0,
                missing: str = "raise") -> pd.DataFrame:
    """A copy of ``df`` (one row per sample, a ``completion`` column) with ``answer``, ``is_correct`` and
    ``status`` from :func:`grade_many` against ``references`` (default: the ``reference`` column).

    A row whose ``status`` is already set to something other than ``"ok"`` (sampling failed: the text
    is not the model's answer) keeps that status; ``style``, ``timeout_s`` and ``missing`` are
    :func:`grade_many`'s. What ``ttslib generate``, ``ttslib search`` and the importers all do to a table.
    """
    references = df["reference"].tolist() if references is None else list(references)
    grades = grade_many(df["completion"].tolist(), references, style=style, timeout_s=timeout_s, missing=missing)
    out = df.copy()
    out["answer"] = pd.Series([g.answer for g in grades], index=df.index, dtype=object)
    out["is_correct"] = pd.Series([g.is_correct for g in grades], index=df.index, dtype=bool)
    status = pd.Series([g.status for g in grades], index=df.index, dtype=object)
    out["status"] = status if "status" not in df.columns else df["status"].where(df["status"] != "ok", status)
    return out
