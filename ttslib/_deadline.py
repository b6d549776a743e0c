"""A time limit for any thread and a size guard for sympy, behind ``ttslib.grade``'s comparisons.

math-verify's own timeout uses ``signal.alarm``, which only works in the main thread and is whole
seconds. ``deadline`` instead starts a timer thread that raises ``Deadline`` in the working thread,
whichever thread that is. Such an exception lands between two Python bytecodes, so it cannot stop
one long C call; the only C calls that run away on answer strings are big-integer powers and
factorials (e.g. ``5^{5^{5^5}}``), so ``bits`` bounds the integers a parsed answer would build and
the caller refuses those above ``MAX_BITS`` before sympy evaluates them.
"""

from __future__ import annotations

import ctypes
import logging
import math
import threading
from contextlib import contextmanager

from sympy import Basic, Pow
from sympy.matrices import MatrixBase

__all__ = ["Deadline", "deadline", "bits", "MAX_BITS"]

MAX_BITS = 2**21  # largest integer (in bits) sympy may build: ~0.1 s per multiply on one core
FACTORIALS = {"factorial", "factorial2", "subfactorial", "gamma", "binomial", "RisingFactorial", "FallingFactorial"}


class Deadline(BaseException):
    """Raised in the working thread when its time is up (a BaseException: ``except Exception`` won't eat it)."""


@contextmanager
def deadline(seconds: float | None):
    """Raise ``Deadline`` in the calling thread (main or not) if the block runs longer than ``seconds``."""
    if seconds is None:
        yield
        return
    target, lock, state = threading.get_ident(), threading.Lock(), {"open": True, "fired": False}

    def expire():
        with lock:
            if state["open"]:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), ctypes.py_object(Deadline))
                state["fired"] = True

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            state["open"] = False
            if state["fired"]:  # withdraw it if it is still pending, so it cannot land after this block
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), None)
        timer.cancel()


def bits(expr) -> float:
    """Upper bound on log2 of any integer sympy may build when it evaluates ``expr`` (symbols count 1)."""
    if isinstance(expr, MatrixBase):
        return sum(bits(x) for x in expr)
    if not isinstance(expr, Basic):
        return 0.0
    if expr.is_Rational:
        return math.log2(max(abs(int(expr.p)), int(expr.q)))
    if isinstance(expr, Pow):  # log2|b^e| <= log2|b| * |e|
        return max(bits(expr.base), 1.0) * 2.0 ** min(bits(expr.exp), 1000.0)
    if type(expr).__name__ in FACTORIALS:  # log2(n!) <= n log2 n
        n = 2.0 ** min(bits(expr.args[0]), 1000.0)
        return n * max(math.log2(n), 1.0)
    return sum(bits(a) for a in expr.args) + 1.0


def _not_timeout_disabled(record: logging.LogRecord) -> bool:
    """Logging filter: math-verify warns that its timeout is off; ``deadline`` replaces it."""
    return not record.getMessage().startswith("Timeout is disabled")


for _logger in map(logging.getLogger, ("math_verify.parser", "math_verify.grader")):
    if _not_timeout_disabled not in _logger.filters:
        _logger.addFilter(_not_timeout_disabled)
