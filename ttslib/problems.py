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

import pandas as pd

__all__ = ["PROBLEM_COLUMNS", "load_gsm8k", "load_math500", "validate_problems", "read_problems"]

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
