"""Sequential-against-parallel figures (notebook 07): each split of a budget into parallel chains and
sequential rounds, self-repair against resampling, and budget forcing's curve. They draw tables made in the
notebook from ``ttslib.sequential`` and ``ttslib.forcing``; nothing is computed here.

A split p x r is a marker whose shape says r (1 round: parallel, a circle; more rounds: a triangle, square,
diamond) with its interval as a bar; splits are not joined, since no split lies between two others. Measured
curves (resampling's pass@k at each k drawn, forcing at each cap of its ladder) are lines through their points.
"""

from __future__ import annotations

from ttslib.plotting import new_axes
from ttslib.plotting._draw import integer_log2_ticks, place_legend

__all__ = ["ROUND_MARKERS", "plot_splits", "plot_repair", "plot_forcing"]

ROUND_MARKERS = {1: "o", 2: "^", 3: "s", 4: "D", 5: "v", 6: "P", 8: "X"}
_COLOURS = {"none": "#0072b2", "checker": "#d55e00", "tests": "#009e73"}


def _marker(r: int) -> str:
    return ROUND_MARKERS.get(int(r), "h")


def plot_splits(table, *, x: str = "tokens", ax=None, legend: bool = True, xlabel: str | None = None):
    """Accuracy against ``x`` ("tokens", "flops" or "attempts") for every split: rows with columns ``feedback``,
    ``p``, ``r``, ``accuracy``, ``lower``, ``upper`` and ``x``. Colour: the feedback; marker: the rounds r."""
    need = {"feedback", "p", "r", "accuracy", "lower", "upper", x}
    if not need <= set(table.columns):
        raise ValueError(f"table needs columns {sorted(need)}; got {list(table.columns)}")
    ax = new_axes(ax, figsize=(6, 4))
    for (fb, r), rows in table.groupby(["feedback", "r"], sort=True):
        colour = _COLOURS.get(fb, "#444444")
        ax.errorbar(rows[x], rows["accuracy"], yerr=[rows["accuracy"] - rows["lower"], rows["upper"] - rows["accuracy"]],
                    fmt=_marker(r), color=colour, markerfacecolor="none", markersize=7, markeredgewidth=1.3,
                    linestyle="none", capsize=2,
                    label=f"{'blind' if fb == 'none' else fb + ' feedback'}, {r} round{'s' if r > 1 else ''} per chain")
    if x == "attempts":
        ax.set_xscale("log", base=2)
        integer_log2_ticks(ax, table[x])  # tokens and FLOPs of one budget's splits lie close: a linear axis shows them
    ax.set_xlabel(xlabel or {"tokens": "generated tokens per problem", "flops": "forward FLOPs per problem",
                             "attempts": "attempts per problem (p chains x r rounds)"}.get(x, x))
    ax.set_ylabel("accuracy (majority over the p chains)")
    if legend:
        place_legend(ax)
    return ax


def plot_repair(resampling, repair, *, ax=None, legend: bool = True):
    """Pass rate against generated tokens: ``resampling`` (columns ``tokens``, ``rate``, ``lower``, ``upper``: pass@k
    of the pool at each k, a line with a band) and ``repair`` (columns ``p``, ``r``, ``tokens``, ``rate``,
    ``lower``, ``upper``: self-repair chains, markers by r)."""
    ax = new_axes(ax, figsize=(6, 4))
    res = resampling.sort_values("tokens", kind="stable")
    ax.plot(res["tokens"], res["rate"], color="#444444", marker=".", label="resampling: pass@k of the pool")
    ax.fill_between(res["tokens"], res["lower"], res["upper"], color="#444444", alpha=0.15, linewidth=0)
    for r, rows in repair.groupby("r", sort=True):
        ax.errorbar(rows["tokens"], rows["rate"], yerr=[rows["rate"] - rows["lower"], rows["upper"] - rows["rate"]],
                    fmt=_marker(r), color=_COLOURS["tests"], markerfacecolor="none", markersize=7, markeredgewidth=1.3,
                    linestyle="none", capsize=2, label=f"self-repair, {r} round{'s' if r > 1 else ''} per chain")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("generated tokens per problem")
    ax.set_ylabel("pass rate (hidden tests)")
    if legend:
        place_legend(ax)
    return ax


def plot_forcing(caps, ends, *, ax=None, legend: bool = True):
    """Accuracy against generated tokens (reasoning and forced answer) per chain: ``caps`` (columns ``tokens``,
    ``accuracy``, ``lower``, ``upper``, ``budget``: the answer forced at each cap, a line through the ladder) and
    ``ends`` (columns ``waits``, ``tokens``, ``accuracy``, ``lower``, ``upper``: the answer at the model's end
    after j "Wait"s, markers, over the chains that reached it)."""
    ax = new_axes(ax, figsize=(6, 4))
    caps = caps.sort_values("budget", kind="stable")
    ax.errorbar(caps["tokens"], caps["accuracy"], yerr=[caps["accuracy"] - caps["lower"], caps["upper"] - caps["accuracy"]],
                color="#0072b2", marker="o", capsize=2, label="cap: answer forced at each budget")
    for _, row in caps.iterrows():
        ax.annotate(f"{int(row['budget'])}", (row["tokens"], row["accuracy"]), textcoords="offset points", xytext=(4, -10),
                    fontsize=7, color="#0072b2")
    ax.errorbar(ends["tokens"], ends["accuracy"], yerr=[ends["accuracy"] - ends["lower"], ends["upper"] - ends["accuracy"]],
                color="#cc79a7", marker="D", linestyle="none", markerfacecolor="none", capsize=2,
                label='extend: answer at the end after j "Wait"s')
    for _, row in ends.iterrows():
        ax.annotate(f"j={int(row['waits'])}", (row["tokens"], row["accuracy"]), textcoords="offset points", xytext=(4, 4),
                    fontsize=7, color="#cc79a7")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("generated tokens per chain (mean)")
    ax.set_ylabel("accuracy")
    if legend:
        place_legend(ax)
    return ax
