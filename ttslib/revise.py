"""Sequential revisions on any backend: chains of R attempts per problem, each attempt seeing the last few
before it (Snell et al. 2024, arXiv:2408.03314, Sec. 6), blind or with feedback.

Round 1 of a chain is a fresh attempt at the problem. Round r > 1 is prompted with the problem, the chain's
last ``keep`` attempts (4 by default, as Snell et al.) and, with feedback, what a checker says of each of
them, and writes attempt r. Prompts are text, so every backend runs them: a text server is sent each
prompt whole (vLLM's prefix cache spares the repeated part), and the embedded backend decodes only what its
cache does not already hold of a prompt.

Feedback (``RevisionConfig.feedback``):

* ``"none"``: blind revisions, no signal of correctness (Snell et al.);
* ``"checker"``: for the chain problems, the exact step checker's verdict on each shown attempt
  (``ttslib.verifiers.chain_step_verdicts``): "line j is wrong" for its first wrong line, or "every line is
  right". Asked of a problem set the checker cannot read, it is refused before anything is generated.
* ``"tests"``: for code (HumanEval), self-repair (Olausson et al. 2023, arXiv:2306.09896): the sandbox runs
  each attempt on the problem's docstring examples and the next round is shown the first failing example,
  what it should return and what the program returned or raised (``ttslib.codegrade.repair_feedback``).
  The hidden tests that judge an attempt are never shown. With ``stop_when_passing``, a chain whose attempt
  passes every example stops there: its later rounds carry that program at no cost (``carried``).

The chain table is a sample table (``ttslib.data``) with one row per attempt: ``chain_idx``, ``round``
(1..R), ``sample_idx = chain_idx * R + round - 1``, the round's own ``num_prompt_tokens`` (which grow with
the attempts shown), ``num_completion_tokens``, the answer and ``is_correct`` of that attempt, and the
``feedback`` the next round is shown. Runs are sharded, resumable and manifest-checked like every run
(``ttslib.generate.run.run_sharded``); each (problem, chain, round) has its own seed, so a resumed run
equals an uninterrupted one. :mod:`ttslib.sequential` evaluates every split of a budget into parallel chains
and rounds from such a table.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from ttslib.checks import whole_number
from ttslib.generate.base import SamplingConfig, backend_model_name, problem_seed
from ttslib.generate.run import run_manifest, run_sharded

__all__ = ["RevisionConfig", "FEEDBACK", "REVISION_STYLES", "revision_prompt", "chain_feedback", "revise", "chain_arrays"]

FEEDBACK = ("none", "checker", "tests")


@dataclass(frozen=True)
class RevisionConfig:
    """``chains`` independent chains of ``rounds`` attempts per problem; a revision sees the last ``keep``
    attempts and, with ``feedback="checker"``, the checker's verdict on each."""

    rounds: int = 4
    chains: int = 8
    keep: int = 4
    feedback: str = "none"
    max_tokens: int = 96
    temperature: float = 0.8
    top_p: float = 1.0
    seed: int = 0
    stop_when_passing: bool = False

    def __post_init__(self):
        for name in ("rounds", "chains", "keep", "max_tokens"):
            whole_number(getattr(self, name), name, minimum=1)
        if self.feedback not in FEEDBACK:
            raise ValueError(f"feedback must be one of {FEEDBACK}; got {self.feedback!r}")
        if self.stop_when_passing and self.feedback == "none":
            raise ValueError("stop_when_passing needs feedback: a blind chain has no signal that an attempt passes")
        SamplingConfig(temperature=self.temperature, top_p=self.top_p)  # checks them


@dataclass(frozen=True)
class RevisionStyle:
    """A problem set's revision prompt: few-shot examples of revised attempts, blind and with feedback.

    ``feedback`` names the one feedback this set has ("checker" or "tests"). For code (``code=True``) an
    attempt is shown as the whole function (the problem's signature and docstring, then the body written)
    followed by ``# Feedback: ...``; round 1's prompt is ``first`` + the question, the prompt of the kit's
    ordinary samples of that set, so round 1 is a sample of the same pool."""

    blind: str
    with_feedback: str
    stop: tuple[str, ...]
    grade_style: str
    feedback: str  # the feedback this set's attempts can get besides "none"
    code: bool = False
    first: str = ""  # code: the prompt before the question in round 1


_CHAIN_BLIND = (
    "Q: 5 + 3 - 2\nAttempt 1:\n5 + 3 = 9\n9 - 2 = 7\nAnswer: 7\nAttempt 2:\n5 + 3 = 8\n8 - 2 = 6\nAnswer: 6\n\n"
    "Q: 4 + 2\nAttempt 1:\n4 + 2 = 6\nAnswer: 6\nAttempt 2:\n4 + 2 = 6\nAnswer: 6\n\n"
    "Q: 9 - 4 + 3\nAttempt 1:\n9 - 4 = 5\n5 + 3 = 8\nAnswer: 8\nAttempt 2:\n9 - 4 = 5\n5 + 3 = 8\nAnswer: 8\n\n"
)
_CHAIN_FEEDBACK = (
    "Q: 5 + 3 - 2\nAttempt 1:\n5 + 3 = 9\n9 - 2 = 7\nAnswer: 7\nFeedback: line 1 is wrong.\n"
    "Attempt 2:\n5 + 3 = 8\n8 - 2 = 6\nAnswer: 6\nFeedback: every line is right.\n\n"
    "Q: 4 + 2\nAttempt 1:\n4 + 2 = 6\nAnswer: 6\nFeedback: every line is right.\n\n"
    "Q: 9 - 4 + 3\nAttempt 1:\n9 - 4 = 5\n5 + 3 = 7\nAnswer: 7\nFeedback: line 2 is wrong.\n"
    "Attempt 2:\n9 - 4 = 5\n5 + 3 = 8\nAnswer: 8\nFeedback: every line is right.\n\n"
)
_CODE_BROKEN = ('def add_one(xs):\n    """Add one to every number in xs.\n    >>> add_one([1, 2])\n    [2, 3]\n    """\n'
                "    return [x - 1 for x in xs]\n")
_CODE_FIXED = _CODE_BROKEN.replace("x - 1", "x + 1")
_CODE_BLIND = _CODE_BROKEN + _CODE_FIXED + "\n\n"
_CODE_FEEDBACK = (_CODE_BROKEN + "# Feedback: add_one([1, 2]) should return [2, 3]; got [0, 1].\n"
                  + _CODE_FIXED + "# Feedback: every example passes.\n\n\n")


def _code_styles():
    from ttslib.generate.prompts import CODE_FEWSHOT, PROMPTS

    stop = PROMPTS["humaneval_fewshot"].stop
    return RevisionStyle(CODE_FEWSHOT + _CODE_BLIND, CODE_FEWSHOT + _CODE_FEEDBACK, stop=stop, grade_style="code",
                         feedback="tests", code=True, first=CODE_FEWSHOT)


REVISION_STYLES = {
    "chains": RevisionStyle(_CHAIN_BLIND, _CHAIN_FEEDBACK, stop=("\n\n", "\nQ:", "\nAttempt", "\nFeedback"),
                            grade_style="answer_is", feedback="checker"),
    "humaneval": _code_styles(),
}


def chain_feedback(question: str, attempt: str) -> str:
    """The step checker's verdict on one chain attempt: "line j is wrong." for its first wrong line, else
    "every line is right." (``ttslib.verifiers.chain_step_verdicts``; lines are the attempt's non-empty lines)."""
    from ttslib.verifiers import chain_step_verdicts

    lines = [ln for ln in attempt.strip().split("\n") if ln.strip()]
    verdicts = chain_step_verdicts(question, lines)
    if lines and verdicts.all():
        return "every line is right."
    wrong = int(np.argmin(verdicts)) + 1 if lines else 1
    return f"line {wrong} is wrong."


def revision_prompt(style: RevisionStyle, question: str, attempts, feedback=None, *, keep: int = 4) -> str:
    """The prompt of the next attempt: the few-shot examples, the question, the last ``keep`` attempts (each
    labelled with its round; with its feedback where given) and the label of the attempt to write."""
    attempts = list(attempts)
    shown = range(max(0, len(attempts) - keep), len(attempts))
    if style.code:
        if not attempts:
            return style.first + question
        parts = [style.with_feedback if feedback is not None else style.blind]
        for i in shown:
            parts.append(question + attempts[i].rstrip() + "\n")
            if feedback is not None:
                parts.append(f"# Feedback: {feedback[i]}\n")
        return "".join(parts) + question
    parts = [(style.with_feedback if feedback is not None else style.blind), f"Q: {question}\n"]
    for i in shown:
        parts.append(f"Attempt {i + 1}:\n{attempts[i].strip()}\n")
        if feedback is not None:
            parts.append(f"Feedback: {feedback[i]}\n")
    parts.append(f"Attempt {len(attempts) + 1}:\n")
    return "".join(parts)


def _style(problem_set: str, config: RevisionConfig) -> RevisionStyle:
    if problem_set not in REVISION_STYLES:
        raise ValueError(f"no revision prompt for problem set {problem_set!r}; there are {sorted(REVISION_STYLES)}")
    style = REVISION_STYLES[problem_set]
    if config.feedback != "none" and config.feedback != style.feedback:
        raise ValueError(f"feedback={config.feedback!r} has nothing to read {problem_set!r} attempts with; this set "
                         f"takes feedback='none' or {style.feedback!r}")
    return style


_PASSING = ("every line is right.", "every example passes.")


def _grade_round(style: RevisionStyle, records: pd.DataFrame, batch: pd.DataFrame, feedback: bool) -> pd.DataFrame:
    """One round's attempts graded, with the ``feedback`` the next round is shown (None when blind)."""
    from ttslib.grade import grade_table

    if style.code:
        from ttslib.codegrade import grade_code_table

        graded = grade_code_table(records, batch, feedback=True).rename(columns={"repair": "feedback"})
        if not feedback:
            graded["feedback"] = None
        return graded
    graded = grade_table(records, style=style.grade_style, missing="mark")
    graded["feedback"] = [chain_feedback(q, t) if feedback else None
                          for q, t in zip(records["problem_id"].map(dict(zip(batch["problem_id"].astype(str), batch["question"]))),
                                          records["completion"])]
    return graded


def _first_attempts(first: pd.DataFrame, problems: pd.DataFrame, C: int) -> dict:
    """Round 1 taken from a sample table: each problem's C samples of smallest ``sample_idx``, by (problem, chain)."""
    need = ["problem_id", "sample_idx", "completion", "num_prompt_tokens", "num_completion_tokens", "status"]
    missing = [c for c in need if c not in first.columns]
    if missing:
        raise ValueError(f"first: the sample table of round 1 needs column(s) {missing}")
    df = first.assign(problem_id=first["problem_id"].astype(str)).sort_values(["problem_id", "sample_idx"], kind="stable")
    head = df.groupby("problem_id", sort=False).head(C)
    have = head.groupby("problem_id").size()
    short = [p for p in problems["problem_id"].astype(str) if have.get(p, 0) < C]
    if short:
        raise ValueError(f"first: {len(short)} problem(s) have fewer than {C} samples to start chains from, e.g. {short[:3]}")
    head = head.assign(chain_idx=head.groupby("problem_id").cumcount())
    return {(p, int(c)): row for (p, c), row in zip(zip(head["problem_id"], head["chain_idx"]), head.to_dict("records"))}


def revise(backend, problems: pd.DataFrame, config: RevisionConfig, *, problem_set: str = "chains", out_dir=None,
           problems_per_shard: int = 10, progress: bool = True, first: pd.DataFrame | None = None) -> pd.DataFrame:
    """Chains of revisions for every problem: the chain table (module docstring), written in resumable shards
    under ``out_dir`` if given.

    ``first``: a sample table of the same problems and prompt (``ttslib generate``): round 1 of chain c is then
    the problem's sample of c-th smallest ``sample_idx`` (its tokens, seed and text as drawn), not generated
    again, so the chains revise the very samples a pool of resampling holds (Olausson et al.'s design: repair
    the initial samples). Its rows are graded again here; the manifest records a digest of them."""
    import hashlib

    from ttslib.data import validate_samples

    style = _style(problem_set, config)
    given = None if first is None else _first_attempts(first, problems, config.chains)
    sampling = SamplingConfig(n=1, temperature=config.temperature, top_p=config.top_p, max_tokens=config.max_tokens,
                              stop=style.stop, seed=config.seed)
    C, R = config.chains, config.rounds

    feedback = config.feedback != "none"

    def make_rows(batch: pd.DataFrame) -> pd.DataFrame:
        questions = batch["question"].tolist()
        ids = batch["problem_id"].astype(str).tolist()
        attempts = [[[] for _ in range(C)] for _ in ids]
        notes = [[[] for _ in range(C)] for _ in ids]
        passed = np.zeros((len(ids), C), dtype=bool)  # stop_when_passing: the chain's attempt passed its feedback
        rounds = []
        for r in range(1, R + 1):
            prompts, seeds, where, carried = [], [], [], []
            records = []
            if r == 1 and given is not None:
                for q, pid in enumerate(ids):
                    for c in range(C):
                        row = given[(pid, c)]
                        lp = np.asarray(row.get("token_logprobs") if row.get("token_logprobs") is not None else [], dtype=float)
                        records.append({"problem_id": pid, "sample_idx": c * R, "chain_idx": c, "round": 1,
                                        "completion": row["completion"], "num_prompt_tokens": row["num_prompt_tokens"],
                                        "num_completion_tokens": row["num_completion_tokens"],
                                        "logprob": float(row.get("logprob", lp.sum())), "token_logprobs": lp.tolist(),
                                        "finish_reason": row.get("finish_reason", "stop"), "status": row["status"],
                                        "reference": batch["reference"].iloc[q], "seed": row.get("seed", -1), "carried": False})
                        where.append((q, c))
            for q, (pid, question) in enumerate(zip(ids, questions)):
                for c in range(C):
                    if r == 1 and given is not None:
                        continue
                    if passed[q, c]:
                        carried.append((q, c))
                        continue
                    prompts.append(revision_prompt(style, question, attempts[q][c], notes[q][c] if feedback else None,
                                                   keep=config.keep))
                    seeds.append(problem_seed(config.seed, f"{pid}#chain{c}#round{r}"))
                    where.append((q, c))
            results = backend.generate(prompts, sampling, seeds) if prompts else []
            for (q, c), result, seed in zip(where, results, seeds):
                comp = result.completions[0]
                lp = np.asarray(comp.token_logprobs, dtype=float)
                records.append({"problem_id": ids[q], "sample_idx": c * R + r - 1, "chain_idx": c, "round": r,
                                "completion": comp.text, "num_prompt_tokens": result.num_prompt_tokens,
                                "num_completion_tokens": comp.num_tokens, "logprob": float(lp.sum()),
                                "token_logprobs": lp.tolist(), "finish_reason": comp.finish_reason, "status": comp.status,
                                "reference": batch["reference"].iloc[q], "seed": seed, "carried": False})
            graded = _grade_round(style, pd.DataFrame.from_records(records), batch, feedback) if records else None
            for i, (q, c) in enumerate(where):
                attempts[q][c].append(records[i]["completion"])
                notes[q][c].append(graded["feedback"].iloc[i])
                passed[q, c] = config.stop_when_passing and notes[q][c][-1] in _PASSING
            if carried:  # a chain that passed keeps its program: the row of its last attempt, at no cost
                last = rounds[-1].set_index(["problem_id", "chain_idx"])
                keep = last.loc[[(ids[q], c) for q, c in carried]].reset_index()
                keep["round"], keep["sample_idx"] = r, keep["chain_idx"] * R + r - 1
                keep["num_prompt_tokens"], keep["num_completion_tokens"], keep["logprob"] = 0, 0, 0.0
                keep["token_logprobs"], keep["carried"] = [[] for _ in range(len(keep))], True
                graded = keep if graded is None else pd.concat([graded, keep], ignore_index=True)
            rounds.append(graded)
        df = pd.concat(rounds, ignore_index=True)
        if "level" in batch.columns:
            df["level"] = df["problem_id"].map(dict(zip(ids, batch["level"])))
        df["model"], df["backend"] = backend_model_name(backend), backend.name
        df["feedback_kind"], df["rounds"], df["keep"] = config.feedback, R, config.keep
        if not config.stop_when_passing:
            df = df.drop(columns="carried")
        return validate_samples(df.drop(columns="reference").sort_values(["problem_id", "sample_idx"], kind="stable"))

    manifest = None
    if out_dir is not None:
        template = style.with_feedback if feedback else style.blind
        manifest = run_manifest(backend, sampling, template, style.grade_style, problems, problems_per_shard)
        manifest["revision"] = asdict(config)
        if given is not None:
            rows = sorted((p, c, str(row.get("seed")), row["completion"]) for (p, c), row in given.items())
            manifest["revision"]["first"] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return run_sharded(problems, make_rows, out_dir=out_dir, manifest=manifest, problems_per_shard=problems_per_shard,
                       rows_per_problem=C * R, progress=progress, backend=backend)


def chain_arrays(table: pd.DataFrame):
    """A chain table as (P, C, R) arrays for ``ttslib.sequential.make_chain_pool``: answers, correctness,
    completion tokens and prompt tokens, problems in id order; every problem needs all C x R attempts."""
    need = ["problem_id", "chain_idx", "round", "answer", "is_correct", "num_completion_tokens", "num_prompt_tokens"]
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise ValueError(f"a chain table needs column(s) {missing} (ttslib.revise writes them); it has {list(table.columns)}")
    df = table.assign(problem_id=table["problem_id"].astype(str)).sort_values(["problem_id", "chain_idx", "round"], kind="stable")
    C, R = int(df["chain_idx"].max()) + 1, int(df["round"].max())
    sizes = df.groupby("problem_id").size()
    if (sizes != C * R).any():
        raise ValueError(f"every problem needs {C} chains x {R} rounds; problem {sizes[sizes != C * R].index[0]!r} has "
                         f"{int(sizes[sizes != C * R].iloc[0])} rows")
    P = sizes.size
    shape = (P, C, R)
    answers = df["answer"].to_numpy(dtype=object).reshape(shape)
    correct = df["is_correct"].to_numpy(dtype=bool).reshape(shape)
    tokens = df["num_completion_tokens"].to_numpy(dtype=float).reshape(shape)
    read = df["num_prompt_tokens"].to_numpy(dtype=float).reshape(shape)
    return sizes.index.to_numpy(dtype=str), answers, correct, tokens, read
