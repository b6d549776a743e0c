"""A run directory on disk: one writer at a time, a manifest compared field by field, shards checked.

The run loop (:func:`ttslib.generate.run.run_sharded`) keeps a long run in a directory::

    writer.lock           held (``flock``) by the one process writing; names its pid, host and start
    run.json              the manifest: every setting that changes a sample or a score; under "facts", what
                          was measured (each writer's machine and backend threads, each shard's wall time and
                          tokens per second), never compared on a resume
    shards/000017.parquet one batch of problems, written atomically, the manifest in its metadata
    SHA256SUMS            the SHA-256 of every finished shard (and of samples.parquet), ``sha256sum -c`` format
    samples.parquet       every shard merged, written when the run completes

What a run directory guarantees, and what it does not, is written out in ``docs/runs.md``.

- **One writer.** :func:`writer_lock` takes an exclusive ``flock`` on ``writer.lock`` (the kernel
  drops it when the process dies, however it dies). A second writer is refused with
  :class:`RunLocked`, naming the holder; a lock file left by a writer that died is taken over
  with a message on stderr. Temporary files carry their writer's pid.
- **The run it claims to be.** :func:`check_manifest` compares a resumed run's manifest with
  ``run.json`` key by key (nested keys dotted: ``sampling.top_p``) and refuses a difference,
  naming each field with its stored and its new value (:class:`RunMismatch`).
- **Shards are the bytes that were written.** :func:`write_shard` writes each Parquet page with its
  CRC-32 checksum, and records the file's SHA-256 in ``SHA256SUMS`` (atomically, by the one writer)
  before the shard takes its name, so a finished shard always has its hash on record.
  :func:`check_shard` refuses a shard whose bytes do not hash to the recorded value
  (:class:`ShardCorrupted`, naming its path): a changed byte anywhere is refused, never merged. A
  corrupted shard is refused rather than made again: it says the disk or a copy changed data, which
  the user should know, and a server backend may not draw the same samples twice; the message says
  to delete it to have it made again.
- **Shards match the manifest.** :func:`check_shard` then reads the shard with its page checksums
  verified and refuses it unless it holds exactly the problems its name says, ``rows_per_problem``
  rows of each with ``sample_idx`` 0..n-1, and (where the shard records one) the same manifest.
- **Older shards.** A shard with no recorded hash (written before hashes were recorded, or copied in
  without ``SHA256SUMS``) is checked by its page checksums where it has them and by its content, then
  its hash is recorded, with a note on stderr; a byte change such a shard carried in is caught
  only as far as those checks reach.

Locks are advisory and local: ``flock`` over NFS depends on the mount; two hosts writing one
directory on a file system without working locks are not caught.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import re
import socket
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["RunMismatch", "ShardCorrupted", "RunLocked", "writer_lock", "check_manifest", "write_shard", "check_shard",
           "flatten", "file_sha256", "read_sums", "record_sum", "SUMS", "FACTS", "machine_facts", "record_facts"]

MANIFEST_KEY = b"ttslib.manifest"  # a shard's Parquet metadata: the manifest of the run that wrote it
SUMS = "SHA256SUMS"  # in the run directory: "<sha256>  shards/000017.parquet" per finished file
_SUM_LINE = re.compile(r"^([0-9a-f]{64})  (\S+)$")


class RunMismatch(ValueError):
    """The run directory holds a run made with other settings, or a shard that is not this run's."""


class ShardCorrupted(RunMismatch):
    """A finished shard's bytes differ from those its writer recorded, or do not decode: refused, never merged."""


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


FACTS = "facts"  # run.json's measured part (timings, machine, backend threads): kept, never compared on a resume


def _settings(stored: dict) -> dict:
    return {k: v for k, v in stored.items() if k != FACTS}


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
        differ = _differences(_settings(stored), _settings(manifest))
        if differ:
            raise RunMismatch(f"{path.parent} holds a run with other settings: " + "; ".join(differ)
                              + ". Use another --out, or the stored settings to resume it")
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(manifest, indent=2))
    tmp.replace(path)


def machine_facts(backend=None) -> dict:
    """What ran a run: the host's CPU, the cores the process may use, memory, platform and Python, and the
    backend's name, threads and package version where it has them. Facts, not settings (:data:`FACTS`)."""
    import platform

    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        memory = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        memory = None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    facts = {"host": socket.gethostname(), "cpu": cpu, "cores": cores, "memory_gib": memory, "platform": platform.platform(),
             "python": platform.python_version()}
    if backend is not None:
        facts["backend"] = getattr(backend, "name", type(backend).__name__)
        threads = getattr(backend, "n_threads", None)
        facts["threads"] = int(threads) if threads is not None else None
    return facts


def record_facts(run_dir, writer: dict, shard: str | None = None, timing: dict | None = None) -> None:
    """Add this writer's machine facts, and a finished shard's ``timing``, to ``run.json``'s :data:`FACTS`
    (rewritten atomically; the caller holds the lock). A resumed run adds a writer; its settings are untouched."""
    path = Path(run_dir) / "run.json"
    stored = json.loads(path.read_text())
    facts = stored.setdefault(FACTS, {"about": "measured, not settings: a resume adds to them and is not compared on them",
                                      "writers": [], "shards": {}})
    if not facts["writers"] or facts["writers"][-1] != writer:
        facts["writers"].append(writer)
    if shard is not None:
        facts["shards"][shard] = {"writer": len(facts["writers"]) - 1, **(timing or {})}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(stored, indent=2))
    tmp.replace(path)


def file_sha256(path) -> str:
    """SHA-256 of a file's bytes, as 64 hex digits."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_sums(run_dir) -> dict[str, str]:
    """``{relative path: sha256}`` from ``run_dir/SHA256SUMS`` ({} where there is none, as in a run made before
    hashes were recorded); :class:`ShardCorrupted` naming the line if the file is not in ``sha256sum`` format."""
    path = Path(run_dir) / SUMS
    if not path.exists():
        return {}
    sums = {}
    for number, line in enumerate(path.read_bytes().decode("utf-8", "replace").splitlines(), 1):
        match = _SUM_LINE.match(line)
        if match is None:
            raise ShardCorrupted(f"{path} line {number} is not '<sha256>  <path>' ({line[:80]!r}); the record of the "
                                 f"shards' hashes is damaged: move the run directory aside, or delete {SUMS} to have "
                                 f"the shards checked by their content only")
        sums[match.group(2)] = match.group(1)
    return sums


def record_sum(run_dir, relative: str, sha256: str) -> None:
    """Record ``sha256`` for ``relative`` in ``run_dir/SHA256SUMS`` (rewritten atomically; the caller holds the lock)."""
    run_dir = Path(run_dir)
    sums = read_sums(run_dir)
    sums[relative] = sha256
    path = run_dir / SUMS
    tmp = path.with_name(f".{SUMS}.{os.getpid()}.tmp")
    tmp.write_text("".join(f"{digest}  {name}\n" for name, digest in sorted(sums.items())))
    tmp.replace(path)


def write_shard(rows: pd.DataFrame, path: Path, manifest: dict | None) -> str:
    """Write one shard atomically with page checksums, the manifest in its metadata, its SHA-256 recorded in
    ``SHA256SUMS`` of the run directory (``path.parent.parent``) before it takes its name; return the hash.

    The order makes every state a kill can leave safe: a temporary file (removed at the next start), a hash
    recorded for a shard not yet renamed (made again, its record replaced), or a finished shard on record.
    """
    table = pa.Table.from_pandas(rows, preserve_index=False)
    if manifest is not None:
        meta = dict(table.schema.metadata or {})
        meta[MANIFEST_KEY] = json.dumps(normalise(manifest), sort_keys=True).encode()
        table = table.replace_schema_metadata(meta)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp, write_page_checksum=True)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    digest = file_sha256(tmp)
    record_sum(path.parent.parent, f"{path.parent.name}/{path.name}", digest)
    tmp.replace(path)
    return digest


def _read_verified(path: Path) -> tuple[pd.DataFrame, dict]:
    """A shard's rows and its schema metadata, its page checksums verified where it has them, and its columns'
    types those of the Arrow schema stored beside them (a changed byte in the Parquet schema can turn text
    into bytes, which no page checksum covers)."""
    try:
        with pq.ParquetFile(path, page_checksum_verification=True) as file:
            table = file.read()
            meta = dict(file.metadata.metadata or {})  # as written (read_table drops the stored Arrow schema)
        table.validate(full=True)  # text that is not UTF-8, offsets out of range: what a damaged page without a checksum gives
        if b"ARROW:schema" in meta:
            stored = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(meta[b"ARROW:schema"])))
            differ = [f"{field.name}: {field.type}" for field in table.schema
                      if stored.get_field_index(field.name) < 0 or stored.field(field.name).type != field.type]
            if differ or len(stored) != len(table.schema):
                raise ValueError(f"its column types differ from the schema stored with them ({differ[:3]})")
        return table.to_pandas(), meta
    except Exception as err:  # noqa: BLE001 - pyarrow raises several types for a damaged file
        first = (str(err).strip().splitlines() or [""])[0][:200]
        raise ShardCorrupted(f"shard {path} cannot be read ({type(err).__name__}: {first}); "
                             f"delete it to have it made again") from None


def check_shard(path: Path, problem_ids, rows_per_problem: int, manifest: dict | None,
                sums: dict[str, str] | None = None) -> pd.DataFrame:
    """Read a finished shard back; :class:`ShardCorrupted` if its bytes do not hash to the value ``sums``
    (:func:`read_sums`) records for it, where it records one, or do not decode; :class:`RunMismatch` unless
    it is this run's (module docstring)."""
    path = Path(path)
    sums = sums or {}
    recorded = sums.get(f"{path.parent.name}/{path.name}")
    if recorded is not None:
        found = file_sha256(path)
        if found != recorded:
            other = [name for name, digest in sums.items() if digest == found]
            moved = f" (its bytes are those recorded for {other[0]}: moved or swapped?)" if other else ""
            raise ShardCorrupted(f"shard {path} is corrupted: its SHA-256 is {found[:16]}..., but {recorded[:16]}... was "
                                 f"recorded in {SUMS} when it was finished{moved}; it is refused, not merged. Delete it "
                                 f"to have it made again")
    shard, meta = _read_verified(path)
    name = path.stem
    if manifest is not None and MANIFEST_KEY in meta:
        try:
            stored = json.loads(meta[MANIFEST_KEY])
        except ValueError:
            raise ShardCorrupted(f"shard {path}: the manifest in its metadata is not JSON; delete it to have it made again") from None
        stored = stored if isinstance(stored, dict) else {"manifest": stored}
        settings = {k: v for k, v in manifest.items() if k != FACTS}  # facts are measured, never compared
        differ = _differences({k: v for k, v in stored.items() if k != FACTS}, normalise(settings))
        if differ:
            raise RunMismatch(f"shard {name} in {path.parent} was written by another run: " + "; ".join(differ[:5]))
    absent = [c for c in ("problem_id", "sample_idx") if c not in shard.columns]
    if absent:
        raise ShardCorrupted(f"shard {path} has no column(s) {absent}; its columns are {list(shard.columns)[:12]}. "
                             f"Delete it to have it made again")
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
