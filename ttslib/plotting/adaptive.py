"""Adaptive-budget figures (notebook 06): each rule's accuracy against what it spends, beside majority vote
at fixed budgets and the oracle bound, and the same per difficulty bin. They draw the tables of
``ttslib.adaptive.summary``; nothing is computed here.

Each rule family has a fixed colour and marker (:data:`RULE_STYLE`), apart from the strategy colours of
``ttslib.plotting.style``: fixed-budget majority vote keeps majority vote's green and square, the oracle
bound a dark grey star. A rule's settings are points of one family, drawn as markers
with their Monte Carlo error as bars (a line joins only the fixed budgets, measured at each n drawn).
"""

from __future__ import annotations

import numpy as np

from ttslib.plotting import new_axes
from ttslib.plotting._draw import integer_log2_ticks, place_legend
from ttslib.plotting.style import STRATEGIES, STRATEGY_MARKERS

__all__ = ["RULE_STYLE", "plot_adaptive", "plot_adaptive_bins"]

RULE_STYLE = {  # rule family (ttslib.adaptive.summary.RULE_NAMES) -> (colour, marker)
    "majority vote, fixed n": (STRATEGIES["majority"][1], STRATEGY_MARKERS["majority"]),
    "oracle bound": ("#555555", "*"),  # a dark grey star: not the circle of pass@n (the oracle of notebooks 00-05)
    "ESC": ("#d55e00", "<"),
    "Adaptive-Consistency": ("#56b4e9", ">"),
    "shortest majority vote": ("#b8a000", "d"),
    "DeepConf offline": ("#332288", "P"),
    "DeepConf online": ("#aa4499", "X"),  # a purple-magenta, far from majority vote's green
    "two-stage budget": ("#661100", "8"),
}
_FIXED = "majority vote, fixed n"


def _style(rule: str):
    if rule not in RULE_STYLE:
        raise ValueError(f"rule {rule!r} has no style; RULE_STYLE knows {list(RULE_STYLE)}")
    return RULE_STYLE[rule]


def plot_adaptive(table, *, x: str = "samples", ax=None, label_settings: bool = False, legend: bool = True,
                  xlabel: str | None = None):
    """Mean accuracy against mean ``x`` ("samples" or "tokens") per problem, one point per rule setting (rows of
    ``ttslib.adaptive.summary.results_table``): fixed-budget majority vote as a line through its measured
    budgets, every other rule as markers with bars of +-2 Monte Carlo standard errors (both axes), one colour and
    marker per family (its settings are points of that style; ``label_settings`` writes them beside the points,
    which crowds where settings land close together). x on a log2 axis."""
    if x not in ("samples", "tokens"):
        raise ValueError(f"x must be 'samples' or 'tokens'; got {x!r}")
    need = {"rule", "settings", "accuracy", x, "accuracy_se", f"{x}_se"}
    if not need <= set(table.columns):
        raise ValueError(f"table needs columns {sorted(need)} (results_table); got {list(table.columns)}")
    ax = new_axes(ax, figsize=(6, 4))
    fixed = table[table["rule"] == _FIXED].sort_values(x, kind="stable")
    if len(fixed):
        colour, marker = _style(_FIXED)
        ax.plot(fixed[x], fixed["accuracy"], color=colour, marker=marker, label=_FIXED, zorder=2)
    for rule, rows in table[table["rule"] != _FIXED].groupby("rule", sort=False):
        colour, marker = _style(rule)
        ax.errorbar(rows[x], rows["accuracy"], xerr=2 * rows[f"{x}_se"], yerr=2 * rows["accuracy_se"], fmt=marker,
                    color=colour, markersize=7, markerfacecolor="none", markeredgewidth=1.3, linestyle="none", label=rule,
                    zorder=3, elinewidth=0.8)  # hollow: points on one spot, or on the fixed-budget line, stay visible
        if label_settings:
            for _, r in rows.iterrows():
                if r["settings"]:
                    ax.annotate(r["settings"], (r[x], r["accuracy"]), xytext=(4, 3), textcoords="offset points",
                                fontsize="xx-small", color=colour)
    ax.set_xscale("log", base=2)
    if x == "samples":
        integer_log2_ticks(ax, table[x].to_numpy(dtype=float))
    ax.set_xlabel(xlabel or f"expected {x} per problem")
    ax.set_ylabel("expected accuracy")
    if legend:
        place_legend(ax)
    return ax


def plot_adaptive_bins(table, *, x: str = "bin", y: str = "samples", ax=None, legend: bool = True, xlabel: str = "difficulty bin",
                       ylabel: str | None = None):
    """Mean ``y`` ("samples", "tokens" or "accuracy") per bin for each rule setting (rows of
    ``ttslib.adaptive.summary.by_bin``), bars of +-2 Monte Carlo standard errors; points of one setting
    joined across bins in bin order, each bin measured. Series are dodged a little along x so that bars
    stay apart."""
    need = {"rule", "settings", x, y, f"{y}_se"}
    if not need <= set(table.columns):
        raise ValueError(f"table needs columns {sorted(need)} (by_bin); got {list(table.columns)}")
    ax = new_axes(ax, figsize=(6, 4))
    bins = sorted(table[x].unique().tolist())
    pos = {b: i for i, b in enumerate(bins)}
    series = list(dict.fromkeys(zip(table["rule"], table["settings"])))
    width = 0.6 / max(len(series), 1)
    for j, (rule, settings) in enumerate(series):
        rows = table[(table["rule"] == rule) & (table["settings"] == settings)].copy()
        rows["_x"] = rows[x].map(pos) + (j - (len(series) - 1) / 2) * width
        rows = rows.sort_values("_x", kind="stable")
        colour, marker = _style(rule)
        label = f"{rule} ({settings})" if settings else rule
        ax.errorbar(rows["_x"], rows[y], yerr=2 * rows[f"{y}_se"], fmt=marker + "-", color=colour, markersize=5,
                    linewidth=0.9, elinewidth=0.8, label=label)
    ax.set_xticks(np.arange(len(bins)), [str(b) for b in bins])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel or f"expected {y} per problem")
    if legend:
        place_legend(ax)
    return ax
