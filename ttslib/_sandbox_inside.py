"""What runs inside the sandbox of :mod:`ttslib.sandbox`: the test process and the program's process.

Standard library only, and cheap to start: the grader sends this module's code (marshalled) and the
job through a pipe to a small bootstrap, ``python -I -S -c BOOT <job fd> <report fd>`` (nothing on disk
to leave behind), which runs :func:`main`. The *test process* reads the job from the job pipe, forks the
*program process*, and runs the hidden tests and the docstring examples in its own interpreter: their
``candidate`` (and every other function the program defines) is a proxy whose calls go through a pipe to
the program process. Arguments and results cross that pipe as plain data in a tagged format of its own
(:func:`encode` / :func:`decode`, parsed by hand: nothing with behaviour comes out): None, bool, int,
float, str, bytes, complex, and lists, tuples, dicts, sets and frozensets of them. An object with behaviour of its own (a class instance, a generator)
does not cross: the call raises :class:`NotPlainData` in the tests. An exception the candidate raises
crosses by name (a built-in exception is raised again as itself, so ``assertRaises``-style tests still
work; any other as :class:`CandidateError`). Lists, dicts and sets the candidate changed in place are
changed the same way in the caller's copies. The test process alone writes the report pipe (the
verdict): the program process never holds it.
"""

import _signal  # not signal: that imports enum, tens of milliseconds at each start
import builtins
import os
import sys

MAX_LINE = 16 << 20  # bytes of one call or reply on the pipe
_MUTABLE = (list, dict, set, bytearray)
_SYNCHRONOUS = {getattr(_signal, n) for n in ("SIGKILL", "SIGSTOP", "SIGCHLD", "SIGSEGV", "SIGBUS", "SIGFPE", "SIGILL", "SIGABRT",
                                              "SIGTRAP", "SIGSYS")}


class NotPlainData(TypeError):
    """A value that cannot cross the pipe: it is not plain data (module docstring)."""


class CandidateError(Exception):
    """An exception the candidate raised whose class is not a built-in one (its name leads the message)."""


class ProgramGone(Exception):
    """The program process ended (exited, or was killed) while the tests called it."""


# ---- the wire: plain data in a tagged, length-prefixed format ------------------------------------------
# N T F (None, True, False); i<hex>; f<repr>; c<repr>;<repr>; (int, float, complex); s<n>:<utf-8> b<n>:<bytes>
# a<n>:<bytes> (str, bytes, bytearray); l...e t...e S...e Z...e d<key><value>...e (list, tuple, set,
# frozenset, dict). Parsed by hand, so the test process imports nothing for it (json would cost re and enum).

def encode(x, depth=0):
    """``x`` as bytes of the wire format. Subclasses of the plain types cross as their base value (what
    their behaviour would say stays behind); anything else raises :class:`NotPlainData`."""
    out = []
    _encode(x, out, depth)
    return b"".join(out)


def _encode(x, out, depth):
    if depth > 200:
        raise NotPlainData("nested deeper than 200 levels")
    if x is None or x is True or x is False:
        out.append(b"N" if x is None else b"T" if x else b"F")
    elif isinstance(x, int):
        out.append(b"i%x;" % int.__int__(x))  # hex: no digit limit, linear time
    elif isinstance(x, float):
        out.append(b"f" + float.__repr__(x).encode() + b";")
    elif isinstance(x, complex):
        out.append(b"c" + repr(complex.__complex__(x).real).encode() + b";" + repr(complex.__complex__(x).imag).encode() + b";")
    elif isinstance(x, (str, bytes, bytearray)):
        raw = str.encode(x, "utf-8", "surrogatepass") if isinstance(x, str) else bytes(x)
        out.append(b"%s%d:" % (b"s" if isinstance(x, str) else b"b" if isinstance(x, bytes) else b"a", len(raw)))
        out.append(raw)
    elif isinstance(x, dict):
        out.append(b"d")
        for k, v in dict.items(x):
            _encode(k, out, depth + 1)
            _encode(v, out, depth + 1)
        out.append(b"e")
    elif isinstance(x, (list, tuple, set, frozenset)):
        base = next(b for b in (list, tuple, frozenset, set) if isinstance(x, b))
        out.append({list: b"l", tuple: b"t", set: b"S", frozenset: b"Z"}[base])
        for v in base.__iter__(x):
            _encode(v, out, depth + 1)
        out.append(b"e")
    else:
        raise NotPlainData(f"a {type(x).__name__} is not plain data")


def decode(data):
    """The value :func:`encode` made of ``data`` (bytes); anything else raises ``ValueError``. Only plain
    data comes out."""
    data = bytes(data)
    try:
        value, end = _decode(data, 0, 0)
    except (TypeError, UnicodeDecodeError, OverflowError) as error:  # e.g. a list as a dict key
        raise ValueError(f"not plain data on the wire: {error}") from None
    if end != len(data):
        raise ValueError(f"not plain data on the wire: {len(data) - end} bytes after the value")
    return value


_CONTAINERS = {0x6C: list, 0x74: tuple, 0x53: set, 0x5A: frozenset}  # l t S Z


def _decode(data, i, depth):
    if depth > 250 or i >= len(data):
        raise ValueError("not plain data on the wire: nested too deep or cut short")
    tag = data[i]
    if tag in (0x4E, 0x54, 0x46):  # N T F
        return (None, True, False)[(0x4E, 0x54, 0x46).index(tag)], i + 1
    if tag in (0x69, 0x66):  # i f
        end = data.index(b";", i)
        text = data[i + 1:end].decode("ascii")
        return (int(text, 16) if tag == 0x69 else float(text)), end + 1
    if tag == 0x63:  # c
        mid = data.index(b";", i)
        end = data.index(b";", mid + 1)
        return complex(float(data[i + 1:mid].decode("ascii")), float(data[mid + 1:end].decode("ascii"))), end + 1
    if tag in (0x73, 0x62, 0x61):  # s b a
        colon = data.index(b":", i)
        n = int(data[i + 1:colon].decode("ascii"))
        if n < 0 or colon + 1 + n > len(data):
            raise ValueError("not plain data on the wire: a string cut short")
        raw = data[colon + 1:colon + 1 + n]
        value = raw.decode("utf-8", "surrogatepass") if tag == 0x73 else raw if tag == 0x62 else bytearray(raw)
        return value, colon + 1 + n
    if tag == 0x64:  # d
        out, i = {}, i + 1
        while i < len(data) and data[i] != 0x65:
            k, i = _decode(data, i, depth + 1)
            v, i = _decode(data, i, depth + 1)
            out[k] = v
        return out, _close(data, i)
    if tag in _CONTAINERS:
        items, i = [], i + 1
        while i < len(data) and data[i] != 0x65:
            v, i = _decode(data, i, depth + 1)
            items.append(v)
        return (items if tag == 0x6C else _CONTAINERS[tag](items)), _close(data, i)
    raise ValueError(f"not plain data on the wire: tag {bytes([tag])!r}")


def _close(data, i):
    if i >= len(data):
        raise ValueError("not plain data on the wire: a container cut short")
    return i + 1


def _send(fd, message):
    data = encode(message)
    data = b"%d\n" % len(data) + data
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _receive(f):
    """The next message on the pipe ``f`` (a buffered reader), None at its end; ``ValueError`` if garbled."""
    head = f.readline(24)
    if not head:
        return None
    try:
        n = int(head)
    except ValueError:
        raise ValueError("a garbled message header") from None
    if not 0 <= n <= MAX_LINE:
        raise ValueError(f"a message of {n} bytes (at most {MAX_LINE})")
    data = f.read(n)
    if len(data) != n:
        raise ValueError("a message cut short")
    return decode(data)


# ---- the program process -----------------------------------------------------------------------------

def _describe(error):
    if isinstance(error, MemoryError):
        return "MemoryError"
    if isinstance(error, OSError) and error.errno == 27:  # EFBIG: Python ignores SIGXFSZ, so the write fails
        return "file size limit: it wrote more than allowed (EFBIG)"
    try:
        text = str(error)[:200]
    except BaseException:
        text = ""
    return type(error).__name__ + (": " + text if text else "")


def serve(program, calls, replies):
    """Run the program, say which names it defines, then answer calls until the pipe closes."""
    g = {"__name__": "solution", "__builtins__": builtins}
    try:
        exec(compile(program, "program.py", "exec", dont_inherit=True), g)
    except BaseException as error:
        _send(replies, {"loaded": False, "error": _describe(error)})
        return
    names = {}
    for name, value in list(g.items()):
        if name.startswith("__"):
            continue
        if type(value).__name__ == "module":
            names[name] = {"module": getattr(value, "__name__", "")}
        elif callable(value):
            names[name] = {"callable": True}
        else:
            try:
                if len(encode(value)) > 1 << 20:
                    continue
            except (NotPlainData, RecursionError):
                continue
            names[name] = {"data": value}
    _send(replies, {"loaded": True, "names": names})
    f = os.fdopen(calls, "rb")
    while True:
        request = _receive(f)
        if request is None:
            return
        try:
            args, kwargs = request["args"], request["kwargs"]
            result = g[request["name"]](*args, **kwargs)
            _send(replies, {"return": result, "args": [a if isinstance(a, _MUTABLE) else None for a in args]})
            continue
        except BaseException as error:
            reply = {"raise": type(error).__name__, "builtin": type(error).__module__ == "builtins", "message": _describe(error)}
        _send(replies, reply)  # out of the except block: the frames of the error, and what they held, are freed


# ---- the test process --------------------------------------------------------------------------------

class Program:
    """The test process's handle on the program process: ``call(name, args, kwargs)`` through the pipe."""

    def __init__(self, pid, calls, replies):
        self.pid, self.calls, self.replies = pid, calls, os.fdopen(replies, "rb")

    def hello(self):
        return self._read()

    def call(self, name, args, kwargs):
        try:
            _send(self.calls, {"name": name, "args": list(args), "kwargs": dict(kwargs)})
        except BrokenPipeError:
            raise self._gone() from None
        reply = self._read()
        if "raise" in reply or "return" not in reply or type(reply.get("args")) is not list:
            cls = getattr(builtins, str(reply.get("raise")), None)
            cls = cls if reply.get("builtin") and isinstance(cls, type) and issubclass(cls, BaseException) else None
            message = str(reply.get("message", ""))
            detail = message.split(": ", 1)[1] if ": " in message else ""
            if reply.get("raise") == "NotPlainData":
                raise NotPlainData(f"the program's {name} returned or raised what is not plain data ({detail})")
            if cls is None:
                raise CandidateError(message)
            raise cls(detail) if detail else cls()
        for original, changed in zip(args, reply["args"]):  # in-place changes, as in one shared interpreter
            if changed is not None and isinstance(original, _MUTABLE):
                _update(original, changed)
        return reply["return"]

    def _read(self):
        try:
            reply = _receive(self.replies)
        except ValueError as error:
            raise ProgramGone(f"its reply could not be read ({error})") from None
        if reply is None:
            raise self._gone()
        if type(reply) is not dict:
            raise ProgramGone("its reply could not be read")
        return reply

    def _gone(self):
        try:
            _, status = os.waitpid(self.pid, 0)
        except ChildProcessError:
            return ProgramGone("it ended")
        if os.WIFSIGNALED(status):
            return ProgramGone(f"killed by signal {os.WTERMSIG(status)}")
        return ProgramGone(f"exited (exit code {os.WEXITSTATUS(status)})")


def _update(original, changed):
    if type(original) is not type(changed):
        return
    if isinstance(original, (list, bytearray)):
        original[:] = changed
    else:
        original.clear()
        original.update(changed)


def proxy(program, name):
    def candidate(*args, **kwargs):
        return program.call(name, args, kwargs)

    candidate.__name__ = candidate.__qualname__ = name
    return candidate


def attempt(stage, source, g):
    """Run ``source`` in ``g``; None if it ran to its end, else what went wrong in a few words."""
    try:
        exec(compile(source, stage + ".py", "exec", dont_inherit=True), g)
        return None
    except AssertionError as error:
        return "AssertionError" + (": " + str(error)[:200] if str(error) else "")
    except BaseException as error:
        return _describe(error)


def _libc():
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def _mount_private(job):
    """namespaces mode: private empty tmpfs over every place a program could write or meet a socket."""
    import ctypes

    libc = _libc()
    MS_REC, MS_PRIVATE = 16384, 1 << 18
    if libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        return "mount --make-rprivate failed: errno %d" % ctypes.get_errno()
    size = ("size=%dm,mode=1777" % (4 * job["limits"]["file_mb"])).encode()
    for d in job["tmpfs"]:
        if os.path.isdir(d) and not os.path.islink(d) and libc.mount(b"tmpfs", d.encode(), b"tmpfs", 0, size) != 0:
            return "tmpfs on %s failed: errno %d" % (d, ctypes.get_errno())
    return None


def become_program(job, calls, replies):
    """In the forked child: limits, the program's own user, nothing of the test process's but two pipes."""
    import resource

    low, high = sorted((calls, replies))
    os.closerange(3, low)
    os.closerange(low + 1, high)
    os.closerange(high + 1, 1 << 16)
    L = job["limits"]
    for what, value in ((resource.RLIMIT_CPU, L["cpu_s"]), (resource.RLIMIT_AS, L["memory_mb"] << 20), (resource.RLIMIT_FSIZE, L["file_mb"] << 20),
                        (resource.RLIMIT_NOFILE, L["open_files"]), (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(what, (value, value))
    if job["drop_to"] is not None and os.getuid() == 0:
        os.setgroups([])
        os.setgid(job["drop_to"])
        os.setuid(job["drop_to"])
        resource.setrlimit(resource.RLIMIT_NPROC, (L["processes"], L["processes"]))
    elif job["nproc"]:
        resource.setrlimit(resource.RLIMIT_NPROC, (job["nproc"], job["nproc"]))
    if job["mode"] != "bwrap":  # bubblewrap set it already: no set-user-ID program gives it root back
        _libc().prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS
    if job["mode"] == "rlimits":  # elsewhere its PID namespace dies with the test process
        _libc().prctl(1, _signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG, after the user changed
        if os.getppid() != job["test_pid"]:
            os._exit(0)
    for sig in range(1, _signal.NSIG):  # Python's own defaults back (SIGPIPE and SIGXFSZ ignored)
        if sig not in (_signal.SIGKILL, _signal.SIGSTOP, _signal.SIGPIPE, _signal.SIGXFSZ, _signal.SIGCHLD):
            try:
                _signal.signal(sig, _signal.SIG_DFL)
            except (OSError, ValueError):
                pass
    _signal.signal(_signal.SIGINT, _signal.default_int_handler)
    os.environ.clear()
    os.environ.update({"HOME": job["work"], "PATH": "/usr/bin:/bin", "TMPDIR": job["work"]})
    serve(job["program"], calls, replies)


def main(job, report_fd):
    """The test process: ``job`` (a dict, from the grader) is run; ``report_fd`` takes the report."""
    import resource

    def report(**kw):
        _send(report_fd, kw)

    if job["mode"] == "rlimits":  # no PID namespace to die with: die with the grader
        _libc().prctl(1, _signal.SIGKILL, 0, 0, 0)
        if os.getppid() != job["grader_pid"]:
            os._exit(70)
    if job["mode"] == "namespaces":
        error = _mount_private(job)
        if error:
            report(stage="setup", error=error)
            os._exit(70)
    if job["mode"] != "rlimits":
        job["work"] = "/tmp/work"
        os.mkdir(job["work"], 0o777)
        os.chmod(job["work"], 0o777)
    os.chdir(job["work"])
    for sig in range(1, _signal.NSIG):  # a signal from the program (where it is the same user) changes nothing here
        if sig not in _SYNCHRONOUS:
            try:
                _signal.signal(sig, _signal.SIG_IGN)
            except (OSError, ValueError):
                pass
    if job["drop_to"] is None:  # the program keeps this user: PR_SET_DUMPABLE 0 (no ptrace, /proc/<pid>/mem or fd)
        _libc().prctl(4, 0, 0, 0, 0)
    for name in job["preload"]:  # before the fork: the interpreter's own files may be unreadable to its user
        try:
            __import__(name)
        except ImportError:
            pass
    job["test_pid"] = os.getpid()
    calls_r, calls_w = os.pipe()
    replies_r, replies_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            become_program(job, calls_r, replies_w)
        finally:
            os._exit(0)
    os.close(calls_r)
    os.close(replies_w)
    L = job["limits"]
    for what, value in ((resource.RLIMIT_CPU, L["cpu_s"]), (resource.RLIMIT_AS, (2 * L["memory_mb"] + 256) << 20)):
        resource.setrlimit(what, (value, value))
    report(stage="start")
    program = Program(pid, calls_w, replies_r)
    try:
        hello = program.hello()
    except ProgramGone as error:
        hello = {"loaded": False, "error": "ProgramGone: " + str(error)}
    if not hello.get("loaded"):
        report(stage="program", error=str(hello.get("error", "")))
        os._exit(0)
    g = {"__name__": "tests", "__builtins__": builtins}
    for name, what in hello.get("names", {}).items():
        if not isinstance(what, dict) or not str(name).isidentifier():
            continue
        if "callable" in what:
            g[name] = proxy(program, name)
        elif "module" in what and str(what["module"]).split(".")[0] in sys.stdlib_module_names:
            try:
                g[name] = __import__(what["module"], fromlist=["_"])
            except BaseException:
                pass
        elif "data" in what:
            g[name] = what["data"]
    entry = job["entry_point"]
    if entry not in g:
        report(stage="hidden", error=f"NameError: name '{entry}' is not defined")
    else:
        report(stage="hidden", error=attempt("tests", job["tests"] + "\ncheck(" + entry + ")\n", g))
    for i, example in enumerate(job["examples"]):
        report(stage="example", i=i, error=attempt("example", example, dict(g)))
    report(stage="done")
    os._exit(0)
