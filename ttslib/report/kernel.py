"""The environment a notebook's kernel runs in, so that its numbers and figures are the same bytes on any
x86-64 CPU with AVX2 and FMA, whatever the CPU or the caller's environment.

- ``PYTHONHASHSEED=0``: anything iterated from a set comes in one order.
- numpy's AVX-512 kernels are off (``NPY_DISABLE_CPU_FEATURES``): numpy computes exp, log and power with
  other code on AVX-512 CPUs.
- OpenBLAS, the BLAS and LAPACK of numpy and scipy, runs its Haswell kernels (AVX2 and FMA) on one
  thread (``OPENBLAS_CORETYPE=Haswell``, ``OPENBLAS_NUM_THREADS=1``). Left to itself it picks its AVX-512
  kernels on an AVX-512 CPU, or what ``OPENBLAS_CORETYPE`` says, and each kernel sums in its own order,
  which moves the last bits of every least-squares and optimiser-based fit (notebook 02's Beta intervals
  moved by up to 14% between the SkylakeX and Haswell kernels: docs/reproducibility.md). On a CPU without
  AVX2 or FMA the BLAS is not pinned (the Haswell kernels would not run there).

``make figures`` (tools/run_notebooks.py) and ``ttslib report`` both start their kernels inside
:func:`pinned_kernel`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["KERNEL_NUMPY_DISPATCH", "KERNEL_BLAS", "KERNEL_BLAS_NEEDS", "cpu_flags", "kernel_env", "pinned_kernel"]

# numpy's AVX-512 dispatch groups: off in the kernel, so AVX-512 and AVX2 CPUs compute alike
KERNEL_NUMPY_DISPATCH = "X86_V4 AVX512_ICL AVX512_SPR"
# OpenBLAS's kernels for AVX2 and FMA (Intel Haswell and later, AMD Excavator, Zen and later), one thread
KERNEL_BLAS = {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_NUM_THREADS": "1"}
KERNEL_BLAS_NEEDS = frozenset({"avx2", "fma"})  # /proc/cpuinfo flags the Haswell kernels use


def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags as Linux lists them in /proc/cpuinfo (empty elsewhere)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    line = re.search(r"^flags\s*:(.*)$", text, flags=re.M)
    return frozenset(line.group(1).split()) if line else frozenset()


def kernel_env(flags: frozenset[str] | None = None) -> dict[str, str]:
    """The variables a notebook's kernel gets on top of the caller's environment.

    ``flags`` are the CPU's feature flags (default: this CPU's, :func:`cpu_flags`). OpenBLAS is pinned
    to its Haswell kernels only where the CPU has AVX2 and FMA; elsewhere OpenBLAS keeps its own choice.
    """
    flags = cpu_flags() if flags is None else frozenset(flags)
    env = {"PYTHONHASHSEED": "0", "NPY_DISABLE_CPU_FEATURES": KERNEL_NUMPY_DISPATCH,
           "OPENBLAS_NUM_THREADS": KERNEL_BLAS["OPENBLAS_NUM_THREADS"]}
    if KERNEL_BLAS_NEEDS <= flags:
        env["OPENBLAS_CORETYPE"] = KERNEL_BLAS["OPENBLAS_CORETYPE"]
    return env


@contextmanager
def pinned_kernel(env: dict[str, str] | None = None) -> Iterator[dict[str, str]]:
    """Set :func:`kernel_env` (or ``env``) in ``os.environ`` for the kernels started inside, then restore
    every variable as it was (removed where it was unset). A kernel inherits its environment when it starts."""
    env = kernel_env() if env is None else dict(env)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield env
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
