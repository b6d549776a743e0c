"""ttslib.policy.results: the strategy-results table from exact selections, and the expected cost of sampling
against the FLOPs formula."""

import numpy as np
import pytest

from ttslib.flops import inference_flops
from ttslib.policy import Strategy, VerifierSpec, results_from_selection, sampling_cost, strategies_of, strategy_curve
from ttslib.selection import best_of_n, majority_vote, weighted_vote


def test_results_from_selection_and_sampling_cost():
    rng = np.random.default_rng(0)
    correct = rng.random((6, 8)) < 0.5
    answers = np.where(correct, "r", rng.choice(["a", "b"], (6, 8))).astype(object)
    scores = rng.random((6, 8))
    ns = np.array([1, 2, 8])
    v = VerifierSpec.recorded("v")
    maj, bon, wei = Strategy("majority"), Strategy("best_of_n", v), Strategy("weighted", v)
    sels = {maj: majority_vote(answers, correct, ns), bon: best_of_n(correct, scores, ns), wei: weighted_vote(answers, correct, scores, ns)}
    tokens = rng.integers(1, 20, (6, 8))
    cost = sampling_cost(tokens, ns)
    np.testing.assert_allclose(cost, tokens.mean(1, keepdims=True) * ns)
    ids = [f"p{i}" for i in range(6)]
    df = results_from_selection(sels, ids, cost, level=np.arange(6), score=scores.mean(1))
    strategy = strategies_of(df)
    assert set(strategy) == {maj, bon, wei} and len(df) == 3 * 6 * 3
    assert (df["method"].to_numpy() == [s.method for s in strategy]).all() and (df.loc[strategy == maj, "verifier"].isna()).all()
    row = df[(strategy == wei) & (df["n"] == 2) & (df.problem_id == "p4")].iloc[0]
    assert row["accuracy"] == sels[wei].per_problem[4, 1] and row["cost"] == cost[4, 1] and row["level"] == 4
    _, acc, _ = strategy_curve(df, bon, problem_ids=ids[::-1])
    np.testing.assert_array_equal(acc, sels[bon].per_problem[::-1])
    flops = sampling_cost(tokens, [8], prompt_tokens=np.full(6, 30), model="SmolLM2-135M")  # n = N: every sample
    np.testing.assert_allclose(flops[:, 0], [inference_flops("SmolLM2-135M", 30, t) for t in tokens])
    with pytest.raises(ValueError, match="shape"):
        results_from_selection(sels, ids[:5], cost)
