"""Every rule of ``ttslib.adaptive`` written as a plain loop over one order of one problem.

Slow and literal, written apart from the vectorised replay: the tests replay both on every order of
tiny pools, and ``benchmarks/bench_adaptive.py`` times these loops as the baseline. Each function
takes one problem's samples as Python lists (``cls`` answer classes, -1 for none; ``good`` per
class; ``tok`` tokens; ``conf`` confidences; ``lows`` / ``lows_at`` per trace lists) and ``order``,
a list of sample indices, and returns (correct share, samples drawn, tokens spent).
"""

from __future__ import annotations

import numpy as np
from scipy.special import betainc

__all__ = ["vote", "esc", "adaptive_consistency", "shortest_majority", "fixed_majority", "oracle_bound",
           "deepconf_offline", "deepconf_online", "two_stage_sizes"]


def vote(scores: dict, good) -> float:
    """Correct share among the answers of top score (ties split; relative tolerance 1e-9); 0 if none."""
    if not scores:
        return 0.0
    top = max(scores.values())
    winners = [a for a, s in scores.items() if s >= top - 1e-9 * abs(top)]
    return sum(bool(good[a]) for a in winners) / len(winners)


def _counts(cls, drawn):
    counts = {}
    for i in drawn:
        if cls[i] >= 0:
            counts[cls[i]] = counts.get(cls[i], 0) + 1
    return counts


def _spent(tok, drawn):
    return float(sum(tok[i] for i in drawn))


def fixed_majority(cls, good, tok, order, n):
    drawn = order[:n]
    return vote(_counts(cls, drawn), good), n, _spent(tok, drawn)


def esc(cls, good, tok, order, window, cap):
    drawn = []
    while len(drawn) < cap:
        new = order[len(drawn): min(len(drawn) + window, cap)]
        drawn += new
        if len(new) == window and cls[new[0]] >= 0 and all(cls[i] == cls[new[0]] for i in new):
            break
    return vote(_counts(cls, drawn), good), len(drawn), _spent(tok, drawn)


def adaptive_consistency(cls, good, tok, order, threshold, cap):
    for n in range(1, cap + 1):
        top2 = sorted(_counts(cls, order[:n]).values(), reverse=True) + [0, 0]
        if 1 - betainc(top2[0] + 1, top2[1] + 1, 0.5) >= threshold:  # P(share of the leader > 1/2)
            break
    return fixed_majority(cls, good, tok, order, n)


def shortest_majority(cls, good, tok, order, n):
    drawn = order[:n]
    counts, length = _counts(cls, drawn), {}
    for i in drawn:
        if cls[i] >= 0:
            length[cls[i]] = length.get(cls[i], 0) + tok[i]
    scores = {a: c / (length[a] / c) for a, c in counts.items()}  # count / mean length
    return vote(scores, good), n, _spent(tok, drawn)


def oracle_bound(cls, good, tok, order):
    full = _counts(cls, order)
    leaders = {a for a, c in full.items() if c == max(full.values())}
    for n in range(1, len(order) + 1):
        now = _counts(cls, order[:n])
        if {a for a, c in now.items() if c == max(now.values())} == leaders:
            break
    return vote(full, good), n, _spent(tok, order[:n])


def _weighted(cls, conf, drawn, bar):
    scores = {}
    for i in drawn:
        if cls[i] >= 0 and conf[i] >= bar:
            scores[cls[i]] = scores.get(cls[i], 0.0) + conf[i]
    return scores


def deepconf_offline(cls, good, tok, conf, order, eta, n):
    drawn = order[:n]
    bar = np.percentile([conf[i] for i in drawn], 100 - eta)
    return vote(_weighted(cls, conf, drawn, bar), good), n, _spent(tok, drawn)


def deepconf_online(cls, good, tok, conf, lows, lows_at, order, eta, warmup, consensus, cap):
    bar = np.percentile([conf[i] for i in order[:warmup]], 100 - eta)
    spent, drawn = 0.0, []
    for n, i in enumerate(order[:cap], start=1):
        if n <= warmup or conf[i] >= bar:
            spent += tok[i]
            drawn.append(i)
        else:  # stopped at its first low below the bar; no vote
            spent += next(t for v, t in zip(lows[i], lows_at[i]) if v < bar)
        scores = _weighted(cls, conf, drawn, bar)
        total = sum(scores.values())
        if n >= warmup and consensus is not None and total > 0 and max(scores.values()) >= consensus * total * (1 - 1e-12):
            break
    return vote(_weighted(cls, conf, drawn, bar), good), n, spent


def two_stage_sizes(explored_top, explore, budget, N, keys):
    """Samples per problem on one order: the exploration's top counts (P,) -> sizes (P,), by loops."""
    P = len(explored_top)
    extra = int(round(budget * P)) - explore * P
    cap = N - explore
    d = [1 - t / explore for t in explored_top]
    x = [0.0] * P
    while extra - sum(x) > 1e-9 * max(extra, 1):
        open_ = [j for j in range(P) if x[j] < cap]
        w = {j: d[j] for j in open_}
        if sum(w.values()) == 0:
            w = {j: 1.0 for j in open_}
        left, total = extra - sum(x), sum(w.values())
        for j in open_:
            x[j] = min(x[j] + left * w[j] / total, cap)
    whole = [int(np.floor(v + 1e-9)) for v in x]
    short = int(round(extra - sum(whole)))
    rank = sorted(range(P), key=lambda j: (-(x[j] - whole[j]), keys[j]))
    for j in rank[:short]:
        whole[j] += whole[j] < cap
    return [explore + v for v in whole]
