"""Execute the numbered notebooks top to bottom and leave them where a reader finds them (`make figures`).

    python tools/run_notebooks.py            # every notebook: figures/, notebooks/NN_*.ipynb, reports/NN_*.html
    python tools/run_notebooks.py 01 05      # only those numbers
    python tools/run_notebooks.py 05 --figures-dir /tmp/figs --out-dir /tmp/nb --reports-dir /tmp/html

Each notebook is read from its percent-format source notebooks/src/NN_*.py (with jupytext: the
source is the truth), executed with papermill in notebooks/ (so the relative paths of its
parameters cell hold) and written, outputs included, over notebooks/NN_*.ipynb: the committed
notebooks are the executed ones, so a reader on a code-hosting site sees every figure. Beside
it goes reports/NN_*.html, a self-contained page (nbconvert's lab template, images embedded).

Both files are deterministic, so rerunning on the same data with the locked environment changes
no byte (tests/test_run_notebooks.py checks it):
  * notebook metadata is only the kernelspec and the language (no Python patch version, no
    papermill block with its times and paths); cell metadata is only the tags;
  * cell ids are the cell's position (``cell-00``, ``cell-01``, ...), execution counts run 1, 2, ...;
  * consecutive stream outputs of one name are merged (how the kernel chunks them depends on timing),
    the checkout's absolute path becomes ``<repo>`` and object addresses (``at 0x7f...``) are dropped;
  * the kernel runs with PYTHONHASHSEED=0, so anything iterated from a set comes in one order;
  * the kernel's floating point is pinned (``ttslib.report.kernel.kernel_env``, which ``ttslib report`` uses too), so that every x86-64 CPU with AVX2 and FMA
    runs the same code and draws the same bytes, whatever the CPU or the caller's environment:
    numpy's AVX-512 kernels are off (NPY_DISABLE_CPU_FEATURES=KERNEL_NUMPY_DISPATCH: numpy computes
    exp, log and power with other code on AVX-512 CPUs), and OpenBLAS, the BLAS and LAPACK of numpy
    and scipy, runs its Haswell kernels (AVX2 and FMA) on one thread (OPENBLAS_CORETYPE=Haswell,
    OPENBLAS_NUM_THREADS=1): left to itself it picks its AVX-512 kernels on an AVX-512 CPU, or what
    OPENBLAS_CORETYPE says, and each kernel sums in its own order, which moves the last bits of every
    least-squares and optimiser-based fit. On a CPU without AVX2 or FMA the BLAS is not pinned (the
    Haswell kernels would not run there) and the last bits may differ;
  * what ``ttslib.plotting.savefig`` writes is rounded far below a pixel (``ttslib.plotting._draw.round_drawn``: 10 significant digits), so a
    difference in the last bits of a drawn value changes no byte of a figure;
  * PNGs drawn by the inline backend carry no time (matplotlib writes none).
A notebook that fails is written, with its error, to notebooks/executed/ (git ignores it) and
nothing it would have replaced is touched.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import jupytext
import nbformat
import papermill
from nbconvert import HTMLExporter

from ttslib.report.kernel import kernel_env, pinned_kernel

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SOURCES = NOTEBOOKS / "src"
FIGURES = ROOT / "figures"
REPORTS = ROOT / "reports"

KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
# language_info without "version": the Python patch release differs from machine to machine
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
}
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+(?=>)")

KERNEL_ENV = kernel_env()  # this CPU's; the variables and why: ttslib.report.kernel


def sources(selected: list[str] | None = None) -> list[Path]:
    """The notebook sources notebooks/src/NN_*.py, or those whose two-digit number is in ``selected``."""
    found = sorted(SOURCES.glob("[0-9][0-9]_*.py"))
    if selected:
        found = [src for src in found if src.name[:2] in selected]
        if not found:
            raise SystemExit(f"no notebook source numbered {selected} in {SOURCES}")
    return found


def read_source(source: Path) -> nbformat.NotebookNode:
    """The notebook that jupytext reads from a percent-format source, with the kit's kernel and cell ids."""
    nb = jupytext.read(source, fmt="py:percent")
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO})
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
    return nb


def _scrub(text: str) -> str:
    """``text`` without the checkout's absolute path (``<repo>`` instead) and object addresses."""
    return _ADDRESS.sub("", text.replace(str(ROOT), "<repo>"))


def normalise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop everything a rerun on the same data would change (see the module docstring); in place."""
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO})
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
        tags = cell.metadata.get("tags")
        cell.metadata = nbformat.from_dict({"tags": tags} if tags else {})
        if "attachments" in cell and not cell.attachments:
            del cell["attachments"]
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.outputs:
            if out.output_type == "stream":
                out.text = _scrub(out.text)
                if outputs and outputs[-1].output_type == "stream" and outputs[-1].name == out.name:
                    outputs[-1].text += out.text
                    continue
            elif out.output_type in ("display_data", "execute_result"):
                out.metadata = nbformat.from_dict({k: v for k, v in out.get("metadata", {}).items() if k != "transient"})
                for mime, value in out.data.items():
                    if isinstance(value, str) and (mime.startswith("text/") or mime.endswith("json")):
                        out.data[mime] = _scrub(value)
            elif out.output_type == "error":
                out.traceback = [_scrub(line) for line in out.traceback]
            outputs.append(out)
        cell.outputs = outputs
    return nb


def dumps(nb: nbformat.NotebookNode) -> str:
    """The notebook as nbformat writes it (sorted keys, one-space indent), ending in a newline."""
    nbformat.validate(nb)
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def to_html(nb: nbformat.NotebookNode, title: str) -> str:
    """A self-contained HTML page of ``nb``: nbconvert's lab template, images embedded as data URIs."""
    exporter = HTMLExporter(template_name="lab", embed_images=True)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body


def _write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def execute(source: Path, out: Path, *, cwd: Path = NOTEBOOKS, figures_dir: Path | None = None,
            html: Path | None = None, parameters: dict | None = None) -> nbformat.NotebookNode:
    """Execute the notebook of ``source`` in ``cwd``; write it, normalised, to ``out`` (and its page to ``html``).

    ``figures_dir`` None keeps the parameters cell as it is (``FIGURES_DIR = "../figures"``, relative
    to ``cwd``); a path is injected by papermill as ``FIGURES_DIR`` (an extra cell in the output), as
    are ``parameters`` (e.g. ``{"OWN_SAMPLES": "/path/to/samples.parquet"}``).
    Raises papermill's ``PapermillExecutionError`` if a cell fails; the failed notebook is then in
    ``executed/`` beside ``out`` (notebooks/executed/, ignored by git) and ``out`` and ``html`` are untouched.
    """
    source, out = Path(source), Path(out)
    if not source.is_file():
        raise FileNotFoundError(f"source: no notebook source at {source}")
    parameters = ({} if figures_dir is None else {"FIGURES_DIR": str(Path(figures_dir).resolve())}) | dict(parameters or {})
    with pinned_kernel(KERNEL_ENV), tempfile.TemporaryDirectory(prefix="ttslib-nb-") as tmp:  # inherited by the kernel papermill starts
        given, executed = Path(tmp) / f"{source.stem}.ipynb", Path(tmp) / f"executed_{source.stem}.ipynb"
        nbformat.write(read_source(source), given)
        try:
            nb = papermill.execute_notebook(str(given), str(executed), parameters=parameters, cwd=str(cwd),
                                            kernel_name="python3", progress_bar=False, log_output=False)
        except Exception:
            if executed.exists():
                failed = out.parent / "executed" / f"{source.stem}.ipynb"
                failed.parent.mkdir(parents=True, exist_ok=True)
                failed.write_text(executed.read_text(encoding="utf-8"), encoding="utf-8")
                print(f"{source.stem}: failed; the notebook with its error is {failed}", file=sys.stderr)
            raise
    nb = normalise(nb)
    _write(out, dumps(nb))
    if html is not None:
        _write(Path(html), to_html(nb, source.stem))
    return nb


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("numbers", nargs="*", help="two-digit notebook numbers to run (default: all)")
    parser.add_argument("--figures-dir", default=None, help=f"where figures go [default: {FIGURES.relative_to(ROOT)}/]")
    parser.add_argument("--out-dir", default=str(NOTEBOOKS), help="where the executed notebooks go [default: notebooks/]")
    parser.add_argument("--reports-dir", default=None,
                        help="where the HTML pages go [default: reports/, or the --out-dir given]")
    parser.add_argument("--no-html", action="store_true", help="write no HTML page")
    args = parser.parse_args(argv)
    out_dir = Path(args.out_dir)
    reports_dir = Path(args.reports_dir) if args.reports_dir else REPORTS if out_dir.resolve() == NOTEBOOKS else out_dir
    figures_dir = None if args.figures_dir is None or Path(args.figures_dir).resolve() == FIGURES else args.figures_dir
    for source in sources(args.numbers):
        start = time.perf_counter()
        html = None if args.no_html else reports_dir / f"{source.stem}.html"
        execute(source, out_dir / f"{source.stem}.ipynb", figures_dir=figures_dir, html=html)
        print(f"{source.stem}: ran in {time.perf_counter() - start:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
