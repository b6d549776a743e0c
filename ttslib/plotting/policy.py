"""Compute-optimal policy figures (notebook 04): accuracy per bin, the chosen policy, held-out vs
optimistic accuracy and the efficiency multiple. Each draws what ``ttslib.policy`` returns; strategies
keep their fixed colours (``ttslib.plotting.style``)."""

from __future__ import annotations

import numpy as np
import seaborn as sns
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter
from matplotlib.transforms import ScaledTranslation, blended_transform_factory

from ttslib.plotting import new_axes
from ttslib.plotting._draw import (PLUGIN_ALPHA, PLUGIN_DASHES, distinguish_markers, draw_runs, draw_series, integer_log2_ticks,
                                   limits_per_series, log_axis, measured_masks, place_legend, plugin_key, wrap_label)
from ttslib.plotting.style import STRATEGIES, resolve_palette, strategy_key, strategy_label, strategy_marker, strategy_order, strategy_palette
from ttslib.policy.strategy import Strategy

__all__ = ["KIND_STYLE", "strategy_palette", "plot_bin_curves", "plot_policy_map", "plot_policy_evaluation", "plot_efficiency"]

_POLICY, _SINGLE = STRATEGIES["compute_optimal"][1], STRATEGIES["single"][1]
KIND_STYLE = {  # kind in PolicyEvaluation.summary -> (label, colour, dashes: "" solid)
    "optimistic": ("compute-optimal, chosen on the same problems", _POLICY, (1.5, 1.5)),
    "held_out": ("compute-optimal, held-out folds", _POLICY, ""),
    "single": ("best single strategy, held-out folds", _SINGLE, ""),
    "single_optimistic": ("best single strategy, same problems", _SINGLE, (1.5, 1.5)),
    "held_out - single": ("held-out policy minus best single strategy (paired)", _POLICY, ""),
}


def plot_bin_curves(curves, *, ax=None, palette=None, x: str = "cost", band: bool = True, xlabel: str = "cost per problem",
                    budget: str = "n", measured_x_max=None, plugin_label: str = "plug-in beyond the measured range",
                    legend: bool = True):
    """Accuracy vs ``x`` of each strategy, from rows of ``ttslib.policy.bin_curves`` (pass one bin's rows),
    drawn by seaborn with nothing aggregated; the band is the rows' ``lower`` and ``upper`` (the bootstrap
    band over the bin's problems that ``bin_curves`` gives). Legend labels are the strategies' display
    labels (``strategy_label``).

    A line (and band) joins two rows of one strategy only where no other strategy of the table has a
    ``budget`` (column, default ``"n"``; the x column where the table has no such column) strictly
    between them (``_draw.join_runs``, the rule of ``plot_selection``): a search run at N = 4, 16, 64
    beside sampling rules at every power of two is drawn as markers with their intervals as vertical
    bars. Each strategy has its fixed marker shape (``style.strategy_marker``), and one whose point lies on
    an earlier strategy's is drawn hollow (``_draw.distinguish_markers``: beam search and DVTS at N = 4
    stay both visible).

    Parameters
    ----------
    measured_x_max : number, or mapping strategy -> number, or sequence (one per strategy, in legend
        order), optional. The largest ``x`` that was measured; past it (plug-in values) a strategy's
        line is dashed and faded, from its last x at or below the limit on, and the legend has an entry
        ``plugin_label``. None: every row is measured.
    legend : put the legend beside the axes (``_draw.place_legend``; ``figure_legend`` gathers a grid's)
    """
    ax = new_axes(ax)
    palette = palette or strategy_palette(curves["strategy"])
    order = strategy_order(curves["strategy"])
    if band and not {"lower", "upper"} <= set(curves.columns):
        raise ValueError(f"curves needs columns 'lower' and 'upper' for the band (ttslib.policy.bin_curves); got {list(curves.columns)}")
    if budget not in curves.columns:
        budget = x
    table = curves.iloc[np.argsort(curves["strategy"].map(order.index).to_numpy(), kind="stable")]
    limits = limits_per_series(measured_x_max, order, "measured_x_max")
    measured, plugin = measured_masks(table[x].astype(float), table["strategy"], limits)
    labels = {s: strategy_label(s) for s in order}
    bands = {"lower": "lower" if band else None, "upper": "upper" if band else None}
    runs = draw_runs(ax, table[measured], x=x, y="accuracy", series="strategy", budget=budget, colors=palette,
                     labels=labels, band_alpha=0.12, marker="o", markersize=3.5, markeredgewidth=0, linewidth=1.3, **bands)
    distinguish_markers(ax, runs, markers={s: strategy_marker(s) for s in runs if strategy_key(s)})
    has_measured = set(runs)
    beyond = table[plugin & table["accuracy"].notna()]
    drawn = draw_series(ax, beyond, x=x, y="accuracy", series="strategy", colors=palette,
                        labels={s: (labels[s] if s not in has_measured else "_plug-in") for s in order},
                        dashes={s: PLUGIN_DASHES for s in order}, linewidth=1.1, alpha=PLUGIN_ALPHA, band_alpha=0.05, **bands)
    log_axis(ax, "x")
    ax.set_xlabel(wrap_label(ax, xlabel))  # within the panel: side by side, labels never run into each other
    ax.set_ylabel("accuracy")
    if legend:
        place_legend(ax, extra=[plugin_key(plugin_label)] if any(len(line.get_xdata()) > 1 for line in drawn) else [])
    return ax


def plot_policy_map(choices, *, ax=None, palette=None, column: str = "grid_n", annotate: bool = True,
                    xlabel: str = "reference n", ylabel: str = "difficulty bin"):
    """Heatmap (``sns.heatmap``) of the chosen strategy per bin (rows) and grid point (columns: the
    reference's n, or ``column="max_cost"``), from rows of ``ttslib.policy.choose_policy`` (e.g.
    ``PolicyEvaluation.choices`` of one fold); each cell has the strategy's fixed colour and, with
    ``annotate``, names the chosen strategy's own n."""
    ax = new_axes(ax)
    palette = palette or strategy_palette(choices["strategy"])
    names = strategy_order(palette)
    cells = choices.assign(code=choices["strategy"].map(names.index), text=choices["n"].map("{:g}".format))
    codes = cells.pivot(index="bin", columns=column, values="code")
    codes.columns = [f"{c:g}" for c in codes.columns]
    text = cells.pivot(index="bin", columns=column, values="text") if annotate else None
    sns.heatmap(codes, ax=ax, cmap=ListedColormap([palette[s] for s in names]), vmin=-0.5, vmax=len(names) - 0.5,
                annot=text.to_numpy() if annotate else False, fmt="", cbar=False, linewidths=0.5, linecolor="white",
                annot_kws={"fontsize": "x-small"})
    used = [s for s in names if s in set(choices["strategy"])]
    ax.legend([Patch(color=palette[s]) for s in used], [strategy_label(s) for s in used], fontsize="small",
              loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_xlabel(wrap_label(ax, xlabel))  # within the panel: side by side, labels never run into each other
    ax.set_ylabel(ylabel)
    return ax


def plot_policy_evaluation(summary, *, ax=None, kinds=("optimistic", "held_out", "single"), x: str = "n",
                           bands=("held_out", "single", "held_out - single"), xlabel: str = "reference n", legend: bool = True):
    """Accuracy vs the grid (``x``: the reference's n, or "max_cost") of the compute-optimal policy (held-out and optimistic) and of the best single
    strategy, from ``PolicyEvaluation.summary`` (a long table; seaborn draws it with nothing aggregated);
    the kinds in ``bands`` get their given bootstrap intervals over problems. Pass
    ``kinds=("held_out - single",)`` for the paired gain, drawn with a line at 0. Styles: :data:`KIND_STYLE`."""
    ax = new_axes(ax)
    table = summary[summary["kind"].isin(kinds)]
    table = table.iloc[np.argsort(table["kind"].map(list(kinds).index).to_numpy(), kind="stable")]
    shaded = table["kind"].isin(bands).to_numpy()
    table = table.assign(lower=table["lower"].where(shaded), upper=table["upper"].where(shaded))
    fallback = dict(zip(kinds, resolve_palette(kinds, "colorblind")))
    style = {k: KIND_STYLE.get(k, (k, fallback[k], "")) for k in kinds}
    draw_series(ax, table, x=x, y="accuracy", series="kind", colors={k: v[1] for k, v in style.items()},
                labels={k: v[0] for k, v in style.items()}, dashes={k: v[2] for k, v in style.items()},
                lower="lower", upper="upper", band_alpha=0.12, marker="o", markersize=3, markeredgewidth=0, linewidth=1.5)
    if "held_out - single" in kinds:
        ax.axhline(0.0, color="0.5", lw=0.8)
    integer_log2_ticks(ax, table[x].to_numpy())
    ax.set_xlabel(wrap_label(ax, xlabel))  # within the panel: side by side, labels never run into each other
    ax.set_ylabel("accuracy" if "held_out - single" not in kinds else "accuracy difference")
    if legend:
        place_legend(ax)
    return ax


def plot_efficiency(tables, *, ax=None, x: str = "n", reference: float | None = 4.0,
                    reference_label: str = "Snell et al.: ~4x vs best-of-N (arXiv:2408.03314)", xlabel: str = "reference n",
                    palette=None):
    """Efficiency multiple vs the grid (``x``) with its bootstrap interval, one series per ``efficiency_multiple``
    table in the mapping ``tables`` (key: the baseline :class:`ttslib.policy.Strategy`, or a label; value: a
    table with an ``x`` column). Points where the baseline never reaches the accuracy are marked (^, open) at their ``bound`` (the multiple is more than that), those
    below the baseline's range (v, open) at theirs (less than that), each with its interval; without a
    ``bound`` column they sit on the top or bottom edge. An interval whose upper end is "not reached" is
    drawn to the top edge. The legend goes below the axes, where no interval crosses it; a series keyed by a
    baseline strategy is labelled ``"vs <its label>"`` and has its colour."""
    ax = new_axes(ax)
    finite = [t[c].to_numpy(float) for t in tables.values() for c in ("multiple", "lower", "upper", "bound") if c in t.columns]
    values = np.concatenate(finite + [np.array([1.0, reference or 1.0])])
    values = values[np.isfinite(values) & (values > 0)]
    bottom, top = values.min() / 1.6, values.max() * 1.6
    edge = blended_transform_factory(ax.transData, ax.transAxes)
    colors = resolve_palette(list(tables), palette)
    for i, ((label, t), color) in enumerate(zip(tables.items(), colors)):
        shift = 2 ** (0.06 * (i - (len(tables) - 1) / 2))  # side by side on a log2 axis
        xs = t[x].to_numpy(float) * shift
        ok = t["status"].to_numpy() == "reached"
        lo = np.clip(t["lower"].to_numpy(float), bottom / 1e3, None)  # 0 and inf run past the edges
        hi = np.clip(t["upper"].to_numpy(float), None, top * 1e3)
        ax.vlines(xs[ok], lo[ok], hi[ok], color=color, lw=1.2)
        shown = f"vs {strategy_label(label)}" if isinstance(label, Strategy) else str(label)  # "vs best-of-N (confidence)"
        ax.plot(xs[ok], t["multiple"].to_numpy(float)[ok], "o", color=color, label=shown)
        bound = t["bound"].to_numpy(float) if "bound" in t.columns else np.full(len(t), np.nan)
        for status, y, marker, words in (("not reached", 0.97, "^", "not reached: more than"), ("below baseline range", 0.03, "v", "below range: less than")):
            hit = t["status"].to_numpy() == status
            at = hit & np.isfinite(bound)  # at its bound (the multiple lies beyond it), with its interval
            ax.vlines(xs[at], lo[at], hi[at], color=color, lw=1.2, alpha=0.5)
            ax.plot(xs[at], bound[at], marker, color=color, mfc="none", label=f"{shown}: {words}" if at.any() else None)
            edge_only = hit & ~np.isfinite(bound)  # no bound known: marked on the edge
            ax.plot(xs[edge_only], np.full(edge_only.sum(), y), marker, color=color, transform=edge, mfc="none", clip_on=False,
                    label=f"{shown}: {status}" if edge_only.any() else None)
    ax.axhline(1.0, color="0.5", lw=0.8)
    if reference is not None:
        ax.axhline(reference, color="0.2", ls="--", lw=1, label=reference_label)
    integer_log2_ticks(ax, np.concatenate([t[x].to_numpy(float) for t in tables.values()]))
    ax.set_yscale("log", base=2)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_ylim(bottom, top)
    ax.set_xlabel(wrap_label(ax, xlabel))  # within the panel: side by side, labels never run into each other
    ax.set_ylabel("compute the baseline needs / policy's")
    # below the x label (however many lines it wraps to): no interval crosses it, no tick label under it
    below = ScaledTranslation(0, -(ax.xaxis.label.get_size() * 1.25 * (1 + ax.get_xlabel().count("\n")) + 22) / 72,
                              ax.figure.dpi_scale_trans)
    ax.legend(fontsize="x-small", loc="upper center", bbox_to_anchor=(0.5, 0.0), bbox_transform=ax.transAxes + below,
              frameon=False)
    return ax
