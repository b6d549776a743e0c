"""Step-level search guided by a verifier: beam search, diverse verifier tree search (DVTS), particle
filtering (with particle Gibbs) and REBASE.

Beam search (Snell et al., arXiv:2408.03314 Sec. 5; the HF blog "Scaling test-time compute with
open models"): sample N first steps; score each partial solution by the verifier's score of its
last step; keep the N/M best unfinished ones and sample M next steps from each (M = beam width);
solutions that end (an answer step, an end token, an empty step) are set aside; stop when N have
ended or after ``max_steps``. DVTS (HF blog): N/M independent subtrees, each a beam search of
N = M that keeps its single best partial solution and expands it M ways, so the N candidates
come from N/M different first steps. With one subtree DVTS is beam search. Two variants
(``SearchConfig.dvts_variant``, recorded in each row's ``dvts_variant``): "kit" (the default) sets a
subtree's ended children aside and continues from its best unfinished child until M have ended;
"sal" is search-and-learn's (``sal/search/diverse_verifier_tree_search.py``): the subtree follows its
best child, ended or not, stops when that child has ended, and returns its last expansion (the M
children of its last step, unfinished siblings included). Numbers compare only like for like.

Particle filtering (Puri et al., arXiv:2502.01618, as its_hub's ``particle_gibbs``; the maths in
``ttslib.particles``): N particles; each step extends every unfinished particle by one step, weighs each
particle by ``logit(agg(step scores))`` (``pf_aggregate``: prod, min or last) and draws N anew,
multinomially with replacement, from ``softmax(w / pf_temperature)``, the last step included; it ends when
every particle has ended (or at ``max_steps``), and the N particles of the last draw are the candidates
(a particle drawn twice is two rows with the same steps: the population; best-of-N on ``score``, the
aggregated score, is its_hub's pick). ``pf_resample="all"`` keeps ended particles in the draw with their
final weight (its_hub); ``"active"`` sets them aside. Particle Gibbs (``pf_iterations`` I > 1): I
iterations of N / I particles, each after the first keeping one reference particle drawn from the last
iteration's by weight; the reference competes in every draw with the weight of its first t steps, and a
draw of it continues from there (its steps re-read from text on the embedded backend, counted in
``search_prefill_tokens``); every iteration's particles are candidates (``pf_iteration``), N in all.
Resampled copies of a particle share its cached prefix on the embedded backend.

REBASE (Wu et al., arXiv:2408.00724, ``rebase.py`` of ``thu-wyz/inference_scaling``): a width of N; each
ended node takes one unit of it for good; the unfinished nodes of a depth, best reward (last step's score)
first, share the rest, node j taking ``ceil(W_j * exp(R_j / T) / sum_{k>=j} exp(R_k / T))`` children
(``rebase_temperature`` T, 0.2 in its config); a node given none is pruned. It ends when every unit is
taken or at ``max_steps``; the ended nodes (and at ``max_steps`` the unfinished ones) are the N candidates,
for weighted majority or best-of-N.

Exactly N candidates come out per problem, as rows of a sample table (``ttslib.data`` schema with
``steps``, ``step_scores``, ``step_num_tokens``), so every selection rule of ``ttslib.selection``
applies to them unchanged:

- more than N ended: the N with the highest score (ties: the earlier ended first);
- fewer than N ended by ``max_steps``: the best unfinished partial solutions fill the rest, with
  ``status = "length: no answer within max_steps"`` (they count as wrong unless they hold an answer);
- a step that runs to ``max_step_tokens`` without the delimiter ends its solution with
  ``status = "length: step without delimiter"``;
- a solution ends at the model's end token, an empty step, or a final-answer line of the grade style
  (``ttslib.grade.final_answer_line``: "Answer: 7", "The answer is 7.", ``\\boxed{7}``, not "check that the
  answer is positive"). Through a text backend the end token is seen only where the server says which
  stop it hit (``Completion.eos``); steps it did not say are counted in ``search_eos_unknown``.

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
read, split over problems in proportion to the steps it scored for each), ``search_context_sum`` (the
sum over generated tokens of the position each sat at, prompt included: the attention term of their
FLOPs, ``ttslib.flops.tree_flops``; re-read tokens included), and for particle filtering
``search_reread_tokens`` (the steps of a particle Gibbs reference decoded again, on the embedded backend, to
continue it part of the way; a text backend re-sends them, in ``search_prefill_tokens``). ``verifier_truncated``: how many of a candidate's first steps a
PRM had to leave out of the context of some step (its ``max_length``; 0: it saw everything).

Latency, per problem: ``search_rounds`` (JSON), one entry a step of the search, in order: what was prefilled,
which children were decoded together after which context, and what the verifier read. The steps wait on
each other (a step's children are scored before the next step is sampled), so a search's time on a machine is
the sum of its steps' batch times, not its tokens over the machine's throughput (``ttslib.cost.search_seconds``).

Bad input: ``n`` not a multiple of ``beam_width``, a verifier answer with NaN, a score outside
[0, 1] or the wrong count (``ttslib.verifiers.check_step_scores``) raise ``ValueError``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ttslib.search.expand import Expander, LlamaExpander, TextExpander, make_expander
from ttslib.search.loop import METHODS, WIDTH_FREE, SearchConfig, search_problems
from ttslib.verifiers import check_step_scores

__all__ = ["SearchConfig", "SearchPreset", "SEARCH_PRESETS", "METHODS", "SHARD_TOKENS", "beam_search", "default_problems_per_shard", "dvts", "run_search", "rescore", "search_problems",
           "Expander", "LlamaExpander", "TextExpander", "make_expander"]


def _table(batch: pd.DataFrame, candidates, costs, prompt_tokens, config: SearchConfig, verifier_name: str, grade_style: str,
           delimiter: str = "\n") -> pd.DataFrame:
    from ttslib.data import validate_samples
    from ttslib.grade import grade_table

    records = []
    if config.method in WIDTH_FREE:  # their own settings, one column each
        own = {k: v for k, v in config.settings().items() if k.startswith(("pf_", "rebase_"))}
    else:
        own = {"beam_width": config.beam_width, "lookahead": config.lookahead,
               "dvts_variant": config.dvts_variant if config.method == "dvts" else None}
    for (_, problem), nodes, cost, p_tokens in zip(batch.iterrows(), candidates, costs, prompt_tokens):
        per_iteration = len(nodes) // config.pf_iterations
        rounds = json.dumps(cost.rounds, separators=(",", ":"))
        for idx, node in enumerate(nodes):
            if config.method == "particle_filtering":
                own["pf_iteration"] = idx // per_iteration  # particle Gibbs: which iteration the particle ended in
            lps = [x for step in node.step_logprobs for x in step]
            records.append({
                "problem_id": problem["problem_id"], "sample_idx": idx, "completion": delimiter.join(node.steps),
                "num_prompt_tokens": int(p_tokens), "num_completion_tokens": int(sum(node.step_tokens)),
                "steps": list(node.steps), "step_scores": [float(x) for x in node.scores],
                "step_num_tokens": [int(x) for x in node.step_tokens], "score": node.rank_score,
                "logprob": float(np.sum(lps)), "token_logprobs": lps, "status": node.status,
                "finish_reason": "stop" if node.status == "ok" else "length", "reference": problem["reference"],
                "method": config.method, "n": config.n, **own,
                "verifier": verifier_name, "search_generated_tokens": cost.generated,
                "search_prefill_tokens": cost.prefill, "search_verifier_tokens": float(cost.verifier),
                "search_context_sum": cost.context, "search_eos_unknown": cost.eos_unknown,
                **({"search_reread_tokens": cost.reread} if config.method == "particle_filtering" else {}),
                "search_rounds": rounds,
                "verifier_truncated": int(node.verifier_truncated),
            })
    df = pd.DataFrame.from_records(records)
    df = grade_table(df, df["reference"].astype(str), style=grade_style)
    if "level" in batch.columns:
        df["level"] = df["problem_id"].map(dict(zip(batch["problem_id"], batch["level"])))
    return validate_samples(df.drop(columns="reference"))


@dataclass(frozen=True)
class SearchPreset:
    """The step settings that suit one family of problems (``ttslib search --problems`` picks one; every
    field can be overridden, and the run's manifest records the preset and the values used)."""

    prompt: str  # a ttslib.generate.PROMPTS template with a step delimiter
    max_steps: int
    max_step_tokens: int
    note: str


SEARCH_PRESETS = {
    "chains": SearchPreset("chain_fewshot", 10, 32, "the kit's chains: one operation per line, a few tokens each"),
    "arith": SearchPreset("chain_fewshot", 10, 32, "one-line sums, with the chains' prompt"),
    # search-and-learn (src/sal/config.py, search/beam_search.py): steps end at "\n\n", at most 40
    # iterations, each step generated with max_tokens = 2048
    "math500": SearchPreset("math_boxed", 40, 2048, "MATH-style, as search-and-learn: blank-line steps, 40 iterations, 2048 tokens a step"),
    "gsm8k": SearchPreset("math_boxed", 40, 2048, "as MATH: blank-line steps, boxed answer"),
    "file": SearchPreset("math_boxed", 40, 2048, "a local problem file: the MATH-style preset"),
}


SHARD_TOKENS = 8192  # the most tokens a default shard may sample: about 1-2 minutes of the embedded model here


def default_problems_per_shard(config: SearchConfig) -> int:
    """Problems per shard such that a shard samples at most :data:`SHARD_TOKENS` tokens even if every one of
    its ``n`` solutions ran ``max_steps`` full steps (each with ``lookahead`` rollouts): at most a minute or
    two on this project's 2-core machine (about 100 tokens/s batched), so a killed run loses no more. Real
    searches end most solutions early and take a fraction of that. At least 1 (a problem is not split).
    (Before this rule the default was ``40 // n``, the shard size of the runs in data/chains/.)"""
    bound = config.n * config.max_steps * config.max_step_tokens * (1 + config.lookahead)
    return max(1, SHARD_TOKENS // bound)


def run_search(problems: pd.DataFrame, backend, verifier, config: SearchConfig, *, template: str, delimiter: str = "\n",
               grade_style: str = "auto", out_dir=None, problems_per_shard: int | None = None, progress: bool = True,
               preset: str | None = None) -> pd.DataFrame:
    """Beam search or DVTS (``config.method``) on every problem; a graded sample table of exactly
    ``config.n`` candidates per problem (module docstring for its columns and cost).

    Parameters
    ----------
    problems : a problem set (``ttslib.problems``)
    backend : any :class:`ttslib.generate.base.Backend`; one that declares ``Tokenizer``, ``PrefixCache``,
        ``Forkable`` and ``BatchedExtend`` (the embedded one) keeps partial solutions in its cache
    verifier : a :class:`ttslib.verifiers.Verifier` (``name``, ``model``, ``score(questions, partials, step_logprobs=...)``)
    template, delimiter : the prompt with ``{question}`` and the string that ends a step
    out_dir, problems_per_shard : resumable shards as in ``ttslib.generate.generate_samples``;
        the default (:func:`default_problems_per_shard`) bounds a shard's work by time: what a kill loses
    preset : the :data:`SEARCH_PRESETS` name the settings came from, recorded in the manifest
    """
    from ttslib.generate.run import problems_digest, run_sharded
    from ttslib.generate.base import ShardPool, backend_model_name, backend_settings, supports
    from ttslib.problems import validate_problems

    if not delimiter:
        raise ValueError("delimiter (the string that ends a step) must not be empty")
    problems = validate_problems(problems)
    per_shard = problems_per_shard or default_problems_per_shard(config)
    name = verifier.name
    expander = None if supports(backend, ShardPool) else make_expander(backend, delimiter, config)
    manifest = {
        "backend": backend.name, "model": backend_model_name(backend), "backend_settings": backend_settings(backend),
        "template": template, "delimiter": delimiter, "grade_style": grade_style,
        "verifier": name, "verifier_settings": backend_settings(verifier), "search": config.settings(),
        "num_problems": int(len(problems)), "problems_sha256": problems_digest(problems), "problems_per_shard": int(per_shard),
        **({"search_preset": preset} if preset is not None else {}),
    }

    job = SearchJob(config, template, delimiter, grade_style)
    if supports(backend, ShardPool):  # a pool of workers, each with its own backend and verifier (ttslib.search.ray_actors)
        return run_sharded(problems, None, out_dir=out_dir, manifest=manifest if out_dir is not None else None,
                           problems_per_shard=per_shard, rows_per_problem=config.n, progress=progress, backend=backend,
                           map_shards=lambda shards: backend.map_shards(shards, job))
    return run_sharded(problems, lambda batch: job.rows(batch, backend, expander, verifier), out_dir=out_dir,
                       manifest=manifest if out_dir is not None else None, problems_per_shard=per_shard,
                       rows_per_problem=config.n, progress=progress, backend=backend)


@dataclass(frozen=True)
class SearchJob:
    """What a shard of a search needs beside its backend and verifier: picklable, so a worker elsewhere
    (``ttslib.search.ray_actors``) makes the same rows from the same problems."""

    config: SearchConfig
    template: str
    delimiter: str
    grade_style: str

    def rows(self, batch: pd.DataFrame, backend, expander, verifier) -> pd.DataFrame:
        """The candidates of ``batch``'s problems as table rows; they depend on the problems alone (each one's seed
        from the run seed and its id), not on what the backend ran before."""
        from ttslib.generate.base import problem_seed, reset_backend
        from ttslib.generate.run import render_prompt

        reset_backend(backend)  # a shard's candidates depend on the shard alone, not on what ran (or failed) before
        prompts = [render_prompt(self.template, q) for q in batch["question"]]
        seeds = [problem_seed(self.config.seed, pid) for pid in batch["problem_id"]]
        candidates, costs = search_problems(list(batch["question"]), prompts, expander, verifier, self.config,
                                            grade_style=self.grade_style, seeds=seeds)
        return _table(batch, candidates, costs, [c.prompt for c in costs], self.config, verifier.name, self.grade_style,
                      self.delimiter)


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
    name = verifier.name
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
