"""Drawn coordinates rounded far below a pixel (ttslib.plotting._draw.round_significant, round_drawn and
savefig, issue 28 item 7): values equal but for their last bits write the same bytes, decimals a notebook
writes stay as written, and nothing visibly moves."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np
import pytest

from ttslib.plotting import savefig
from ttslib.plotting._draw import DRAWN_DIGITS, round_drawn, round_significant


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def values_over_many_magnitudes(size=20_000, seed=0):
    rng = np.random.default_rng(seed)
    return rng.choice([-1.0, 1.0], size) * 10.0 ** rng.uniform(-13, 20, size) * rng.uniform(1, 10, size)


def test_rounding_agrees_with_pythons_correctly_rounded_decimals():
    # the reference: Python formats a double to d significant digits correctly rounded, and reads it back
    # to the nearest double; ours keeps 10 digits, or 11 where the binary exponent undershoots the decimal
    x = values_over_many_magnitudes()
    ours = round_significant(x)
    ten = np.array([float(f"{v:.10g}") for v in x])
    eleven = np.array([float(f"{v:.11g}") for v in x])
    assert np.all((ours == ten) | (ours == eleven))
    assert np.mean(ours == ten) > 0.5 and np.mean(ours == eleven) > 0.05  # both cases occur


def test_rounding_moves_a_value_by_at_most_5e_10_of_itself_and_twice_changes_nothing():
    x = values_over_many_magnitudes(seed=1)
    ours = round_significant(x)
    assert np.max(np.abs(ours - x) / np.abs(x)) <= 5 * 10.0**-DRAWN_DIGITS
    assert np.max(np.abs(ours - x) / np.abs(x)) > 1e-11  # it does round
    np.testing.assert_array_equal(round_significant(ours), ours)


def test_decimals_as_written_stay_exactly_as_written():
    written = [-1.6, 0.05, 0.1, 0.2, 0.3, 1e13, 2.5e-7, 123.456, 1 / 8, -2.0, 1e-13, 9.999999999]
    assert round_significant(written).tolist() == written


def test_what_is_not_a_finite_float_passes_unchanged():
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324])
    np.testing.assert_array_equal(round_significant(special), special)
    assert round_significant(np.array([3, 7])).dtype.kind == "i"
    assert round_significant(np.array(["a", "b"])).tolist() == ["a", "b"]
    masked = np.ma.array([np.pi, 2.0], mask=[False, True])
    out = round_significant(masked)
    assert out.mask.tolist() == [False, True] and out[0] == 3.141592654


@pytest.mark.parametrize("digits", [0, 16, 2.5, True, "10"])
def test_digits_out_of_range_are_refused_by_name(digits):
    with pytest.raises(ValueError, match="digits must be an int in 1..15"):
        round_significant([1.0], digits)


def draw(scale=1.0):
    """A figure with every kind of artist the notebooks draw, its data multiplied by ``scale``."""
    rng = np.random.default_rng(3)
    k = np.geomspace(1, 1e4, 40)
    y = (1 - np.exp(-0.3 * k**0.4)) * scale
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2))
    ax = axes[0]
    ax.plot(k, y, "o-", ms=2, label="coverage")
    ax.fill_between(k, y * 0.97, np.minimum(y * 1.02, 1), alpha=0.2)
    ax.errorbar(k[::8], y[::8], yerr=0.05 * scale, fmt="none", capsize=2)
    ax.annotate("here", (k[20], y[20] * 0.9))
    ax.set_xscale("log")
    ax.legend(loc="best")
    ax = axes[1]
    b = -rng.uniform(0.1, 1.5, 12) * scale
    ax.scatter(np.arange(12) * 1.1 * scale, b, s=8)
    ax.bar(np.arange(12) * 1.1 * scale, b * 0.5, width=0.4)
    ax.set_ylim(-1.6, 0)  # a tick sits on the limit
    return fig


def write(fig, tmp_path, name, rounded=True) -> dict[str, bytes]:
    if rounded:
        paths = savefig(fig, name, directory=tmp_path)
    else:  # what savefig writes, less the rounding
        paths = []
        for fmt, meta in (("png", {"Software": None}), ("pdf", {"Creator": None, "Producer": None, "CreationDate": None})):
            path = tmp_path / f"{name}.{fmt}"
            with matplotlib.rc_context({"pdf.compression": 9}):
                fig.savefig(path, dpi=150, bbox_inches="tight", metadata=meta)
            paths.append(path)
    return {p.suffix: p.read_bytes() for p in paths}


def test_values_equal_but_for_their_last_bits_write_the_same_bytes(tmp_path):
    nudge = 1 + 3e-13  # a relative change as from another BLAS kernel or another exp
    plain, nudged = write(draw(), tmp_path, "a", rounded=False), write(draw(nudge), tmp_path, "b", rounded=False)
    assert plain[".pdf"] != nudged[".pdf"], "the nudge must show in the unrounded files, or this test cannot fail"
    assert write(draw(), tmp_path, "c") == write(draw(nudge), tmp_path, "d")


def test_rounding_moves_nothing_visibly(tmp_path):
    plain, rounded = write(draw(), tmp_path, "a", rounded=False), write(draw(), tmp_path, "b")
    a, b = (mpimg.imread(io.BytesIO(files[".png"])) for files in (plain, rounded))
    assert a.shape == b.shape
    changed = np.abs(a - b).max(axis=-1)
    # antialiasing may shade an edge pixel one level of 255 differently; a moved tick, label or legend
    # (as rounding -1.6 to bits did) changes hundreds of pixels by far more
    assert changed.max() <= 2 / 255 + 1e-9 and np.mean(changed > 0) < 1e-3, (changed.max() * 255, np.mean(changed > 0))


def test_round_drawn_keeps_limits_written_and_autoscaling_as_it_was():
    fig = draw()
    left, right = fig.axes
    before = left.get_xlim()
    round_drawn(fig)
    assert right.get_ylim() == (-1.6, 0.0)
    assert left.get_autoscalex_on() and not right.get_autoscaley_on()
    assert np.allclose(left.get_xlim(), before, rtol=5e-10, atol=0)
    line = left.lines[0]
    np.testing.assert_array_equal(line.get_ydata(), round_significant(line.get_ydata()))
    assert all(c.get_offsets().shape == (12, 2) for c in right.collections)  # scatter points, nothing added
