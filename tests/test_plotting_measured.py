"""Figures draw only what was measured (issue 30): one colour per run, a size palette whose nine sizes
can be told apart, no legend entry for a line that draws nothing, legends outside the data,
extrapolated and plug-in segments drawn apart, lines only between a curve's measured budgets, and
panel labels that never run into each other. Each test reads what the Axes holds (its Line2D data,
styles, legend entries and drawn extents) against an independent reference."""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_rgb

from ttslib.coverage import CoverageCurve
from ttslib.fit import PowerLawFit
from ttslib.plotting import model_color, resolve_palette, sequential_palette, strategy_color
from ttslib.plotting.style import STRATEGIES, STRATEGY_MARKERS, strategy_marker
from ttslib.plotting._draw import SERIES_MARKERS, dodge_factors, figure_legend
from ttslib.plotting.coverage import plot_coverage
from ttslib.plotting.fit import plot_power_law_fits
from ttslib.plotting.flops import plot_exchange, plot_frontier, plot_vs_flops
from ttslib.plotting.policy import plot_bin_curves, plot_efficiency, plot_policy_evaluation
from ttslib.plotting.selection import plot_selection
from ttslib.policy import Strategy, VerifierSpec
from ttslib.registry import registry
from ttslib.selection import SelectionCurve

PYTHIA = list(registry().query("family == 'Pythia'").sort_values("params")["name"])
OWN = ["SmolLM2-135M", "gemma-3-270m"]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def lab(color) -> np.ndarray:
    """CIELAB (D65) of an sRGB colour, from the CIE formulas (IEC 61966-2-1 linearisation, the sRGB
    primaries' XYZ matrix, the CIE 1976 L*a*b* transform): written here independently of the package."""
    c = np.asarray(to_rgb(color), dtype=float)
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    x, y, z = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                        [0.0193339, 0.1191920, 0.9503041]]) @ linear / np.array([0.95047, 1.0, 1.08883])
    f = [t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29 for t in (x, y, z)]
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(a, b) -> float:
    """CIE76 colour difference; about 2.3 is a just-noticeable difference, 20 or more reads as another colour."""
    return float(np.linalg.norm(lab(a) - lab(b)))


def hue(color) -> float:
    L, a, b = lab(color)
    return float(np.degrees(np.arctan2(b, a)) % 360)


def test_the_reference_colour_conversion_gives_published_values():
    # sRGB red and green in CIELAB (D65), as tabulated e.g. by Lindbloom's calculator: (53.24, 80.09, 67.20), (87.73, -86.18, 83.18)
    assert np.allclose(lab("#ff0000"), [53.24, 80.09, 67.20], atol=0.02)
    assert np.allclose(lab("#00ff00"), [87.73, -86.18, 83.18], atol=0.02)
    assert np.allclose(lab("white"), [100, 0, 0], atol=0.01)


# ---- colours: one per run, nine sizes told apart --------------------------------------------------------


MIN_DELTA_E = 30.0  # a shade of one colour map between neighbours is about 10-15; another colour is 20+
MIN_ADJACENT_DELTA_E = 35.0  # sizes drawn next to each other in a legend (and often in a figure) further apart still


def test_the_nine_pythia_sizes_are_pairwise_apart_in_hue_as_well_as_lightness():
    assert len(PYTHIA) == 9
    colors = [model_color(m) for m in PYTHIA]
    for (a, ca), (b, cb) in itertools.combinations(zip(PYTHIA, colors), 2):
        assert delta_e(ca, cb) >= MIN_DELTA_E, (a, b, delta_e(ca, cb))
    for (a, ca), (b, cb) in zip(zip(PYTHIA, colors), zip(PYTHIA[1:], colors[1:])):
        assert delta_e(ca, cb) >= MIN_ADJACENT_DELTA_E, (a, b, delta_e(ca, cb))
        turn = abs(hue(ca) - hue(cb)) % 360  # neighbours differ in hue, not only in lightness (one ramp would not)
        assert min(turn, 360 - turn) > 15, (a, b)


def test_the_kits_own_models_stand_apart_from_every_pythia_size_and_each_other():
    eleven = [model_color(m) for m in PYTHIA + OWN]
    assert min(delta_e(a, b) for a, b in itertools.combinations(eleven, 2)) >= MIN_DELTA_E
    for own in OWN:
        for size in PYTHIA:
            assert delta_e(model_color(own), model_color(size)) >= MIN_DELTA_E, (own, size)
    assert delta_e(*(model_color(m) for m in OWN)) >= MIN_DELTA_E


@pytest.mark.parametrize("n", range(2, 11))
def test_ordered_series_that_are_not_sizes_differ_between_neighbours(n):
    # checkpoints 2M..300B (9), generator levels 1-10, difficulty bins 1-5: neighbours one shade apart read as one
    colors = sequential_palette(n)
    assert len(colors) == n
    steps = [delta_e(a, b) for a, b in zip(colors, colors[1:])]
    assert min(steps) >= 20.0, steps
    assert all(lab(c)[0] < 92 for c in colors)  # nothing near the white of the axes
    assert sequential_palette(n) == colors  # a fixed function of n


def test_a_run_has_its_colour_whoever_it_is_drawn_with():
    k = np.array([1.0, 2.0, 4.0])
    curve = CoverageCurve(k, np.array([0.1, 0.2, 0.3]), np.array([0.05, 0.15, 0.25]), np.array([0.15, 0.25, 0.35]), 5, 0.95)
    companions = [["SmolLM2-135M-Instruct", "gemma-3-270m"],  # notebook 01's HumanEval pair
                  ["pythia-70m", "SmolLM2-135M", "pythia-160m", "gemma-3-270m", "pythia-410m"],  # among the sizes near them
                  ["SmolLM2-135M"]]
    seen = {}
    for labels in companions:
        ax = plot_coverage([curve] * len(labels), labels=labels, band=False)
        for line in ax.get_lines()[: len(labels)]:
            base = line.get_label().removesuffix("-Instruct")
            seen.setdefault(base, set()).add(tuple(np.round(to_rgb(line.get_color()), 6)))
    assert {base: len(colours) for base, colours in seen.items()} == {name: 1 for name in seen}
    # every route to a colour agrees: model_color, resolve_palette among other models
    assert resolve_palette(["pythia-1b", "SmolLM2-135M"])[1] == model_color("SmolLM2-135M")
    assert resolve_palette(["SmolLM2-135M", "gemma-3-270m"])[0] == model_color("SmolLM2-135M-Instruct")


def selection_curve(rule, n, acc):
    n, acc = np.asarray(n), np.asarray(acc, dtype=float)
    return SelectionCurve(rule, n, acc, acc - 0.05, acc + 0.05, np.zeros_like(acc), 10, 0.95, "exact")


def test_best_of_n_is_one_blue_with_a_verifier_record_or_without():
    # 03_own_rules passes records scored by the model's confidence, 03_synthetic_rules plain names
    n, acc = [1, 2, 4], [0.2, 0.3, 0.4]
    own = plot_selection([selection_curve(Strategy("best_of_n", VerifierSpec.confidence()), n, acc),
                          selection_curve(Strategy("weighted", VerifierSpec.confidence()), n, acc)]).get_lines()
    synthetic = plot_selection([selection_curve("best_of_n", n, acc), selection_curve("weighted", n, acc)]).get_lines()
    for a, b in zip(own[:2], synthetic[:2]):
        assert to_rgb(a.get_color()) == to_rgb(b.get_color())
    assert to_rgb(own[0].get_color()) == to_rgb(strategy_color("best_of_n"))


# ---- legends: nothing for a line that draws nothing; outside the data ---------------------------------


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_a_curve_with_no_point_on_the_axes_gets_no_line_and_no_legend_entry():
    k = np.array([1.0, 10.0, 100.0])
    zero = CoverageCurve(k, np.zeros(3), np.zeros(3), np.zeros(3), 5, 0.95)  # pythia-14m on MATH: never right
    some = CoverageCurve(k, np.array([0.01, 0.05, 0.2]), np.array([0.0, 0.02, 0.1]), np.array([0.02, 0.1, 0.3]), 5, 0.95)
    ax = plot_coverage([zero, some], labels=["pythia-14m", "pythia-1b"], log_y=True)
    assert legend_texts(ax) == ["pythia-1b"]
    assert all(np.isfinite(line.get_ydata()).any() for line in ax.get_lines())
    ax = plot_coverage([zero, some], labels=["pythia-14m", "pythia-1b"])  # on a linear axis 0 is a measured value: drawn
    assert legend_texts(ax) == ["pythia-14m", "pythia-1b"]
    ax = plot_vs_flops([k, k], [zero.coverage, some.coverage], labels=["pythia-14m", "pythia-1b"], log_y=True)
    assert legend_texts(ax) == ["pythia-1b"]
    nan = CoverageCurve(k, np.full(3, np.nan), np.full(3, np.nan), np.full(3, np.nan), 5, 0.95)
    ax = plot_coverage([nan, some], labels=["pythia-70m", "pythia-1b"])
    assert legend_texts(ax) == ["pythia-1b"]


def extent(artist, fig):
    fig.canvas.draw()
    return artist.get_window_extent(fig.canvas.get_renderer())


def test_a_single_panels_legend_lies_outside_its_axes():
    k = np.array([1.0, 10.0, 100.0])
    curves = [CoverageCurve(k, np.array([0.1, 0.5, 0.9]) * s, np.array([0.1, 0.5, 0.9]) * s * 0.9,
                            np.array([0.1, 0.5, 0.9]) * s * 1.1, 5, 0.95) for s in (0.5, 1.0)]
    fig, ax = plt.subplots(figsize=(4, 3))
    plot_coverage(curves, labels=["pythia-1b", "pythia-12b"], ax=ax)
    assert extent(ax.get_legend(), fig).x0 >= extent(ax, fig).x1
    for draw in (lambda a: plot_selection([selection_curve("best_of_n", [1, 2], [0.2, 0.3])], ax=a),
                 lambda a: plot_vs_flops([[1.0, 2.0]], [[0.1, 0.2]], labels=["pythia-1b"], ax=a)):
        fig, ax = plt.subplots(figsize=(4, 3))
        draw(ax)
        assert extent(ax.get_legend(), fig).x0 >= extent(ax, fig).x1


def test_a_legend_never_covers_a_neighbouring_panel_and_figure_legend_gathers_them_outside():
    fig, axes = plt.subplots(2, 3, figsize=(9, 5), sharex=True, sharey=True)
    curves = [selection_curve("oracle", [1, 2, 4], [0.3, 0.5, 0.6]), selection_curve(Strategy("weighted", VerifierSpec.confidence()),
                                                                                      [1, 2, 4], [0.3, 0.4, 0.45])]
    for ax in axes.flat:
        plot_selection(curves, ax=ax)
    boxes = [extent(ax, fig) for ax in axes.flat]
    for ax in axes.flat:  # each panel's own legend: never over another panel
        legend = extent(ax.get_legend(), fig)
        assert not any(legend.overlaps(box) for other, box in zip(axes.flat, boxes) if other is not ax), ax
    legend = figure_legend(fig)
    assert all(ax.get_legend() is None for ax in axes.flat)
    assert [t.get_text() for t in legend.get_texts()] == ["pass@n (oracle)", "weighted best-of-N (confidence)"]  # each label once, whole
    box = extent(legend, fig)
    assert not any(box.overlaps(b) for b in boxes) and box.x0 >= max(b.x1 for b in boxes)


# ---- plug-in and extrapolated segments drawn apart ----------------------------------------------------


def coverage(k):
    k = np.asarray(k, dtype=float)
    cov = 1 - 0.9 ** k
    return CoverageCurve(k, cov, cov * 0.9, np.minimum(cov * 1.1, 1), 5, 0.95)


def test_coverage_past_the_measured_range_is_dashed_from_the_measured_max_on_and_named():
    k = np.array([1.0, 2.0, 4.0, 8.0, 16.0, 32.0])
    ax = plot_coverage([coverage(k), coverage(k)], labels=["pythia-1b", "pythia-12b"], measured_k_max=[8, None])
    lines = ax.get_lines()
    measured = [line for line in lines if not line.get_label().startswith("_")]
    plugin = [line for line in lines if line.get_label().startswith("_")]
    assert [list(line.get_xdata()) for line in measured] == [[1, 2, 4, 8], list(k)]
    assert len(plugin) == 1 and list(plugin[0].get_xdata()) == [8, 16, 32]  # starts exactly at the measured max
    assert measured[0].get_linestyle() == "-" and plugin[0].get_linestyle() == "--"
    assert plugin[0].get_alpha() < 1 and to_rgb(plugin[0].get_color()) == to_rgb(measured[0].get_color())
    assert legend_texts(ax) == ["pythia-1b", "pythia-12b", "plug-in beyond each run's smallest n"]
    assert ax.get_legend().legend_handles[-1].get_linestyle() == "--"
    # a limit between two k: solid to the last k at or below it, dashed from there
    lines = plot_coverage([coverage(k)], labels=["pythia-1b"], measured_k_max=11).get_lines()
    assert [list(line.get_xdata()) for line in lines] == [[1, 2, 4, 8], [8, 16, 32]]
    # everything measured: one solid line each, and no key for a style that is not drawn
    ax = plot_coverage([coverage(k)], labels=["pythia-1b"], measured_k_max=32)
    assert len(ax.get_lines()) == 1 and legend_texts(ax) == ["pythia-1b"]
    with pytest.raises(ValueError, match="one per curve"):
        plot_coverage([coverage(k)], labels=["pythia-1b"], measured_k_max=[8, 16])


def power_fit(k):
    k = np.asarray(k, dtype=float)
    return PowerLawFit(a=-1.0, b=-0.3, a_interval=(-1.1, -0.9), b_interval=(-0.35, -0.25), k=k, coverage=np.exp(-k**-0.3),
                       num_problems=5, num_never_solved=1, level=0.95, boot=np.zeros((0, 2)))


def dashes(line) -> tuple:
    """A line's dash sequence as set, before matplotlib scales it by the line width (empty: solid)."""
    return tuple(line._unscaled_dash_pattern[1] or ())


def test_a_fitted_line_is_solid_over_its_k_and_dashed_beyond_as_is_a_model_curve():
    fit = power_fit([2.0, 4.0, 8.0, 16.0, 32.0])
    curve_k = np.geomspace(1, 1000, 31)
    ax = plot_power_law_fits([fit], labels=["pythia-1b"], curves=[(curve_k, np.exp(-0.9 * curve_k ** -0.25))], k_max=1000)
    points, fitted, beyond, inside, outside = ax.get_lines()
    assert np.array_equal(points.get_xdata(), fit.k) and points.get_linestyle() == "None"
    assert fitted.get_xdata()[0] == 2 and fitted.get_xdata()[-1] == 32 and fitted.get_linestyle() == "-"
    assert beyond.get_xdata()[0] == 32 and beyond.get_xdata()[-1] == 1000  # starts exactly at the fitted k's max
    assert beyond.get_linestyle() == "--" and beyond.get_alpha() < 1
    assert np.allclose(beyond.get_ydata(), -fit.a * beyond.get_xdata() ** fit.b)
    assert inside.get_xdata().max() <= 32 and inside.get_linestyle() != "-"  # the model curve within the fitted k: dotted
    assert outside.get_xdata()[0] == inside.get_xdata()[-1] and outside.get_xdata()[-1] == 1000
    assert outside.get_linestyle() == "--" and outside.get_alpha() < 1
    assert legend_texts(ax) == ["pythia-1b", "power law fit", "Beta fit", "power law beyond the fitted k", "Beta beyond the fitted k"]
    # each extrapolation key has the dashes of its line: the power law's long dashes, the curve's dash-dots
    keys = dict(zip(legend_texts(ax), ax.get_legend().legend_handles))
    assert dashes(keys["power law beyond the fitted k"]) == dashes(beyond) != dashes(outside) == dashes(keys["Beta beyond the fitted k"])
    # the Beta alone extrapolated: only its key
    ax = plot_power_law_fits([fit], labels=["pythia-1b"], curves=[(curve_k, np.exp(-0.9 * curve_k ** -0.25))])
    assert legend_texts(ax) == ["pythia-1b", "power law fit", "Beta fit", "Beta beyond the fitted k"]
    # no extrapolation asked for: no dashed line and no key for one
    ax = plot_power_law_fits([fit], labels=["pythia-1b"])
    assert [line.get_linestyle() for line in ax.get_lines()] == ["None", "-"]
    assert legend_texts(ax) == ["pythia-1b", "power law fit"]


# ---- runs are markers at their measured N; lines join only measured points of one strategy --------------


def test_a_search_run_is_drawn_only_at_the_n_it_was_run_at():
    grid = [1, 2, 4, 8, 16, 32, 64]
    search = Strategy("dvts", VerifierSpec.noisy(0.8), beam_width=4)
    curves = [selection_curve("oracle", grid, np.linspace(0.2, 0.9, 7)), selection_curve("weighted", grid, np.linspace(0.2, 0.3, 7)),
              selection_curve(search, [4, 16, 64], [0.3, 0.35, 0.41])]
    ax = plot_selection(curves)
    purple = to_rgb(strategy_color("dvts"))
    runs = [line for line in ax.get_lines() if to_rgb(line.get_color()) == purple]
    assert sorted(x for line in runs for x in line.get_xdata()) == [4, 16, 64]  # a marker at each measured N
    for line in runs:  # no line passes N = 8 or 32
        xs = np.sort(line.get_xdata())
        assert not any(np.any((np.asarray(grid) > a) & (np.asarray(grid) < b)) for a, b in zip(xs[:-1], xs[1:]))
        assert line.get_marker() not in ("None", "", " ", None)  # its own shape (distinguish_markers)
    bands = [c for c in ax.collections if isinstance(c, PolyCollection) and len(c.get_facecolor())
             and np.allclose(c.get_facecolor()[0, :3], purple)]
    for band in bands:  # no band of the search's colour spans a budget it lacks
        xs = np.concatenate([p.vertices[:, 0] for p in band.get_paths()] or [np.array([])])
        assert not np.any((xs > 4) & (xs < 16) | (xs > 16) & (xs < 64)), xs
    intervals = [c for c in ax.collections if isinstance(c, LineCollection) and np.allclose(c.get_color()[0, :3], purple)]
    assert sorted(s[0][0] for c in intervals for s in c.get_segments()) == [4, 16, 64]  # each marker with its interval
    assert legend_texts(ax).count("DVTS (noisy, AUC 0.80, M = 4)") == 1
    # alone, its budgets are the figure's: a line joins them
    line, = plot_selection([curves[2]], band=False).get_lines()
    assert list(line.get_xdata()) == [4, 16, 64] and line.get_linestyle() == "-"


# ---- labels of panels side by side never run into each other --------------------------------------------


def overlapping(texts, fig):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in texts if not hasattr(t, "get_text") or t.get_text()]
    return [(a, b) for a, b in itertools.combinations(range(len(boxes)), 2) if boxes[a].overlaps(boxes[b])]


LONG = "budget: best_of_n/noisy_auc0.80's n (compute cap: its cost there)"  # notebook 04's x label


def test_policy_panels_side_by_side_keep_their_x_labels_apart():
    summary = {"kind": np.repeat(["optimistic", "held_out", "single"], 6), "n": [1, 2, 4, 8, 16, 32] * 3,
               "accuracy": np.linspace(0.2, 0.4, 18), "lower": np.linspace(0.1, 0.3, 18), "upper": np.linspace(0.3, 0.5, 18)}
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.4), sharey=True)
    for ax in axes:
        plot_policy_evaluation(pd.DataFrame(summary), ax=ax, xlabel=LONG, legend=False)
    assert overlapping([ax.xaxis.label for ax in axes], fig) == []
    for ax in axes:
        assert overlapping(ax.get_xticklabels(), fig) == []
    eff = pd.DataFrame({"n": [1, 2, 4, 8, 16, 32], "multiple": 1.5, "lower": 1.0, "upper": 2.0, "status": "reached"})
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax in axes:
        plot_efficiency({"vs majority vote": eff, "vs weighted best-of-N": eff}, ax=ax, xlabel=LONG)
    assert overlapping([ax.xaxis.label for ax in axes], fig) == []
    for ax in axes:  # the legend below the (wrapped) label, not over it
        assert overlapping([ax.xaxis.label, ax.get_legend()], fig) == []


# ---- the same rule on a FLOPs axis and per difficulty bin; identical points stay visible ----------------

GRID = np.array([1, 2, 4, 8, 16, 32, 64], dtype=float)
SEARCH_N = np.array([4, 16, 64], dtype=float)


def passes_a_budget(line, budgets_of_line, grid):
    """Whether a drawn line joins two of its points with a budget of ``grid`` strictly between them."""
    if line.get_linestyle() in ("None", "none", ""):
        return False
    b = np.sort(budgets_of_line)
    return any(np.any((grid > lo) & (grid < hi)) for lo, hi in zip(b[:-1], b[1:]))


def test_plot_vs_flops_joins_a_run_only_between_budgets_no_other_run_lies_between():
    flops = [GRID * 1e9, SEARCH_N * 1.3e9, SEARCH_N * 1.3e9]
    acc = [GRID / 100, np.array([0.3, 0.4, 0.5]), np.array([0.3, 0.4, 0.5])]  # beam search and DVTS: one algorithm, one value
    ax = plot_vs_flops(flops, acc, lower=[a - 0.02 for a in acc], upper=[a + 0.02 for a in acc], budgets=[GRID, SEARCH_N, SEARCH_N],
                       labels=["best-of-N", "beam search", "DVTS"], ylabel="accuracy")
    by_colour = {s: [line for line in ax.get_lines() if to_rgb(line.get_color()) == to_rgb(strategy_color(s))]
                 for s in ("best_of_n", "beam_search", "dvts")}
    assert len(by_colour["best_of_n"]) == 1 and by_colour["best_of_n"][0].get_linestyle() == "-"
    for s, shift in (("beam_search", 1.0), ("dvts", 1.06)):  # markers alone, each with its interval as a vertical bar
        assert np.allclose(sorted(x for line in by_colour[s] for x in line.get_xdata()), SEARCH_N * 1.3e9 * shift)  # DVTS set apart
        assert all(line.get_linestyle() == "None" for line in by_colour[s])
        bars = [c for c in ax.collections if isinstance(c, LineCollection) and np.allclose(c.get_color()[0, :3], to_rgb(strategy_color(s)))]
        assert sorted(round(seg[0][1], 9) for c in bars for seg in c.get_segments()) == [0.28, 0.38, 0.48]
        assert np.allclose(sorted(seg[0][0] for c in bars for seg in c.get_segments()), SEARCH_N * 1.3e9 * shift)  # the bar with its marker
    # each run its strategy's fixed shape; set apart, neither is hollow
    beam, dvts = by_colour["beam_search"][0], by_colour["dvts"][0]
    assert (beam.get_marker(), dvts.get_marker()) == (strategy_marker("beam_search"), strategy_marker("dvts"))
    assert beam.get_markerfacecolor() != "none" and dvts.get_markerfacecolor() != "none"
    # without budgets each run is one line, as before
    ax = plot_vs_flops(flops, acc, labels=["best-of-N", "beam search", "DVTS"])
    assert [line.get_linestyle() for line in ax.get_lines()] == ["-", "-", "-"]
    with pytest.raises(ValueError, match="budgets"):
        plot_vs_flops(flops, acc, budgets=[GRID, SEARCH_N])


def bin_rows(strategy, n, accuracy, cost):
    n = np.asarray(n, dtype=float)
    acc = np.asarray(accuracy, dtype=float)
    return pd.DataFrame({"bin": 1, "strategy": strategy, "n": n, "accuracy": acc, "se": 0.01, "lower": acc - 0.03,
                         "upper": acc + 0.03, "cost": np.asarray(cost, dtype=float), "num_problems": 20})


def test_plot_bin_curves_draws_search_runs_as_markers_and_plugin_parts_apart():
    beam, dvts = Strategy("beam_search", VerifierSpec.noisy(0.8), beam_width=4), Strategy("dvts", VerifierSpec.noisy(0.8), beam_width=4)
    rows = pd.concat([bin_rows("majority", GRID, GRID / 100, GRID * 100), bin_rows(beam, SEARCH_N, [0.3, 0.4, 0.5], SEARCH_N * 130),
                      bin_rows(dvts, SEARCH_N, [0.3, 0.4, 0.5], SEARCH_N * 130)], ignore_index=True)
    ax = plot_bin_curves(rows)
    for s in (beam, dvts):
        lines = [line for line in ax.get_lines() if to_rgb(line.get_color()) == to_rgb(strategy_color(s))]
        assert sorted(x for line in lines for x in line.get_xdata()) == list(SEARCH_N * 130)
        assert not any(passes_a_budget(line, line.get_xdata() / 130, GRID) for line in lines)
        bands = [c for c in ax.collections if isinstance(c, PolyCollection) and len(c.get_facecolor())
                 and np.allclose(c.get_facecolor()[0, :3], to_rgb(strategy_color(s)))]
        assert bands == []  # no band joins 4, 16 and 64: intervals are bars
    markers = {line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")}
    beam_line, dvts_line = markers["beam search (noisy, AUC 0.80, M = 4)"], markers["DVTS (noisy, AUC 0.80, M = 4)"]
    assert beam_line.get_marker() != dvts_line.get_marker() and dvts_line.get_markerfacecolor() == "none"
    # past the measured range: dashed, faded, from the last measured x on, with a legend key
    ax = plot_bin_curves(rows[rows["strategy"] == "majority"], measured_x_max=1000)
    solid, dashed = ax.get_lines()[:2]
    assert solid.get_xdata().max() == 800 and solid.get_linestyle() == "-"
    assert list(dashed.get_xdata()) == [800, 1600, 3200, 6400] and dashed.get_linestyle() == "--" and dashed.get_alpha() < 1
    assert legend_texts(ax) == ["majority vote", "plug-in beyond the measured range"]
    ax = plot_bin_curves(rows[rows["strategy"] == "majority"])  # no limit: all solid, no key
    assert legend_texts(ax) == ["majority vote"]
    with pytest.raises(ValueError, match="measured_x_max"):
        plot_bin_curves(rows, measured_x_max=[1.0, 2.0])


def test_plot_selection_keeps_two_identical_curves_both_visible():
    n, acc = [4, 16, 64], [0.3, 0.4, 0.5]
    beam = selection_curve(Strategy("beam_search", VerifierSpec.noisy(0.8), beam_width=4), n, acc)
    dvts = selection_curve(Strategy("dvts", VerifierSpec.noisy(0.8), beam_width=4), n, acc)
    first, second = plot_selection([beam, dvts], band=False).get_lines()
    assert first.get_marker() != second.get_marker()
    assert first.get_markerfacecolor() != "none" and second.get_markerfacecolor() == "none"
    assert to_rgb(second.get_markeredgecolor()) == to_rgb(strategy_color("dvts"))  # its edge, in its colour
    # apart, neither is hollow
    lines = plot_selection([beam, selection_curve("majority", n, [0.1, 0.2, 0.25])], band=False).get_lines()
    assert all(line.get_markerfacecolor() != "none" for line in lines)


# ---- each line in its model's colour; every measured point drawn; legends by size ------------------------


def test_plot_exchange_colours_each_reference_by_the_model_it_names_and_keeps_them_apart():
    r = np.array([0.1, 1.0, 10.0])
    lines = {"pythia-410m, M(R) samples": np.array([0.1, 0.2, 0.3]), "pythia-1b, M(R) samples": np.array([0.15, 0.25, 0.35])}
    refs = {"pythia-6.9b, 1 sample": 0.2, "pythia-12b, 1 sample": 0.201}  # nearly one height
    ax = plot_exchange(r, lines, hlines=refs)
    drawn = {line.get_label(): line for line in ax.get_lines()}
    for label in [*lines, *refs]:
        assert to_rgb(drawn[label].get_color()) == to_rgb(model_color(label.split(",")[0]))
    assert dashes(drawn["pythia-6.9b, 1 sample"]) != dashes(drawn["pythia-12b, 1 sample"])
    assert all(dashes(drawn[label]) for label in refs)  # both dashed, not solid like the lines
    ax = plot_exchange(r, lines, hlines=refs, hline_palette={label: "black" for label in refs})
    assert all(to_rgb(line.get_color()) == (0, 0, 0) for line in ax.get_lines() if line.get_label() in refs)


def test_plot_frontier_marks_every_point_and_lists_models_by_size():
    table = pd.DataFrame({"target": [0.1, 0.2, 0.1, 0.1, 0.2], "model": ["pythia-12b", "pythia-12b", "pythia-1b", "pythia-70m", "pythia-70m"],
                          "k": [1, 2, 1, 3, 9], "flops": [2e11, 4e11, 1e10, 3e9, 9e9], "cheapest": [False, False, False, True, True]})
    ax = plot_frontier(table)
    drawn = {line.get_label(): line for line in ax.get_lines()}
    one = drawn["pythia-1b"]  # one target reached: a marker, not nothing
    assert list(one.get_xdata()) == [0.1] and one.get_marker() not in ("None", "", None)
    assert all(drawn[m].get_marker() not in ("None", "", None) for m in ("pythia-70m", "pythia-12b"))
    assert legend_texts(ax)[:3] == ["pythia-70m", "pythia-1b", "pythia-12b"]
    # figure_legend lists model names by size whatever order the panels drew them in, other labels in place
    fig, axes = plt.subplots(1, 2)
    axes[0].plot([1], [1], label="pythia-12b")
    axes[0].plot([1], [1], label="cheapest (frontier)")
    axes[1].plot([1], [1], label="pythia-14m")
    axes[1].plot([1], [1], label="pythia-1b (MATH)")
    assert [t.get_text() for t in figure_legend(fig).get_texts()] == ["pythia-14m", "cheapest (frontier)", "pythia-1b (MATH)", "pythia-12b"]


# ---- markers alone that share an N are set apart; each strategy has one marker shape in every figure -----


def test_dodge_factors_move_the_jth_later_series_at_an_x_by_factor_to_the_j():
    xs = np.array([16.0, 16.0, 16.0, 64.0, 64.0, 4.0, 16.2])
    ranks = np.array([0, 1, 2, 0, 2, 1, 3])  # 16.2 is within 2 % of 16: a fourth series there
    assert dodge_factors(xs, ranks, 1.06).tolist() == pytest.approx([1.0, 1.06, 1.06**2, 1.0, 1.06, 1.0, 1.06**3])
    assert dodge_factors([10.0, 11.0], [0, 1], 1.06).tolist() == [1.0, 1.0]  # 10 % apart: not shared, not moved
    with pytest.raises(ValueError, match="factor"):
        dodge_factors([1.0], [0], 0.0)
    with pytest.raises(ValueError, match="xs and ranks"):
        dodge_factors([1.0, 2.0], [0], 1.06)


def test_plot_selection_sets_apart_two_search_markers_at_one_n_with_their_bars():
    beam = Strategy("beam_search", VerifierSpec.noisy(0.8), beam_width=4)
    dvts = Strategy("dvts", VerifierSpec.noisy(0.8), beam_width=4)
    curves = [selection_curve("weighted", GRID, np.linspace(0.2, 0.3, 7)),
              selection_curve(beam, [4, 16], [0.3, 0.2]), selection_curve(dvts, [16], [0.2])]  # equal at N = 16
    ax = plot_selection(curves)
    xs = {s: sorted(x for line in ax.get_lines() if to_rgb(line.get_color()) == to_rgb(strategy_color(s)) for x in line.get_xdata())
          for s in ("weighted", "beam_search", "dvts")}
    assert xs["weighted"] == list(GRID)  # a line: never moved
    assert xs["beam_search"] == [4, 16]  # the first at an N stays where it was run
    assert xs["dvts"] == pytest.approx([16 * 1.06])  # the second, to its right
    bars = {s: sorted(seg[0][0] for c in ax.collections if isinstance(c, LineCollection)
                      and np.allclose(c.get_color()[0, :3], to_rgb(strategy_color(s))) for seg in c.get_segments())
            for s in ("beam_search", "dvts")}
    assert bars["beam_search"] == [4, 16] and bars["dvts"] == pytest.approx([16 * 1.06])


def test_a_strategy_has_one_marker_shape_in_every_figure():
    assert set(STRATEGY_MARKERS) == set(STRATEGIES) and len(set(STRATEGY_MARKERS.values())) == len(STRATEGY_MARKERS)
    beam = Strategy("beam_search", VerifierSpec.noisy(0.8), beam_width=4)
    assert strategy_marker(beam) == strategy_marker("beam search (M = 4)") == strategy_marker("beam_search") == "v"
    with pytest.raises(ValueError, match="no strategy"):
        strategy_marker("pythia-1b")
    # beam search's marker, whatever comes before it in the figure (in 03 it was a diamond in one, a triangle in another)
    search = selection_curve(beam, [4, 16, 64], [0.3, 0.35, 0.41])
    shapes = []
    for before in (["oracle", "majority", "best_of_n", "weighted"], ["majority", "best_of_n"], []):
        ax = plot_selection([selection_curve(r, GRID, np.linspace(0.1, 0.2, 7)) for r in before] + [search], band=False)
        shapes += [line.get_marker() for line in ax.get_lines() if to_rgb(line.get_color()) == to_rgb(strategy_color("beam_search"))]
    ax = plot_vs_flops([GRID * 1e9, SEARCH_N * 2e9], [GRID / 100, np.array([0.3, 0.4, 0.5])], budgets=[GRID, SEARCH_N],
                       labels=["majority vote", "beam search (M = 4)"])
    shapes += [line.get_marker() for line in ax.get_lines() if to_rgb(line.get_color()) == to_rgb(strategy_color("beam_search"))]
    rows = pd.concat([bin_rows("majority", GRID, GRID / 100, GRID * 100), bin_rows(beam, SEARCH_N, [0.3, 0.4, 0.5], SEARCH_N * 130)])
    ax = plot_bin_curves(rows)
    shapes += [line.get_marker() for line in ax.get_lines() if to_rgb(line.get_color()) == to_rgb(strategy_color("beam_search"))]
    assert set(shapes) == {"v"} and len(shapes) >= 5
    # a series that is no strategy takes a shape no strategy of its figure has
    ax = plot_vs_flops([GRID * 1e9, GRID * 2e9], [GRID / 100, GRID / 50], budgets=[GRID, GRID], labels=["majority vote", "my rule"])
    mine = [line.get_marker() for line in ax.get_lines() if line.get_label() == "my rule"]
    assert mine and mine[0] in SERIES_MARKERS and mine[0] != strategy_marker("majority")


def test_the_search_methods_stand_apart_in_colour():
    from ttslib.plotting.style import STRATEGIES

    searches = ["best_of_n", "weighted", "majority", "beam_search", "dvts", "particle_filtering", "rebase", "sampling"]
    colours = {k: STRATEGIES[k][1] for k in searches}
    close = [(a, b, round(delta_e(colours[a], colours[b]), 1)) for a, b in itertools.combinations(searches, 2)
             if delta_e(colours[a], colours[b]) < 20]
    assert not close, close  # 20 or more reads as another colour
