"""ttslib.exchange against brute force: FLOPs summed sample by sample, pass@k by enumerating subsets."""

from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from ttslib.exchange import equal_flops_exchange
from ttslib.flops import sequence_flops

SMALL, LARGE = "SmolLM2-135M", "gemma-3-270m"


def table(correct, prompt, completion, prefix="p"):
    """A sample table: correct (P, N) bool, prompt (P,) tokens, completion (P, N) tokens."""
    P, N = np.shape(correct)
    return pd.DataFrame({
        "problem_id": [f"{prefix}{i}" for i in range(P) for _ in range(N)],
        "sample_idx": [j for _ in range(P) for j in range(N)],
        "completion": "x", "answer": "1",
        "is_correct": np.ravel(correct).astype(bool),
        "num_prompt_tokens": np.repeat(prompt, N),
        "num_completion_tokens": np.ravel(completion),
    })


def brute_pass(correct_row, k):
    return np.mean([any(correct_row[list(s)]) for s in combinations(range(len(correct_row)), k)])


def brute_flops(correct, prompt, completion, model, k, shared=True):
    """Per problem: the prompt once (or with every sample), then k times the mean of its samples' costs;
    averaged over problems."""
    total = 0.0
    for p, row in zip(prompt, completion):
        if shared:
            total += float(sequence_flops(model, p)) + k * np.mean([float(sequence_flops(model, m, start=p)) for m in row])
        else:
            total += k * np.mean([float(sequence_flops(model, p + m)) for m in row])
    return total / len(prompt)


@pytest.fixture
def pair():
    rng = np.random.default_rng(7)
    P, N_small, N_large = 6, 8, 4
    small = (rng.random((P, N_small)) < [[0.05], [0.2], [0.5], [0.0], [0.9], [0.3]], rng.integers(20, 60, P),
             rng.integers(1, 40, (P, N_small)))
    large = (rng.random((P, N_large)) < [[0.3], [0.4], [0.6], [0.1], [0.9], [0.2]], rng.integers(20, 60, P),
             rng.integers(1, 40, (P, N_large)))
    return small, large


@pytest.mark.parametrize("shared", [True, False])
def test_matches_brute_force(pair, shared):
    small, large = pair
    got = equal_flops_exchange(table(*small), table(*large), SMALL, LARGE, shared_prompt=shared)
    assert got["k_large"].tolist() == [1, 2, 3, 4]
    for row in got.itertuples():
        f_large = brute_flops(*large, LARGE, row.k_large, shared)
        fits = [j for j in range(1, 9) if brute_flops(*small, SMALL, j, shared) <= f_large * (1 + 1e-12)]
        assert row.k_small == max(fits)
        assert row.flops_large == pytest.approx(f_large, rel=1e-12)
        assert row.flops_small == pytest.approx(brute_flops(*small, SMALL, row.k_small, shared), rel=1e-12)
        p_small = np.array([brute_pass(r, row.k_small) for r in small[0]])
        p_large = np.array([brute_pass(r, row.k_large) for r in large[0]])
        d = p_small - p_large
        se = d.std(ddof=1) / np.sqrt(d.size)
        assert row.pass_small == pytest.approx(p_small.mean()) and row.pass_large == pytest.approx(p_large.mean())
        assert row.difference == pytest.approx(d.mean())
        assert (row.lower, row.upper) == pytest.approx((d.mean() - 1.959964 * se, d.mean() + 1.959964 * se), rel=1e-5)
        assert row.verdict == ("ahead" if row.lower > 0 else "behind" if row.upper < 0 else "not shown")


def test_row_order_and_capped(pair):
    small, large = pair
    a = equal_flops_exchange(table(*small), table(*large), SMALL, LARGE)
    shuffled = [table(*t).sample(frac=1.0, random_state=3) for t in (small, large)]
    pd.testing.assert_frame_equal(a, equal_flops_exchange(*shuffled, SMALL, LARGE))
    # two small samples only: from some budget on the small model could afford a third it does not have
    two = (small[0][:, :2], small[1], small[2][:, :2])
    b = equal_flops_exchange(table(*two), table(*large), SMALL, LARGE)
    assert (b["k_small"] <= 2).all() and b["capped"].any()
    for row in b.itertuples():
        third = brute_flops(*two, SMALL, 2) + (brute_flops(*two, SMALL, 2) - brute_flops(*two, SMALL, 1))
        assert row.capped == (row.k_small == 2 and third <= row.flops_large)
    assert not a["capped"].iloc[0]


def test_bad_input(pair):
    small, large = pair
    with pytest.raises(ValueError, match="same problems"):
        equal_flops_exchange(table(*small), table(*large, prefix="q"), SMALL, LARGE)
    with pytest.raises(ValueError, match="k must lie in 1..N = 4"):
        equal_flops_exchange(table(*small), table(*large), SMALL, LARGE, k=5)
    uneven = table(*small).iloc[:-1]
    with pytest.raises(ValueError, match="same number of samples"):
        equal_flops_exchange(uneven, table(*large), SMALL, LARGE)
    with pytest.raises(ValueError, match="not in the registry"):
        equal_flops_exchange(table(*small), table(*large), "no-such-model", LARGE)


def test_swapped_models_or_tables_are_refused_not_answered_with_an_empty_table(pair):
    # issue 29: with the models swapped every budget of the "large" one bought no sample of the "small"
    # one and the result was an empty table; the tables' model column was never read
    small, large = pair
    with pytest.raises(ValueError, match="no budget to compare. Are the two models swapped"):
        equal_flops_exchange(table(*large), table(*small), "Qwen2.5-7B", "pythia-70m")
    named = lambda t, model: table(*t).assign(model=model)  # noqa: E731  the column a run writes
    ok = equal_flops_exchange(named(small, "SmolLM2-135M-Instruct.Q4_1"), named(large, "gemma-3-270m-q4_k_m"), SMALL, LARGE)
    pd.testing.assert_frame_equal(ok, equal_flops_exchange(table(*small), table(*large), SMALL, LARGE))
    with pytest.raises(ValueError, match=r"small: the table's model column says 'gemma-3-270m-q4_k_m' \(registry: gemma-3-270m\), "
                                         r"but small_model is SmolLM2-135M; are the two tables or the two models swapped"):
        equal_flops_exchange(named(small, "gemma-3-270m-q4_k_m"), named(large, "gemma-3-270m-q4_k_m"), SMALL, LARGE)
    with pytest.raises(ValueError, match="large: the table's model column says 'SmolLM2-135M-Instruct.Q4_1'"):
        equal_flops_exchange(named(small, "SmolLM2-135M-Instruct.Q4_1"), named(large, "SmolLM2-135M-Instruct.Q4_1"), SMALL, LARGE)
    with pytest.raises(ValueError, match="holds 2 models"):
        equal_flops_exchange(table(*small).assign(model=["a", "b"] * 24), table(*large), SMALL, LARGE)
    # a model name the registry does not know cannot be checked, and is let through
    assert len(equal_flops_exchange(named(small, "my-finetune"), table(*large), SMALL, LARGE)) == 4


def test_a_model_against_itself_spends_the_same_samples_and_is_never_capped(pair):
    # equal FLOPs are allowed (F_small(j) <= F_large(k) with equality: k_small = k), and a model that
    # has all the samples its budget buys is not capped: one more sample would cost more than the budget
    small, _ = pair
    got = equal_flops_exchange(table(*small), table(*small), SMALL, SMALL)
    assert got["k_small"].tolist() == got["k_large"].tolist() == list(range(1, 9))
    assert (got["difference"] == 0).all() and (got["verdict"] == "not shown").all()
    np.testing.assert_array_equal(got["flops_small"], got["flops_large"])
    assert not got["capped"].any()
