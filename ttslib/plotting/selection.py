"""Selection figures (notebook 03): accuracy of selection rules vs the number of samples n."""

from __future__ import annotations

from ttslib.plotting import new_axes
from ttslib.plotting._draw import DODGE, distinguish_markers, draw_runs, integer_log2_ticks, place_legend, series_table
from ttslib.plotting.style import STRATEGIES, strategy_key, strategy_label, strategy_marker, strategy_palette

__all__ = ["RULE_LABELS", "plot_selection"]

RULE_LABELS = {key: STRATEGIES[key][0] for key in ("oracle", "best_of_n", "majority", "weighted")}  # rule -> label
ORACLE_DASHES = (4, 2)  # pass@n, the upper bound of any selector, is dashed


def plot_selection(curves, *, ax=None, labels=None, colors=None, band: bool = True, legend: bool = True):
    """Accuracy vs n on a log2 axis, one series per ``ttslib.selection.SelectionCurve``, drawn from a long
    table by seaborn (nothing aggregated), each with its band.

    Each rule has its fixed colour (``ttslib.plotting.style.strategy_color``: best-of-N the same blue in
    every notebook); oracle curves (pass@n) are dashed and grey; Monte Carlo curves get "(MC)" in their
    default label. The band is the curve's own (bootstrap over problems, widened by the Monte Carlo error
    where there is one). Every measured n has a marker. A line (and band) joins two measured budgets of
    one curve only where no other curve of the figure has a budget between them: a search run at N = 4,
    16, 64 beside sampling rules at every power of two is drawn as markers with their intervals as
    vertical bars, and nothing is drawn at N = 8 or 32 where it was not run. Such markers alone that share
    an n (beam search and DVTS at N = 16) are set apart sideways, the j-th later one at n * 1.06^j
    (``_draw.DODGE``), with their bars, so that none hides another. Each rule has its fixed marker shape
    (``style.strategy_marker``; a rule the kit does not know takes another), and a curve with a point on an
    earlier curve's is drawn hollow (``_draw.distinguish_markers``).

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
    dashes = {i: ORACLE_DASHES if strategy_key(c.rule) == "oracle" else "" for i, c in enumerate(curves)}
    runs = draw_runs(ax, table, x="x", y="y", series="series", budget="x", colors=dict(enumerate(colors)),
                     labels=dict(enumerate(labels)), lower="lower" if band else None, upper="upper" if band else None,
                     dashes=dashes, linewidth=1.5, marker="o", markersize=3.5, markeredgewidth=0, dodge=DODGE)
    distinguish_markers(ax, runs, markers={i: strategy_marker(c.rule) for i, c in enumerate(curves) if strategy_key(c.rule)})
    integer_log2_ticks(ax, table["x"].to_numpy())
    ax.set_xlabel("number of samples n")
    ax.set_ylabel("accuracy")
    if legend:
        place_legend(ax)
    return ax
