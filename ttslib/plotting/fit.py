"""Scaling-law figures (notebook 02): power-law fits on log-log axes, exponents, and the backtest."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ttslib.plotting import new_axes

__all__ = ["plot_power_law_fits", "plot_exponents", "plot_backtest"]


def plot_power_law_fits(fits, *, ax=None, labels=None, curves=None, k_max=None, cmap: str = "viridis"):
    """``-log(coverage)`` vs k on log-log axes: data as points, the fitted ``-a k^b`` as a line.

    On these axes the exponentiated power law of arXiv:2407.21787 is a straight line of slope b
    (the view of arXiv:2502.17578, Fig. 1).

    Parameters
    ----------
    fits : sequence of ``ttslib.fit.PowerLawFit``
    labels : sequence of str, optional, one per fit
    curves : sequence of (k, coverage) array pairs or None, optional, one per fit
        Another model's coverage (e.g. a Beta fit's exact pass_D@k), drawn dashed in the fit's colour.
    k_max : draw each fitted line out to this k (an extrapolation beyond the data, drawn dotted).
    """
    ax = new_axes(ax)
    fits = list(fits)
    labels = list(labels) if labels is not None else [None] * len(fits)
    curves = list(curves) if curves is not None else [None] * len(fits)
    if not len(labels) == len(curves) == len(fits):
        raise ValueError(f"labels and curves need one entry per fit; got {len(labels)}, {len(curves)} for {len(fits)} fits")
    colors = plt.get_cmap(cmap)(np.linspace(0.0, 0.9, max(len(fits), 1)))
    for fit, label, curve, color in zip(fits, labels, curves, colors):
        ax.plot(fit.k, -np.log(fit.coverage), "o", ms=2.5, color=color, label=label)
        k = np.geomspace(1, fit.k.max(), 100)
        ax.plot(k, -fit.a * k**fit.b, color=color, lw=1.2)
        if k_max is not None and k_max > fit.k.max():
            k = np.geomspace(fit.k.max(), k_max, 50)
            ax.plot(k, -fit.a * k**fit.b, color=color, lw=1.2, ls=":")
        if curve is not None:
            ax.plot(curve[0], -np.log(curve[1]), color=color, lw=1.0, ls="--")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("number of samples k")
    ax.set_ylabel("-log(coverage)")
    if any(label is not None for label in labels):
        ax.legend(fontsize="x-small", frameon=False)
    return ax


def plot_exponents(table, *, x: str, y: str = "b", by: str | None = None, ax=None, log_x: bool = True,
                   cmap: str = "viridis", marker: str = "o"):
    """An exponent (column ``y``, with interval columns ``y_lo``/``y_hi`` if present) against column ``x``.

    One line per value of column ``by`` (e.g. one per model across its pretraining checkpoints).
    """
    ax = new_axes(ax)
    missing = [col for col in (x, y, by) if col is not None and col not in table.columns]
    if missing:
        raise ValueError(f"table is missing column(s) {missing}; it has {list(table.columns)}")
    groups = list(table.groupby(by, sort=False)) if by is not None else [(None, table)]
    colors = plt.get_cmap(cmap)(np.linspace(0.0, 0.9, max(len(groups), 1)))
    for (name, group), color in zip(groups, colors):
        group = group.sort_values(x)
        err = None
        if f"{y}_lo" in group.columns and f"{y}_hi" in group.columns:
            err = np.abs(np.vstack([group[y] - group[f"{y}_lo"], group[f"{y}_hi"] - group[y]]))
        ax.errorbar(group[x], group[y], yerr=err, marker=marker, ms=4, lw=1.2, capsize=2, color=color, label=name)
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    if by is not None:
        ax.legend(fontsize="x-small", frameon=False)
    return ax


def plot_backtest(table, *, ax=None):
    """Predicted vs observed coverage at the target budget, one marker per estimator, one colour per m.

    ``table`` is the output of ``ttslib.backtest.backtest`` (rows of several models may be stacked).
    """
    ax = new_axes(ax, figsize=(4.5, 4))
    markers = {"power law": "o", "beta": "s", "scaled beta": "^"}
    sizes = sorted(table["m"].unique())
    colors = plt.get_cmap("viridis")(np.linspace(0.1, 0.8, max(len(sizes), 1)))
    for (estimator, size), rows in table.groupby(["estimator", "m"], sort=False):
        ax.plot(rows["observed"], rows["predicted"], markers.get(estimator, "x"), ms=5, alpha=0.8,
                color=colors[sizes.index(size)], label=f"{estimator}, m = {size}")
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel("observed coverage")
    ax.set_ylabel("predicted coverage")
    ax.legend(fontsize="x-small", frameon=False, loc="lower right")
    return ax
