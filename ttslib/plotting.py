"""Figures: plot functions draw what the maths modules return; ``savefig`` writes reproducible files.

Every ``plot_*`` takes data and keyword-only options, draws on ``ax`` (a new one if None) and
returns the Axes. Nothing here computes a statistic.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np

__all__ = ["savefig", "plot_coverage", "plot_pass1_hist", "FIGURES_DIR"]

FIGURES_DIR = Path(__file__).resolve().parent.parent / "figures"


def savefig(fig, name: str, *, directory=None, formats=("png", "pdf"), dpi: int = 150) -> list[Path]:
    """Write ``fig`` as ``<directory>/<name>.<fmt>`` with no timestamps or software versions in it.

    ``name`` starts with the notebook's number, e.g. ``"01_coverage_math"``. The same figure
    written twice gives byte-identical files, so ``git diff`` shows only real changes.
    """
    directory = Path(directory) if directory is not None else FIGURES_DIR
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


def _axes(ax):
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    return ax


def plot_coverage(curves, *, ax=None, labels=None, band: bool = True, log_y: bool = False, cmap: str = "viridis"):
    """Coverage vs number of samples k on a log axis, one line per curve.

    Parameters
    ----------
    curves : sequence of ``ttslib.coverage.CoverageCurve``
    labels : sequence of str, optional, one per curve
    band : draw each curve's bootstrap band
    log_y : log scale on the y axis (as in arXiv:2407.21787 Fig. 2 for weak models)
    """
    ax = _axes(ax)
    curves = list(curves)
    labels = list(labels) if labels is not None else [None] * len(curves)
    if len(labels) != len(curves):
        raise ValueError(f"labels must have one entry per curve; got {len(labels)} labels for {len(curves)} curves")
    colors = plt.get_cmap(cmap)(np.linspace(0.0, 0.9, max(len(curves), 1)))
    for curve, label, color in zip(curves, labels, colors):
        ax.plot(curve.k, curve.coverage, color=color, label=label, lw=1.5)
        if band:
            ax.fill_between(curve.k, curve.lower, curve.upper, color=color, alpha=0.2, lw=0)
    ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel("number of samples k")
    ax.set_ylabel("coverage (pass@k)")
    if any(label is not None for label in labels):
        ax.legend(fontsize="small", frameon=False)
    return ax


def plot_pass1_hist(pass1, *, ax=None, bins=None, label=None, color=None, log_x: bool = True):
    """Histogram of per-problem pass@1 (success rate), the distributional view of arXiv:2502.17578 Fig. 3.

    With ``log_x`` the problems that were never solved (pass@1 = 0) cannot be placed on the axis;
    their count is written in the legend label instead.
    """
    ax = _axes(ax)
    pass1 = np.asarray(pass1, dtype=float)
    if pass1.ndim != 1 or np.any((pass1 < 0) | (pass1 > 1)) or not np.all(np.isfinite(pass1)):
        raise ValueError("pass1 must be a 1-d array of success rates in [0, 1]")
    if log_x:
        solved = pass1[pass1 > 0]
        low = max(solved.min(), 1e-7) if solved.size else 1e-4
        bins = bins if bins is not None else np.geomspace(low, 1, 30)
        label = f"{label} ({int((pass1 == 0).sum())} never solved)" if label else None
        ax.hist(solved, bins=bins, label=label, color=color, histtype="step", lw=1.5)
        ax.set_xscale("log")
    else:
        ax.hist(pass1, bins=bins if bins is not None else 30, label=label, color=color, histtype="step", lw=1.5)
    ax.set_xlabel("per-problem pass@1")
    ax.set_ylabel("number of problems")
    if label:
        ax.legend(fontsize="small", frameon=False)
    return ax
