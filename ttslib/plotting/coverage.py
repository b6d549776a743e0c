"""Coverage figures (notebook 01): coverage curves and the distribution of per-problem pass@1."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import seaborn as sns

from ttslib.plotting import new_axes
from ttslib.plotting._draw import draw_series, series_table
from ttslib.plotting.style import resolve_palette

__all__ = ["plot_coverage", "plot_pass1_hist"]


MAX_PLAIN_CURVES = 4  # beyond this many curves, every second one is dashed
ALTERNATE_DASHES = (5, 2)


def plot_coverage(curves, *, ax=None, labels=None, band: bool = True, log_y: bool = False, palette=None):
    """Coverage vs number of samples k on a log axis, one line per curve, its bootstrap band shaded.

    Parameters
    ----------
    curves : sequence of ``ttslib.coverage.CoverageCurve``
    labels : sequence of str, optional, one per curve
    band : draw each curve's band (``lower``..``upper``, as computed by ``coverage_curve``)
    log_y : log scale on the y axis (as in arXiv:2407.21787 Fig. 2 for weak models)
    palette : colours (``ttslib.plotting.style.resolve_palette``); default: model sizes when the labels
        are registry models, else the kit's sequential palette in the order given

    With more than four curves every second one is dashed, so that neighbouring shades stay apart.
    """
    ax = new_axes(ax)
    curves = list(curves)
    labels = list(labels) if labels is not None else [None] * len(curves)
    if len(labels) != len(curves):
        raise ValueError(f"labels must have one entry per curve; got {len(labels)} labels for {len(curves)} curves")
    table = series_table([c.k for c in curves], [c.coverage for c in curves],
                         [c.lower for c in curves] if band else None, [c.upper for c in curves] if band else None)
    colors = dict(enumerate(resolve_palette(labels, palette)))
    # many curves (nine model sizes) make neighbouring shades of one colour map hard to tell apart:
    # every second curve is then dashed, so neighbours differ in line style as well as in shade
    dashes = {i: (ALTERNATE_DASHES if i % 2 else "") for i in range(len(curves))} if len(curves) > MAX_PLAIN_CURVES else None
    draw_series(ax, table, x="x", y="y", series="series", colors=colors, labels=dict(enumerate(labels)),
                lower="lower" if band else None, upper="upper" if band else None, linewidth=1.5, dashes=dashes)
    ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel("number of samples k")
    ax.set_ylabel("coverage (pass@k)")
    if any(label is not None for label in labels):
        ax.legend(fontsize="small")
    return ax


def plot_pass1_hist(pass1, *, ax=None, bins=None, label=None, color=None, log_x: bool = True):
    """Distribution of per-problem pass@1 (success rate), the distributional view of arXiv:2502.17578 Fig. 3.

    ``pass1`` is one array of success rates in [0, 1] (a step histogram, ``sns.histplot``) or a mapping
    label -> array, e.g. one per model: then one row per label, each a histogram whose cells are coloured
    by the number of problems (``sns.histplot`` with a categorical y), so that many distributions can be
    compared without overlapping. With ``log_x`` the problems never solved (pass@1 = 0) cannot be placed
    on the axis; their count is written beside the label instead. ``bins`` are bin edges in pass@1
    (default: 30 log-spaced edges from the smallest non-zero value to 1).
    """
    ax = new_axes(ax)
    several = isinstance(pass1, Mapping)
    arrays = {name: np.asarray(v, dtype=float) for name, v in (pass1.items() if several else [(label, pass1)])}
    for name, v in arrays.items():
        if v.ndim != 1 or not np.all(np.isfinite(v)) or np.any((v < 0) | (v > 1)):
            raise ValueError(f"pass1{'[' + repr(name) + ']' if several else ''} must be a 1-d array of success rates in [0, 1]")
    values = np.concatenate(list(arrays.values())) if arrays else np.array([])
    if log_x:
        solved = values[values > 0]
        low = max(solved.min(), 1e-7) if solved.size else 1e-4
        edges = np.asarray(bins, dtype=float) if bins is not None else np.geomspace(low, 1, 30)
        names = {name: f"{name} ({int((v == 0).sum())} never solved)" if name is not None else None for name, v in arrays.items()}
        kept = {name: v[v > 0] for name, v in arrays.items()}
        hist_bins = np.log10(edges)  # seaborn bins a log axis in log10 units
    else:
        edges = np.asarray(bins, dtype=float) if bins is not None else np.linspace(0, 1, 31)
        names, kept, hist_bins = {name: name for name in arrays}, arrays, edges
    if several:  # row i holds the i-th distribution; a row with nothing solved stays, empty, with its label
        rows = len(kept)
        long = pd.DataFrame({"pass@1": np.concatenate(list(kept.values())) if kept else [],
                             "row": np.repeat(np.arange(rows), [v.size for v in kept.values()])})
        sns.histplot(long, x="pass@1", y="row", bins=(hist_bins, np.arange(rows + 1) - 0.5), log_scale=(log_x, False),
                     cmap=sns.color_palette("rocket_r", as_cmap=True), cbar=True,
                     cbar_kws={"label": "number of problems", "pad": 0.02}, ax=ax)
        ax.set_yticks(np.arange(rows), [names[n] for n in kept])
        ax.set_ylim(rows - 0.5, -0.5)  # the first label on top
        ax.set_ylabel("")
        ax.grid(False)
    else:
        (name, v), = kept.items()
        sns.histplot(x=v, bins=hist_bins, log_scale=log_x, element="step", fill=False, color=color,
                     label=names[name], linewidth=1.5, ax=ax)
        ax.set_ylabel("number of problems")
        if names[name]:
            ax.legend(fontsize="small")
    ax.set_xlabel("per-problem pass@1")
    return ax
