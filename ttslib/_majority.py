"""Exact majority vote over all n-subsets of N samples: the dynamic programme behind
``ttslib.selection.majority_vote(method="exact")``, kept apart so that module reads in one sitting.

For one problem the answer classes have sizes m_1..m_K (and some samples have no answer). A random
n-subset holds multivariate-hypergeometric counts of each class; the expected accuracy of the vote is
the number of subsets in which a correct class wins (ties split evenly) over C(N, n). The counts are
coefficients of products of truncated binomial polynomials, computed for every n at once.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.special import comb

_CHUNK = 20_000_000  # array elements per block of problems (as in ttslib.selection)


def majority_work(sizes, good, N) -> float:
    """Work estimate of ``majority_exact``, sum_p sum_{t <= m_c} (J_t + 1)^2 (N + 1)(t + 8), J_t the
    answers with >= t samples (8: copies per factor); about 1 s per 1e9 on one core."""
    at_least = (sizes[:, :, None] >= np.arange(1, N + 1)).sum(1)  # (P, N) answers with >= t samples
    t = np.arange(1, N + 1)
    return float(((at_least + 1) ** 2 * (N + 1) * (t + 8) * (t <= (sizes * good).max(1, initial=0)[:, None])).sum())


def majority_exact(sizes, good, N, ns):
    """Exact majority vote at budgets ``ns`` from answer sizes (P, K) and correctness (P, K)."""
    if N > 1000:
        raise ValueError(f"exact majority vote counts subsets in float64, up to N = 1000; got N = {N}")
    binom = comb(np.arange(N + 1)[:, None], np.arange(N + 1))  # (N+1, N+1) C(m, x)
    step = max(1, _CHUNK // ((sizes.shape[1] + 1) * (N + 1)))  # bounds the (rows, ties, N+1) arrays
    total = np.zeros((sizes.shape[0], N + 1))
    for lo in range(0, sizes.shape[0], step):
        total[lo : lo + step] = majority_counts(sizes[lo : lo + step], good[lo : lo + step], N, binom)
    return total[:, ns] / binom[N, ns]


def majority_counts(sizes, good, N, binom):
    """Sum over the n-subsets of the fraction of correct winners, (P, N+1), n = 0..N.

    A correct answer c of m_c samples wins a subset alone or tied with s others (weight 1/(1+s)) in
    ``sum_t C(m_c, t) [z^(n-t)] (1+z)^L_t sum_s [w^s] prod_j (sum_{x<t} C(m_j, x) z^x + w C(m_j, t) z^t) / (1+s)``
    subsets: it has t samples, each other answer j with m_j >= t has fewer than t or exactly t (a
    tie, counted by w), and the L_t remaining samples (no answer, or answers of < t samples) are free.
    """
    no_answer = N - sizes.sum(1)
    total = np.zeros((sizes.shape[0], N + 1))
    rank = np.cumsum(good, axis=1)
    for q in range(int(good.sum(1).max(initial=0))):  # the q-th correct answer of each problem (usually one)
        this = good & (rank == q + 1)
        m_c = (sizes * this).sum(1)
        others = -np.sort(-np.where(this, 0, sizes), axis=1)  # (P, K) descending
        for t in range(1, int(m_c.max()) + 1):
            rows = np.flatnonzero(m_c >= t)
            o = others[rows]
            big = o >= t
            J = int(big.sum(1).max())  # most answers that can tie at t
            poly = np.zeros((rows.size, J + 1, N + 1))  # (rows, ties s, power of z)
            poly[:, 0] = binom[no_answer[rows] + np.where(big, 0, o).sum(1)]
            for j in range(J):
                m = np.where(big[:, j], o[:, j], 0)  # m = 0 makes the factor 1
                below = binom[m, :t][:, ::-1]  # (rows, t) reversed coefficients of sum_{x<t} C(m, x) z^x
                padded = np.concatenate([np.zeros(poly.shape[:2] + (t - 1,)), poly], axis=2)
                new = np.einsum("rsnx,rx->rsn", sliding_window_view(padded, t, axis=2), below)
                new[:, 1:, t:] += binom[m, t][:, None, None] * poly[:, :-1, : N + 1 - t]
                poly = new
            tied = (poly / np.arange(1, J + 2)[:, None]).sum(1)  # (rows, N+1)
            total[rows, t:] += binom[m_c[rows], t][:, None] * tied[:, : N + 1 - t]
    return total
