"""Figures: plot functions draw what the maths modules return; ``savefig`` writes reproducible files.

Every ``plot_*`` takes data and keyword-only options, draws on ``ax`` (a new one if None) and
returns the Axes; nothing here computes a statistic (seaborn draws lines with ``estimator=None``,
bands are the ones given). One submodule per notebook topic (``ttslib.plotting.coverage``, ``.fit``,
``.selection``, ``.policy``, ``.flops``); the look, a seaborn theme and one fixed palette per kind of
series (strategies, model sizes, other ordered series), is in ``ttslib.plotting.style``. Importing
this package sets no global style: a notebook calls ``use_theme()`` once in its import cell.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt

from ttslib.plotting._draw import DRAWN_DIGITS, figure_legend, place_legend, round_drawn
from ttslib.plotting.style import (
    model_color,
    model_palette,
    resolve_palette,
    sequential_palette,
    size_order,
    strategy_color,
    strategy_key,
    strategy_label,
    strategy_marker,
    strategy_palette,
    use_theme,
)

__all__ = ["savefig", "new_axes", "FIGURES_DIR", "DRAWN_DIGITS", "figure_legend", "place_legend", "use_theme", "strategy_key", "strategy_label", "strategy_color", "strategy_marker",
           "strategy_palette", "model_color", "model_palette", "sequential_palette", "size_order", "resolve_palette"]

_CHECKOUT = Path(__file__).resolve().parents[2]
# figures/ of the repository when ttslib runs from a checkout, else figures/ under the working directory
FIGURES_DIR = _CHECKOUT / "figures" if (_CHECKOUT / "pyproject.toml").exists() else Path("figures")


def new_axes(ax=None, *, figsize=(5, 3.5)):
    """Return ``ax``, or the Axes of a new figure of ``figsize`` inches if it is None."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def savefig(fig, name: str, *, directory=None, formats=("png", "pdf"), dpi: int = 150) -> list[Path]:
    """Write the finished ``fig`` as ``<directory>/<name>.<fmt>`` with no timestamps or software versions in it.

    ``name`` starts with the notebook's number, e.g. ``"01_coverage_math"``. The same figure
    written twice gives byte-identical files, so ``git diff`` shows only real changes. Before
    writing, every drawn coordinate and view limit of ``fig`` is rounded in place to
    ``DRAWN_DIGITS`` = 10 significant decimal digits (a value moves by at most 5e-10 of itself,
    far below a pixel; ``ttslib.plotting._draw.round_drawn``), so values that differ between
    machines only in their last bits (another BLAS kernel, another CPU) draw the same bytes; the
    figure shown inline after the cell is the rounded one too.
    """
    directory = Path(directory) if directory is not None else FIGURES_DIR
    round_drawn(fig)
    directory.mkdir(parents=True, exist_ok=True)
    metadata = {
        "png": {"Software": None},
        "pdf": {"Creator": None, "Producer": None, "CreationDate": None},
        "svg": {"Creator": None, "Date": None},
    }
    paths = []
    with matplotlib.rc_context({"svg.hashsalt": "ttslib", "pdf.compression": 9}):
        for fmt in formats:
            path = directory / f"{name}.{fmt}"
            fig.savefig(path, dpi=dpi, bbox_inches="tight", metadata=metadata.get(fmt))
            paths.append(path)
    return paths
