"""Selection figures (notebook 03): accuracy of selection rules vs the number of samples n."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FixedLocator, NullLocator

from ttslib.plotting import new_axes

__all__ = ["RULE_LABELS", "plot_selection"]

RULE_LABELS = {
    "oracle": "pass@n (oracle)",
    "best_of_n": "best-of-N",
    "majority": "majority vote",
    "weighted": "weighted best-of-N",
}


def plot_selection(curves, *, ax=None, labels=None, colors=None, band: bool = True, cmap: str = "tab10"):
    """Accuracy vs n on a log2 axis, one line per ``ttslib.selection.SelectionCurve``.

    Oracle curves (pass@n, the upper bound of any selector) are drawn dashed in grey; Monte Carlo
    curves get "(MC)" in their default label. ``band`` fills each curve's band (bootstrap over
    problems, widened by the Monte Carlo error where there is one).

    Parameters
    ----------
    curves : sequence of ``SelectionCurve``
    labels : sequence of str, optional, one per curve (default: the rule's name)
    colors : sequence of colors, optional, one per curve (default: ``cmap``, oracle in grey)
    """
    ax = new_axes(ax)
    curves = list(curves)
    if labels is None:
        labels = [RULE_LABELS.get(c.rule, c.rule) + (" (MC)" if c.method == "monte_carlo" else "") for c in curves]
    labels = list(labels)
    if len(labels) != len(curves):
        raise ValueError(f"labels must have one entry per curve; got {len(labels)} labels for {len(curves)} curves")
    if colors is None:
        palette = iter(plt.get_cmap(cmap).colors)
        colors = ["0.4" if c.rule == "oracle" else next(palette) for c in curves]
    colors = list(colors)
    if len(colors) != len(curves):
        raise ValueError(f"colors must have one entry per curve; got {len(colors)} colors for {len(curves)} curves")
    for curve, label, color in zip(curves, labels, colors):
        style = "--" if curve.rule == "oracle" else "-"
        ax.plot(curve.n, curve.accuracy, style, color=color, label=label, lw=1.5, marker="o", ms=3)
        if band:
            ax.fill_between(curve.n, curve.lower, curve.upper, color=color, alpha=0.15, lw=0)
    ax.set_xscale("log", base=2)
    ticks = np.unique(np.concatenate([np.asarray(c.n) for c in curves])) if curves else np.array([1])
    if ticks.size > 12:  # too many to label: powers of two only
        ticks = ticks[np.log2(ticks) == np.round(np.log2(ticks))]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticklabels([str(int(t)) for t in ticks])
    ax.set_xlabel("number of samples n")
    ax.set_ylabel("accuracy")
    ax.legend(fontsize="small", frameon=False)
    return ax
