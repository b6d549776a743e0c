"""ttslib.strategies: a sampling pool and search runs turned into arrays and strategy results, against the
selection rules called by hand, brute-force votes and the FLOPs formulas."""

import itertools

import numpy as np
import pandas as pd
import pytest

from ttslib.adaptive import (ESC, AdaptiveConsistency, DeepConfOffline, DeepConfOnline, FixedMajority, ShortestMajority, TwoStage,
                             confidence_lows, make_pool, replay)
from ttslib.data import read_samples, write_samples
from ttslib.flops import ATTENTION, sequence_flops, tree_flops
from ttslib.grade import answer_keys
from ttslib.policy import Strategy, VerifierSpec, evaluate_policy, sampling_cost, strategies_of, validate_results
from ttslib.registry import get_model
from ttslib.selection import Selection, best_of_n, majority_vote, oracle, weighted_vote
from ttslib.strategies import (adaptive_strategies, known_verifier, make_verifier, pool_arrays, pool_strategies, results_from_search,
                               score_pool, search_strategies)
from ttslib.verifiers import NoisyVerifier, sample_confidence

V, W = VerifierSpec.recorded("v"), VerifierSpec.recorded("w")  # verifiers known only by the names the tables record


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
    assert sorted(pa.step_scores) == [V, W] and pa.shape == (6, 8)
    res = pool_strategies(pa, model="SmolLM2-135M")
    # independent: answers grouped by hand (every spelling of 1/2 one class), the rules called directly
    half = {"1/2", "0.5", "\\frac{1}{2}"}
    raw = t.sort_values(["problem_id", "sample_idx"])["answer"].to_numpy(dtype=object).reshape(6, 8)
    cls = np.array([[-1 if not isinstance(a, str) else (0 if a in half else 1 + ["3", "4"].index(a)) for a in row] for row in raw])
    correct = cls == 0
    ns = np.array([1, 2, 4, 8])
    np.testing.assert_allclose(res[Strategy("majority")].per_problem, majority_vote(cls, correct, ns).per_problem)
    np.testing.assert_allclose(res[Strategy("oracle")].per_problem, oracle(correct, ns).per_problem)
    last = np.array([[s[-1] for s in row] for row in t.sort_values(["problem_id", "sample_idx"])["step_scores"].to_numpy().reshape(6, 8)])
    np.testing.assert_allclose(res[Strategy("best_of_n", V)].per_problem, best_of_n(correct, last, ns, answers=cls).per_problem)
    assert res[Strategy("weighted", V)].rule == Strategy("weighted", V)  # each selection carries its record, for plots to read
    np.testing.assert_allclose(res[Strategy("weighted", V)].per_problem, weighted_vote(cls, correct, last, ns).per_problem)
    # the cost: the prompt once, then n samples of the mean length at their positions (Kaplan et al.)
    m = t.sort_values(["problem_id", "sample_idx"])["num_completion_tokens"].to_numpy().reshape(6, 8)
    p = np.arange(30, 36)
    for k, n in enumerate(ns):
        want = [sequence_flops("SmolLM2-135M", p[i]) + n * np.mean([sequence_flops("SmolLM2-135M", mj, start=p[i]) for mj in m[i]])
                for i in range(6)]
        np.testing.assert_allclose(res.cost(Strategy("best_of_n", V))[:, k], want, rtol=1e-12)
        np.testing.assert_allclose(res.cost(Strategy("majority"), "tokens")[:, k], n * m.mean(1))


def test_pool_results_do_not_depend_on_row_order():
    t = pool_table(P=10, N=8, seed=2)
    a = pool_strategies(pool_arrays(t), verifiers=[V, W]).table()
    b = pool_strategies(pool_arrays(t.sample(frac=1.0, random_state=5)), verifiers=[V, W]).table()
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
    assert res.find(method="best_of_n") == [Strategy("best_of_n", VerifierSpec.confidence())]
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
    with pytest.raises(ValueError, match="no scores of verifier x"):
        pool_strategies(pool_arrays(t), verifiers=[VerifierSpec.recorded("x")])


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
    assert sorted(res) == [Strategy("beam_search", V, beam_width=2), Strategy("beam_search", V, beam_width=4),
                           Strategy("beam_search", V, beam_width=4, lookahead=1)]
    assert res[Strategy("beam_search", V, beam_width=4)].n.tolist() == [4, 8]
    validate_results(res.table())  # no duplicate rows: each setting is its own strategy
    mins = search_strategies(runs, aggregate="min")
    assert all(s.aggregate == "min" for s in mins) and Strategy("beam_search", V, "min", beam_width=2) in mins


def test_search_votes_group_equivalent_answers():
    runs = search_rows("dvts", 4, 2, P=6)
    res = search_strategies(runs, select="majority")
    for i, (_, g) in enumerate(runs.groupby("problem_id", sort=True)):
        counts = g["answer"].map(lambda a: None if a is None else ("half" if a in ("0.5", "1/2") else a)).value_counts()
        top = counts[counts == counts.max()].index
        assert res[Strategy("dvts", V, beam_width=2, select="majority")].per_problem[i, 0] == pytest.approx(("half" in top) / len(top))


def test_search_flops_use_the_recorded_positions_or_say_they_were_estimated():
    runs = search_rows("beam_search", 4, 2)
    res = search_strategies(runs, model="SmolLM2-135M")
    gen = runs.groupby("problem_id")["search_generated_tokens"].first().to_numpy()
    want = sequence_flops("SmolLM2-135M", 25) + tree_flops("SmolLM2-135M", gen, gen * 31)
    np.testing.assert_allclose(res.cost(Strategy("beam_search", V, beam_width=2))[:, 0], want, rtol=1e-12) and not res.notes
    old = search_strategies(runs.drop(columns="search_context_sum"), model="SmolLM2-135M")
    assert old.notes and "estimated" in old.notes[0]
    assert np.all(old.cost(Strategy("beam_search", V, beam_width=2)) > 2 * get_model("SmolLM2-135M").params * (gen + 25)[:, None])


def test_tree_flops_of_one_contiguous_run_is_sequence_flops():
    for start, n in itertools.product([0, 7, 100], [1, 5, 64]):
        positions = sum(range(start + 1, start + n + 1))
        assert tree_flops("SmolLM2-135M", n, positions) == pytest.approx(sequence_flops("SmolLM2-135M", n, start=start), rel=1e-12)


def test_pool_and_search_merge_on_common_problems_and_feed_the_policy():
    pool = pool_strategies(pool_arrays(pool_table(P=8)), verifiers=[V])
    runs = search_rows("beam_search", 4, 2, P=6)
    runs["problem_id"] = runs["problem_id"].map({f"q{i}": f"q{i}" for i in range(6)})
    both = pool.merge(search_strategies(runs))
    assert both.problem_ids.tolist() == [f"q{i}" for i in range(6)]
    table = both.table()
    bins = pd.Series([1, 1, 1, 2, 2, 2], index=both.problem_ids)
    ev = evaluate_policy(table, bins, reference=Strategy("best_of_n", V), n_boot=20)
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


def test_make_verifier_builds_what_the_record_says_and_nothing_reads_a_name():
    noisy = make_verifier(VerifierSpec.noisy(0.7, seed=3))
    assert isinstance(noisy, NoisyVerifier) and (noisy.auc, noisy.seed) == (0.7, 3)
    assert make_verifier(VerifierSpec.step_checker()).name == "step_checker"
    assert make_verifier(VerifierSpec.confidence("min")).name == "confidence_min"
    with pytest.raises(TypeError, match="VerifierSpec"):
        make_verifier("noisy_auc0.80")
    with pytest.raises(ValueError, match="recorded name"):
        make_verifier(VerifierSpec.recorded("qwen_math_prm"))


def test_known_verifier_matches_labels_of_declared_records():
    noisy = VerifierSpec.noisy(0.8)
    assert known_verifier("noisy_auc0.80", [noisy]) is noisy
    assert known_verifier("noisy_auc0.80") == VerifierSpec.recorded("noisy_auc0.80")  # undeclared: known by its name only
    assert known_verifier("step_checker") == VerifierSpec.step_checker()
    with pytest.raises(TypeError, match="VerifierSpec"):
        known_verifier("v", ["v"])


def test_score_pool_names_each_column_by_its_record():
    t = pool_table(P=3, N=4).assign(steps=lambda d: [["1 + 1 = 2"] * len(s) for s in d["step_scores"]],
                                     step_num_tokens=lambda d: [[1] * len(s) for s in d["step_scores"]],
                                     token_logprobs=lambda d: [[-0.1] * len(s) for s in d["step_scores"]])
    spec = VerifierSpec.noisy(0.9, seed=2)
    scored = score_pool(t, {f"q{p}": "1 + 1" for p in range(3)}, [spec, VerifierSpec.confidence()])
    assert {"step_scores_noisy_auc0.90_seed2", "step_scores_confidence"} <= set(scored.columns)
    pa = pool_arrays(scored, [spec])
    assert spec in pa.step_scores and VerifierSpec.confidence() in pa.step_scores


# ---- results_from_search ---------------------------------------------------------------------------


def search_table(seed=0):
    """A small table in the search schema (/tmp/design_search.md): runs told apart by method, n, verifier."""
    rng = np.random.default_rng(seed)
    rows = []
    for method, n, verifier in itertools.product(["beam_search", "dvts"], [4, 8], ["v1", "v2"]):
        for p in range(5):
            spent = rng.integers(50, 500, 3)
            for i in range(n):
                steps = int(rng.integers(1, 4))
                answer = rng.choice(["3", "5", "7", None], p=[0.4, 0.3, 0.2, 0.1])
                rows.append({"problem_id": f"c{p}", "sample_idx": i, "completion": "x", "answer": answer,
                             "is_correct": answer == "3", "num_prompt_tokens": 20, "num_completion_tokens": 5 * steps,
                             "method": method, "n": n, "beam_width": 2, "verifier": verifier, "level": p % 3,
                             "steps": ["s"] * steps, "step_scores": list(rng.choice([0.2, 0.5, 0.8], steps)),
                             "step_num_tokens": [5] * steps, "search_generated_tokens": spent[0],
                             "search_prefill_tokens": spent[1], "search_verifier_tokens": spent[2], "status": "ok",
                             "search_context_sum": int(spent[0]) * 27})
    return pd.DataFrame(rows)


def brute_vote(answers, correct, weights):
    """Plain Python: the answer with the largest summed weight, ties split, no-answer samples ignored."""
    sums, good = {}, {}
    for a, c, w in zip(answers, correct, weights):
        if a is not None:
            sums[a] = sums.get(a, 0.0) + w
            good[a] = c
    if not sums:
        return 0.0
    top = max(sums.values())
    winners = [a for a, s in sums.items() if s >= top - 1e-9 * abs(top)]
    return sum(good[a] for a in winners) / len(winners)


@pytest.mark.parametrize("rule", ["weighted", "majority", "best_of_n"])
def test_results_from_search_on_a_table_in_the_schema(tmp_path, rule):
    path = write_samples(search_table(), tmp_path / "chains_search.parquet", group_by=("method", "n", "verifier"))
    table_ = read_samples(path, group_by=("method", "n", "verifier"))
    df = results_from_search(table_, rule=rule)
    name = {(m, v): Strategy(m, VerifierSpec.recorded(v), beam_width=2, select=rule) for m in ("beam_search", "dvts") for v in ("v1", "v2")}
    strategy = strategies_of(df)
    assert len(df) == 8 * 5 and set(strategy) == set(name.values())
    for (method, n, verifier, pid), g in table_.groupby(["method", "n", "verifier", "problem_id"]):
        g = g.sort_values("sample_idx")
        answers = [a if isinstance(a, str) else None for a in g["answer"]]
        last = [float(s[-1]) for s in g["step_scores"]]
        if rule == "weighted":
            want = brute_vote(answers, g["is_correct"], last)
        elif rule == "majority":
            want = brute_vote(answers, g["is_correct"], np.ones(n))
        else:  # the highest last-step score among answered candidates, ties split
            scored = [(s, c) for s, c, a in zip(last, g["is_correct"], answers) if a is not None]
            top = max(s for s, _ in scored)
            want = np.mean([c for s, c in scored if s == top])
        got = df[(strategy == name[(method, verifier)]) & (df["n"] == n) & (df.problem_id == pid)].iloc[0]
        assert got["accuracy"] == pytest.approx(want) and got["cost"] == g["search_generated_tokens"].iloc[0]


def test_results_from_search_flops_and_bad_tables():
    t = search_table()
    v1, v2 = VerifierSpec.recorded("v1"), VerifierSpec.recorded("v2")
    df = results_from_search(t, model="SmolLM2-135M", verifier_models={v1: None, v2: "SmolLM2-360M"})
    row = t[(t.method == "dvts") & (t.n == 4) & (t.verifier == "v2") & (t.problem_id == "c1")].iloc[0]
    spec, p = get_model("SmolLM2-135M"), row.num_prompt_tokens
    attention = 2 * spec.n_layers * spec.d_attn  # Kaplan et al.: 2 n_layer n_ctx d_attn per token at context n_ctx
    want = sum(2 * spec.params + attention * t for t in range(1, p + 1))  # the prompt, token by token
    want += 2 * spec.params * row.search_generated_tokens + attention * row.search_context_sum  # the tree's tokens
    want += sum(2 * spec.params + attention * t for t in range(1, row.search_prefill_tokens - p + 1))  # re-sent beyond the prompt
    want += 2 * get_model("SmolLM2-360M").params * row.search_verifier_tokens
    got = df[(strategies_of(df) == Strategy("dvts", v2, beam_width=2)) & (df["n"] == 4) & (df.problem_id == "c1")]["cost"].iloc[0]
    assert got == pytest.approx(want, rel=1e-12)
    with pytest.raises(ValueError, match="verifier v2 read tokens"):
        results_from_search(t, model="SmolLM2-135M", verifier_models={v1: None})
    with pytest.raises(ValueError, match="exactly n candidates"):
        results_from_search(t.drop(index=0))
    with pytest.raises(ValueError, match="select must be one of"):
        results_from_search(t, rule="vote")


# ---- adaptive_strategies -------------------------------------------------------------------------------

ADAPTIVE = [ESC(window=2), AdaptiveConsistency(0.8, max_samples=5), ShortestMajority(3), DeepConfOffline(50),
            DeepConfOnline(eta=50, warmup=2, consensus=0.8, max_samples=5)]


def confident_pool(P=5, N=6, seed=0, token_scale=1):
    """A pool with DeepConf's confidence and record lows (traces of 2..12 tokens, windows of 3), and its traces."""
    rng = np.random.default_rng(seed)
    cls = rng.integers(-1, 3, size=(P, N))
    correct = np.where(cls >= 0, (rng.random((P, 3)) < 0.5)[np.arange(P)[:, None], np.maximum(cls, 0)], False)
    tok = rng.integers(2, 13, size=(P, N)) * token_scale
    traces = [[rng.uniform(0.5, 3.0, size=tok[p, i]).round(2) for i in range(N)] for p in range(P)]
    lows, at = confidence_lows(traces, 3)
    return make_pool(cls, correct, tok, lows=lows, lows_at=at, ids=[f"q{p}" for p in range(P)]), lows, at


def test_adaptive_strategies_are_the_replayed_rules_with_their_cap_as_n():
    pool, _, _ = confident_pool()
    res = adaptive_strategies(pool, ADAPTIVE, num_orders=200, seed=3)
    direct = replay(pool, ADAPTIVE, num_orders=200, seed=3)
    assert list(res) == [Strategy.adaptive(r) for r in ADAPTIVE] and res.problem_ids.tolist() == [f"q{p}" for p in range(5)]
    for rule, r in zip(ADAPTIVE, direct):
        s = Strategy.adaptive(rule)
        np.testing.assert_array_equal(res[s].per_problem[:, 0], r.accuracy)
        np.testing.assert_array_equal(res[s].se[:, 0], r.accuracy_se)
        np.testing.assert_array_equal(res.cost(s, "tokens")[:, 0], r.tokens)
        assert res[s].rule == s and res.flops[s] is None
    assert [res[Strategy.adaptive(r)].n.tolist() for r in ADAPTIVE] == [[6], [5], [3], [6], [5]]  # the cap; None: N
    assert np.any(res.cost(Strategy.adaptive(ADAPTIVE[0]), "tokens") < 6 * pool.tokens.mean(1)[:, None])  # spends less than its cap


def test_adaptive_flops_are_the_kaplan_formula_at_each_drawn_trace_s_length():
    """Against the formula expanded by hand: ``S(0, p) + 2N E[sum m] + a L d (p E[sum m] + E[sum m (m + 1) / 2])`` with m
    the tokens each drawn trace spent (a stopped one up to its stop), the last expectation from a replay of a pool whose
    tokens (and stop points) are m (m + 1) / 2, on the same orders; shortest majority: n samples, ``sampling_cost``."""
    pool, lows, at = confident_pool(token_scale=7)
    prompt = np.arange(5.0) * 11 + 20
    res = adaptive_strategies(pool, ADAPTIVE, num_orders=100, seed=1, model="SmolLM2-135M", prompt_tokens=prompt)
    tri = lambda m: m * (m + 1) // 2  # noqa: E731
    square = make_pool(pool.classes, pool.correct, tri(pool.tokens.astype(np.int64)), lows=lows, lows_at=tri(at), ids=pool.ids)
    spec = get_model("SmolLM2-135M")
    attn = ATTENTION["kaplan"] * spec.n_layers * spec.d_attn
    for rule, linear, quadratic in zip(ADAPTIVE, replay(pool, ADAPTIVE, num_orders=100, seed=1),
                                       replay(square, ADAPTIVE, num_orders=100, seed=1)):
        s = Strategy.adaptive(rule)
        if isinstance(rule, ShortestMajority):
            want = sampling_cost(pool.tokens, [3], prompt_tokens=prompt, model="SmolLM2-135M")[:, 0]
        else:
            want = attn * prompt * (prompt + 1) / 2 + 2 * spec.params * (prompt + linear.tokens) + attn * (prompt * linear.tokens + quadratic.tokens)
        np.testing.assert_allclose(res.cost(s, "flops")[:, 0], want, rtol=1e-9)


def test_adaptive_strategies_merge_beside_the_pool_s_and_do_not_depend_on_row_order():
    t = pool_table()
    pa = pool_arrays(t.assign(num_completion_tokens=t["num_completion_tokens"].clip(lower=1)))  # make_pool: answers have tokens
    rules = [ESC(window=2, max_samples=8), AdaptiveConsistency(0.9)]
    res = pool_strategies(pa, verifiers=[V], model="SmolLM2-135M").merge(adaptive_strategies(pa, rules, num_orders=50, model="SmolLM2-135M"))
    table = validate_results(res.table("flops"))
    assert set(strategies_of(table)) >= {Strategy.adaptive(r) for r in rules} | {Strategy("majority")}
    flip = np.arange(pa.shape[0])[::-1]
    shuffled = make_pool(pa.classes[flip], pa.correct[flip], pa.completion_tokens[flip], ids=pa.problem_ids[flip])
    again = adaptive_strategies(shuffled, rules, num_orders=50, model="SmolLM2-135M", prompt_tokens=pa.prompt_tokens[flip])
    for s in again:
        np.testing.assert_array_equal(again[s].per_problem[flip], res[s].per_problem)
        np.testing.assert_array_equal(again.cost(s)[flip], res.cost(s))


@pytest.mark.parametrize("rules, kwargs, error, match", [
    ([TwoStage(2, 4)], {}, ValueError, "per-bin choice"),
    ([FixedMajority(4)], {}, ValueError, "Strategy\\('majority'\\) at n"),
    ([Strategy("majority")], {}, ValueError, "must be adaptive"),
    ([ESC(2), ESC(2.0)], {}, ValueError, "distinct"),
    ([ESC(2)], {"model": "SmolLM2-135M"}, ValueError, "prompt_tokens"),
])
def test_adaptive_strategies_refuse_what_no_policy_can_choose(rules, kwargs, error, match):
    pool, _, _ = confident_pool()
    with pytest.raises(error, match=match):
        adaptive_strategies(pool, rules, num_orders=10, **kwargs)


def test_adaptive_strategies_need_a_pool_and_deepconf_its_confidence():
    with pytest.raises(TypeError, match="pool must be"):
        adaptive_strategies(np.zeros((2, 4)), [ESC(2)])
    with pytest.raises(ValueError, match="scores no step"):
        make_verifier(VerifierSpec.group_confidence())
    with pytest.raises(ValueError, match="confidence"):
        t = pool_table()
        adaptive_strategies(pool_arrays(t.assign(num_completion_tokens=t["num_completion_tokens"].clip(lower=1))),
                            [DeepConfOffline(50)], num_orders=10)
