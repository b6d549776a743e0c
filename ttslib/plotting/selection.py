"""Selection figures (notebook 03): accuracy of selection rules vs the number of samples n."""

from __future__ import annotations

import numpy as np

from ttslib.plotting import new_axes
from ttslib.plotting._draw import draw_series, integer_log2_ticks, series_table
from ttslib.plotting.style import STRATEGIES, strategy_key, strategy_label, strategy_palette

__all__ = ["RULE_LABELS", "plot_selection"]

RULE_LABELS = {key: STRATEGIES[key][0] for key in ("oracle", "best_of_n", "majority", "weighted")}  # rule -> label
ORACLE_DASHES = (4, 2)  # pass@n, the upper bound of any selector, is dashed
SPARSE_DASHES = (1, 2)  # dotted: a curve measured only at some budgets, between its markers


def plot_selection(curves, *, ax=None, labels=None, colors=None, band: bool = True):
    """Accuracy vs n on a log2 axis, one line per ``ttslib.selection.SelectionCurve``, drawn from a long
    table by seaborn (nothing aggregated), each with its band.

    Each rule has its fixed colour (``ttslib.plotting.style.strategy_color``: best-of-N the same blue in
    every notebook); oracle curves (pass@n) are dashed and grey; Monte Carlo curves get "(MC)" in their
    default label. The band is the curve's own (bootstrap over problems, widened by the Monte Carlo error
    where there is one). A curve measured only at some budgets (n with gaps, as search runs at N = 4, 16,
    64) is dotted between its markers, so no line reads as a value where nothing was measured.

    Parameters
    ----------
    curves : sequence of ``SelectionCurve``
    labels : sequence of str, optional, one per curve (default: the rule's label, ``strategy_label``)
    colors : sequence of colors, optional, one per curve (default: the rule's colour)
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
    # a curve measured at budgets with gaps (a search run only at N = 4, 16, 64) is dotted between its markers:
    # no value lies between them
    sparse = {i for i, c in enumerate(curves) if len(c.n) > 1 and np.any(np.diff(np.log2(np.asarray(c.n, dtype=float))) > 1)}
    dashes = {i: ORACLE_DASHES if strategy_key(c.rule) == "oracle" else SPARSE_DASHES if i in sparse else "" for i, c in enumerate(curves)}
    draw_series(ax, table, x="x", y="y", series="series", colors=dict(enumerate(colors)), labels=dict(enumerate(labels)),
                lower="lower" if band else None, upper="upper" if band else None, dashes=dashes,
                linewidth=1.5, marker="o", markersize=3, markeredgewidth=0)
    integer_log2_ticks(ax, table["x"].to_numpy())
    ax.set_xlabel("number of samples n")
    ax.set_ylabel("accuracy")
    ax.legend(fontsize="small")
    return ax
