"""ttslib.synthetic: the drawn samples follow the stated model (rates, answer classes, verifier AUC)."""

import numpy as np
import pytest
from scipy.stats import mannwhitneyu, norm

from ttslib.synthetic import synthetic_samples, verifier_auc


def test_answers_and_correctness_agree():
    s = synthetic_samples(200, 50, (0.0, 1.0), seed=1)
    assert s.correct.shape == s.answers.shape == (200, 50)
    assert np.array_equal(s.correct, s.answers == 0)  # class 0 is the right answer, and only it
    assert s.answers.min() >= -1 and s.answers.max() <= 10
    assert abs((s.answers < 0).mean() - 0.05) < 0.01  # 10,000 samples: sd of the share ~0.002


def test_success_rate_follows_the_beta_prior():
    s = synthetic_samples(4000, 40, (), alpha=2.0, beta=3.0, no_answer=0.0, seed=2)
    assert abs(s.correct.mean() - 2 / 5) < 0.01  # E[p] = alpha / (alpha + beta)
    assert abs(s.p_solve.mean() - 0.4) < 0.01


@pytest.mark.parametrize("d", [0.0, 0.5, 2.0])
def test_verifier_auc_is_phi_of_d_over_root_two(d):
    s = synthetic_samples(300, 64, (d,), seed=3)
    right, wrong = s.scores[d][s.correct], s.scores[d][~s.correct]
    auc = mannwhitneyu(right, wrong).statistic / (right.size * wrong.size)  # independent reference: rank AUC
    assert auc == pytest.approx(norm.cdf(d / np.sqrt(2)), abs=0.01)
    assert verifier_auc(d) == pytest.approx(norm.cdf(d / np.sqrt(2)))


def test_same_seed_same_draws_and_shared_noise():
    a, b = synthetic_samples(20, 8, (0.0, 1.0), seed=4), synthetic_samples(20, 8, (0.0, 1.0), seed=4)
    assert np.array_equal(a.answers, b.answers) and np.array_equal(a.scores[1.0], b.scores[1.0])
    # one noise draw for every d': the logit gap between two verifiers is d' (correct - 1/2) exactly
    logit = {d: np.log(v / (1 - v)) for d, v in a.scores.items()}
    assert np.allclose(logit[1.0] - logit[0.0], a.correct - 0.5)


@pytest.mark.parametrize("kwargs, match", [
    ({"num_problems": 0}, "num_problems"), ({"num_samples": 2.5}, "num_samples"), ({"alpha": 0}, "alpha"),
    ({"no_answer": 1.0}, "no_answer"), ({"dprimes": (-1.0,)}, "dprimes"), ({"num_wrong": 0}, "num_wrong"),
])
def test_bad_input_names_the_argument(kwargs, match):
    args = {"num_problems": 3, "num_samples": 4, **kwargs}
    with pytest.raises(ValueError, match=match):
        synthetic_samples(**args)
