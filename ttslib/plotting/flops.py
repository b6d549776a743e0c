"""FLOPs figures (notebook 05): per-token cost, scores on a FLOPs axis, the iso-FLOPs frontier, the exchange.

Every function draws what ``ttslib.flops`` (or ``ttslib.coverage``) returned; none computes. Lines are
drawn by seaborn from long tables with nothing aggregated (``_draw.draw_series``); models get their
fixed size colours and strategies theirs (``ttslib.plotting.style``).
"""

from __future__ import annotations

import numpy as np

from ttslib.plotting import new_axes
from ttslib.plotting._draw import DODGE, distinguish_markers, draw_runs, draw_series, log_axis, place_legend, series_table
from ttslib.plotting.style import model_spec, model_color, resolve_palette, size_order, strategy_key, strategy_marker

__all__ = ["plot_flops_per_token", "plot_vs_flops", "plot_frontier", "plot_exchange"]

HLINE_DASHES = [(5, 2), (1.5, 1.5), (6, 1.5, 1.5, 1.5), (3, 3)]  # reference lines of plot_exchange, in order
FAMILY_DASHES = ["", (4, 1.5), (1.2, 1.2), (5, 1.5, 1.2, 1.5)]  # line style per model family, in order of appearance


def _labels(labels, n: int) -> list:
    labels = list(labels) if labels is not None else [None] * n
    if len(labels) != n:
        raise ValueError(f"labels must have one entry per line; got {len(labels)} labels for {n} lines")
    return labels


def plot_flops_per_token(positions, values, *, ax=None, ylabel: str = "forward FLOPs per token / 2N", palette=None,
                         families=None):
    """One line per model of a per-token quantity against the context position (log x).

    Parameters
    ----------
    positions : array_like, shape (T,)
    values : mapping of label -> array_like, shape (T,), e.g. ``flops_per_token(m, positions) / (2 N)``
    palette : colours (``resolve_palette``); default: each model's size colour
    families : mapping of label -> family name, optional; each family gets its own line style, so two
        models of one size from different families stay apart
    """
    ax = new_axes(ax)
    labels = list(values)
    for label in labels:
        if np.shape(values[label]) != np.shape(positions):
            raise ValueError(f"values[{label!r}] has shape {np.shape(values[label])}; expected {np.shape(positions)} like positions")
    table = series_table([positions] * len(labels), [values[label] for label in labels])
    kinds = list(dict.fromkeys((families or {}).get(label) for label in labels))
    dashes = {i: FAMILY_DASHES[kinds.index((families or {}).get(label)) % len(FAMILY_DASHES)] for i, label in enumerate(labels)}
    draw_series(ax, table, x="x", y="y", series="series", colors=dict(enumerate(resolve_palette(labels, palette))),
                labels=dict(enumerate(labels)), dashes=dashes if families else None, linewidth=1.5)
    ax.set_xscale("log")
    ax.set_xlabel("context position t (tokens attended)")
    ax.set_ylabel(ylabel)
    place_legend(ax)
    return ax


def plot_vs_flops(flops, values, *, lower=None, upper=None, labels=None, ax=None, ylabel: str = "coverage (pass@k)",
                  xlabel: str = "inference FLOPs per problem", palette=None, log_y: bool = False,
                  marker=None, linestyle: str = "-", budgets=None):
    """Scores against FLOPs on a log x axis, one line per run, with an optional band.

    Parameters
    ----------
    flops, values : sequences of array_like, each of shape (K,): a run's cost and score at K budgets
    lower, upper : sequences of array_like (K,), optional, e.g. ``CoverageCurve.lower``/``.upper``
    labels : sequence of str, optional, one per run
    palette : colours (``resolve_palette``); default: model sizes when every label names a registry model,
        strategy colours when every label names a strategy, else the kit's sequential palette
    budgets : sequence of array_like (K,), optional, one per run: the budget (number of samples N, or k)
        of each point. Given, a run's points are joined only where no other run has a budget strictly
        between them (the rule of ``plot_selection``, ``_draw.join_runs``): a search run at N = 4, 16, 64
        beside sampling rules at every N is drawn as markers, each with its interval (``lower``..``upper``)
        as a vertical bar, and such markers alone at one x (within 2 %) are set apart sideways, the j-th
        later one at x * 1.06^j (``_draw.DODGE``); each run then has its own marker shape (a label that
        names a strategy: its fixed ``style.strategy_marker``), and a run with a point on an earlier run's
        is drawn hollow (``_draw.distinguish_markers``). None: each run is one line through its points.
    """
    ax = new_axes(ax)
    flops, values = list(flops), list(values)
    if len(flops) != len(values):
        raise ValueError(f"flops and values must have one entry per run; got {len(flops)} and {len(values)}")
    labels = _labels(labels, len(values))
    for x, y in zip(flops, values):
        if np.shape(x) != np.shape(y):
            raise ValueError(f"a run's flops and values differ in shape: {np.shape(x)} vs {np.shape(y)}")
    band = lower is not None and upper is not None
    if log_y:  # a score of 0 has no place on a log axis: not drawn (a run at 0 everywhere draws nothing, and is not listed)
        values = [np.where(np.asarray(v, dtype=float) > 0, v, np.nan) for v in values]
    table = series_table(flops, values, lower if band else None, upper if band else None)
    colors = dict(enumerate(resolve_palette(labels, palette)))
    bands = {"lower": "lower" if band else None, "upper": "upper" if band else None}
    if budgets is None:
        draw_series(ax, table, x="x", y="y", series="series", colors=colors, labels=dict(enumerate(labels)),
                    band_alpha=0.2, linewidth=1.5, marker=marker, markersize=4, markeredgewidth=0, linestyle=linestyle, **bands)
    else:
        budgets = list(budgets)
        if len(budgets) != len(values) or any(np.shape(b) != np.shape(v) for b, v in zip(budgets, values)):
            raise ValueError(f"budgets must have one array per run, each of its run's shape; got shapes "
                             f"{[np.shape(b) for b in budgets]} for runs of shapes {[np.shape(v) for v in values]}")
        table = table.assign(budget=np.concatenate([np.asarray(b, dtype=float) for b in budgets]) if budgets else [])
        runs = draw_runs(ax, table, x="x", y="y", series="series", budget="budget", colors=colors,
                         labels=dict(enumerate(labels)), band_alpha=0.2, linewidth=1.5, marker=marker or "o", markersize=4,
                         markeredgewidth=0, linestyle=linestyle, dodge=DODGE, **bands)
        distinguish_markers(ax, runs, markers={i: strategy_marker(label) for i, label in enumerate(labels)
                                               if label is not None and strategy_key(label)})
    log_axis(ax, "x")
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if any(label is not None for label in labels):
        place_legend(ax)
    return ax


def plot_frontier(table, *, ax=None, palette=None, xlabel: str = "target coverage",
                  ylabel: str = "inference FLOPs per problem to reach it", legend: bool = True):
    """FLOPs each model needs to reach each target (lines, drawn by seaborn from the long table), the
    cheapest model per target (grey envelope).

    ``table`` is ``ttslib.flops.iso_flops_frontier``'s output: columns ``target, model, k, flops, cheapest``.
    Every row is a marker (a model that reaches one target only is a marker alone); the models are drawn,
    and listed, in order of size (``style.size_order``).
    ``palette``: colours per model (``resolve_palette``); default: each model's size colour.
    """
    missing = {"target", "model", "flops", "cheapest"} - set(table.columns)
    if missing:
        raise ValueError(f"table is missing column(s) {sorted(missing)}; pass iso_flops_frontier's output")
    ax = new_axes(ax)
    models = size_order(dict.fromkeys(table["model"]))
    table = table.iloc[np.argsort(table["model"].map(models.index).to_numpy(), kind="stable")]
    draw_series(ax, table, x="target", y="flops", series="model", colors=dict(zip(models, resolve_palette(models, palette))),
                linewidth=1.2, alpha=0.9, marker="o", markersize=3.5, markeredgewidth=0)
    best = table[table["cheapest"]].sort_values("target", kind="stable")
    ax.plot(best["target"], best["flops"], color="black", lw=2.5, alpha=0.35, label="cheapest (frontier)", zorder=0)
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if legend:
        place_legend(ax)
    return ax


def plot_exchange(x, lines, *, ax=None, xlabel: str = "R = D_inf / D_pre", ylabel: str = "test-time compute multiplier M",
                  mark_x=(), hlines=None, log_y: bool = True, palette=None, hline_palette=None):
    """Lines against the inference-to-pretraining token ratio R (log x), as in arXiv:2408.03314 Sec. 7.

    Parameters
    ----------
    x : array_like, shape (X,)
    lines : mapping of label -> array_like (X,)
    mark_x : values of x to mark with dotted vertical lines (e.g. Snell et al.'s R = 0.16, 0.79, 22)
    hlines : mapping of label -> y, optional; horizontal reference lines (e.g. the large model each small
        model is matched against), each in a dash pattern of its own (:data:`HLINE_DASHES`, in order), so
        two at nearly one height stay visible; coloured by the model the label names (``model_color``:
        "pythia-6.9b, 1 sample" in pythia-6.9b's colour), else in the colour of the i-th line
    palette : colours of the lines (``resolve_palette``); default by the labels
    hline_palette : colours of the horizontal lines (``resolve_palette`` on their labels), overriding the default
    """
    ax = new_axes(ax)
    labels = list(lines)
    for label in labels:
        if np.shape(lines[label]) != np.shape(x):
            raise ValueError(f"lines[{label!r}] has shape {np.shape(lines[label])}; expected {np.shape(x)} like x")
    colors = resolve_palette(labels, palette)
    draw_series(ax, series_table([x] * len(labels), [lines[label] for label in labels]), x="x", y="y", series="series",
                colors=dict(enumerate(colors)), labels=dict(enumerate(labels)), linewidth=1.5)
    refs = list(hlines or {})
    if hline_palette is not None:
        ref_colors = resolve_palette(refs, hline_palette)
    else:  # the model a label names (model_color), else the colour of the line in its place
        ref_colors = [model_color(label) if model_spec(label) is not None else colors[i % len(colors)] if colors else "0.3"
                      for i, label in enumerate(refs)]
    for i, (label, color) in enumerate(zip(refs, ref_colors)):
        line = ax.axhline(hlines[label], color=color, lw=1.1, label=label)
        line.set_dashes(HLINE_DASHES[i % len(HLINE_DASHES)])  # two lines at nearly one height stay told apart
    for value in mark_x:
        ax.axvline(value, color="grey", ls=":", lw=1)
    ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    place_legend(ax)
    return ax

