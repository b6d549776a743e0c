"""The search loop of ``ttslib.search``: the tree of partial solutions, its expansion by a backend
(``ttslib.search.expand``), scoring by a verifier, pruning, and the N candidates out per problem."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ttslib.generate.base import SamplingConfig
from ttslib.verifiers import check_step_scores

METHODS = ("beam_search", "dvts", "sampling")
DVTS_VARIANTS = ("kit", "sal")


@dataclass(frozen=True)
class SearchConfig:
    """One search setting. ``n`` candidates per problem, beam width ``beam_width`` (M)."""

    method: str = "beam_search"  # "beam_search", "dvts", or "sampling" (N independent solutions, step by step)
    n: int = 16  # N: candidates out, and partial solutions sampled per step
    beam_width: int = 4  # M: next steps sampled from each kept partial solution
    max_steps: int = 10  # steps per solution at most (search-and-learn uses 40 on MATH)
    max_step_tokens: int = 32  # tokens per step at most
    lookahead: int = 0  # extra greedy steps rolled before scoring (beam search only)
    dvts_variant: str = "kit"  # dvts: "kit" (ended children set aside, continue until M ended) or "sal" (search-and-learn's)
    temperature: float = 0.8
    top_p: float = 1.0
    seed: int = 0

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}; got {self.method!r}")
        for name in ("n", "beam_width", "max_steps", "max_step_tokens"):
            if not isinstance(getattr(self, name), (int, np.integer)) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be an int >= 1; got {getattr(self, name)!r}")
        if self.n % self.beam_width:
            raise ValueError(f"n ({self.n}) must be a multiple of beam_width ({self.beam_width})")
        if self.lookahead < 0:
            raise ValueError(f"lookahead must be >= 0; got {self.lookahead}")
        if self.lookahead and self.method != "beam_search":
            raise ValueError(f"lookahead is an option of beam search; {self.method} takes lookahead=0")
        if self.dvts_variant not in DVTS_VARIANTS:
            raise ValueError(f"dvts_variant must be one of {DVTS_VARIANTS}; got {self.dvts_variant!r}")
        if self.dvts_variant != "kit" and self.method != "dvts":
            raise ValueError(f"dvts_variant is an option of DVTS; {self.method} takes the default")
        SamplingConfig(temperature=self.temperature, top_p=self.top_p)  # checks them


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

    def requests(self) -> list[tuple[Node, int]]:
        """(parent, k): sample k next steps from parent; k spreads ``width`` over the kept parents
        (sampling: one next step for each unfinished solution, ``width`` for the prompt)."""
        if self.keep == self.width and self.steps_done:
            return [(node, 1) for node in self.active]
        base, extra = divmod(self.width, len(self.active))
        return [(node, base + (i < extra)) for i, node in enumerate(self.active)]


def _is_final(step: str, grade_style: str) -> bool:
    """A step ends its solution when it is a final-answer line of the grade style (``ttslib.grade.final_answer_line``)."""
    from ttslib.grade import final_answer_line

    return final_answer_line(step, style=grade_style)


def _child(parent: Node, comp, handle, max_step_tokens: int, grade_style: str, order: int) -> Node:
    step = comp.text
    node = Node(
        handle=handle,
        steps=parent.steps + (step,),
        step_tokens=parent.step_tokens + (comp.num_tokens,),
        step_logprobs=parent.step_logprobs + (tuple(comp.token_logprobs),),
        order=order,
    )
    if comp.finish_reason == "length":
        node.ended, node.status = True, f"length: step without delimiter after {max_step_tokens} tokens"
    elif comp.status != "ok":
        node.ended, node.status = True, comp.status
    else:
        node.ended = comp.finish_reason == "eos" or step.strip() == "" or _is_final(step, grade_style)
    return node


@dataclass
class _Cost:
    generated: int = 0
    prefill: int = 0
    verifier: float = 0.0
    prompt: int = 0  # the prompt's tokens (a text backend reports them with the first request)
    context: int = 0  # sum over generated tokens of the position each sits at (prompt + its partial solution)
    eos_unknown: int = 0  # steps a text backend ended with "stop" without saying whether on the end token

    def sampled(self, parent: Node, num_tokens: int) -> None:
        """Count ``num_tokens`` generated after ``parent``'s partial solution."""
        start, n = self.prompt + sum(parent.step_tokens), int(num_tokens)
        self.generated += n
        self.context += n * start + n * (n + 1) // 2


def _score(verifier, questions: list[str], nodes: list[Node]) -> tuple[list[np.ndarray], int]:
    """The verifier's per-step scores of each node's partial solution (checked), and the tokens it read;
    a PRM that had to cut a long partial's context records on the node how many steps it left out."""
    partials = [list(n.steps) for n in nodes]
    logprobs = [[list(lp) for lp in n.step_logprobs] for n in nodes]
    result = verifier.score(questions, partials, step_logprobs=logprobs)
    result = check_step_scores(result, partials, verifier.name)
    for node, cut in zip(nodes, result.truncated or ()):
        node.verifier_truncated = max(node.verifier_truncated, int(cut))
    return [np.asarray(s, dtype=float) for s in result.scores], int(result.num_tokens)


def _drop(expander, nodes) -> None:
    """Release the nodes' backend handles (each once)."""
    live = [n for n in nodes if n.handle is not None]
    expander.release([n.handle for n in live])
    for n in live:
        n.handle = None


def _trees(config: SearchConfig, num_problems: int, seeds: list[int]) -> list[Tree]:
    if config.method == "sampling":  # keep every unfinished solution: N independent samples
        return [Tree(p, config.n, config.n, np.random.default_rng(seeds[p])) for p in range(num_problems)]
    if config.method == "beam_search":
        return [Tree(p, config.n, config.n // config.beam_width, np.random.default_rng(seeds[p])) for p in range(num_problems)]
    return [  # dvts: N/M subtrees of width M keeping 1; the first draws the problem's own stream (one subtree = beam search)
        Tree(p, config.beam_width, 1, np.random.default_rng(seeds[p] if t == 0 else [seeds[p], t]), sal=config.dvts_variant == "sal")
        for p in range(num_problems)
        for t in range(config.n // config.beam_width)
    ]


def search_problems(questions, prompts, expander, verifier, config: SearchConfig, *, grade_style: str, seeds):
    """Run the search on a batch of problems in lockstep (one batched expansion and one verifier call
    per step over all of them). Returns, per problem, its N candidate nodes and its :class:`_Cost`."""
    roots, prompt_tokens, prefilled = expander.roots(list(prompts))
    costs = [_Cost(prefill=int(n), prompt=int(t)) for n, t in zip(prefilled, prompt_tokens)]
    trees = _trees(config, len(prompts), list(seeds))
    for tree in trees:
        tree.active = [Node(handle=roots[tree.problem])]
    order = 0
    try:
        while True:
            live = [t for t in trees if not t.done]
            if not live:
                break
            requests = [(tree, parent, k) for tree in live for parent, k in tree.requests()]
            consume = [bool(parent.steps) for _, parent, _ in requests]  # every parent but a prompt is done with
            expanded = expander.expand([(parent.handle, k, tree.rng) for tree, parent, k in requests], consume=consume)
            for (_, parent, _), used in zip(requests, consume):
                if used:
                    parent.handle = None  # passed to the expander (Expander.expand): its last child may live on in it
            children: dict[int, list[Node]] = {id(t): [] for t in live}
            for (tree, parent, _), (kids, prefill) in zip(requests, expanded):
                costs[tree.problem].prefill += int(prefill)
                if not parent.steps and not costs[tree.problem].prompt:
                    costs[tree.problem].prompt = int(prefill)  # a text backend: the prompt as the server counted it
                for comp, handle, eos in kids:
                    node = _child(parent, comp, handle, config.max_step_tokens, grade_style, order)
                    node.ended |= bool(eos)
                    costs[tree.problem].eos_unknown += eos is None
                    order += 1
                    costs[tree.problem].sampled(parent, comp.num_tokens)
                    children[id(tree)].append(node)
            _drop(expander, [parent for tree in live for parent in tree.active if parent.steps])
            scored = [(tree, node) for tree in live for node in children[id(tree)]]
            judged = [node for _, node in scored]
            if config.lookahead:
                judged = _roll(expander, scored, config, grade_style, costs)
            scores, tokens = _score(verifier, [questions[t.problem] for t, _ in scored], judged)
            weights = np.array([len(n.steps) for n in judged], dtype=float)
            for (tree, node), look, s, w in zip(scored, judged, scores, weights):
                node.scores, node.rank_score = s[: len(node.steps)], float(s[-1])
                node.verifier_truncated = max(node.verifier_truncated, look.verifier_truncated)
                costs[tree.problem].verifier += tokens * w / weights.sum()
                if look is not node:
                    _drop(expander, [look])
            for tree in live:
                _advance(tree, children[id(tree)], config, expander)
    finally:
        _drop(expander, [n for t in trees for n in t.active + t.last if n.steps])
        expander.release(roots)
    out = [[] for _ in prompts]
    for tree in trees:
        out[tree.problem] += _candidates(tree)
    return out, costs


def _roll(expander, scored, config: SearchConfig, grade_style: str, costs) -> list[Node]:
    """Each unfinished child rolled ``config.lookahead`` steps at temperature 0 (ended ones as they are)."""
    rolled = []
    for tree, node in scored:
        look = node
        for _ in range(config.lookahead):
            if look.ended:
                break
            (kids, prefill), = expander.expand([(look.handle, 1, tree.rng)], greedy=True)
            comp, handle, eos = kids[0]
            nxt = _child(look, comp, handle, config.max_step_tokens, grade_style, look.order)
            nxt.ended |= bool(eos)
            costs[tree.problem].eos_unknown += eos is None
            costs[tree.problem].sampled(look, comp.num_tokens)
            costs[tree.problem].prefill += int(prefill)
            if look is not node:
                _drop(expander, [look])
            look = nxt
        rolled.append(look)
    return rolled


def _advance(tree: Tree, children: list[Node], config: SearchConfig, expander) -> None:
    """Set aside the ended children, keep the best unfinished ones, and decide whether the tree is done."""
    if config.method == "dvts" and config.dvts_variant == "sal":
        return _advance_sal(tree, children, config, expander)
    tree.ended += [c for c in children if c.ended]
    _drop(expander, [c for c in children if c.ended])
    unfinished = sorted((c for c in children if not c.ended), key=lambda c: (-c.rank_score, c.order))
    tree.steps_done += 1
    tree.done = len(tree.ended) >= tree.width or not unfinished or tree.steps_done >= config.max_steps
    if tree.done:
        tree.active, tree.last = [], unfinished
        return
    tree.active = unfinished[: tree.keep]
    _drop(expander, unfinished[tree.keep :])


def _advance_sal(tree: Tree, children: list[Node], config: SearchConfig, expander) -> None:
    """search-and-learn's DVTS subtree: follow the best child, ended or not; stop when it has ended (or at
    ``max_steps``); its candidates are its last expansion, the M children of its last step."""
    ranked = sorted(children, key=lambda c: (-c.rank_score, c.order))
    best = ranked[0]
    tree.steps_done += 1
    tree.last = children  # the last expansion, in the order sampled
    tree.done = best.ended or tree.steps_done >= config.max_steps
    _drop(expander, [c for c in children if tree.done or c is not best])
    tree.active = [] if tree.done else [best]


def _candidates(tree: Tree) -> list[Node]:
    """Exactly ``tree.width`` candidates: the best ended ones, then the best unfinished ones (search-and-learn's
    DVTS: the subtree's last expansion)."""
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
