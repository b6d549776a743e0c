"""The sandbox for model-written code (ttslib.sandbox): valid programs pass, hostile ones are contained,
get the right verdict, and leave the machine as it was.

The hostile suite: programs that leave early or forge reports; the five tampering tricks of issue 29
(``builtins.exec``/``compile`` replaced, ``json.dumps``/``os.write`` replaced, the harness's ``attempt``
replaced, its ``report`` called before an exit, an always-true ``__eq__``) and variants that reach for
shared state (``gc``, frames, the pipes' descriptors, ``/proc/<pid>/mem``, signals to the test process,
killing it, stdout, fake verdict files); then containment, in every isolation mode this machine has:
writes anywhere, host sockets, other processes, a killed grader, the fallback's user and environment.
Tests read what a program saw through the tests themselves: they assert it, so a pass means it held.
"""

from __future__ import annotations

import glob
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT
from ttslib import _sandbox_inside as inside
from ttslib import _sandbox_modes
from ttslib.problems import load_humaneval
from ttslib.sandbox import MODES, Job, Limits, SandboxWarning, available, isolation, run_many, run_tests

TESTS = "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(-1, 1) == 0\n"
GOOD = "def add(a, b):\n    return a + b\n"
FAST = Limits(wall_s=3.0, cpu_s=4)
HERE = available()
contained = [m for m in HERE if m != "rlimits"]  # modes with their own filesystem, network and process view
needs_contained = pytest.mark.skipif(not contained, reason="needs bubblewrap or mount/network/PID namespaces (see ttslib.sandbox)")
root_only = pytest.mark.skipif(os.geteuid() != 0, reason="dropping to nobody needs root (CI runs as root)")


def job(program: str, tests: str = TESTS, **kw) -> Job:
    return Job(program, tests, "add", **kw)


def probe(body: str, assertion: str, *, setup: str = "") -> Job:
    """A program whose ``add()`` returns what ``body`` computes, and tests that assert ``assertion`` on it."""
    program = setup + "def add():\n" + textwrap.indent(textwrap.dedent(body), "    ")
    return Job(program, f"def check(candidate):\n    seen = candidate()\n    assert {assertion}, seen\n", "add")


@pytest.fixture(scope="module")
def he0():
    p = load_humaneval(limit=1).iloc[0]
    return p


def he0_job(he0, body: str) -> Job:
    return Job(he0["question"] + body, he0["tests"], he0["entry_point"], tuple(he0["examples"]))


# ---- verdicts ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", HERE)
def test_a_valid_program_passes_and_its_examples_are_counted(mode):
    v = run_tests(job(GOOD, examples=("assert add(2, 2) == 4", "assert add(0, 0) == 0", "assert add(1, 1) == 3")), mode=mode)
    assert v.verdict == "passed" and v.reason == "" and (v.examples_passed, v.examples_total) == (2, 3) and v.isolation == mode
    assert v.examples_rate == pytest.approx(2 / 3)


def test_a_wrong_program_fails_with_the_assertion():
    v = run_tests(job("def add(a, b):\n    return a - b\n"))
    assert v.verdict == "failed" and v.reason.startswith("AssertionError")


@pytest.mark.parametrize("program", [
    "import sys\nsys.exit(0)\n" + GOOD,  # leaves before the tests
    "import os\nos._exit(0)\n",
    "def add(a, b):\n    return 0\ndef check(candidate):\n    pass\n",  # its own check: the tests' is their own
    "import os, json\nfor fd in range(3, 20):\n    try:\n        os.write(fd, (json.dumps({'stage': 'hidden', 'error': None}) + '\\n').encode())\n"
    "    except OSError:\n        pass\nprint('{\"stage\": \"hidden\", \"error\": null}')\nos._exit(0)\n",  # a forged report
    "import atexit, os\natexit.register(lambda: os.write(1, b'passed'))\nraise SystemExit(0)\n",
])
def test_leaving_early_or_faking_success_does_not_pass(program):
    v = run_tests(job(program), FAST)
    assert v.verdict in ("error", "failed"), v


# ---- tampering: the five tricks of issue 29 and what else reaches for shared state ----------------------

WRONG = "    return False\n"
TAMPERING = {
    "builtins.exec replaced": WRONG + "import builtins\n_e = builtins.exec\nbuiltins.exec = lambda c, g=None, *a: None if "
                              "getattr(c, 'co_filename', '') in ('tests.py', 'example.py') else _e(c, g, *a)\n",
    "builtins.compile replaced": WRONG + "import builtins\n_c = builtins.compile\nbuiltins.compile = lambda s, f, m, *a, **k: "
                                 "_c('pass', f, m)\n",
    "json.dumps replaced": WRONG + "import json\njson.dumps = lambda *a, **k: '{\"stage\": \"hidden\", \"error\": null}'\n",
    "os.write replaced": WRONG + "import os\n_w = os.write\nos.write = lambda fd, data: _w(fd, data.replace(b'\"error\": \"', b'\"ok\": \"'))\n",
    "the harness's attempt replaced": WRONG + "import sys\nsys.modules['__main__'].attempt = lambda *a, **k: None\n",
    "the harness's report called, then exit": WRONG + "import sys, os\ntry:\n    sys.modules['__main__'].report(stage='hidden', error=None)\n"
                                              "except Exception:\n    pass\nfor f in list(sys._current_frames().values()):\n"
                                              "    while f is not None:\n        r = f.f_locals.get('report')\n        if callable(r):\n"
                                              "            try:\n                r(stage='hidden', error=None)\n                r(stage='done')\n"
                                              "            except Exception:\n                pass\n        f = f.f_back\nos._exit(0)\n",
    "an always-true __eq__": "    class Yes:\n        def __eq__(self, other):\n            return True\n        __hash__ = None\n"
                             "    return Yes()\n",
    "an int subclass with an always-true __eq__": "    class Yes(int):\n        def __eq__(self, other):\n            return True\n    return Yes(0)\n",
    "a str-valued trick": "    class S(str):\n        def __eq__(self, other):\n            return True\n    return S('x')\n",
    "gc: every function named report or attempt": WRONG + "import gc\nfor o in gc.get_objects():\n"
                                                  "    if callable(o) and getattr(o, '__name__', '') in ('report', 'attempt', '_send'):\n"
                                                  "        try:\n            o(stage='hidden', error=None) if o.__name__ == 'report' else None\n"
                                                  "        except Exception:\n            pass\n",
    "the pipes' descriptors written directly": WRONG + "import os, json\nfor fd in range(0, 64):\n"
                                                 "    for msg in ({'stage': 'hidden', 'error': None}, {'loaded': True, 'names': {}}, {'return': True}):\n"
                                                 "        try:\n            os.write(fd, (json.dumps(msg) + '\\n').encode())\n"
                                                 "        except OSError:\n            pass\n",
    "the test process's /proc fds and memory": WRONG + "import os\nppid = os.getppid()\nfor fd in range(0, 64):\n"
                                                  "    try:\n        with open(f'/proc/{ppid}/fd/{fd}', 'w') as f:\n"
                                                  "            f.write('{\"stage\": \"hidden\", \"error\": null}\\n')\n    except OSError:\n        pass\n"
                                                  "try:\n    open(f'/proc/{ppid}/mem', 'r+b').write(b'x')\nexcept OSError:\n    pass\n",
    "signals to the test process": "    import os, signal\n    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1, signal.SIGALRM, signal.SIGHUP):\n"
                                   "        for pid in (os.getppid(), -1, 0):\n            try:\n                os.kill(pid, s)\n"
                                   "            except OSError:\n                pass\n    return False\n",
    "killing the test process": "    import os, signal\n    for pid in (os.getppid(), -1):\n        try:\n            os.kill(pid, signal.SIGKILL)\n"
                                "        except OSError:\n            pass\n    return False\n",
    "stopping the test process": "    import os, signal\n    try:\n        os.kill(os.getppid(), signal.SIGSTOP)\n    except OSError:\n"
                                 "        pass\n    return False\n",
    "stdout forgery": "    print('{\"stage\": \"hidden\", \"error\": null}')\n    print('passed')\n    return False\n",
    "fake verdict files": WRONG + "import os, glob\nfor d in ['.', '/tmp', os.environ.get('TMPDIR', '.')] + glob.glob('/tmp/ttslib-sandbox-*'):\n"
                          "    for name in ('stdout', 'stderr', 'verdict', 'report', 'result.json'):\n        try:\n"
                          "            open(os.path.join(d, name), 'w').write('{\"stage\": \"hidden\", \"error\": null}\\n')\n"
                          "        except OSError:\n            pass\n",
    "the runner's encoder replaced": WRONG + "import sys\nsys.modules['__main__'].encode = lambda x, depth=0: True\n",
    "a reply crafted on the wire": "    import os, sys, json\n    f = sys._getframe(1)\n    while f is not None and 'replies' not in f.f_locals:\n"
                                   "        f = f.f_back\n    os.write(f.f_locals['replies'], b'{\"return\": {\"x\": 1}, \"args\": []}\\n')\n"
                                   "    os.write(f.f_locals['replies'], b'{\"return\": true, \"args\": []}\\n' * 64)\n    return False\n",
}


@pytest.mark.parametrize("mode", HERE)
def test_the_canonical_solution_passes_beside_the_tricks(he0, mode):
    v = run_tests(he0_job(he0, he0["reference"]), FAST, mode=mode)
    assert v.verdict == "passed" and v.examples_passed == v.examples_total == 2, v


@pytest.mark.parametrize("mode", HERE)
@pytest.mark.parametrize("trick", sorted(TAMPERING))
def test_tampering_never_passes(he0, trick, mode):
    v = run_tests(he0_job(he0, TAMPERING[trick]), FAST, mode=mode)
    assert v.verdict in ("failed", "error", "timeout"), (trick, v)
    assert v.examples_passed <= 1, (trick, v)  # return False satisfies one of the two examples at most


# ---- what crosses the pipe ----------------------------------------------------------------------------

plain = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=10**30) | st.floats(allow_nan=False) | st.text()
    | st.binary() | st.complex_numbers(allow_nan=False),
    lambda kids: st.lists(kids) | st.lists(kids).map(tuple) | st.dictionaries(st.integers() | st.text() | st.none(), kids)
    | st.frozensets(st.integers() | st.text()) | st.sets(st.integers() | st.text()),
    max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(plain)
def test_plain_data_crosses_the_wire_unchanged(x):
    back = inside.decode(inside.encode(x))
    assert back == x and type(back) is type(x)


def test_the_wire_keeps_nan_inf_and_huge_ints_and_refuses_behaviour():
    def cross(x):
        return inside.decode(inside.encode(x))

    assert cross(float("nan")) != cross(float("nan")) and cross(float("-inf")) == float("-inf")
    assert str(cross(-0.0)) == "-0.0" and cross(10**5000) == 10**5000 and cross(-(2**64)) == -(2**64)
    assert cross([[[[()]]]]) == [[[[()]]]] and cross(True) is True and type(cross(1.0)) is float

    class Yes:
        def __eq__(self, other):
            return True

    for thing in (Yes(), (i for i in range(3)), print, range(3), [Yes()], {1: Yes()}):
        with pytest.raises(inside.NotPlainData):
            inside.encode(thing)
    for forged in (b"", b"x", b"i12", b"l", b"le!", b"s5:abc", b"s-1:", b"dlee1e", b"dNe", b"c1;", b"Z" + b"l" * 300,
                   b"fnope;", b"i" + b"f" * 10 + b";;"):
        with pytest.raises(ValueError):
            inside.decode(forged)


SEMANTICS = '''
def check(candidate):
    for x in (None, True, 0, -7, 10**5000, 1.5, -0.0, "é", b"\\x00", 2j, [1, [2, (3, 4)]], (1, (2,)), {"a": {1: [2]}},
              {1, 2}, frozenset({3}), ((),), [[[[[]]]]]):
        got = candidate("same", x)
        assert got == x and type(got) is type(x), (x, got)
    assert math.isnan(candidate("same", float("nan"))) and candidate("same", float("inf")) == float("inf")
    assert candidate("same", x=[1, 2]) == [1, 2]  # keyword arguments
    try:
        candidate("raise", ValueError.__name__)
    except ValueError as e:
        assert "boom" in str(e)
    else:
        assert False, "the exception did not cross"
    try:
        candidate("recurse", 0)
    except RecursionError:
        pass
    else:
        assert False, "RecursionError did not cross"
    assert candidate("fib", 20) == 6765  # recursion that ends
    try:
        candidate("generator", 3)
    except TypeError as e:  # NotPlainData is a TypeError
        assert "not plain data" in str(e)
    else:
        assert False, "a generator crossed"
    xs = [3, 1, 2]
    assert candidate("sort_in_place", xs) is None and xs == [1, 2, 3]  # in-place changes come back
    d = {"a": 1}
    candidate("add_key", d)
    assert d == {"a": 1, "b": 2}
    assert helper(2) == 4  # another function of the program, called through the pipe
    assert CONSTANT == [1, 2] and math.pi > 3  # its plain-data globals and modules
'''
SEMANTICS_PROGRAM = '''
import math
CONSTANT = [1, 2]
def helper(x):
    return 2 * x
def add(kind, x=None):
    if kind == "same":
        return x
    if kind == "raise":
        raise ValueError("boom")
    if kind == "recurse":
        return add("recurse", x + 1)
    if kind == "fib":
        return x if x < 2 else add("fib", x - 1) + add("fib", x - 2)
    if kind == "generator":
        return (i for i in range(x))
    if kind == "sort_in_place":
        x.sort()
        return None
    if kind == "add_key":
        x["b"] = 2
'''


@pytest.mark.parametrize("mode", HERE)
def test_values_exceptions_and_in_place_changes_cross_as_in_one_interpreter(mode):
    v = run_tests(Job(SEMANTICS_PROGRAM, SEMANTICS, "add"), mode=mode)
    assert v.verdict == "passed", v


def test_set_order_and_so_verdicts_are_the_same_at_each_run():
    expected = subprocess.run([sys.executable, "-c", "print(hash('abc'), list({'x', 'y', 'z', 'w'}))"], capture_output=True, text=True,
                              env={"PYTHONHASHSEED": "0"}, check=True).stdout.strip()
    v = run_tests(probe("return f\"{hash('abc')} {list({'x', 'y', 'z', 'w'})}\"", f"seen == {expected!r}"))
    assert v.verdict == "passed", v


# ---- limits ------------------------------------------------------------------------------------------

def test_an_infinite_loop_times_out():
    start = time.perf_counter()
    v = run_tests(job("while True:\n    pass\n"), Limits(wall_s=1.5, cpu_s=3))
    assert v.verdict == "timeout" and time.perf_counter() - start < 4


def test_a_busy_candidate_meets_its_cpu_limit():
    v = run_tests(job("def add(a, b):\n    while True:\n        pass\n"), Limits(wall_s=5, cpu_s=1))
    assert v.verdict == "timeout", v


def test_a_memory_bomb_is_out_of_memory():
    v = run_tests(job("x = [bytearray(64 << 20) for _ in range(64)]\n" + GOOD), Limits(memory_mb=256))
    assert v.verdict == "out_of_memory", v
    v = run_tests(job("def add(a, b):\n    return [bytearray(64 << 20) for _ in range(64)]\n"), Limits(memory_mb=256))
    assert v.verdict == "out_of_memory", v


def test_a_flood_of_output_is_cut_and_kept_short():
    v = run_tests(job("import sys\nfor _ in range(1000):\n    sys.stdout.write('x' * 1_000_000)\n" + GOOD), Limits(file_mb=4, output_bytes=100))
    assert v.verdict == "error" and "file size limit" in v.reason, v
    assert v.stdout.startswith("x" * 100) and v.stdout.endswith("[truncated]") and len(v.stdout) < 200


@pytest.mark.parametrize("mode", HERE)
def test_a_fork_bomb_is_contained_and_leaves_no_process(mode):
    token = f"{3000 + int(_token()[:4], 16) % 1000}.{int(_token()[:4], 16)}"
    program = ("import os\nwhile True:\n    try:\n        if os.fork() == 0:\n"
               f"            os.execv('/bin/sleep', ['sleep', '{token}'])\n    except OSError:\n        pass\n")
    v = run_tests(job(program), Limits(wall_s=2.0, cpu_s=3, processes=16), mode=mode)
    assert v.verdict in ("timeout", "error"), v
    assert _gone(lambda: not _sleepers(token)), f"left running: {len(_sleepers(token))}"


# ---- containment --------------------------------------------------------------------------------------

def _nobody_processes() -> int:
    return sum(1 for p in glob.glob("/proc/[0-9]*") if _uid(p) == 65534)


def _uid(path):
    try:
        return os.stat(path).st_uid
    except OSError:
        return None


def _gone(condition, seconds: float = 5.0) -> bool:
    deadline = time.time() + seconds
    while not condition() and time.time() < deadline:
        time.sleep(0.1)
    return condition()


def _token() -> str:
    return os.urandom(6).hex()


@needs_contained
@pytest.mark.parametrize("mode", contained)
def test_nothing_it_writes_survives_anywhere(mode):
    token = _token()
    places = ["/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/run", "/dev/mqueue", str(ROOT), "/"]
    targets = [os.path.join(d, f"ttslib-escape-{token}") for d in places]
    body = f"""
    import os
    wrote = []
    for t in {targets!r}:
        try:
            with open(t, "wb") as f:
                f.write(b"x" * (48 << 20 if t.startswith("/run/lock") else 10))
            wrote.append(t)
        except OSError:
            pass
    open("inside.txt", "w").write("its own directory is writable")
    return wrote
    """
    v = run_tests(probe(body, "True"), Limits(file_mb=64), mode=mode)
    assert v.verdict == "passed", v
    assert not [t for t in targets if os.path.exists(t)]  # refused, or gone with its tmpfs


def test_the_check_above_can_fail_without_containment():
    """The rlimits fallback lets a program write where its user may: the check above is not vacuous."""
    where = tempfile.mkdtemp(prefix="ttslib-test-", dir="/tmp")
    try:
        os.chmod(where, 0o777)
        target = os.path.join(where, "reached")
        v = run_tests(probe(f"open({target!r}, 'w').write('x')\nreturn 1\n", "seen == 1"), mode="rlimits")
        assert v.verdict == "passed" and os.path.exists(target), v
    finally:
        subprocess.run(["rm", "-rf", where], check=True)


@needs_contained
@pytest.mark.parametrize("mode", contained)
@pytest.mark.parametrize("where", ["/run/lock", "/tmp"])
def test_no_host_unix_socket_is_reachable(mode, where):
    path = os.path.join(where, f"ttslib-sock-{_token()}")
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    os.chmod(path, 0o777)
    server.listen(1)
    server.settimeout(3)
    got = []
    threading.Thread(target=lambda: got.append(_accept(server)), daemon=True).start()
    body = f"""
    import socket
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect({path!r})
        s.sendall(b"leak")
        return "connected"
    except OSError as e:
        return type(e).__name__
    """
    try:
        v = run_tests(probe(body, "seen != 'connected'"), mode=mode)
        assert v.verdict == "passed", v
        time.sleep(0.2)
        assert got in ([], [None])
    finally:
        server.close()
        os.unlink(path)


def _accept(server):
    try:
        return server.accept()
    except OSError:
        return None


@needs_contained
@pytest.mark.parametrize("mode", contained)
def test_no_network(mode):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(3)
    port = server.getsockname()[1]
    got = []
    threading.Thread(target=lambda: got.append(_accept(server)), daemon=True).start()
    body = f"import socket, encodings.idna\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=2).sendall(b'leak')\n    return 'connected'\n" \
           "except OSError as e:\n    return type(e).__name__\n"
    v = run_tests(probe(body, "seen != 'connected'"), mode=mode)
    assert v.verdict == "passed", v
    time.sleep(0.2)
    assert got in ([], [None])
    server.close()


SEES = """
import os
pids = [p for p in os.listdir("/proc") if p.isdigit()]
cmdlines = []
for p in pids:
    try:
        cmdlines.append(open(f"/proc/{p}/cmdline", "rb").read())
    except OSError:
        pass
try:
    init = open("/proc/1/cmdline", "rb").read()
except OSError:
    init = b""
return [len(pids), init.decode(errors="replace")]
"""
HOST_INIT = open("/proc/1/cmdline", "rb").read().decode(errors="replace")


@needs_contained
@pytest.mark.parametrize("mode", contained)
def test_it_sees_its_own_processes_only(mode):
    v = run_tests(probe(SEES, f"seen[0] <= 4 and seen[1] != {HOST_INIT!r}"), mode=mode)
    assert v.verdict == "passed", v


def test_without_containment_it_sees_the_host_processes():
    """rlimits shares /proc with the host: the check above can fail."""
    v = run_tests(probe(SEES, f"seen[0] <= 4 and seen[1] != {HOST_INIT!r}"), mode="rlimits")
    assert v.verdict == "failed", v


@root_only
@pytest.mark.parametrize("mode", HERE)
def test_never_root_and_never_the_graders_environment(mode):
    body = f"""
    import os
    read = []
    for pid in (os.getppid(), {os.getpid()}, 1):
        try:
            read.append(open(f"/proc/{{pid}}/environ", "rb").read())
        except OSError:
            pass
    no_new_privs = [line for line in open("/proc/self/status").read().splitlines() if line.startswith("NoNewPrivs")]
    return [os.getuid(), os.geteuid(), b"".join(read).decode(errors="replace"), sorted(os.environ), no_new_privs]
    """
    v = run_tests(probe(body, "seen[0] != 0 and seen[1] != 0 and 'PATH=' not in seen[2] and seen[3] == ['HOME', 'PATH', 'TMPDIR'] "
                              "and seen[4] == ['NoNewPrivs:\\t1']"), mode=mode)
    assert v.verdict == "passed", v


def test_the_fallback_is_announced_once_per_process():
    _sandbox_modes.ANNOUNCED.discard("rlimits")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_many([job(GOOD), job(GOOD)], mode="rlimits", workers=2)
        run_tests(job(GOOD), mode="rlimits")
    assert [w.category for w in caught].count(SandboxWarning) == 1


GRADER = """
import sys
from ttslib.sandbox import Job, Limits, run_tests
# sleepers the test finds by their command line. "escape": one in a session of its own and one in the
# program's, while the program process itself stays (its pipe to the tests open, so the job cannot end
# before the grader dies); "exec": the program process itself becomes the one sleeper
sleeper = "os.execv('/bin/sleep', ['sleep', '{token}'])\\n"
program = ("import os, time\\n"
           + ("if os.fork() == 0:\\n    os.setsid()\\n    " + sleeper + "if os.fork() == 0:\\n    " + sleeper
              + "time.sleep(60)\\n" if sys.argv[2] == "escape" else sleeper))
print("go", flush=True)
run_tests(Job(program, "def check(c):\\n    pass\\n", "f"), Limits(wall_s=30, cpu_s=30), mode=sys.argv[1])
"""


def _sleepers(token: str) -> list[int]:
    found = []
    for p in glob.glob("/proc/[0-9]*"):
        try:
            if open(f"{p}/cmdline", "rb").read() == b"sleep\x00" + token.encode() + b"\x00":
                found.append(int(p.rsplit("/", 1)[1]))
        except OSError:
            pass
    return found


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
@pytest.mark.parametrize("mode", contained)
def test_every_sandbox_process_dies_with_the_grader(mode, how):
    token = f"{1000 + int(_token()[:4], 16) % 1000}.{int(_token()[:4], 16)}"
    # nobody's process limit counts every process of that user: wait until earlier tests' jobs are gone
    assert _gone(lambda: _nobody_processes() == 0, 10), f"{_nobody_processes()} processes of nobody left by earlier tests"
    grader = subprocess.Popen([sys.executable, "-c", GRADER.format(token=token), mode, "escape"], cwd=ROOT, stdout=subprocess.PIPE)
    try:
        assert grader.stdout.readline().strip() == b"go"
        assert _gone(lambda: len(_sleepers(token)) == 2, 10), "the program did not start"
        grader.send_signal(how)
        grader.wait(10)
        assert _gone(lambda: not _sleepers(token), 5), f"left running: {_sleepers(token)}"
    finally:
        grader.kill()
        for pid in _sleepers(token):
            os.kill(pid, signal.SIGKILL)


def test_the_fallback_dies_with_the_grader_and_its_files_go_at_the_next_start():
    token = f"{2000 + int(_token()[:4], 16) % 1000}.{int(_token()[:4], 16)}"
    grader = subprocess.Popen([sys.executable, "-W", "ignore", "-c", GRADER.format(token=token), "rlimits", "exec"], cwd=ROOT,
                              stdout=subprocess.PIPE)  # no process of its own session: rlimits cannot catch those (docs)
    try:
        assert grader.stdout.readline().strip() == b"go"
        assert _gone(lambda: len(_sleepers(token)) == 1, 10), "the program did not start"
        left = glob.glob(os.path.join(tempfile.gettempdir(), f"ttslib-sandbox-{grader.pid}-*"))
        assert left  # its work directory, which a kill leaves behind
        grader.kill()
        grader.wait(10)
        assert _gone(lambda: not _sleepers(token), 5), f"left running: {_sleepers(token)}"
        assert all(os.path.exists(p) for p in left)
        subprocess.run([sys.executable, "-W", "ignore", "-c", "from ttslib.sandbox import isolation; isolation()"], cwd=ROOT, check=True)
        assert not any(os.path.exists(p) for p in left)
    finally:
        grader.kill()
        for pid in _sleepers(token):
            os.kill(pid, signal.SIGKILL)


# ---- several at once, the host left clean, bad input ----------------------------------------------------

def test_several_at_once_keep_their_order_and_verdicts():
    jobs = [job(GOOD), job("def add(a, b):\n    return 0\n"), job("while True:\n    pass\n"), job(GOOD)] * 2
    verdicts = run_many(jobs, Limits(wall_s=1.5, cpu_s=3), workers=2)
    assert [v.verdict for v in verdicts] == ["passed", "failed", "timeout", "passed"] * 2


def test_nothing_is_left_behind():
    before = set(glob.glob(os.path.join(tempfile.gettempdir(), "ttslib-sandbox-*")))
    run_many([job(GOOD), job("open('big', 'w').write('x' * 1000)\n" + GOOD)] * 2, workers=2)
    run_many([job(GOOD)], mode="rlimits")
    assert set(glob.glob(os.path.join(tempfile.gettempdir(), "ttslib-sandbox-*"))) <= before


def test_bad_jobs_are_refused():
    with pytest.raises(ValueError, match="entry_point"):
        run_tests(Job(GOOD, TESTS, "not an identifier"))
    with pytest.raises(ValueError, match="wall_s"):
        Limits(wall_s=0)
    with pytest.raises(ValueError, match="mode must be one of"):
        run_tests(job(GOOD), mode="docker")
    with pytest.raises(TypeError, match="Job"):
        run_tests("def add(a, b): pass")


def test_the_default_mode_is_the_most_contained_here(monkeypatch):
    assert isolation() in MODES and "rlimits" in HERE
    if "TTSLIB_SANDBOX" not in os.environ:
        assert isolation() == HERE[0]
    isolation.cache_clear()
    try:
        monkeypatch.setenv("TTSLIB_SANDBOX", "chroot")
        with pytest.raises(ValueError, match="TTSLIB_SANDBOX must be one of"):
            isolation()
        monkeypatch.setenv("TTSLIB_SANDBOX", "rlimits")
        assert isolation() == "rlimits"
    finally:
        isolation.cache_clear()
