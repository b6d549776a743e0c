"""The search loop of ``ttslib.search``: the tree of partial solutions, its expansion by a backend
(``ttslib.search.expand``), scoring by a verifier, pruning, and the N candidates out per problem."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from ttslib.checks import whole_number

from ttslib.generate.base import SamplingConfig
from ttslib.particles import ParticleFilter, Rebase, aggregate_scores
from ttslib.search.prune import Node, Tree, advance, candidates, drop
from ttslib.verifiers import check_step_scores

METHODS = ("beam_search", "dvts", "sampling", "particle_filtering", "rebase")
DVTS_VARIANTS = ("kit", "sal")
WIDTH_FREE = ("particle_filtering", "rebase")  # methods with no beam width M


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
    # particle filtering (ttslib.particles): weight logit(agg(step scores)), resampled from softmax(w / T)
    pf_aggregate: str = "prod"  # "prod" (its_hub's examples), "min" or "last"
    pf_temperature: float = 1.0  # T of the resampling softmax (its_hub: 1)
    pf_iterations: int = 1  # particle Gibbs iterations; n / iterations particles each (1: plain particle filtering)
    pf_resample: str = "all"  # "all": ended particles stay in the pool (its_hub); "active": they are set aside
    rebase_temperature: float = 0.2  # REBASE: T of its width allocation (rebase.yaml)

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}; got {self.method!r}")
        for name in ("n", "beam_width", "max_steps", "max_step_tokens"):  # pf_iterations: ParticleFilter checks it
            whole_number(getattr(self, name), name, minimum=1)
        self.scheme()  # checks the settings of particle filtering and REBASE (pf_iterations a whole number first)
        defaults = {f.name: f.default for f in fields(self)}
        own = {"particle_filtering": ("pf_aggregate", "pf_temperature", "pf_iterations", "pf_resample"), "rebase": ("rebase_temperature",)}
        for method, names in own.items():
            for name in names:
                if self.method != method and getattr(self, name) != defaults[name]:
                    raise ValueError(f"{name} is a setting of {method}; {self.method} takes the default")
        if self.method in WIDTH_FREE:
            if self.beam_width != defaults["beam_width"]:
                raise ValueError(f"beam_width is a setting of beam search and DVTS; {self.method} has none")
        elif self.n % self.beam_width:
            raise ValueError(f"n ({self.n}) must be a multiple of beam_width ({self.beam_width})")
        if self.n % self.pf_iterations or (self.pf_iterations > 1 and self.n // self.pf_iterations < 2):
            raise ValueError(f"n ({self.n}) must be a multiple of pf_iterations ({self.pf_iterations}), "
                             "with at least 2 particles an iteration when there are several (one is the reference)")
        if self.lookahead < 0:
            raise ValueError(f"lookahead must be >= 0; got {self.lookahead}")
        if self.lookahead and self.method != "beam_search":
            raise ValueError(f"lookahead is an option of beam search; {self.method} takes lookahead=0")
        if self.dvts_variant not in DVTS_VARIANTS:
            raise ValueError(f"dvts_variant must be one of {DVTS_VARIANTS}; got {self.dvts_variant!r}")
        if self.dvts_variant != "kit" and self.method != "dvts":
            raise ValueError(f"dvts_variant is an option of DVTS; {self.method} takes the default")
        SamplingConfig(temperature=self.temperature, top_p=self.top_p)  # checks them

    def scheme(self):
        """The settings record of particle filtering or REBASE (``ttslib.particles``); None for the others."""
        if self.method == "rebase":
            return Rebase(self.rebase_temperature)
        pf = ParticleFilter(self.pf_aggregate, self.pf_temperature, self.pf_iterations, self.pf_resample)
        return pf if self.method == "particle_filtering" else None

    def settings(self) -> dict:
        """What a run's manifest and rows record: every field that applies to the method (the settings of
        particle filtering and REBASE only for them, M only for the methods that have one)."""
        mine = {"particle_filtering": "pf_", "rebase": "rebase_"}.get(self.method)
        out = {}
        for f in fields(self):
            if f.name.startswith(("pf_", "rebase_")) and not (mine and f.name.startswith(mine)):
                continue
            if f.name in ("beam_width", "lookahead", "dvts_variant") and self.method in WIDTH_FREE:
                continue
            out[f.name] = getattr(self, f.name)
        return out


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
    reread: int = 0  # tokens decoded again to continue a particle Gibbs reference part of the way (embedded backend)
    rounds: list = field(default_factory=list)  # the critical path, one entry a step of the search (round_record)

    def sampled(self, parent: Node, num_tokens: int) -> None:
        """Count ``num_tokens`` generated after ``parent``'s partial solution."""
        start, n = self.prompt + sum(parent.step_tokens), int(num_tokens)
        self.generated += n
        self.context += n * start + n * (n + 1) // 2

    def new_round(self) -> None:
        """Open the record of one step of the search (``ttslib.cost.search_seconds`` reads it): ``prefill``,
        [position before, tokens] of each pass of prompt or partial solution decoded in one go; ``decode``, one
        list per sequential pass (the expansion, then each lookahead step), of [context, [tokens of each
        child]] per parent, its children decoded together after its context; ``scored`` and ``verifier``, the
        partial solutions the verifier scored and the tokens it read for this problem."""
        self.rounds.append({"prefill": [], "decode": [[]], "scored": 0, "verifier": 0.0})

    def prefilled(self, start: int, tokens: int) -> None:
        if tokens:
            self.rounds[-1]["prefill"].append([int(start), int(tokens)])

    def children(self, parent: Node, tokens, level: int = 0) -> None:
        """The ``tokens`` of the children sampled together from ``parent`` in this round's pass ``level``."""
        passes = self.rounds[-1]["decode"]
        while len(passes) <= level:
            passes.append([])
        passes[level].append([self.prompt + sum(parent.step_tokens), [int(t) for t in tokens]])


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


def _trees(config: SearchConfig, num_problems: int, seeds: list[int]) -> list[Tree]:
    if config.method == "particle_filtering":  # n / iterations particles, each iteration after the last
        return [Tree(p, config.n // config.pf_iterations, config.n, np.random.default_rng(seeds[p])) for p in range(num_problems)]
    if config.method == "rebase":
        return [Tree(p, config.n, config.n, np.random.default_rng(seeds[p])) for p in range(num_problems)]
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
    for cost, n, t in zip(costs, prefilled, prompt_tokens):
        cost.new_round()
        cost.prefilled(int(t) - int(n), int(n))  # the prompt tokens the cache did not hold
    trees = _trees(config, len(prompts), list(seeds))
    for tree in trees:
        tree.root = Node(handle=roots[tree.problem])
        tree.active = [tree.root]
        if config.method in WIDTH_FREE:
            tree.alloc = [tree.width]

    def revive(tree: Tree, steps: int, source: Node) -> Node:
        """A particle Gibbs reference cut to its first ``steps`` steps, as a live partial solution."""
        handle, prefill = expander.prefix(prompts[tree.problem], source.steps[:steps])
        cost = costs[tree.problem]
        cost.prefill += int(prefill)
        if prefill:  # decoded again (the steps, and what of the prompt the cache did not hold): with their positions
            read, start = int(prefill), max(cost.prompt + sum(source.step_tokens[:steps]) - int(prefill), 0)
            cost.reread += read
            cost.context += read * start + read * (read + 1) // 2
            cost.prefilled(start, read)
        return Node(handle=handle, steps=source.steps[:steps], step_tokens=source.step_tokens[:steps],
                    step_logprobs=source.step_logprobs[:steps], scores=source.scores[:steps], order=source.order,
                    rank_score=aggregate_scores(source.scores[:steps], config.pf_aggregate))

    order = 0
    try:
        while True:
            live = [t for t in trees if not t.done]
            if not live:
                break
            for tree in live:
                if costs[tree.problem].rounds[-1]["scored"]:  # the first round holds the prompt's prefill
                    costs[tree.problem].new_round()
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
                costs[tree.problem].prefilled(0, int(prefill))  # a re-sent partial solution (text backend), read whole
                costs[tree.problem].children(parent, [comp.num_tokens for comp, _, _ in kids])
                for comp, handle, eos in kids:
                    node = _child(parent, comp, handle, config.max_step_tokens, grade_style, order)
                    node.ended |= bool(eos)
                    costs[tree.problem].eos_unknown += eos is None
                    order += 1
                    costs[tree.problem].sampled(parent, comp.num_tokens)
                    children[id(tree)].append(node)
            drop(expander, [parent for tree in live for parent in tree.active if parent.steps])
            scored = [(tree, node) for tree in live for node in children[id(tree)]]
            judged = [node for _, node in scored]
            if config.lookahead:
                judged = _roll(expander, scored, config, grade_style, costs)
            scores, tokens = _score(verifier, [questions[t.problem] for t, _ in scored], judged)
            weights = np.array([len(n.steps) for n in judged], dtype=float)
            for (tree, node), look, s, w in zip(scored, judged, scores, weights):
                node.scores, node.rank_score = s[: len(node.steps)], float(s[-1])
                if config.method == "particle_filtering":  # ranked, weighted and picked by the aggregated score
                    node.rank_score = aggregate_scores(node.scores, config.pf_aggregate)
                node.verifier_truncated = max(node.verifier_truncated, look.verifier_truncated)
                share = tokens * w / weights.sum()  # the verifier's tokens, split in proportion to the steps scored
                costs[tree.problem].verifier += share
                costs[tree.problem].rounds[-1]["verifier"] += share
                costs[tree.problem].rounds[-1]["scored"] += 1
                if look is not node:
                    drop(expander, [look])
            for tree in live:
                advance(tree, children[id(tree)], config, expander, revive)
    finally:
        drop(expander, [n for t in trees for n in t.active + t.last + t.population if n.steps])
        expander.release(roots)
    out = [[] for _ in prompts]
    for tree in trees:
        out[tree.problem] += candidates(tree)
    return out, costs


def _roll(expander, scored, config: SearchConfig, grade_style: str, costs) -> list[Node]:
    """Each unfinished child rolled ``config.lookahead`` steps at temperature 0 (ended ones as they are)."""
    rolled = []
    for tree, node in scored:
        look = node
        for level in range(1, config.lookahead + 1):
            if look.ended:
                break
            (kids, prefill), = expander.expand([(look.handle, 1, tree.rng)], greedy=True)
            comp, handle, eos = kids[0]
            nxt = _child(look, comp, handle, config.max_step_tokens, grade_style, look.order)
            nxt.ended |= bool(eos)
            costs[tree.problem].eos_unknown += eos is None
            costs[tree.problem].sampled(look, comp.num_tokens)
            costs[tree.problem].children(look, [comp.num_tokens], level)
            costs[tree.problem].prefill += int(prefill)
            costs[tree.problem].prefilled(0, int(prefill))
            if look is not node:
                drop(expander, [look])
            look = nxt
        rolled.append(look)
    return rolled
