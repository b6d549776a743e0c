"""ttslib.report.kernel: the environment notebooks' kernels run in (make figures and ttslib report)."""

import os
import re
from pathlib import Path

import pytest

from ttslib.report.kernel import KERNEL_BLAS, cpu_flags, kernel_env, pinned_kernel


def test_kernel_env_pins_openblas_to_haswell_on_one_thread_where_the_cpu_has_avx2_and_fma():
    assert KERNEL_BLAS == {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_NUM_THREADS": "1"}
    avx2 = kernel_env(frozenset({"sse2", "avx", "avx2", "fma", "avx512f"}))
    assert avx2["OPENBLAS_CORETYPE"] == "Haswell" and avx2["OPENBLAS_NUM_THREADS"] == "1"
    assert avx2["NPY_DISABLE_CPU_FEATURES"] == "X86_V4 AVX512_ICL AVX512_SPR" and avx2["PYTHONHASHSEED"] == "0"
    for lacking in ({"sse2", "avx", "fma"}, {"sse2", "avx", "avx2"}, set()):  # the Haswell kernels would not run
        env = kernel_env(frozenset(lacking))
        assert "OPENBLAS_CORETYPE" not in env and env["OPENBLAS_NUM_THREADS"] == "1", lacking


def test_cpu_flags_are_this_cpus():
    flags = cpu_flags()
    if not Path("/proc/cpuinfo").exists():
        assert flags == frozenset()
        return
    listed = re.search(r"^flags\s*:(.*)$", Path("/proc/cpuinfo").read_text(), flags=re.M)
    assert flags == (frozenset(listed.group(1).split()) if listed else frozenset())


def test_pinned_kernel_sets_the_variables_and_restores_the_callers(monkeypatch):
    monkeypatch.setenv("OPENBLAS_CORETYPE", "SkylakeX")  # the caller's own choice, replaced inside only
    monkeypatch.delenv("NPY_DISABLE_CPU_FEATURES", raising=False)  # unset before: unset after
    want = kernel_env(frozenset({"avx2", "fma"}))
    with pinned_kernel(want) as env:
        assert env == want and all(os.environ[k] == v for k, v in want.items())
    assert os.environ["OPENBLAS_CORETYPE"] == "SkylakeX" and "NPY_DISABLE_CPU_FEATURES" not in os.environ
    with pytest.raises(RuntimeError), pinned_kernel(want):  # restored when the run fails too
        raise RuntimeError("a cell failed")
    assert os.environ["OPENBLAS_CORETYPE"] == "SkylakeX" and "NPY_DISABLE_CPU_FEATURES" not in os.environ


def test_ttslib_report_starts_its_kernel_pinned(monkeypatch, tmp_path):
    import papermill

    from ttslib import cli

    seen = {}

    def execute_notebook(source, out, **kwargs):  # what the kernel would inherit, then a failed cell
        seen.update({k: os.environ.get(k) for k in kernel_env()})
        raise papermill.PapermillExecutionError(0, 1, "stop here", "RuntimeError", "stop here", [])

    monkeypatch.setenv("OPENBLAS_CORETYPE", "Sandybridge")
    monkeypatch.setattr(papermill, "execute_notebook", execute_notebook)
    with pytest.raises(Exception, match="stop here"):
        cli._write_report({"SAMPLES": "x.parquet"}, tmp_path, "x")
    assert seen == kernel_env()
    assert os.environ["OPENBLAS_CORETYPE"] == "Sandybridge"
