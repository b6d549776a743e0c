"""ttslib.sequential against brute force: every p-subset of chains of tiny pools, each chain's answer read by a
plain loop; a scripted pool whose revisions behave in a known way; costs; bad input."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pytest

from ttslib.sequential import chain_answers, make_chain_pool, splits, transitions


def tiny(seed=0, P=5, C=4, R=3, K=3):
    rng = np.random.default_rng(seed)
    cls = rng.integers(-1, K, size=(P, C, R))
    good = rng.random((P, K)) < 0.5
    correct = np.where(cls >= 0, good[np.arange(P)[:, None, None], np.maximum(cls, 0)], False)
    tokens = rng.integers(1, 20, size=(P, C, R))
    context = rng.integers(5, 50, size=(P, C, R))
    return make_chain_pool(cls, correct, tokens, context=context), cls, correct, tokens, context


def brute_chain_answer(rounds, how):
    """One chain's answer from its list of round answers (-1: none), by the rule in words."""
    if how == "last":
        return rounds[-1]
    votes = Counter(a for a in rounds if a >= 0)
    if not votes:
        return -1
    top = max(votes.values())
    tied = {a for a, v in votes.items() if v == top}
    return next(a for a in reversed(rounds) if a in tied)  # the latest round among the tied answers


def brute_accuracy(cls, correct, p, r, how):
    P, C, R = cls.shape
    out = np.zeros(P)
    for q in range(P):
        right = {a for a, k in zip(cls[q].ravel(), correct[q].ravel()) if k}
        answers = [brute_chain_answer(list(cls[q, c, :r]), how) for c in range(C)]
        subsets = list(itertools.combinations(range(C), p))
        for s in subsets:
            votes = Counter(answers[c] for c in s if answers[c] >= 0)
            if not votes:
                continue
            top = max(votes.values())
            tied = [a for a, v in votes.items() if v == top]
            out[q] += sum(a in right for a in tied) / len(tied) / len(subsets)
    return out


@pytest.mark.parametrize("how", ["last", "majority"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_split_equals_the_enumeration_of_chain_subsets(how, seed):
    pool, cls, correct, tokens, context = tiny(seed)
    for s in splits(pool, [1, 2, 3, 4, 6, 8, 12], how=how):
        assert s.p * s.r in (1, 2, 3, 4, 6, 8, 12)
        assert np.allclose(s.accuracy, brute_accuracy(cls, correct, s.p, s.r, how), atol=1e-12), (s.p, s.r)
        assert np.allclose(s.tokens, s.p * tokens[:, :, : s.r].sum(2).mean(1))
        assert np.allclose(s.read, s.p * context[:, :, : s.r].sum(2).mean(1))


def test_the_splits_of_a_budget_are_every_factorisation_within_the_pool():
    pool = tiny(P=2, C=4, R=3)[0]
    assert sorted((s.p, s.r) for s in splits(pool, [6])) == [(2, 3), (3, 2)]  # 1 x 6 and 6 x 1 do not fit 4 chains x 3 rounds
    assert sorted((s.p, s.r) for s in splits(pool, [4])) == [(2, 2), (4, 1)]


def test_a_scripted_reviser_gives_its_known_accuracy():
    # every chain starts wrong (answer 1) and its revision is right (answer 0) from round 2 on: the last round is
    # right at r >= 2, and a chain's majority over its rounds is right from r = 3 (two right rounds against one;
    # at r = 2 the tie goes to the latest round, the right one)
    P, C, R = 3, 4, 4
    cls = np.ones((P, C, R), dtype=int)
    cls[:, :, 1:] = 0
    pool = make_chain_pool(cls, cls == 0, np.full((P, C, R), 10.0))
    by = {(s.how, s.p, s.r): s.accuracy.mean() for how in ("last", "majority") for s in splits(pool, [1, 2, 4, 8], how=how)}
    assert by[("last", 1, 1)] == 0 and by[("last", 4, 1)] == 0 and by[("last", 1, 2)] == 1 and by[("last", 2, 4)] == 1
    assert by[("majority", 1, 2)] == 1 and by[("majority", 2, 2)] == 1
    t = transitions(pool)
    assert np.all(t["wrong_to_right"][:, 0] == 1) and np.all(t["right_to_wrong"] == 0)


def test_chain_answers_by_majority_breaks_ties_to_the_latest_round():
    cls = np.array([[[2, 1, 1, 2, -1]]])
    pool = make_chain_pool(cls, cls == 1, np.ones((1, 1, 5)))
    two, one = pool.classes[0, 0, 0], pool.classes[0, 0, 1]  # the pool's own ids of answers 2 and 1
    assert chain_answers(pool, 1, "majority")[0][0, 0] == two
    assert chain_answers(pool, 3, "majority")[0][0, 0] == one and chain_answers(pool, 3, "majority")[1][0, 0]  # 1 twice, 2 once
    assert chain_answers(pool, 4, "majority")[0][0, 0] == two  # a tie: 2 came last
    assert chain_answers(pool, 5, "majority")[0][0, 0] == two  # a missing answer votes for nothing
    assert chain_answers(pool, 5, "last")[0][0, 0] == -1 and not chain_answers(pool, 5, "last")[1][0, 0]


def test_row_order_and_answers_as_strings_give_the_same_numbers():
    pool, cls, correct, tokens, _ = tiny(3)
    words = np.where(cls >= 0, cls.astype(str), None)
    as_text = make_chain_pool(words, correct, tokens)
    perm = np.random.default_rng(0).permutation(cls.shape[0])
    shuffled = make_chain_pool(cls[perm], correct[perm], tokens[perm])
    for a, b, c in zip(splits(pool, [2, 4]), splits(as_text, [2, 4]), splits(shuffled, [2, 4])):
        assert np.allclose(a.accuracy, b.accuracy) and np.allclose(a.accuracy[perm], c.accuracy)


def test_bad_input_names_what_is_wrong():
    pool, cls, correct, tokens, _ = tiny()
    with pytest.raises(ValueError, match="r must"):
        chain_answers(pool, 0)
    with pytest.raises(ValueError, match="how must"):
        splits(pool, [2], how="best")
    with pytest.raises(ValueError, match="no split"):
        splits(pool, [7])
    with pytest.raises(ValueError, match="budgets must"):
        splits(pool, [0])
    with pytest.raises(ValueError, match=r"\(P, C, R\)"):
        make_chain_pool(cls[0], correct[0], tokens[0])
    bad = correct.copy()
    q, c, r = np.argwhere(cls >= 0)[0]
    same = (cls[q] == cls[q, c, r])
    bad[q][same] = ~bad[q][same]
    bad[q, c, r] = ~bad[q, c, r]  # one sample of the answer now disagrees with the others
    if same.sum() > 1:
        with pytest.raises(ValueError, match="correct differs within an answer"):
            make_chain_pool(cls, bad, tokens)
    with pytest.raises(ValueError, match="tokens must"):
        make_chain_pool(cls, correct, -np.ones(cls.shape))


def test_the_held_out_policy_chooses_revisions_in_one_bin_and_parallel_chains_in_the_other():
    """Two kinds of problems, 4 chains x 2 rounds. "fixable": every first attempt wrong (each chain its own wrong
    answer), every revision right: 2 rounds x 1 chain is right, 2 parallel chains of 1 round never. "fragile":
    first attempts right in 3 of 4 chains, every revision the same wrong answer: one chain of 1 round is right with
    probability 3/4 (two chains of 1 round too: half the pairs hold the wrong chain and tie), 2 rounds never.
    Under a mean budget of 2 attempts, the policy chosen on the other fold takes 2 rounds in one bin and a single
    round (its cheapest n, 1) in the other."""
    import pandas as pd

    from ttslib.policy import Strategy, difficulty_bins, evaluate_policy
    from ttslib.sequential import Revisions
    from ttslib.strategies import revision_strategies

    per_kind = 6
    fixable = np.array([[[10 + c, 0] for c in range(4)]] * per_kind)  # answer 0 is right
    fragile = np.array([[[0, 9], [0, 9], [0, 9], [11, 9]]] * per_kind)
    cls = np.concatenate([fixable, fragile])
    pool = make_chain_pool(cls, cls == 0, np.full(cls.shape, 5.0))
    ids = np.array([f"fix{i}" for i in range(per_kind)] + [f"fra{i}" for i in range(per_kind)])
    table = revision_strategies(pool, ids).table("tokens")
    bins = difficulty_bins(pd.Series(np.where(np.char.startswith(ids, "fix"), 1, 2), index=ids), "given")
    ev = evaluate_policy(table, bins, max_costs=[10.0], folds=2, seed=0, n_boot=20)
    held = ev.choices[(ev.choices["fold"] >= 0) & (ev.choices["bin"] != "all")]
    assert len(held) == 4
    for _, c in held.iterrows():
        want = (Strategy("majority", revisions=Revisions(2)), 2) if c["bin"] == 1 else (Strategy("majority", revisions=Revisions(1)), 1)
        assert (c["strategy"], c["n"]) == want
    assert ev.held_out[:, 0].mean() == pytest.approx((1 + 3 / 4) / 2)


def test_repair_curve_is_pass_at_p_over_chains_by_enumeration():
    """Every p-subset of the C chains, brute force: solved if any chain's round-r program passes."""
    from itertools import combinations

    from ttslib.sequential import repair_curve

    rng = np.random.default_rng(5)
    correct = rng.random((6, 5, 3)) < 0.3
    tokens = rng.integers(0, 40, size=(6, 5, 3)).astype(float)
    for r in (1, 2, 3):
        rate, spent = repair_curve(correct, tokens, r)
        for p in range(1, 6):
            subsets = list(combinations(range(5), p))
            want = np.array([np.mean([correct[i, list(s), r - 1].any() for s in subsets]) for i in range(6)])
            cost = np.array([np.mean([tokens[i, list(s), :r].sum() for s in subsets]) for i in range(6)])
            assert np.allclose(rate[:, p - 1], want) and np.allclose(spent[:, p - 1], cost)
    with pytest.raises(ValueError, match="rounds in 1..R"):
        repair_curve(correct, tokens, 4)


def test_resampling_at_a_token_budget_is_pass_at_k_joined_linearly():
    from ttslib.coverage import pass_at_k
    from ttslib.sequential import resample_at_tokens

    n, c, m = np.array([10, 10, 8]), np.array([0, 3, 8]), np.array([5.0, 10.0, 2.0])
    whole = resample_at_tokens(n, c, m, np.array([10.0, 30.0, 4.0]))  # k = 2, 3, 2
    assert np.allclose(whole, [0.0, pass_at_k([10], [3], 3)[0], 1.0])
    half = resample_at_tokens(n, c, m, np.array([[12.5], [25.0], [3.0]]))[:, 0]  # k = 2.5, 2.5, 1.5
    mid = 0.5 * (pass_at_k([10], [3], 2)[0] + pass_at_k([10], [3], 3)[0])
    assert np.allclose(half, [0.0, mid, 1.0])
    assert resample_at_tokens(n, c, m, np.array([0.0, 5.0, 0.0]))[1] == pytest.approx(0.5 * pass_at_k([10], [3], 1)[0])
    with pytest.raises(ValueError, match="pool cannot say"):
        resample_at_tokens(n, c, m, np.array([51.0, 1.0, 1.0]))


def test_flops_of_a_split_reread_the_growing_context_every_round():
    """round_flops: round j costs S(0, x_j + m_j) with its whole context x_j; a split p x r costs p times the mean
    over chains of the sum over rounds 1..r (the revision strategies' FLOPs), by direct sums."""
    from ttslib.flops import sequence_flops
    from ttslib.policy import Strategy
    from ttslib.sequential import Revisions, round_flops
    from ttslib.strategies import revision_strategies

    rng = np.random.default_rng(2)
    cls = rng.integers(0, 3, size=(3, 2, 3))
    tokens = rng.integers(1, 30, size=cls.shape).astype(float)
    context = 100 + np.cumsum(tokens, axis=2)  # each round reads the prompt and the attempts before it
    pool = make_chain_pool(cls, cls == 0, tokens, context=context)
    priced = round_flops(pool, "smollm2-135m")
    for p_, c, j in itertools.product(range(3), range(2), range(3)):
        assert priced.tokens[p_, c, j] == pytest.approx(float(sequence_flops("smollm2-135m", context[p_, c, j] + tokens[p_, c, j])))
    results = revision_strategies(pool, np.array(["a", "b", "c"]), model="smollm2-135m")
    s = Strategy("majority", revisions=Revisions(2))
    want = np.array([[p * np.mean([priced.tokens[i, c, :2].sum() for c in range(2)]) for p in (1, 2)] for i in range(3)])
    assert np.allclose(results.cost(s, "flops"), want)
    with pytest.raises(ValueError, match="context"):
        round_flops(make_chain_pool(cls, cls == 0, tokens), "smollm2-135m")


def test_flip_rates_count_the_chains_that_changed_sides():
    from ttslib.sequential import flip_rates

    correct = np.array([[[1, 0, 0], [1, 1, 0], [0, 1, 1]], [[0, 0, 1], [1, 1, 1], [0, 0, 0]]], dtype=bool)
    cls = np.where(correct, 0, 1 + np.arange(3)[None, None, :])
    rows = flip_rates(make_chain_pool(cls, correct, np.ones(correct.shape)), n_boot=200)
    # round 2: right before in chains (0,0), (0,1), (1,1): one goes wrong; wrong before (0,2), (1,0), (1,2): one goes right
    assert rows[0]["round"] == 2 and rows[0]["right_before"] == 3 and rows[0]["right_to_wrong"] == pytest.approx(1 / 3)
    assert rows[0]["wrong_before"] == 3 and rows[0]["wrong_to_right"] == pytest.approx(1 / 3)
    # round 3: right before (0,1), (0,2), (1,1): (0,1) goes wrong; wrong before (0,0), (1,0), (1,2): (1,0) goes right
    assert rows[1]["right_to_wrong"] == pytest.approx(1 / 3) and rows[1]["wrong_to_right"] == pytest.approx(1 / 3)
    assert rows[1]["right_to_wrong_lower"] <= rows[1]["right_to_wrong"] <= rows[1]["right_to_wrong_upper"]


def test_resampling_goes_on_with_the_pools_next_samples_within_the_budget():
    import pandas as pd

    from ttslib.sequential import resample_next

    pool = pd.DataFrame({"problem_id": ["a"] * 5 + ["b"] * 5, "sample_idx": [4, 3, 2, 1, 0] * 2,
                         "is_correct": [True, False, False, False, False] + [False, True, False, False, False],
                         "num_completion_tokens": [10] * 10})
    budget = pd.Series({"a": 25.0, "b": 25.0})
    # from position 2: a's samples 2, 3 fit (20 tokens), sample 4 (the right one) does not; b's sample 3 is right
    assert resample_next(pool.sample(frac=1.0, random_state=0), 2, budget).to_dict() == {"a": False, "b": True}
    assert resample_next(pool, 2, pd.Series({"a": 30.0, "b": 0.0})).to_dict() == {"a": True, "b": False}
    with pytest.raises(ValueError, match="fewer tokens than the budget"):
        resample_next(pool, 2, pd.Series({"a": 100.0, "b": 10.0}))
