"""Build a stripped .ipynb from a jupytext-style 'percent' script (cells split on '# %%').

    python tools/make_notebook.py notebooks/src/01_coverage.py notebooks/01_coverage.ipynb

'# %% [markdown]' cells hold markdown (each line starting '# '); '# %% tags=["parameters"]'
marks the papermill parameters cell. Authors may instead edit the .ipynb in Jupyter and strip
outputs with nbstripout before committing.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat


def build(source: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    chunks = re.split(r"^# %%(.*)$", source, flags=re.M)
    for header, body in zip(chunks[1::2], chunks[2::2]):
        body = body.strip("\n")
        if "[markdown]" in header:
            text = "\n".join(re.sub(r"^# ?", "", line) for line in body.splitlines())
            nb.cells.append(nbformat.v4.new_markdown_cell(text))
        else:
            cell = nbformat.v4.new_code_cell(body)
            if "parameters" in header:
                cell.metadata["tags"] = ["parameters"]
            nb.cells.append(cell)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
    return nb


if __name__ == "__main__":
    src, dst = map(Path, sys.argv[1:3])
    nbformat.write(build(src.read_text()), dst)
