"""ttslib.pythia: the Pythia counts' inference_compute column, and how its sizes are recovered."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import ROOT
from ttslib.data import read_pythia_counts
from ttslib.pythia import attribute_flops, inference_compute_tokens
from ttslib.registry import registry


@pytest.mark.parametrize("task,low,high", [("math", 1100, 1300), ("gsm8k", 1150, 1700)])
def test_pythia_inference_compute_is_2N_times_about_1200_tokens(task, low, high):
    """Each (model, checkpoint) group's median inference_compute equals 2 N T for one Pythia size N with
    T in a narrow band (about 1,200 tokens on MATH, 1,370 on GSM8K): FLOPs of one sample as 2 x params x
    tokens. The size it fits is mostly *not* the row's model label (see notebook 05)."""
    counts = read_pythia_counts(ROOT / "data" / f"pythia_checkpoints_{task}_counts.csv")
    median = counts.groupby(["model", "pretrain_tokens"])["inference_compute"].median().to_numpy()
    params = registry().query("family == 'Pythia'")["params"].to_numpy()
    tokens = median[:, None] / (2 * params[None, :])  # (groups, sizes)
    nearest = tokens[np.arange(len(tokens)), np.argmin(np.abs(np.log(tokens / np.sqrt(low * high))), axis=1)]
    assert np.all((nearest > low) & (nearest < high)), np.sort(nearest)[[0, -1]]


def test_attribute_flops_recovers_scrambled_sizes():
    # values 2 N T with T about 1,200 tokens (+-3%) and the size of each value unknown, as in the Pythia column
    rng = np.random.default_rng(1)
    params = registry().query("family == 'Pythia'")["params"].to_numpy()
    true = rng.integers(0, params.size, 200)
    tokens = 1200 * rng.uniform(0.97, 1.03, 200)
    idx, got = attribute_flops(2 * params[true] * tokens, params)
    np.testing.assert_array_equal(idx, true)
    np.testing.assert_allclose(got, tokens, rtol=1e-12)
    with pytest.raises(ValueError, match="numbers > 0"):
        attribute_flops([1e9, -1], params)




def test_inference_compute_tokens_table_on_the_shipped_counts():
    counts = read_pythia_counts(ROOT / "data" / "pythia_checkpoints_math_counts.csv")
    params = registry().query("family == 'Pythia'").set_index("name")["params"]
    table = inference_compute_tokens(counts, params)
    assert len(table) == counts.groupby(["model", "pretrain_tokens"]).ngroups
    assert table["label_tokens"].max() / table["label_tokens"].min() > 1e4  # with the label: no common length
    assert table["tokens_per_sample"].between(1100, 1300).all()  # with the implied size: one narrow band
    with pytest.raises(ValueError, match="no parameter count"):
        inference_compute_tokens(counts, params.drop("pythia-1b"))
