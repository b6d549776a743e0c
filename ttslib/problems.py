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
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["PROBLEM_COLUMNS", "ARITHMETIC_LEVELS", "load_gsm8k", "load_math500", "make_arithmetic", "validate_problems", "read_problems"]

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
    out = df.copy()
    out["problem_id"] = out["problem_id"].astype(str)
    return out.reset_index(drop=True)


def _gsm8k_final(answer: str) -> str:
    """GSM8K stores the worked solution; the final answer follows '####'."""
    if "####" not in answer:
        raise ValueError(f"GSM8K answer has no '####' final answer: {answer[-80:]!r}")
    return answer.split("####")[-1].strip().replace(",", "")


def load_gsm8k(path=None, *, split: str = "test", limit: int | None = None) -> pd.DataFrame:
    """GSM8K (Cobbe et al. 2021, arXiv:2110.14168): from local JSONL if ``path``, else ``openai/gsm8k``."""
    if path is not None:
        raw = pd.read_json(Path(path), lines=True)
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
        raw = pd.read_json(Path(path), lines=True, dtype={"answer": str})
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


def read_problems(path) -> pd.DataFrame:
    """Read a problem set written by the kit (JSONL or Parquet with the columns above)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no problem set at {path}")
    df = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_json(path, lines=True, dtype={"reference": str})
    return validate_problems(df)


# Levels of the arithmetic set: operator and the digits of each operand. Ordered by how often
# SmolLM2-135M solves them with the "arith_fewshot" prompt at T = 0.8 (a pilot of 6 problems x 16
# samples per level: level 1 about 0.98, level 2 0.8, level 5 0.2, levels 9-10 0.0).
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
        seen: dict[str, int] = {}
        for _ in range(per_level * 50):
            expression, value = _arithmetic_problem(level, rng)
            seen.setdefault(expression, value)
            if len(seen) == per_level:
                break
        if len(seen) < per_level:
            raise ValueError(f"level {level} has fewer than {per_level} distinct problems ({len(seen)})")
        rows += [
            {"problem_id": f"arith/L{level:02d}/{i:03d}", "question": e, "reference": str(v), "level": level}
            for i, (e, v) in enumerate(seen.items())
        ]
    return validate_problems(pd.DataFrame(rows))
