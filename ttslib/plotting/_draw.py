"""Drawing helpers shared by the ``plot_*`` functions: lines with given bands from a long table, log
axes whose tick labels stay readable, and the rounding of drawn coordinates that ``savefig`` applies.
They draw values as given and compute no statistic."""

from __future__ import annotations

import itertools
import textwrap

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon, Rectangle
from matplotlib.text import Annotation, Text
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter, NullLocator

from ttslib.plotting.style import size_order


def draw_series(ax, table: pd.DataFrame, *, x: str, y: str, series: str, colors: dict, labels: dict | None = None,
                lower: str | None = None, upper: str | None = None, dashes: dict | None = None,
                band_alpha: float = 0.15, **line_kws) -> list:
    """One line per value of column ``series`` of the long ``table`` (in order of first appearance), drawn
    by ``sns.lineplot`` with ``estimator=None`` and ``errorbar=None``: the points are the table's rows as
    given, sorted by ``x``, never aggregated or bootstrapped. Columns ``lower``/``upper`` (given, e.g. a
    bootstrap band computed upstream) are filled between in the line's colour. Rows with a NaN in ``x`` or
    ``y`` are not drawn.

    ``colors``, ``labels`` (legend text; default the series value) and ``dashes`` (``""`` solid or a
    (dash, gap) tuple; default solid) are dicts keyed by series value. Returns the new Line2D, one per series.
    """
    missing = [c for c in (x, y, series, lower, upper) if c is not None and c not in table.columns]
    if missing:
        raise ValueError(f"table is missing column(s) {missing}; it has {list(table.columns)}")
    table = table[table[x].notna() & table[y].notna()]
    order = list(dict.fromkeys(table[series]))
    ids = {s: f"series {i}" for i, s in enumerate(order)}  # string ids: seaborn treats them as categories
    data = table.assign(_series=table[series].map(ids))
    start = len(ax.lines)
    if order:
        style = {"style": "_series", "style_order": list(ids.values()),
                 "dashes": {ids[s]: (dashes or {}).get(s, "") for s in order}} if dashes else {}
        sns.lineplot(data=data, x=x, y=y, hue="_series", hue_order=list(ids.values()),
                     palette={ids[s]: colors[s] for s in order}, estimator=None, errorbar=None, sort=True,
                     legend=False, ax=ax, **style, **line_kws)
    lines = ax.lines[start:]
    if len(lines) != len(order):
        raise RuntimeError(f"seaborn drew {len(lines)} lines for {len(order)} series")
    for line, s in zip(lines, order):
        line.set_label(str((labels or {}).get(s, s)))
        g = table[table[series] == s].sort_values(x, kind="stable")
        if lower is not None and upper is not None and len(g) > 1:  # a band of one point has no width: nothing
            ax.fill_between(g[x], g[lower], g[upper], color=colors[s], alpha=band_alpha, lw=0)
    return lines


# One marker shape per series of a figure, in order: two series with a point in one place stay told apart
SERIES_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")
PLUGIN_DASHES = (4, 2)  # a curve past its measured range (plug-in values) is dashed and faded
PLUGIN_ALPHA = 0.55
DODGE = 1.06  # markers alone sharing an x on a log axis (two search runs at one N): the j-th later one at x * 1.06^j


def join_runs(budgets, grid) -> np.ndarray:
    """Run number of each of a series' ``budgets`` (sorted ascending): a new run starts where some budget
    of ``grid`` (every series' budgets in the figure) lies strictly between two consecutive ones, so a
    line never passes a budget the series lacks. A run of one budget is drawn as a marker alone."""
    budgets = np.asarray(budgets, dtype=float)
    grid = np.asarray(grid, dtype=float)
    between = [np.any((grid > a) & (grid < b)) for a, b in zip(budgets[:-1], budgets[1:])]
    return np.concatenate([[0], np.cumsum(between)]).astype(int) if budgets.size else np.zeros(0, dtype=int)


def dodge_factors(xs, ranks, factor: float, *, rtol: float = 0.02) -> np.ndarray:
    """Multipliers that set apart points sharing an x: point i is moved to ``xs[i] * factor**j``, j the
    number of distinct ``ranks`` (series, in figure order) below its own with a point at an x within
    ``rtol`` of ``xs[i]``. The first series at an x stays where it was measured; on a log x axis every
    later one sits a fixed distance to the right of the one before (``factor`` 1.06: 6 % of x)."""
    xs, ranks = np.asarray(xs, dtype=float), np.asarray(ranks)
    if xs.shape != ranks.shape or xs.ndim != 1:
        raise ValueError(f"xs and ranks must be 1-d of one length; got shapes {xs.shape} and {ranks.shape}")
    if not factor > 0:
        raise ValueError(f"factor must be > 0; got {factor!r}")
    near = np.isclose(xs[:, None], xs[None, :], rtol=rtol, atol=0)  # (K, K) points that share an x
    below = near & (ranks[None, :] < ranks[:, None])
    j = np.array([np.unique(ranks[row]).size for row in below], dtype=float)
    return factor**j


def draw_runs(ax, table: pd.DataFrame, *, x: str, y: str, series: str, budget: str, colors: dict,
              labels: dict | None = None, lower: str | None = None, upper: str | None = None,
              dashes: dict | None = None, band_alpha: float = 0.15, dodge: float | None = None, **line_kws) -> dict:
    """:func:`draw_series` with a series' points joined only where no other series of ``table`` has a
    budget (column ``budget``, e.g. the number of samples N; it may differ from ``x``, e.g. FLOPs) strictly
    between them (:func:`join_runs`); each run is a line of its own, with its band. A run of one point is
    a marker, with its interval (``lower``..``upper``) as a vertical bar. The series' legend label goes on
    its first run. ``colors``, ``labels`` and ``dashes`` are keyed by series value. Returns
    ``{series value: [Line2D of each run]}`` in order of first appearance.

    ``dodge`` (a factor, for a log x axis; None: no dodge): markers alone that share an x (within 2 %)
    with a marker alone of an earlier series are set apart, the j-th later one drawn at ``x * dodge**j``
    with its bar (:func:`dodge_factors`), so that neither marker nor bar hides another. Points of lines
    are not moved."""
    table = table[table[x].notna() & table[y].notna()]
    table = table.iloc[np.lexsort((table[budget].to_numpy(float), table[series].map(
        {s: i for i, s in enumerate(dict.fromkeys(table[series]))}).to_numpy()))]
    grid = np.unique(table[budget].to_numpy(float))
    run = np.concatenate([join_runs(g[budget], grid) for _, g in table.groupby(series, sort=False)]) if len(table) else []
    table = table.assign(_run=list(zip(table[series], run)))
    keys = list(dict.fromkeys(table["_run"]))
    first = {key: key == next(k for k in keys if k[0] == key[0]) for key in keys}  # the run that carries the label
    alone = set(table["_run"].value_counts().loc[lambda c: c == 1].index)
    if dodge is not None and alone:
        lone = table["_run"].isin(alone).to_numpy()
        rank = table[series].map({s: i for i, s in enumerate(dict.fromkeys(table[series]))}).to_numpy()
        moved = table[x].to_numpy(float).copy()
        moved[lone] *= dodge_factors(moved[lone], rank[lone], dodge)
        table = table.assign(**{x: moved})
    lines = draw_series(ax, table, x=x, y=y, series="_run", colors={k: colors[k[0]] for k in keys},
                        labels={k: str((labels or {}).get(k[0], k[0])) if first[k] else "_nolegend_" for k in keys},
                        lower=lower, upper=upper, dashes={k: (dashes or {}).get(k[0], "") for k in keys} if dashes else None,
                        band_alpha=band_alpha, **line_kws)
    out = {}
    for line, key in zip(lines, keys):
        out.setdefault(key[0], []).append(line)
        if key in alone:
            line.set_linestyle("none")
            row = table[table["_run"] == key].iloc[0]
            if lower is not None and upper is not None and np.isfinite([row[lower], row[upper]]).all():
                ax.vlines(row[x], row[lower], row[upper], color=colors[key[0]], lw=1.2, alpha=0.6)
    return out


def distinguish_markers(ax, runs: dict, *, edge_width: float = 1.0, markers: dict | None = None) -> dict:
    """Give each series of ``runs`` (``{series: [Line2D, ...]}``, as :func:`draw_runs` returns, in figure
    order) its marker shape, and draw a series hollow (face ``"none"``, edge in its colour) where one of
    its points lies on a point of an earlier series (x within 2 % of each other, y within 1 % of the axes'
    y range), so that a covered marker stays visible around the one above it. Returns ``{series: marker}``.

    ``markers`` maps a series to its fixed shape (``style.strategy_marker``: a strategy has one shape in
    every figure); a series it does not give (or gives None) takes the next of :data:`SERIES_MARKERS`
    that no series of the figure has, in order."""
    seen = []  # (x, y) arrays of the earlier series
    ys = [np.asarray(line.get_ydata(), dtype=float) for lines in runs.values() for line in lines]
    finite = np.concatenate([v[np.isfinite(v)] for v in ys]) if ys else np.zeros(0)
    span = float(finite.max() - finite.min()) if finite.size > 1 else 1.0
    tol = 0.01 * (span if span > 0 else 1.0)
    fixed = {key: (markers or {}).get(key) for key in runs}
    free = itertools.cycle([m for m in SERIES_MARKERS if m not in fixed.values()] or SERIES_MARKERS)
    chosen = {key: fixed[key] if fixed[key] is not None else next(free) for key in runs}
    for key, lines in runs.items():
        marker = chosen[key]
        xy = [(np.asarray(line.get_xdata(), dtype=float), np.asarray(line.get_ydata(), dtype=float)) for line in lines]
        px = np.concatenate([p[0] for p in xy]) if xy else np.zeros(0)
        py = np.concatenate([p[1] for p in xy]) if xy else np.zeros(0)
        covered = any(np.any(np.isclose(px[:, None], sx[None, :], rtol=0.02, atol=0) & (np.abs(py[:, None] - sy[None, :]) <= tol))
                      for sx, sy in seen)
        for line in lines:
            line.set_marker(marker)
            if covered:
                line.set_markerfacecolor("none")
                line.set_markeredgecolor(line.get_color())
                line.set_markeredgewidth(edge_width)
        seen.append((px, py))
    return chosen


def measured_masks(x: pd.Series, series: pd.Series, limits: dict):
    """Which rows of a long table are measured and which plug-in: row i is measured if ``x[i]`` is at most
    ``limits[series[i]]`` (None or absent: no limit); the plug-in part of a series starts at its last
    measured x (so the dashed part joins the solid one) and holds every x beyond. Returns two boolean
    Series (measured, plug-in)."""
    limit = series.map(lambda s: np.inf if limits.get(s) is None else float(limits[s]))
    measured = x <= limit
    last = x.where(measured).groupby(series).transform("max")  # NaN: nothing measured
    plugin = ~measured | (x == last) & (x < x.groupby(series).transform("max"))
    return measured, plugin


def limits_per_series(value, keys, name: str) -> dict:
    """``value`` (None, one number, a sequence with one entry per key, or a mapping key -> number) as
    ``{key: limit or None}``; ``name`` is the argument's name for the error message."""
    keys = list(keys)
    if value is None or np.ndim(value) == 0 and not isinstance(value, dict):
        return {k: value for k in keys}
    if isinstance(value, dict):
        return {k: value.get(k) for k in keys}
    values = list(value)
    if len(values) != len(keys):
        raise ValueError(f"{name} must be one number or one per curve; got {len(values)} for {len(keys)} curves")
    return dict(zip(keys, values))


def plugin_key(label: str):
    """A grey legend key ``(handle, label)`` for the plug-in style (dashed, faded)."""
    return Line2D([], [], color="0.35", linewidth=1.2, alpha=PLUGIN_ALPHA, dashes=PLUGIN_DASHES), label


def draws_something(artist) -> bool:
    """False for a line with no finite (x, y) point: such a line shows nothing and gets no legend entry.
    Anything that is not a Line2D (a band, a bar, a proxy patch) counts as drawing something."""
    if not isinstance(artist, Line2D):
        return True
    x, y = (np.asarray(v, dtype=float) for v in (artist.get_xdata(orig=False), artist.get_ydata(orig=False)))
    if x.size == 0 or y.size == 0 or x.shape != y.shape:
        return x.size > 0 and y.size > 0  # axhline/axvline hold two points in mixed coordinates
    return bool(np.any(np.isfinite(x) & np.isfinite(y)))


def _has_neighbour_right(ax) -> bool:
    """Whether another visible Axes of ``ax``'s figure lies to its right at an overlapping height (a panel
    a legend beside ``ax`` would cover)."""
    box = ax.get_position()
    return any(other is not ax and other.get_visible() and other.get_position().x0 >= box.x1 - 1e-9
               and other.get_position().y0 < box.y1 and other.get_position().y1 > box.y0 for other in ax.figure.axes
               if other.get_label() != "<colorbar>")


def place_legend(ax, handles=None, labels=None, *, extra=(), where="outside", **legend_kws):
    """The legend of ``ax``, outside the data: upper left of it at the axes' upper right corner.

    ``handles``/``labels`` default to the axes' labelled artists; those that draw nothing (a line with no
    finite point, :func:`draws_something`) are left out, and ``extra`` (``(handle, label)`` pairs: keys
    for a line style, such as "plug-in beyond n") is appended. ``where="outside"`` puts it beside the axes
    unless another panel of the figure lies there (then inside, ``loc="best"``; gather the panels' legends
    into one with :func:`figure_legend`); ``"inside"`` lets matplotlib choose a corner. Returns the Legend,
    or None if there is nothing to list (an old legend of ``ax`` is then removed).
    """
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    pairs = [(h, lab) for h, lab in zip(handles, labels) if draws_something(h)] + list(extra)
    if not pairs:
        if ax.get_legend() is not None:
            ax.get_legend().remove()
        return None
    kws = {"fontsize": "small"}
    if where == "outside" and not _has_neighbour_right(ax):
        kws |= {"loc": "upper left", "bbox_to_anchor": (1.02, 1.0), "borderaxespad": 0.0}
    elif where not in ("outside", "inside"):
        raise ValueError(f"where must be 'outside' or 'inside'; got {where!r}")
    return ax.legend([h for h, _ in pairs], [lab for _, lab in pairs], **(kws | legend_kws))


def figure_legend(fig, axes=None, **legend_kws):
    """One legend for a figure of several panels, beside them on the right: the entries of every panel's
    legend (or labelled artists, where a panel has no legend) in order, each label once; the panels' own
    legends are removed. Labels that name registry models are listed by model size, smallest first
    (``style.size_order``), wherever each panel listed them. Returns the figure Legend, or None if no
    panel lists anything."""
    axes = list(axes) if axes is not None else list(fig.axes)
    entries = {}
    for ax in axes:
        legend = ax.get_legend()
        if legend is not None:
            pairs = zip(legend.legend_handles, [t.get_text() for t in legend.get_texts()])
            legend.remove()
        else:
            pairs = [(h, lab) for h, lab in zip(*ax.get_legend_handles_labels()) if draws_something(h)]
        for handle, label in pairs:
            entries.setdefault(label, handle)
    if not entries:
        return None
    entries = {label: entries[label] for label in size_order(entries)}  # model names by size, others in place
    kws = {"loc": "upper left", "bbox_to_anchor": (1.0, 0.98), "fontsize": "small", "frameon": False}
    return fig.legend(list(entries.values()), list(entries), **(kws | legend_kws))


def wrap_label(ax, text: str, which: str = "x") -> str:
    """``text`` broken into lines no wider than ``ax`` (x label) or tall (y label), at spaces, so that
    the labels of panels side by side never run into each other (an estimate from the font size:
    a character is about 0.6 of it wide)."""
    box = ax.get_position()
    width, height = ax.figure.get_size_inches()
    inches = box.width * width if which == "x" else box.height * height
    size = ax.xaxis.label.get_size() if which == "x" else ax.yaxis.label.get_size()
    chars = max(int(inches * 72 / (0.6 * size)), 10)
    return "\n".join(textwrap.wrap(text, chars)) if text and len(text) > chars else text


def series_table(xs, ys, lowers=None, uppers=None) -> pd.DataFrame:
    """Long table ``series, x, y[, lower, upper]`` of parallel sequences of arrays (one per series), for
    :func:`draw_series`; each series' arrays must share a shape."""
    xs, ys = list(xs), list(ys)
    lowers = list(lowers) if lowers is not None else None
    uppers = list(uppers) if uppers is not None else None
    parts = []
    for i, (x, y) in enumerate(zip(xs, ys)):
        cols = {"x": np.asarray(x, dtype=float), "y": np.asarray(y, dtype=float)}
        if lowers is not None and uppers is not None:
            cols |= {"lower": np.asarray(lowers[i], dtype=float), "upper": np.asarray(uppers[i], dtype=float)}
        shapes = {name: np.shape(v) for name, v in cols.items()}
        if len(set(shapes.values())) != 1 or cols["x"].ndim != 1:
            raise ValueError(f"series {i}: x, y (and bands) must be 1-d arrays of one shape; got shapes {shapes}")
        parts.append(pd.DataFrame({"series": i, **cols}))
    columns = ["series", "x", "y"] + (["lower", "upper"] if lowers is not None and uppers is not None else [])
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def log_axis(ax, which: str = "x", *, base: float = 10):
    """Log scale on ``which`` axis; minor ticks unlabelled, and where the data span under two decades
    labelled ticks at 1, 2 and 5 times each power of ten (every digit under half a decade) instead of
    matplotlib's crowded minor labels or a lone major one (call after drawing)."""
    (ax.set_xscale if which == "x" else ax.set_yscale)("log", base=base)
    axis = ax.xaxis if which == "x" else ax.yaxis
    axis.set_minor_formatter(NullFormatter())
    low, high = ax.get_xlim() if which == "x" else ax.get_ylim()
    if base == 10 and low > 0 and high / low < 100:
        subs = (1.0, 2.0, 5.0) if high / low > 10**0.5 else tuple(float(d) for d in range(1, 10))
        axis.set_major_locator(LogLocator(base=10, subs=subs))
        axis.set_major_formatter(FuncFormatter(_short_number))


def _short_number(v, _=None) -> str:
    """Tick text: 20, 500, 0.05 as they are; 2e+11 as 2e11."""
    return f"{v:g}" if 1e-3 <= abs(v) < 1e5 else f"{v:.2g}".replace("e+0", "e").replace("e+", "e")


def integer_log2_ticks(ax, values, *, which: str = "x", max_ticks: int = 12):
    """Log2 axis with a labelled tick at each of ``values`` (powers of two only if there are more than
    ``max_ticks``), written as plain integers."""
    ticks = np.unique(np.asarray(values, dtype=float)) if len(values) else np.array([1.0])
    if ticks.size > max_ticks:
        ticks = ticks[np.log2(ticks) == np.round(np.log2(ticks))]
    (ax.set_xscale if which == "x" else ax.set_yscale)("log", base=2)
    axis = ax.xaxis if which == "x" else ax.yaxis
    axis.set_major_locator(FixedLocator(ticks))
    axis.set_minor_locator(NullLocator())
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))


# Significant decimal digits kept of every drawn coordinate: a value moves by at most 5e-10 of itself.
# A figure is at most ~2,000 px wide and Agg places edges to 1/256 px, so on an axis whose values lie
# within 1,000 times its span of zero that is under 1e-3 of the finest step Agg draws: nothing visibly
# moves. Decimal digits rather than bits, so that the values a notebook writes (a limit of -1.6, a
# threshold of 0.05) stay exactly as written, and ticks at them stay on the axis. A value that differs
# from machine to machine in its last bits (a relative 1e-16 to 1e-12) rounds to the same decimal
# except when it lies that close to a rounding boundary (about one case in 10^6 to 10^2 per value).
DRAWN_DIGITS = 10
_POW10 = np.array([float(10**i) for i in range(309)])  # 10^0..10^308, exact up to 10^22, else the nearest double
_LOG10_2 = 0.30102999566398120


def round_significant(values, digits: int = DRAWN_DIGITS):
    """``values`` rounded to ``digits`` (or ``digits + 1``) significant decimal digits, ties to even.

    ``x`` in ``[2^(e-1), 2^e)`` (``np.frexp``) keeps ``p = digits - 1 - floor((e - 1) log10 2)`` decimals:
    ``round(x 10^p) / 10^p``, with the decimal exponent taken from the binary one and the powers of ten
    taken from a table, so no ``log10`` or ``pow`` of the platform enters and equal inputs round alike on
    every IEEE machine. Any value moves by at most ``5 10^-digits`` of itself. Where ``10^p`` is exact
    (``|p| <= 22``: with 10 digits, every ``|x| >= 1e-13``) the result is the double nearest to the
    rounded decimal, so a decimal of at most ``digits`` significant digits (``-1.6``, ``0.05``,
    ``1e13``) is left exactly as it is. Zero, inf, NaN, values below about ``1e-299``, integer and
    non-numeric arrays (categorical axes) pass unchanged, as does the mask of a masked array.
    Returns a new array of the input's shape.
    """
    if isinstance(digits, bool) or not isinstance(digits, (int, np.integer)) or not 1 <= digits <= 15:
        raise ValueError(f"digits must be an int in 1..15 (float64 holds 15 to 17 significant digits); got {digits!r}")
    if isinstance(values, np.ma.MaskedArray):
        return np.ma.array(round_significant(values.data, digits), mask=np.ma.getmaskarray(values))
    array = np.asarray(values)
    if not np.issubdtype(array.dtype, np.floating):
        return array.copy()
    x = array.astype(float)
    _, e = np.frexp(x)
    power = digits - 1 - np.floor((e - 1) * _LOG10_2).astype(int)
    scale = _POW10[np.minimum(np.abs(power), len(_POW10) - 1)]
    with np.errstate(all="ignore"):  # inf and NaN pass through the arithmetic and are put back below
        rounded = np.where(power >= 0, np.round(x * scale) / scale, np.round(x / scale) * scale)
    return np.where(np.isfinite(x) & (x != 0) & (np.abs(power) < len(_POW10)), rounded, x)


def round_drawn(fig, digits: int = DRAWN_DIGITS):
    """Round, in place, every coordinate ``fig`` draws from data, and every Axes' view limits, to
    ``digits`` significant decimal digits (:func:`round_significant`), so that values equal but for
    their last bits draw byte-identical files. Call it on a finished figure (``savefig`` does).

    Rounded: lines and markers (``Line2D``), scatter points (``PathCollection`` offsets), bands and
    polygons (``PolyCollection``), error bars (``LineCollection``), bars (``Rectangle``),
    ``Polygon`` patches, the positions of texts and annotations, and the view limits, fixed at their
    rounded values without changing whether the axis autoscales (a limit written in the notebook, such
    as -1.6, is left as written). Rounding twice changes nothing. Returns ``fig``.
    """
    def r(values):
        return round_significant(values, digits)

    for line in fig.findobj(Line2D):
        line.set_data(r(line.get_xdata(orig=True)), r(line.get_ydata(orig=True)))
    for collection in fig.findobj(lambda a: isinstance(a, (PolyCollection, LineCollection))):
        for path in collection.get_paths():
            path.vertices = r(path.vertices)
    for collection in fig.findobj(PathCollection):  # scatter: the markers' places are the offsets
        collection.set_offsets(r(collection.get_offsets()))
    for rect in fig.findobj(Rectangle):
        rect.set_bounds(*r([rect.get_x(), rect.get_y(), rect.get_width(), rect.get_height()]))
    for polygon in fig.findobj(Polygon):
        polygon.set_xy(r(polygon.get_xy()))
    for text in fig.findobj(Text):
        if all(isinstance(v, (float, np.floating)) for v in text.get_position()):
            text.set_position(tuple(r(text.get_position())))
        if isinstance(text, Annotation) and all(isinstance(v, (float, np.floating)) for v in text.xy):
            text.xy = tuple(r(text.xy))
    for ax in fig.axes:
        ax.set_xlim(*r(ax.get_xlim()), auto=None)
        ax.set_ylim(*r(ax.get_ylim()), auto=None)
    return fig
