"""Scaling-law figures (notebook 02): power-law fits on log-log axes, exponents, and the backtest."""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D

from ttslib.plotting import new_axes
from ttslib.plotting._draw import draw_series, place_legend
from ttslib.plotting.style import resolve_palette, sequential_palette

__all__ = ["plot_power_law_fits", "plot_exponents", "plot_backtest"]

BACKTEST_MARKERS = {"power law": "o", "beta": "s", "scaled beta": "^"}  # estimator -> marker in plot_backtest


EXTRAPOLATED_ALPHA = 0.8  # a line beyond the k its fit saw is dashed and faded, lightly: a faded black stays apart from the kit's grey
FIT_STYLE = {"fit": ("-", (5, 2)), "curve": ((1, 1.5), (5, 1.5, 1, 1.5))}  # line -> (dashes within the fitted k, beyond)


def _styled(ax, x, y, color, dashes, **kws):
    line = ax.plot(x, y, color=color, **kws)[0]
    if dashes != "-":
        line.set_dashes(dashes)
    return line


def plot_power_law_fits(fits, *, ax=None, labels=None, curves=None, k_max=None, palette=None,
                        fit_label: str = "power law fit", curve_label: str = "Beta fit",
                        extrapolation_label: str | None = None, legend: bool = True,
                        fit_extrapolation_label: str = "power law beyond the fitted k",
                        curve_extrapolation_label: str = "Beta beyond the fitted k"):
    """``-log(coverage)`` vs k on log-log axes: data as points, the fitted ``-a k^b`` as a line.

    On these axes the exponentiated power law of arXiv:2407.21787 is a straight line of slope b
    (the view of arXiv:2502.17578). Only the points are measurements. Over the k the fit used
    (``fit.k.min()`` to ``fit.k.max()``) the power law is solid and a curve from ``curves`` dotted; beyond
    ``fit.k.max()`` both are extrapolations, drawn faded and dashed (the power law in long dashes, a curve
    in dash-dots), starting exactly at ``fit.k.max()``. The legend names the runs (by their points) and
    keys each line style drawn: ``fit_label``, ``curve_label``, and each extrapolation on its own
    (``fit_extrapolation_label`` for the power law's long dashes, ``curve_extrapolation_label`` for the
    curve's dash-dots). ``extrapolation_label``, if given, replaces ``fit_extrapolation_label`` (the one
    key of earlier versions). Colours are the kit's (each registry model's fixed colour,
    ``ttslib.plotting.style``).

    Parameters
    ----------
    fits : sequence of ``ttslib.fit.PowerLawFit``
    labels : sequence of str, optional, one per fit
    curves : sequence of (k, coverage) array pairs or None, optional, one per fit
        Another model's coverage (e.g. a Beta fit's exact pass_D@k) in the fit's colour; its points at k
        above ``fit.k.max()`` are drawn as extrapolation, joined to its last point at or below it.
    k_max : draw each fitted line out to this k (an extrapolation beyond the data).
    palette : colours (``resolve_palette``), default by the labels
    """
    ax = new_axes(ax)
    fits = list(fits)
    labels = list(labels) if labels is not None else [None] * len(fits)
    curves = list(curves) if curves is not None else [None] * len(fits)
    if not len(labels) == len(curves) == len(fits):
        raise ValueError(f"labels and curves need one entry per fit; got {len(labels)}, {len(curves)} for {len(fits)} fits")
    (fit_in, fit_out), (curve_in, curve_out) = FIT_STYLE["fit"], FIT_STYLE["curve"]
    fit_beyond = curve_beyond = False
    for fit, label, curve, color in zip(fits, labels, curves, resolve_palette(labels, palette)):
        ax.plot(fit.k, -np.log(fit.coverage), "o", ms=2.5, color=color, label=label)
        low, high = float(np.min(fit.k)), float(np.max(fit.k))
        k = np.geomspace(low, high, 100)
        _styled(ax, k, -fit.a * k**fit.b, color, fit_in, lw=1.2)
        if k_max is not None and k_max > high:
            k = np.geomspace(high, k_max, 50)
            _styled(ax, k, -fit.a * k**fit.b, color, fit_out, lw=1.2, alpha=EXTRAPOLATED_ALPHA)
            fit_beyond = True
        if curve is not None:
            ck, cy = np.asarray(curve[0], dtype=float), -np.log(np.asarray(curve[1], dtype=float))
            inside = ck <= high
            _styled(ax, ck[inside], cy[inside], color, curve_in, lw=1.2)
            if np.any(~inside):
                start = max(int(np.sum(inside)) - 1, 0)  # joined to the last point within the fitted k
                _styled(ax, ck[start:], cy[start:], color, curve_out, lw=1.0, alpha=EXTRAPOLATED_ALPHA)
                curve_beyond = True
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("number of samples k")
    ax.set_ylabel("-log(coverage)")
    if legend:
        keys = [(_key(fit_in), fit_label)] + ([(_key(curve_in), curve_label)] if any(c is not None for c in curves) else [])
        fit_extrapolation_label = extrapolation_label if extrapolation_label is not None else fit_extrapolation_label
        keys += [(_key(fit_out, alpha=EXTRAPOLATED_ALPHA), fit_extrapolation_label)] if fit_beyond else []
        keys += [(_key(curve_out, alpha=EXTRAPOLATED_ALPHA), curve_extrapolation_label)] if curve_beyond else []
        place_legend(ax, extra=keys, fontsize="x-small")
    return ax


def _key(dashes, **kws):
    """A black legend key for a line style (no run is drawn in the keys' colour but SmolLM2-135M, whose legend entry is a point)."""
    line = Line2D([], [], color="black", lw=1.2, **kws)
    if dashes != "-":
        line.set_dashes(dashes)
    return line


def plot_exponents(table, *, x: str, y: str = "b", by: str | None = None, ax=None, log_x: bool = True,
                   palette=None, marker: str = "o"):
    """An exponent (column ``y``, with interval columns ``y_lo``/``y_hi`` if present, drawn as error bars)
    against column ``x``: one line per value of column ``by`` (e.g. one per model across its pretraining
    checkpoints), drawn from the long table by seaborn with nothing aggregated.

    ``palette``: colours (``resolve_palette`` on the values of ``by``): model sizes for registry models.
    A row whose ``y`` is NaN (e.g. a checkpoint left out) breaks its line there: the points on either side
    are not joined.
    """
    ax = new_axes(ax)
    missing = [col for col in (x, y, by) if col is not None and col not in table.columns]
    if missing:
        raise ValueError(f"table is missing column(s) {missing}; it has {list(table.columns)}")
    table = table.assign(_by=table[by] if by is not None else "").sort_values(x, kind="stable")
    groups = list(dict.fromkeys(table["_by"]))
    colors = dict(zip(groups, resolve_palette(groups if by is not None else [None], palette)))
    gap = table[y].isna().groupby(table["_by"], sort=False).cumsum()  # a new segment after each left-out row
    table = table.assign(_seg=list(zip(table["_by"], gap)))
    segments = list(dict.fromkeys(table.loc[table[y].notna(), "_seg"]))
    first = {name: next(seg for seg in segments if seg[0] == name) for name in dict.fromkeys(seg[0] for seg in segments)}
    draw_series(ax, table, x=x, y=y, series="_seg", colors={seg: colors[seg[0]] for seg in segments},
                labels={seg: seg[0] if first[seg[0]] == seg else "_" + str(seg[0]) for seg in segments},
                marker=marker, linewidth=1.2, markeredgewidth=0)
    table = table[table[y].notna()]
    if f"{y}_lo" in table.columns and f"{y}_hi" in table.columns:
        for name in groups:
            g = table[table["_by"] == name]
            err = np.abs(np.vstack([g[y] - g[f"{y}_lo"], g[f"{y}_hi"] - g[y]]))
            ax.errorbar(g[x], g[y], yerr=err, fmt="none", ecolor=colors[name], elinewidth=1, capsize=2)
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    if by is not None:
        place_legend(ax, fontsize="x-small")
    return ax


def plot_backtest(table, *, ax=None, label: str | None = None):
    """Predicted vs observed coverage at the target budget, the rows as given: the marker by estimator
    (:data:`BACKTEST_MARKERS`), the colour by m (samples the fit saw, in order of ``sequential_palette``).

    The Beta's squares are hollow and drawn larger than the filled markers of the other estimators, so a
    forecast that coincides with another stays visible around it. ``label``: a column (e.g. "model") whose
    value is written once at each distinct observed coverage, just above the diagonal, so that each column
    of points names its backtest.

    ``table`` is the output of ``ttslib.backtest.backtest`` (rows of several models may be stacked).
    """
    missing = {"observed", "predicted", "estimator", "m", *([label] if label is not None else [])} - set(table.columns)
    if missing:
        raise ValueError(f"table is missing column(s) {sorted(missing)}; pass ttslib.backtest.backtest's output")
    ax = new_axes(ax, figsize=(4.5, 4))
    sizes = sorted(table["m"].unique())
    colors = dict(zip(sizes, sequential_palette(len(sizes))))
    estimators = list(dict.fromkeys(table["estimator"]))
    for est in estimators:
        marker = BACKTEST_MARKERS.get(est, "X")
        hollow = est == "beta"
        for size in sizes:
            g = table[(table["estimator"] == est) & (table["m"] == size)]
            if len(g):
                ax.scatter(g["observed"], g["predicted"], marker=marker, s=70 if hollow else 24, linewidths=1.1,
                           facecolors="none" if hollow else colors[size], edgecolors=colors[size], alpha=0.9, zorder=2 + (not hollow))
    numbered = []
    if label is not None:  # each column of points numbered near the bottom (staggered in three rows), the numbers keyed in the legend
        for i, (observed, g) in enumerate(table.groupby("observed", sort=True), start=1):
            ax.annotate(str(i), (observed, 0.03 + 0.045 * ((i - 1) % 3)), fontsize="xx-small", ha="center", va="bottom", color="dimgray")
            ax.axvline(observed, color="lightgray", lw=0.6, zorder=0)
            numbered.append((Line2D([], [], ls=""), f"{i}: " + " / ".join(dict.fromkeys(map(str, g[label])))))
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel("observed coverage")
    ax.set_ylabel("predicted coverage")
    keys = [(Line2D([], [], ls="", marker="s", color=colors[size], ms=6), f"m = {size:g}") for size in sizes]
    keys += [(Line2D([], [], ls="", marker=BACKTEST_MARKERS.get(est, "X"), ms=8 if est == "beta" else 5, color="black",
                     markerfacecolor="none" if est == "beta" else "black"), est) for est in estimators]
    place_legend(ax, [], [], extra=keys + numbered, fontsize="x-small")
    return ax
