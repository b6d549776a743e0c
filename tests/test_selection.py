"""Selection rules against independent references: enumeration of every subset, closed forms, properties."""

from __future__ import annotations

import itertools
from fractions import Fraction

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import hypergeom, norm

from ttslib.coverage import pass_at_k
from ttslib.plotting.selection import plot_selection
from ttslib.selection import (
    Selection,
    aggregate_steps,
    answer_classes,
    answer_tallies,
    best_of_n,
    log2_budgets,
    majority_vote,
    oracle,
    selection_curve,
    weighted_vote,
)


# ---- slow references: every subset of every size, in plain Python ------------------------------


def brute_best_of_n(correct, scores):
    """Mean over all n-subsets of the correctness of the top-scored sample (ties: mean of the tied)."""
    N = len(correct)
    out = []
    for n in range(1, N + 1):
        vals = []
        for sub in itertools.combinations(range(N), n):
            top = max(scores[i] for i in sub)
            vals.append(np.mean([correct[i] for i in sub if scores[i] == top]))
        out.append(np.mean(vals))
    return np.array(out)


def brute_vote(answers, correct_answers, weights=None):
    """Mean over all n-subsets of the fraction of correct answers among the answers with the largest
    total weight (count if ``weights`` is None); None never votes; no answered sample scores 0."""
    N = len(answers)
    out = []
    for n in range(1, N + 1):
        vals = []
        for sub in itertools.combinations(range(N), n):
            totals = {}
            for i in sub:
                if answers[i] is not None:
                    totals[answers[i]] = totals.get(answers[i], 0) + (1 if weights is None else weights[i])
            if not totals:
                vals.append(0.0)
                continue
            top = max(totals.values())
            winners = [a for a, v in totals.items() if v == top]
            vals.append(np.mean([a in correct_answers for a in winners]))
        out.append(np.mean(vals))
    return np.array(out)


def random_problems(P, N, seed, num_answers=4, p_none=0.15):
    """Answers 'a0'..'a3' or None, one or two of them correct, integer scores with many ties."""
    rng = np.random.default_rng(seed)
    answers = rng.choice([f"a{j}" for j in range(num_answers)], size=(P, N)).astype(object)
    answers[rng.random((P, N)) < p_none] = None
    good = [{"a0"} if p % 3 else {"a0", "a1"} for p in range(P)]  # some problems have two correct answers
    correct = np.array([[a in good[p] for a in row] for p, row in enumerate(answers)])
    scores = rng.integers(0, 4, size=(P, N)).astype(float)
    return answers, good, correct, scores


# ---- exact expectations equal enumeration of all subsets (N = 8) ---------------------------------


def test_best_of_n_equals_enumeration_with_ties():
    _, _, correct, scores = random_problems(6, 8, seed=1)
    got = best_of_n(correct, scores).per_problem
    want = np.array([brute_best_of_n(c, s) for c, s in zip(correct, scores)])
    np.testing.assert_allclose(got, want, atol=1e-12, rtol=0)


def test_majority_exact_equals_enumeration():
    answers, good, correct, _ = random_problems(9, 8, seed=2)
    got = majority_vote(answers, correct, method="exact").per_problem
    want = np.array([brute_vote(a, g) for a, g in zip(answers, good)])
    np.testing.assert_allclose(got, want, atol=1e-12, rtol=0)


def test_weighted_exact_equals_enumeration():
    answers, good, correct, scores = random_problems(9, 8, seed=3)
    got = weighted_vote(answers, correct, scores, method="exact").per_problem
    want = np.array([brute_vote(a, g, w) for a, g, w in zip(answers, good, scores)])
    np.testing.assert_allclose(got, want, atol=1e-12, rtol=0)


def test_weighted_with_real_scores_and_zero_scores_equals_enumeration():
    answers, good, correct, _ = random_problems(6, 7, seed=4)
    scores = np.random.default_rng(4).random((6, 7)).round(2)
    scores[:, :2] = 0.0  # a present answer with total 0 still competes
    got = weighted_vote(answers, correct, scores, method="exact").per_problem
    want = np.array([brute_vote(a, g, w) for a, g, w in zip(answers, good, scores)])
    np.testing.assert_allclose(got, want, atol=1e-12, rtol=0)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 6).flatmap(
        lambda N: st.tuples(
            st.lists(st.booleans(), min_size=N, max_size=N),
            st.lists(st.integers(0, 3), min_size=N, max_size=N),
            st.lists(st.sampled_from(["x", "y", "z", None]), min_size=N, max_size=N),
        )
    )
)
def test_property_every_rule_equals_enumeration(case):
    correct_bits, scores, answers = case
    scores = np.array(scores, dtype=float)[None]
    answers = np.array(answers, dtype=object)[None]
    correct = answers == "x"  # "x" is the right answer
    bits = np.array(correct_bits)[None]
    np.testing.assert_allclose(best_of_n(bits, scores).per_problem[0], brute_best_of_n(bits[0], scores[0]), atol=1e-12)
    np.testing.assert_allclose(majority_vote(answers, correct, method="exact").per_problem[0],
                               brute_vote(answers[0], {"x"}), atol=1e-12)
    np.testing.assert_allclose(weighted_vote(answers, correct, scores, method="exact").per_problem[0],
                               brute_vote(answers[0], {"x"}, scores[0]), atol=1e-12)


# ---- the two exact vote paths agree, and a closed form for two answers at larger N ----------------


def test_majority_generating_function_equals_subset_enumeration_at_n12():
    answers, _, correct, _ = random_problems(30, 12, seed=5, num_answers=5)
    dp = majority_vote(answers, correct, method="exact").per_problem
    enum = weighted_vote(answers, correct, np.ones(correct.shape), method="exact").per_problem
    np.testing.assert_allclose(dp, enum, atol=1e-12, rtol=0)


def test_majority_two_answers_equals_hypergeometric_closed_form():
    # answers A (a samples, correct) and B: A wins iff its count X ~ Hypergeom(N, a, n) exceeds n/2; a tie is half a win
    N = 60
    for a in (0, 1, 17, 30, 44, 60):
        answers = np.array([["A"] * a + ["B"] * (N - a)], dtype=object)
        got = majority_vote(answers, answers == "A", method="exact").per_problem[0]
        ns = np.arange(1, N + 1)
        X = hypergeom(N, a, ns)
        want = X.sf(np.floor(ns / 2)) + 0.5 * np.where(ns % 2 == 0, X.pmf(ns // 2), 0.0)
        np.testing.assert_allclose(got, want, atol=1e-10, rtol=0)


# ---- Monte Carlo is within its standard error of the exact value ---------------------------------


@pytest.mark.parametrize("rule", ["majority", "weighted"])
def test_monte_carlo_within_standard_error_of_exact(rule):
    answers, _, correct, scores = random_problems(40, 12, seed=6)
    ns = np.array([8, 1, 3, 12])  # unsorted on purpose
    if rule == "majority":
        exact = majority_vote(answers, correct, ns, method="exact")
        mc = majority_vote(answers, correct, ns, method="monte_carlo", num_draws=2000, seed=1)
    else:
        exact = weighted_vote(answers, correct, scores, ns, method="exact")
        mc = weighted_vote(answers, correct, scores, ns, method="monte_carlo", num_draws=2000, seed=1)
    assert mc.method == "monte_carlo" and np.array_equal(mc.n, ns)
    random_part = mc.se > 0
    np.testing.assert_allclose(mc.per_problem[~random_part], exact.per_problem[~random_part], atol=1e-12, rtol=0)
    z = (mc.per_problem - exact.per_problem)[random_part] / mc.se[random_part]
    assert np.abs(z).max() < 4.5
    assert 0.6 < np.mean(z**2) < 1.6  # a chi-square of many entries: errors are as large as claimed, not larger
    random_mean = mc.accuracy_se > 0
    z_mean = (mc.accuracy - exact.accuracy)[random_mean] / mc.accuracy_se[random_mean]
    assert np.all(np.abs(z_mean) < 4)


def test_auto_method_is_exact_for_small_cases_and_monte_carlo_for_large_weighted():
    answers, _, correct, scores = random_problems(3, 20, seed=7)
    assert majority_vote(answers, correct).method == "exact"
    assert weighted_vote(answers, correct, scores, [1, 4], num_draws=50).method == "monte_carlo"
    with pytest.raises(ValueError, match="2\\^N"):
        weighted_vote(answers, correct, scores, method="exact")


# ---- properties --------------------------------------------------------------------------------


def test_best_of_n_with_perfect_verifier_is_pass_at_n_and_constant_verifier_is_pass_at_1():
    rng = np.random.default_rng(8)
    correct = rng.random((50, 1000)) < rng.beta(0.3, 2, size=(50, 1))
    ns = np.arange(1, 1001)
    want = pass_at_k(np.full(50, 1000), correct.sum(1), ns)
    np.testing.assert_allclose(best_of_n(correct, correct.astype(float)).per_problem, want, atol=1e-11)
    np.testing.assert_allclose(oracle(correct).per_problem, want, atol=0)
    constant = best_of_n(correct, np.zeros(correct.shape)).per_problem
    np.testing.assert_allclose(constant, np.repeat(correct.mean(1, keepdims=True), 1000, axis=1), atol=1e-11)


def test_best_of_n_ends_at_pass1_and_at_the_top_scored_sample():
    rng = np.random.default_rng(9)
    correct, scores = rng.random((20, 64)) < 0.3, rng.normal(size=(20, 64))
    result = best_of_n(correct, scores, [1, 64])
    np.testing.assert_allclose(result.per_problem[:, 0], correct.mean(1), atol=1e-12)
    np.testing.assert_array_equal(result.per_problem[:, 1], correct[np.arange(20), scores.argmax(1)])


def test_best_of_n_scale_invariant_to_monotone_transform_of_scores():
    rng = np.random.default_rng(10)
    correct, scores = rng.random((10, 32)) < 0.4, rng.normal(size=(10, 32))
    a, b = best_of_n(correct, scores).per_problem, best_of_n(correct, np.exp(3 * scores)).per_problem
    np.testing.assert_allclose(a, b, atol=1e-12)


def test_majority_at_one_sample_is_fraction_of_correct_samples_and_weighted_with_equal_scores_is_majority():
    answers, _, correct, _ = random_problems(12, 10, seed=11)
    maj = majority_vote(answers, correct, method="exact").per_problem
    np.testing.assert_allclose(maj[:, 0], correct.mean(1), atol=1e-12)
    equal = weighted_vote(answers, correct, np.full(correct.shape, 0.7), method="exact").per_problem
    np.testing.assert_allclose(equal, maj, atol=1e-12)


def test_sample_without_answer_never_wins_but_counts_as_a_sample():
    answers = np.array([[None, "7"], [None, None], [None, "8"]], dtype=object)
    correct = np.array([[False, True], [False, False], [False, False]])
    maj = majority_vote(answers, correct, method="exact").per_problem
    np.testing.assert_allclose(maj, [[0.5, 1.0], [0.0, 0.0], [0.0, 0.0]])
    # best-of-N with answers=: an unanswered sample ranks last whatever its score (here NaN)
    bon = best_of_n(correct, np.array([[np.nan, 0.1], [np.nan, np.nan], [5.0, 0.1]]), answers=answers).per_problem
    np.testing.assert_allclose(bon, [[0.5, 1.0], [0.0, 0.0], [0.0, 0.0]])


def test_answer_classes_group_equivalent_answers_so_they_vote_together():
    def as_fraction(a, b):
        try:
            return Fraction(a) == Fraction(b)
        except (ValueError, ZeroDivisionError):
            return a == b

    answers = np.array([["1/2", " 0.5", "0.25", None, "1/2", "x"]], dtype=object)
    np.testing.assert_array_equal(answer_classes(answers), [[0, 1, 2, -1, 0, 3]])
    classes = answer_classes(answers, equivalent=as_fraction)
    np.testing.assert_array_equal(classes, [[0, 0, 1, -1, 0, 2]])
    # apart, "1/2", "0.5" and "0.25" tie three ways (2/3 correct); as one class "1/2" wins 2 to 1
    answers = np.array([["1/2", "0.5", "0.25"]], dtype=object)
    correct = np.array([[True, True, False]])
    assert majority_vote(answers, correct, [3], method="exact").per_problem[0, 0] == pytest.approx(2 / 3)
    merged = answer_classes(answers, equivalent=as_fraction)
    assert majority_vote(merged, correct, [3], method="exact").per_problem[0, 0] == pytest.approx(1.0)


def test_aggregate_steps_ragged_and_padded_agree():
    ragged = np.empty((1, 3), dtype=object)
    ragged[0] = [[0.9, 0.5, 0.7], [0.2], [1.0, 0.4]]
    padded = np.array([[[0.9, 0.5, 0.7], [0.2, np.nan, np.nan], [1.0, 0.4, np.nan]]])
    want = {"last": [0.7, 0.2, 0.4], "min": [0.5, 0.2, 0.4], "prod": [0.315, 0.2, 0.4], "mean": [0.7, 0.2, 0.7]}
    for how, expected in want.items():
        np.testing.assert_allclose(aggregate_steps(ragged, how), [expected], atol=1e-12)
        np.testing.assert_allclose(aggregate_steps(padded, how), [expected], atol=1e-12)
    ragged[0, 1] = []
    with pytest.raises(ValueError, match="no step scores"):
        aggregate_steps(ragged)
    with pytest.raises(ValueError, match="how must be"):
        aggregate_steps(padded, "max")


def test_selection_curve_band_and_plot():
    answers, _, correct, scores = random_problems(30, 8, seed=12)
    exact = selection_curve(majority_vote(answers, correct, method="exact"), n_boot=200)
    mc = selection_curve(majority_vote(answers, correct, method="monte_carlo", num_draws=100), n_boot=200)
    assert np.all(exact.lower <= exact.accuracy) and np.all(exact.accuracy <= exact.upper)
    # mc_se is the Monte Carlo error of the mean over problems, sqrt(sum_p se_p^2) / P, from the rule's own se
    mc_rule = majority_vote(answers, correct, method="monte_carlo", num_draws=100)
    assert np.all(exact.mc_se == 0)
    np.testing.assert_allclose(mc.mc_se, np.sqrt((mc_rule.se ** 2).sum(0)) / 30, rtol=1e-12)
    assert np.all(mc.mc_se[:-1] > 1e-4)  # n < N: the orders differ, so there is an error to carry
    curves = [selection_curve(oracle(correct, log2_budgets(8))), exact, mc]
    ax = plot_selection(curves)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["pass@n (oracle)", "majority vote", "majority vote (MC)"]
    with pytest.raises(ValueError, match="one entry per curve"):
        plot_selection(curves, labels=["a"])


def test_answer_tallies_count_each_class_and_whether_it_is_right():
    answers = np.array([["7", None, "7", "8", " 8", "9"], ["1", "1", "1", None, None, None]], dtype=object)
    correct = np.array([[True, False, True, False, False, False], [False] * 6])
    tallies = answer_tallies(answers, correct)
    np.testing.assert_array_equal(tallies.classes, [[0, -1, 0, 1, 1, 2], [0, 0, 0, -1, -1, -1]])
    np.testing.assert_array_equal(tallies.sizes, [[2, 2, 1], [3, 0, 0]])  # K = 3: the largest class id + 1
    np.testing.assert_array_equal(tallies.correct, [[True, False, False], [False, False, False]])
    with pytest.raises(ValueError, match=r"differs within an answer class in 2 class\(es\), first in problem 0: 1 of its 2"):
        answer_tallies(answers, correct ^ np.eye(2, 6, dtype=bool))


def test_monte_carlo_band_is_the_bootstrap_band_widened_by_z_times_the_mc_error():
    # issue 28: nothing asserted the widening. The same per-problem accuracies with and without a Monte
    # Carlo error: the bootstrap draws are the same (distinct rows keep one canonical order), so the two
    # bands differ by exactly z * sqrt(sum_p se_p^2) / P on each side, z = Phi^-1(0.975) = 1.95996.
    rng = np.random.default_rng(3)
    per_problem = rng.random((40, 3))
    se = np.full((40, 3), [0.0, 0.02, 0.05])
    n = np.array([1, 4, 16])
    boot_only = selection_curve(Selection("weighted", n, per_problem, np.zeros_like(se), "exact"), n_boot=300, seed=1)
    widened = selection_curve(Selection("weighted", n, per_problem, se, "monte_carlo"), n_boot=300, seed=1)
    z = norm.ppf(0.975)
    expected = z * np.sqrt(40 * np.array([0.0, 0.02, 0.05]) ** 2) / 40  # 0, 0.0062, 0.0155
    assert z == pytest.approx(1.959964, abs=1e-6) and expected[2] == pytest.approx(0.01549, abs=1e-5)
    np.testing.assert_allclose(boot_only.lower - widened.lower, expected, atol=1e-12)
    np.testing.assert_allclose(widened.upper - boot_only.upper, expected, atol=1e-12)
    np.testing.assert_array_equal(widened.accuracy, boot_only.accuracy)
    # and at 80%: z = 1.28155
    at80 = selection_curve(Selection("weighted", n, per_problem, se, "monte_carlo"), n_boot=300, seed=1, level=0.8)
    plain80 = selection_curve(Selection("weighted", n, per_problem, np.zeros_like(se), "exact"), n_boot=300, seed=1, level=0.8)
    np.testing.assert_allclose(plain80.lower - at80.lower, expected * 1.2815516 / z, atol=1e-9)


# ---- bad input ---------------------------------------------------------------------------------


def test_bad_input_raises_clear_errors():
    correct = np.array([[True, False, True]])
    answers = np.array([["1", "2", "1"]], dtype=object)
    with pytest.raises(ValueError, match="NaN/inf"):
        best_of_n(correct, [[0.1, np.nan, 0.3]])  # scores for only some samples
    with pytest.raises(ValueError, match="NaN/inf"):
        weighted_vote(answers, correct, [[0.1, np.inf, 0.3]])
    with pytest.raises(ValueError, match="N = 0"):
        best_of_n(np.zeros((2, 0), dtype=bool), np.zeros((2, 0)))
    with pytest.raises(ValueError, match="N = 0"):
        majority_vote(np.zeros((2, 0), dtype=object), np.zeros((2, 0), dtype=bool))
    with pytest.raises(ValueError, match="1..N = 3"):
        best_of_n(correct, [[1.0, 2.0, 3.0]], n=4)
    with pytest.raises(ValueError, match="1..N = 3"):
        majority_vote(answers, correct, n=0)
    with pytest.raises(ValueError, match="shape"):
        best_of_n(correct, [[1.0, 2.0]])
    with pytest.raises(ValueError, match=">= 0"):
        weighted_vote(answers, correct, [[-1.0, 0.5, 0.5]])
    with pytest.raises(ValueError, match="differs within an answer class"):
        majority_vote(answers, np.array([[True, False, False]]))
    with pytest.raises(ValueError, match="True/False"):
        best_of_n([[0, 2, 1]], [[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="method"):
        majority_vote(answers, correct, method="sampling")
    with pytest.raises(ValueError, match="NaN/inf"):
        best_of_n(correct, [[None, 1.0, 2.0]])  # None becomes NaN: a missing score
    with pytest.raises(TypeError, match="numbers"):
        best_of_n(correct, [["high", 1.0, 2.0]])


def test_scores_summing_equal_up_to_rounding_are_a_tie():
    # 0.1 + 0.2 != 0.3 in floating point; a tie in the scores' own arithmetic must not depend on it
    answers = np.array([["A", "A", "B"]], dtype=object)
    scores = np.array([[0.1, 0.2, 0.3]])
    for method in ("exact", "monte_carlo"):
        result = weighted_vote(answers, answers == "A", scores, [3], method=method, num_draws=10)
        assert result.per_problem[0, 0] == pytest.approx(0.5)


def test_problems_where_nobody_answered_score_zero_with_every_method():
    answers = np.full((2, 5), None, dtype=object)
    answers[1, 2] = "3"
    correct = answers == "3"
    for method in ("exact", "monte_carlo"):
        maj = majority_vote(answers, correct, method=method, num_draws=50).per_problem
        np.testing.assert_allclose(maj[0], 0.0)
        np.testing.assert_allclose(maj[1], np.arange(1, 6) / 5, atol=0 if method == "exact" else 0.3)
        np.testing.assert_allclose(weighted_vote(answers, correct, np.ones((2, 5)), method=method, num_draws=50).per_problem[0], 0.0)
    all_none = np.full((2, 5), None, dtype=object)
    np.testing.assert_allclose(majority_vote(all_none, np.zeros((2, 5), bool)).per_problem, 0.0)


def test_missing_answers_may_be_none_nan_or_pandas_na():
    import pandas as pd

    answers = np.array([[None, np.nan, pd.NA, "4", " 4"]], dtype=object)
    np.testing.assert_array_equal(answer_classes(answers), [[-1, -1, -1, 0, 0]])


def test_integer_answers_outside_class_ids_are_refused():
    correct = np.array([[True, False, False]])
    with pytest.raises(ValueError, match="class ids"):
        majority_vote(np.array([[18, 7, 7]]), correct)
    # the same answers as strings are grouped, and 18 wins only where it is the majority
    assert majority_vote(np.array([["18", "7", "7"]], dtype=object), correct, [3]).accuracy[0] == 0.0


# ---- issue 12: bad input, scale paths ----------------------------------------------------------------


def test_negative_integer_answers_are_refused_not_read_as_no_answer():
    correct = np.array([[True, False, False], [False, True, True]])
    with pytest.raises(ValueError, match=r"class ids.*found \[-3\].*problem 0, sample 0"):
        majority_vote(np.array([[-3, 7 % 3, 1], [0, 1, 1]]), correct)
    # as strings, -3 is an answer like any other and wins problem 0's vote at n = 1 a third of the time
    got = majority_vote(np.array([["-3", "1", "2"], ["0", "1", "1"]], dtype=object), correct, [1])
    np.testing.assert_allclose(got.per_problem[:, 0], [1 / 3, 2 / 3])


def test_non_rectangular_samples_are_refused_naming_the_problems():
    ragged = [[True, False, True], [True, False], [False, False, True]]
    with pytest.raises(ValueError, match=r"same number of samples.*most problems have 3, but problem 1 has 2"):
        oracle(ragged)
    with pytest.raises(ValueError, match=r"same number of samples.*problem 1 has 2"):
        majority_vote([["a", "b", "a"], ["a", "b"], ["c", "c", "c"]], [[True, False, True], [True, False], [True] * 3])


def test_all_distinct_answers_take_the_closed_form_and_equal_enumeration():
    rng = np.random.default_rng(3)
    answers = np.array([[f"x{p}_{i}" if rng.random() > 0.3 else None for i in range(9)] for p in range(6)], dtype=object)
    correct = np.array([[a is not None and rng.random() < 0.4 for a in row] for row in answers])
    got = majority_vote(answers, correct, method="exact")
    for p in range(6):
        want = brute_vote(list(answers[p]), {a for a, c in zip(answers[p], correct[p]) if c})
        np.testing.assert_allclose(got.per_problem[p], want, atol=1e-12)


def test_every_answer_differing_at_n_256_is_fast_and_exact():
    import time

    P, N = 500, 256
    rng = np.random.default_rng(0)
    classes = np.tile(np.arange(N), (P, 1))  # every answer differs (was ~90 s by the dynamic programme)
    correct = rng.random((P, N)) < 0.3
    start = time.perf_counter()
    got = majority_vote(classes, correct)
    assert got.method == "exact" and time.perf_counter() - start < 5
    np.testing.assert_allclose(got.per_problem[:, 0], correct.mean(1), atol=1e-12)  # n = 1: pass@1
    np.testing.assert_allclose(got.per_problem[:, -1], correct.mean(1), atol=1e-12)  # n = N: a tie of all N
    big = majority_vote(np.tile(np.arange(5000), (3, 1)), np.eye(3, 5000, dtype=bool), [1, 10, 5000])  # N > 1000 too
    assert big.method == "exact"
    np.testing.assert_allclose(big.per_problem, 1 / 5000, rtol=1e-9)


def test_best_of_n_default_budgets_do_not_build_an_n_by_n_matrix():
    import tracemalloc

    rng = np.random.default_rng(1)
    N = 8000
    correct = rng.random((2, N)) < 0.2
    scores = correct + rng.normal(size=(2, N))
    tracemalloc.start()
    got = best_of_n(correct, scores)  # n = 1..N
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < N * N * 8 / 2, f"peak {peak / 1e6:.0f} MB; an (N, N) float matrix is {N * N * 8 / 1e6:.0f} MB"
    np.testing.assert_allclose(got.per_problem[:, [0, 99, N - 1]], best_of_n(correct, scores, [1, 100, N]).per_problem)
    np.testing.assert_allclose(got.per_problem[:, 0], correct.mean(1))  # n = 1: pass@1
    np.testing.assert_array_equal(got.per_problem[:, -1], correct[np.arange(2), scores.argmax(1)])  # n = N: the top sample


def test_rao_blackwell_monte_carlo_is_unbiased_on_a_large_problem():
    # exact reference at N = 400 (the dynamic programme), Monte Carlo with few orders: within its error
    rng = np.random.default_rng(5)
    P, N = 12, 400
    classes = rng.choice(8, size=(P, N), p=[0.3, 0.25, 0.15, 0.1, 0.08, 0.06, 0.04, 0.02])
    correct = classes == (np.arange(P) % 3)[:, None]  # the right answer is class 0, 1 or 2
    ns = log2_budgets(N)
    exact = majority_vote(classes, correct, ns, method="exact")
    mc = majority_vote(classes, correct, ns, method="monte_carlo", num_draws=40, seed=2)
    z = (mc.accuracy - exact.accuracy)[mc.accuracy_se > 0] / mc.accuracy_se[mc.accuracy_se > 0]
    assert np.all(np.abs(z) < 4) and mc.accuracy_se.max() < 0.01
