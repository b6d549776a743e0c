"""How each isolation mode of :mod:`ttslib.sandbox` is started: the commands (bubblewrap, util-linux
``unshare``, none), what the sandbox's first command runs, the fallback's announcement, and the removal
of what a killed run left behind. The modes and what each protects: ``ttslib.sandbox``'s docstring."""

from __future__ import annotations

import glob
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

# Standard-library modules imported before the program runs (as nobody it may not read the interpreter's
# files, e.g. under /root): what HumanEval's solutions and tests import, and the usual helpers.
PRELOAD = ("typing", "math", "re", "string", "collections", "collections.abc", "itertools", "functools", "heapq", "bisect",
           "hashlib", "random", "statistics", "fractions", "decimal", "datetime", "copy", "operator", "cmath", "array",
           "numbers", "dataclasses", "enum", "json", "textwrap", "unicodedata", "sys", "time", "socket", "encodings.idna")

MODES = ("bwrap", "namespaces", "rlimits")  # most contained first
# The sandbox's first command: reads the marshalled code of ttslib._sandbox_inside and the job, runs its main().
BOOT = ("import marshal, os, sys\nfd = int(sys.argv[1])\nchunks = []\nwhile True:\n    b = os.read(fd, 1 << 20)\n"
        "    if not b:\n        break\n    chunks.append(b)\nos.close(fd)\ncode, job = marshal.loads(b''.join(chunks))\n"
        "g = {'__name__': 'ttslib_sandbox_inside', '__builtins__': __builtins__}\nexec(code, g)\ng['main'](job, int(sys.argv[2]))\n")
# The sandbox's whole environment: a fixed hash seed makes set and dict-of-str order, and so verdicts, reproducible.
ENVIRONMENT = {"PATH": "/usr/bin:/bin", "PYTHONHASHSEED": "0"}
# namespaces mode: where the host's root filesystem lets anyone write or keeps sockets (private tmpfs there)
PRIVATE_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/dev/mqueue", "/run", "/var/lock", "/var/crash", "/var/mail")


class SandboxWarning(UserWarning):
    """The sandbox runs in its fallback mode (``rlimits``): see the module docstring."""


def python() -> str:
    """The interpreter the sandbox runs (this one's real path: -s -S -P keep it to the standard library)."""
    return os.path.realpath(sys.executable)


def bwrap_command(file_mb: int) -> list[str]:
    """bubblewrap: new PID, network, IPC and mount namespaces; a root of read-only binds (``/usr``, the
    interpreter's tree), private ``/proc``, ``/dev`` and a tmpfs ``/tmp`` of ``4 * file_mb`` MB."""
    cmd = ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net",
           "--die-with-parent", "--new-session"]
    if os.geteuid() == 0:  # the test process stays root (to fork the program as nobody); no other capability
        cmd += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        cmd += ["--unshare-user", "--disable-userns"]
    cmd += ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        if os.path.islink(top):
            cmd += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            cmd += ["--ro-bind", top, top]
    if os.path.exists("/etc/ld.so.cache"):
        cmd += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    for tree in {sys.base_prefix, os.path.dirname(os.path.dirname(python()))}:
        if not tree.startswith("/usr/") and tree != "/usr" and os.path.isdir(tree):
            parents = [p for p in Path(tree).parents if str(p) != "/"][::-1]  # traversable to nobody (as in /root/.pyenv)
            cmd += [a for p in parents for a in ("--perms", "0755", "--dir", str(p))] + ["--ro-bind", tree, tree]
    tmp_bytes = 4 * file_mb << 20
    return cmd + ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", str(tmp_bytes), "--tmpfs", "/tmp", "--chdir", "/tmp"]


def namespaces_command() -> list[str]:
    """util-linux ``unshare`` (mount, network, PID, IPC, UTS; a fresh ``/proc``), killed with the grader."""
    cmd = ["setpriv", "--pdeathsig", "KILL"] if shutil.which("setpriv") else []
    cmd += ["unshare"] + ([] if os.geteuid() == 0 else ["--user", "--map-root-user"])
    return cmd + ["--mount", "--net", "--pid", "--ipc", "--uts", "--fork", "--kill-child", "--mount-proc"]


def prefix(mode: str, file_mb: int) -> list[str]:
    """The command that makes ``mode``'s sandbox, before the interpreter's."""
    return bwrap_command(file_mb) if mode == "bwrap" else namespaces_command() if mode == "namespaces" else []


ANNOUNCED: set[str] = set()


def announce(mode: str) -> None:
    """Warn once per process that programs run in the fallback mode (what it does not contain)."""
    if mode == "rlimits" and mode not in ANNOUNCED:
        ANNOUNCED.add(mode)
        warnings.warn("ttslib.sandbox runs programs with limits only (isolation 'rlimits': neither bubblewrap nor "
                      "namespaces work here): no private filesystem, network or process view; as root they run as "
                      "nobody. Install bubblewrap (Debian: apt-get install bubblewrap) for the contained mode.",
                      SandboxWarning, stacklevel=3)


def sweep() -> None:
    """Remove work directories of runs whose grader is gone (killed before it could clean up)."""
    for path in glob.glob(os.path.join(tempfile.gettempdir(), "ttslib-sandbox-*")):
        owner = os.path.basename(path).split("-")[2]
        if owner.isdigit() and os.path.exists(f"/proc/{owner}"):
            continue
        shutil.rmtree(path, ignore_errors=True)


def imports(*sources: str) -> list[str]:
    """The standard-library modules of :data:`PRELOAD` the program, its tests or examples import (read
    with ``ast``; a source that does not parse imports nothing here and fails in the sandbox)."""
    import ast

    found = set()
    for source in sources:
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


def user_processes() -> int:
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
