"""The run loop: problems in, a graded sample table out, written in shards so a killed run resumes.

Layout of a run directory (:mod:`ttslib.generate.rundir`: the lock, the manifest and the shard checks)::

    writer.lock           held by the one process writing the run
    run.json              what was asked: backend and its settings, model, prompt template, sampling config
    shards/000017.parquet the samples of the problems of one batch, written atomically with page checksums
    SHA256SUMS            each finished shard's SHA-256 (and samples.parquet's), recorded by the writer
    samples.parquet       every shard merged, written when the run completes

Running again with the same settings skips the problems whose shard exists, so after a kill at
any point each (problem, sample) appears exactly once. Different settings on an existing
directory are refused, naming each field that differs with its stored and its new value; so is
a second writer, a shard that is not this run's, and a shard whose bytes are not those recorded
when it was finished (checked on resume and again when the shards are merged). ``docs/runs.md``
says what a run directory guarantees.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ttslib.data import read_samples, validate_samples, write_samples
from ttslib.generate.base import (BackendError, CountsTokens, SamplingConfig, StreamsShards, backend_model_name, backend_settings, problem_seed,
                                  reset_backend, supports)
from ttslib.generate.rundir import (SUMS, RunLocked, RunMismatch, ShardCorrupted, check_manifest, check_shard, file_sha256,
                                    machine_facts, read_sums, record_facts, record_sum, write_shard, writer_lock)
from ttslib.problems import validate_problems

__all__ = ["generate_samples", "run_sharded", "confidence_absent", "run_manifest", "problems_digest", "render_prompt",
           "RunMismatch", "ShardCorrupted", "RunLocked"]


def render_prompt(template: str, question: str) -> str:
    """Fill ``{question}`` in ``template`` (other braces in few-shot examples must be doubled)."""
    try:
        return template.format(question=question)
    except (KeyError, IndexError) as err:
        raise ValueError(f"prompt template has a placeholder other than {{question}}: {err}") from err


def problems_digest(problems: pd.DataFrame) -> str:
    """SHA-256 of a problem set's ids, questions and references, in order (what a run manifest records)."""
    digest = hashlib.sha256()
    for row in problems[["problem_id", "question", "reference"]].astype(str).itertuples(index=False):
        digest.update("\x1f".join(row).encode() + b"\x1e")
    return digest.hexdigest()


def run_manifest(backend, config: SamplingConfig, template: str, grade_style: str, problems: pd.DataFrame,
                 per_shard: int) -> dict:
    """The manifest :func:`generate_samples` writes to ``run.json`` and compares on resume: every setting that
    changes a sample or its grade (``data/*.run.json`` are such manifests)."""
    return {
        "backend": backend.name,
        "model": backend_model_name(backend),  # declared by the backend (HasModelName), else None
        "backend_settings": backend_settings(backend),  # every backend setting that can change a sample
        "template": template,
        "grade_style": grade_style,
        "sampling": _sampling_field(config),
        "num_problems": int(len(problems)),
        "problems_sha256": problems_digest(problems),  # ids, questions and references, in order
        "problems_per_shard": int(per_shard),  # shards are named by their first problem's position
        **_sandbox_field(grade_style),
    }


def _sampling_field(config: SamplingConfig) -> dict:
    """The sampling settings as the manifest records them. ``confidence_top_k`` is recorded where it is set
    (token_confidence recorded from the top k log-probabilities), and left out where it is None, so the
    manifests of runs made before it existed still compare equal on resume."""
    fields = {k: list(v) if isinstance(v, tuple) else v for k, v in config.__dict__.items()}
    if fields.get("confidence_top_k") is None:
        fields.pop("confidence_top_k", None)
    return fields


def _sandbox_field(grade_style: str) -> dict:
    """Code runs record the sandbox's isolation mode (ttslib.sandbox: bwrap, namespaces or rlimits): a run is
    not resumed under another mode."""
    if grade_style != "code":
        return {}
    from ttslib.sandbox import isolation

    return {"sandbox_isolation": isolation()}


def _rows(batch: pd.DataFrame, results, config: SamplingConfig, backend, seeds, grade_style: str) -> pd.DataFrame:
    from ttslib.grade import grade_table

    records = []
    for (_, problem), result, seed in zip(batch.iterrows(), results, seeds):
        for idx, c in enumerate(result.completions):
            lp = np.asarray(c.token_logprobs, dtype=float)
            records.append(
                {
                    "problem_id": problem["problem_id"],
                    "sample_idx": idx,
                    "completion": c.text,
                    "num_prompt_tokens": result.num_prompt_tokens,
                    "num_completion_tokens": c.num_tokens,
                    "logprob": float(lp.sum()),
                    "token_logprobs": lp.tolist(),
                    **({"token_confidence": None if c.token_confidence is None else [float(x) for x in c.token_confidence]}
                       if config.confidence_top_k is not None else {}),
                    "finish_reason": c.finish_reason,
                    "status": c.status,
                    "reference": problem["reference"],
                    "seed": seed,
                }
            )
    df = pd.DataFrame.from_records(records)
    if grade_style == "code":  # run each program against the problem's tests (ttslib.codegrade, ttslib.sandbox)
        from ttslib.codegrade import grade_code_table

        df = grade_code_table(df, batch)
    else:
        df = grade_table(df, style=grade_style, missing="mark")  # a sampling error keeps its status
    if "level" in batch.columns:
        df["level"] = df["problem_id"].map(dict(zip(batch["problem_id"], batch["level"])))
    df["model"] = backend_model_name(backend)
    df["backend"] = backend.name
    df["temperature"] = config.temperature
    df["top_p"] = config.top_p
    return validate_samples(df.drop(columns="reference"))


def generate_samples(
    problems: pd.DataFrame,
    backend,
    config: SamplingConfig,
    *,
    template: str = "{question}",
    grade_style: str = "auto",
    out_dir=None,
    problems_per_shard: int = 1,
    progress: bool = True,
) -> pd.DataFrame:
    """Sample ``config.n`` completions for every problem, grade them, return the sample table.

    Parameters
    ----------
    problems : a problem set (``ttslib.problems``: problem_id, question, reference[, level])
    backend : a :class:`ttslib.generate.base.Backend` (llama.cpp, vLLM or an OpenAI-compatible server)
    template : the prompt, with ``{question}`` where the problem goes
    grade_style : answer extraction style passed to ``ttslib.grade`` ("auto", "boxed", "gsm8k", ...)
    out_dir : if given, shards are written there as they finish and a rerun resumes (module docstring)
    problems_per_shard : problems sent to the backend together and written as one shard

    A problem without a reference answer is sampled but recorded with ``status = "no_reference"``
    and ``is_correct = False``. A backend failure (dead server) raises :class:`BackendError`
    after the finished shards are on disk.
    """
    problems = validate_problems(problems)
    manifest = run_manifest(backend, config, template, grade_style, problems, problems_per_shard) if out_dir is not None else None

    def make_rows(batch: pd.DataFrame) -> pd.DataFrame:
        reset_backend(backend)  # a shard's samples depend on the shard alone, not on what ran (or failed) before
        seeds = [problem_seed(config.seed, pid) for pid in batch["problem_id"]]
        prompts = [render_prompt(template, q) for q in batch["question"]]
        results = backend.generate(prompts, config, seeds)
        return _rows(batch, results, config, backend, seeds, grade_style)

    def streamed(shards):  # a backend that takes every pending shard at once and returns each as it is done
        asked = {start: (batch, [problem_seed(config.seed, pid) for pid in batch["problem_id"]]) for start, batch in shards}
        sent = [(start, [render_prompt(template, q) for q in batch["question"]], seeds) for start, (batch, seeds) in asked.items()]
        for start, results, seconds in backend.generate_shards(sent, config):
            batch, seeds = asked[start]
            yield start, _rows(batch, results, config, backend, seeds, grade_style), seconds

    table = run_sharded(problems, make_rows, out_dir=out_dir, manifest=manifest, problems_per_shard=problems_per_shard,
                        rows_per_problem=config.n, progress=progress, backend=backend,
                        map_shards=streamed if supports(backend, StreamsShards) else None)
    if config.confidence_top_k is not None:  # said once per run, here: the table says where, this says that it is so
        absent = confidence_absent(table)
        if absent.any():
            drawn = int((~table["status"].astype(str).str.startswith("error")).sum())
            warnings.warn(f"token_confidence (confidence_top_k={config.confidence_top_k}) is absent (None) in {int(absent.sum())} "
                          f"of {drawn} samples drawn: {backend.name} did not return the top {config.confidence_top_k} "
                          f"log-probabilities there; nothing was filled in", RuntimeWarning, stacklevel=2)
    return table


def confidence_absent(table: pd.DataFrame) -> np.ndarray:
    """(rows,) bool: samples that were drawn (``status`` not "error: ...", which marks a prompt that could not be
    sampled) and whose ``token_confidence`` is missing: the backend did not give it."""
    if "token_confidence" not in table.columns:
        return np.zeros(len(table), dtype=bool)
    missing = np.array([v is None or (isinstance(v, float) and np.isnan(v)) for v in table["token_confidence"]], dtype=bool)
    if "status" not in table.columns:
        return missing
    return missing & ~table["status"].astype(str).str.startswith("error").to_numpy()


def run_sharded(problems: pd.DataFrame, make_rows, *, out_dir=None, manifest: dict | None = None,
                problems_per_shard: int = 1, rows_per_problem: int = 1, progress: bool = True, backend=None,
                map_shards=None) -> pd.DataFrame:
    """Call ``make_rows(batch)`` on consecutive batches of ``problems_per_shard`` problems and return
    all rows as one validated sample table, in problem order.

    With ``out_dir``, each batch's rows are written as an atomic shard as soon as they exist, the
    ``manifest`` is checked against (or written to) ``run.json``, finished shards are read back
    instead of recomputed, and the merged table is written to ``samples.parquet`` at the end. A
    :class:`BackendError` is re-raised after the finished shards are on disk, saying how many.
    Each finished shard's wall time, rows, tokens and tokens per second go to ``run.json``'s facts with the
    writer's machine and ``backend`` threads (``rundir.record_facts``); the problems of a shard are made
    together, so a problem's time is the shard's mean. Used by :func:`generate_samples` and ``ttslib.search.run_search``.

    ``map_shards`` (instead of ``make_rows``): workers elsewhere make the shards (``base.ShardPool``): given
    [(start, batch)] it yields (start, rows, seconds) in any order; this process still writes every shard.
    """
    if len(problems) == 0:
        raise ValueError("problems is empty: nothing to generate")
    if problems_per_shard < 1:
        raise ValueError(f"problems_per_shard must be >= 1; got {problems_per_shard}")
    if out_dir is None:
        return _run(problems, make_rows, None, None, problems_per_shard, rows_per_problem, progress, backend, map_shards)
    out_dir = Path(out_dir)
    with writer_lock(out_dir):
        return _run(problems, make_rows, out_dir, manifest, problems_per_shard, rows_per_problem, progress, backend, map_shards)


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _shard_tokens(rows: pd.DataFrame) -> int:
    """Tokens a shard generated: a search's whole trees (``search_generated_tokens``, one total per problem), else
    every row's completion."""
    if "search_generated_tokens" in rows.columns:
        return int(rows.groupby("problem_id", sort=False)["search_generated_tokens"].first().sum())
    return int(rows["num_completion_tokens"].sum())


def _made(problems, todo, make_rows, map_shards, per_shard, backend):
    """Each pending shard as (start, rows, seconds, backend counts): made here one after another, or by the pool."""
    if map_shards is not None:
        for start, rows, seconds in map_shards([(start, problems.iloc[start : start + per_shard]) for start in todo]):
            yield start, rows, seconds, {}
        return
    for start in todo:
        counted = dict(backend.stats) if supports(backend, CountsTokens) else None
        begun = time.perf_counter()
        rows = make_rows(problems.iloc[start : start + per_shard])
        seconds = time.perf_counter() - begun
        work = {} if counted is None else {"backend_" + k: int(v - counted.get(k, 0)) for k, v in backend.stats.items()}
        yield start, rows, seconds, work


def _run(problems, make_rows, out_dir, manifest, problems_per_shard, rows_per_problem, progress, backend=None, map_shards=None) -> pd.DataFrame:
    from tqdm.auto import tqdm

    done: list[pd.DataFrame] = []
    todo = list(range(0, len(problems), problems_per_shard))
    if out_dir is not None:
        check_manifest(out_dir / "run.json", manifest)
        shard_dir = out_dir / "shards"
        shard_dir.mkdir(exist_ok=True)
        for stale in [*shard_dir.glob("*.tmp"), *out_dir.glob(f".{SUMS}.*.tmp")]:
            stale.unlink()  # a file being written when its writer died (this process holds the lock)
        finished = {int(p.stem) for p in shard_dir.glob("[0-9]*.parquet")}
        done = _finished_shards(out_dir, problems, [start for start in todo if start in finished], problems_per_shard,
                                rows_per_problem, manifest)
        todo = [start for start in todo if start not in finished]
        if todo:
            writer = machine_facts(backend) | {"pid": os.getpid(), "started": _now()}
            record_facts(out_dir, writer)

    bar = tqdm(total=len(problems) * rows_per_problem, initial=sum(len(d) for d in done), unit="sample", disable=not progress)
    tokens, t0 = 0, time.perf_counter()
    try:
        for start, rows, seconds, work in _made(problems, todo, make_rows, map_shards, problems_per_shard, backend):
            if out_dir is not None:
                write_shard(rows, shard_dir / f"{start:06d}.parquet", manifest)
                made, k = _shard_tokens(rows), int(rows["problem_id"].nunique())
                record_facts(out_dir, writer, f"shards/{start:06d}.parquet",
                             {"seconds": round(seconds, 3), "problems": k, "rows": len(rows), "tokens": made,
                              "tokens_per_second": round(made / seconds, 2) if seconds > 0 else None,
                              "seconds_per_problem": round(seconds / k, 3), **work, "finished": _now()})
            done.append(rows)
            tokens += int(rows["num_completion_tokens"].sum())
            bar.update(len(rows))
            bar.set_postfix(tok_per_s=f"{tokens / (time.perf_counter() - t0):.0f}")
    except BackendError as err:
        kept = f"; {len(done)} finished shard(s) are kept in {out_dir}" if out_dir is not None else ""
        raise BackendError(f"{err}{kept}") from err
    finally:
        bar.close()

    if out_dir is not None:  # merge what is on disk, every shard checked against its recorded hash once more
        done = _finished_shards(out_dir, problems, range(0, len(problems), problems_per_shard), problems_per_shard,
                                rows_per_problem, manifest)
    table = validate_samples(pd.concat(done, ignore_index=True))
    order = {pid: i for i, pid in enumerate(problems["problem_id"])}
    table = table.sort_values(["problem_id", "sample_idx"], key=lambda s: s.map(order) if s.name == "problem_id" else s, kind="stable")
    table = table.reset_index(drop=True)
    if out_dir is not None:  # return what is on disk, so a fresh run and a resumed one compare equal
        merged = write_samples(table, out_dir / "samples.parquet")
        record_sum(out_dir, merged.name, file_sha256(merged))
        table = read_samples(merged)
    return table


def _finished_shards(out_dir: Path, problems, starts, per_shard: int, rows_per_problem: int, manifest) -> list[pd.DataFrame]:
    """The rows of the finished shards starting at problems ``starts``, each checked (``rundir.check_shard``)
    against the hash recorded when it was finished. A shard with none on record (an older run's, or one
    copied in without ``SHA256SUMS``) is checked by its page checksums and content, then its hash is recorded,
    and one line on stderr says so."""
    sums, rows, adopted = read_sums(out_dir), [], []
    for start in starts:
        path = out_dir / "shards" / f"{start:06d}.parquet"
        relative = f"shards/{path.name}"
        ids = problems["problem_id"].iloc[start : start + per_shard]
        rows.append(check_shard(path, ids, rows_per_problem, manifest, sums))
        if relative not in sums:
            record_sum(out_dir, relative, file_sha256(path))
            adopted.append(relative)
    if adopted:
        print(f"{out_dir}: {len(adopted)} finished shard(s) had no hash in {SUMS} (written before hashes were recorded, "
              f"or copied in without it), e.g. {adopted[0]}; they were checked by their page checksums where they have "
              f"them and by their content, and their hashes are recorded now", file=sys.stderr)
    return rows
