"""The power law of ``ttslib.fit`` against independent references: scipy's least squares, refits on
explicit resamples, data drawn from a known Beta (whose exact curve ``ttslib.beta`` gives), and the
published numbers of arXiv:2407.21787 (cited where used)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize

from conftest import ROOT
from ttslib.beta import beta_coverage
from ttslib.checks import bootstrap_weights, canonical_order
from ttslib.coverage import coverage, log_spaced_ks
from ttslib.data import read_pythia_counts
from ttslib.fit import fit_power_law, fit_power_law_curve, fit_power_law_nls_curve

KS = log_spaced_ks(10_000)


def synthetic_counts(alpha, beta, *, problems=1000, samples=10_000, seed=0):
    rng = np.random.default_rng(seed)
    n = np.full(problems, samples)
    return n, rng.binomial(n, rng.beta(alpha, beta, problems))

@pytest.fixture(scope="module")
def pythia_12b_math():
    df = read_pythia_counts(ROOT / "data" / "pythia_checkpoints_math_counts.csv")
    g = df[(df["model"] == "pythia-12b") & (df["pretrain_tokens"] == "300B")]
    return g["num_samples"].to_numpy(), g["num_correct"].to_numpy()

# --- the power law ------------------------------------------------------------------------------

@pytest.mark.parametrize("a, b", [(-3.92, -0.35), (-7.59, -0.18), (-0.5, -1.2)])
def test_closed_form_recovers_an_exact_power_law(a, b):
    a_hat, b_hat = fit_power_law_curve(KS, np.exp(a * KS.astype(float) ** b))
    assert a_hat == pytest.approx(a, rel=1e-10) and b_hat == pytest.approx(b, rel=1e-10)

def test_closed_form_equals_curve_fit_row_by_row():
    rng = np.random.default_rng(1)
    truth = np.exp(-2.0 * KS.astype(float) ** -0.4)
    curves = np.clip(truth * np.exp(rng.normal(0, 0.02, (5, KS.size))), 1e-9, 1 - 1e-9)  # (5, K)
    a, b = fit_power_law_curve(KS, curves)
    for row, a_i, b_i in zip(curves, a, b):
        (log_neg_a, b_ref), _ = scipy.optimize.curve_fit(lambda x, la, bb: la + bb * x, np.log(KS), np.log(-np.log(row)))
        # curve_fit iterates to its default tolerance (ftol = 1.5e-8), the closed form is exact
        assert a_i == pytest.approx(-np.exp(log_neg_a), rel=1e-6) and b_i == pytest.approx(b_ref, abs=1e-7)

def test_recovers_the_power_law_of_a_known_beta():
    # truth: the power law fitted to the exact aggregate curve of Beta(0.3, 3) on the same k
    a_true, b_true = fit_power_law_curve(KS, beta_coverage(KS, 0.3, 3.0))
    fit = fit_power_law(*synthetic_counts(0.3, 3.0), KS, n_boot=300)
    # over 20 seeds of this setting: sd(b) = 0.013, sd(a) = 0.09 (measured); tolerance ~4 sd
    assert fit.b == pytest.approx(b_true, abs=0.05) and fit.a == pytest.approx(a_true, abs=0.4)
    assert fit.b_interval[0] < b_true < fit.b_interval[1]

def test_fitted_curve_reproduces_the_data_it_was_fitted_on():
    # data from Beta(0.3, 3): its aggregate is close to, not exactly, a power law on k <= 10^4.
    # Measured over 5 seeds: R^2 0.996-0.999 on the log-log axes, max |coverage error| 0.016-0.028.
    fit = fit_power_law(*synthetic_counts(0.3, 3.0, seed=4), KS, n_boot=0)
    y, y_hat = np.log(-np.log(fit.coverage)), np.log(-np.log(fit.predict(fit.k)))
    assert 1 - np.sum((y - y_hat) ** 2) / np.sum((y - y.mean()) ** 2) > 0.99
    assert np.max(np.abs(fit.predict(fit.k) - fit.coverage)) < 0.04

def test_fit_on_real_counts_is_the_least_squares_optimum(pythia_12b_math):
    # normal equations: log-log residuals are orthogonal to 1 and log k at the optimum
    fit = fit_power_law(*pythia_12b_math, n_boot=0)
    residual = np.log(-np.log(fit.coverage)) - np.log(-np.log(fit.predict(fit.k)))
    assert abs(residual.sum()) < 1e-9 and abs((residual * np.log(fit.k)).sum()) < 1e-9
    assert fit.k.max() == pythia_12b_math[0].min()  # default k: 40 log-spaced up to min(n), all unbiased

def test_bootstrap_replicates_are_fits_to_explicit_resamples(pythia_12b_math):
    n, c = pythia_12b_math
    fit = fit_power_law(n, c, n_boot=50, seed=3)
    weights = np.random.default_rng(3).multinomial(n.size, np.full(n.size, 1 / n.size), size=50)
    order = canonical_order(n, c)  # replicate b draws problem order[i] weights[b, i] times
    for b in range(5):
        idx = np.repeat(order, weights[b])
        refit = fit_power_law(n[idx], c[idx], fit.k, n_boot=0)
        np.testing.assert_allclose(fit.boot[b], [refit.a, refit.b], rtol=1e-10)

def test_pythia_12b_math_exponent_matches_llm_monkeys_table_3(pythia_12b_math):
    # Brown et al. 2024 (arXiv:2407.21787), Table 3: Pythia-12B on MATH, (a, b) = (-3.92, -0.35), with up to
    # 10^4 samples per problem (fitting method and k range not in ../shared/REFERENCES.md). Our counts of the
    # final (300B-token) checkpoint (data/README.md) have n = 128 for most problems, so the fit runs on
    # k <= 128. b agrees within 0.05 (our bootstrap interval is about +-0.04); a does NOT (about -5.9; the
    # paper's a gives pass@1 exp(-3.92) = 0.020, these counts about 0.007), so a is not asserted. See notebook 02.
    fit = fit_power_law(*pythia_12b_math, n_boot=500)
    assert fit.b == pytest.approx(-0.35, abs=0.05)
    assert fit.b_interval[0] - 0.01 < -0.35 < fit.b_interval[1] + 0.01

# --- nonlinear least squares (nls) of log coverage = a k^b, the form of arXiv:2407.21787, Table 3 ---

@pytest.mark.parametrize("a, b", [(-3.92, -0.35), (-7.59, -0.18), (-0.5, -1.2)])
def test_nls_recovers_an_exact_power_law(a, b):
    got = fit_power_law_nls_curve(KS, np.exp(a * KS**b))
    assert got[0] == pytest.approx(a, rel=1e-9) and got[1] == pytest.approx(b, rel=1e-9, abs=1e-10)

def test_nls_is_scipys_least_squares_optimum_and_differs_from_loglog(pythia_12b_math):
    n, c = pythia_12b_math
    ks = log_spaced_ks(int(n.min()), 40)
    cov = coverage(n, c, ks)
    ref, _ = scipy.optimize.curve_fit(lambda k, a, b: a * k**b, ks.astype(float), np.log(cov), p0=(-2.0, -0.3),
                                      xtol=1e-14, ftol=1e-14, gtol=1e-14, maxfev=100_000)  # independent: Levenberg-Marquardt
    a, b = fit_power_law_nls_curve(ks, cov)
    assert a == pytest.approx(ref[0], rel=1e-7) and b == pytest.approx(ref[1], rel=1e-7)
    fit = fit_power_law(n, c, method="nls", n_boot=200, seed=0)
    assert (fit.a, fit.b, fit.method) == (pytest.approx(a), pytest.approx(b), "nls")
    assert fit.a_interval[0] < a < fit.a_interval[1] and fit.b_interval[0] < b < fit.b_interval[1]
    loglog = fit_power_law(n, c, n_boot=0)
    assert abs(loglog.a - fit.a) > 1e-3 and abs(loglog.b - fit.b) > 1e-3  # the two methods weigh points differently
    # each bootstrap replicate is the NLS fit to its own resampled curve
    w = bootstrap_weights(n.size, 200, 0)[:3]
    ns, cs = n[canonical_order(n, c)], c[canonical_order(n, c)]  # the order in which the bootstrap draws
    boot = np.array([fit_power_law_nls_curve(fit.k, coverage(np.repeat(ns, wi.astype(int)), np.repeat(cs, wi.astype(int)), fit.k))
                     for wi in w])
    np.testing.assert_allclose(fit.boot[:3], boot, rtol=1e-7)

def test_nls_on_many_curves_at_once_equals_one_at_a_time():
    # more curves than one block of the grid search (issue: 1000 bootstrap replicates broke it)
    rng = np.random.default_rng(0)
    a, b = -rng.uniform(1, 8, 1500), -rng.uniform(0.1, 0.8, 1500)
    cov = np.exp(a[:, None] * KS.astype(float) ** b[:, None]) * (1 + 1e-3 * rng.normal(size=(1500, KS.size))).clip(max=1)
    got = fit_power_law_nls_curve(KS, cov.clip(max=1))
    for i in (0, 777, 1499):
        one = fit_power_law_nls_curve(KS, cov[i].clip(max=1))
        assert got[0][i] == pytest.approx(float(one[0]), rel=1e-9) and got[1][i] == pytest.approx(float(one[1]), rel=1e-9)

def test_nls_keeps_coverage_one_and_leaves_out_zero():
    a, b = fit_power_law_nls_curve([1, 2, 4, 8, 16], [0.0, 0.5, 0.8, 0.95, 1.0])
    ref, _ = scipy.optimize.curve_fit(lambda k, a, b: a * k**b, [2.0, 4.0, 8.0, 16.0], np.log([0.5, 0.8, 0.95, 1.0]),
                                      p0=(-1, -1), xtol=1e-14, ftol=1e-14, maxfev=100_000)
    assert np.isnan(fit_power_law_nls_curve([1, 2], [0.0, 0.5])[0])  # one usable point
    assert np.isnan(fit_power_law_nls_curve([1, 2], [1.0, 1.0])[0])  # nothing to fit
    assert a == pytest.approx(ref[0], rel=1e-5) and b == pytest.approx(ref[1], rel=1e-5)

def test_failed_bootstrap_replicates_are_counted_not_dropped_silently():
    # only problem 0 is ever solved: a replicate without it has coverage 0 at every k, so its fit is NaN
    n, c = np.full(5, 200), np.array([30, 0, 0, 0, 0])
    fit = fit_power_law(n, c, n_boot=300, seed=4)
    first = int(np.flatnonzero(canonical_order(n, c) == 0)[0])  # problem 0's place in the order the bootstrap draws in
    assert first == 4  # sorted on (n, c): the four unsolved problems come first
    expected = int((bootstrap_weights(5, 300, 4)[:, first] == 0).sum())  # independent count of replicates without problem 0
    assert expected > 0 and fit.num_failed_boot == expected
    assert np.isnan(fit.boot).any(axis=1).sum() == expected and np.isfinite(fit.b_interval).all()

# --- bad input -----------------------------------------------------------------------------------

def test_model_that_never_succeeds_raises():
    n, c = np.full(10, 1000), np.zeros(10, dtype=int)
    with pytest.raises(ValueError, match="never succeeds"):
        fit_power_law(n, c)

def test_single_k_raises():
    with pytest.raises(ValueError, match="two or more distinct k"):
        fit_power_law([100, 100], [3, 0], [10])
    with pytest.raises(ValueError, match="two or more distinct k"):
        fit_power_law([100, 100], [3, 0], [10, 10, 10])

@pytest.mark.parametrize("n, c", [([100, 0], [3, 0]), ([100, np.nan], [3, 0]), ([100, np.inf], [3, 0]),
                                  ([100, 100], [3, -1]), ([100, 100], [3, 101])])


def test_bad_counts_raise(n, c):
    with pytest.raises(ValueError):
        fit_power_law(n, c, [1, 2, 5])

def test_bad_curves_and_parameters_raise():
    with pytest.raises(ValueError, match="finite"):
        fit_power_law_curve([1, 2, 3], [0.1, np.nan, 0.3])
    with pytest.raises(ValueError):
        fit_power_law_curve([1, 2, 3], [0.1, 0.2])

def test_curve_fit_leaves_out_coverage_of_exactly_zero_or_one():
    # documented fallback: points where log(-log cov) is undefined are left out, the rest fitted
    cov = np.exp(-2.0 * KS.astype(float) ** -0.4)
    a, b = fit_power_law_curve(KS, np.concatenate([[0.0], cov[1:-1], [1.0]]))
    assert a == pytest.approx(-2.0) and b == pytest.approx(-0.4)
    assert np.isnan(fit_power_law_curve([1, 2], [0.0, 1.0])[1])


def test_one_problem_has_no_bootstrap_interval_and_says_so():
    # issue 29: every resample of one problem is that problem, so the interval had zero width and no warning
    n, c = [1000], [40]
    with pytest.raises(ValueError, match="at least 2 problems; got 1.*n_boot=0"):
        fit_power_law(n, c)
    alone = fit_power_law(n, c, n_boot=0)  # the point estimate alone is still a fit
    assert np.isnan(alone.b_interval).all() and alone.b < 0
    two = fit_power_law([1000, 1000], [40, 3], n_boot=200)
    assert two.b_interval[0] < two.b < two.b_interval[1]


def test_a_paired_fit_shares_its_resamples_and_keeps_each_point_estimate():
    from ttslib.checks import bootstrap_weights, canonical_order
    from ttslib.coverage import pass_at_k
    from ttslib.fit import fit_power_law_pair

    rng = np.random.default_rng(11)
    P, n = 60, 64
    p = rng.beta(0.3, 2.0, P)
    c_a, c_b = rng.binomial(n, p), rng.binomial(n, np.clip(p * 1.5, 0, 1))
    ns = np.full(P, n)
    fa, fb = fit_power_law_pair(ns, c_a, ns, c_b, n_boot=50, seed=3)
    for fit, c in ((fa, c_a), (fb, c_b)):
        alone = fit_power_law(ns, c, n_boot=0)
        assert (fit.a, fit.b) == pytest.approx((alone.a, alone.b), rel=1e-12)
    # replicate j of both fits is the same hand-built resample of problems, in the joint canonical order
    order = canonical_order(ns, c_a, ns, c_b)
    w = bootstrap_weights(P, 50, 3)[7]
    for fit, c in ((fa, c_a), (fb, c_b)):
        table = pass_at_k(ns, c, fit.k)[order]
        assert tuple(fit.boot[7]) == pytest.approx([float(x) for x in fit_power_law_curve(fit.k, w @ table / P)], rel=1e-9)
    same_a, same_b = fit_power_law_pair(ns, c_a, ns, c_a, n_boot=50)
    assert np.array_equal(same_a.boot, same_b.boot)  # identical models: every replicate difference is 0
    shuffle = rng.permutation(P)
    ga, gb = fit_power_law_pair(ns[shuffle], c_a[shuffle], ns[shuffle], c_b[shuffle], n_boot=50, seed=3)
    assert np.array_equal(ga.boot, fa.boot) and np.array_equal(gb.boot, fb.boot)  # rows shuffled together: same bits
    with pytest.raises(ValueError, match="same problems"):
        fit_power_law_pair(ns, c_a, ns[:10], c_b[:10])


def test_relative_error_is_the_fitted_over_the_observed_coverage_minus_one():
    # against the coverage computed by hand from the fitted (a, b): exp(a k^b) / observed - 1
    n, c = synthetic_counts(0.3, 3.0, problems=400, samples=256, seed=4)
    fit = fit_power_law(n, c, n_boot=0)
    np.testing.assert_allclose(fit.relative_error(), np.exp(fit.a * fit.k.astype(float) ** fit.b) / coverage(n, c, fit.k) - 1, rtol=1e-9, atol=1e-12)
    # an exact power law is its own fit: no error at any k
    from ttslib.fit import PowerLawFit

    k = log_spaced_ks(1000)
    a, b = fit_power_law_curve(k, np.exp(-2.0 * k**-0.4))
    exact = PowerLawFit(float(a), float(b), (np.nan,) * 2, (np.nan,) * 2, k, np.exp(-2.0 * k**-0.4), 3, 1, 0.95, np.zeros((0, 2)))
    assert np.abs(exact.relative_error()).max() < 1e-9
    half = PowerLawFit(-2.0, -0.4, (np.nan,) * 2, (np.nan,) * 2, k, 0.5 * np.exp(-2.0 * k**-0.4), 3, 1, 0.95, np.zeros((0, 2)))
    np.testing.assert_allclose(half.relative_error(), 1.0)  # the fitted coverage is twice the observed at every k


def test_compare_exponents_is_the_paired_bootstrap_of_fit_power_law_pair():
    from ttslib.findings import bootstrap_finding
    from ttslib.fit import compare_exponents, fit_power_law_pair

    rng = np.random.default_rng(5)
    P, n = 150, 128
    p = rng.beta(0.3, 3.0, P)
    ns, c_a, c_b = np.full(P, n), rng.binomial(n, p), rng.binomial(n, np.clip(3 * p, 0, 1))
    found = compare_exponents(ns, c_a, ns, c_b, a="A", b="B", where="synthetic", n_boot=300, seed=2)
    fa, fb = fit_power_law_pair(ns, c_a, ns, c_b, n_boot=300, seed=2)
    ref = bootstrap_finding(fa.b, fb.b, fa.boot[:, 1], fb.boot[:, 1], a="A", b="B", quantity="q", range="r", num_problems=P)
    assert (found.difference, found.lower, found.upper, found.p_value) == (ref.difference, ref.lower, ref.upper, ref.p_value)
    assert found.range == f"synthetic, k = 1 to {n}" and "log-log" in found.quantity and found.num_problems == P
    assert found.said == "more negative" and found.sentence().endswith(": A more negative.")  # an exponent has no better side
    same = compare_exponents(ns, c_a, ns, c_a, a="A", b="A again", n_boot=300)
    assert same.difference == 0 and same.lower == same.upper == 0 and same.verdict == "not shown"
    assert "nonlinear" in compare_exponents(ns, c_a, ns, c_b, a="A", b="B", method="nls", n_boot=50).quantity
