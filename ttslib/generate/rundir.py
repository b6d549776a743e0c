"""A run directory on disk: one writer at a time, a manifest compared field by field, shards checked.

The run loop (:func:`ttslib.generate.run.run_sharded`) keeps a long run in a directory::

    writer.lock           held (``flock``) by the one process writing; names its pid, host and start
    run.json              the manifest: every setting that changes a sample or a score
    shards/000017.parquet one batch of problems, written atomically, the manifest in its metadata
    samples.parquet       every shard merged, written when the run completes

- **One writer.** :func:`writer_lock` takes an exclusive ``flock`` on ``writer.lock`` (the kernel
  drops it when the process dies, however it dies). A second writer is refused with
  :class:`RunLocked`, naming the holder; a lock file left by a writer that died is taken over
  with a message on stderr. Temporary files carry their writer's pid.
- **The run it claims to be.** :func:`check_manifest` compares a resumed run's manifest with
  ``run.json`` key by key (nested keys dotted: ``sampling.top_p``) and refuses a difference,
  naming each field with its stored and its new value (:class:`RunMismatch`).
- **Shards match the manifest.** :func:`check_shard` reads a shard back and refuses it unless it
  holds exactly the problems its name says, ``rows_per_problem`` rows of each with
  ``sample_idx`` 0..n-1, and (where the shard records one) the same manifest.

Locks are advisory and local: ``flock`` over NFS depends on the mount; two hosts writing one
directory on a file system without working locks are not caught.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["RunMismatch", "RunLocked", "writer_lock", "check_manifest", "write_shard", "check_shard", "flatten"]

MANIFEST_KEY = b"ttslib.manifest"  # a shard's Parquet metadata: the manifest of the run that wrote it


class RunMismatch(ValueError):
    """The run directory holds a run made with other settings, or a shard that is not this run's."""


class RunLocked(RuntimeError):
    """Another process is writing the run directory."""


def _holder(text: str) -> str:
    if not text:
        return "another process (which has not written its pid yet)"
    try:
        info = json.loads(text)
        return f"pid {info['pid']} on host {info['host']}, started {info['started']}"
    except (ValueError, KeyError, TypeError):
        return f"an unknown writer ({text[:80]!r})"


@contextmanager
def writer_lock(out_dir):
    """Hold ``out_dir/writer.lock`` for the duration; :class:`RunLocked` if another process holds it."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "writer.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        text = ""
        for _ in range(40):  # the holder writes its note just after taking the lock: give it a moment
            text = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
            if text:
                break
            time.sleep(0.05)
        os.close(fd)
        raise RunLocked(f"{out_dir} is being written by {_holder(text)}: one writer per run directory; "
                        "wait for it, stop it, or use another --out") from None
    try:
        left = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
        if left:  # the last writer died without letting go: the kernel released its flock, its note stayed
            print(f"{out_dir}: taking over the run from its last writer ({_holder(left)}), which is no longer running",
                  file=sys.stderr)
        note = json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                           "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, note, 0)
        os.fsync(fd)
        yield
    finally:
        os.ftruncate(fd, 0)  # a clean exit leaves no note: the next writer has nothing to take over
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def flatten(tree: dict, prefix: str = "") -> dict:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}`` (lists and scalars are leaves)."""
    out = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def _differences(stored: dict, given: dict) -> list[str]:
    old, new = flatten(stored), flatten(given)
    absent = "(not recorded)"
    return [f"{key}: stored {old.get(key, absent)!r}, given {new.get(key, absent)!r}"
            for key in sorted(set(old) | set(new)) if old.get(key, absent) != new.get(key, absent)]


def normalise(manifest: dict) -> dict:
    """The manifest as JSON gives it back (tuples become lists), so a comparison is of like with like."""
    return json.loads(json.dumps(manifest))


def check_manifest(path: Path, manifest: dict) -> None:
    """Write ``manifest`` to ``path`` (atomically) if there is none; else refuse any difference, by field."""
    path = Path(path)
    manifest = normalise(manifest)
    if path.exists():
        try:
            stored = json.loads(path.read_text())
        except ValueError as err:
            raise RunMismatch(f"{path} is not a readable manifest ({err}); move the run directory aside") from None
        differ = _differences(stored, manifest)
        if differ:
            raise RunMismatch(f"{path.parent} holds a run with other settings: " + "; ".join(differ)
                              + ". Use another --out, or the stored settings to resume it")
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(manifest, indent=2))
    tmp.replace(path)


def write_shard(rows: pd.DataFrame, path: Path, manifest: dict | None) -> None:
    """Write one shard atomically (a temporary file of this process, then a rename), the manifest in its metadata."""
    table = pa.Table.from_pandas(rows, preserve_index=False)
    if manifest is not None:
        meta = dict(table.schema.metadata or {})
        meta[MANIFEST_KEY] = json.dumps(normalise(manifest), sort_keys=True).encode()
        table = table.replace_schema_metadata(meta)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp)
    tmp.replace(path)


def check_shard(path: Path, problem_ids, rows_per_problem: int, manifest: dict | None) -> pd.DataFrame:
    """Read a finished shard back; :class:`RunMismatch` unless it is this run's (module docstring)."""
    try:
        shard = pd.read_parquet(path)
        meta = pq.read_schema(path).metadata or {}
    except Exception as err:  # pyarrow raises several types for a damaged file
        raise RunMismatch(f"shard {path} cannot be read ({type(err).__name__}: {err}); delete it to have it made again") from None
    name = path.stem
    if manifest is not None and MANIFEST_KEY in meta:
        differ = _differences(json.loads(meta[MANIFEST_KEY]), normalise(manifest))
        if differ:
            raise RunMismatch(f"shard {name} in {path.parent} was written by another run: " + "; ".join(differ[:5]))
    want = list(problem_ids)
    if set(shard["problem_id"]) != set(want):
        raise RunMismatch(f"shard {name} in {path.parent} holds problems {sorted(map(str, set(shard['problem_id'])))[:3]}..., "
                          f"not {sorted(map(str, want))[:3]}... as its name says")
    per = shard.groupby("problem_id", sort=False)["sample_idx"]
    wrong = per.size()[per.size() != rows_per_problem]
    if len(wrong):
        raise RunMismatch(f"shard {name} in {path.parent} holds {int(wrong.iloc[0])} rows for problem {wrong.index[0]!r}; "
                          f"this run makes {rows_per_problem} per problem")
    if not per.apply(lambda s: sorted(s.tolist()) == list(range(rows_per_problem))).all():
        raise RunMismatch(f"shard {name} in {path.parent}: sample_idx per problem is not 0..{rows_per_problem - 1}")
    return shard
