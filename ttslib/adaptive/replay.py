"""Replay rules on a pool: every rule on the same random orders, in blocks of problems.

Each problem's R orders come from its own seed (``Pool.keys``). A block of problems is drawn,
its prefix statistics computed once (``ttslib.adaptive.orders``), and every rule reads them; a
rule's per-order values (accuracy, samples, tokens), (p, R) each, become per-problem means and
standard errors. Exact rules skip the orders. A rule that couples problems (a global budget) first
gets a pass over all problems' explorations, then its plan is read in the blocks like any rule.
Blocks bound the memory: about ``BLOCK`` (problems x orders x positions) elements at a time.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

import numpy as np

from ttslib.adaptive.allocation import TwoStage, top_count
from ttslib.adaptive.deepconf import DeepConfOffline, DeepConfOnline
from ttslib.adaptive.orders import Prefixes, draw_orders, prefixes
from ttslib.adaptive.pool import Pool, RuleResult, exact, summarise
from ttslib.adaptive.stopping import ESC, AdaptiveConsistency, FixedMajority, OracleBound, ShortestMajority
from ttslib.checks import row_chunks

__all__ = ["Rule", "replay", "esc", "adaptive_consistency", "shortest_majority", "fixed_majority", "oracle_bound",
           "deepconf_offline", "deepconf_online", "two_stage"]

BLOCK = 500_000  # problems x orders x (N + 1) per block: a few MB per table, tens of MB at the peak


class Rule(Protocol):
    """What a rule's settings record declares: ``kind`` ("exact", "orders" or "coupled"), ``check(N)``
    (ValueError if the pool cannot replay it), and ``exact(pool)`` or ``values(block)`` -> (accuracy,
    samples, tokens), (P,) or (p, R) each; a coupled rule also has ``plan(explored, N, keys)``."""

    kind: str

    def check(self, N: int) -> None: ...


class Block(NamedTuple):
    """What a rule reads for a block of problems: the pool's rows, their prefixes, coupled rules' plans."""

    pool: Pool
    prefixes: Prefixes
    plan: dict


def replay(pool: Pool, rules, *, num_orders: int = 1000, seed: int = 0) -> tuple[RuleResult, ...]:
    """Every rule's expected accuracy and cost per problem, over ``num_orders`` random orders.

    Parameters
    ----------
    pool : Pool, from ``make_pool``
    rules : sequence of settings records (``ESC``, ``AdaptiveConsistency``, ``ShortestMajority``,
        ``FixedMajority``, ``OracleBound``, ``DeepConfOffline``, ``DeepConfOnline``, ``TwoStage``)
    num_orders : R >= 2 random orders per problem, shared by all rules
    seed : the orders' seed; problem ``id`` draws from ``problem_seed(seed, id)``

    Returns one :class:`RuleResult` per rule, in the order given.
    """
    rules = tuple(rules)
    if isinstance(num_orders, bool) or not float(num_orders).is_integer() or num_orders < 2:
        raise ValueError(f"num_orders must be a whole number >= 2 (for a standard error); got {num_orders!r}")
    if not isinstance(pool, Pool):
        raise TypeError(f"pool must be a Pool (from make_pool); got {type(pool).__name__}")
    P, N = pool.shape
    R = int(num_orders)
    for rule in rules:
        if getattr(rule, "kind", None) not in ("exact", "orders", "coupled"):
            raise TypeError(f"rules must be settings records such as ESC(window=5); got {rule!r}")
        rule.check(N)
    keys = pool.keys(seed)
    blocks = row_chunks(P, R * (N + 1), BLOCK)
    plans = {}
    coupled = [r for r in rules if r.kind == "coupled"]
    orders = [None] * len(blocks)  # drawn once, kept between the passes when there are two (P x R x N int16)
    if coupled:  # pass 1: every problem's exploration, on the same orders as pass 2
        explored = {m: np.empty((P, R), dtype=np.int64) for m in {r.explore for r in coupled}}
        for j, b in enumerate(blocks):
            orders[j] = draw_orders(keys[b], N, R)
            seq = np.take_along_axis(pool.classes[b][:, None, :], orders[j][..., :max(explored)].astype(np.int64), 2)
            for m, out in explored.items():
                out[b] = top_count(seq[..., :m])
        plans = {r: r.plan(explored[r.explore], N, keys) for r in coupled}
    walk = [j for j, r in enumerate(rules) if r.kind != "exact"]
    per_block = {j: [] for j in walk}
    for k, b in enumerate(blocks if walk else []):
        sub = pool.take(np.arange(P)[b])
        order = orders[k] if orders[k] is not None else draw_orders(keys[b], N, R)
        orders[k] = None
        block = Block(sub, prefixes(sub.classes, sub.good, sub.tokens, order),
                      {r: plan[b] for r, plan in plans.items()})
        for j in walk:
            per_block[j].append(tuple(np.asarray(v, dtype=float) for v in rules[j].values(block)))
    out = []
    for j, r in enumerate(rules):
        if r.kind == "exact":
            out.append(exact(r, *r.exact(pool)))
        else:
            values = tuple(np.concatenate([v[q] for v in per_block[j]]) for q in range(3))
            out.append(summarise(r, values, coupled=r.kind == "coupled"))
    return tuple(out)


def esc(pool, *, window=5, max_samples=None, num_orders=1000, seed=0) -> RuleResult:
    """Early-stopping self-consistency (arXiv:2401.10480); Monte Carlo over orders."""
    return replay(pool, [ESC(window, max_samples)], num_orders=num_orders, seed=seed)[0]


def adaptive_consistency(pool, *, threshold=0.95, max_samples=None, num_orders=1000, seed=0) -> RuleResult:
    """Adaptive-Consistency, Beta criterion (arXiv:2305.11860); Monte Carlo over orders."""
    return replay(pool, [AdaptiveConsistency(threshold, max_samples)], num_orders=num_orders, seed=seed)[0]


def shortest_majority(pool, *, n, num_orders=1000, seed=0) -> RuleResult:
    """Shortest majority vote among n samples (arXiv:2502.12215); Monte Carlo over orders."""
    return replay(pool, [ShortestMajority(n)], num_orders=num_orders, seed=seed)[0]


def fixed_majority(pool, *, n) -> RuleResult:
    """Majority vote at a fixed budget n (arXiv:2203.11171); exact."""
    return replay(pool, [FixedMajority(n)])[0]


def oracle_bound(pool, *, num_orders=1000, seed=0) -> RuleResult:
    """The fewest samples returning the full pool's majority answer, with hindsight; Monte Carlo over orders."""
    return replay(pool, [OracleBound()], num_orders=num_orders, seed=seed)[0]


def deepconf_offline(pool, *, eta=10, n=None, num_orders=1000, seed=0) -> RuleResult:
    """DeepConf offline (arXiv:2508.15260): exact on the whole pool, Monte Carlo among n < N traces."""
    return replay(pool, [DeepConfOffline(eta, n)], num_orders=num_orders, seed=seed)[0]


def deepconf_online(pool, *, eta=10, warmup=16, consensus=0.95, max_samples=None, num_orders=1000, seed=0) -> RuleResult:
    """DeepConf online (arXiv:2508.15260); Monte Carlo over orders."""
    return replay(pool, [DeepConfOnline(eta, warmup, consensus, max_samples)], num_orders=num_orders, seed=seed)[0]


def two_stage(pool, *, explore=4, budget=16, num_orders=1000, seed=0) -> RuleResult:
    """Two-stage allocation of a global budget (AdaBoN-like, arXiv:2505.12050); Monte Carlo over orders."""
    return replay(pool, [TwoStage(explore, budget)], num_orders=num_orders, seed=seed)[0]
