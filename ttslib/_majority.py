"""The vote machinery behind ``ttslib.selection``, kept apart so that module reads in one sitting:
the exact majority vote over all n-subsets of N samples (a dynamic programme; a closed form when no
answer repeats), its Rao-Blackwellised Monte Carlo for large N, and the weighted vote by enumeration
of all subsets or by random orders.

For one problem the answer classes have sizes m_1..m_K (and some samples have no answer). A random
n-subset holds multivariate-hypergeometric counts of each class; the expected accuracy of the vote is
the number of subsets in which a correct class wins (ties split evenly) over C(N, n). The counts are
coefficients of products of truncated binomial polynomials, computed for every n at once.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.special import comb, gammaln

from ttslib.checks import CHUNK as _CHUNK  # array elements per block of problems

_TIE_RTOL = 1e-9  # summed scores this close (relative) tie, whatever the order of summation


def _log_choose(m, x):
    return gammaln(np.asarray(m, dtype=float) + 1) - gammaln(np.asarray(x, dtype=float) + 1) - gammaln(np.asarray(m - x, dtype=float) + 1)


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


def majority_all_distinct(cls, correct, ns):
    """Majority vote where no answer has two samples: every answered sample of a subset ties with the
    others, so the vote picks one of them uniformly and ``E[acc_n] = (c / a) (1 - C(N - a, n) / C(N, n))``
    (a answered and c correct samples; the second factor is the chance that the subset holds an answer).
    ``cls`` (P, N) class ids (-1: no answer), ``correct`` (P, N) bool, ``ns`` (K,); returns (P, K)."""
    N = cls.shape[1]
    answered, right = (cls >= 0).sum(1), (correct & (cls >= 0)).sum(1)
    n = np.asarray(ns, dtype=float)
    # C(N - a, n) / C(N, n) = prod_{j<n} (N - a - j) / (N - j), via log-gamma; 0 where n > N - a
    a = answered[:, None].astype(float)
    with np.errstate(invalid="ignore"):
        log_none = gammaln(N - a + 1) - gammaln(N - a - n + 1) - gammaln(N + 1) + gammaln(N - n + 1)
    none = np.where(n <= N - a, np.exp(np.where(n <= N - a, log_none, 0.0)), 0.0)
    share = np.divide(right, answered, out=np.zeros(len(right)), where=answered > 0)
    return share[:, None] * (1.0 - none)


def majority_rao_blackwell(cls, good, ns, num_draws, rng):
    """Monte Carlo majority vote with the count of the (largest) correct answer integrated out exactly.

    For a problem whose correct answer c has m_c of the N samples, a random n-subset holds t of them
    with hypergeometric probability h(t; N, m_c, n), and the other n - t are a uniform subset of the
    L = N - m_c other samples: the first n - t of a random order of them. One random order serves
    every t and n: along it, the running largest count M_i among the other answers after i samples,
    how many answers share it (T_i) and how many of those are correct (U_i; several distinct correct
    answers) give the vote's correct share ``g(t, i)``: 1 if t > M_i, (1 + U_i) / (1 + T_i) if t = M_i
    > 0, U_i / T_i if t < M_i. Then ``E[acc_n] = E_order[sum_t h(t) g(t, n - t)]``, unbiased, and only
    the order of the others is sampled: far less variance than drawing subsets. Returns mean and
    standard error over ``num_draws`` orders, each (P, K).
    """
    P, N = cls.shape
    K = good.shape[1]
    sizes = np.bincount((np.arange(P)[:, None] * (K + 1) + np.where(cls < 0, K, cls)).ravel(), minlength=P * (K + 1))
    sizes = sizes.reshape(P, K + 1)[:, :K]
    mean, se = np.zeros((P, len(ns))), np.zeros((P, len(ns)))
    for p in range(P):  # one problem at a time: the (R, L) arrays of its random orders
        if not good[p].any():
            continue  # no correct answer: accuracy 0 at every n
        c = int(np.argmax(np.where(good[p], sizes[p], -1)))  # the largest correct answer
        m_c = int(sizes[p, c])
        others = cls[p][cls[p] != c]  # (L,) class ids of the other samples, -1: no answer
        L = others.size
        label = np.where(others < 0, K, others).astype(np.int16 if K < 2**15 else np.int32)  # int16: radix sort
        seq = rng.permuted(np.broadcast_to(label, (num_draws, L)), axis=1)  # (R, L) classes in a random order
        by_class = np.argsort(seq, axis=1, kind="stable")  # positions grouped by class, in order
        s = np.take_along_axis(seq, by_class, 1)
        start = np.maximum.accumulate(np.where(np.diff(s, axis=1, prepend=-1) != 0, np.arange(L), 0), axis=1)
        rank = np.empty(seq.shape, dtype=np.int32)
        np.put_along_axis(rank, by_class, np.arange(L) - start + 1, 1)  # count of its answer so far, itself included
        rank[seq == K] = 0  # no answer: counts for nothing
        M = np.maximum.accumulate(rank, axis=1)  # (R, L) largest count after i + 1 samples
        at_max = (rank == M) & (rank > 0)
        first = np.maximum.accumulate(np.where(np.diff(M, axis=1, prepend=0) > 0, np.arange(L), 0), axis=1)
        pad = lambda x: np.concatenate([np.zeros((num_draws, 1), x.dtype), x], axis=1)  # noqa: E731  index i: after i samples
        good_label = np.append(good[p], False)  # slot K (no answer) is never correct
        cnt, cnt_good = np.cumsum(at_max, axis=1, dtype=np.int32), np.cumsum(at_max & good_label[seq], axis=1, dtype=np.int32)
        back = np.take_along_axis(pad(cnt), first, 1), np.take_along_axis(pad(cnt_good), first, 1)
        M, T, U = pad(M), pad(np.where(M > 0, cnt - back[0], 0)), pad(np.where(M > 0, cnt_good - back[1], 0))
        for j, n in enumerate(ns):
            t = np.arange(max(0, n - L), min(n, m_c) + 1)
            h = np.exp(_log_choose(m_c, t) + _log_choose(N - m_c, n - t) - _log_choose(N, n))  # hypergeometric pmf
            keep = h > 1e-17 * h.max()
            t, h, i = t[keep], h[keep], n - t[keep]
            Mi, Ti, Ui = M[:, i], T[:, i], U[:, i]  # (R, W)
            g = np.where(t > Mi, 1.0, np.where(t == Mi, (1 + Ui) / (1 + Ti), Ui / np.maximum(Ti, 1)))
            g = np.where((t == 0) & (Mi == 0), 0.0, g)  # nobody answered
            value = g @ h  # (R,)
            spread = np.ptp(value) > 1e-12  # the orders differ beyond rounding (at n = 1, say, they do not)
            mean[p, j], se[p, j] = value.mean(), value.std(ddof=1) / np.sqrt(num_draws) if spread else 0.0
    return mean, se


def winner_correct(sums, present, good):
    """Fraction of correct answers among the top ones; ``sums``, ``present`` (..., K); 0 if none present."""
    s = np.where(present, sums, -np.inf)
    top = s.max(-1, keepdims=True, initial=-np.inf)
    win = present & (s >= top - _TIE_RTOL * np.abs(top))
    k = win.sum(-1)
    return np.where(k > 0, (win & good).sum(-1) / np.maximum(k, 1), 0.0)


def vote_enumerate(cls, good, weights, ns):
    """Mean over all 2^N subsets of each size n."""
    P, N = cls.shape
    onehot = (cls[..., None] == np.arange(good.shape[1])).astype(float)  # (P, N, K)
    masks = ((np.arange(2**N)[:, None] >> np.arange(N)) & 1).astype(float)  # (S, N) every subset
    of_size = (masks.sum(1)[:, None] == ns) / comb(N, ns)  # (S, K_n)
    acc, step = np.empty((P, ns.size)), max(1, _CHUNK // (2**N * max(good.shape[1], 1)))
    for lo in range(0, P, step):
        b = slice(lo, lo + step)
        hit = winner_correct(masks @ (onehot[b] * weights[b, :, None]), masks @ onehot[b] > 0, good[b, None, :])
        acc[b] = hit @ of_size  # hit: (p, S)
    return acc


def vote_monte_carlo(cls, good, weights, ns, num_draws, seed):
    """``num_draws`` random orders of each problem's samples; the first n of an order are a uniform
    n-subset, so running sums per answer give every n. Returns mean and standard error, (P, K_n)."""
    if num_draws < 2:
        raise ValueError(f"num_draws must be >= 2 for a standard error; got {num_draws}")
    rng = np.random.default_rng(seed)
    (P, N), K = cls.shape, good.shape[1]
    ns, back = np.unique(ns, return_inverse=True)  # increasing; ``back`` restores the order asked for
    cls = np.where(cls < 0, K, cls)  # no answer: slot K, which never competes
    mean, se = np.empty((P, ns.size)), np.empty((P, ns.size))
    step = max(1, _CHUNK // (num_draws * (N + K)))
    for lo in range(0, P, step):
        b = slice(lo, lo + step)
        p = len(cls[b])
        order = rng.permuted(np.broadcast_to(np.arange(N), (p, num_draws, N)), axis=2)  # (p, R, N)
        slot = np.take_along_axis(cls[b, None, :], order, 2) + (K + 1) * np.arange(p * num_draws).reshape(p, -1, 1)
        w = np.take_along_axis(weights[b, None, :], order, 2)
        sums, counts = np.zeros(p * num_draws * (K + 1)), np.zeros(p * num_draws * (K + 1))
        for j, (start, stop) in enumerate(zip(np.r_[0, ns[:-1]], ns)):  # add the samples n_{j-1}..n_j
            sums += np.bincount(slot[:, :, start:stop].ravel(), w[:, :, start:stop].ravel(), minlength=sums.size)
            counts += np.bincount(slot[:, :, start:stop].ravel(), minlength=sums.size)
            shape = (p, num_draws, K + 1)
            hit = winner_correct(sums.reshape(shape)[..., :K], counts.reshape(shape)[..., :K] > 0, good[b, None, :])
            mean[b, j], se[b, j] = hit.mean(1), hit.std(1, ddof=1) / np.sqrt(num_draws)
    return mean[:, back], se[:, back]
