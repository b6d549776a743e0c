"""Run model-written programs against their tests, contained: the verifier of code tasks (HumanEval).

Each program runs in its own process (its own session and process group) under a fresh Python
(``python -I -S``: no site-packages, no environment variables read), with:

- limits (``resource.setrlimit``): CPU seconds, address space (memory), processes of its user, size of
  any file it writes (its stdout and stderr are files too), open files, no core dumps; and a wall-clock
  timeout after which its whole process group is killed;
- where the machine allows it (``ISOLATION == "namespaces"``: util-linux ``unshare``, as root or with
  unprivileged user namespaces), new mount, network and PID namespaces: no network interface but a
  down loopback, private empty ``/tmp``, ``/var/tmp`` and ``/dev/shm`` (so nothing it writes there
  survives it), and its PID namespace dies with it, taking every process it forked. Run as root, it also
  drops to the unprivileged user ``nobody`` (65534), which cannot write the machine's own files or
  signal its processes, and whose process count the process limit caps (root's is not capped);
- a working directory of its own, removed afterwards; stdin closed; its output kept up to
  ``Limits.output_bytes`` each; the standard-library modules of :data:`PRELOAD` that it imports are
  imported beforehand (``nobody`` may not read the interpreter's files), others only where ``nobody`` can.

Several programs run at once (:func:`run_many`, a thread per core). Each returns a :class:`Verdict`:
``passed`` (the hidden tests ran to their end), ``failed`` (an assertion failed), ``timeout``,
``out_of_memory`` or ``error`` (the program raised, exited or was killed before its tests finished), with
the reason. A pass needs a line that only the harness can write, carrying a random nonce, after the
tests returned: a program that calls ``sys.exit(0)`` or ``os._exit(0)`` before them, prints a fake
success, or defines its own ``check`` (the tests' ``check`` is defined after it) does not pass.
Docstring examples, when given, run one by one after the hidden tests; how many passed is reported.

What this does not protect against (say so before trusting it with code you do not control):

- a program that reads the harness's own memory (``gc``, frames) can find the nonce and forge a pass;
  one that returns objects whose comparisons always succeed passes ``assert f(x) == y`` tests;
- without namespaces (``ISOLATION == "rlimits"``): the network, writes anywhere its user may write
  (``/tmp``, and as the same user as the grader its files), processes that leave the process group
  (``setsid``) and outlive the timeout, and signals to the grader's processes;
- kernel exploits, and anything a process of the machine's ``nobody`` user can do (read world-readable
  files, spend the CPU and memory its limits allow); this is process isolation, not a virtual machine.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Limits", "Verdict", "Job", "run_tests", "run_many", "isolation", "VERDICTS"]

VERDICTS = ("passed", "failed", "timeout", "out_of_memory", "error")
# Standard-library modules imported before the program runs (as nobody it may not read the interpreter's
# files, e.g. under /root): what HumanEval's solutions and tests import, and the usual helpers.
PRELOAD = ("typing", "math", "re", "string", "collections", "collections.abc", "itertools", "functools", "heapq", "bisect",
           "hashlib", "random", "statistics", "fractions", "decimal", "datetime", "copy", "operator", "cmath", "array",
           "numbers", "dataclasses", "enum", "json", "textwrap", "unicodedata", "sys", "time")
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

    @property
    def passed(self) -> bool:
        return self.verdict == "passed"

    @property
    def examples_rate(self) -> float:
        """Share of docstring examples passed (NaN without examples)."""
        return self.examples_passed / self.examples_total if self.examples_total else float("nan")


# The harness: runs inside the sandbox, reads the job from one pipe, reports on another (lines with the nonce).
_HARNESS = r'''
import ctypes, json, os, resource, sys
src, out = int(sys.argv[1]), int(sys.argv[2])
chunks = []
while True:
    b = os.read(src, 1 << 20)
    if not b:
        break
    chunks.append(b)
os.close(src)
job = json.loads(b"".join(chunks).decode())
nonce = job["nonce"]
def report(**kw):
    os.write(out, (json.dumps({"nonce": nonce, **kw}) + "\n").encode())
if job["namespaces"]:
    libc = ctypes.CDLL(None, use_errno=True)
    MS_REC, MS_PRIVATE = 16384, 1 << 18
    if libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        report(stage="setup", error="mount --make-rprivate failed: errno %d" % ctypes.get_errno()); os._exit(70)
    for d in (b"/tmp", b"/var/tmp", b"/dev/shm"):
        if os.path.isdir(d) and libc.mount(b"tmpfs", d, b"tmpfs", 0, ("size=%dm,mode=1777" % (4 * job["file_mb"])).encode()) != 0:
            report(stage="setup", error="tmpfs on %s failed: errno %d" % (d.decode(), ctypes.get_errno())); os._exit(70)
    work = "/tmp/work"
    os.mkdir(work, 0o777)
    os.chmod(work, 0o777)
else:
    work = job["work"]
os.chdir(work)
L = job["limits"]
for what, value in ((resource.RLIMIT_CPU, L["cpu_s"]), (resource.RLIMIT_AS, L["memory_mb"] << 20), (resource.RLIMIT_FSIZE, L["file_mb"] << 20),
                    (resource.RLIMIT_NOFILE, L["open_files"]), (resource.RLIMIT_CORE, 0)):
    resource.setrlimit(what, (value, value))
for name in job["preload"]:  # before dropping privileges: the interpreter's own files may be unreadable to nobody
    try:
        __import__(name)
    except ImportError:
        pass
if job["drop_to"] is not None and os.getuid() == 0:
    os.setgroups([]); os.setgid(job["drop_to"]); os.setuid(job["drop_to"])
    resource.setrlimit(resource.RLIMIT_NPROC, (L["processes"], L["processes"]))
elif job["nproc"]:
    resource.setrlimit(resource.RLIMIT_NPROC, (job["nproc"], job["nproc"]))
os.environ.clear(); os.environ.update({"HOME": work, "PATH": "/usr/bin:/bin", "TMPDIR": work})
def attempt(stage, source, g, **kw):
    try:
        exec(compile(source, stage + ".py", "exec"), g)
        return None
    except MemoryError:
        return "MemoryError"
    except AssertionError as e:
        return "AssertionError" + (": " + str(e)[:200] if str(e) else "")
    except OSError as e:
        if e.errno == 27:  # EFBIG: Python ignores SIGXFSZ, so the write fails instead
            return "file size limit: it wrote more than allowed (EFBIG)"
        return type(e).__name__ + ": " + str(e)[:200]
    except BaseException as e:
        return type(e).__name__ + (": " + str(e)[:200] if str(e) else "")
g = {"__name__": "solution", "__builtins__": __builtins__}
report(stage="start")
err = attempt("program", job["program"], g)
if err is not None:
    report(stage="program", error=err); os._exit(0)
err = attempt("tests", job["tests"] + "\ncheck(" + job["entry_point"] + ")\n", g)
report(stage="hidden", error=err)
for i, ex in enumerate(job["examples"]):
    err = attempt("example", ex, dict(g))
    report(stage="example", i=i, error=err)
report(stage="done")
os._exit(0)
'''


@lru_cache(maxsize=1)
def isolation() -> str:
    """"namespaces" if util-linux ``unshare`` can make mount, network and PID namespaces here (as root, or
    in a user namespace), else "rlimits" (limits and a process group only: see the module docstring)."""
    base = ["unshare", "--mount", "--net", "--pid", "--fork", "--kill-child"]
    for prefix in ([base] if os.geteuid() == 0 else []) + [base[:1] + ["--user", "--map-root-user"] + base[1:]]:
        try:
            probe = subprocess.run(prefix + [sys.executable, "-I", "-S", "-c", "import os; os.getpid() == 1 or exit(3)"],
                                   capture_output=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            _PREFIX[:] = prefix
            return "namespaces"
    return "rlimits"


_PREFIX: list[str] = []


def _imports(job: Job) -> list[str]:
    """The standard-library modules of :data:`PRELOAD` the program, its tests or examples import (read
    with ``ast``; a source that does not parse imports nothing here and fails in the sandbox)."""
    import ast

    found = set()
    for source in (job.program, job.tests, *job.examples):
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module)
    wanted = {m for m in found if m in PRELOAD} | {m.split(".")[0] for m in found if m.split(".")[0] in PRELOAD}
    return sorted(wanted)


def _user_processes() -> int:
    """Processes of this user now (RLIMIT_NPROC counts them all, so the limit goes on top)."""
    uid = os.getuid()
    count = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                count += os.stat(f"/proc/{pid}").st_uid == uid
            except OSError:
                pass
    return count


def run_tests(job: Job, limits: Limits = Limits()) -> Verdict:
    """Run one program against its tests in the sandbox (module docstring) and say what happened."""
    if not isinstance(job, Job):
        raise TypeError(f"run_tests takes a Job; got {type(job).__name__}")
    if not job.entry_point.isidentifier():
        raise ValueError(f"entry_point must be a Python identifier; got {job.entry_point!r}")
    mode = isolation()
    nonce = secrets.token_hex(16)
    host = tempfile.mkdtemp(prefix="ttslib-sandbox-")
    root_inside = mode == "namespaces" and os.geteuid() == 0
    try:
        os.chmod(host, 0o700)
        work = os.path.join(host, "work")
        os.mkdir(work)
        harness = os.path.join(host, "harness.py")
        with open(harness, "w") as f:
            f.write(_HARNESS)
        payload = json.dumps({
            "nonce": nonce, "program": job.program, "tests": job.tests, "entry_point": job.entry_point,
            "examples": list(job.examples), "namespaces": mode == "namespaces", "work": work,
            "limits": {k: (int(v) if k != "wall_s" else v) for k, v in limits.__dict__.items()}, "file_mb": limits.file_mb,
            "drop_to": NOBODY if root_inside else None, "preload": _imports(job) if root_inside else [],
            "nproc": None if root_inside or os.geteuid() == 0 else _user_processes() + limits.processes,
        }).encode()
        job_r, job_w = os.pipe()
        res_r, res_w = os.pipe()
        stdout_f = open(os.path.join(host, "stdout"), "w+b")
        stderr_f = open(os.path.join(host, "stderr"), "w+b")
        cmd = (_PREFIX if mode == "namespaces" else []) + [sys.executable, "-I", "-S", harness, str(job_r), str(res_w)]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=stdout_f, stderr=stderr_f, cwd=host,
                                start_new_session=True, close_fds=True, pass_fds=(job_r, res_w), env={"PATH": "/usr/bin:/bin"})
        os.close(job_r)
        os.close(res_w)
        try:
            _write_all(job_w, payload)
        except BrokenPipeError:
            pass
        finally:
            os.close(job_w)
        fired = threading.Event()  # a timer kills the group at the deadline; the wait itself blocks (no polling)

        def expire():
            fired.set()
            _kill_group(proc, wait=False)

        timer = threading.Timer(limits.wall_s + (0.5 if mode == "namespaces" else 0.2), expire)
        timer.start()
        try:
            proc.wait()
        finally:
            timer.cancel()
        timed_out = fired.is_set()
        _kill_group(proc)
        seconds = time.perf_counter() - start
        lines = _read_reports(res_r, nonce)
        os.close(res_r)
        out, err = (_head(f, limits.output_bytes) for f in (stdout_f, stderr_f))
        stdout_f.close()
        stderr_f.close()
        return _verdict(lines, proc.returncode, timed_out, seconds, out, err, mode, len(job.examples), limits)
    finally:
        shutil.rmtree(host, ignore_errors=True)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _kill_group(proc, wait: bool = True) -> None:
    """Kill the program's whole process group (in namespaces its PID namespace goes with it)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if wait:
        proc.wait()


def _read_reports(fd: int, nonce: str) -> list[dict]:
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
    out = []
    for line in data.decode(errors="replace").splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict) and item.get("nonce") == nonce:  # only the harness knows it
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
    kw = dict(examples_passed=passed_ex, examples_total=num_examples, seconds=seconds, stdout=out, stderr=err, isolation=mode)
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
    if failure:
        where = "in the tests" if hidden is not None else "in the program"
        return Verdict("error", f"{failure} ({where})", **kw)
    if timed_out:
        return Verdict("timeout", f"no result within the wall-clock limit ({seconds:.1f} s)", **kw)
    if "start" in stages and seconds >= 0.9 * min(limits.cpu_s, limits.wall_s):  # killed at its CPU limit (SIGXCPU)
        return Verdict("timeout", f"CPU time limit ({limits.cpu_s} s)", **kw)
    sig = -returncode if returncode is not None and returncode < 0 else None
    if returncode is not None and returncode > 128:  # unshare reports its child's signal as 128 + n
        sig = returncode - 128
    if sig == signal.SIGXCPU:
        return Verdict("timeout", "CPU time limit (SIGXCPU)", **kw)
    if sig == signal.SIGXFSZ:
        return Verdict("error", "file size limit: it wrote more than the limit (SIGXFSZ)", **kw)
    if sig == signal.SIGKILL and "start" in stages:
        return Verdict("error", "killed (SIGKILL) before its tests finished", **kw)
    if "MemoryError" in err:
        return Verdict("out_of_memory", "MemoryError", **kw)
    if "start" not in stages:
        return Verdict("error", f"the sandbox did not start (exit code {returncode}): {err.strip()[-300:]}", **kw)
    return Verdict("error", f"exited before its tests finished (exit code {returncode})", **kw)


def run_many(jobs, limits: Limits = Limits(), *, workers: int | None = None, progress: bool = False) -> list[Verdict]:
    """:func:`run_tests` for every job, ``workers`` at once (default: one per core), in the order given."""
    jobs = list(jobs)
    workers = workers or os.cpu_count() or 1
    with ThreadPoolExecutor(max_workers=workers) as pool:
        it = pool.map(lambda j: run_tests(j, limits), jobs)
        if progress:
            from tqdm import tqdm

            it = tqdm(it, total=len(jobs), desc="sandbox")
        return list(it)
