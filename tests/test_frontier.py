"""The iso-FLOPs frontier of ``ttslib.frontier`` on hand-worked cases."""

from __future__ import annotations

import numpy as np
import pytest

from ttslib.frontier import flops_to_reach, iso_flops_frontier


def test_flops_to_reach_and_frontier_on_a_hand_case():
    k = np.array([1, 2, 4, 8])
    small = (k, 1.0 * k, np.array([0.1, 0.2, 0.3, 0.4]))  # cheap per sample, slow to improve
    large = (k, 3.0 * k, np.array([0.25, 0.35, 0.45, 0.5]))
    np.testing.assert_array_equal(flops_to_reach(*small[1:], [0.05, 0.3, 0.45]), [1, 4, np.nan])
    table = iso_flops_frontier({"small": small, "large": large}, [0.2, 0.25, 0.4, 0.5])
    best = table[table["cheapest"]].set_index("target")
    # 0.2: small k = 2 (2 FLOPs) vs large k = 1 (3); 0.25: small k = 4 (4) vs large k = 1 (3);
    # 0.4: small k = 8 (8) vs large k = 4 (12); 0.5: only large, k = 8 (24).
    assert best["model"].to_dict() == {0.2: "small", 0.25: "large", 0.4: "small", 0.5: "large"}
    assert best["k"].to_dict() == {0.2: 2, 0.25: 1, 0.4: 8, 0.5: 8}
    assert best["flops"].to_dict() == {0.2: 2, 0.25: 3, 0.4: 8, 0.5: 24}
    assert table.query("model == 'small' and target == 0.5")["flops"].isna().all()


def test_flops_to_reach_rejects_unordered_budgets():
    with pytest.raises(ValueError, match="flops must increase"):
        flops_to_reach([1, 1], [0.1, 0.2], [0.1])


def test_flops_to_reach_refuses_nan_scores():
    with pytest.raises(ValueError, match="finite"):
        flops_to_reach([1.0, 2.0, 3.0], [0.1, np.nan, 0.3], [0.2])


def test_cheapest_findings_paired_over_the_same_resamples():
    # the same per-problem curves, priced 1x and 10x per budget: every resample puts them exactly 1 decade apart
    rng = np.random.default_rng(0)
    pp = np.sort(rng.random((40, 6)), axis=1)  # (P, K) scores rising with the budget
    k = np.arange(1, 7)
    from ttslib.frontier import SELECTED, cheapest_findings

    found = cheapest_findings({"cheap": (1.0 * k, pp), "dear": (10.0 * k, pp)}, [0.3, 0.5, 2.0], quantity="score", n_boot=50)
    assert list(found) == [0.3, 0.5]  # the target 2.0 is reached by nobody: no finding
    for f in found.values():
        assert (f.a, f.b, f.verdict) == ("cheap", "dear", "ahead")
        assert (f.difference, f.lower, f.upper) == pytest.approx((1.0, 1.0, 1.0))
        assert f.num_problems == 40 and "-log10 FLOPs" in f.quantity
        assert f.range.endswith(SELECTED)  # the sentence says the pair was picked on the problems it is tested on
    (f,) = cheapest_findings({"cheap": (1.0 * k, pp), "dear": (10.0 * k, pp)}, [0.3], n_boot=50, range="one assumed length").values()
    assert f.range == f"one assumed length; {SELECTED}"


def test_cheapest_findings_resolve_a_censored_resample_towards_no_difference():
    # "a" reaches 0.5 only at its last budget on all problems; in resamples where it does not, its FLOPs are
    # unknown beyond its range, and the replicate counts as no difference rather than as a lead for either side
    pp_a = np.array([[0.0, 1.0]] * 5 + [[0.0, 0.0]] * 5)  # mean 0.5 at k = 2
    pp_b = np.array([[0.6, 0.6]] * 10)
    from ttslib.frontier import cheapest_findings

    (f,) = cheapest_findings({"a": (np.array([1.0, 2.0]), pp_a), "b": (np.array([3.0, 6.0]), pp_b)}, [0.5], n_boot=400, seed=1).values()
    assert (f.a, f.b) == ("a", "b") and f.difference == pytest.approx(np.log10(3 / 2))
    assert f.lower == 0.0 and f.verdict == "not shown"  # some resamples leave a short of 0.5: counted as 0, never below
    assert f.upper == pytest.approx(np.log10(3 / 2))


def test_cheapest_findings_bad_input():
    from ttslib.frontier import cheapest_findings

    with pytest.raises(ValueError, match="same problems"):
        cheapest_findings({"a": ([1.0, 2.0], np.zeros((3, 2))), "b": ([1.0, 2.0], np.zeros((4, 2)))}, [0.1])
    with pytest.raises(ValueError, match=r"curves\['b'\]: flops must be \(K,\) increasing"):
        cheapest_findings({"a": ([1.0, 2.0], np.zeros((3, 2))), "b": ([2.0, 1.0], np.zeros((3, 2)))}, [0.1])
