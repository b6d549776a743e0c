"""Notebooks are tests too: each runs top to bottom (figures to a temporary folder), and each
committed .ipynb is the stripped build of its source in notebooks/src/."""

from __future__ import annotations

import sys

import nbformat
import papermill
import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
from make_notebook import build  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[nb.stem for nb in NOTEBOOKS])
def test_committed_notebook_is_the_build_of_its_source(notebook):
    source = ROOT / "notebooks" / "src" / f"{notebook.stem}.py"
    assert source.exists(), f"{notebook.name} has no source {source}"
    committed = nbformat.read(notebook, as_version=4)
    assert [c.source for c in committed.cells] == [c.source for c in build(source.read_text()).cells], (
        f"{notebook.name} differs from notebooks/src/{source.name}: rebuild with tools/make_notebook.py"
    )
    assert all(not c.get("outputs") for c in committed.cells if c.cell_type == "code"), "outputs must be stripped"
    assert committed.cells[1].metadata.get("tags") == ["parameters"], "the first code cell must be the parameters cell"


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[nb.stem for nb in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(notebook, tmp_path):
    figures = tmp_path / "figures"
    papermill.execute_notebook(
        str(notebook),
        str(tmp_path / notebook.name),
        parameters={"FIGURES_DIR": str(figures)},
        cwd=str(ROOT / "notebooks"),
        kernel_name="python3",
        progress_bar=False,
    )
    written = sorted(p.name for p in figures.glob("*.png"))
    assert written, f"{notebook.name} wrote no figure"
    assert all(name.startswith(notebook.name[:3]) for name in written), f"figure names must start with {notebook.name[:3]}: {written}"
