"""The sample table every notebook reads, its compact counts form, and converters into both.

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
status                 str          "ok", or why the sample failed ("timeout", "error: ...")
finish_reason          str          "stop" or "length"
level                  int          difficulty label of the problem, if the set has one
=====================  ===========  ==========================================================

Any other column (``model``, ``temperature``, ``seed``, ...) is kept as it is.

Counts table: one row per problem (per group, e.g. per model), with ``problem_id``,
``num_samples``, ``num_correct`` and optionally ``level``; for data where only counts are
published, such as the Pythia sweeps of Large Language Monkeys (arXiv:2407.21787).

Samples made by other tools (search-and-learn, lm-evaluation-harness, any table with a column
mapping) come in through ``ttslib.data.importers``, re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ttslib.checks import whole_numbers

__all__ = [
    "SAMPLE_COLUMNS",
    "OPTIONAL_SAMPLE_COLUMNS",
    "COUNTS_COLUMNS",
    "validate_samples",
    "validate_counts",
    "read_samples",
    "write_samples",
    "read_counts",
    "samples_to_counts",
    "correct_matrix",
    "SampleArrays",
    "sample_arrays",
    "read_pythia_counts",
    "monkey_business_to_samples",
    "load_monkey_business",
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


def _require_whole_nonnegative(df: pd.DataFrame, column: str, what: str) -> None:
    whole_numbers(pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float), f"{what} column {column!r}")


def validate_samples(df: pd.DataFrame, *, group_by=()) -> pd.DataFrame:
    """Check a sample table against the schema; return it with canonical dtypes.

    ``group_by`` names extra key columns (e.g. ``("model",)``) when one table holds several runs,
    so that (group, problem_id, sample_idx) must be unique.
    """
    _require_columns(df, SAMPLE_COLUMNS, "sample table")
    _require_columns(df, group_by, "sample table")
    for column in ("sample_idx", "num_prompt_tokens", "num_completion_tokens"):
        _require_whole_nonnegative(df, column, "sample table")
    if df["problem_id"].isna().any():
        raise ValueError(f"sample table column 'problem_id' has {int(df['problem_id'].isna().sum())} missing values")
    correct = df["is_correct"]
    if correct.isna().any() or not set(pd.unique(correct)) <= {True, False}:
        raise ValueError(
            f"sample table column 'is_correct' must be True/False with no missing values; "
            f"found {sorted(map(repr, set(pd.unique(correct)) - {True, False}))[:3]}"
        )
    keys = [*group_by, "problem_id", "sample_idx"]
    dup = df.duplicated(keys, keep=False)
    if dup.any():
        raise ValueError(f"sample table has duplicate {tuple(keys)} keys: {df.loc[dup, keys].head(3).values.tolist()}")
    for column in ("score", "logprob"):
        if column in df.columns:
            values = pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float)
            if np.isinf(values).any():
                raise ValueError(f"sample table column {column!r} has infinite values")
    if "steps" in df.columns and "step_scores" in df.columns:
        both = df["steps"].notna() & df["step_scores"].notna()
        lengths = [(len(a), len(b)) for a, b in zip(df.loc[both, "steps"], df.loc[both, "step_scores"])]
        bad = [i for i, (a, b) in enumerate(lengths) if a != b]
        if bad:
            raise ValueError(f"'steps' and 'step_scores' differ in length in {len(bad)} row(s), e.g. {lengths[bad[0]]}")
    out = df.copy()
    out["problem_id"] = out["problem_id"].astype(str)
    out["sample_idx"] = out["sample_idx"].astype("int64")
    out["is_correct"] = out["is_correct"].astype(bool)
    for column in ("num_prompt_tokens", "num_completion_tokens"):
        out[column] = out[column].astype("int64")
    return out


def validate_counts(df: pd.DataFrame, *, group_by=()) -> pd.DataFrame:
    """Check a counts table (problem_id, num_samples, num_correct[, level]); return it typed."""
    _require_columns(df, COUNTS_COLUMNS, "counts table")
    _require_columns(df, group_by, "counts table")
    for column in ("num_samples", "num_correct"):
        _require_whole_nonnegative(df, column, "counts table")
    over = df["num_correct"].to_numpy() > df["num_samples"].to_numpy()
    if over.any():
        raise ValueError(
            f"counts table has num_correct > num_samples in {int(over.sum())} row(s), e.g. "
            f"{df.loc[over, ['problem_id', 'num_samples', 'num_correct']].head(1).to_dict('records')}"
        )
    keys = [*group_by, "problem_id"]
    dup = df.duplicated(keys, keep=False)
    if dup.any():
        raise ValueError(f"counts table has duplicate {tuple(keys)} keys: {df.loc[dup, keys].head(3).values.tolist()}")
    out = df.copy()
    out["problem_id"] = out["problem_id"].astype(str)
    out["num_samples"] = out["num_samples"].astype("int64")
    out["num_correct"] = out["num_correct"].astype("int64")
    return out


def read_samples(path, *, group_by=()) -> pd.DataFrame:
    """Read a sample table from a Parquet file or a directory of Parquet shards, and validate it."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no sample table at {path}")
    return validate_samples(pd.read_parquet(path), group_by=group_by)


def write_samples(df: pd.DataFrame, path, *, group_by=()) -> Path:
    """Validate and write a sample table to Parquet (atomically: a temporary file, then rename)."""
    df = validate_samples(df, group_by=group_by)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    df.to_parquet(tmp, index=False)
    tmp.replace(path)
    return path


def read_counts(path, *, group_by=()) -> pd.DataFrame:
    """Read a counts table from CSV or Parquet and validate it."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no counts table at {path}")
    df = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
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


def read_pythia_counts(path) -> pd.DataFrame:
    """Read the Pythia repeated-sampling counts (Brown et al. 2024, processed by Schaeffer et al. 2025).

    The CSV columns ``model, pretrain_tokens, prompt_idx, level?, num_samples, num_correct,
    inference_compute`` become a counts table with ``problem_id`` (from ``prompt_idx``), the
    parameter count ``params`` and the checkpoint's tokens as a number ``pretrain_tokens_n``.
    """
    raw = pd.read_csv(path)
    _require_columns(raw, ("model", "pretrain_tokens", "prompt_idx", "num_samples", "num_correct"), f"{path}")
    df = raw.rename(columns={"prompt_idx": "problem_id"})
    df["params"] = df["model"].map(_pythia_params)
    df["pretrain_tokens_n"] = df["pretrain_tokens"].map(_parse_si)
    return validate_counts(df, group_by=("model", "pretrain_tokens"))


_SI = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}


def _parse_si(text: str) -> float:
    text = str(text).strip()
    if text[-1:].upper() in _SI:
        return float(text[:-1]) * _SI[text[-1].upper()]
    return float(text)


def _pythia_params(model: str) -> float:
    """Nominal size from a Pythia model name, e.g. 'pythia-1.4b' -> 1.4e9."""
    return _parse_si(str(model).split("-")[-1])


def monkey_business_to_samples(rows) -> pd.DataFrame:
    """Convert rows in the Large Language Monkeys layout to a sample table.

    ``rows`` is a ``datasets.Dataset`` or a DataFrame with one row per problem and the columns
    ``question``, ``samples`` (list of completions) and ``is_corrects`` (list of bool), as in
    the hub dataset ``ScalingIntelligence/monkey_business``. Answers are not extracted there,
    and token counts are not published: ``answer`` is None and both token counts are 0.
    """
    df = rows.to_pandas() if hasattr(rows, "to_pandas") else pd.DataFrame(rows)
    _require_columns(df, ("question", "samples", "is_corrects"), "monkey_business rows")
    lengths = df["samples"].map(len).to_numpy()
    if not np.array_equal(lengths, df["is_corrects"].map(len).to_numpy()):
        raise ValueError("monkey_business rows: 'samples' and 'is_corrects' differ in length in some row")
    problem_ids = df["orig_dset_idx"].astype(str) if "orig_dset_idx" in df.columns else df.index.astype(str)
    out = pd.DataFrame(
        {
            "problem_id": np.repeat(problem_ids.to_numpy(), lengths),
            "sample_idx": np.concatenate([np.arange(m) for m in lengths]) if len(df) else [],
            "completion": np.concatenate([np.asarray(s, dtype=object) for s in df["samples"]]) if len(df) else [],
            "answer": None,
            "is_correct": np.concatenate([np.asarray(s, dtype=bool) for s in df["is_corrects"]]) if len(df) else [],
            "num_prompt_tokens": 0,
            "num_completion_tokens": 0,
        }
    )
    return validate_samples(out)


def load_monkey_business(config: str, *, split: str = "test", data_files=None) -> pd.DataFrame:
    """Load one config of ``ScalingIntelligence/monkey_business`` through ``datasets``.

    ``config`` is e.g. ``"MATH_Llama-3-8B-Instruct"``. Pass ``data_files`` (local JSON/Parquet in
    the same layout) to read a local copy instead of the hub.
    """
    import datasets

    if data_files is not None:
        builder = "parquet" if str(data_files).endswith(".parquet") else "json"
        ds = datasets.load_dataset(builder, data_files=str(data_files), split="train")
    else:
        ds = datasets.load_dataset("ScalingIntelligence/monkey_business", config, split=split)
    return monkey_business_to_samples(ds)


# Importers of other tools' samples (search-and-learn, lm-evaluation-harness, any table), defined in
# ttslib.data.importers; imported last, as they build on the validators above.
from ttslib.data.importers import import_lm_eval_samples, import_search_and_learn, import_table  # noqa: E402

__all__ += ["import_search_and_learn", "import_lm_eval_samples", "import_table"]
