"""Coverage figures (notebook 01): coverage curves and the distribution of per-problem pass@1."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import seaborn as sns

from ttslib.plotting import new_axes
from ttslib.plotting._draw import PLUGIN_ALPHA, PLUGIN_DASHES, draw_series, limits_per_series, measured_masks, place_legend, plugin_key, series_table
from ttslib.plotting.style import resolve_palette

__all__ = ["plot_coverage", "plot_pass1_hist"]


def plot_coverage(curves, *, ax=None, labels=None, band: bool = True, log_y: bool = False, palette=None,
                  measured_k_max=None, plugin_label: str = "plug-in beyond each run's smallest n", legend: bool = True):
    """Coverage vs number of samples k on a log axis, one line per curve, its bootstrap band shaded.

    Parameters
    ----------
    curves : sequence of ``ttslib.coverage.CoverageCurve``
    labels : sequence of str, optional, one per curve
    band : draw each curve's band (``lower``..``upper``, as computed by ``coverage_curve``)
    log_y : log scale on the y axis (as in arXiv:2407.21787 Fig. 2 for weak models); points at coverage 0
        have no place on it and are not drawn (a curve that is 0 everywhere draws nothing, and has no
        legend entry)
    palette : colours (``ttslib.plotting.style.resolve_palette``); default: each model's fixed colour when
        the labels are registry models, else the kit's sequential palette in the order given
    measured_k_max : number, or sequence of numbers or None (one per curve), optional
        The largest k the counts estimate without bias: the smallest number of samples n of the curve's
        problems (``num_samples.min()``). The curve up to it is solid; past it (values from
        ``beyond_n="plugin"``) it is dashed and faded, from the last k at or below it on, and the legend
        has an entry ``plugin_label`` for that style. None: every point is measured.
    legend : add the legend, beside the axes (``_draw.place_legend``)
    """
    ax = new_axes(ax)
    curves = list(curves)
    labels = list(labels) if labels is not None else [None] * len(curves)
    if len(labels) != len(curves):
        raise ValueError(f"labels must have one entry per curve; got {len(labels)} labels for {len(curves)} curves")
    limits = limits_per_series(measured_k_max, range(len(curves)), "measured_k_max")
    ys = [np.where(np.asarray(c.coverage, dtype=float) > 0, c.coverage, np.nan) if log_y else c.coverage for c in curves]
    table = series_table([c.k for c in curves], ys, [c.lower for c in curves] if band else None,
                         [c.upper for c in curves] if band else None)
    # per row: measured (k at most the curve's limit), and plug-in (from the curve's last measured k on)
    measured, plugin = measured_masks(table["x"], table["series"], limits)
    colors = dict(enumerate(resolve_palette(labels, palette)))
    has_measured = set(table.loc[measured & table["y"].notna(), "series"])
    bands = {"lower": "lower" if band else None, "upper": "upper" if band else None}
    draw_series(ax, table[measured], x="x", y="y", series="series", colors=colors, labels=dict(enumerate(labels)),
                linewidth=1.5, **bands)
    beyond = table[plugin]
    drawn = draw_series(ax, beyond, x="x", y="y", series="series", colors=colors,
                        labels={i: (labels[i] if i not in has_measured else "_plug-in") for i in range(len(curves))},
                        dashes={i: PLUGIN_DASHES for i in range(len(curves))}, linewidth=1.2, alpha=PLUGIN_ALPHA,
                        band_alpha=0.06, **bands)
    ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel("number of samples k")
    ax.set_ylabel("coverage (pass@k)")
    if legend and any(label is not None for label in labels):
        place_legend(ax, extra=[plugin_key(plugin_label)] if any(len(line.get_xdata()) > 1 for line in drawn) else [])
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
            place_legend(ax)
    ax.set_xlabel("per-problem pass@1")
    return ax
