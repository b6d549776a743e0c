"""ttslib.findings against independent references: Holm's adjusted p-values written out by their
textbook formula, the power of the detectable difference by simulation, and the paired bootstrap
against a hand-built resample."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from ttslib.compare import paired_difference
from ttslib.findings import (Finding, Summary, bootstrap_finding, detectable_difference, family, holm, paired_finding, trend)


def holm_adjusted(p, alpha):
    """Holm's adjusted p-values (Wright 1992): p~_(i) = max_{j <= i} min(1, (m - j + 1) p_(j)); reject where p~ <= alpha."""
    p = np.asarray(p, dtype=float)
    m = p.size
    order = np.argsort(p, kind="stable")
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted <= alpha


def test_holm_matches_the_adjusted_p_values_on_random_families():
    rng = np.random.default_rng(1)
    for _ in range(2000):
        m = int(rng.integers(1, 9))
        p = rng.choice([rng.random(), rng.random() * 0.05, 0.01, 0.025, 0.05], size=m)
        assert np.array_equal(holm(p, alpha=0.05), holm_adjusted(p, 0.05)), p


def test_holm_on_a_worked_example():
    # m = 4, alpha = 0.05: thresholds 0.0125, 0.0167, 0.025, 0.05; 0.01 and 0.015 pass, 0.03 fails and stops the rest
    assert holm([0.03, 0.01, 0.04, 0.015]).tolist() == [False, True, False, True]
    with pytest.raises(ValueError, match="p_values"):
        holm([0.1, np.nan])


def test_detectable_difference_has_the_stated_power_by_simulation():
    rng = np.random.default_rng(2)
    P, sd = 200, 0.5
    delta = detectable_difference(sd / np.sqrt(P))
    assert delta == pytest.approx((norm.ppf(0.975) + norm.ppf(0.8)) * sd / np.sqrt(P))
    d = rng.normal(delta, sd, size=(4000, P))
    lower = d.mean(axis=1) - norm.ppf(0.975) * d.std(axis=1, ddof=1) / np.sqrt(P)
    assert abs((lower > 0).mean() - 0.8) < 0.025


def test_paired_finding_follows_the_paired_interval():
    rng = np.random.default_rng(3)
    for shift in (0.0, 0.15, -0.15):
        a = rng.random(150) < 0.4 + shift
        b = rng.random(150) < 0.4
        f = paired_finding(a, b, a="A", b="B", quantity="accuracy", range="N = 64")
        d = paired_difference(a, b)
        assert (f.difference, f.lower, f.upper) == (d.mean, d.lower, d.upper)
        assert f.verdict == d.verdict
        assert f.a_value == pytest.approx(a.mean()) and f.b_value == pytest.approx(b.mean())
        assert (f.p_value < 0.05) == (f.verdict != "not shown")  # the p-value and the interval say the same
        assert f.verdict in f.sentence() and "150 problems" in f.sentence() and "N = 64" in f.sentence()
    assert "could detect at 80% power" in paired_finding(a, np.roll(a, 1), a="A", b="B", quantity="q", range="r").sentence()


def test_a_paired_bootstrap_sees_what_two_separate_intervals_miss():
    # two estimates with wide, overlapping intervals whose replicates move together: the difference is shown
    rng = np.random.default_rng(4)
    common = rng.normal(0, 1, 1000)
    a_boot, b_boot = common + 0.3 + rng.normal(0, 0.05, 1000), common + rng.normal(0, 0.05, 1000)
    f = bootstrap_finding(0.3, 0.0, a_boot, b_boot, a="A", b="B", quantity="exponent", range="k = 1..64", num_problems=164)
    assert np.quantile(a_boot, 0.025) < np.quantile(b_boot, 0.975)  # the separate intervals overlap
    assert f.verdict == "ahead" and 0.1 < f.lower < 0.3 < f.upper < 0.5 and f.p_value == 2 / 1001
    same = bootstrap_finding(0.3, 0.3, a_boot, a_boot, a="A", b="B", quantity="q", range="r", num_problems=10)
    assert (same.lower, same.upper, same.p_value, same.verdict) == (0.0, 0.0, 1.0, "not shown")
    with pytest.raises(ValueError, match="a_boot and b_boot"):
        bootstrap_finding(0, 0, a_boot, b_boot[:5], a="A", b="B", quantity="q", range="r", num_problems=10)


def test_a_family_keeps_a_lone_small_p_value_from_counting():
    rng = np.random.default_rng(5)
    base = rng.random(100)
    z = rng.normal(0, 1, 100)
    z = (z - z.mean()) / z.std(ddof=1)  # exactly mean 0, sd 1: the difference below has se 0.01, so p = 2 Phi(-2) = 0.0455
    shown = paired_finding(base + 0.02 + 0.1 * z, base, a="A", b="B", quantity="q", range="r")
    assert 0.0125 < shown.p_value < 0.05 and shown.verdict == "ahead"  # shown alone, not after Holm over 4
    others = [paired_finding(base + 0.1 * rng.permutation(z), base, a=f"C{i}", b="B", quantity="q", range="r") for i in range(3)]
    judged = family([shown, *others])
    assert judged[0].verdict == "not shown" and judged[0].unadjusted_verdict == "ahead"
    assert "before Holm's adjustment over 4 comparisons" in judged[0].sentence()
    strong = paired_finding(base + 0.2, base + rng.normal(0, 0.01, 100), a="D", b="B", quantity="q", range="r")
    assert family([strong, *others])[0].verdict == "ahead" and "after Holm's adjustment over 4" in family([strong, *others])[0].sentence()


def test_a_trend_chains_its_steps_and_names_the_steps_not_shown():
    rng = np.random.default_rng(6)
    x = rng.random(80)
    v = {"s": x, "m": x + 0.2 + rng.normal(0, 0.01, 80), "l": x + 0.2 + rng.normal(0, 0.05, 80)}
    steps = [paired_finding(v[b], v[a], a=b, b=a, quantity="q", range="r") for a, b in (("s", "m"), ("m", "l"))]
    t = trend(steps, quantity="accuracy")
    assert t.order == ("s", "m", "l") and t.direction() == "up at 1 of 2 steps, down at none"
    assert "up at 1, down at 0, not shown at 1 of 2 steps" in t.sentence()
    rising = trend([steps[0], paired_finding(v["l"] + 0.3, v["m"], a="l", b="m", quantity="q", range="r")], quantity="q",
                   words=("less negative", "more negative"))
    assert rising.direction() == "less negative at every step" and "(less negative)" in rising.sentence()
    with pytest.raises(ValueError, match="chain"):
        trend(steps[::-1], quantity="accuracy")


def test_a_summary_shows_as_markdown_and_plain_text():
    f = paired_finding([1, 0, 1], [0, 0, 1], a="A", b="B", quantity="q", range="r")
    s = Summary(f, ["a fact"])
    assert s._repr_markdown_() == repr(s) == f"- {f.sentence()}\n- a fact"
    assert isinstance(f, Finding)


def test_a_trend_states_the_power_of_each_step_not_shown():
    x = np.linspace(0, 1, 40)
    noise = np.tile([0.2, -0.2], 20)
    steps = [paired_finding(x + 0.1, x, a="m", b="s", quantity="q", range="r"),
             paired_finding(x + 0.1 + noise, x + 0.1, a="l", b="m", quantity="q", range="r")]
    t = trend(steps, quantity="accuracy")
    assert t.steps[1].verdict == "not shown"
    assert f"could detect at 80% power: {t.steps[1].detectable:.3f}" in t.sentence()
    assert "could detect" not in t.sentence().split(";")[1]  # the shown step states no power


def test_when_few_problems_differ_the_sign_test_decides_and_no_power_is_claimed():
    zeros = np.zeros(128)
    none = paired_finding(zeros, zeros, a="A", b="B", quantity="coverage", range="k = 100")
    assert none.verdict == "not shown" and none.num_differ == 0 and "no problem differs" in none.sentence()
    assert "could detect" not in none.sentence()
    # 5 problems of 128 differ, all the same way: the normal interval excludes 0, the exact sign test (p = 2 / 2^5) does not
    few = zeros.copy()
    few[:5] = 0.01
    f = paired_finding(few, zeros, a="A", b="B", quantity="coverage", range="k = 100")
    assert f.lower > 0 and f.p_value == pytest.approx(2 / 2**5) and f.verdict == "not shown"
    assert "only 5 problems differ" in f.sentence() and "could detect" not in f.sentence()
    # 9 of 9 the same way: p = 2 / 2^9 < 0.05, and the interval excludes 0: shown
    nine = zeros.copy()
    nine[:9] = 0.01
    assert paired_finding(nine, zeros, a="A", b="B", quantity="q", range="r").verdict == "ahead"
    # from 10 problems that differ on, the normal interval alone decides
    assert paired_finding(np.r_[np.full(10, 0.01), zeros[10:]], zeros, a="A", b="B", quantity="q", range="r").num_differ == 10


def test_words_say_the_direction_without_a_better_side():
    f = paired_finding(np.linspace(-1, 0, 50) - 0.2, np.linspace(-1, 0, 50), a="Beta -alpha", b="b", quantity="exponent", range="r",
                       words=("less negative", "more negative"))
    assert f.verdict == "behind" and f.said == "more negative" and "Beta -alpha more negative." in f.sentence()
    with pytest.raises(ValueError, match="words"):
        paired_finding([1, 0], [0, 0], a="A", b="B", quantity="q", range="r", words=("up", "up"))


def test_a_trend_over_steps_of_different_ranges_names_each_steps_range():
    x = np.linspace(0, 1, 30)
    steps = [paired_finding(x + 0.1, x, a="m", b="s", quantity="q", range="k = 1 to 1,024"),
             paired_finding(x[:20] + 0.2, x[:20] + 0.1, a="l", b="m", quantity="q", range="k = 1 to 128")]
    text = trend(steps, quantity="b", words=("less negative", "more negative")).sentence()
    assert "m -> l [k = 1 to 128; 20 problems]" in text and "problems per step" in text and "2 steps" in text
    one = trend(steps[:1], quantity="b").sentence()
    assert "1 step," in one and "of 1 step:" in one and "[k = " not in one
    f = family([steps[0], *[paired_finding(x + 0.001 * i, x, a="c", b="d", quantity="q", range="r", words=("up", "down")) for i in range(3)]])
    assert all("ahead before" not in g.sentence() for g in f)


def test_a_trends_direction_names_what_its_shown_steps_say():
    x = np.linspace(0, 1, 40)
    up = lambda a, b, d: paired_finding(x + d, x, a=a, b=b, quantity="q", range="r")  # noqa: E731
    flat = lambda a, b: paired_finding(x + np.tile([0.1, -0.1], 20), x, a=a, b=b, quantity="q", range="r")  # noqa: E731
    assert trend([up("b", "a", 0.1), up("c", "b", -0.1)], quantity="q").direction() == "both directions"
    assert trend([flat("b", "a"), flat("c", "b")], quantity="q").direction() == "no step shown"
    assert trend([up("b", "a", -0.1), flat("c", "b")], quantity="q").direction() == "down at 1 of 2 steps, up at none"
    assert trend([up("b", "a", -0.1), up("c", "b", -0.1)], quantity="q").direction() == "down at every step"


def test_a_censored_bootstrap_states_no_power():
    rng = np.random.default_rng(7)
    a_boot = rng.normal(0.3, 0.2, 500)
    b_boot = a_boot - np.where(rng.random(500) < 0.05, 0.0, 0.3)  # 5% of replicates set to no difference
    f = bootstrap_finding(0.3, 0.0, a_boot, b_boot, a="A", b="B", quantity="q", range="r", num_problems=50, censored=25)
    assert f.censored == 25 and f.verdict == "not shown" and "25 resamples' differences were set by a rule" in f.sentence()
    assert "could detect" not in f.sentence()


def test_rounding_noise_is_no_difference():
    base = np.linspace(0.1, 0.9, 122)
    noisy = base + np.r_[np.full(8, 3e-15), np.zeros(114)]
    noisy[10] += 0.018
    f = paired_finding(noisy, base, a="A", b="B", quantity="q", range="r")
    assert f.num_differ == 1 and f.p_value == 1.0 and "only 1 problem differs" in f.sentence()


def test_a_family_states_its_power_at_holms_first_threshold_too():
    rng = np.random.default_rng(8)
    base = rng.random(100)
    fs = family([paired_finding(base + rng.normal(0, 0.1, 100), base, a=f"A{i}", b="B", quantity="q", range="r") for i in range(5)])
    f = fs[0]
    se = f.detectable / (norm.ppf(0.975) + norm.ppf(0.8))
    assert f.holm_detectable == pytest.approx((norm.ppf(1 - 0.01 / 2) + norm.ppf(0.8)) * se)
    assert f"{f.holm_detectable:.3f} at Holm's first threshold over 5 comparisons" in f.sentence()


def test_a_sign_test_below_alpha_with_an_interval_holding_zero_says_why_not_shown():
    zeros = np.zeros(31)
    seven = zeros.copy()
    seven[:7] = [0.01, 0.02, 0.5, 0.01, 0.03, 0.01, 0.02]
    f = paired_finding(zeros, seven, a="beam", b="best-of-N", quantity="q", range="bin 5")
    assert f.p_value == pytest.approx(2 / 2**7) and f.lower <= 0 <= f.upper and f.verdict == "not shown"
    assert "holds 0, and a verdict needs both" in f.sentence()
