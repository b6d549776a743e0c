"""Step-level search guided by a verifier: beam search and diverse verifier tree search (DVTS).

Beam search (Snell et al., arXiv:2408.03314 Sec. 5; the HF blog "Scaling test-time compute with
open models"): sample N first steps; score each partial solution by the verifier's score of its
last step; keep the N/M best unfinished ones and sample M next steps from each (M = beam width);
solutions that end (an answer step, an end token, an empty step) are set aside; stop when N have
ended or after ``max_steps``. DVTS (HF blog): N/M independent subtrees, each a beam search of
N = M that keeps its single best partial solution and expands it M ways, so the N candidates
come from N/M different first steps. With one subtree DVTS is beam search.

Exactly N candidates come out per problem, as rows of a sample table (``ttslib.data`` schema with
``steps``, ``step_scores``, ``step_num_tokens``), so every selection rule of ``ttslib.selection``
applies to them unchanged:

- more than N ended: the N with the highest score (ties: the earlier ended first);
- fewer than N ended by ``max_steps``: the best unfinished partial solutions fill the rest, with
  ``status = "length: no answer within max_steps"`` (they count as wrong unless they hold an answer);
- a step that runs to ``max_step_tokens`` without the delimiter ends its solution with
  ``status = "length: step without delimiter"``.

``method="sampling"`` draws N independent whole solutions step by step (nothing is pruned; the
verifier only scores), the best-of-N pool that search is compared with, with the same steps,
scores and token accounting.

Lookahead (Snell et al. Sec. 5.2): each new partial solution is rolled ``lookahead`` more steps at
temperature 0 and ranked by the score of the rollout's last step; the rollout is then dropped.

Cost, per problem, on every one of its rows (take one per problem): ``search_generated_tokens``
(all tokens sampled in the tree, pruned branches and lookahead rollouts included),
``search_prefill_tokens`` (prompt tokens the backend decoded: with the embedded backend only the
part of the prompt not shared with earlier prompts, since partial solutions stay in its cache;
with a text backend every re-sent partial solution), ``search_verifier_tokens`` (what the verifier
read, split over problems in proportion to the steps it scored for each).

Bad input: ``n`` not a multiple of ``beam_width``, a verifier answer with NaN, a score outside
[0, 1] or the wrong count (``ttslib.verifiers.check_step_scores``) raise ``ValueError``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ttslib.generate.base import SamplingConfig
from ttslib.verifiers import check_step_scores

__all__ = ["SearchConfig", "beam_search", "dvts", "run_search", "LlamaExpander", "TextExpander"]

METHODS = ("beam_search", "dvts", "sampling")


@dataclass(frozen=True)
class SearchConfig:
    """One search setting. ``n`` candidates per problem, beam width ``beam_width`` (M)."""

    method: str = "beam_search"  # "beam_search", "dvts", or "sampling" (N independent solutions, step by step)
    n: int = 16  # N: candidates out, and partial solutions sampled per step
    beam_width: int = 4  # M: next steps sampled from each kept partial solution
    max_steps: int = 10  # steps per solution at most (search-and-learn uses 40 on MATH)
    max_step_tokens: int = 32  # tokens per step at most
    lookahead: int = 0  # extra greedy steps rolled before scoring (beam search only)
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

    def requests(self) -> list[tuple[Node, int]]:
        """(parent, k): sample k next steps from parent; k spreads ``width`` over the kept parents
        (sampling: one next step for each unfinished solution, ``width`` for the prompt)."""
        if self.keep == self.width and self.steps_done:
            return [(node, 1) for node in self.active]
        base, extra = divmod(self.width, len(self.active))
        return [(node, base + (i < extra)) for i, node in enumerate(self.active)]


def _is_final(step: str, grade_style: str) -> bool:
    from ttslib.grade import extract_answer

    return grade_style != "last_number" and extract_answer(step, style=grade_style) is not None


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


# -- expanders: how a backend samples next steps -------------------------------------------------
class LlamaExpander:
    """Next steps on the embedded backend (``LlamaCppBackend``): partial solutions stay in its KV
    cache, children share their parent's cells, and no token is decoded twice."""

    def __init__(self, backend, *, delimiter: str, max_step_tokens: int, temperature: float, top_p: float):
        self.backend, self.delimiter = backend, delimiter
        self.max_step_tokens, self.temperature, self.top_p = max_step_tokens, temperature, top_p

    def roots(self, prompts: list[str]) -> tuple[list, list[int], list[int]]:
        """Handles of the prompts, their token counts, and the prompt tokens decoded for each."""
        tokens = [self.backend.tokenize(p) for p in prompts]
        seqs = self.backend.prefill(tokens)
        return seqs, [len(t) for t in tokens], [s.prefilled for s in seqs]

    def expand(self, requests, *, greedy: bool = False, consume=None):
        """For each (handle, k, rng): k next steps as [(completion, child handle, ended by an end token)],
        and the prompt tokens decoded for it (0 here: only sampled tokens are decoded). Where
        ``consume[i]``, request i's parent is not needed after: its sequence becomes the last child."""
        children, rngs = [], []
        for i, (handle, k, rng) in enumerate(requests):
            own = bool(consume is not None and consume[i])
            kids = self.backend.fork(handle, k - own) + ([handle] if own else [])
            children.append(kids)
            rngs += [rng] * k
        flat = [s for kids in children for s in kids]
        comps = self.backend.extend(
            flat, rngs, max_tokens=self.max_step_tokens, stop=(self.delimiter,),
            temperature=0.0 if greedy else self.temperature, top_p=self.top_p,
        )
        out, i = [], 0
        for kids in children:
            out.append(([(c, s, bool(c.token_ids) and self.backend.is_eog(c.token_ids[-1])) for c, s in zip(comps[i : i + len(kids)], kids)], 0))
            i += len(kids)
        return out

    def release(self, handles) -> None:
        self.backend.release(list(handles))


class TextExpander:
    """Next steps through the text interface of any backend (vLLM, OpenAI-compatible servers): each
    partial solution is re-sent as text; the server's prefix cache (vLLM's) can spare the re-decoding."""

    def __init__(self, backend, *, delimiter: str, max_step_tokens: int, temperature: float, top_p: float):
        self.backend, self.delimiter = backend, delimiter
        self.max_step_tokens, self.temperature, self.top_p = max_step_tokens, temperature, top_p

    def roots(self, prompts: list[str]):
        return list(prompts), [0] * len(prompts), [0] * len(prompts)

    def expand(self, requests, *, greedy: bool = False, consume=None):
        out = [None] * len(requests)
        by_k: dict[int, list[int]] = {}
        for i, (_, k, _) in enumerate(requests):
            by_k.setdefault(k, []).append(i)
        for k, members in by_k.items():
            config = SamplingConfig(n=k, temperature=0.0 if greedy else self.temperature, top_p=self.top_p,
                                    max_tokens=self.max_step_tokens, stop=(self.delimiter,))
            seeds = [int(requests[i][2].integers(2**31 - 1)) for i in members]
            results = self.backend.generate([requests[i][0] for i in members], config, seeds)
            for i, result in zip(members, results):
                text = requests[i][0]
                kids = [(c, text + c.text + (self.delimiter if c.finish_reason == "stop" else ""), False) for c in result.completions]
                out[i] = (kids, result.num_prompt_tokens)
        return out

    def release(self, handles) -> None:
        pass


def _expander(backend, delimiter: str, config: SearchConfig):
    kind = LlamaExpander if all(hasattr(backend, a) for a in ("prefill", "fork", "extend", "release")) else TextExpander
    return kind(backend, delimiter=delimiter, max_step_tokens=config.max_step_tokens, temperature=config.temperature, top_p=config.top_p)


# -- the search loop ----------------------------------------------------------------------------
@dataclass
class _Cost:
    generated: int = 0
    prefill: int = 0
    verifier: float = 0.0
    prompt: int = 0  # the prompt's tokens (a text backend reports them with the first request)


def _score(verifier, questions: list[str], nodes: list[Node]) -> tuple[list[np.ndarray], int]:
    """The verifier's per-step scores of each node's partial solution (checked), and the tokens it read."""
    partials = [list(n.steps) for n in nodes]
    logprobs = [[list(lp) for lp in n.step_logprobs] for n in nodes]
    result = verifier.score(questions, partials, step_logprobs=logprobs)
    result = check_step_scores(result, partials, getattr(verifier, "name", type(verifier).__name__))
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
        Tree(p, config.beam_width, 1, np.random.default_rng(seeds[p] if t == 0 else [seeds[p], t]))
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
                if used and isinstance(expander, LlamaExpander):
                    parent.handle = None  # its sequence lives on as its last child
            children: dict[int, list[Node]] = {id(t): [] for t in live}
            for (tree, parent, _), (kids, prefill) in zip(requests, expanded):
                costs[tree.problem].prefill += int(prefill)
                if not parent.steps and not costs[tree.problem].prompt:
                    costs[tree.problem].prompt = int(prefill)  # a text backend: the prompt as the server counted it
                for comp, handle, eos in kids:
                    node = _child(parent, comp, handle, config.max_step_tokens, grade_style, order)
                    node.ended |= eos
                    order += 1
                    costs[tree.problem].generated += comp.num_tokens
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
            nxt.ended |= eos
            costs[tree.problem].generated += comp.num_tokens
            costs[tree.problem].prefill += int(prefill)
            if look is not node:
                _drop(expander, [look])
            look = nxt
        rolled.append(look)
    return rolled


def _advance(tree: Tree, children: list[Node], config: SearchConfig, expander) -> None:
    """Set aside the ended children, keep the best unfinished ones, and decide whether the tree is done."""
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


def _candidates(tree: Tree) -> list[Node]:
    """Exactly ``tree.width`` candidates: the best ended ones, then the best unfinished ones."""
    ended = sorted(tree.ended, key=lambda c: (-c.rank_score, c.order))[: tree.width]
    fill = tree.last[: tree.width - len(ended)]
    for node in fill:
        node.status = "length: no answer within max_steps"
    if len(ended) + len(fill) != tree.width:  # cannot happen: every step samples `width` children
        raise RuntimeError(f"search produced {len(ended) + len(fill)} candidates, not {tree.width}")
    return ended + fill


# -- sample tables and runs ---------------------------------------------------------------------
def _table(batch: pd.DataFrame, candidates, costs, prompt_tokens, config: SearchConfig, verifier_name: str, grade_style: str) -> pd.DataFrame:
    from ttslib.data import validate_samples
    from ttslib.grade import grade_many

    records = []
    for (_, problem), nodes, cost, p_tokens in zip(batch.iterrows(), candidates, costs, prompt_tokens):
        for idx, node in enumerate(nodes):
            lps = [x for step in node.step_logprobs for x in step]
            records.append({
                "problem_id": problem["problem_id"], "sample_idx": idx, "completion": "\n".join(node.steps),
                "num_prompt_tokens": int(p_tokens), "num_completion_tokens": int(sum(node.step_tokens)),
                "steps": list(node.steps), "step_scores": [float(x) for x in node.scores],
                "step_num_tokens": [int(x) for x in node.step_tokens], "score": node.rank_score,
                "logprob": float(np.sum(lps)), "token_logprobs": lps, "status": node.status,
                "finish_reason": "stop" if node.status == "ok" else "length", "reference": problem["reference"],
                "method": config.method, "n": config.n, "beam_width": config.beam_width, "lookahead": config.lookahead,
                "verifier": verifier_name, "search_generated_tokens": cost.generated,
                "search_prefill_tokens": cost.prefill, "search_verifier_tokens": float(cost.verifier),
            })
    df = pd.DataFrame.from_records(records)
    grades = grade_many(df["completion"].tolist(), df["reference"].astype(str).tolist(), style=grade_style)
    df["answer"] = [g.answer for g in grades]
    df["is_correct"] = [g.is_correct for g in grades]
    ok = df["status"] == "ok"
    df["status"] = np.where(ok, [g.status for g in grades], df["status"])
    if "level" in batch.columns:
        df["level"] = df["problem_id"].map(dict(zip(batch["problem_id"], batch["level"])))
    return validate_samples(df.drop(columns="reference"))


def run_search(problems: pd.DataFrame, backend, verifier, config: SearchConfig, *, template: str, delimiter: str = "\n",
               grade_style: str = "auto", out_dir=None, problems_per_shard: int | None = None, progress: bool = True) -> pd.DataFrame:
    """Beam search or DVTS (``config.method``) on every problem; a graded sample table of exactly
    ``config.n`` candidates per problem (module docstring for its columns and cost).

    Parameters
    ----------
    problems : a problem set (``ttslib.problems``)
    backend : the embedded backend (partial solutions stay in its cache) or any text backend
    verifier : a ``ttslib.verifiers`` verifier (``score(questions, partials, step_logprobs=...)``)
    template, delimiter : the prompt with ``{question}`` and the string that ends a step
    out_dir, problems_per_shard : resumable shards as in ``ttslib.generate.generate_samples``;
        the default shard holds as many problems as keep about 40 partial solutions alive
    """
    from ttslib.generate.run import problems_digest, render_prompt, run_sharded
    from ttslib.generate.base import problem_seed
    from ttslib.problems import validate_problems

    if not delimiter:
        raise ValueError("delimiter (the string that ends a step) must not be empty")
    problems = validate_problems(problems)
    per_shard = problems_per_shard or max(1, 40 // config.n)  # ~40 live sequences: the engine's best batch here
    name = getattr(verifier, "name", type(verifier).__name__)
    expander = _expander(backend, delimiter, config)
    manifest = {
        "backend": backend.name, "model": getattr(backend, "model_name", None), "template": template, "delimiter": delimiter,
        "grade_style": grade_style, "verifier": name, "search": dict(config.__dict__),
        "num_problems": int(len(problems)), "problems_sha256": problems_digest(problems), "problems_per_shard": int(per_shard),
    }

    def make_rows(batch: pd.DataFrame) -> pd.DataFrame:
        if hasattr(backend, "reset_cache"):  # a shard's candidates depend on the shard alone
            backend.reset_cache()
        prompts = [render_prompt(template, q) for q in batch["question"]]
        seeds = [problem_seed(config.seed, pid) for pid in batch["problem_id"]]
        candidates, costs = search_problems(list(batch["question"]), prompts, expander, verifier, config, grade_style=grade_style, seeds=seeds)
        return _table(batch, candidates, costs, [c.prompt for c in costs], config, name, grade_style)

    return run_sharded(problems, make_rows, out_dir=out_dir, manifest=manifest if out_dir is not None else None,
                       problems_per_shard=per_shard, rows_per_problem=config.n, progress=progress)


def beam_search(problems, backend, verifier, *, n: int = 16, beam_width: int = 4, lookahead: int = 0, **kwargs) -> pd.DataFrame:
    """Beam search (module docstring): :func:`run_search` with ``method="beam_search"``.
    Keyword arguments go to :class:`SearchConfig` or :func:`run_search`."""
    return _run("beam_search", problems, backend, verifier, n=n, beam_width=beam_width, lookahead=lookahead, **kwargs)


def dvts(problems, backend, verifier, *, n: int = 16, beam_width: int = 4, **kwargs) -> pd.DataFrame:
    """Diverse verifier tree search (module docstring): :func:`run_search` with ``method="dvts"``."""
    return _run("dvts", problems, backend, verifier, n=n, beam_width=beam_width, **kwargs)


def _run(method, problems, backend, verifier, **kwargs):
    fields = set(SearchConfig.__dataclass_fields__)
    config = SearchConfig(method=method, **{k: v for k, v in kwargs.items() if k in fields})
    return run_search(problems, backend, verifier, config, **{k: v for k, v in kwargs.items() if k not in fields})


def rescore(samples: pd.DataFrame, questions, verifier, *, column: str | None = None) -> pd.DataFrame:
    """Add another verifier's per-step scores to a table with ``steps`` (a search run or a pool):
    column ``step_scores_<verifier name>`` (or ``column``). ``questions`` maps problem_id -> question.
    The per-step token log-probabilities given to the verifier come from ``token_logprobs`` split by
    ``step_num_tokens``. Returns a copy; the verifier's tokens read go to ``verifier_tokens_<name>`` (per row,
    split in proportion to the steps scored)."""
    for need in ("steps", "step_num_tokens", "token_logprobs"):
        if need not in samples.columns:
            raise ValueError(f"rescore needs column {need!r}; the table has {list(samples.columns)}")
    questions = dict(questions)
    missing = sorted(set(samples["problem_id"]) - set(questions))
    if missing:
        raise ValueError(f"questions: no question for problem(s) {missing[:3]}")
    name = getattr(verifier, "name", type(verifier).__name__)
    column = column or f"step_scores_{name}"
    partials = [list(s) for s in samples["steps"]]
    logprobs = []
    for lps, sizes in zip(samples["token_logprobs"], samples["step_num_tokens"]):
        cuts = np.cumsum(sizes)[:-1]
        logprobs.append([list(x) for x in np.split(np.asarray(lps, dtype=float), cuts)])
    asked = [questions[p] for p in samples["problem_id"]]
    result = check_step_scores(verifier.score(asked, partials, step_logprobs=logprobs), partials, name)
    out = samples.copy()
    out[column] = [[float(x) for x in s] for s in result.scores]
    weights = np.array([len(p) for p in partials], dtype=float)
    out[f"verifier_tokens_{name}"] = result.num_tokens * weights / max(weights.sum(), 1.0)
    return out
