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
