"""Sequential revisions against parallel sampling at equal budget, from a pool of chains (Snell et al. 2024,
arXiv:2408.03314, Sec. 6). Arrays in, no model.

A pool holds, per problem, C independent chains of R rounds: round 1 is a fresh attempt, round r a revision
that saw the rounds before it. A budget of B attempts can be spent as p parallel chains of r rounds each
(p r = B). Each chain gives one answer after r rounds, chosen across the chain:

* ``"last"``: the answer of round r (the revision's own verdict);
* ``"majority"``: the most frequent answer among rounds 1..r of the chain, ties to the latest round among
  the tied answers (revisions also turn right answers wrong, so the chain's whole history may vote).

The p chains' answers are then combined by majority vote (a chain with no answer takes its place in the
subset and votes for nothing, as in ``ttslib.selection``). The p chains are a uniformly random p-subset of
the C chains, so the expected accuracy is exactly ``ttslib.selection.majority_vote`` over the C chain
answers at n = p (exact over all p-subsets). Cost: the tokens of the rounds drawn, ``p E[sum_{j<=r}
m_j]`` with ``m_j`` a round's generated tokens, exact; with ``context`` (the tokens each round reads:
prompt and the previous attempts it revises) the tokens read too, which grow with r.

:func:`transitions` counts, round by round, how often a revision turns a right answer wrong and a wrong
one right, per problem, for paired intervals over problems.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ttslib.checks import whole_number
from ttslib.selection import answer_classes, majority_vote

__all__ = ["Revisions", "ChainPool", "make_chain_pool", "chain_answers", "Split", "splits", "rounds_curve", "transitions",
           "repair_curve", "resample_at_tokens", "resample_next", "round_flops", "flip_rates"]

HOW = ("last", "majority")
FEEDBACK = ("none", "checker", "tests")


@dataclass(frozen=True, order=True)
class Revisions:
    """The sequential half of a strategy (``ttslib.policy.Strategy(..., revisions=Revisions(4))``): chains of
    ``rounds`` attempts each, revised blind or with ``feedback`` ("checker"), each chain's answer its ``answer``
    ("last" round, or the "majority" of its rounds); a budget of n attempts is n / rounds such chains."""

    rounds: int
    feedback: str = "none"
    answer: str = "last"

    def __post_init__(self):
        object.__setattr__(self, "rounds", whole_number(self.rounds, "rounds", minimum=1))
        if self.feedback not in FEEDBACK:
            raise ValueError(f"feedback must be one of {FEEDBACK}; got {self.feedback!r}")
        if self.answer not in HOW:
            raise ValueError(f"answer must be one of {HOW}; got {self.answer!r}")

    def __str__(self) -> str:
        return f"{self.rounds} round{'s' if self.rounds > 1 else ''}, {self.feedback} feedback, {self.answer} answer"


@dataclass(frozen=True, eq=False)
class ChainPool:
    """C chains of R rounds per problem: ``classes`` (P, C, R) int answer classes (-1: none), ``correct``
    (P, C, R) bool, ``tokens`` (P, C, R) generated tokens per round, ``context`` (P, C, R) tokens each round
    reads (prompt and earlier attempts) or None."""

    classes: np.ndarray
    correct: np.ndarray
    tokens: np.ndarray
    context: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.classes.shape


def make_chain_pool(answers, correct, tokens, *, context=None) -> ChainPool:
    """A checked :class:`ChainPool` from (P, C, R) arrays; ``answers`` hashable (None: no answer) or int
    class ids (negative: no answer); ``correct`` equal within an answer of a problem; tokens finite and >= 0."""
    corr = np.asarray(correct, dtype=bool)
    if corr.ndim != 3 or min(corr.shape) < 1:
        raise ValueError(f"correct must be (P, C, R) with P, C, R >= 1 (problems, chains, rounds); got shape {corr.shape}")
    P, C, R = corr.shape
    ans = np.asarray(answers)
    if np.issubdtype(ans.dtype, np.integer):  # int answers: class ids, negative for no answer
        ans = np.where(ans >= 0, ans, None).astype(object)
    ans = ans.astype(object)
    if ans.shape != corr.shape:
        raise ValueError(f"answers must have the shape of correct, {corr.shape}; got {ans.shape}")
    cls = answer_classes(ans.reshape(P, C * R)).reshape(P, C, R)
    for name, a in (("tokens", tokens), ("context", context)):
        if a is None:
            continue
        a = np.asarray(a, dtype=float)
        if a.shape != corr.shape or not np.all(np.isfinite(a)) or np.any(a < 0):
            raise ValueError(f"{name} must be finite numbers >= 0 of shape {corr.shape}; got shape {a.shape}")
    flat_c, flat_k = cls.reshape(P, -1), corr.reshape(P, -1)
    for p in range(P):  # one verdict per answer of a problem
        seen = {}
        for k, c in zip(flat_k[p], flat_c[p]):
            if c >= 0 and seen.setdefault(c, k) != k:
                raise ValueError(f"correct differs within an answer in problem {p}: grade by answer")
    ctx = None if context is None else np.asarray(context, dtype=float)
    return ChainPool(cls, corr & (cls >= 0), np.asarray(tokens, dtype=float), ctx)


def chain_answers(pool: ChainPool, r: int, how: str = "last") -> tuple[np.ndarray, np.ndarray]:
    """Each chain's answer after ``r`` rounds: classes (P, C) (-1: none) and whether it is right (P, C)."""
    P, C, R = pool.shape
    if isinstance(r, bool) or not float(r).is_integer() or not 1 <= r <= R:
        raise ValueError(f"r must be a whole number of rounds in 1..R = {R}; got {r!r}")
    if how not in HOW:
        raise ValueError(f"how must be one of {HOW}; got {how!r}")
    r = int(r)
    if how == "last":
        return pool.classes[:, :, r - 1], pool.correct[:, :, r - 1]
    seen = pool.classes[:, :, :r]
    K = int(pool.classes.max(initial=-1)) + 1
    if K == 0:
        return np.full((P, C), -1), np.zeros((P, C), dtype=bool)
    onehot = seen[..., None] == np.arange(K)  # (P, C, r, K)
    count = onehot.sum(2)  # (P, C, K)
    latest = np.where(onehot, np.arange(r)[None, None, :, None], -1).max(2)  # (P, C, K) the last round of each answer
    key = count * (r + 1) + latest  # most votes, then the latest round
    key = np.where(count > 0, key, -1)
    pick = key.argmax(-1)
    cls = np.where(key.max(-1) >= 0, pick, -1)
    right = np.take_along_axis(_class_correct(pool, K), np.maximum(cls, 0)[..., None], -1)[..., 0] & (cls >= 0)
    return cls, right


def _class_correct(pool, K):
    """(P, 1, K) whether each answer class of a problem is right."""
    P = pool.shape[0]
    good = np.zeros((P, K), dtype=bool)
    p, _, _ = np.nonzero(pool.correct)
    good[p, pool.classes[pool.correct]] = True
    return good[:, None, :]


@dataclass(frozen=True)
class Split:
    """A budget of ``p`` parallel chains x ``r`` rounds: expected ``accuracy`` (P,), ``tokens`` (P,) generated,
    ``read`` (P,) tokens read (None without context); ``how`` the chain's answer."""

    p: int
    r: int
    how: str
    accuracy: np.ndarray
    tokens: np.ndarray
    read: np.ndarray | None

    @property
    def budget(self) -> int:
        return self.p * self.r


def splits(pool: ChainPool, budgets, *, how: str = "last") -> list[Split]:
    """Every split p x r = B of each budget B (attempts) with p <= C chains and r <= R rounds, exact.

    Accuracy: majority vote over the answers of a uniformly random p-subset of the C chains, each chain's
    answer taken after r rounds (``how``): ``majority_vote`` at n = p, exact over all p-subsets. Cost:
    p times the mean over chains of the tokens of rounds 1..r (and of what they read)."""
    P, C, R = pool.shape
    out = []
    for B in np.atleast_1d(budgets):
        if isinstance(B, (bool, np.bool_)) or not float(B).is_integer() or B < 1:
            raise ValueError(f"budgets must be whole numbers of attempts >= 1; got {B!r}")
        B = int(B)
        pairs = [(p, B // p) for p in range(1, B + 1) if B % p == 0 and p <= C and B // p <= R]
        if not pairs:
            raise ValueError(f"budget {B} has no split p x r with p <= C = {C} chains and r <= R = {R} rounds")
        for p, r in pairs:
            acc, spent, read = rounds_curve(pool, r, how, [p])
            out.append(Split(p, r, how, acc[:, 0], spent[:, 0], None if read is None else read[:, 0]))
    return out


def rounds_curve(pool: ChainPool, r: int, how: str = "last", ps=None):
    """Chains of ``r`` rounds at ``ps`` parallel chains each (default 1..C): expected accuracy (P, K), generated
    tokens (P, K) and tokens read (P, K, or None without context); the budget in attempts is ps x r."""
    P, C, R = pool.shape
    ps = np.arange(1, C + 1) if ps is None else np.asarray(ps, dtype=int)
    if ps.ndim != 1 or ps.size == 0 or ps.min() < 1 or ps.max() > C:
        raise ValueError(f"ps must be chain counts in 1..C = {C}; got {ps!r}")
    cls, right = chain_answers(pool, r, how)
    keys = np.where(cls >= 0, cls, None).astype(object)  # answers as keys: the vote renumbers them per problem
    acc = majority_vote(keys, right, ps).per_problem
    spent = ps[None, :] * pool.tokens[:, :, :r].sum(2).mean(1)[:, None]
    read = None if pool.context is None else ps[None, :] * pool.context[:, :, :r].sum(2).mean(1)[:, None]
    return acc, spent, read


def transitions(pool: ChainPool) -> dict[str, np.ndarray]:
    """Per problem and round r = 2..R, the share of chains whose answer went right -> wrong and wrong -> right
    from round r - 1 to r: two (P, R - 1) arrays (``"right_to_wrong"``, ``"wrong_to_right"``), each a mean over
    the C chains, and ``"right_before"`` (P, R - 1) the share right at round r - 1."""
    before, after = pool.correct[:, :, :-1], pool.correct[:, :, 1:]
    return {"right_to_wrong": (before & ~after).mean(1), "wrong_to_right": (~before & after).mean(1),
            "right_before": before.mean(1)}


def repair_curve(correct, tokens, r: int, ps=None):
    """Self-repair as Olausson et al. (arXiv:2306.09896) count it, from (P, C, R) arrays of code chains: p chains
    of ``r`` rounds each, a problem solved when the program any of the p chains ends with after round r passes
    the hidden tests (pass@p over the C chains, unbiased: exact over all p-subsets). Returns the expected
    pass rate (P, K) and the tokens spent (P, K): p times the mean over chains of rounds 1..r's tokens (a
    round a chain skipped because its program passed costs what its row says, 0)."""
    from ttslib.coverage import pass_at_k

    correct, tokens = np.asarray(correct, dtype=bool), np.asarray(tokens, dtype=float)
    if correct.ndim != 3 or correct.shape != tokens.shape:
        raise ValueError(f"correct and tokens must be (P, C, R) arrays of one shape; got {correct.shape} and {tokens.shape}")
    P, C, R = correct.shape
    if isinstance(r, bool) or not float(r).is_integer() or not 1 <= r <= R:
        raise ValueError(f"r must be a whole number of rounds in 1..R = {R}; got {r!r}")
    r = int(r)
    ps = np.arange(1, C + 1) if ps is None else np.asarray(ps, dtype=int)
    if ps.ndim != 1 or ps.size == 0 or ps.min() < 1 or ps.max() > C:
        raise ValueError(f"ps must be chain counts in 1..C = {C}; got {ps!r}")
    solved = correct[:, :, r - 1].sum(1)
    rate = np.stack([pass_at_k(np.full(P, C), solved, int(p)) for p in ps], axis=1)
    spent = ps[None, :] * tokens[:, :, :r].sum(2).mean(1)[:, None]
    return rate, spent


def resample_at_tokens(num_samples, num_correct, tokens_per_sample, budget):
    """pass@k of a pool of independent samples at a token ``budget`` per problem (arrays (P,) or (P, K)):
    k = budget / tokens_per_sample samples, pass@k taken at the whole k on either side and joined linearly
    (pass@k is concave in k, so the line lies below it: the resampling side is not flattered). A budget
    beyond the pool's n samples is an error (the pool cannot say)."""
    from ttslib.coverage import pass_at_k

    n = np.asarray(num_samples, dtype=float)
    c = np.asarray(num_correct, dtype=float)
    m = np.asarray(tokens_per_sample, dtype=float)
    budget = np.asarray(budget, dtype=float)
    if n.ndim != 1 or c.shape != n.shape or m.shape != n.shape:
        raise ValueError("num_samples, num_correct and tokens_per_sample must be (P,) arrays of one shape")
    if not np.all(np.isfinite(m)) or np.any(m <= 0):
        raise ValueError("tokens_per_sample must be finite and > 0")
    b = budget if budget.ndim == 2 else budget[:, None]
    if b.shape[0] != n.size or not np.all(np.isfinite(b)) or np.any(b < 0):
        raise ValueError(f"budget must be finite tokens >= 0 per problem, shape ({n.size},) or ({n.size}, K)")
    k = b / m[:, None]
    if np.any(k > n[:, None]):
        worst = int(np.argmax((k / n[:, None]).max(1)))
        raise ValueError(f"a budget asks for {k[worst].max():.1f} samples of problem {worst}, which has {int(n[worst])}: "
                         "the pool cannot say what more samples would do")
    lo, hi = np.floor(k).astype(int), np.ceil(k).astype(int)

    def at(kk):  # pass@k at a whole k per (problem, budget); pass@0 = 0
        out = np.zeros(kk.shape)
        for kv in np.unique(kk[kk > 0]):
            rows, cols = np.nonzero(kk == kv)
            out[rows, cols] = np.asarray(pass_at_k(n[rows], c[rows], int(kv))).reshape(-1)
        return out

    w = k - lo
    rate = (1 - w) * at(lo) + w * at(hi)
    return rate if budget.ndim == 2 else rate[:, 0]


def round_flops(pool: ChainPool, model, *, attention: str = "kaplan") -> ChainPool:
    """The pool with each round's cost in forward FLOPs instead of tokens: round j reads its whole context
    (prompt and the attempts it revises, ``pool.context``) and writes its tokens, ``S(0, x_j + m_j)``
    (``ttslib.flops.sequence_flops``), no cache carried from round to round, so the context a revision rereads
    is paid again and grows with j. :func:`rounds_curve` and :func:`splits` of the result give FLOPs."""
    from dataclasses import replace

    from ttslib.flops import sequence_flops

    if pool.context is None:
        raise ValueError("FLOPs need what each round reads: make the pool with context= (ttslib.revise.chain_arrays)")
    return replace(pool, tokens=sequence_flops(model, pool.context + pool.tokens, attention=attention))


def flip_rates(pool: ChainPool, *, n_boot: int = 1000, seed: int = 0, level: float = 0.95):
    """How often a revision turns a right answer wrong and a wrong one right, round by round (r = 2..R): the
    share of chains right at round r - 1 that are wrong at round r (of all such chains, pooled over problems),
    and of chains wrong at r - 1 that are right at r, each with a percentile bootstrap interval over problems
    (resampled in id order with ``seed``). A list of dicts: round, right_before, right_to_wrong, its lower and
    upper, wrong_before, wrong_to_right, its lower and upper."""
    before, after = pool.correct[:, :, :-1], pool.correct[:, :, 1:]
    counts = {"rb": before.sum(1), "rw": (before & ~after).sum(1), "wb": (~before).sum(1), "wr": (~before & after).sum(1)}
    P = pool.shape[0]
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, P, size=(n_boot, P))
    out = []
    lo, hi = 100 * (1 - level) / 2, 100 * (1 + level) / 2
    for j in range(before.shape[2]):
        c = {k: v[:, j].astype(float) for k, v in counts.items()}
        with np.errstate(invalid="ignore", divide="ignore"):
            boot_rw = c["rw"][picks].sum(1) / c["rb"][picks].sum(1)
            boot_wr = c["wr"][picks].sum(1) / c["wb"][picks].sum(1)
        row = {"round": j + 2, "right_before": int(c["rb"].sum()),
               "right_to_wrong": c["rw"].sum() / c["rb"].sum() if c["rb"].sum() else np.nan,
               "wrong_before": int(c["wb"].sum()),
               "wrong_to_right": c["wr"].sum() / c["wb"].sum() if c["wb"].sum() else np.nan}
        for name, boot in (("right_to_wrong", boot_rw), ("wrong_to_right", boot_wr)):
            ok = boot[np.isfinite(boot)]
            row[f"{name}_lower"], row[f"{name}_upper"] = (np.percentile(ok, lo), np.percentile(ok, hi)) if ok.size else (np.nan, np.nan)
        out.append(row)
    return out


def resample_next(samples, first: int, budget):
    """Resampling as it would have gone on, read off a pool: per problem, whether any of the pool's samples from
    ``sample_idx`` position ``first`` on (in ``sample_idx`` order), taken while their generated tokens add up to at
    most ``budget`` (that problem's entry), passes. A realized outcome, like a chain's, not an expectation.
    ``samples``: a sample table; ``budget``: a Series of tokens per problem_id. Returns a bool Series by problem_id."""
    need = ["problem_id", "sample_idx", "is_correct", "num_completion_tokens"]
    missing = [c for c in need if c not in samples.columns]
    if missing:
        raise ValueError(f"samples needs column(s) {missing}")
    out = {}
    df = samples.assign(problem_id=samples["problem_id"].astype(str)).sort_values(["problem_id", "sample_idx"], kind="stable")
    for pid, g in df.groupby("problem_id", sort=True):
        if pid not in budget.index:
            continue
        rest = g.iloc[int(first):]
        within = rest["num_completion_tokens"].to_numpy(dtype=float).cumsum() <= float(budget[pid])
        if len(rest) and rest["num_completion_tokens"].sum() < float(budget[pid]):  # (then every sample is within)
            raise ValueError(f"problem {pid!r}: the pool's samples after position {first} hold fewer tokens than the budget")
        out[pid] = bool(rest["is_correct"].to_numpy(dtype=bool)[within].any())
    return pd.Series(out, name="passed").rename_axis("problem_id")
