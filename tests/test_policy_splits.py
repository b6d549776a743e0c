"""ttslib.policy.splits: held-apart samples, hypergeometric count splits and folds stratified by bin, against
independent counts and the hypergeometric law."""

import numpy as np
import pytest
from scipy.stats import hypergeom

from ttslib.policy import assign_folds, row_index, split_counts, split_samples


def test_split_samples_is_a_partition_shared_by_every_array():
    idx = np.tile(np.arange(10), (7, 1))
    held, rest, other_held, other_rest = split_samples(idx, idx * 10, fraction=0.3, seed=2)
    assert held.shape == (7, 3) and rest.shape == (7, 7)
    assert all(sorted(np.r_[h, r]) == list(range(10)) for h, r in zip(held, rest))
    np.testing.assert_array_equal(other_held, held * 10)
    np.testing.assert_array_equal(split_samples(idx, fraction=0.3, seed=2)[0], held)
    assert not np.array_equal(split_samples(idx, fraction=0.3, seed=3)[0], held)
    with pytest.raises(ValueError, match="fraction"):
        split_samples(idx, fraction=0.01)


@pytest.mark.parametrize("seed", range(4))
def test_assign_folds_is_stratified_by_bin(seed):
    """Per fold, each bin's count differs by at most one from any other fold's, counted here from the
    (problem, fold) pairs; a plain random assignment of the same sizes fails this check."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, 61)
    codes[:12] = np.repeat(np.arange(4), 3)  # every bin has at least folds = 3 problems
    fold = assign_folds(codes, 3, seed=seed)
    counts = np.zeros((4, 3), dtype=int)
    for b, f in zip(codes.tolist(), fold.tolist()):
        counts[b, f] += 1
    assert (counts.max(1) - counts.min(1) <= 1).all() and (counts.sum(1) == np.bincount(codes)).all()
    assert np.ptp(np.bincount(fold, minlength=3)) <= 1  # the deal continues across bins: folds of equal size too
    dealt = [np.random.default_rng(s).permutation(np.arange(61) % 3) for s in range(20)]  # random folds of equal size
    unstratified = [np.bincount(codes * 3 + f, minlength=12).reshape(4, 3) for f in dealt]
    assert sum(((c.max(1) - c.min(1)) > 1).any() for c in unstratified) >= 15  # the check bites on them


def test_split_counts_is_hypergeometric():
    n, c = np.full(40_000, 10), np.full(40_000, 4)
    (m, c_held), (m_rest, c_rest) = split_counts(n, c, fraction=0.5, seed=0)
    assert (m == 5).all() and (m_rest == 5).all() and (c_held + c_rest == 4).all()
    freq = np.bincount(c_held, minlength=5) / c_held.size
    np.testing.assert_allclose(freq, hypergeom(10, 4, 5).pmf(np.arange(5)), atol=0.01)


def test_assign_folds_refuses_a_bin_smaller_than_the_folds():
    with pytest.raises(ValueError, match="bin 'rare' has 1 problem"):
        assign_folds(np.array([0, 0, 0, 1]), 2, labels=np.array(["common", "rare"], dtype=object))


def test_row_index_takes_masks_positions_and_ids():
    ids = np.array(["a", "b", "c"])
    assert row_index(ids, None).tolist() == [0, 1, 2] and row_index(ids, [True, False, True]).tolist() == [0, 2]
    assert row_index(ids, [2, 0]).tolist() == [2, 0] and row_index(ids, ["c", "a"]).tolist() == [2, 0]
    with pytest.raises(ValueError, match="not here"):
        row_index(ids, ["z"])
    with pytest.raises(ValueError, match="one entry per problem"):
        row_index(ids, [True])
