"""Compute-optimal policy figures (notebook 04): accuracy per bin, the chosen policy, held-out vs
optimistic accuracy and the efficiency multiple. Each draws what ``ttslib.policy`` returns."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch
from matplotlib.transforms import blended_transform_factory

from ttslib.plotting import new_axes

__all__ = ["strategy_palette", "plot_bin_curves", "plot_policy_map", "plot_policy_evaluation", "plot_efficiency"]

KIND_STYLE = {  # kind in PolicyEvaluation.summary -> (label, color, line style)
    "optimistic": ("compute-optimal, chosen on the same problems", "tab:red", ":"),
    "held_out": ("compute-optimal, held-out folds", "tab:red", "-"),
    "single": ("best single strategy, held-out folds", "0.3", "-"),
    "single_optimistic": ("best single strategy, same problems", "0.3", ":"),
    "held_out - single": ("held-out policy minus best single strategy (paired)", "tab:purple", "-"),
}


def strategy_palette(strategies, cmap: str = "tab10") -> dict:
    """One color per strategy name, in sorted order, so every figure colors a strategy alike."""
    colors = plt.get_cmap(cmap).colors
    return {s: colors[i % len(colors)] for i, s in enumerate(sorted(set(strategies)))}


def plot_bin_curves(curves, *, ax=None, palette=None, x: str = "cost", band: bool = True, xlabel: str = "cost per problem"):
    """Accuracy vs ``x`` of each strategy, from rows of ``ttslib.policy.bin_curves`` (pass one bin's rows);
    the band is +-1.96 standard errors over the bin's problems."""
    ax = new_axes(ax)
    palette = palette or strategy_palette(curves["strategy"])
    for strategy, g in curves.groupby("strategy", sort=True):
        g = g.sort_values(x)
        ax.plot(g[x], g["accuracy"], "-o", ms=3, lw=1.3, color=palette[strategy], label=strategy)
        if band:
            se = g["se"].fillna(0)
            ax.fill_between(g[x], g["accuracy"] - 1.96 * se, g["accuracy"] + 1.96 * se, color=palette[strategy], alpha=0.12, lw=0)
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("accuracy")
    return ax


def plot_policy_map(choices, *, ax=None, palette=None, column: str = "grid_budget", annotate: bool = True,
                    xlabel: str = "budget", ylabel: str = "difficulty bin"):
    """Heatmap (seaborn) of the chosen strategy per bin (rows) and budget (columns), from rows of
    ``ttslib.policy.choose_policy`` (e.g. ``PolicyEvaluation.choices`` of one fold); each cell is colored by
    the strategy and, with ``annotate``, names its own budget."""
    ax = new_axes(ax)
    palette = palette or strategy_palette(choices["strategy"])
    names = sorted(palette)
    cells = choices.assign(code=choices["strategy"].map(names.index), text=choices["budget"].map("{:g}".format))
    codes = cells.pivot(index="bin", columns=column, values="code")
    codes.columns = [f"{c:g}" for c in codes.columns]
    text = cells.pivot(index="bin", columns=column, values="text") if annotate else None
    sns.heatmap(codes, ax=ax, cmap=ListedColormap([palette[s] for s in names]), vmin=-0.5, vmax=len(names) - 0.5,
                annot=text.to_numpy() if annotate else False, fmt="", cbar=False, linewidths=0.5, linecolor="white",
                annot_kws={"fontsize": "x-small"})
    used = [s for s in names if s in set(choices["strategy"])]
    ax.legend([Patch(color=palette[s]) for s in used], used, fontsize="small", frameon=False,
              loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def plot_policy_evaluation(summary, *, ax=None, kinds=("optimistic", "held_out", "single"), x: str = "budget",
                           bands=("held_out", "single", "held_out - single"), xlabel: str = "budget", legend: bool = True):
    """Accuracy vs budget of the compute-optimal policy (held-out and optimistic) and of the best single
    strategy, from ``PolicyEvaluation.summary``; the kinds in ``bands`` get their bootstrap intervals over
    problems. Pass ``kinds=("held_out - single",)`` for the paired gain, drawn with a line at 0."""
    ax = new_axes(ax)
    for kind in kinds:
        g = summary[summary["kind"] == kind].sort_values(x)
        label, color, style = KIND_STYLE.get(kind, (kind, None, "-"))
        line = ax.plot(g[x], g["accuracy"], style, marker="o", ms=3, lw=1.5, color=color, label=label)[0]
        if kind in bands:
            ax.fill_between(g[x], g["lower"], g["upper"], color=line.get_color(), alpha=0.12, lw=0)
    if "held_out - single" in kinds:
        ax.axhline(0.0, color="0.5", lw=0.8)
    ax.set_xscale("log", base=2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("accuracy" if "held_out - single" not in kinds else "accuracy difference")
    if legend:
        ax.legend(fontsize="small", frameon=False)
    return ax


def plot_efficiency(tables, *, ax=None, x: str = "budget", reference: float | None = 4.0,
                    reference_label: str = "Snell et al.: ~4x vs best-of-N (arXiv:2408.03314)", xlabel: str = "budget"):
    """Efficiency multiple vs budget with its bootstrap interval, one series per ``efficiency_multiple``
    table in the mapping ``tables`` (label -> table with an ``x`` column). Budgets where the baseline never
    reaches the accuracy are marked at the top (^), those below the baseline's range at the bottom (v);
    an interval whose upper end is "not reached" is drawn to the top edge."""
    ax = new_axes(ax)
    finite = [t[c].to_numpy(float) for t in tables.values() for c in ("multiple", "lower", "upper")]
    values = np.concatenate(finite + [np.array([1.0, reference or 1.0])])
    values = values[np.isfinite(values) & (values > 0)]
    bottom, top = values.min() / 1.6, values.max() * 1.6
    edge = blended_transform_factory(ax.transData, ax.transAxes)
    for i, (label, t) in enumerate(tables.items()):
        color = plt.get_cmap("tab10")(i)
        shift = 2 ** (0.06 * (i - (len(tables) - 1) / 2))  # side by side on a log2 axis
        xs = t[x].to_numpy(float) * shift
        ok = t["status"].to_numpy() == "reached"
        lo = np.clip(t["lower"].to_numpy(float), bottom / 1e3, None)  # 0 and inf run past the edges
        hi = np.clip(t["upper"].to_numpy(float), None, top * 1e3)
        ax.vlines(xs[ok], lo[ok], hi[ok], color=color, lw=1.2)
        ax.plot(xs[ok], t["multiple"].to_numpy(float)[ok], "o", color=color, label=label)
        for status, y, marker in (("not reached", 0.97, "^"), ("below baseline range", 0.03, "v")):
            hit = t["status"].to_numpy() == status
            ax.plot(xs[hit], np.full(hit.sum(), y), marker, color=color, transform=edge, mfc="none", clip_on=False,
                    label=f"{label}: {status}" if hit.any() else None)
    ax.axhline(1.0, color="0.5", lw=0.8)
    if reference is not None:
        ax.axhline(reference, color="0.2", ls="--", lw=1, label=reference_label)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log", base=2)
    ax.set_ylim(bottom, top)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("compute the baseline needs / policy's")
    ax.legend(fontsize="x-small", frameon=False)
    return ax
