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

__all__ = ["ROUND_MARKERS", "plot_splits", "plot_splits_by_bin", "plot_repair", "plot_forcing"]

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


def plot_repair(table, *, ax=None, legend: bool = True):
    """Pass rate against generated tokens per problem, one pair of markers per (p chains, r rounds): self-repair
    (``rate``, ``lower``, ``upper``; green, marker by r) and resampling at the same tokens on each problem
    (``resampling``, ``resampling_lower``, ``resampling_upper``; grey circles, nudged right so both show), each
    labelled with its p and r. Columns: ``p``, ``r``, ``tokens`` and those."""
    need = {"p", "r", "tokens", "rate", "lower", "upper", "resampling", "resampling_lower", "resampling_upper"}
    if not need <= set(table.columns):
        raise ValueError(f"table needs columns {sorted(need)}; got {list(table.columns)}")
    ax = new_axes(ax, figsize=(6, 4))
    done = set()
    for _, row in table.iterrows():
        r = int(row["r"])
        lab = "the chains' starting samples (no repair yet)" if r == 1 else f"self-repair, {r} rounds per chain"
        ax.errorbar([row["tokens"]], [row["rate"]], yerr=[[row["rate"] - row["lower"]], [row["upper"] - row["rate"]]],
                    fmt=_marker(r), color=_COLOURS["tests"], markerfacecolor="none", markersize=7, markeredgewidth=1.3,
                    capsize=2, label=None if lab in done else lab)
        done.add(lab)
        lab = "resampling at the same tokens per problem (k joined linearly: below pass@k)"
        ax.errorbar([row["tokens"] * 1.04], [row["resampling"]],
                    yerr=[[row["resampling"] - row["resampling_lower"]], [row["resampling_upper"] - row["resampling"]]],
                    fmt="o", color="#555555", markersize=5, capsize=2, label=None if lab in done else lab)
        done.add(lab)
        ax.annotate(f"p={int(row['p'])}, r={r}", (row["tokens"], row["upper"]), textcoords="offset points", xytext=(0, 4),
                    fontsize=7, ha="center")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("generated tokens per problem (p chains x r rounds)")
    ax.set_ylabel("pass rate (hidden tests)")
    if legend:
        place_legend(ax)
    return ax


def plot_splits_by_bin(table, *, feedback: str, ax=None, legend: bool = True, xlabel: str = "difficulty bin"):
    """Accuracy per difficulty bin of each split p x r of one ``feedback`` (rows: ``bin``, ``p``, ``r``, ``accuracy``,
    ``lower``, ``upper``, bins in the order given): the feedback's colour, a marker per rounds r (as in
    :func:`plot_splits`), splits side by side within a bin."""
    need = {"bin", "p", "r", "accuracy", "lower", "upper"}
    if not need <= set(table.columns):
        raise ValueError(f"table needs columns {sorted(need)}; got {list(table.columns)}")
    ax = new_axes(ax, figsize=(6, 4))
    bins = list(dict.fromkeys(table["bin"]))
    shapes = sorted({(int(p), int(r)) for p, r in zip(table["p"], table["r"])}, key=lambda pr: pr[1])
    for k, (p, r) in enumerate(shapes):
        rows = table[(table["p"] == p) & (table["r"] == r)].set_index("bin").reindex(bins)
        x = [i + (k - (len(shapes) - 1) / 2) * 0.2 for i in range(len(bins))]
        ax.errorbar(x, rows["accuracy"], yerr=[rows["accuracy"] - rows["lower"], rows["upper"] - rows["accuracy"]],
                    fmt=_marker(r), color=_COLOURS.get(feedback, "#444444"), markerfacecolor="none", markersize=7,
                    markeredgewidth=1.3, linestyle="none", capsize=2, label=f"{p} chain{'s' if p > 1 else ''} x {r} round{'s' if r > 1 else ''}")
    ax.set_xticks(range(len(bins)), bins, rotation=30, fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("accuracy (last-round answers, majority over chains)")
    if legend:
        place_legend(ax)
    return ax


def plot_forcing(caps, ends, *, ax=None, legend: bool = True):
    """Accuracy against generated tokens (reasoning and forced answer) per chain: ``caps`` (columns ``tokens``,
    ``accuracy``, ``lower``, ``upper``, ``budget``: the answer forced at each cap, a line through the ladder) and
    ``ends`` (columns ``waits``, ``tokens``, ``accuracy``, ``lower``, ``upper``: each chain run with at most j
    "Wait"s inside the largest cap, ``ttslib.forcing.up_to_waits``, markers)."""
    ax = new_axes(ax, figsize=(6, 4))
    caps = caps.sort_values("budget", kind="stable")
    ax.errorbar(caps["tokens"], caps["accuracy"], yerr=[caps["accuracy"] - caps["lower"], caps["upper"] - caps["accuracy"]],
                color="#0072b2", marker="o", capsize=2, label="cap: answer forced at each budget")
    for _, row in caps.iterrows():
        ax.annotate(f"{int(row['budget'])}", (row["tokens"], row["accuracy"]), textcoords="offset points", xytext=(4, -10),
                    fontsize=7, color="#0072b2")
    ax.errorbar(ends["tokens"], ends["accuracy"], yerr=[ends["accuracy"] - ends["lower"], ends["upper"] - ends["accuracy"]],
                color="#cc79a7", marker="D", linestyle="none", markerfacecolor="none", capsize=2,
                label='extend: up to j "Wait"s within the largest cap')
    for _, row in ends.iterrows():
        ax.annotate(f"j={int(row['waits'])}", (row["tokens"], row["accuracy"]), textcoords="offset points", xytext=(4, 4),
                    fontsize=7, color="#cc79a7")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("generated tokens per chain (mean)")
    ax.set_ylabel("accuracy")
    if legend:
        place_legend(ax)
    return ax
