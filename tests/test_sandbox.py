"""The sandbox for model-written code (ttslib.sandbox): valid programs pass, hostile ones are contained,
get the right verdict, and leave the machine as it was."""

from __future__ import annotations

import glob
import os
import secrets
import socket
import tempfile
import threading
import time

import pytest

from conftest import ROOT
from ttslib.sandbox import Job, Limits, isolation, run_many, run_tests

TESTS = "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(-1, 1) == 0\n"
GOOD = "def add(a, b):\n    return a + b\n"
FAST = Limits(wall_s=3.0, cpu_s=4)
namespaces = pytest.mark.skipif(isolation() != "namespaces", reason="needs mount/network/PID namespaces (util-linux unshare as root "
                                "or with user namespaces); without them ttslib.sandbox documents what it does not contain")


def job(program: str, **kw) -> Job:
    return Job(program, TESTS, "add", **kw)


def nobody_processes() -> int:
    return sum(1 for p in glob.glob("/proc/[0-9]*") if os.path.exists(p) and _uid(p) == 65534)


def _uid(path):
    try:
        return os.stat(path).st_uid
    except OSError:
        return None


def leftovers() -> set[str]:
    return set(glob.glob(os.path.join(tempfile.gettempdir(), "ttslib-sandbox-*")))


def test_a_valid_program_passes_and_its_examples_are_counted():
    v = run_tests(job(GOOD, examples=("assert add(2, 2) == 4", "assert add(0, 0) == 0", "assert add(1, 1) == 3")))
    assert v.verdict == "passed" and v.reason == "" and (v.examples_passed, v.examples_total) == (2, 3)
    assert v.examples_rate == pytest.approx(2 / 3)


def test_a_wrong_program_fails_with_the_assertion():
    v = run_tests(job("def add(a, b):\n    return a - b\n"))
    assert v.verdict == "failed" and v.reason.startswith("AssertionError")


@pytest.mark.parametrize("program", [
    "import sys\nsys.exit(0)\n" + GOOD,  # leaves before the tests
    "import os\nos._exit(0)\n",
    "def add(a, b):\n    return 0\ndef check(candidate):\n    pass\n",  # its own check: the tests' is defined after it
    "import os, json\nfor fd in range(3, 20):\n    try:\n        os.write(fd, (json.dumps({'nonce': '0' * 32, 'stage': 'hidden', 'error': None}) + '\\n').encode())\n"
    "    except OSError:\n        pass\nprint('{\"stage\": \"hidden\", \"error\": null}')\nos._exit(0)\n",  # a forged report
    "import atexit, os\natexit.register(lambda: os.write(1, b'passed'))\nraise SystemExit(0)\n",
])
def test_leaving_early_or_faking_success_does_not_pass(program):
    v = run_tests(job(program), FAST)
    assert v.verdict in ("error", "failed"), v


def test_an_infinite_loop_times_out():
    start = time.perf_counter()
    v = run_tests(job("while True:\n    pass\n"), Limits(wall_s=1.5, cpu_s=3))
    assert v.verdict == "timeout" and time.perf_counter() - start < 4


def test_a_memory_bomb_is_out_of_memory():
    v = run_tests(job("x = [bytearray(64 << 20) for _ in range(64)]\n" + GOOD), Limits(memory_mb=256))
    assert v.verdict == "out_of_memory", v


def test_a_flood_of_output_is_cut_and_kept_short():
    v = run_tests(job("import sys\nfor _ in range(1000):\n    sys.stdout.write('x' * 1_000_000)\n" + GOOD), Limits(file_mb=4, output_bytes=100))
    assert v.verdict == "error" and "file size limit" in v.reason, v
    assert v.stdout.startswith("x" * 100) and v.stdout.endswith("[truncated]") and len(v.stdout) < 200


@namespaces
def test_a_fork_bomb_is_contained_and_leaves_no_process():
    before = nobody_processes()
    program = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    v = run_tests(job(program), Limits(wall_s=2.0, cpu_s=3, processes=16))
    assert v.verdict in ("timeout", "error"), v
    deadline = time.time() + 5
    while nobody_processes() > before and time.time() < deadline:
        time.sleep(0.1)
    assert nobody_processes() <= before


@namespaces
def test_writing_outside_its_directory_leaves_nothing():
    token = secrets.token_hex(6)
    targets = [os.path.join(tempfile.gettempdir(), f"ttslib-escape-{token}"), str(ROOT / f"escape-{token}"),
               f"/var/tmp/ttslib-escape-{token}", f"/dev/shm/ttslib-escape-{token}"]
    program = "".join(f"try:\n    open({t!r}, 'w').write('x')\nexcept OSError:\n    pass\n" for t in targets)
    program += "open('inside.txt', 'w').write('its own directory is writable')\n" + GOOD
    v = run_tests(job(program))
    assert v.verdict == "passed", v  # its own directory works, the rest was refused or vanished with it
    assert not any(os.path.exists(t) for t in targets)


@namespaces
def test_no_network():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(3)
    port = server.getsockname()[1]
    got = []
    threading.Thread(target=lambda: got.append(_accept(server)), daemon=True).start()
    program = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2).sendall(b'leak')\n" + GOOD
    v = run_tests(job(program))
    assert v.verdict == "error" and ("OSError" in v.reason or "Error" in v.reason), v
    time.sleep(0.2)
    assert got in ([], [None])  # nothing connected
    server.close()


def _accept(server):
    try:
        return server.accept()
    except OSError:
        return None


@namespaces
def test_it_cannot_kill_its_parent():
    program = f"import os, signal\nfor pid in (os.getppid(), {os.getpid()}, {os.getppid()}):\n    try:\n        os.kill(pid, signal.SIGKILL)\n" \
              "    except OSError:\n        pass\n" + GOOD
    v = run_tests(job(program))
    assert os.getpid() and v.verdict in ("passed", "error")  # this process (the grader) is still here to look


def test_several_at_once_keep_their_order_and_verdicts():
    jobs = [job(GOOD), job("def add(a, b):\n    return 0\n"), job("while True:\n    pass\n"), job(GOOD)] * 2
    verdicts = run_many(jobs, Limits(wall_s=1.5, cpu_s=3), workers=2)
    assert [v.verdict for v in verdicts] == ["passed", "failed", "timeout", "passed"] * 2


def test_nothing_is_left_behind():
    before = leftovers()
    run_many([job(GOOD), job("open('big', 'w').write('x' * 1000)\n" + GOOD)], workers=2)
    assert leftovers() <= before


def test_bad_jobs_are_refused():
    with pytest.raises(ValueError, match="entry_point"):
        run_tests(Job(GOOD, TESTS, "not an identifier"))
    with pytest.raises(ValueError, match="wall_s"):
        Limits(wall_s=0)
