"""Selection figures (notebook 03): accuracy of selection rules vs the number of samples n."""

from __future__ import annotations

import numpy as np

from ttslib.plotting import new_axes
from ttslib.plotting._draw import draw_series, integer_log2_ticks, place_legend, series_table
from ttslib.plotting.style import STRATEGIES, strategy_key, strategy_label, strategy_palette

__all__ = ["RULE_LABELS", "plot_selection"]

RULE_LABELS = {key: STRATEGIES[key][0] for key in ("oracle", "best_of_n", "majority", "weighted")}  # rule -> label
ORACLE_DASHES = (4, 2)  # pass@n, the upper bound of any selector, is dashed


def _runs(n, grid) -> np.ndarray:
    """Run number of each of a curve's budgets ``n`` (sorted): a new run starts where some budget of
    ``grid`` lies strictly between two consecutive ones, so a line never passes a budget the curve lacks."""
    n = np.asarray(n, dtype=float)
    between = [np.any((grid > a) & (grid < b)) for a, b in zip(n[:-1], n[1:])]
    return np.concatenate([[0], np.cumsum(between)]).astype(int) if n.size else np.zeros(0, dtype=int)


def plot_selection(curves, *, ax=None, labels=None, colors=None, band: bool = True, legend: bool = True):
    """Accuracy vs n on a log2 axis, one series per ``ttslib.selection.SelectionCurve``, drawn from a long
    table by seaborn (nothing aggregated), each with its band.

    Each rule has its fixed colour (``ttslib.plotting.style.strategy_color``: best-of-N the same blue in
    every notebook); oracle curves (pass@n) are dashed and grey; Monte Carlo curves get "(MC)" in their
    default label. The band is the curve's own (bootstrap over problems, widened by the Monte Carlo error
    where there is one). Every measured n has a marker. A line (and band) joins two measured budgets of
    one curve only where no other curve of the figure has a budget between them: a search run at N = 4,
    16, 64 beside sampling rules at every power of two is drawn as markers with their intervals as
    vertical bars, and nothing is drawn at N = 8 or 32 where it was not run.

    Parameters
    ----------
    curves : sequence of ``SelectionCurve``
    labels : sequence of str, optional, one per curve (default: the rule's label, ``strategy_label``)
    colors : sequence of colors, optional, one per curve (default: the rule's colour)
    legend : add the legend, beside the axes (``_draw.place_legend``)
    """
    ax = new_axes(ax)
    curves = list(curves)
    if labels is None:
        labels = [strategy_label(c.rule) + (" (MC)" if c.method == "monte_carlo" else "") for c in curves]
    labels = list(labels)
    if len(labels) != len(curves):
        raise ValueError(f"labels must have one entry per curve; got {len(labels)} labels for {len(curves)} curves")
    if colors is None:
        palette = strategy_palette([c.rule for c in curves])  # fixed colours; a rule the kit does not know gets another
        colors = [palette[c.rule] for c in curves]
    colors = list(colors)
    if len(colors) != len(curves):
        raise ValueError(f"colors must have one entry per curve; got {len(colors)} colors for {len(curves)} curves")
    table = series_table([c.n for c in curves], [c.accuracy for c in curves],
                         [c.lower for c in curves] if band else None, [c.upper for c in curves] if band else None)
    table = table.sort_values(["series", "x"], kind="stable")
    grid = np.unique(table["x"].to_numpy())
    run = np.concatenate([_runs(g["x"], grid) for _, g in table.groupby("series", sort=False)]) if len(table) else []
    table = table.assign(curve=table["series"], series=list(zip(table["series"], run)))  # one series per run of a curve
    keys = list(dict.fromkeys(table["series"]))
    first = {key: key == next(k for k in keys if k[0] == key[0]) for key in keys}  # the run that carries the label
    alone = set(table["series"].value_counts().loc[lambda c: c == 1].index)  # runs of one budget: a marker and a bar
    dashes = {key: ORACLE_DASHES if strategy_key(curves[key[0]].rule) == "oracle" else "" for key in keys}
    lines = draw_series(ax, table, x="x", y="y", series="series", colors={key: colors[key[0]] for key in keys},
                        labels={key: labels[key[0]] if first[key] else "_nolegend_" for key in keys},
                        lower="lower" if band else None, upper="upper" if band else None, dashes=dashes,
                        linewidth=1.5, marker="o", markersize=3.5, markeredgewidth=0)
    for line, key in zip(lines, [k for k in keys if table.loc[table["series"] == k, "y"].notna().any()]):
        if key in alone:
            line.set_linestyle("none")
            if band:
                row = table[table["series"] == key].iloc[0]
                ax.vlines(row["x"], row["lower"], row["upper"], color=colors[key[0]], lw=1.2, alpha=0.6)
    integer_log2_ticks(ax, table["x"].to_numpy())
    ax.set_xlabel("number of samples n")
    ax.set_ylabel("accuracy")
    if legend:
        place_legend(ax)
    return ax
