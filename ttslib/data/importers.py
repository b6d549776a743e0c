"""Importers: samples and counts made elsewhere, as tables of the ``ttslib.data`` schema.

Other tools' samples, graded on the way in:

=====================================  ======================================================
importer                               reads
=====================================  ======================================================
``import_search_and_learn(source)``    huggingface/search-and-learn output: one row per problem
                                       with ``completions`` and per-step PRM ``scores``
``import_lm_eval_samples(path)``       lm-evaluation-harness ``--log_samples`` JSONL of a
                                       ``generate_until`` task run with ``repeats``
``import_table(source, ...)``          any JSONL/JSON/CSV/Parquet table, through a column mapping
=====================================  ======================================================

Each returns one row per completion, graded with ``ttslib.grade`` (answer extraction, then
equivalence through math-verify under ``timeout_s`` per distinct pair) against the reference the
source holds, which keeps its extracted form in a ``reference`` column (a reference written as a
worked solution, ``... #### 42`` or ``\\boxed{42}``, is graded against ``42``). ``status`` is the
grade's ("ok", "no_answer", "timeout", "error: ...").

Bad input: a file of another layout raises ``ValueError`` naming the columns expected and found;
an empty file raises ``ValueError``; rows with no reference raise ``ValueError`` giving their
number and the first problems, unless ``keep_ungraded=True``, which keeps them as wrong samples
with ``status = "no_reference"`` (as ``ttslib generate`` records them; their ``answer`` is still
extracted). None of the sources records prompt token counts: ``num_prompt_tokens`` is 0 (the
schema's "not recorded", as for ``monkey_business_to_samples``); so is ``num_completion_tokens``
where the source has none.

Published data, graded already (converters; nothing is graded again):

=====================================  ======================================================
converter                              reads
=====================================  ======================================================
``read_pythia_counts(path)``           the Pythia repeated-sampling counts CSV (Brown et al.
                                       2024, arXiv:2407.21787, processed by Schaeffer et al.
                                       2025, arXiv:2502.17578) as a counts table
``monkey_business_to_samples(rows)``   the Large Language Monkeys layout (one row per problem,
                                       lists of completions and verdicts) as a sample table
``load_monkey_business(config)``       one config of ``ScalingIntelligence/monkey_business``
=====================================  ======================================================
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ttslib.data.schema import validate_counts, validate_samples

__all__ = ["import_search_and_learn", "import_lm_eval_samples", "import_table", "SAL_STEP_DELIMITER", "SAL_COLUMNS",
           "LM_EVAL_COLUMNS", "read_pythia_counts", "monkey_business_to_samples", "load_monkey_business"]

SAL_STEP_DELIMITER = "\n\n"  # search-and-learn's step boundary: beam search stops on it, its PRMs score between them
_AGGS = ("last", "min", "prod")
_SUFFIXES = (".jsonl", ".json", ".csv", ".parquet")
SAL_COLUMNS = ("problem", "answer", "completions", "scores")  # the columns search-and-learn's output has
LM_EVAL_COLUMNS = ("doc_id", "doc", "target", "resps")  # and those of lm-evaluation-harness --log_samples
_LM_EVAL_NAME = re.compile(r"^samples_(.+)_(\d{4}-\d{2}-\d{2}T[\d.\-]+)\.jsonl$")  # samples_<task>_<date_id>.jsonl


# --------------------------------------------------------------------------- reading


def _read_json(path: Path) -> pd.DataFrame:
    """A JSON array of objects, or JSON lines (one object per line; what both tools write). A line that is
    not a JSON object is named by its number."""
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        try:
            rows = json.loads(text)
        except json.JSONDecodeError:
            rows = None  # not one array: JSON lines whose first line is an array, said below by line number
        if rows is not None:
            odd = [i for i, row in enumerate(rows) if not isinstance(row, dict)]
            if odd:
                raise ValueError(f"{path}: element {odd[0]} of the JSON array is a {type(rows[odd[0]]).__name__}, "
                                 f"not an object (one row per element)")
            return pd.DataFrame.from_records(rows)
    records = []
    for i, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}: line {i} is not JSON ({err.msg})") from None
            if not isinstance(row, dict):
                raise ValueError(f"{path}: line {i} is a JSON {type(row).__name__}, not an object (one row per line)")
            records.append(row)
    return pd.DataFrame.from_records(records)


def _read(source, what: str, *, str_columns=(), hub=None) -> pd.DataFrame:
    """Rows of a DataFrame, a local .jsonl/.json/.csv/.parquet file or (``hub``: load_dataset kwargs) a hub dataset id."""
    if isinstance(source, pd.DataFrame):
        df = source.copy()
    else:
        path = Path(source)
        if path.is_file():
            suffix = path.suffix.lower()
            if suffix == ".parquet":
                df = pd.read_parquet(path)
            elif suffix in (".jsonl", ".json"):
                df = _read_json(path)
            elif suffix == ".csv":
                try:  # only an empty cell is missing: a completion "None" or "NA" stays text
                    df = pd.read_csv(path, dtype={c: str for c in str_columns}, keep_default_na=False, na_values=[""])
                except pd.errors.EmptyDataError:
                    df = pd.DataFrame()
            else:
                raise ValueError(f"{what}: cannot read {path}: expected a file ending in {_SUFFIXES}")
        elif hub is not None and path.suffix.lower() not in _SUFFIXES and str(source).count("/") == 1:
            import datasets

            df = datasets.load_dataset(str(source), **hub).to_pandas()
        else:
            raise FileNotFoundError(f"{what}: no file at {source}" + (" (nor a hub dataset id 'owner/name')" if hub else ""))
    if len(df) == 0:
        raise ValueError(f"{what}: {source if not isinstance(source, pd.DataFrame) else 'the DataFrame'} holds no rows")
    return df.reset_index(drop=True)


def _require_layout(df: pd.DataFrame, expected, what: str) -> None:
    missing = [c for c in expected if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: expected column(s) {list(expected)}; {missing} missing. Found {list(df.columns)}")


def _as_list(x):
    """Nested lists as Python lists (Parquet and ``datasets`` give numpy arrays)."""
    if isinstance(x, (np.ndarray, list, tuple)):
        return [_as_list(v) for v in x]
    return x


# --------------------------------------------------------------------------- grading (shared)


def _reference_answer(reference) -> str | None:
    """The answer a reference states (``extract_answer`` on it, else the text itself); None when missing."""
    from ttslib.grade import extract_answer

    if reference is None or (pd.api.types.is_scalar(reference) and pd.isna(reference)) or not str(reference).strip():
        return None
    text = str(reference).strip()
    found = extract_answer(text)
    return text if found is None else found


def _graded(df: pd.DataFrame, what: str, *, style: str, timeout_s, keep_ungraded: bool) -> pd.DataFrame:
    """``df`` (problem_id, completion, reference, ...) with answer, is_correct, status and the extracted reference."""
    from ttslib.grade import grade_table

    references = [_reference_answer(r) for r in df["reference"]]
    has_ref = np.array([r is not None for r in references], dtype=bool)
    if not has_ref.all() and not keep_ungraded:
        problems = list(pd.unique(df.loc[~has_ref, "problem_id"].astype(str)))
        raise ValueError(
            f"{what}: {int((~has_ref).sum())} row(s) in {len(problems)} problem(s) have no reference answer to grade "
            f"against, e.g. problem_id {problems[:5]}; pass keep_ungraded=True to keep them as wrong samples with "
            f"status 'no_reference'"
        )
    return grade_table(df.assign(reference=pd.Series(references, index=df.index, dtype=object)), style=style,
                       timeout_s=timeout_s, missing="mark")


def _finish(df: pd.DataFrame, first: list[str]) -> pd.DataFrame:
    """Schema columns first, the rest after, validated."""
    return validate_samples(df[first + [c for c in df.columns if c not in first]].reset_index(drop=True))


_FIRST = ["problem_id", "sample_idx", "completion", "answer", "is_correct", "status", "reference",
          "num_prompt_tokens", "num_completion_tokens"]


# --------------------------------------------------------------------------- search-and-learn


def _split_steps(completion: str, n_scores: int) -> list[str] | None:
    """Steps of a completion matching its ``n_scores`` step scores, or None if the split cannot match.

    A completion ending in the delimiter splits into one empty step more than Math-Shepherd scores;
    that empty tail is dropped. RLHFlow's PRM scores it, so then the counts match as split."""
    steps = completion.split(SAL_STEP_DELIMITER)
    if len(steps) == n_scores + 1 and not steps[-1].strip():
        steps = steps[:-1]
    return steps if len(steps) == n_scores else None


def _aggregate(step_scores: list[float], agg: str) -> float:
    if not step_scores:
        return math.nan
    return {"last": step_scores[-1], "min": min(step_scores), "prod": math.prod(step_scores)}[agg]


def import_search_and_learn(source, *, agg: str = "last", config: str | None = None, revision: str | None = None,
                            split: str = "train", style: str = "auto", timeout_s: float | None = 5.0,
                            keep_ungraded: bool = False) -> pd.DataFrame:
    """One row per completion from a huggingface/search-and-learn output dataset, graded against its ``answer``.

    Follows the layout of search-and-learn at commit 6f81cac (package version 0.1.0, 2025): the input
    problem set's columns (MATH-500: ``problem``, ``solution``, ``answer``, ``subject``, ``level``,
    ``unique_id``) plus what ``scripts/test_time_compute.py`` adds: ``completions`` (M strings),
    ``scores`` (M lists of per-step PRM scores), ``pred``, ``completion_tokens`` (M ints; a single -1
    from DVTS), ``agg_scores`` and ``pred_{weighted,maj,naive}@n``. It is saved as
    ``<approach>_completions.jsonl`` or pushed to the hub as Parquet on a revision branch.

    Columns: ``problem_id`` (``unique_id``, else ``"sal-"`` + 12 hex digits of the SHA-1 of the problem
    text, the same in every run over the same problems), ``sample_idx`` (position in ``completions``),
    ``steps`` (the completion split on "\\n\\n", the step boundary of their beam search and PRMs;
    None with a warning where the split does not give one step per score), ``step_scores`` (``scores``
    as stored), ``score`` (the step scores aggregated by ``agg``: "last", their default and what
    their ``agg_scores`` holds, "min" or "prod"), ``num_completion_tokens`` (``completion_tokens``; 0
    where not recorded: DVTS writes -1), ``level`` and ``subject`` if present. ``pred`` and the
    ``pred_*@n`` columns are their selections over these rows, so they are not kept.

    M is the run's n: their beam search pads with repeated finished beams, or truncates, to exactly n
    (search-and-learn issue #42: padded rows are copies, not new samples), and DVTS returns the last
    expansion of each subtree, unfinished candidates included (issue #57); rows are kept as stored, so
    selection here sees what theirs saw.

    Parameters
    ----------
    source : path of a .jsonl/.json/.parquet file, a DataFrame, or a hub dataset id (read with
        ``datasets.load_dataset(source, config, revision=revision, split=split)``)
    agg : {"last", "min", "prod"}, how ``score`` aggregates the step scores
    style, timeout_s : passed to ``ttslib.grade.grade_many``
    keep_ungraded : keep rows with no ``answer`` as wrong samples with status "no_reference"
    """
    if agg not in _AGGS:
        raise ValueError(f"agg must be one of {_AGGS}; got {agg!r}")
    what = f"search-and-learn output {source if not isinstance(source, pd.DataFrame) else '(DataFrame)'}"
    raw = _read(source, what, hub={"name": config, "revision": revision, "split": split})
    _require_layout(raw, SAL_COLUMNS, what)
    records, mismatched = [], 0
    for row in raw.to_dict("records"):
        completions, scores = _as_list(row["completions"]), _as_list(row["scores"])
        unique_id = row.get("unique_id")
        pid = str(unique_id) if isinstance(unique_id, str) and unique_id else \
            "sal-" + hashlib.sha1(str(row["problem"]).encode("utf-8")).hexdigest()[:12]
        tokens = _as_list(row.get("completion_tokens"))
        tokens = tokens if isinstance(tokens, list) else [-1] * len(completions)  # DVTS: one -1 per problem
        if len(scores) != len(completions) or len(tokens) != len(completions):
            raise ValueError(f"{what}: problem {pid!r} has {len(completions)} completions but {len(scores)} "
                             f"'scores' and {len(tokens)} 'completion_tokens'")
        for idx, (completion, step_scores, n_tokens) in enumerate(zip(completions, scores, tokens)):
            step_scores = [float(s) for s in step_scores]
            bad = [s for s in step_scores if not 0.0 <= s <= 1.0]  # NaN fails both comparisons
            if bad:
                raise ValueError(f"{what}: problem {pid!r}, completion {idx} has step score(s) {bad[:3]} outside [0, 1] "
                                 "(a PRM's step scores are probabilities; NaN is a failed score)")
            steps = _split_steps(completion, len(step_scores))
            mismatched += steps is None
            records.append({"problem_id": pid, "sample_idx": idx, "completion": completion, "reference": row["answer"],
                            "num_prompt_tokens": 0, "num_completion_tokens": max(int(n_tokens), 0),
                            "score": _aggregate(step_scores, agg), "steps": steps, "step_scores": step_scores,
                            **{c: row[c] for c in ("level", "subject") if c in row}})
    if mismatched:
        warnings.warn(f"{what}: {mismatched} completion(s) do not split on '\\n\\n' into one step per step score; "
                      f"their 'steps' is None (step_scores kept)", stacklevel=2)
    df = _graded(pd.DataFrame.from_records(records), what, style=style, timeout_s=timeout_s, keep_ungraded=keep_ungraded)
    return _finish(df, _FIRST)


# --------------------------------------------------------------------------- lm-evaluation-harness


def import_lm_eval_samples(path, *, style: str = "auto", timeout_s: float | None = 5.0,
                           keep_ungraded: bool = False) -> pd.DataFrame:
    """One row per response from lm-evaluation-harness ``--log_samples`` output, graded against ``target``.

    Follows the file ``EvaluationTracker.save_results_samples`` writes in lm-evaluation-harness
    0.4.x (read at commit 4e7e0d4, version 0.4.13.dev0): ``samples_<task>_<date>.jsonl``, one JSON
    object per document and filter, with ``doc_id``, ``doc``, ``target`` (``doc_to_target`` as a
    string), ``arguments`` (``{"gen_args_0": {"arg_0": prompt, "arg_1": generation kwargs}}``),
    ``resps`` (per request, the list of its ``repeats`` responses), ``filtered_resps``, ``filter``,
    ``metrics``, ``doc_hash``, ``prompt_hash``, ``target_hash`` and the metric values. A task with
    several filters (gsm8k: "strict-match", "flexible-extract") logs each document once per filter
    with the same responses; the first is read, and differing responses for one ``doc_id`` raise.

    The responses (``resps``, not the filtered ones) are graded with ``ttslib.grade`` against the
    answer in ``target`` (gsm8k's ``target`` is the worked solution ending in ``#### 42``: graded
    against ``42``). Columns: ``problem_id`` (``doc_id``), ``sample_idx`` (response order),
    ``doc_hash``, ``prompt_hash`` and ``task`` (from the file name). Token counts are not logged: 0.
    Only ``generate_until`` tasks have text responses; a loglikelihood task's file raises.
    """
    path = Path(path)
    what = f"lm-evaluation-harness samples {path}"
    raw = _read(path, what)
    _require_layout(raw, LM_EVAL_COLUMNS, what)
    records, seen = [], {}
    for row in raw.to_dict("records"):
        resps = _as_list(row["resps"])
        key = json.dumps(resps, ensure_ascii=False)
        if row["doc_id"] in seen:
            if seen[row["doc_id"]] != key:
                raise ValueError(f"{what}: doc_id {row['doc_id']!r} appears with different responses (two runs in "
                                 f"one file?); import each run's file on its own")
            continue
        seen[row["doc_id"]] = key
        responses = [r for request in resps for r in request]
        if not all(isinstance(r, str) for r in responses):
            raise ValueError(f"{what}: doc_id {row['doc_id']!r} has responses that are not text "
                             f"({responses[:1]!r}); only generate_until tasks can be graded")
        for idx, response in enumerate(responses):
            records.append({"problem_id": str(row["doc_id"]), "sample_idx": idx, "completion": response,
                            "reference": row["target"], "num_prompt_tokens": 0, "num_completion_tokens": 0,
                            **{c: row[c] for c in ("doc_hash", "prompt_hash") if c in row}})
    df = pd.DataFrame.from_records(records)
    name = _LM_EVAL_NAME.match(path.name)
    if name:
        df["task"] = name.group(1)
    df = _graded(df, what, style=style, timeout_s=timeout_s, keep_ungraded=keep_ungraded)
    return _finish(df, _FIRST)


# --------------------------------------------------------------------------- any table


def import_table(source, *, problem_id: str = "problem_id", completion: str = "completion",
                 reference: str = "reference", sample_idx: str | None = None, style: str = "auto",
                 timeout_s: float | None = 5.0, keep_ungraded: bool = False) -> pd.DataFrame:
    """A sample table from any table with one row per completion, through a column mapping, graded on the way in.

    Parameters
    ----------
    source : path of a .jsonl/.json/.csv/.parquet file, or a DataFrame
    problem_id, completion, reference : names of the columns holding them in ``source``
    sample_idx : name of the column numbering samples within a problem; None: the column
        ``sample_idx`` if there is one, else the samples are numbered per problem in file order
    style, timeout_s : passed to ``ttslib.grade.grade_many``
    keep_ungraded : keep rows with no reference as wrong samples with status "no_reference"

    Every other column is kept: schema columns under their names (``num_completion_tokens``,
    ``score``, ``level``, ...; token counts are 0 when absent), others as they are. Columns named
    ``answer``, ``is_correct`` or ``status`` that are not mapped are kept as ``input_answer``,
    ``input_is_correct``, ``input_status``, as grading writes those three. A missing completion is
    graded as the empty text.
    """
    what = f"table {source if not isinstance(source, pd.DataFrame) else '(DataFrame)'}"
    mapping = {problem_id: "problem_id", completion: "completion", reference: "reference"}
    if sample_idx is not None:
        mapping[sample_idx] = "sample_idx"
    if len(mapping) < 3 + (sample_idx is not None):
        raise ValueError(f"import_table: problem_id, completion, reference and sample_idx must name different columns; "
                         f"got {problem_id!r}, {completion!r}, {reference!r}, {sample_idx!r}")
    raw = _read(source, what, str_columns=(problem_id, completion, reference))
    _require_layout(raw, list(mapping), what)
    clash = [c for c in raw.columns if c in mapping.values() and c not in mapping]
    if clash:
        raise ValueError(f"{what}: column(s) {clash} would be overwritten by the mapping {mapping}; "
                         f"map them or rename them first")
    kept = {c: f"input_{c}" for c in ("answer", "is_correct", "status") if c in raw.columns and c not in mapping}
    df = raw.rename(columns={**kept, **mapping})
    df["problem_id"] = df["problem_id"].astype(str)
    df["completion"] = df["completion"].fillna("").astype(str)
    if "sample_idx" not in df.columns:
        df["sample_idx"] = df.groupby("problem_id", sort=False).cumcount()
    for column in ("num_prompt_tokens", "num_completion_tokens"):
        if column not in df.columns:
            df[column] = 0
    df = _graded(df, what, style=style, timeout_s=timeout_s, keep_ungraded=keep_ungraded)
    return _finish(df, _FIRST)


# --------------------------------------------------------------------------- published data (converters)


def read_pythia_counts(path) -> pd.DataFrame:
    """Read the Pythia repeated-sampling counts (Brown et al. 2024, processed by Schaeffer et al. 2025).

    The CSV columns ``model, pretrain_tokens, prompt_idx, level?, num_samples, num_correct,
    inference_compute`` become a counts table with ``problem_id`` (from ``prompt_idx``), the
    parameter count ``params`` and the checkpoint's tokens as a number ``pretrain_tokens_n``.
    """
    raw = pd.read_csv(path)
    _require_layout(raw, ("model", "pretrain_tokens", "prompt_idx", "num_samples", "num_correct"), f"Pythia counts {path}")
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
    _require_layout(df, ("question", "samples", "is_corrects"), "monkey_business rows")
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
