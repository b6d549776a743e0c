"""FLOPs figures (notebook 05): per-token cost, scores on a FLOPs axis, the iso-FLOPs frontier, the exchange.

Every function draws what ``ttslib.flops`` (or ``ttslib.coverage``) returned; none computes.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

from ttslib.plotting import new_axes

__all__ = ["plot_flops_per_token", "plot_vs_flops", "plot_frontier", "plot_exchange"]


def _colors(cmap: str, n: int):
    return plt.get_cmap(cmap)(np.linspace(0.0, 0.9, max(n, 1)))


def _labels(labels, n: int) -> list:
    labels = list(labels) if labels is not None else [None] * n
    if len(labels) != n:
        raise ValueError(f"labels must have one entry per line; got {len(labels)} labels for {n} lines")
    return labels


def plot_flops_per_token(positions, values, *, ax=None, ylabel: str = "forward FLOPs per token / 2N", cmap: str = "viridis"):
    """One line per model of a per-token quantity against the context position (log x).

    Parameters
    ----------
    positions : array_like, shape (T,)
    values : mapping of label -> array_like, shape (T,), e.g. ``flops_per_token(m, positions) / (2 N)``
    """
    ax = new_axes(ax)
    for (label, y), color in zip(values.items(), _colors(cmap, len(values))):
        if np.shape(y) != np.shape(positions):
            raise ValueError(f"values[{label!r}] has shape {np.shape(y)}; expected {np.shape(positions)} like positions")
        ax.plot(positions, y, color=color, label=label, lw=1.5)
    ax.set_xscale("log")
    ax.set_xlabel("context position t (tokens attended)")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize="small", frameon=False)
    return ax


def plot_vs_flops(flops, values, *, lower=None, upper=None, labels=None, ax=None, ylabel: str = "coverage (pass@k)",
                  xlabel: str = "inference FLOPs per problem", cmap: str = "viridis", log_y: bool = False,
                  marker=None, linestyle: str = "-"):
    """Scores against FLOPs on a log x axis, one line per run, with an optional band.

    Parameters
    ----------
    flops, values : sequences of array_like, each of shape (K,): a run's cost and score at K budgets
    lower, upper : sequences of array_like (K,), optional, e.g. ``CoverageCurve.lower``/``.upper``
    labels : sequence of str, optional, one per run
    """
    ax = new_axes(ax)
    flops, values = list(flops), list(values)
    if len(flops) != len(values):
        raise ValueError(f"flops and values must have one entry per run; got {len(flops)} and {len(values)}")
    labels = _labels(labels, len(values))
    bands = list(zip(lower, upper)) if lower is not None and upper is not None else [None] * len(values)
    for x, y, band, label, color in zip(flops, values, bands, labels, _colors(cmap, len(values))):
        if np.shape(x) != np.shape(y):
            raise ValueError(f"a run's flops and values differ in shape: {np.shape(x)} vs {np.shape(y)}")
        ax.plot(x, y, color=color, label=label, lw=1.5, marker=marker, ls=linestyle, ms=4)
        if band is not None:
            ax.fill_between(x, band[0], band[1], color=color, alpha=0.2, lw=0)
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())  # no crowded minor labels on short ranges ...
    low, high = ax.get_xlim()
    if high / low < 100:  # ... but a few evenly spaced labelled ticks when the axis spans under two decades
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.2g}".replace("e+", "e")))
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if any(label is not None for label in labels):
        ax.legend(fontsize="small", frameon=False)
    return ax


def plot_frontier(table, *, ax=None, cmap: str = "viridis", xlabel: str = "target coverage",
                  ylabel: str = "inference FLOPs per problem to reach it", legend: bool = True):
    """FLOPs each model needs to reach each target (lines), the cheapest model per target (black envelope).

    ``table`` is ``ttslib.flops.iso_flops_frontier``'s output: columns ``target, model, k, flops, cheapest``.
    """
    missing = {"target", "model", "flops", "cheapest"} - set(table.columns)
    if missing:
        raise ValueError(f"table is missing column(s) {sorted(missing)}; pass iso_flops_frontier's output")
    ax = new_axes(ax)
    models = list(dict.fromkeys(table["model"]))
    for model, color in zip(models, _colors(cmap, len(models))):
        rows = table[table["model"] == model]
        ax.plot(rows["target"], rows["flops"], color=color, label=model, lw=1.2, alpha=0.8)
    best = table[table["cheapest"]].sort_values("target")
    ax.plot(best["target"], best["flops"], color="black", lw=2.5, alpha=0.35, label="cheapest (frontier)", zorder=0)
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if legend:
        ax.legend(fontsize="small", frameon=False)
    return ax


def plot_exchange(x, lines, *, ax=None, xlabel: str = "R = D_inf / D_pre", ylabel: str = "test-time compute multiplier M",
                  mark_x=(), hlines=None, log_y: bool = True, cmap: str = "plasma"):
    """Lines against the inference-to-pretraining token ratio R (log x), as in arXiv:2408.03314 Sec. 7.

    Parameters
    ----------
    x : array_like, shape (X,)
    lines : mapping of label -> array_like (X,)
    mark_x : values of x to mark with dotted vertical lines (e.g. Snell et al.'s R = 0.16, 0.79, 22)
    hlines : mapping of label -> y, optional; horizontal reference lines (dashed, same colour order)
    """
    ax = new_axes(ax)
    colors = _colors(cmap, len(lines))
    for (label, y), color in zip(lines.items(), colors):
        if np.shape(y) != np.shape(x):
            raise ValueError(f"lines[{label!r}] has shape {np.shape(y)}; expected {np.shape(x)} like x")
        ax.plot(x, y, color=color, label=label, lw=1.5)
    for (label, y), color in zip((hlines or {}).items(), colors):
        ax.axhline(y, color=color, ls="--", lw=1, label=label)
    for value in mark_x:
        ax.axvline(value, color="grey", ls=":", lw=1)
    ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize="small", frameon=False)
    return ax
