"""Drawing helpers shared by the ``plot_*`` functions: lines with given bands from a long table, and
log axes whose tick labels stay readable. They draw values as given and compute no statistic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter, NullLocator


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
        if lower is not None and upper is not None:
            g = table[table[series] == s].sort_values(x, kind="stable")
            ax.fill_between(g[x], g[lower], g[upper], color=colors[s], alpha=band_alpha, lw=0)
    return lines


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
