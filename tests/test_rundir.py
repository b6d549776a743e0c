"""A run directory refuses what it did not write: every single-byte change of a finished shard, and a
kill at any moment resumes to the table a clean run makes (ttslib.generate.rundir, docs/runs.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from conftest import kill_after_shards
from test_generate_run import ScriptedBackend, run
from ttslib.generate.rundir import SUMS, RunMismatch, ShardCorrupted, check_shard, file_sha256, read_sums
from ttslib.problems import make_arithmetic

PROBLEMS = make_arithmetic(1, levels=(2,), seed=0)  # one problem, n = 4: one small shard


def _finished(tmp_path) -> tuple[Path, pd.DataFrame, dict]:
    """A finished one-shard run: the shard's path, its rows as read back, and the run's manifest."""
    run(ScriptedBackend(), PROBLEMS, tmp_path)
    shard = tmp_path / "shards" / "000000.parquet"
    manifest = json.loads((tmp_path / "run.json").read_text())
    return shard, check_shard(shard, PROBLEMS["problem_id"], 4, manifest, read_sums(tmp_path)), manifest


def _flip_each(shard: Path, offsets, check) -> dict:
    """Flip (xor 0xFF) one byte of ``shard`` at a time, in place, call ``check()``, put the byte back.
    Returns {offset: the check's outcome}."""
    outcome = {}
    fd = os.open(shard, os.O_RDWR)
    try:
        for offset in offsets:
            byte = os.pread(fd, 1, offset)
            os.pwrite(fd, bytes([byte[0] ^ 0xFF]), offset)
            try:
                outcome[offset] = check()
            finally:
                os.pwrite(fd, byte, offset)
    finally:
        os.close(fd)
    return outcome


@pytest.mark.slow
def test_every_single_byte_change_of_a_finished_shard_is_refused_naming_it(tmp_path):
    shard, _, manifest = _finished(tmp_path)
    sums = read_sums(tmp_path)
    assert sums["shards/000000.parquet"] == file_sha256(shard), "the hash is recorded when the shard is finished"

    def check():
        try:
            check_shard(shard, PROBLEMS["problem_id"], 4, manifest, sums)
        except ShardCorrupted as err:
            return str(shard) in str(err) and "corrupted" in str(err)
        return False  # accepted

    size = shard.stat().st_size
    outcome = _flip_each(shard, range(size), check)
    refused = sum(outcome.values())
    assert refused == size, f"{size - refused} of {size} offsets accepted or refused without naming the shard"


@pytest.mark.slow
def test_without_a_recorded_hash_page_checksums_and_the_stored_schema_refuse_or_the_rows_are_unchanged(tmp_path):
    """A shard the writer wrote (page checksums) whose hash is not on record, as when SHA256SUMS is lost: each
    byte change (every 3rd offset, and every offset of the footer, where the column types live) is refused
    naming the shard, or leaves the rows exactly as written (statistics, padding, unused metadata)."""
    shard, good, manifest = _finished(tmp_path)
    footer = int.from_bytes(shard.read_bytes()[-8:-4], "little") + 8

    def check():
        try:
            rows = check_shard(shard, PROBLEMS["problem_id"], 4, manifest, {})
        except RunMismatch as err:
            assert "000000" in str(err), err
            return "refused"
        try:
            pd.testing.assert_frame_equal(rows, good)
        except AssertionError:
            return "changed"
        return "unchanged"

    size = shard.stat().st_size
    offsets = sorted(set(range(0, size, 3)) | set(range(size - footer, size)))
    outcome = _flip_each(shard, offsets, check)
    changed = [o for o, what in outcome.items() if what == "changed"]
    assert not changed, f"byte changes at offsets {changed[:10]} were accepted with other rows"
    assert sum(what == "refused" for what in outcome.values()) > len(offsets) / 2  # the check is not vacuous


def test_a_corrupted_shard_is_refused_on_resume_and_the_merged_table_is_kept(tmp_path):
    problems = make_arithmetic(3, levels=(2,), seed=0)
    first = run(ScriptedBackend(), problems, tmp_path)
    merged = (tmp_path / "samples.parquet").read_bytes()
    shard = tmp_path / "shards" / "000001.parquet"
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0x01
    shard.write_bytes(bytes(data))
    with pytest.raises(ShardCorrupted, match=rf"shard {shard} is corrupted: .* refused, not merged"):
        run(ScriptedBackend(), problems, tmp_path)
    assert (tmp_path / "samples.parquet").read_bytes() == merged, "samples.parquet is not replaced"
    shard.unlink()  # as the message says: the shard is made again
    pd.testing.assert_frame_equal(run(ScriptedBackend(), problems, tmp_path), first)


def test_the_merge_checks_every_shard_again(tmp_path, monkeypatch):
    """A shard damaged after the resume read it (during a long run) is caught when the shards are merged."""
    import ttslib.generate.run as run_module

    problems = make_arithmetic(2, levels=(2,), seed=0)
    with pytest.raises(Exception):
        run(ScriptedBackend(fail_after=1), problems, tmp_path)
    real = run_module.write_shard

    def write_then_damage_the_other(rows, path, manifest):
        digest = real(rows, path, manifest)
        other = path.parent / "000000.parquet"
        other.write_bytes(other.read_bytes()[:-1] + b"X")
        return digest

    monkeypatch.setattr(run_module, "write_shard", write_then_damage_the_other)
    with pytest.raises(ShardCorrupted, match="000000.parquet is corrupted"):
        run(ScriptedBackend(), problems, tmp_path)
    assert not (tmp_path / "samples.parquet").exists()


def test_a_shard_of_an_older_run_is_checked_by_content_and_its_hash_recorded(tmp_path, capfd):
    problems = make_arithmetic(2, levels=(2,), seed=0)
    first = run(ScriptedBackend(), problems, tmp_path)
    (tmp_path / SUMS).unlink()  # a run made before hashes were recorded
    for shard in (tmp_path / "shards").glob("*.parquet"):
        pq.write_table(pq.read_table(shard), shard)  # and before page checksums
    pd.testing.assert_frame_equal(run(ScriptedBackend(), problems, tmp_path), first)
    assert "2 finished shard(s) had no hash in SHA256SUMS" in capfd.readouterr().err
    sums = read_sums(tmp_path)
    assert set(sums) == {"shards/000000.parquet", "shards/000001.parquet", "samples.parquet"}
    assert all(file_sha256(tmp_path / name) == digest for name, digest in sums.items())
    check = subprocess.run(["sha256sum", "-c", SUMS], cwd=tmp_path, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr  # the standard tool reads the record


def test_a_damaged_record_of_hashes_is_named(tmp_path):
    problems = make_arithmetic(1, levels=(2,), seed=0)
    run(ScriptedBackend(), problems, tmp_path)
    (tmp_path / SUMS).write_text("not a hash  shards/000000.parquet\n")
    with pytest.raises(ShardCorrupted, match=r"SHA256SUMS line 1 is not '<sha256>  <path>'"):
        run(ScriptedBackend(), problems, tmp_path)


def test_a_kill_between_recording_a_hash_and_naming_the_shard_resumes(tmp_path):
    """The writer records the hash, then renames the shard: a kill in between leaves a record for a shard that
    is not there, which the resume makes again and records anew."""
    problems = make_arithmetic(2, levels=(2,), seed=0)
    clean = run(ScriptedBackend(), problems, tmp_path / "clean")
    run(ScriptedBackend(), problems, tmp_path / "run")
    (tmp_path / "run" / "shards" / "000001.parquet").rename(tmp_path / "run" / "shards" / ".000001.parquet.99999.tmp")
    (tmp_path / "run" / "samples.parquet").unlink()
    pd.testing.assert_frame_equal(run(ScriptedBackend(), problems, tmp_path / "run"), clean)
    assert not list((tmp_path / "run" / "shards").glob("*.tmp"))


SLOW_WRITER = """
import sys, time
sys.path.insert(0, sys.argv[2])
import test_generate_run as scripted
from ttslib.problems import make_arithmetic

answer = scripted.ScriptedBackend.generate
def slowly(self, prompts, config, seeds):  # the same backend (its class is in the manifest), slower
    time.sleep(0.2)
    return answer(self, prompts, config, seeds)

scripted.ScriptedBackend.generate = slowly
scripted.run(scripted.ScriptedBackend(), make_arithmetic(6, levels=(2,), seed=0), sys.argv[1])
"""


@pytest.mark.slow
def test_a_kill_mid_run_resumes_to_the_table_of_a_clean_run(tmp_path):
    problems = make_arithmetic(6, levels=(2,), seed=0)
    out = tmp_path / "run"
    writer = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, str(out), str(Path(__file__).parent)])
    finished = kill_after_shards(writer, out, 3)
    assert 3 <= finished < 6 and not (out / "samples.parquet").exists(), "killed mid-run"
    resumed = run(ScriptedBackend(), problems, out)
    pd.testing.assert_frame_equal(resumed, run(ScriptedBackend(), problems, tmp_path / "clean"))
    assert set(read_sums(out)) == {f"shards/{i:06d}.parquet" for i in range(6)} | {"samples.parquet"}
