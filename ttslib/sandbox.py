"""Run model-written programs against their tests, contained: the verifier of code tasks (HumanEval).

The tests never share an interpreter with the program. Each job runs as two processes in one sandbox
(:mod:`ttslib._sandbox_inside`): the *test process* runs the hidden tests and the docstring examples, and
calls the program's functions (``candidate``, and any other function the program defines) through a pipe
to the *program process*, a fork of it that dropped to its own user and limits before the program ran.
Arguments and results cross as plain data in a tagged format parsed by hand (None, bool, int, float, str, bytes,
complex, and lists, tuples, dicts, sets of them); an object with behaviour of its own (an always-true
``__eq__``, a generator) does not cross, and the call raises in the tests. Exceptions cross by name;
in-place changes to list, dict and set arguments are copied back. The verdict is written by the test
process on a pipe the program never holds, and read by the grader: whatever the program replaces in its
own interpreter (``exec``, ``json.dumps``, ``os.write``, the harness's functions, its ``gc`` and frames)
is not where the tests run.

The sandbox, by :func:`isolation` (the first that works here; ``TTSLIB_SANDBOX`` or ``mode=`` choose):

- ``"bwrap"`` (bubblewrap, preferred): new PID, network, IPC and mount namespaces; a root
  of read-only binds of ``/usr`` and the interpreter only, a private ``/proc``, ``/dev`` and a size-capped
  tmpfs ``/tmp``; ``--die-with-parent`` and ``--new-session``. As root, the program runs as ``nobody``
  and the test process as root (without capabilities but changing users), so the program cannot signal
  or trace it; as another user both run as that user, and the test process is not dumpable (no ptrace,
  no ``/proc/<pid>/mem``) and ignores signals: the program can at most kill it (an error, never a pass).
- ``"namespaces"`` (util-linux ``unshare``, today's path): new mount, network, PID, IPC and UTS
  namespaces, a private ``/proc``, private tmpfs over ``/tmp``, ``/var/tmp``, ``/dev/shm``,
  ``/dev/mqueue`` and ``/run`` (``/run/lock`` and the sockets there); the rest of the host's filesystem
  is visible, read-only to ``nobody`` where its permissions say so. ``setpriv --pdeathsig`` and
  ``--kill-child`` end it with the grader.
- ``"rlimits"`` (fallback, announced once per process with a :class:`SandboxWarning`): limits and a
  process group only. As root the program still runs as ``nobody``, never as root; it dies with its test
  process, which dies with the grader.

In every mode: ``python -s -S -P`` (the standard library only) with an environment of ``PATH`` and
``PYTHONHASHSEED=0`` (set order, and so a verdict, is the same at each run), rlimits (CPU seconds, address space, processes, file size, open files,
no core dumps), a wall-clock kill, an empty environment, stdin closed, output kept up to
``Limits.output_bytes``. Nothing is written on the host but a work directory in ``rlimits`` mode, named
``ttslib-sandbox-<pid>-*`` and removed after the run, or at the next start if the grader was killed.
Each verdict records its mode (``Verdict.isolation``; the ``isolation`` column of a graded table).

What a program can still do:

- compute its answers from the arguments it is given (and special-case the public tests it can read
  in its own memory or files); a test whose assertion the candidate's *values* satisfy passes;
- spend the CPU, memory and time its limits allow, and write up to them in its own tmpfs;
- in ``bwrap`` as a non-root user: kill or stop its test process (the job ends ``error`` or
  ``timeout``); read what the read-only binds show (the Python installation, ``/usr``);
- in ``namespaces``: read every world-readable host file; reach a filesystem socket outside the private
  tmpfs directories if its permissions let ``nobody`` in;
- in ``rlimits``: the network, every world-readable file and socket, writes where ``nobody`` (or the
  grader's user) may write, processes that leave the process group (``setsid``) and outlive a killed
  grader, other programs' work directories in ``/tmp``; run as a user other than root, it is that
  user: it can signal the grader's processes and read what that user may;
- kernel exploits: this is process isolation, not a virtual machine.
"""

from __future__ import annotations

import io
import marshal
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ttslib import _sandbox_inside as inside
from ttslib import _sandbox_modes as modes
from ttslib._sandbox_modes import MODES, PRELOAD, SandboxWarning

__all__ = ["Limits", "Verdict", "Job", "run_tests", "run_many", "isolation", "available", "MODES", "VERDICTS", "SandboxWarning"]

VERDICTS = ("passed", "failed", "timeout", "out_of_memory", "error")
NOBODY = 65534


@dataclass(frozen=True)
class Limits:
    """What one program may use."""

    wall_s: float = 5.0  # wall-clock seconds before its process group is killed
    cpu_s: int = 6  # CPU seconds (RLIMIT_CPU); above wall_s, so a busy loop meets the wall clock first
    memory_mb: int = 512  # address space (RLIMIT_AS)
    processes: int = 16  # processes of its user (RLIMIT_NPROC; see the module docstring)
    file_mb: int = 16  # largest file it may write, stdout and stderr included (RLIMIT_FSIZE)
    open_files: int = 64  # RLIMIT_NOFILE
    output_bytes: int = 4096  # of stdout and stderr each, kept in the verdict

    def __post_init__(self):
        for name in ("wall_s", "cpu_s", "memory_mb", "processes", "file_mb", "open_files", "output_bytes"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Limits.{name} must be > 0; got {getattr(self, name)!r}")


@dataclass(frozen=True)
class Job:
    """A program, the hidden tests that define ``check(candidate)``, the function they test, and
    optional docstring examples (each a snippet of statements that raises if the example fails)."""

    program: str
    tests: str
    entry_point: str
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verdict:
    verdict: str  # one of VERDICTS
    reason: str  # why, in a few words ("" when passed)
    examples_passed: int = 0
    examples_total: int = 0
    seconds: float = 0.0
    stdout: str = ""
    stderr: str = ""
    isolation: str = ""
    example_errors: tuple[str | None, ...] = ()  # per docstring example: None (passed), what went wrong, or "not run"

    @property
    def passed(self) -> bool:
        return self.verdict == "passed"

    @property
    def examples_rate(self) -> float:
        """Share of docstring examples passed (NaN without examples)."""
        return self.examples_passed / self.examples_total if self.examples_total else float("nan")


@lru_cache(maxsize=1)
def _inside_code():
    return compile(Path(inside.__file__).read_text(), inside.__file__, "exec", dont_inherit=True)  # no future flag of this module leaks in


@lru_cache(maxsize=None)
def _works(mode: str) -> bool:
    """Whether ``mode`` runs a canonical program to a pass here (a probe, once per process)."""
    if mode == "rlimits":
        return True
    if shutil.which(modes.prefix(mode, Limits().file_mb)[0]) is None:
        return False
    try:
        v = run_tests(Job("def f():\n    return 1\n", "def check(c):\n    assert c() == 1\n", "f"), Limits(), mode=mode)
    except OSError:
        return False
    return v.verdict == "passed"


def available() -> tuple[str, ...]:
    """The isolation modes that work on this machine, most contained first."""
    return tuple(m for m in MODES if _works(m))


@lru_cache(maxsize=1)
def isolation() -> str:
    """The mode jobs run in: ``TTSLIB_SANDBOX`` if set (it must work here), else the most contained that
    works ("bwrap", "namespaces", "rlimits"; module docstring). Leftovers of killed runs are removed."""
    modes.sweep()
    wanted = os.environ.get("TTSLIB_SANDBOX")
    if wanted:
        if wanted not in MODES:
            raise ValueError(f"TTSLIB_SANDBOX must be one of {MODES}; got {wanted!r}")
        if not _works(wanted):
            raise ValueError(f"TTSLIB_SANDBOX={wanted} does not work on this machine; available: {available()}")
        return wanted
    return next(m for m in MODES if _works(m))  # rlimits always works


def run_tests(job: Job, limits: Limits = Limits(), *, mode: str | None = None) -> Verdict:
    """Run one program against its tests in the sandbox (module docstring) and say what happened.
    ``mode``: an isolation mode of :data:`MODES` (default :func:`isolation`)."""
    _check_job(job)
    return _Sandbox(_mode(mode), limits).run(job)


def _check_job(job) -> None:
    if not isinstance(job, Job):
        raise TypeError(f"run_tests takes a Job; got {type(job).__name__}")
    if not job.entry_point.isidentifier():
        raise ValueError(f"entry_point must be a Python identifier; got {job.entry_point!r}")


def _mode(mode: str | None) -> str:
    if mode is None:
        mode = isolation()
    elif mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}; got {mode!r}")
    modes.announce(mode)
    return mode


class _Sandbox:
    """One sandbox, started and waiting for its job: its interpreter boots while another job runs."""

    def __init__(self, mode: str, limits: Limits):
        self.mode, self.limits, self.root = mode, limits, os.geteuid() == 0
        self.host = tempfile.mkdtemp(prefix=f"ttslib-sandbox-{os.getpid()}-") if mode == "rlimits" else None
        if self.host is not None:
            os.chmod(self.host, 0o777 if self.root else 0o700)  # nobody's work directory, in a name only this run knows
        job_r, self.job_w = os.pipe()
        self.res_r, res_w = os.pipe()
        self.out, self.err = tempfile.TemporaryFile(), tempfile.TemporaryFile()  # unlinked: nothing to leave behind
        # -s -S -P: no site-packages, no user site, no script directory on the path (-I, but with the environment
        # below read: a fixed hash seed, so that a program whose answer follows set order grades the same each time)
        cmd = modes.prefix(mode, limits.file_mb) + [modes.python(), "-s", "-S", "-P", "-c", modes.BOOT, str(job_r), str(res_w)]
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.out, stderr=self.err, cwd="/",
                                         start_new_session=True, close_fds=True, pass_fds=(job_r, res_w), env=modes.ENVIRONMENT)
        except BaseException:
            self.proc = None
            self.close()
            raise
        finally:
            os.close(job_r)
            os.close(res_w)

    def run(self, job: Job) -> Verdict:
        limits, mode = self.limits, self.mode
        payload = marshal.dumps((_inside_code(), {
            "mode": mode, "program": job.program, "tests": job.tests, "entry_point": job.entry_point,
            "examples": list(job.examples), "work": self.host, "grader_pid": os.getpid(), "tmpfs": modes.PRIVATE_DIRS,
            "limits": {k: (int(v) if k != "wall_s" else v) for k, v in limits.__dict__.items()},
            "drop_to": NOBODY if self.root else None, "preload": modes.imports(job.program, job.tests, *job.examples) if self.root and mode != "bwrap" else [],
            "nproc": None if self.root else modes.user_processes() + 2 * limits.processes,
        }))
        try:
            start = time.perf_counter()
            try:
                _write_all(self.job_w, payload)
            except BrokenPipeError:
                pass
            os.close(self.job_w)
            self.job_w = None
            fired = threading.Event()  # a timer kills the group at the deadline; the wait itself blocks (no polling)

            def expire():
                fired.set()
                _kill_group(self.proc, wait=False)

            timer = threading.Timer(limits.wall_s + (0.2 if mode == "rlimits" else 0.5), expire)
            timer.start()
            try:
                self.proc.wait()
            finally:
                timer.cancel()
            _kill_group(self.proc)
            seconds = time.perf_counter() - start
            lines = _read_reports(self.res_r)
            out, err = (_head(f, limits.output_bytes) for f in (self.out, self.err))
            return _verdict(lines, self.proc.returncode, fired.is_set(), seconds, out, err, mode, len(job.examples), limits)
        finally:
            self.close()

    def close(self) -> None:
        """Kill what is left of it and release its pipes, files and work directory (idempotent)."""
        if self.proc is not None:
            _kill_group(self.proc)
        for name in ("job_w", "res_r"):
            fd = getattr(self, name, None)
            if fd is not None:
                os.close(fd)
                setattr(self, name, None)
        self.out.close()
        self.err.close()
        if self.host is not None:
            shutil.rmtree(self.host, ignore_errors=True)
            self.host = None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _kill_group(proc, wait: bool = True) -> None:
    """Kill the sandbox's process group (its namespaces, and the program with them, die with it)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if wait:
        proc.wait()


def _read_reports(fd: int) -> list[dict]:
    """The test process's report lines (this pipe is its alone: the program never holds it)."""
    os.set_blocking(fd, False)
    data = b""
    while len(data) < 1 << 20:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        data += chunk
    out, stream = [], io.BytesIO(data)
    while True:
        try:
            item = inside._receive(stream)
        except ValueError:
            break
        if not isinstance(item, dict):
            break
        out.append(item)
    return out


def _head(f, n: int) -> str:
    f.seek(0)
    data = f.read(n + 1)
    text = data[:n].decode(errors="replace")
    return text + (" [truncated]" if len(data) > n else "")


def _verdict(lines, returncode, timed_out, seconds, out, err, mode, num_examples, limits) -> Verdict:
    stages = {item.get("stage"): item for item in lines}
    examples = [item for item in lines if item.get("stage") == "example"]
    passed_ex = sum(1 for item in examples if item.get("error") is None)
    errors: list[str | None] = ["not run"] * num_examples
    for item in examples:
        i = item.get("i")
        if isinstance(i, int) and 0 <= i < num_examples:
            errors[i] = None if item.get("error") is None else str(item.get("error"))
    kw = dict(examples_passed=passed_ex, examples_total=num_examples, seconds=seconds, stdout=out, stderr=err, isolation=mode,
              example_errors=tuple(errors))
    if "setup" in stages:
        return Verdict("error", f"sandbox setup: {stages['setup'].get('error')}", **kw)
    hidden = stages.get("hidden")
    if hidden is not None and hidden.get("error") is None:
        return Verdict("passed", "", **kw)
    failure = (hidden or stages.get("program") or {}).get("error")
    if failure and failure.startswith("MemoryError"):
        return Verdict("out_of_memory", "MemoryError", **kw)
    if failure and failure.startswith("AssertionError") and hidden is not None:
        return Verdict("failed", failure, **kw)
    if failure and failure.startswith("ProgramGone") and not timed_out:
        sig = failure.rsplit("signal ", 1)[-1] if "signal " in failure else ""
        if sig == str(int(signal.SIGXCPU)) or (sig == str(int(signal.SIGKILL)) and seconds >= 0.9 * min(limits.cpu_s, limits.wall_s)):
            return Verdict("timeout", f"CPU time limit ({limits.cpu_s} s)", **kw)
        if sig == str(int(signal.SIGXFSZ)):
            return Verdict("error", "file size limit: it wrote more than the limit (SIGXFSZ)", **kw)
    if failure:
        where = "in the tests" if hidden is not None else "in the program"
        return Verdict("error", f"{failure} ({where})", **kw)
    if timed_out:
        return Verdict("timeout", f"no result within the wall-clock limit ({seconds:.1f} s)", **kw)
    if "start" in stages and seconds >= 0.9 * min(limits.cpu_s, limits.wall_s):  # killed at its CPU limit (SIGXCPU)
        return Verdict("timeout", f"CPU time limit ({limits.cpu_s} s)", **kw)
    if "MemoryError" in err:
        return Verdict("out_of_memory", "MemoryError", **kw)
    if "start" not in stages:
        return Verdict("error", f"the sandbox did not start (exit code {returncode}): {err.strip()[-300:]}", **kw)
    return Verdict("error", f"the tests did not finish (exit code {returncode})", **kw)


def run_many(jobs, limits: Limits = Limits(), *, workers: int | None = None, progress: bool = False,
             mode: str | None = None) -> list[Verdict]:
    """:func:`run_tests` for every job, ``workers`` at once (default: one per core), in the order given.
    Each worker starts its next sandbox before it runs a job, so that the start overlaps the run."""
    jobs = list(jobs)
    for j in jobs:
        _check_job(j)
    workers = workers or os.cpu_count() or 1
    mode = _mode(mode)
    spares: dict[int, _Sandbox] = {}

    def one(j: Job) -> Verdict:
        me = threading.get_ident()
        box = spares.pop(me, None) or _Sandbox(mode, limits)
        spares[me] = _Sandbox(mode, limits)
        return box.run(j)

    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            it = pool.map(one, jobs)
            if progress:
                from tqdm import tqdm

                it = tqdm(it, total=len(jobs), desc="sandbox")
            return list(it)
    finally:
        for box in spares.values():
            box.close()
