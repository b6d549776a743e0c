"""The same figures and notebooks on every machine (issue 13), for tools/run_notebooks.py.

The slow test reruns notebook 05, the quickest that writes figures (about 40 s here against 170 s
for 02), in a temporary folder laid out like the checkout, and compares byte for byte what it
writes with what is committed: its figures in figures/, the executed notebook
notebooks/05_flops.ipynb and its page reports/05_flops.html. It fails, naming the files, when the
environment drifts from requirements.lock (a newer matplotlib draws other pixels) or when code or
data changed and `make figures` was not rerun. The fast tests check the lock against pyproject.toml
and the installed packages, and that normalising a notebook drops exactly what a rerun changes.

The same bytes whatever OpenBLAS kernels the caller's environment asks for (issue 28, item 7): the
kernel's environment pins OpenBLAS to its Haswell kernels on one thread (a fast test, and a slow one
that asks the kernel's OpenBLAS which kernels it runs), and a slow test reruns notebook 02, whose
fits move with the BLAS (Beta intervals of near-degenerate checkpoints by up to 14% between the
SkylakeX and Haswell kernels, unpinned), under two core types and compares every byte it writes.
"""

from __future__ import annotations

import copy
import importlib.metadata
import os
import re
import sys
import tomllib
from pathlib import Path

import nbformat
import papermill
import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
from run_notebooks import dumps, execute, normalise  # noqa: E402

from ttslib.report.kernel import cpu_flags  # noqa: E402

LOCK = ROOT / "requirements.lock"
RERUN = "05_flops"
FITTING = "02_power_law_fit"  # a notebook whose fits move with the BLAS kernels when they are not pinned
CORE_TYPES = ("Haswell", "Sandybridge")  # two OpenBLAS core types the caller may set; Sandybridge needs AVX
# fewer resamples and backtest draws for the core-type run: every fit still runs through the BLAS kernels, and the
# notebook's prose names these counts by their parameter, so they may change (CI time: the full run took 15 minutes)
LIGHT_FITTING = {"N_BOOT": 100, "N_BOOT_SWEEP": 40, "BACKTEST_DRAWS": 2}


def locked(here_only: bool = False) -> dict[str, str]:
    """{canonical name: version} of every pin in requirements.lock (a universal lock: a pin may carry
    an environment marker); ``here_only`` keeps the pins whose marker holds for this interpreter."""
    pins = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)\s*(?:;\s*(.+))?$", LOCK.read_text(), flags=re.M)
    return {canonicalize_name(name): version for name, version, marker in pins
            if not (here_only and marker and not Marker(marker).evaluate())}


def test_lock_covers_python_3_11_to_3_13():
    # one universal resolution (make lock: uv pip compile --universal) serves every supported Python
    lock = LOCK.read_text()
    assert "python_full_version == '3.12.*'" in lock or "python_full_version >= '3.12'" in lock
    for version in ("3.11", "3.12", "3.13"):
        env = {"python_version": version, "python_full_version": version + ".0", "sys_platform": "linux",
               "platform_system": "Linux", "platform_machine": "x86_64", "implementation_name": "cpython",
               "platform_python_implementation": "CPython", "os_name": "posix"}
        names = {canonicalize_name(m.group(1)) for m in re.finditer(
            r"^([A-Za-z0-9][A-Za-z0-9._-]*)==[^\s;]+\s*(?:;\s*(.+))?$", lock, flags=re.M)
            if not m.group(2) or Marker(m.group(2)).evaluate(env)}
        assert {"numpy", "scipy", "pandas", "papermill", "llama-cpp-python", "jupyterlab"} <= names, version


def test_lock_satisfies_every_requirement_of_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    wanted = project["dependencies"] + [r for extra in ("dev", "prm", "notebooks", "llama") for r in extras[extra]]
    pins, problems = locked(), []
    # torch stays out of the lock (no CPU build on PyPI): tools/setup_env.sh --with-torch pins it
    torch = re.search(r"^TORCH_VERSION=(\S+)", (ROOT / "tools" / "setup_env.sh").read_text(), flags=re.M)
    assert torch and "torch" not in pins, "torch must be pinned by tools/setup_env.sh (TORCH_VERSION), not in the lock"
    pins["torch"] = torch.group(1)
    for req in map(Requirement, wanted):
        name = canonicalize_name(req.name)
        if name == "ttslib":
            continue
        if name not in pins:
            problems.append(f"{req} is not in the lock")
        elif not req.specifier.contains(pins[name], prereleases=True):
            problems.append(f"{req} but the lock pins {pins[name]}")
    assert not problems, f"requirements.lock is older than pyproject.toml (run `make lock`): {problems}"


def test_installed_packages_are_the_locked_versions():
    pins, differ = locked(here_only=True), []
    for name, version in pins.items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            differ.append(f"{name} {installed} (lock: {version})")
    assert not differ, f"the environment is not requirements.lock (run `make setup`): {differ}"


def _executed(papermill_time: str, chunks: list[str], address: str) -> nbformat.NotebookNode:
    """A notebook as papermill leaves it, with the volatile fields set from the arguments."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                   "language_info": {"name": "python", "version": "3.11.7"},
                   "papermill": {"start_time": papermill_time, "duration": 1.5, "input_path": "/tmp/x.ipynb"}}
    params = nbformat.v4.new_code_cell("N = 1", metadata={"tags": ["parameters"]})
    code = nbformat.v4.new_code_cell("print(N); fig", execution_count=2, metadata={
        "tags": [], "execution": {"iopub.status.busy": papermill_time},
        "papermill": {"start_time": papermill_time, "duration": 0.1, "status": "completed"}})
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text=t) for t in chunks] + [
        nbformat.v4.new_output("execute_result", data={"text/plain": f"<Figure at {address}>", "image/png": "iVBORw0KGgo="},
                               execution_count=2),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), params, code]
    return nb


def test_normalise_drops_times_ids_chunking_and_addresses_but_keeps_outputs():
    a = normalise(_executed("2026-01-01T00:00:00Z", ["1\n", "2\n"], "0x7f00aa"))
    b = normalise(_executed("2026-06-30T12:34:56Z", ["1\n2\n"], "0x55bbcc"))
    assert dumps(a) == dumps(b)
    assert [c.id for c in a.cells] == ["cell-00", "cell-01", "cell-02"]
    assert a.cells[1].metadata == {"tags": ["parameters"]} and a.cells[2].metadata == {}
    assert "papermill" not in a.metadata and "version" not in a.metadata.language_info
    assert [o.get("text") for o in a.cells[2].outputs][0] == "1\n2\n"
    assert a.cells[2].outputs[1].data["image/png"] == "iVBORw0KGgo="
    changed = normalise(_executed("2026-01-01T00:00:00Z", ["1\n", "3\n"], "0x7f00aa"))
    assert dumps(changed) != dumps(a), "a real change of output must show"
    again = normalise(copy.deepcopy(a))
    assert dumps(again) == dumps(a), "normalising twice changes nothing"


@pytest.mark.slow
def test_a_failing_notebook_leaves_the_committed_files_alone(tmp_path):
    source = tmp_path / "src" / "99_fails.py"
    source.parent.mkdir()
    source.write_text('# %% [markdown]\n# # fails\n\n# %% tags=["parameters"]\nN = 1\n\n# %%\nraise ValueError("N was 1")\n')
    out, html = tmp_path / "99_fails.ipynb", tmp_path / "99_fails.html"
    out.write_text("committed"), html.write_text("committed")
    with pytest.raises(papermill.PapermillExecutionError, match="N was 1"):
        execute(source, out, cwd=tmp_path, html=html)
    assert out.read_text() == "committed" and html.read_text() == "committed"
    failed = nbformat.read(tmp_path / "executed" / "99_fails.ipynb", as_version=4)
    assert failed.cells[-1].outputs[0].ename == "ValueError"


@pytest.mark.slow
def test_rerun_writes_the_committed_figures_notebook_and_page_byte_for_byte(tmp_path):
    # the checkout's layout: notebooks/ (the working directory), ../data, ../figures
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "data").symlink_to(ROOT / "data")
    out, html = tmp_path / "notebooks" / f"{RERUN}.ipynb", tmp_path / f"{RERUN}.html"
    execute(ROOT / "notebooks" / "src" / f"{RERUN}.py", out, cwd=tmp_path / "notebooks", html=html)

    committed = {p.name: p for p in (ROOT / "figures").glob(f"{RERUN[:3]}*") if p.suffix in (".png", ".pdf")}
    written = {p.name: p for p in (tmp_path / "figures").iterdir()}
    assert sorted(written) == sorted(committed), (
        f"notebook {RERUN} writes {sorted(written)}, figures/ holds {sorted(committed)}: rerun `make figures`")
    differ = [name for name in sorted(written) if written[name].read_bytes() != committed[name].read_bytes()]
    assert not differ, (
        f"rerunning {RERUN} gives other bytes than the committed {differ}: the environment differs from "
        "requirements.lock (`make setup`), or code or data changed since the last `make figures`")

    ours, theirs = nbformat.read(out, as_version=4), nbformat.read(ROOT / "notebooks" / f"{RERUN}.ipynb", as_version=4)
    cells = [i for i, (a, b) in enumerate(zip(ours.cells, theirs.cells)) if a != b]
    assert out.read_bytes() == (ROOT / "notebooks" / f"{RERUN}.ipynb").read_bytes(), (
        f"notebooks/{RERUN}.ipynb is not what a rerun writes (cells {cells} differ, "
        f"{len(ours.cells)} vs {len(theirs.cells)} cells): rerun `make figures`")
    assert html.read_bytes() == (ROOT / "reports" / f"{RERUN}.html").read_bytes(), (
        f"reports/{RERUN}.html is not what a rerun writes: rerun `make figures`")


# ---- the notebooks' kernel runs the same BLAS kernels whatever the caller's environment --------------


def _needs_avx2():
    flags = cpu_flags()
    if not {"avx", "avx2", "fma"} <= flags:
        pytest.skip(f"needs an x86-64 CPU with AVX, AVX2 and FMA for the core types {CORE_TYPES} (this one lists "
                    f"{sorted(flags & {'avx', 'avx2', 'fma'}) or 'none of them'})")


# a notebook that asks numpy's bundled OpenBLAS (scipy-openblas) which kernels it loaded
_ASK_OPENBLAS = """# %% [markdown]
# # which kernels

# %% tags=["parameters"]
N = 1

# %%
import ctypes, glob, os
import numpy
libs = glob.glob(os.path.join(os.path.dirname(numpy.__file__), os.pardir, "numpy.libs", "libscipy_openblas64_*.so"))
core = "unknown"
if libs:
    ask = ctypes.CDLL(libs[0]).scipy_openblas_get_corename64_
    ask.restype = ctypes.c_char_p
    core = ask().decode()
print(os.environ.get("OPENBLAS_CORETYPE"), os.environ.get("OPENBLAS_NUM_THREADS"), core)
"""


@pytest.fixture
def callers_env():
    """Set variables in this process (the caller of ``execute``) for one test, then restore them."""
    saved = dict(os.environ)
    yield os.environ
    os.environ.clear()
    os.environ.update(saved)


@pytest.mark.slow
def test_the_kernel_runs_haswell_kernels_whatever_the_caller_asks(tmp_path, callers_env):
    _needs_avx2()
    source = tmp_path / "src" / "98_blas.py"
    source.parent.mkdir()
    source.write_text(_ASK_OPENBLAS)
    for asked in ("Sandybridge", "SkylakeX", None):
        callers_env.pop("OPENBLAS_CORETYPE", None)
        if asked:
            callers_env["OPENBLAS_CORETYPE"] = asked
        callers_env["OPENBLAS_NUM_THREADS"] = "2"
        nb = execute(source, tmp_path / "98_blas.ipynb", cwd=tmp_path)
        coretype, threads, core = nb.cells[-1].outputs[0].text.split()
        assert (coretype, threads) == ("Haswell", "1"), asked
        assert core in ("Haswell", "unknown"), f"asked for {asked}, the kernel's OpenBLAS runs {core}"
        assert os.environ.get("OPENBLAS_CORETYPE") == asked, "the caller's environment is restored"


@pytest.mark.slow
def test_a_fitting_notebook_writes_the_same_bytes_under_two_blas_core_types(tmp_path, callers_env):
    # what the issue saw: OPENBLAS_CORETYPE=Haswell set by the environment on an AVX-512 CPU changed five
    # files of notebook 02; here the kernel must write every byte alike whichever core type is asked for
    _needs_avx2()
    written = {}
    for coretype in CORE_TYPES:
        root = tmp_path / coretype
        (root / "notebooks").mkdir(parents=True)
        (root / "data").symlink_to(ROOT / "data")
        callers_env["OPENBLAS_CORETYPE"] = coretype
        out = root / "notebooks" / f"{FITTING}.ipynb"
        execute(ROOT / "notebooks" / "src" / f"{FITTING}.py", out, cwd=root / "notebooks", html=root / f"{FITTING}.html",
                parameters=LIGHT_FITTING)
        written[coretype] = {p.relative_to(root).as_posix(): p.read_bytes()
                             for p in [out, root / f"{FITTING}.html", *sorted((root / "figures").iterdir())]}
    first, second = (written[c] for c in CORE_TYPES)
    assert sorted(first) == sorted(second) and len(first) > 2
    differ = [name for name in first if first[name] != second[name]]
    assert not differ, f"notebook {FITTING} wrote other bytes under OPENBLAS_CORETYPE={CORE_TYPES[1]} than {CORE_TYPES[0]}: {differ}"
