"""DeepConf's confidence of a reasoning trace (Fu et al. 2025, arXiv:2508.15260).

* token confidence ``C_i = -(1/k) sum_{j<k} log P_i(j)``, the mean of the top-k log-probabilities at
  token i, negated (k = 20 in the paper): high where the model's distribution is peaked;
* group confidence, the mean of C_i over a sliding window of w tokens (w = 2,048 in the paper),
  one value per full window ``g_t = (1/w) sum_{i=t-w+1}^{t} C_i``, t = w..T; a trace shorter than
  one window has one group, the mean of all its tokens (our choice for traces shorter than a window);
* a trace's score, its lowest group confidence ``min_t g_t``.

DeepConf online stops a trace at the first full window whose group confidence falls below a
threshold s. Which token that is, for any s, is fixed by the record lows of the running minimum of
``g_t``: the values where it strictly falls, and the token count t at which each is reached.
The first record below s is where the trace stops. :func:`confidence_lows` stores these (a few per
trace) instead of every token's confidence: padded (P, N, M) arrays, NaN / 0 after the last record.
"""

from __future__ import annotations

import numpy as np

__all__ = ["token_confidence", "group_confidence", "lowest_group_confidence", "confidence_lows"]


def token_confidence(top_logprobs, k: int | None = None) -> np.ndarray:
    """``C_i = -mean_j log P_i(j)`` over the top ``k`` log-probabilities of each token (arXiv:2508.15260).

    ``top_logprobs`` (..., K): the top-K log-probabilities of each token, largest first (vLLM's
    ``logprobs=K``, an OpenAI-compatible ``top_logprobs``); ``k`` <= K (default K) uses the first k.
    Returns (...,) float, >= 0.
    """
    lp = np.asarray(top_logprobs, dtype=float)
    if lp.ndim < 1 or lp.shape[-1] == 0:
        raise ValueError(f"top_logprobs must be (..., K) with K >= 1 log-probabilities per token; got shape {lp.shape}")
    K = lp.shape[-1]
    k = K if k is None else k
    if not float(k).is_integer() or not 1 <= k <= K:
        raise ValueError(f"k must be a whole number in 1..K = {K} (the log-probabilities given per token); got {k!r}")
    if not np.all(np.isfinite(lp)) or np.any(lp > 0):
        raise ValueError("top_logprobs must be finite log-probabilities (<= 0); found NaN, inf or positive values")
    return -lp[..., : int(k)].mean(-1)


def group_confidence(token_conf, window: int = 2048) -> np.ndarray:
    """Sliding-window means ``g_t`` (T - w + 1,) of token confidences (T,); (1,) the mean if T < w."""
    c = _check_trace(token_conf)
    w = _check_window(window)
    if c.size < w:
        return np.array([c.mean()])
    s = np.concatenate([[0.0], np.cumsum(c)])
    return (s[w:] - s[:-w]) / w


def lowest_group_confidence(token_conf, window: int = 2048) -> float:
    """A trace's DeepConf score, ``min_t g_t``."""
    return float(group_confidence(token_conf, window).min())


def confidence_lows(traces, window: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Record lows of the running lowest group confidence of every trace, padded.

    ``traces``: per problem a list of N traces, each a 1-d array of token confidences (ragged).
    Returns ``lows`` (P, N, M) float, strictly decreasing along M then NaN, and ``lows_at`` (P, N, M)
    int, the tokens generated when each low is reached (t for the window ending at token t; T for a
    trace shorter than a window), 0-padded; M is the most records of any trace.
    """
    per_problem = [list(row) for row in traces]
    if not per_problem or len({len(r) for r in per_problem}) != 1 or len(per_problem[0]) == 0:
        raise ValueError("traces must hold, per problem, the same number N >= 1 of traces")
    w = _check_window(window)
    records = []
    for row in per_problem:  # ragged traces: one loop over traces, the work inside is vectorised
        for trace in row:
            g = group_confidence(trace, w)
            run = np.minimum.accumulate(g)
            new = np.ones(g.size, dtype=bool)
            new[1:] = run[1:] < run[:-1]
            t = np.flatnonzero(new)
            records.append((g[t], t + min(w, len(trace))))
    M = max(len(v) for v, _ in records)
    lows, at = np.full((len(records), M), np.nan), np.zeros((len(records), M), dtype=np.int64)
    for j, (v, t) in enumerate(records):
        lows[j, : v.size], at[j, : v.size] = v, t
    P, N = len(per_problem), len(per_problem[0])
    return lows.reshape(P, N, M), at.reshape(P, N, M)


def _check_trace(token_conf) -> np.ndarray:
    c = np.asarray(token_conf, dtype=float)
    if c.ndim != 1 or c.size == 0:
        raise ValueError(f"token_conf must be a 1-d array of at least one token confidence; got shape {c.shape}")
    if not np.all(np.isfinite(c)):
        raise ValueError(f"token_conf must be finite; found {int((~np.isfinite(c)).sum())} NaN/inf (first at token "
                         f"{int(np.argmax(~np.isfinite(c)))})")
    return c


def _check_window(window) -> int:
    if not float(window).is_integer() or window < 1:
        raise ValueError(f"window must be a whole number of tokens >= 1; got {window!r}")
    return int(window)
