"""ttslib.policy.strategies: a strategy as a record, a pool and search runs turned into strategy results."""

import itertools

import numpy as np
import pandas as pd
import pytest

from ttslib.flops import get_model, sequence_flops, tree_flops
from ttslib.grade import answer_keys
from ttslib.policy import (Strategy, evaluate_policy, make_verifier, pool_arrays, pool_strategies, search_strategies,
                           validate_results)
from ttslib.selection import Selection, best_of_n, majority_vote, oracle, weighted_vote
from ttslib.verifiers import sample_confidence


# ---- Strategy -------------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", [
    Strategy("oracle"), Strategy("majority"), Strategy("best_of_n", "confidence"),
    Strategy("weighted", "noisy_auc0.80", "min"), Strategy("beam_search", "step_checker", beam_width=4),
    Strategy("beam_search", "prm", "prod", beam_width=2, lookahead=1, select="best_of_n"),
    Strategy("dvts", "step_checker", beam_width=4, variant="sal"), Strategy("dvts", "v", beam_width=8, select="majority"),
])
def test_a_strategy_name_spells_every_setting_and_reads_back(strategy):
    assert Strategy.parse(strategy.name) == strategy and str(strategy) == strategy.name


def test_strategies_that_differ_in_one_setting_have_different_names():
    grid = [Strategy("beam_search", "v", agg, beam_width=m, lookahead=la) for agg in ("last", "min", "prod")
            for m in (2, 4) for la in (0, 1)]
    grid += [Strategy("dvts", "v", agg, beam_width=m, variant=var) for agg in ("last", "min") for m in (2, 4) for var in ("kit", "sal")]
    assert len({s.name for s in grid}) == len(grid)
    assert Strategy("beam_search", "v", beam_width=4).name == "beam_search/v (M=4)"  # defaults stay out of the name
    assert Strategy("weighted", "v").name == "weighted/v" and Strategy("weighted", "v").aggregate == "last"


@pytest.mark.parametrize("kwargs, match", [
    ({"method": "vote"}, "method must be"), ({"method": "best_of_n"}, "needs a verifier"),
    ({"method": "majority", "verifier": "v"}, "uses no verifier"), ({"method": "beam_search", "verifier": "v"}, "beam_width"),
    ({"method": "dvts", "verifier": "v", "beam_width": 4, "lookahead": 1}, "lookahead"),
    ({"method": "weighted", "verifier": "v", "beam_width": 4}, "settings of a search"),
    ({"method": "weighted", "verifier": "v", "aggregate": "max"}, "aggregate"),
    ({"method": "beam_search", "verifier": "v", "beam_width": 4, "variant": "sal"}, "variant is a setting of DVTS"),
])
def test_a_strategy_refuses_settings_that_do_not_apply(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Strategy(**kwargs)


def test_parse_refuses_what_is_not_a_strategy_name():
    for bad in ("best-of-N", "beam_search/v (beam=4)", "weighted/v (M=)"):
        with pytest.raises(ValueError):
            Strategy.parse(bad)


# ---- pool_arrays, pool_strategies --------------------------------------------------------------


def pool_table(P=6, N=8, seed=0):
    """A pool: answers spelt two ways ("1/2" and "0.5" are one answer), step scores, tokens and log-probs."""
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(P):
        for i in range(N):
            answer = rng.choice(["1/2", "0.5", "\\frac{1}{2}", "3", "4", None], p=[0.15, 0.15, 0.1, 0.3, 0.2, 0.1])
            m = int(rng.integers(0, 20)) if answer is not None else 0
            scores = list(np.round(rng.random(int(rng.integers(1, 4))), 2))
            rows.append({"problem_id": f"q{p}", "sample_idx": i, "answer": answer, "is_correct": answer in ("1/2", "0.5", "\\frac{1}{2}"),
                         "num_completion_tokens": m, "num_prompt_tokens": 30 + p, "logprob": -0.3 * m,
                         "step_scores": scores, "verifier": "v", "step_scores_w": list(np.round(rng.random(len(scores)), 2)),
                         "level": p % 2})
    return pd.DataFrame(rows)


def test_pool_strategies_are_the_selection_rules_on_canonical_answers():
    t = pool_table()
    pa = pool_arrays(t)
    assert sorted(pa.step_scores) == ["v", "w"] and pa.shape == (6, 8)
    res = pool_strategies(pa, model="SmolLM2-135M")
    # independent: answers grouped by hand (every spelling of 1/2 one class), the rules called directly
    half = {"1/2", "0.5", "\\frac{1}{2}"}
    raw = t.sort_values(["problem_id", "sample_idx"])["answer"].to_numpy(dtype=object).reshape(6, 8)
    cls = np.array([[-1 if not isinstance(a, str) else (0 if a in half else 1 + ["3", "4"].index(a)) for a in row] for row in raw])
    correct = cls == 0
    ns = np.array([1, 2, 4, 8])
    np.testing.assert_allclose(res[Strategy("majority")].per_problem, majority_vote(cls, correct, ns).per_problem)
    np.testing.assert_allclose(res["oracle"].per_problem, oracle(correct, ns).per_problem)
    last = np.array([[s[-1] for s in row] for row in t.sort_values(["problem_id", "sample_idx"])["step_scores"].to_numpy().reshape(6, 8)])
    np.testing.assert_allclose(res["best_of_n/v"].per_problem, best_of_n(correct, last, ns, answers=cls).per_problem)
    np.testing.assert_allclose(res["weighted/v"].per_problem, weighted_vote(cls, correct, last, ns).per_problem)
    # the cost: the prompt once, then n samples of the mean length at their positions (Kaplan et al.)
    m = t.sort_values(["problem_id", "sample_idx"])["num_completion_tokens"].to_numpy().reshape(6, 8)
    p = np.arange(30, 36)
    for k, n in enumerate(ns):
        want = [sequence_flops("SmolLM2-135M", p[i]) + n * np.mean([sequence_flops("SmolLM2-135M", mj, start=p[i]) for mj in m[i]])
                for i in range(6)]
        np.testing.assert_allclose(res.cost("best_of_n/v")[:, k], want, rtol=1e-12)
        np.testing.assert_allclose(res.cost("majority", "tokens")[:, k], n * m.mean(1))


def test_pool_results_do_not_depend_on_row_order():
    t = pool_table(P=10, N=8, seed=2)
    a = pool_strategies(pool_arrays(t), verifiers=["v", "w"]).table()
    b = pool_strategies(pool_arrays(t.sample(frac=1.0, random_state=5)), verifiers=["v", "w"]).table()
    pd.testing.assert_frame_equal(a, b)
    ha, _ = pool_arrays(t).split(0.5, seed=1)
    hb, _ = pool_arrays(t.sample(frac=1.0, random_state=7)).split(0.5, seed=1)
    np.testing.assert_array_equal(ha.correct, hb.correct)
    np.testing.assert_array_equal(ha.answers, hb.answers)


def test_the_split_keeps_each_sample_once_and_its_fields_together():
    pa = pool_arrays(pool_table(P=5, N=8))
    held, rest = pa.split(0.5, seed=0)
    assert held.shape == rest.shape == (5, 4)
    for i in range(5):
        both = sorted(map(tuple, np.c_[np.r_[held.completion_tokens[i], rest.completion_tokens[i]],
                                       np.r_[held.confidence[i], rest.confidence[i]]]))
        assert both == sorted(map(tuple, np.c_[pa.completion_tokens[i], pa.confidence[i]]))


def test_confidence_is_one_definition_and_a_pool_without_verifier_uses_it():
    t = pool_table().drop(columns=["step_scores", "verifier", "step_scores_w"])
    conf = sample_confidence(t)
    m = t["num_completion_tokens"].to_numpy()
    np.testing.assert_allclose(conf, np.where(m > 0, np.exp(-0.3), 0.0))
    res = pool_strategies(pool_arrays(t))
    assert res.find(method="best_of_n") == [Strategy("best_of_n", "confidence")]
    with pytest.raises(ValueError, match="logprob"):
        sample_confidence(t.assign(logprob=0.5))


def test_bad_pools_are_refused_with_the_reason():
    t = pool_table()
    with pytest.raises(ValueError, match="same number of samples"):
        pool_arrays(t.drop(index=0))
    with pytest.raises(ValueError, match="missing column"):
        pool_arrays(t.drop(columns="answer"))
    with pytest.raises(ValueError, match="grade the table"):
        pool_arrays(t.assign(is_correct=None))
    with pytest.raises(ValueError, match="no scores of verifier 'x'"):
        pool_strategies(pool_arrays(t), verifiers=["x"])


def test_answer_keys_group_spellings_and_keep_missing():
    keys = answer_keys(np.array([["0.5", "1/2", None], ["\\frac{1}{2}", "2", np.nan]], dtype=object))
    assert keys[0, 0] == keys[0, 1] == keys[1, 0] and keys[1, 1] != keys[0, 0]
    assert keys[0, 2] is None and keys[1, 2] is None


# ---- search_strategies ----------------------------------------------------------------------------


def search_rows(method, n, beam_width, verifier="v", lookahead=0, P=4, seed=0, context=True):
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(P):
        gen = int(rng.integers(50, 200))
        for i in range(n):
            a = rng.choice(["0.5", "1/2", "7", None], p=[0.3, 0.2, 0.4, 0.1])
            steps = int(rng.integers(1, 4))
            rows.append({"problem_id": f"q{p}", "sample_idx": i, "answer": a, "is_correct": a in ("0.5", "1/2"),
                         "method": method, "n": n, "beam_width": beam_width, "lookahead": lookahead, "verifier": verifier,
                         "steps": ["s"] * steps, "step_scores": list(np.round(rng.random(steps), 2)), "step_num_tokens": [4] * steps,
                         "num_prompt_tokens": 25, "num_completion_tokens": 4 * steps, "search_generated_tokens": gen,
                         "search_prefill_tokens": 25, "search_verifier_tokens": 0.0,
                         **({"search_context_sum": gen * 31} if context else {})})
    return pd.DataFrame(rows)


def test_runs_that_differ_only_in_beam_width_or_lookahead_are_different_strategies():
    runs = pd.concat([search_rows("beam_search", 4, 2), search_rows("beam_search", 4, 4, seed=1),
                      search_rows("beam_search", 4, 4, lookahead=1, seed=2), search_rows("beam_search", 8, 4, seed=3)])
    res = search_strategies(runs)
    assert sorted(s.name for s in res) == ["beam_search/v (M=2)", "beam_search/v (M=4)", "beam_search/v (M=4, lookahead=1)"]
    assert res["beam_search/v (M=4)"].n.tolist() == [4, 8]
    validate_results(res.table())  # no duplicate rows: each setting is its own strategy
    mins = search_strategies(runs, aggregate="min")
    assert all(s.aggregate == "min" for s in mins) and "beam_search/v (M=2, aggregate=min)" in mins


def test_search_votes_group_equivalent_answers():
    runs = search_rows("dvts", 4, 2, P=6)
    res = search_strategies(runs, select="majority")
    for i, (_, g) in enumerate(runs.groupby("problem_id", sort=True)):
        counts = g["answer"].map(lambda a: None if a is None else ("half" if a in ("0.5", "1/2") else a)).value_counts()
        top = counts[counts == counts.max()].index
        assert res["dvts/v (M=2, select=majority)"].per_problem[i, 0] == pytest.approx(("half" in top) / len(top))


def test_search_flops_use_the_recorded_positions_or_say_they_were_estimated():
    runs = search_rows("beam_search", 4, 2)
    res = search_strategies(runs, model="SmolLM2-135M")
    gen = runs.groupby("problem_id")["search_generated_tokens"].first().to_numpy()
    want = sequence_flops("SmolLM2-135M", 25) + tree_flops("SmolLM2-135M", gen, gen * 31)
    np.testing.assert_allclose(res.cost("beam_search/v (M=2)")[:, 0], want, rtol=1e-12) and not res.notes
    old = search_strategies(runs.drop(columns="search_context_sum"), model="SmolLM2-135M")
    assert old.notes and "estimated" in old.notes[0]
    assert np.all(old.cost("beam_search/v (M=2)") > 2 * get_model("SmolLM2-135M").params * (gen + 25)[:, None])


def test_tree_flops_of_one_contiguous_run_is_sequence_flops():
    for start, n in itertools.product([0, 7, 100], [1, 5, 64]):
        positions = sum(range(start + 1, start + n + 1))
        assert tree_flops("SmolLM2-135M", n, positions) == pytest.approx(sequence_flops("SmolLM2-135M", n, start=start), rel=1e-12)


def test_pool_and_search_merge_on_common_problems_and_feed_the_policy():
    pool = pool_strategies(pool_arrays(pool_table(P=8)), verifiers=["v"])
    runs = search_rows("beam_search", 4, 2, P=6)
    runs["problem_id"] = runs["problem_id"].map({f"q{i}": f"q{i}" for i in range(6)})
    both = pool.merge(search_strategies(runs))
    assert both.problem_ids.tolist() == [f"q{i}" for i in range(6)]
    table = both.table()
    bins = pd.Series([1, 1, 1, 2, 2, 2], index=both.problem_ids)
    ev = evaluate_policy(table, bins, reference="best_of_n/v", n_boot=20)
    assert ev.ns.tolist() == [1, 2, 4, 8] and np.all(np.isfinite(ev.held_out))
    with pytest.raises(ValueError, match="in both"):
        both.merge(pool)


def test_selection_is_indexed_by_n_and_cut_to_problems():
    sel = Selection("r", np.array([1, 2, 4]), np.arange(12.0).reshape(4, 3) / 12, np.zeros((4, 3)), "exact")
    np.testing.assert_array_equal(sel.at(2), sel.per_problem[:, 1])
    assert sel.accuracy_at(4) == pytest.approx(sel.per_problem[:, 2].mean())
    cut = sel.take([True, False, True, False], max_n=2)
    assert cut.n.tolist() == [1, 2] and cut.per_problem.shape == (2, 2)
    with pytest.raises(ValueError, match="no budget n = 8"):
        sel.at(8)


def test_make_verifier_reads_the_names_runs_record():
    assert make_verifier("noisy_auc0.80").name == "noisy_auc0.80"
    assert make_verifier("step_checker").name == "step_checker" and make_verifier("confidence").name == "confidence"
    with pytest.raises(ValueError, match="no verifier is named"):
        make_verifier("oracle")
