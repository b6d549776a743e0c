"""Coverage figures (notebook 01): coverage curves and per-problem pass@1 histograms."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ttslib.plotting import new_axes

__all__ = ["plot_coverage", "plot_pass1_hist"]


def plot_coverage(curves, *, ax=None, labels=None, band: bool = True, log_y: bool = False, cmap: str = "viridis"):
    """Coverage vs number of samples k on a log axis, one line per curve.

    Parameters
    ----------
    curves : sequence of ``ttslib.coverage.CoverageCurve``
    labels : sequence of str, optional, one per curve
    band : draw each curve's bootstrap band
    log_y : log scale on the y axis (as in arXiv:2407.21787 Fig. 2 for weak models)
    """
    ax = new_axes(ax)
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
    ax = new_axes(ax)
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
