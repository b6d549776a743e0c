"""The sample table every notebook reads and its compact counts form: the schema, its validators, Parquet I/O.

Sample table (Parquet on disk, a pandas DataFrame in memory): one row per sample.

=====================  ===========  ==========================================================
column                 type         meaning
=====================  ===========  ==========================================================
problem_id             str          the problem (unique within a problem set)
sample_idx             int >= 0     index of the sample within its problem
completion             str          the generated text
answer                 str or None  final answer extracted from the completion (None: none found)
is_correct             bool         the answer is equivalent to the reference
num_prompt_tokens      int >= 0     tokens in the prompt (shared by all samples of a problem)
num_completion_tokens  int >= 0     tokens generated for this sample
---------------------  -----------  ---------------- optional ---------------------------------
score                  float        a verifier's score of the whole completion
steps                  list[str]    the completion split into reasoning steps
step_scores            list[float]  a process reward model's score per step (len == len(steps))
step_num_tokens        list[int]    completion tokens per step
logprob                float        sum of the sampled tokens' log-probabilities
token_logprobs         list[float]  log-probability of each sampled token
token_confidence       list[float]  DeepConf's confidence of each sampled token, -mean of the top-k
                                    log-probabilities there (arXiv:2508.15260; k: the run's
                                    ``confidence_top_k``); finite, >= 0, one per completion token;
                                    None where the backend did not give them
status                 str          "ok", or why the sample failed ("timeout", "error: ...")
finish_reason          str          "stop" or "length"
level                  int          difficulty label of the problem, if the set has one
=====================  ===========  ==========================================================

Any other column (``model``, ``temperature``, ``seed``, ...) is kept as it is.

Counts table: one row per problem (per group, e.g. per model), with ``problem_id``,
``num_samples``, ``num_correct`` and optionally ``level``; for data where only counts are
published, such as the Pythia sweeps of Large Language Monkeys (arXiv:2407.21787).

Bad input: a validator raises ``ValueError`` naming the column, what it expected and what came,
with the first offending value and its row (counted from 0, with its ``problem_id``): a non-number
where a count belongs, a count below 0 (``num_samples`` below 1: a problem with no samples has no
pass@k), a duplicate key, a ``level`` left blank on some rows (a blank would silently drop the
problem from every per-level figure; give each problem its level or drop the column), a
``token_confidence`` that is not a list of finite numbers >= 0, one per completion token. Data made
elsewhere comes in through :mod:`ttslib.data.importers`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "SAMPLE_COLUMNS",
    "OPTIONAL_SAMPLE_COLUMNS",
    "COUNTS_COLUMNS",
    "validate_samples",
    "validate_counts",
    "read_samples",
    "write_samples",
    "read_parquet",
    "write_parquet",
    "read_counts",
    "samples_to_counts",
    "correct_matrix",
    "SampleArrays",
    "sample_arrays",
]

SAMPLE_COLUMNS = (
    "problem_id",
    "sample_idx",
    "completion",
    "answer",
    "is_correct",
    "num_prompt_tokens",
    "num_completion_tokens",
)
OPTIONAL_SAMPLE_COLUMNS = (
    "score",
    "steps",
    "step_scores",
    "step_num_tokens",
    "logprob",
    "token_logprobs",
    "token_confidence",
    "status",
    "finish_reason",
    "level",
)
COUNTS_COLUMNS = ("problem_id", "num_samples", "num_correct")


def _require_columns(df: pd.DataFrame, required, what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame; got {type(df).__name__}")
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ValueError(f"{what} is missing column(s) {missing}; it has {list(df.columns)}")


def _where(df: pd.DataFrame, bad, what: str) -> str:
    """'in 3 row(s), first row 7 (problem_id '12')': how many rows of ``df`` are ``bad`` and where the first is."""
    bad = np.asarray(bad, dtype=bool)
    first = int(np.flatnonzero(bad)[0])
    pid = f" (problem_id {_plain(df['problem_id'].iloc[first])!r})" if "problem_id" in df.columns else ""
    return f"in {int(bad.sum())} row(s) of the {what}, first row {first}{pid}"


def _plain(value):
    """A numpy scalar as the Python value it holds, so a message shows ``0``, not ``np.int64(0)``."""
    return value.item() if isinstance(value, np.generic) else value


def _require_whole(df: pd.DataFrame, column: str, what: str, *, minimum: int = 0, why: str = "") -> None:
    """``df[column]`` holds whole numbers >= ``minimum``; else a ValueError naming the first bad value and its row."""
    values = df[column]
    numbers = pd.to_numeric(values, errors="coerce")
    text = numbers.isna() & values.notna()
    if text.any():
        raise ValueError(f"{what} column {column!r} must hold numbers; found {_plain(values[text].iloc[0])!r} "
                         f"{_where(df, text, what)}")
    if numbers.isna().any():
        raise ValueError(f"{what} column {column!r} has missing values {_where(df, numbers.isna(), what)}")
    arr = numbers.to_numpy(dtype=float)
    bad = ~np.isfinite(arr) | (arr < minimum) | (arr != np.round(arr))
    if bad.any():
        raise ValueError(f"{what} column {column!r} must hold whole numbers >= {minimum}{why}; found "
                         f"{_plain(values[bad].iloc[0])!r} {_where(df, bad, what)}")


def _require_level(df: pd.DataFrame, what: str) -> None:
    """A ``level`` column, where there is one, is set on every row: a blank would drop its problem from
    every per-level figure without a word."""
    if "level" in df.columns and df["level"].isna().any():
        raise ValueError(f"{what} column 'level' is blank {_where(df, df['level'].isna(), what)}; give every "
                         f"problem its level, or drop the column")


def _require_token_confidence(df: pd.DataFrame, what: str) -> None:
    """``token_confidence``, where there is the column, is per row None (not given) or a list of finite numbers
    >= 0 (each ``-mean of the top-k log-probabilities``), one per completion token."""
    if "token_confidence" not in df.columns:
        return
    column = "'token_confidence'"
    values = df["token_confidence"].to_numpy(dtype=object)
    given = np.array([not (v is None or (isinstance(v, float) and np.isnan(v))) for v in values], dtype=bool)
    lists = np.array([g and isinstance(v, (list, tuple, np.ndarray)) and np.ndim(v) == 1 for v, g in zip(values, given)], dtype=bool)
    if (given & ~lists).any():
        bad = given & ~lists
        raise ValueError(f"{what} column {column} must hold a list of floats per row (or None); found "
                         f"{_plain(values[bad][0])!r} {_where(df, bad, what)}")
    lengths = np.array([len(v) if g else 0 for v, g in zip(values, given)], dtype=np.int64)
    tokens = pd.to_numeric(df["num_completion_tokens"], errors="coerce").to_numpy(dtype=float)
    short = given & (lengths != tokens)
    if short.any():
        first = int(np.flatnonzero(short)[0])
        raise ValueError(f"{what} column {column} must hold one value per completion token; found {lengths[first]} values "
                         f"where num_completion_tokens is {_plain(df['num_completion_tokens'].iloc[first])!r} "
                         f"{_where(df, short, what)}")
    rows = np.flatnonzero(given & (lengths > 0))
    if not len(rows):
        return
    try:
        flat = np.concatenate([np.asarray(values[r], dtype=float) for r in rows])
    except (TypeError, ValueError):
        bad = np.zeros(len(df), dtype=bool)
        bad[[r for r in rows if not _all_numbers(values[r])]] = True
        raise ValueError(f"{what} column {column} must hold numbers; found {list(values[bad][0])[:3]!r}... "
                         f"{_where(df, bad, what)}") from None
    odd = ~np.isfinite(flat) | (flat < 0)
    if odd.any():
        bad = np.zeros(len(df), dtype=bool)
        bad[rows] = np.logical_or.reduceat(odd, np.concatenate([[0], np.cumsum(lengths[rows])[:-1]]))
        raise ValueError(f"{what} column {column} must hold finite numbers >= 0 (-mean of top-k log-probabilities); "
                         f"found {float(flat[odd][0])!r} {_where(df, bad, what)}")


def _all_numbers(value) -> bool:
    try:
        np.asarray(value, dtype=float)
        return True
    except (TypeError, ValueError):
        return False


def _ids_as_text(df: pd.DataFrame, keys: list[str], what: str) -> pd.DataFrame:
    """``df`` with ``problem_id`` as text, checked unique over ``keys`` after the conversion (7 and "7" would
    be one problem; "007" and "7" stay two)."""
    if df["problem_id"].isna().any():
        raise ValueError(f"{what} column 'problem_id' has missing values {_where(df, df['problem_id'].isna(), what)}")
    out = df.copy()
    out["problem_id"] = out["problem_id"].astype(str)
    dup = out.duplicated(keys, keep=False)
    if dup.any():
        raise ValueError(f"{what} has duplicate {tuple(keys)} keys: {out.loc[dup, keys].head(3).values.tolist()}")
    return out


def validate_samples(df: pd.DataFrame, *, group_by=()) -> pd.DataFrame:
    """Check a sample table against the schema; return it with canonical dtypes.

    ``group_by`` names extra key columns (e.g. ``("model",)``) when one table holds several runs,
    so that (group, problem_id, sample_idx) must be unique. Errors: module docstring.
    """
    _require_columns(df, SAMPLE_COLUMNS, "sample table")
    _require_columns(df, group_by, "sample table")
    for column in ("sample_idx", "num_prompt_tokens", "num_completion_tokens"):
        _require_whole(df, column, "sample table")
    correct = df["is_correct"]
    odd = correct.isna() | ~correct.isin([True, False])
    if odd.any():
        raise ValueError(
            f"sample table column 'is_correct' must be True/False with no missing values; "
            f"found {_plain(correct[odd].iloc[0])!r} {_where(df, odd, 'sample table')}"
        )
    _require_level(df, "sample table")
    _require_token_confidence(df, "sample table")
    out = _ids_as_text(df, [*group_by, "problem_id", "sample_idx"], "sample table")
    for column in ("score", "logprob"):
        if column in df.columns:
            values = pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float)
            if np.isinf(values).any():
                raise ValueError(f"sample table column {column!r} has infinite values {_where(df, np.isinf(values), 'sample table')}")
    if "steps" in df.columns and "step_scores" in df.columns:
        both = df["steps"].notna() & df["step_scores"].notna()
        lengths = [(len(a), len(b)) for a, b in zip(df.loc[both, "steps"], df.loc[both, "step_scores"])]
        bad = [i for i, (a, b) in enumerate(lengths) if a != b]
        if bad:
            raise ValueError(f"'steps' and 'step_scores' differ in length in {len(bad)} row(s), e.g. {lengths[bad[0]]}")
    out["sample_idx"] = out["sample_idx"].astype("int64")
    out["is_correct"] = out["is_correct"].astype(bool)
    for column in ("num_prompt_tokens", "num_completion_tokens"):
        out[column] = out[column].astype("int64")
    return out


def validate_counts(df: pd.DataFrame, *, group_by=()) -> pd.DataFrame:
    """Check a counts table (problem_id, num_samples, num_correct[, level]); return it typed.

    ``num_samples`` >= 1 (a problem with no samples has no pass@k), 0 <= ``num_correct`` <= ``num_samples``.
    """
    _require_columns(df, COUNTS_COLUMNS, "counts table")
    _require_columns(df, group_by, "counts table")
    _require_whole(df, "num_samples", "counts table", minimum=1, why=" (a problem with no samples has no pass@k)")
    _require_whole(df, "num_correct", "counts table")
    n, c = (pd.to_numeric(df[col]).to_numpy(dtype=float) for col in ("num_samples", "num_correct"))
    over = c > n
    if over.any():
        raise ValueError(
            f"counts table has num_correct > num_samples in {int(over.sum())} row(s), e.g. "
            f"{df.loc[over, ['problem_id', 'num_samples', 'num_correct']].head(1).to_dict('records')}"
        )
    _require_level(df, "counts table")
    out = _ids_as_text(df, [*group_by, "problem_id"], "counts table")
    out["num_samples"] = pd.to_numeric(out["num_samples"]).astype("int64")
    out["num_correct"] = pd.to_numeric(out["num_correct"]).astype("int64")
    return out


def read_parquet(path) -> pd.DataFrame:
    """A Parquet file (or directory of Parquet files) as a DataFrame, its page checksums verified where it
    has them (files written by :func:`write_samples` and by the run loop do); ``ValueError`` naming the path
    when the bytes do not decode or a checksum fails."""
    try:
        return pd.read_parquet(path, page_checksum_verification=True)
    except Exception as err:  # noqa: BLE001 - pyarrow raises several types for a damaged file; one message names it
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise ValueError(f"{path} cannot be read as Parquet ({type(err).__name__}: {first})") from None


def write_parquet(df: pd.DataFrame, path) -> Path:
    """Write ``df`` to Parquet atomically (a temporary file of this process, then a rename), each page with
    its CRC-32 checksum so that a reader can tell a damaged page (:func:`read_parquet`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    df.to_parquet(tmp, index=False, write_page_checksum=True)
    tmp.replace(path)
    return path


def read_samples(path, *, group_by=()) -> pd.DataFrame:
    """Read a sample table from a Parquet file or a directory of Parquet shards, and validate it."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no sample table at {path}")
    return validate_samples(read_parquet(path), group_by=group_by)


def write_samples(df: pd.DataFrame, path, *, group_by=()) -> Path:
    """Validate and write a sample table to Parquet (:func:`write_parquet`: atomic, with page checksums)."""
    return write_parquet(validate_samples(df, group_by=group_by), path)


def read_counts(path, *, group_by=()) -> pd.DataFrame:
    """Read a counts table from CSV or Parquet and validate it (CSV ids are read as text: "007" stays "007")."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no counts table at {path}")
    df = read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype={"problem_id": str})
    return validate_counts(df, group_by=group_by)


def samples_to_counts(df: pd.DataFrame, *, group_by=()) -> pd.DataFrame:
    """Collapse a sample table to counts: one row per (group, problem) with n and c.

    Every row is a sample drawn, so a sample whose ``status`` records a failure (a prompt that
    did not fit, a grader timeout) counts as drawn and wrong, as it would in deployment. Drop
    such rows first to ask what the model does when sampling works.
    """
    df = validate_samples(df, group_by=group_by)
    keys = [*group_by, "problem_id"]
    extra = ["level"] if "level" in df.columns else []
    counts = (
        df.groupby(keys + extra, sort=False, dropna=False)["is_correct"]
        .agg(num_samples="size", num_correct="sum")
        .reset_index()
    )
    return validate_counts(counts, group_by=group_by)


def correct_matrix(df: pd.DataFrame, column: str = "is_correct") -> tuple[np.ndarray, np.ndarray]:
    """Pivot one run's sample table to a (P, N) array of ``column`` ordered by sample_idx.

    Returns ``(problem_ids (P,), values (P, N))``. Every problem must have the same N samples.
    """
    df = validate_samples(df)
    sizes = df.groupby("problem_id", sort=False).size()
    if sizes.nunique() > 1:
        common = int(sizes.mode().iloc[0])
        odd = sizes[sizes != common]
        raise ValueError(
            f"correct_matrix needs the same number of samples per problem; most problems have {common}, but "
            f"{len(odd)} differ: {dict(list(odd.astype(int).items())[:5])}. Select a common N first, e.g. "
            f"df[df['sample_idx'] < N], or drop those problems"
        )
    N = int(sizes.iloc[0]) if len(sizes) else 0
    off = df["sample_idx"] >= N  # with N rows per problem and unique indices, this finds any gap
    if off.any():
        raise ValueError(
            f"correct_matrix needs sample_idx 0..{N - 1} for every problem; problem "
            f"{df.loc[off, 'problem_id'].iloc[0]!r} has sample_idx {int(df.loc[off, 'sample_idx'].iloc[0])}"
        )
    wide = df.pivot(index="problem_id", columns="sample_idx", values=column)
    return wide.index.to_numpy(dtype=str), wide.to_numpy()


@dataclass(frozen=True)
class SampleArrays:
    """One run's sample table as arrays over problems x samples, rows in ``problem_ids`` order and
    columns by ``sample_idx``: ``correct`` (P, N) bool, ``answers`` (P, N) object (None: no answer, or
    the ``answer_key`` of the answer), ``level`` (P,) or None, ``columns`` {name: (P, N)} as asked."""

    problem_ids: np.ndarray
    correct: np.ndarray
    answers: np.ndarray
    level: np.ndarray | None
    columns: dict


def sample_arrays(df: pd.DataFrame, columns=(), *, answer_key="canonical") -> SampleArrays:
    """The (P, N) arrays the selection rules take (``ttslib.selection``), from one run's sample table.

    ``answer_key`` maps each distinct answer once: by default ``ttslib.grade.canonical_answer``, so that
    "1/2" and "0.5" share a key and vote together; any callable; None keeps the answers as written.
    Answers it maps to None count as no answer.
    ``columns`` names further per-sample columns to pivot (e.g. "score", "logprob"). Every problem
    needs the same N samples, indexed 0..N-1 (``correct_matrix`` says which do not).
    """
    df = validate_samples(df)
    if answer_key == "canonical":
        from ttslib.grade import canonical_answer as answer_key
    if answer_key is not None:
        keys = {a: answer_key(a) for a in df["answer"].dropna().unique()}  # one call per distinct answer
        df = df.assign(answer=df["answer"].map(keys))
    ids, correct = correct_matrix(df, "is_correct")
    answers = correct_matrix(df, "answer")[1].astype(object)
    answers[pd.isna(answers)] = None
    level = df.groupby("problem_id")["level"].first().loc[ids].to_numpy() if "level" in df.columns else None
    extra = {}
    for column in columns:
        _require_columns(df, (column,), "sample table")
        extra[column] = correct_matrix(df, column)[1]
    return SampleArrays(ids, correct.astype(bool), answers, level, extra)
