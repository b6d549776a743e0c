"""No result depends on the order of the rows it is given, or on how this CPU's numpy sorts ties.

Every seeded function of the package is run on real counts and samples shipped in ``data/`` (many
problems tie: same n, same c), then on the same rows shuffled, and must give bit-identical results.
Per-problem outputs are compared row by row after undoing the shuffle, identical rows as a multiset
(an API without ids cannot tell them apart). ``test_same_results_under_each_numpy_dispatch`` runs
the randomised results in subprocesses with numpy's AVX-512 dispatch on and off and compares them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT
from ttslib import backtest, beta, coverage, fit, selection, synthetic
from ttslib.checks import canonical_order
from ttslib.data import read_pythia_counts, read_samples, sample_arrays
from ttslib.policy import Strategy, VerifierSpec, choose, efficiency, results, splits

SHUFFLES = (1, 2, 3)


def _pythia(model="pythia-12b", task="math"):
    counts = read_pythia_counts(ROOT / "data" / f"pythia_checkpoints_{task}_counts.csv")
    final = counts[(counts["model"] == model) & (counts["pretrain_tokens"] == "300B")]
    return final["num_samples"].to_numpy(), final["num_correct"].to_numpy()


def _perms(P):
    return [np.random.default_rng(s).permutation(P) for s in SHUFFLES]


def _same(a, b):
    """Bit-identical, NaN equal to NaN, through dataclasses, tuples, dicts and frames."""
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_exact=True)
    elif hasattr(a, "__dataclass_fields__"):
        for f in a.__dataclass_fields__:
            _same(getattr(a, f), getattr(b, f))
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, (tuple, list)) and not isinstance(a, str):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    else:
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), strict=True)


def _same_rows(inputs, out, inputs_shuffled, out_shuffled):
    """Per-problem outputs agree as a multiset of (input row, output row) pairs: exact for distinct rows."""
    key = lambda ins, o: sorted(map(repr, zip(*[x.tolist() for x in ins], o.tolist())))  # noqa: E731
    assert key(inputs, out) == key(inputs_shuffled, out_shuffled)


def test_canonical_order_is_a_stable_sort_on_values():
    x = np.array([[3, 1], [1, 2], [3, 1], [0, 0]])
    order = canonical_order(x)
    assert sorted(order.tolist()) == [0, 1, 2, 3]
    assert order.tolist().index(0) < order.tolist().index(2)  # identical rows keep the order given
    for perm in _perms(4):
        np.testing.assert_array_equal(x[perm][canonical_order(x[perm])], x[order])
    words = np.array([["a", None], ["b", "a"], ["a", None]], dtype=object)
    perm = np.array([2, 0, 1])
    assert words[perm][canonical_order(words[perm])].tolist() == words[canonical_order(words)].tolist()
    with pytest.raises(ValueError, match="P = 2 rows"):
        canonical_order(np.zeros(2), np.zeros(3))


@pytest.mark.parametrize("call", [
    lambda n, c: coverage.coverage_curve(n, c, [1, 10, 100, 1000], n_boot=200, seed=3, beyond_n="plugin"),
    lambda n, c: fit.fit_power_law(n, c, n_boot=200, seed=3),
    lambda n, c: fit.fit_power_law(n, c, method="nls", n_boot=100, seed=3),
    lambda n, c: beta.fit_beta(n, c, n_boot=100, seed=3),
    lambda n, c: beta.fit_beta(n, c, scaled=True, n_boot=20, seed=3),
    lambda n, c: backtest.backtest(n, c, m=(100, 1000), seed=3),
], ids=["coverage_curve", "power_law_loglog", "power_law_nls", "beta", "scaled_beta", "backtest"])
def test_counts_estimators_ignore_row_order(call):
    n, c = _pythia()
    want = call(n, c)
    for perm in _perms(n.size):
        _same(call(n[perm], c[perm]), want)


def test_subsamples_and_splits_follow_the_problem_not_its_row():
    n, c = _pythia()
    keep = n >= 1000
    n, c = n[keep], c[keep]
    sub = backtest.nested_subsample_counts(n, c, (100, 1000), rng=np.random.default_rng(5))
    (n_held, c_held), _ = splits.split_counts(n, c, seed=5)
    for perm in _perms(n.size):
        sub_p = backtest.nested_subsample_counts(n[perm], c[perm], (100, 1000), rng=np.random.default_rng(5))
        for m in (100, 1000):
            _same_rows((n, c), sub[m], (n[perm], c[perm]), sub_p[m])
        (_, c_held_p), _ = splits.split_counts(n[perm], c[perm], seed=5)
        _same_rows((n, c), c_held, (n[perm], c[perm]), c_held_p)


def _arith():
    arrays = sample_arrays(read_samples(ROOT / "data" / "arith_smollm2.parquet"), ["logprob"])
    return arrays.answers, arrays.correct, np.exp(np.asarray(arrays.columns["logprob"], dtype=float) / 10)


@pytest.mark.parametrize("call", [
    lambda a, k, s: selection.majority_vote(a, k, [1, 4, 16], method="monte_carlo", num_draws=20, seed=4),
    lambda a, k, s: selection.weighted_vote(a, k, s, [1, 4, 16], method="monte_carlo", num_draws=20, seed=4),
    lambda a, k, s: selection.selection_curve(selection.best_of_n(k, s, [1, 4, 16]), n_boot=200, seed=4),
    lambda a, k, s: splits.split_samples(k, s, seed=4),
], ids=["majority_monte_carlo", "weighted_monte_carlo", "selection_curve", "split_samples"])
def test_sample_estimators_ignore_row_order(call):
    answers, correct, score = _arith()
    want = call(answers, correct, score)
    for perm in _perms(correct.shape[0]):
        got = call(answers[perm], correct[perm], score[perm])
        if isinstance(want, selection.Selection):
            _same(got.accuracy, want.accuracy)
            _same(got.accuracy_se, want.accuracy_se)
            _same_rows((correct, score), want.per_problem, (correct[perm], score[perm]), got.per_problem)
        elif isinstance(want, list):  # split_samples: each part row by row
            for w, g in zip(want, got):
                _same_rows((correct, score), w, (correct[perm], score[perm]), g)
        else:
            _same(got, want)


def test_efficiency_multiple_and_policy_ignore_row_order():
    answers, correct, score = _arith()
    ns = [1, 2, 4, 8, 16, 32]
    bon, maj = selection.best_of_n(correct, score, ns), selection.majority_vote(answers, correct, ns)
    cost = np.broadcast_to(np.asarray(ns, dtype=float), bon.per_problem.shape)
    want = efficiency.efficiency_multiple(maj.per_problem, cost, bon.per_problem, cost, n_boot=200, seed=2)
    ids = np.array([f"p{i}" for i in range(correct.shape[0])])
    best = Strategy("best_of_n", VerifierSpec.recorded("score"))
    table = results.results_from_selection({best: bon, Strategy("majority"): maj}, ids, np.ascontiguousarray(cost))
    bins = choose.difficulty_bins(pd.Series(correct.mean(1), index=ids), num_bins=3)
    policy = choose.evaluate_policy(table, bins, reference=best, n_boot=200, seed=2)
    for perm in _perms(correct.shape[0]):
        got = efficiency.efficiency_multiple(maj.per_problem[perm], cost[perm], bon.per_problem[perm], cost[perm], n_boot=200, seed=2)
        _same(got, want)
        shuffled = table.sample(frac=1.0, random_state=int(perm[0]))
        _same(choose.evaluate_policy(shuffled, bins.iloc[perm], reference=best, n_boot=200, seed=2).summary, policy.summary)


def test_synthetic_samples_depend_on_the_seed_alone():
    a, b = synthetic.synthetic_samples(30, 8, seed=7), synthetic.synthetic_samples(30, 8, seed=7)
    _same(a, b)


# ---- the same numbers with numpy's AVX-512 dispatch on and off ------------------------------------

_PROGRAM = r"""
import json, numpy as np
import sys; sys.path.insert(0, "tests")
from test_row_order import _pythia, _arith
from ttslib import backtest, beta, coverage, fit, selection
n, c = _pythia()
answers, correct, score = _arith()
out = {
    "coverage": coverage.coverage_curve(n, c, [1, 10, 100, 1000], n_boot=200, seed=3, beyond_n="plugin").lower,
    "power_law": fit.fit_power_law(n, c, n_boot=200, seed=3).b_interval,
    "power_law_nls": fit.fit_power_law(n, c, method="nls", n_boot=50, seed=3).b_interval,
    "beta": beta.fit_beta(n, c, n_boot=50, seed=3).boot,
    "backtest": backtest.backtest(n, c, seed=3)["predicted"],
    "majority": selection.majority_vote(answers, correct, [4, 16], method="monte_carlo", num_draws=20, seed=4).accuracy,
    "weighted": selection.weighted_vote(answers, correct, score, [4, 16], method="monte_carlo", num_draws=20, seed=4).accuracy,
}
print(json.dumps({k: np.asarray(v, dtype=float).ravel().tolist() for k, v in out.items()}))
"""

DISPATCH = {"default": None, "no AVX-512": "X86_V4 AVX512_ICL AVX512_SPR"}


@pytest.mark.slow
def test_same_results_under_each_numpy_dispatch():
    outputs = {}
    for name, disabled in DISPATCH.items():
        env = {k: v for k, v in os.environ.items() if k != "NPY_DISABLE_CPU_FEATURES"}
        if disabled:
            env["NPY_DISABLE_CPU_FEATURES"] = disabled
        run = subprocess.run([sys.executable, "-c", _PROGRAM], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, f"{name}: {run.stderr[-2000:]}"
        outputs[name] = json.loads(run.stdout.strip().splitlines()[-1])
    base, other = outputs["default"], outputs["no AVX-512"]
    draws = ("coverage", "power_law", "majority", "weighted")  # bootstrap and Monte Carlo: the same draws, bit for bit
    differ = [k for k in draws if base[k] != other[k]]
    assert not differ, f"randomised results differ between numpy dispatch settings: {differ}"
    # Optimiser-based fits also run numpy's exp/log, whose AVX-512 code differs in the last bit; their
    # optimisers stop at tolerances of 1e-5 to 1e-7, so agreement to 1e-6 (relative) is all they promise.
    for k in sorted(set(base) - set(draws)):
        np.testing.assert_allclose(other[k], base[k], rtol=1e-6, atol=0, err_msg=k)
