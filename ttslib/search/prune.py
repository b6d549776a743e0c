"""Which partial solutions each method keeps, step after step, and the N candidates it returns
(``ttslib.search``): beam search, DVTS (the kit's and search-and-learn's), REBASE and particle filtering
(with particle Gibbs). :func:`advance` takes one tree and the children its last step made; the search loop
(``ttslib.search.loop``) expands, scores and calls it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ttslib.particles import particle_log_weight, rebase_widths, resample_counts


@dataclass(eq=False)
class Node:
    """A partial solution: its steps, their tokens, and the backend's handle to continue it."""

    handle: object
    steps: tuple[str, ...] = ()
    step_tokens: tuple[int, ...] = ()
    step_logprobs: tuple[tuple[float, ...], ...] = ()
    scores: np.ndarray = field(default_factory=lambda: np.empty(0))
    rank_score: float = np.nan  # what the search ranks it by (last step, or its lookahead's)
    status: str = "ok"
    ended: bool = False
    order: int = 0  # when it was made, for stable tie-breaking
    verifier_truncated: int = 0  # steps the verifier left out of the context of some step (its max_length)


@dataclass(eq=False)
class Tree:
    """The search state of one problem (beam search) or one subtree (DVTS)."""

    problem: int  # row of the problem set
    width: int  # N of this tree
    keep: int  # partial solutions kept per step (N / M)
    rng: np.random.Generator
    active: list = field(default_factory=list)
    ended: list = field(default_factory=list)
    last: list = field(default_factory=list)  # the newest unfinished children
    steps_done: int = 0
    done: bool = False
    sal: bool = False  # search-and-learn's DVTS subtree (candidates: its last expansion)
    alloc: list | None = None  # particle filtering and REBASE: children of each active node (decided by the last step)
    root: Node | None = None  # the prompt (particle Gibbs starts each iteration from it)
    population: list = field(default_factory=list)  # particle filtering: the particles, a node once per copy
    reference: Node | None = None  # particle Gibbs: the retained particle of the last iteration
    pools: list = field(default_factory=list)  # particle filtering: each finished iteration's particles

    def requests(self) -> list[tuple[Node, int]]:
        """(parent, k): sample k next steps from parent; k spreads ``width`` over the kept parents
        (sampling: one next step for each unfinished solution, ``width`` for the prompt; particle
        filtering and REBASE: the counts their last step decided)."""
        if self.alloc is not None:
            return list(zip(self.active, self.alloc))
        if self.keep == self.width and self.steps_done:
            return [(node, 1) for node in self.active]
        base, extra = divmod(self.width, len(self.active))
        return [(node, base + (i < extra)) for i, node in enumerate(self.active)]


def drop(expander, nodes) -> None:
    """Release the nodes' backend handles (each once)."""
    live = [n for n in nodes if n.handle is not None]
    expander.release([n.handle for n in live])
    for n in live:
        n.handle = None


def advance(tree: Tree, children: list[Node], config, expander, revive) -> None:
    """One step of ``tree``'s method: keep what it keeps of ``children`` (the nodes its last step made), release
    the rest from ``expander``, and decide whether the tree is done. ``revive(tree, t, node)``: ``node`` cut to
    its first t steps as a live partial solution (particle Gibbs)."""
    if config.method == "particle_filtering":
        return _advance_particles(tree, children, config, expander, revive)
    if config.method == "rebase":
        return _advance_rebase(tree, children, config, expander)
    if config.method == "dvts" and config.dvts_variant == "sal":
        return _advance_sal(tree, children, config, expander)
    return _advance_beam(tree, children, config, expander)


def _advance_beam(tree: Tree, children: list[Node], config, expander) -> None:
    """Beam search, the kit's DVTS and sampling: set aside the ended children, keep the best unfinished ones."""
    tree.ended += [c for c in children if c.ended]
    drop(expander, [c for c in children if c.ended])
    unfinished = sorted((c for c in children if not c.ended), key=lambda c: (-c.rank_score, c.order))
    tree.steps_done += 1
    tree.done = len(tree.ended) >= tree.width or not unfinished or tree.steps_done >= config.max_steps
    if tree.done:
        tree.active, tree.last = [], unfinished
        return
    tree.active = unfinished[: tree.keep]
    drop(expander, unfinished[tree.keep :])


def _advance_sal(tree: Tree, children: list[Node], config, expander) -> None:
    """search-and-learn's DVTS subtree: follow the best child, ended or not; stop when it has ended (or at
    ``max_steps``); its candidates are its last expansion, the M children of its last step."""
    ranked = sorted(children, key=lambda c: (-c.rank_score, c.order))
    best = ranked[0]
    tree.steps_done += 1
    tree.last = children  # the last expansion, in the order sampled
    tree.done = best.ended or tree.steps_done >= config.max_steps
    drop(expander, [c for c in children if tree.done or c is not best])
    tree.active = [] if tree.done else [best]


def _advance_rebase(tree: Tree, children: list[Node], config, expander) -> None:
    """REBASE: each ended child takes one unit of the width for good; the unfinished ones, best first, share what
    is left (``ttslib.particles.rebase_widths``); a node given no width is pruned."""
    tree.ended += [c for c in children if c.ended]
    drop(expander, [c for c in children if c.ended])
    unfinished = sorted((c for c in children if not c.ended), key=lambda c: (-c.rank_score, c.order))
    tree.steps_done += 1
    left = tree.width - len(tree.ended)
    if left != len(unfinished):  # cannot happen: each depth samples exactly the width left
        raise RuntimeError(f"REBASE has {len(unfinished)} unfinished nodes for a width of {left}")
    tree.done = not unfinished or tree.steps_done >= config.max_steps
    if tree.done:
        tree.active, tree.alloc, tree.last = [], [], unfinished
        return
    widths = rebase_widths([c.rank_score for c in unfinished], left, config.rebase_temperature)
    tree.active = [c for c, w in zip(unfinished, widths) if w > 0]
    tree.alloc = [int(w) for w in widths if w > 0]
    drop(expander, [c for c, w in zip(unfinished, widths) if w == 0])


def _advance_particles(tree: Tree, children: list[Node], config, expander, revive) -> None:
    """Particle filtering: the particles after one step (each unfinished one extended by one step), resampled
    multinomially from softmax(logit(agg(scores)) / T) (``ttslib.particles``), the last step included.
    ``pf_resample="all"`` draws every particle anew, ended ones with their final weight (its_hub);
    ``"active"`` sets ended ones aside and redraws only the unfinished. In particle Gibbs the retained
    reference is always kept and also competes, with the weight of its first t steps; a draw of it continues
    from those steps. An iteration ends when every particle has ended or at ``max_steps``."""
    tree.steps_done += 1
    t, ref = tree.steps_done, tree.reference
    pool = [n for n in tree.population if n.ended] + children  # the particles, the reference aside
    if config.pf_resample == "active":
        frozen, draw_from = [n for n in pool if n.ended], [n for n in pool if not n.ended]
    else:
        frozen, draw_from = [], pool
    k = len(draw_from)  # slots redrawn
    if ref is not None and k:
        draw_from = draw_from + [ref]
    population = list(frozen)
    if k:
        steps = [n.scores if n is not ref else n.scores[: min(t, len(n.steps))] for n in draw_from]
        log_w = [particle_log_weight(s, config.pf_aggregate) for s in steps]
        counts = resample_counts(log_w, k, tree.rng, config.pf_temperature)
        for node, c in zip(draw_from, counts):
            if c and node is ref and t < len(ref.steps):
                node = revive(tree, t, ref)
            population += [node] * int(c)
    kept = {id(n) for n in population}
    drop(expander, [n for n in pool if n.ended or id(n) not in kept])  # ended ones are never extended
    tree.population = population
    live = list({id(n): n for n in population if not n.ended}.values())  # distinct, in order of first draw
    if live and t < config.max_steps:
        tree.active, tree.alloc = live, [sum(m is n for m in population) for n in live]
        return
    for node in live:  # cut at max_steps
        node.status = "length: no answer within max_steps"
    drop(expander, live)
    finished = population + ([ref] if ref is not None else [])
    tree.pools.append(sorted(finished, key=lambda n: (-n.rank_score, n.order)))
    if len(tree.pools) == config.pf_iterations:
        tree.done, tree.active, tree.alloc = True, [], []
        return
    weights = [particle_log_weight(n.scores, config.pf_aggregate) for n in finished]
    pick = int(np.argmax(resample_counts(weights, 1, tree.rng, config.pf_temperature)))
    tree.reference, tree.population, tree.steps_done = finished[pick], [], 0
    tree.active, tree.alloc = [tree.root], [tree.width - 1]


def candidates(tree: Tree) -> list[Node]:
    """Exactly ``tree.width`` candidates: the best ended ones, then the best unfinished ones (search-and-learn's
    DVTS: the subtree's last expansion; particle filtering: the particles of each iteration, best first)."""
    if tree.pools:
        return [n for pool in tree.pools for n in pool]
    if tree.sal:
        for node in tree.last:
            if not node.ended:
                node.status = "unfinished: a sibling of its subtree's last step (search-and-learn's DVTS)"
        return list(tree.last)
    ended = sorted(tree.ended, key=lambda c: (-c.rank_score, c.order))[: tree.width]
    fill = tree.last[: tree.width - len(ended)]
    for node in fill:
        node.status = "length: no answer within max_steps"
    if len(ended) + len(fill) != tree.width:  # cannot happen: every step samples `width` children
        raise RuntimeError(f"search produced {len(ended) + len(fill)} candidates, not {tree.width}")
    return ended + fill
