"""The kit's look (ttslib.plotting): fixed palettes, plot functions that draw their input as given
(nothing aggregated, nothing bootstrapped), heatmap cells that are the table's, reproducible files."""

from __future__ import annotations

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb

from ttslib.coverage import CoverageCurve
from ttslib.fit import PowerLawFit
from ttslib.registry import get_model
from ttslib.plotting import (
    model_color,
    model_palette,
    resolve_palette,
    savefig,
    sequential_palette,
    strategy_color,
    strategy_key,
    strategy_label,
    strategy_palette,
    use_theme,
)
from ttslib.plotting.coverage import plot_coverage, plot_pass1_hist
from ttslib.plotting.fit import plot_backtest, plot_exponents, plot_power_law_fits
from ttslib.plotting.flops import plot_exchange, plot_flops_per_token, plot_frontier, plot_vs_flops
from ttslib.plotting.policy import plot_bin_curves, plot_efficiency, plot_policy_evaluation, plot_policy_map
from ttslib.policy import Strategy, VerifierSpec
from ttslib.plotting.selection import plot_selection
from ttslib.plotting.style import STRATEGIES, THEME
from ttslib.selection import SelectionCurve

PYTHIA = ["pythia-14m", "pythia-70m", "pythia-160m", "pythia-410m", "pythia-1b", "pythia-1.4b", "pythia-2.8b", "pythia-6.9b", "pythia-12b"]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def rgb(color):
    return np.round(np.asarray(to_rgb(color)), 6)


def selection_curve(rule, n, acc, method="exact"):
    n, acc = np.asarray(n), np.asarray(acc, dtype=float)
    return SelectionCurve(rule, n, acc, acc - 0.05, acc + 0.05, np.zeros_like(acc), 10, 0.95, method)


# ---- the palettes are fixed ------------------------------------------------------------------------


NOISY = VerifierSpec.noisy(0.8)

# every spelling of a strategy the notebooks and ttslib.selection / ttslib.policy / ttslib.search use: a name, a label, a record
NOTEBOOK_NAMES = {
    "oracle": ["oracle", "pass@n (oracle)", "pass@N (oracle)", "pass@16 (oracle)", "coverage (oracle)"],
    "majority": ["majority", "majority vote", "majority vote (MC)", "majority vote (no verifier)"],
    "best_of_n": ["best_of_n", "best-of-N", Strategy("best_of_n", NOISY), "best-of-N (d' = 1.0)"],
    "weighted": ["weighted", "weighted best-of-N", Strategy("weighted", NOISY), "weighted best-of-N (MC)"],
    "beam_search": ["beam_search", "beam search", "beam search (M = 4)", Strategy("beam_search", NOISY, beam_width=4)],
    "dvts": ["dvts", "DVTS", "DVTS (M = 4)", Strategy("dvts", NOISY, beam_width=4)],
    "sampling": ["sampling", "step-by-step sampling"],
    "compute_optimal": ["compute-optimal", "compute_optimal", "compute-optimal policy"],
}


@pytest.mark.parametrize("key", list(NOTEBOOK_NAMES))
def test_every_spelling_of_a_strategy_gets_its_one_colour(key):
    for name in NOTEBOOK_NAMES[key]:
        assert strategy_key(name) == key, name
        assert rgb(strategy_color(name)).tolist() == rgb(STRATEGIES[key][1]).tolist(), name


def test_names_that_are_no_strategy_are_not_read_as_one():
    for name in ["level 3", "bin 1 (40 problems)", "k = 14", "pythia-1b", "oracle, held-apart samples", "A", "held_out"]:
        assert strategy_key(name) is None, name
    with pytest.raises(ValueError, match="no strategy the kit knows"):
        strategy_color("A")


def test_strategy_colours_are_distinct_and_do_not_depend_on_the_company():
    colors = {key: tuple(rgb(strategy_color(key))) for key in STRATEGIES}
    assert len(set(colors.values())) == len(colors)
    everything = strategy_palette(["zeta", *reversed(list(STRATEGIES)), "alpha", "best_of_n/step_checker"])
    alone = {s: strategy_palette([s])[s] for s in STRATEGIES}
    assert all(rgb(everything[s]).tolist() == rgb(alone[s]).tolist() for s in STRATEGIES)
    # names the kit does not know get other colours, in sorted order, none of them a strategy's
    assert rgb(everything["alpha"]).tolist() == rgb(strategy_palette(["alpha", "zeta"])["alpha"]).tolist()
    assert tuple(rgb(everything["zeta"])) not in set(colors.values())


def test_a_strategys_colour_is_its_methods_whatever_the_verifier():
    # 03_own_rules (confidence) and 03_synthetic_rules (no record) drew best-of-N in two blues; one now
    for method in ("best_of_n", "weighted", "beam_search", "dvts"):
        base = rgb(strategy_color(method))
        for verifier in (VerifierSpec.step_checker(), VerifierSpec.confidence(), NOISY, VerifierSpec.recorded("prm")):
            assert rgb(strategy_color(Strategy(method, verifier, beam_width=4 if method in ("beam_search", "dvts") else None))).tolist() \
                == base.tolist(), (method, verifier)
    assert strategy_label(Strategy("best_of_n", VerifierSpec.step_checker())) == "best-of-N (step checker)"  # the verifier is in the label
    assert strategy_label(Strategy("weighted", NOISY)) == "weighted best-of-N (noisy, AUC 0.80)"
    assert strategy_label("best_of_n/step_checker") == "best_of_n/step_checker"  # a string is a display name, never parsed
    assert strategy_label("something else") == "something else"


def test_one_strategy_has_one_colour_in_every_plot_function():
    expected = rgb(strategy_color("best_of_n"))
    # notebook 03: selection curves
    ax = plot_selection([selection_curve("majority", [1, 2], [0.2, 0.3]), selection_curve("best_of_n", [1, 2], [0.2, 0.4])])
    assert rgb(ax.get_lines()[1].get_color()).tolist() == expected.tolist()
    # notebook 03 and 05: scores against FLOPs, labelled as the notebooks label them
    ax = plot_vs_flops([[1.0, 2.0], [1.0, 2.0]], [[0.1, 0.2], [0.1, 0.3]], labels=["majority vote", "best-of-N"])
    assert rgb(ax.get_lines()[1].get_color()).tolist() == expected.tolist()
    # notebook 04: per-bin curves, policy map, efficiency against a baseline
    curves = pd.DataFrame({"strategy": ["best_of_n", "best_of_n", "weighted", "weighted"], "n": [1, 2, 1, 2],
                           "accuracy": [0.2, 0.4, 0.2, 0.3], "se": 0.01, "cost": [10.0, 20.0, 10.0, 20.0]})
    curves = curves.assign(lower=curves["accuracy"] - 0.02, upper=curves["accuracy"] + 0.02)
    ax = plot_bin_curves(curves)
    assert rgb(ax.get_lines()[0].get_color()).tolist() == expected.tolist()
    choices = pd.DataFrame({"bin": [1, 1], "strategy": ["best_of_n", "weighted"], "n": [1, 2], "grid_n": [1, 2]})
    mesh = plot_policy_map(choices).collections[0]
    assert np.round(mesh.get_facecolors()[0, :3], 6).tolist() == expected.tolist()
    eff = pd.DataFrame({"n": [1, 2], "multiple": [2.0, 3.0], "lower": [1.0, 2.0], "upper": [3.0, 4.0], "status": "reached"})
    ax = plot_efficiency({Strategy("best_of_n", VerifierSpec.recorded("prm")): eff})  # keyed by the baseline's record
    assert rgb(ax.get_lines()[0].get_color()).tolist() == expected.tolist()
    assert ax.get_lines()[0].get_label() == "vs best-of-N (prm)"


def test_model_colours_are_fixed_per_run():
    colors = [model_color(m) for m in PYTHIA]
    assert len({tuple(rgb(c)) for c in colors}) == 9  # nine sizes, nine colours (how far apart: test_plotting_measured)
    assert rgb(model_color("pythia-1b (MATH)")).tolist() == rgb(colors[4]).tolist()
    assert rgb(model_color(get_model("pythia-1b").params)).tolist() == rgb(colors[4]).tolist()
    assert rgb(model_palette(["pythia-1b", "pythia-12b"])["pythia-1b"]).tolist() == rgb(colors[4]).tolist()
    # the kit's own runs: one colour whatever the spelling (instruct, quantised file), not a Pythia size's
    for spellings in (["SmolLM2-135M", "SmolLM2-135M-Instruct", "HuggingFaceTB/SmolLM2-135M-Instruct", "SmolLM2-135M-Instruct.Q4_1"],
                      ["gemma-3-270m", "gemma-3-270m-it", "gemma-3-270m-q4_k_m"]):
        assert len({tuple(rgb(model_color(name))) for name in spellings}) == 1, spellings
    assert tuple(rgb(model_color("SmolLM2-135M"))) not in {tuple(rgb(c)) for c in colors}
    with pytest.raises(ValueError, match="registry name"):
        model_color("no-such-model")
    with pytest.raises(ValueError, match="parameter count > 0"):
        model_color(0)


def test_resolve_palette_picks_the_kind_of_series_from_the_labels():
    assert [tuple(rgb(c)) for c in resolve_palette(["majority vote", "best-of-N"])] == \
        [tuple(rgb(strategy_color(s))) for s in ("majority", "best_of_n")]
    assert [tuple(rgb(c)) for c in resolve_palette(["pythia-12b", "pythia-1b"])] == \
        [tuple(rgb(model_color(m))) for m in ("pythia-12b", "pythia-1b")]
    levels = resolve_palette(["level 1", "level 2", "level 3"])
    assert levels == sequential_palette(3) and len({tuple(rgb(c)) for c in levels}) == 3  # the ordered palette, in order
    # one label that names no model: not read as model sizes (two runs of one model would share a colour)
    mixed = resolve_palette(["arithmetic (SmolLM2-135M)", "GSM8K (SmolLM2-135M)"])
    assert tuple(rgb(mixed[0])) != tuple(rgb(mixed[1]))
    assert resolve_palette(["a", "b"], {"a": "red", "b": "blue"}) == ["red", "blue"]
    with pytest.raises(ValueError, match=r"no colour for \['b'\]"):
        resolve_palette(["a", "b"], {"a": "red"})
    with pytest.raises(ValueError, match="1 colours for 2 series"):
        resolve_palette(["a", "b"], ["red"])


# ---- plot functions draw their input as given ------------------------------------------------------


def band_vertices(ax, i):
    """(x, y) vertices of the i-th filled band."""
    return ax.collections[i].get_paths()[0].vertices


def test_plot_coverage_draws_the_curves_and_their_bands():
    k = np.array([1.0, 3.0, 10.0])
    curves = [CoverageCurve(k, np.array([0.1, 0.2, 0.4]), np.array([0.05, 0.15, 0.3]), np.array([0.15, 0.3, 0.5]), 5, 0.95),
              CoverageCurve(k, np.array([0.3, 0.5, 0.6]), np.array([0.2, 0.4, 0.5]), np.array([0.4, 0.6, 0.7]), 5, 0.95)]
    ax = plot_coverage(curves, labels=["pythia-70m", "pythia-1b"])
    for line, curve, model in zip(ax.get_lines(), curves, ["pythia-70m", "pythia-1b"]):
        assert np.array_equal(line.get_xdata(), curve.k) and np.array_equal(line.get_ydata(), curve.coverage)
        assert rgb(line.get_color()).tolist() == rgb(model_color(model)).tolist()
    vertices = band_vertices(ax, 0)
    assert {tuple(v) for v in np.column_stack([k, curves[0].lower])} <= {tuple(v) for v in vertices}
    assert {tuple(v) for v in np.column_stack([k, curves[0].upper])} <= {tuple(v) for v in vertices}
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["pythia-70m", "pythia-1b"]


def test_lines_are_not_aggregated_over_repeated_x():
    # two rows at the same cost: seaborn's default estimator would average them into one point
    curves = pd.DataFrame({"strategy": ["majority"] * 3, "n": [1, 2, 4], "accuracy": [0.2, 0.5, 0.3], "se": 0.0,
                           "cost": [10.0, 20.0, 20.0]})
    line = plot_bin_curves(curves, band=False).get_lines()[0]
    assert len(line.get_xdata()) == 3 and sorted(line.get_ydata()) == [0.2, 0.3, 0.5]


def test_plot_selection_draws_the_curves_oracle_dashed():
    curves = [selection_curve("oracle", [1, 2, 4], [0.3, 0.5, 0.6]), selection_curve("weighted", [1, 2, 4], [0.3, 0.4, 0.45], "monte_carlo")]
    ax = plot_selection(curves)
    oracle, weighted = ax.get_lines()
    assert np.array_equal(weighted.get_xdata(), [1, 2, 4]) and np.array_equal(weighted.get_ydata(), [0.3, 0.4, 0.45])
    assert oracle.get_linestyle() == "--" and weighted.get_linestyle() == "-"
    assert weighted.get_label() == "weighted best-of-N (MC)"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "4"]


def test_plot_vs_flops_and_frontier_draw_the_given_points():
    ax = plot_vs_flops([[1e10, 2e10]], [[0.1, 0.3]], lower=[[0.05, 0.2]], upper=[[0.2, 0.4]], labels=["pythia-1b"])
    line = ax.get_lines()[0]
    assert np.array_equal(line.get_xdata(), [1e10, 2e10]) and np.array_equal(line.get_ydata(), [0.1, 0.3])
    table = pd.DataFrame({"target": [0.1, 0.2, 0.1, 0.2], "model": ["pythia-1b", "pythia-1b", "pythia-12b", "pythia-12b"],
                          "k": [1, 4, 1, 2], "flops": [1e10, 4e10, 2e11, 4e11], "cheapest": [True, True, False, False]})
    ax = plot_frontier(table)
    for line, model in zip(ax.get_lines()[:2], ["pythia-1b", "pythia-12b"]):
        rows = table[table["model"] == model]
        assert np.array_equal(line.get_xdata(), rows["target"]) and np.array_equal(line.get_ydata(), rows["flops"])
        assert rgb(line.get_color()).tolist() == rgb(model_color(model)).tolist()
    assert np.array_equal(ax.get_lines()[2].get_ydata(), [1e10, 4e10])  # the frontier: the cheapest rows


def test_plot_flops_per_token_and_exchange():
    t = np.array([1.0, 10.0, 100.0])
    values = {"pythia-1b": np.array([1.0, 1.01, 1.1]), "Llama-3.2-1B": np.array([1.0, 1.02, 1.2])}
    ax = plot_flops_per_token(t, values, families={"pythia-1b": "Pythia", "Llama-3.2-1B": "Llama"})
    assert [np.array_equal(line.get_ydata(), values[m]) for line, m in zip(ax.get_lines(), values)] == [True, True]
    assert ax.get_lines()[0].get_linestyle() != ax.get_lines()[1].get_linestyle()  # one size, two families
    ax = plot_exchange(t, {"small, M(R) samples": np.array([0.2, 0.3, 0.4])}, hlines={"large, 1 sample": 0.25})
    line, ref = ax.get_lines()[:2]
    assert np.array_equal(line.get_ydata(), [0.2, 0.3, 0.4]) and list(ref.get_ydata()) == [0.25, 0.25]
    assert rgb(ref.get_color()).tolist() == rgb(line.get_color()).tolist()


def test_plot_exponents_draws_values_and_given_intervals():
    table = pd.DataFrame({"params": [1e8, 1e9, 1e10], "b": [-0.2, -0.3, -0.4], "b_lo": [-0.25, -0.33, -0.5],
                          "b_hi": [-0.1, -0.28, -0.35], "model": "pythia"})
    ax = plot_exponents(table, x="params", by="model")
    assert np.array_equal(ax.get_lines()[0].get_ydata(), table["b"])
    segments = ax.collections[0].get_segments()  # one vertical error bar per row, from b_lo to b_hi
    assert [tuple(np.round(s[:, 1], 12)) for s in segments] == list(zip(table["b_lo"], table["b_hi"]))


def test_plot_backtest_and_power_law_fits_draw_the_rows():
    table = pd.DataFrame({"observed": [0.3, 0.5, 0.6], "predicted": [0.35, 0.45, 0.7], "estimator": ["power law", "beta", "beta"],
                          "m": [100, 100, 1000]})
    ax = plot_backtest(table)
    offsets = np.concatenate([c.get_offsets() for c in ax.collections if len(c.get_offsets())])
    assert sorted(map(tuple, offsets)) == sorted(zip(table["observed"], table["predicted"]))
    fit = PowerLawFit(a=-1.0, b=-0.3, a_interval=(-1.1, -0.9), b_interval=(-0.35, -0.25), k=np.array([1.0, 10.0]),
                      coverage=np.array([0.37, 0.6]), num_problems=5, num_never_solved=1, level=0.95, boot=np.zeros((0, 2)))
    points = plot_power_law_fits([fit], labels=["pythia-1b"]).get_lines()[0]
    assert np.array_equal(points.get_ydata(), -np.log(fit.coverage))


def test_pass1_histograms_count_what_numpy_counts():
    pass1 = np.array([0.0, 0.0, 0.001, 0.002, 0.01, 0.011, 0.5, 1.0])
    edges = np.geomspace(1e-3, 1, 7)
    ax = plot_pass1_hist(pass1, bins=edges, label="pythia-1b")
    step = ax.get_lines()[0]  # element="step": one line through the bin edges, each count held to the next edge
    assert np.allclose(step.get_xdata(), edges, rtol=1e-12)
    assert np.array_equal(step.get_ydata()[:-1], np.histogram(pass1[pass1 > 0], edges)[0])
    assert ax.get_legend().get_texts()[0].get_text() == "pythia-1b (2 never solved)"
    several = {"pythia-14m": np.zeros(4), "pythia-70m": pass1, "pythia-1b": pass1[::-1] * 0.5}  # 14m: an empty row
    ax = plot_pass1_hist(several, bins=edges)
    counts = np.ma.filled(ax.collections[0].get_array(), 0).reshape(-1, len(edges) - 1)
    assert counts.shape[0] == 3
    for row, v in zip(counts, several.values()):
        assert np.array_equal(row, np.histogram(v[v > 0], edges)[0])
    assert [t.get_text() for t in ax.get_yticklabels()] == \
        ["pythia-14m (4 never solved)", "pythia-70m (2 never solved)", "pythia-1b (2 never solved)"]
    with pytest.raises(ValueError, match=r"pass1\['x'\] must be a 1-d array"):
        plot_pass1_hist({"x": [0.5, 1.5]})


def test_policy_evaluation_draws_the_summary_and_its_given_bands():
    summary = pd.DataFrame({"kind": np.repeat(["optimistic", "held_out", "single"], 2), "n": [1, 2] * 3,
                            "accuracy": [0.5, 0.6, 0.4, 0.5, 0.3, 0.45], "lower": [0.4, 0.5, 0.3, 0.4, 0.2, 0.35],
                            "upper": [0.6, 0.7, 0.5, 0.6, 0.4, 0.55]})
    ax = plot_policy_evaluation(summary)
    for line, kind in zip(ax.get_lines(), ["optimistic", "held_out", "single"]):
        rows = summary[summary["kind"] == kind]
        assert np.array_equal(line.get_ydata(), rows["accuracy"]) and np.array_equal(line.get_xdata(), rows["n"])
    assert ax.get_lines()[0].get_linestyle() != "-" and ax.get_lines()[1].get_linestyle() == "-"
    held = band_vertices(ax, 1)  # optimistic gets no band (not in bands): its fill is empty
    assert {(1.0, 0.3), (2.0, 0.6)} <= {tuple(v) for v in held}


def test_heatmap_cells_are_the_table_given():
    choices = pd.DataFrame({
        "bin": [1, 1, 1, 2, 2, 2], "grid_n": [1, 2, 4] * 2, "n": [1, 2, 8, 1, 4, 4],
        "strategy": [Strategy("majority"), Strategy("best_of_n", VerifierSpec.step_checker()), Strategy("weighted", VerifierSpec.confidence()),
                     Strategy("best_of_n", VerifierSpec.step_checker()), Strategy("majority"), Strategy("dvts", NOISY, beam_width=4)],
    })
    ax = plot_policy_map(choices)
    faces = ax.collections[0].get_facecolors()[:, :3].reshape(2, 3, 3)  # rows: bins, columns: grid budgets
    for _, row in choices.iterrows():
        cell = faces[row["bin"] - 1, [1, 2, 4].index(row["grid_n"])]
        assert np.round(cell, 6).tolist() == rgb(strategy_color(row["strategy"])).tolist(), row.to_dict()
    assert sorted(t.get_text() for t in ax.texts) == sorted(f"{b:g}" for b in choices["n"])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["majority vote", "best-of-N (step checker)", "weighted best-of-N (confidence)", "DVTS (noisy, AUC 0.80, M = 4)"]


# ---- the theme, and files that do not change ---------------------------------------------------------


def test_importing_sets_no_style_and_use_theme_sets_the_kits():
    code = ("import matplotlib as mpl; before = dict(mpl.rcParams); import ttslib.plotting.policy, ttslib.plotting.coverage; "
            "assert dict(mpl.rcParams) == before, 'importing ttslib.plotting changed rcParams'")
    subprocess.run([sys.executable, "-c", code], check=True)
    with matplotlib.rc_context():
        use_theme()
        assert matplotlib.rcParams["font.family"] == [THEME["font"]]
        assert matplotlib.rcParams["legend.frameon"] is False
        assert matplotlib.rcParams["axes.grid"] is True  # whitegrid


def draw_figure():
    fig, axes = plt.subplots(1, 2, figsize=(6, 3))
    plot_selection([selection_curve("oracle", [1, 2, 4], [0.3, 0.5, 0.6]), selection_curve("best_of_n", [1, 2, 4], [0.3, 0.4, 0.5])], ax=axes[0])
    choices = pd.DataFrame({"bin": [1, 2], "grid_n": [1, 1], "n": [1, 2], "strategy": ["majority", "weighted"]})
    plot_policy_map(choices, ax=axes[1])
    return fig


def test_savefig_twice_writes_the_same_bytes(tmp_path):
    with matplotlib.rc_context():
        use_theme()
        first = savefig(draw_figure(), "00_test", directory=tmp_path / "a", formats=("png", "pdf", "svg"))
        fig = draw_figure()  # drawn again from scratch, and the same figure saved twice
        second = savefig(fig, "00_test", directory=tmp_path / "b", formats=("png", "pdf", "svg"))
        third = savefig(fig, "00_test", directory=tmp_path / "c", formats=("png", "pdf", "svg"))
    for a, b, c in zip(first, second, third):
        assert a.read_bytes() == b.read_bytes() == c.read_bytes(), a.name
    assert b"CreationDate" not in first[1].read_bytes() and b"matplotlib" not in first[0].read_bytes().lower()


def test_a_strategy_record_is_labelled_from_its_fields():
    from ttslib.plotting.style import strategy_key, strategy_label

    beam = Strategy("beam_search", NOISY, beam_width=4, lookahead=1)
    assert strategy_key(beam) == "beam_search" and strategy_label(beam) == "beam search (noisy, AUC 0.80, M = 4, lookahead 1)"
    sal = Strategy("dvts", VerifierSpec.step_checker(), beam_width=2, variant="sal")
    assert strategy_label(sal) == "DVTS (step checker, M = 2, search-and-learn's)"
    assert strategy_label(Strategy("weighted", VerifierSpec.confidence())) == "weighted best-of-N (confidence)"

def test_plot_exponents_breaks_a_line_at_a_row_left_out():
    table = pd.DataFrame({"tokens": [1e9, 2e9, 4e9, 8e9], "b": [-0.2, np.nan, -0.4, -0.5], "model": "pythia-1b"})
    ax = plot_exponents(table, x="tokens", by="model")
    drawn = [line.get_xdata().tolist() for line in ax.get_lines()]
    assert drawn == [[1e9], [4e9, 8e9]]  # no line across the left-out 2e9
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["pythia-1b"]
