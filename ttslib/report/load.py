"""Reading any table notebook 00 can analyse: a sample or counts table in the ``ttslib.data`` schema,
or another tool's output through the importers of ``ttslib.data.importers``.

``load_table(source, format="auto")`` reads a local Parquet file (or directory of shards), JSONL/JSON
or CSV/TSV, or a hub dataset ``owner/name[:config]``, and returns a validated :class:`LoadedTable`.
With ``format="auto"`` the columns decide: search-and-learn's output (``problem``, ``answer``,
``completions``, ``scores``) and lm-evaluation-harness ``--log_samples`` (``doc_id``, ``doc``, ``target``,
``resps``) go through their importers (graded on the way in); a table of completions with a
``reference`` and no ``is_correct`` through ``import_table``; a sample table needs at least
``problem_id`` and ``is_correct`` (the schema columns it lacks are filled and listed); a counts table
``problem_id``, ``num_samples``, ``num_correct``; and the Large Language Monkeys layout (``question``,
``samples``, ``is_corrects``) is converted.

Bad input raises :class:`ReportInputError` (a ``ValueError``) with a one-line message naming the
source: a missing, empty or unreadable file, a table with no rows, or one that fits none of these.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ttslib.data import (COUNTS_COLUMNS, OPTIONAL_SAMPLE_COLUMNS, SAMPLE_COLUMNS, monkey_business_to_samples,
                         samples_to_counts, validate_counts, validate_samples)
from ttslib.data.importers import LM_EVAL_COLUMNS, SAL_COLUMNS

__all__ = ["ReportInputError", "LoadedTable", "FORMATS", "read_table", "standardise", "load_table", "counts_of",
           "validation_summary", "run_state", "one_line"]

FILE_TYPES = {".parquet": "Parquet", ".pq": "Parquet", ".jsonl": "JSONL", ".json": "JSON", ".csv": "CSV", ".tsv": "TSV"}
FORMATS = ("auto", "samples", "search-and-learn", "lm-eval", "table")  # how load_table reads the rows
ID_AS_TEXT = {"problem_id": str}  # ids as written: "007" and "7" are two problems, not one
_LAYOUTS = {"search-and-learn": set(SAL_COLUMNS), "lm-eval": set(LM_EVAL_COLUMNS)}  # the columns that name each importer's input


class ReportInputError(ValueError):
    """The table cannot be read or is not a sample or counts table; the message is one line."""


@dataclass(frozen=True)
class LoadedTable:
    """A validated table: ``kind`` "samples" or "counts", the columns the source had, the schema columns it
    lacked and were filled (``sample_idx`` numbered in row order, ``answer`` None, token counts 0), and
    ``layout``, the format it was read as (:data:`FORMATS`)."""

    source: str
    kind: str
    table: pd.DataFrame
    source_columns: tuple
    filled: tuple
    layout: str = "samples"  # how the rows were read: "samples" (the schema) or the importer's format
    manifest: str | None = None  # the run manifest whose model filled the 'model' column, if one did
    notes: tuple = ()  # what a reader must know before trusting the table: an unfinished run, implausible values


def one_line(err: BaseException) -> str:
    """The first line of an exception's message (its type's name if the message is empty): what a
    ``ReportInputError`` and a section's reason quote of an error raised deeper down."""
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def read_table(source) -> pd.DataFrame:
    """Read a local Parquet file or directory of shards (a run directory: its ``samples.parquet``), JSONL/JSON,
    CSV/TSV (optionally compressed, e.g. ``.csv.gz``), or a hub dataset ``owner/name[:config]`` (``datasets``)."""
    text = str(source)
    path = Path(text).expanduser()
    if not path.exists():
        if "/" in text and not Path(text).suffix and text.count("/") == 1 and not text.startswith((".", "/")):
            return _read_hub(text)
        raise ReportInputError(f"SAMPLES {text!r}: no such file or directory")
    if path.is_dir() and (path / "samples.parquet").is_file():  # a run directory of ttslib generate / search
        path = path / "samples.parquet"
    elif path.is_dir() and (path / "shards").is_dir():  # an unfinished run: what its shards hold (run_state says so)
        path = path / "shards"
    if path.is_dir():
        shards = sorted(p for p in path.iterdir() if p.is_file() and p.suffix == ".parquet" and not p.name.startswith("."))
        if not shards:
            raise ReportInputError(f"SAMPLES {text!r} is a directory with no Parquet files (a run directory has samples.parquet or shards/)")
        try:
            return pd.concat([pd.read_parquet(p) for p in shards], ignore_index=True)
        except Exception as err:  # noqa: BLE001 - one line naming the directory
            raise ReportInputError(f"SAMPLES {text!r}: a shard cannot be read as Parquet: {one_line(err)}") from err
    if path.is_file() and path.stat().st_size == 0:
        raise ReportInputError(f"SAMPLES {text!r} is empty (0 bytes)")
    suffixes = [s.lower() for s in path.suffixes if s.lower() not in (".gz", ".bz2", ".zst", ".xz", ".zip")]
    fmt = "Parquet" if path.is_dir() else FILE_TYPES.get(suffixes[-1] if suffixes else "", None)
    if fmt is None:
        with path.open("rb") as f:
            fmt = "Parquet" if f.read(4) == b"PAR1" else None
    if fmt is None:
        raise ReportInputError(f"SAMPLES {text!r}: unknown format; expected .parquet, .jsonl, .json, .csv or .tsv")
    try:
        if fmt == "Parquet":
            return pd.read_parquet(path)
        if fmt in ("CSV", "TSV"):
            return pd.read_csv(path, sep="," if fmt == "CSV" else "\t", dtype=ID_AS_TEXT)
        try:
            return pd.read_json(path, lines=True, dtype=ID_AS_TEXT)
        except ValueError:
            if fmt == "JSONL":
                raise ReportInputError(f"SAMPLES {text!r} cannot be read as JSONL: {_bad_json_line(path)}") from None
            return pd.read_json(path, dtype=ID_AS_TEXT)
    except ReportInputError:
        raise
    except Exception as err:  # noqa: BLE001 - every reader's error becomes one line naming the file
        raise ReportInputError(f"SAMPLES {text!r} cannot be read as {fmt}: {one_line(err)}") from err


def _bad_json_line(path: Path) -> str:
    """Where a JSON-lines file first fails to parse: 'line 7: <the parser's message>'."""
    import bz2
    import gzip
    import lzma

    opener = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}.get(path.suffix.lower(), open)
    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, 1):
            if line.strip():
                try:
                    value = json.loads(line)
                except ValueError as err:
                    return f"line {number}: {err}"
                if not isinstance(value, dict):
                    return f"line {number}: a JSON {type(value).__name__}, not an object (one row per line)"
    return "the lines parse one by one but do not make one table (rows of different kinds?)"


def run_state(source, table: pd.DataFrame) -> str | None:
    """Where ``source`` is an unfinished run directory (shards, no samples.parquet), a sentence saying so:
    problems done (those in ``table``, what :func:`read_table` read from its shards) of the total its
    ``run.json`` records."""
    path = Path(str(source)).expanduser()
    run = path.parent if path.name == "shards" else path
    if not path.is_dir() or (run / "samples.parquet").is_file() or not (run / "shards").is_dir():
        return None
    shards = list((run / "shards").glob("[0-9]*.parquet"))
    done = table["problem_id"].nunique()
    try:
        total = int(json.loads((run / "run.json").read_text(encoding="utf-8"))["num_problems"])
    except (OSError, ValueError, KeyError, TypeError):
        total = None
    return (f"unfinished run: {done} of {total if total is not None else '?'} problems done "
            f"({len(shards)} shard(s), no samples.parquet yet); the table holds only those. Rerun its command to finish it")


def _read_hub(dataset_id: str) -> pd.DataFrame:
    import datasets
    from huggingface_hub.utils import logging as hub_logging

    hub_logging.set_verbosity_error()  # no retry chatter: one line says what went wrong
    name, _, config = dataset_id.partition(":")
    try:
        splits = datasets.load_dataset(name, config or None)
    except Exception as err:  # noqa: BLE001 - network, missing dataset, missing config
        raise ReportInputError(f"SAMPLES {dataset_id!r}: no local file, and the hub dataset cannot be loaded: {one_line(err)}") from err
    split = next((s for s in ("test", "train") if s in splits), None) if len(splits) > 1 else next(iter(splits))
    if split is None:
        raise ReportInputError(f"SAMPLES {dataset_id!r} has splits {list(splits)}; expected one, or 'test' or 'train'")
    return splits[split].to_pandas()


def standardise(df: pd.DataFrame) -> tuple[str, pd.DataFrame, tuple]:
    """``(kind, validated table, filled columns)`` from a raw table: a sample table (``problem_id`` and
    ``is_correct`` at least; absent schema columns are filled), a counts table, or the Large Language
    Monkeys layout (``question``, ``samples``, ``is_corrects``). Raises ReportInputError otherwise."""
    if not isinstance(df, pd.DataFrame):
        raise ReportInputError(f"expected a table (pandas DataFrame); got {type(df).__name__}")
    if len(df) == 0:
        raise ReportInputError(f"the table has no rows (columns: {list(df.columns)})")
    columns = set(df.columns)
    try:
        if {"question", "samples", "is_corrects"} <= columns:
            return "samples", monkey_business_to_samples(df), ("answer", "num_prompt_tokens", "num_completion_tokens")
        if {"problem_id", "is_correct"} <= columns:
            filled = tuple(c for c in SAMPLE_COLUMNS if c not in columns)
            out = df.copy()
            if "sample_idx" in filled:
                out["sample_idx"] = out.groupby("problem_id", sort=False).cumcount()
            for column in filled:
                if column != "sample_idx":
                    out[column] = {"completion": "", "answer": None}.get(column, 0)
            return "samples", validate_samples(out), filled
        if set(COUNTS_COLUMNS) <= columns:
            return "counts", validate_counts(df), ()
    except (TypeError, ValueError) as err:
        raise ReportInputError(one_line(err)) from err
    raise ReportInputError(
        f"not a sample table (needs at least 'problem_id' and 'is_correct') nor a counts table (needs "
        f"{list(COUNTS_COLUMNS)}); its columns are {list(df.columns)[:12]}"
    )


def load_table(source, *, format: str = "auto", columns=None) -> LoadedTable:
    """The table notebook 00 and ``ttslib report`` analyse: :func:`read_table`, then by ``format`` (one of
    ``FORMATS``; "auto" decides from the columns, module docstring) :func:`standardise` ("samples") or an
    importer of ``ttslib.data.importers``. ``columns`` maps ``import_table``'s names to the table's
    (e.g. ``{"problem_id": "qid", "completion": "output", "reference": "gold"}``) and implies "table"."""
    if format not in FORMATS:
        raise ReportInputError(f"format must be one of {list(FORMATS)}; got {format!r}")
    raw = read_table(source)
    layout = format
    if format == "auto":
        plain = {"problem_id", "completion", "reference"} <= set(raw.columns) and "is_correct" not in raw.columns
        layout = next((name for name, needs in _LAYOUTS.items() if needs <= set(raw.columns)), None) or (
            "table" if columns or plain else "samples")
    if columns and layout != "table":
        raise ReportInputError(f"SAMPLES {str(source)!r}: a column mapping is for format 'table'; the format is {layout!r}")
    try:
        kind, table, filled = standardise(raw) if layout == "samples" else ("samples", _imported(layout, source, raw, columns), ())
    except ReportInputError as err:
        raise ReportInputError(f"SAMPLES {str(source)!r}: {err}") from None
    except (TypeError, ValueError) as err:
        raise ReportInputError(f"SAMPLES {str(source)!r} read as {layout}: {one_line(err)}") from None
    manifest = _manifest(source) if kind == "samples" and "model" not in table.columns else None
    if manifest is not None:
        table = table.assign(model=manifest[1])  # the run's model, for the FLOPs section
    notes = tuple(n for n in [run_state(source, table), *_implausible(table, kind)] if n)
    return LoadedTable(str(source), kind, table, tuple(map(str, raw.columns)), filled, layout,
                       None if manifest is None else str(manifest[0]), notes)


def _implausible(table: pd.DataFrame, kind: str) -> list[str]:
    """Values a valid table can hold but a real run hardly makes: said, by name, not refused."""
    if kind != "samples":
        return []
    rows = table.groupby("problem_id", sort=False)["sample_idx"].agg(["size", "max"])
    beyond = rows[rows["max"] >= 4 * rows["size"].clip(lower=16)]
    notes = []
    if len(beyond):
        first = beyond.index[0]
        notes.append(f"sample_idx reaches {int(beyond.loc[first, 'max'])} for problem {first!r}, which has "
                     f"{int(beyond.loc[first, 'size'])} row(s) ({len(beyond)} problem(s) like it): numbered in another table?")
    return notes


def _manifest(source) -> tuple[Path, str] | None:
    """``(path, model)`` from the manifest ``ttslib generate`` / ``ttslib search`` write beside a table
    (``<name>.run.json``, or ``run.json`` in its run directory), if there is one naming a model."""
    path = Path(str(source)).expanduser()
    if path.is_dir():
        candidates = [path / "run.json"]
    else:
        candidates = [path.with_name(path.name.split(".")[0] + ".run.json"), path.with_name("run.json")]
    for candidate in candidates:
        try:
            model = json.loads(candidate.read_text(encoding="utf-8")).get("model")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(model, str) and model:
            return candidate, model
    return None


def _imported(layout: str, source, raw: pd.DataFrame, columns) -> pd.DataFrame:
    """Rows of another tool's output as a graded sample table (``ttslib.data.importers``; the file itself
    where it is local, so that each importer reads it as it expects)."""
    from ttslib.data import importers

    if len(raw) == 0:
        raise ReportInputError(f"the table has no rows (columns: {list(raw.columns)})")
    local = Path(str(source)).expanduser()
    given = local if local.is_file() else raw
    if layout == "search-and-learn":
        return importers.import_search_and_learn(given)
    if layout == "lm-eval":
        if not local.is_file():
            raise ReportInputError("lm-evaluation-harness samples are read from their local samples_<task>_<date>.jsonl file")
        return importers.import_lm_eval_samples(local)
    return importers.import_table(given, **dict(columns or {}))


def counts_of(table: pd.DataFrame) -> pd.DataFrame:
    """The counts form (problem_id, num_samples, num_correct[, level]) of a sample or counts table."""
    return samples_to_counts(table) if "is_correct" in table.columns else validate_counts(table)


def validation_summary(loaded: LoadedTable) -> pd.Series:
    """One column of facts about a loaded table: rows, problems, samples per problem, columns present
    (schema, optional, other), columns filled, status counts, pass@1."""
    t, counts = loaded.table, counts_of(loaded.table)
    n = counts["num_samples"]
    schema = SAMPLE_COLUMNS if loaded.kind == "samples" else COUNTS_COLUMNS
    known = set(schema) | set(OPTIONAL_SAMPLE_COLUMNS) | {"level"}
    present = loaded.source_columns if loaded.layout == "samples" else tuple(map(str, t.columns))  # imported: what the importer kept
    facts = {
        "source": loaded.source,
        "kind": f"{loaded.kind} table" + ("" if loaded.layout == "samples" else f", imported from {loaded.layout} output and graded by ttslib.grade"),
        "rows": len(t),
        "problems": len(counts),
        "samples per problem": f"{int(n.min())}" if n.min() == n.max() else f"{int(n.min())} to {int(n.max())} (median {n.median():g})",
        "samples drawn": int(n.sum()),
        "pass@1 (mean over problems)": f"{(counts['num_correct'] / n).mean():.4f}",
        "problems never solved": int((counts["num_correct"] == 0).sum()),
        "schema columns": ", ".join(c for c in schema if c not in loaded.filled),
        "schema columns absent (filled)": ", ".join(loaded.filled) or "none",
        "optional columns": ", ".join(c for c in OPTIONAL_SAMPLE_COLUMNS if c in present) or "none",
        "other columns": ", ".join(c for c in present if c not in known) or "none",
    }
    if loaded.kind == "samples" and "status" in t.columns:
        facts["status"] = ", ".join(f"{s}: {c}" for s, c in t["status"].value_counts().items())
    if loaded.kind == "samples":
        facts["samples without an answer"] = int(t["answer"].isna().sum())
    if loaded.manifest is not None:
        facts["model (from the run manifest)"] = f"{t['model'].iloc[0]} ({loaded.manifest})"
    if "level" in counts.columns:
        facts["levels"] = ", ".join(map(str, sorted(counts["level"].unique())))
    return pd.Series(facts, name="your table")
