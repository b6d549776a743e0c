"""ttslib.exchange against brute force: FLOPs summed sample by sample, pass@k by enumerating subsets."""

from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from ttslib.exchange import describe_runs, equal_flops_exchange, run_differences
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
    unnamed = equal_flops_exchange(table(*small), table(*large), SMALL, LARGE)
    pd.testing.assert_frame_equal(ok.drop(columns="finding"), unnamed.drop(columns="finding"))
    assert ok["finding"].iloc[0].a.startswith("SmolLM2-135M-Instruct.Q4_1 (") and unnamed["finding"].iloc[0].a.startswith("SmolLM2-135M (")
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


def brute_majority(answers_row, correct_row, k):
    """Expected accuracy of the most frequent answer over every k-subset, ties split evenly."""
    scores = []
    for s in combinations(range(len(answers_row)), k):
        votes = pd.Series([answers_row[i] for i in s]).value_counts()
        top = votes.index[votes == votes.max()]
        right = {answers_row[i] for i in range(len(answers_row)) if correct_row[i]}
        scores.append(np.mean([a in right for a in top]))
    return np.mean(scores)


def test_each_row_carries_its_finding_and_majority_matches_brute_force(pair):
    small, large = pair
    rng = np.random.default_rng(3)
    voted = [table(*t).assign(answer=lambda d: np.where(d["is_correct"], "1", rng.choice(["2", "3"], len(d)))) for t in (small, large)]
    got = equal_flops_exchange(*voted, SMALL, LARGE, selection="majority")
    cover = equal_flops_exchange(*voted, SMALL, LARGE)
    assert got["k_small"].tolist() == cover["k_small"].tolist()  # the budgets do not depend on the rule
    by_problem = [{p: g.sort_values("sample_idx") for p, g in t.groupby("problem_id")} for t in voted]
    for row in got.itertuples():
        per = [np.array([brute_majority(g["answer"].tolist(), g["is_correct"].tolist(), k) for g in side.values()])
               for side, k in zip(by_problem, (row.k_small, row.k_large))]
        assert row.pass_small == pytest.approx(per[0].mean()) and row.pass_large == pytest.approx(per[1].mean())
        assert row.difference == pytest.approx((per[0] - per[1]).mean())
    for t in (got, cover):
        for row in t.itertuples():  # the finding is the row: its numbers, its verdict, the quantity it names
            f = row.finding
            assert (f.difference, f.lower, f.upper, f.verdict) == pytest.approx((row.difference, row.lower, row.upper, row.verdict))
            assert f.a.startswith(f"{SMALL} ({row.k_small} sample") and f.b.startswith(f"{LARGE} ({row.k_large} sample")
            assert ("capped" in f.range) == row.capped
    assert "majority" in got["finding"].iloc[0].quantity and "oracle" in cover["finding"].iloc[0].quantity
    with pytest.raises(ValueError, match="selection must be one of"):
        equal_flops_exchange(*voted, SMALL, LARGE, selection="best_of_n")


def test_describe_runs_reads_tuning_quantisation_length_and_cap(pair):
    small, large = pair
    a = table(*small).assign(model="SmolLM2-135M-Instruct.Q4_1", finish_reason=["length"] * 3 + ["stop"] * 45)
    b = table(*large).assign(model="gemma-3-270m-q4_k_m", finish_reason="length")
    runs = describe_runs({"s": (a, SMALL, {"sampling": {"max_tokens": 40}}), "g": (b, LARGE, {"sampling": {"max_tokens": 40}})})
    assert runs.loc["s", ["tuning", "quantisation", "length_stops", "num_samples", "max_tokens"]].tolist() == [
        "instruction-tuned", "Q4_1", 3, 48, 40]
    assert runs.loc["g", ["tuning", "quantisation", "length_stops"]].tolist() == ["base", "Q4_K_M", 24]
    assert runs.loc["s", "mean_completion_tokens"] == pytest.approx(small[2].mean())
    text = run_differences(runs.loc["s"], runs.loc["g"])
    assert text.startswith("SmolLM2-135M-Instruct.Q4_1 and gemma-3-270m-q4_k_m differ in more than size: 135M against 270M parameters; "
                           "instruction-tuned against base; Q4_1 against Q4_K_M weights; ")
    assert text.endswith("3 of 48 against 24 of 24 samples cut off by the 40-token cap.")
    same = describe_runs({"x": (table(*small), SMALL, None), "y": (table(*large), LARGE, None)})
    assert same["max_tokens"].isna().all() and (same["length_stops"] == 0).all() and (same["tuning"] == "base").all()
    assert "against base" not in run_differences(same.loc["x"], same.loc["y"]) and "their length caps" in run_differences(same.loc["x"], same.loc["y"])
    with pytest.raises(ValueError, match=r"runs\['s'\]: the table names 'gemma-3-270m-q4_k_m'"):
        describe_runs({"s": (b, SMALL, None)})
