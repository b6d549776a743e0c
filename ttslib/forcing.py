"""Budget forcing (s1, Muennighoff et al. 2025, arXiv:2501.19393) on any backend: the reasoning is cut at a
ladder of token budgets and the answer forced at each, and the model's wish to end is replaced by "Wait" up
to K times, the answer recorded at each end, so one chain per problem gives the whole curve.

A chain thinks in segments. Its reasoning starts from the problem set's ordinary prompt (for the chain
problems, ``chain_fewshot``: the model writes one operation a line and ends by writing ``Answer:``). The
model is asked for at most ``B - used`` more tokens, ``B`` the next budget of the ladder and ``used`` the
tokens it has generated so far, so the reasoning never exceeds a budget: the remaining budget is never
below zero (s1's own code let it go below: simplescaling/s1 #53). Every token a backend says it generated
counts, a stop string's included; a backend that returns more tokens than it was asked for is an error. The
inserted "Wait" is read, not generated, and does not count.

* **cap** (checkpoint ``"budget"``): at each budget ``B`` of the ladder, the answer forced from the reasoning
  so far: the reasoning, then ``"\\nAnswer:"``, and at most ``answer_tokens`` tokens to the end of the line.
  A chain that ended for good before ``B`` gives its final answer there.
* **extend** (checkpoint ``"end"``, ``step`` j = 0..K): the answer at the model's j-th end, that is after j
  "Wait"s. When the model ends and fewer than K "Wait"s were spent, its end is cut off and ``wait`` appended,
  and it thinks on. An end not reached within the largest budget is recorded as not ``reached``.

The table is a sample table (``ttslib.data``) with one row per checkpoint: ``chain_idx``, ``checkpoint``,
``step``, ``budget`` (the cap, NaN for an end), ``thinking_tokens`` (generated up to the checkpoint),
``waits`` (spent before it), ``answer_tokens`` (the forced answer's), ``num_completion_tokens`` (their sum:
what a run stopped there generated), ``reached``, the answer and ``is_correct``. Runs are sharded,
resumable and manifest-checked (``ttslib.generate.run.run_sharded``); every segment has its own seed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from ttslib.checks import whole_number
from ttslib.generate.base import BackendError, SamplingConfig, backend_model_name, problem_seed
from ttslib.generate.run import run_manifest, run_sharded

__all__ = ["ForcingConfig", "FORCING_STYLES", "force", "forcing_arrays", "forcing_curve", "up_to_waits"]


@dataclass(frozen=True)
class ForcingConfig:
    """A ladder of reasoning budgets (tokens, increasing), up to ``waits`` "Wait"s, ``chains`` chains per
    problem, a forced answer of at most ``answer_tokens`` tokens."""

    ladder: tuple[int, ...] = (16, 32, 64, 128)
    waits: int = 4
    chains: int = 4
    answer_tokens: int = 8
    temperature: float = 0.8
    top_p: float = 1.0
    seed: int = 0
    wait: str = "Wait,"

    def __post_init__(self):
        ladder = tuple(self.ladder)
        if not ladder or any(isinstance(b, bool) or not isinstance(b, (int, np.integer)) or b < 1 for b in ladder):
            raise ValueError(f"ladder must be one or more whole token budgets >= 1; got {self.ladder!r}")
        if any(b >= c for b, c in zip(ladder, ladder[1:])):
            raise ValueError(f"ladder must increase (each budget larger than the one before); got {list(ladder)}")
        object.__setattr__(self, "ladder", tuple(int(b) for b in ladder))
        for name, low in (("waits", 0), ("chains", 1), ("answer_tokens", 1)):
            whole_number(getattr(self, name), name, minimum=low)
        if not self.wait.strip():
            raise ValueError("wait must be some text (s1 appends 'Wait')")
        SamplingConfig(temperature=self.temperature, top_p=self.top_p)  # checks them

    @property
    def checkpoints(self) -> int:
        """Rows per chain: one per budget of the ladder, one per end 0..K."""
        return len(self.ladder) + self.waits + 1


@dataclass(frozen=True)
class ForcingStyle:
    """How a problem set reasons and answers: its prompt, the strings that end the reasoning, the cue that
    forces the answer and how the answer line is graded."""

    template: str
    think_stop: tuple[str, ...]
    cue: str
    grade_style: str


def _chain_style() -> ForcingStyle:
    from ttslib.generate.prompts import PROMPTS

    return ForcingStyle(PROMPTS["chain_fewshot"].template, think_stop=("Answer:", "\n\n", "\nQ:"), cue="\nAnswer:",
                        grade_style="answer_is")


FORCING_STYLES = {"chains": _chain_style()}


class _Chain:
    """One chain's state: its reasoning so far, the tokens it generated, "Wait"s spent, and its checkpoints."""

    def __init__(self, pid: str, c: int, config: ForcingConfig):
        self.pid, self.c, self.config = pid, c, config
        self.text, self.used, self.waits, self.ends, self.next_budget = "", 0, 0, 0, 0
        self.over, self.segments = False, 0  # over: ended for good (K "Wait"s spent, then an end)
        self.checkpoints = []  # (checkpoint, step, budget, reasoning, thinking tokens, waits)

    def settle(self) -> None:
        """Record the cap checkpoints the chain has reached."""
        ladder = self.config.ladder
        while self.next_budget < len(ladder) and (self.over or self.used >= ladder[self.next_budget]):
            B = ladder[self.next_budget]
            self.checkpoints.append(("budget", self.next_budget + 1, B, self.text, self.used, self.waits))
            self.next_budget += 1

    @property
    def thinking(self) -> bool:
        return self.next_budget < len(self.config.ladder)

    def room(self) -> int:
        """Tokens it may still generate before the next budget (always >= 1 while it thinks)."""
        return self.config.ladder[self.next_budget] - self.used

    def take(self, text: str, tokens: int, ended: bool, asked: int) -> None:
        if tokens > asked:
            raise BackendError(f"the backend generated {tokens} tokens where at most {asked} were asked "
                               f"(problem {self.pid!r}, chain {self.c}): the budget would be overrun")
        self.text += text
        self.used += tokens
        self.segments += 1
        if ended:
            self.checkpoints.append(("end", self.ends, np.nan, self.text, self.used, self.waits))
            self.ends += 1
            self.over = self.waits >= self.config.waits
        self.settle()  # the caps it has reached see the reasoning before any "Wait"
        if ended and not self.over:
            self.text = self.text.rstrip("\n") + "\n" + self.config.wait
            self.waits += 1


def force(backend, problems: pd.DataFrame, config: ForcingConfig, *, problem_set: str = "chains", out_dir=None,
          problems_per_shard: int = 10, progress: bool = True) -> pd.DataFrame:
    """Budget forcing on every problem: the checkpoint table (module docstring), written in resumable shards
    under ``out_dir`` if given."""
    from ttslib.data import validate_samples
    from ttslib.grade import grade_table

    if problem_set not in FORCING_STYLES:
        raise ValueError(f"no budget-forcing prompt for problem set {problem_set!r}; there are {sorted(FORCING_STYLES)}")
    style = FORCING_STYLES[problem_set]
    M = config.checkpoints

    def sampling(max_tokens, stop):
        return SamplingConfig(n=1, temperature=config.temperature, top_p=config.top_p, max_tokens=max_tokens, stop=stop,
                              seed=config.seed)

    def make_rows(batch: pd.DataFrame) -> pd.DataFrame:
        ids = batch["problem_id"].astype(str).tolist()
        prompt = dict(zip(ids, (style.template.format(question=q) for q in batch["question"])))
        chains = [_Chain(pid, c, config) for pid in ids for c in range(config.chains)]
        while True:  # every chain thinking asks for its next segment; segments asking the same room go together
            asking = [ch for ch in chains if ch.thinking]
            if not asking:
                break
            rooms: dict[int, list] = {}
            for ch in asking:
                rooms.setdefault(ch.room(), []).append(ch)
            for room, group in sorted(rooms.items()):
                seeds = [problem_seed(config.seed, f"{ch.pid}#chain{ch.c}#segment{ch.segments}") for ch in group]
                results = backend.generate([prompt[ch.pid] + ch.text for ch in group], sampling(room, style.think_stop), seeds)
                for ch, result in zip(group, results):
                    comp = result.completions[0]
                    if comp.status != "ok":
                        raise BackendError(f"a reasoning segment failed (problem {ch.pid!r}, chain {ch.c}): {comp.status}")
                    ch.take(comp.text, comp.num_tokens, comp.finish_reason == "stop", room)
        records = []
        for ch in chains:
            ends = {step for kind, step, *_ in ch.checkpoints if kind == "end"}
            missing = [("end", j, np.nan, None, None, None) for j in range(config.waits + 1) if j not in ends]
            for i, (kind, step, budget, text, used, waits) in enumerate(
                    sorted(ch.checkpoints + missing, key=lambda k: (k[0] != "budget", k[1]))):
                records.append({"problem_id": ch.pid, "chain_idx": ch.c, "sample_idx": ch.c * M + i, "checkpoint": kind,
                                "step": step, "budget": budget, "reasoning": text, "thinking_tokens": used, "waits": waits})
        reached = [r for r in records if r["reasoning"] is not None]
        cues = [prompt[r["problem_id"]] + r["reasoning"].rstrip("\n") + style.cue for r in reached]
        seeds = [problem_seed(config.seed, f"{r['problem_id']}#chain{r['chain_idx']}#answer#{r['thinking_tokens']}#{r['waits']}")
                 for r in reached]  # the same reasoning, the same seed: one answer per state of the chain
        answers = backend.generate(cues, sampling(config.answer_tokens, ("\n",)), seeds) if cues else []
        for r, result in zip(reached, answers):
            comp = result.completions[0]
            r.update(completion=r["reasoning"].rstrip("\n") + style.cue + comp.text, answer_tokens=comp.num_tokens,
                     num_prompt_tokens=result.num_prompt_tokens, status=comp.status, reached=True)
        for r in records:
            if r["reasoning"] is None:
                r.update(completion="", answer_tokens=0, num_prompt_tokens=0, status="not reached", reached=False,
                         thinking_tokens=0, waits=0)
        df = pd.DataFrame.from_records(records).drop(columns="reasoning")
        df["num_completion_tokens"] = df["thinking_tokens"] + df["answer_tokens"]
        df["reference"] = df["problem_id"].map(dict(zip(ids, batch["reference"])))
        df = grade_table(df, style=style.grade_style, missing="mark")
        df.loc[~df["reached"], ["answer", "is_correct"]] = [None, False]
        if "level" in batch.columns:
            df["level"] = df["problem_id"].map(dict(zip(ids, batch["level"])))
        df["model"], df["backend"] = backend_model_name(backend), backend.name
        return validate_samples(df.drop(columns="reference").sort_values(["problem_id", "sample_idx"], kind="stable"))

    manifest = None
    if out_dir is not None:
        manifest = run_manifest(backend, sampling(max(config.ladder), style.think_stop), style.template, style.grade_style,
                                problems, problems_per_shard)
        manifest["forcing"] = asdict(config)
    return run_sharded(problems, make_rows, out_dir=out_dir, manifest=manifest, problems_per_shard=problems_per_shard,
                       rows_per_problem=config.chains * M, progress=progress, backend=backend)


def forcing_arrays(table: pd.DataFrame):
    """A checkpoint table as arrays, problems in id order: ``ids``, ``ladder`` (m,), the cap checkpoints'
    correctness and tokens (P, C, m), and the ends' correctness, tokens and ``reached`` (P, C, K + 1)."""
    need = ["problem_id", "chain_idx", "checkpoint", "step", "budget", "is_correct", "num_completion_tokens", "reached"]
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise ValueError(f"a budget-forcing table needs column(s) {missing} (ttslib.forcing writes them)")
    df = table.assign(problem_id=table["problem_id"].astype(str))
    out = {"ids": np.unique(df["problem_id"].to_numpy(dtype=str))}
    for kind in ("budget", "end"):
        part = df[df["checkpoint"] == kind].sort_values(["problem_id", "chain_idx", "step"], kind="stable")
        P, C, S = out["ids"].size, part["chain_idx"].nunique(), part["step"].nunique()
        if len(part) != P * C * S:
            raise ValueError(f"every problem needs {C} chains x {S} {kind!r} checkpoints; the table has {len(part)} such rows "
                             f"for {P} problems")
        shape = (P, C, S)
        out[kind] = {"correct": part["is_correct"].to_numpy(dtype=bool).reshape(shape),
                     "tokens": part["num_completion_tokens"].to_numpy(dtype=float).reshape(shape),
                     "reached": part["reached"].to_numpy(dtype=bool).reshape(shape)}
        if kind == "budget":
            out["ladder"] = part["budget"].to_numpy(dtype=float).reshape(shape)[0, 0].astype(int)
    return out


def forcing_curve(table: pd.DataFrame) -> pd.DataFrame:
    """Per problem and checkpoint: accuracy (the mean over chains) and generated tokens (reasoning and forced
    answer, mean over chains), one row per (checkpoint, step, problem). At an end, only the chains that reached
    it count (``chains`` says how many; accuracy and tokens NaN where none did)."""
    arrays = forcing_arrays(table)
    rows = []
    for kind in ("budget", "end"):
        a = arrays[kind]
        n = a["reached"].sum(1)  # (P, S)
        with np.errstate(invalid="ignore"):
            acc = np.where(n > 0, (a["correct"] & a["reached"]).sum(1) / np.maximum(n, 1), np.nan)
            tok = np.where(n > 0, (a["tokens"] * a["reached"]).sum(1) / np.maximum(n, 1), np.nan)
        for s in range(acc.shape[1]):
            rows.append(pd.DataFrame({"checkpoint": kind, "step": s + 1 if kind == "budget" else s,
                                      "budget": arrays["ladder"][s] if kind == "budget" else np.nan,
                                      "problem_id": arrays["ids"], "chains": n[:, s], "accuracy": acc[:, s], "tokens": tok[:, s]}))
    return pd.concat(rows, ignore_index=True)


def up_to_waits(table: pd.DataFrame, j: int) -> pd.DataFrame:
    """Each chain run with at most ``j`` "Wait"s inside the largest cap, read off a run with K >= j: its answer at
    its j-th end where it reached that end, else the answer forced at the largest cap (a chain that did not reach
    its j-th end had spent at most j "Wait"s when the cap came). One row per (problem, chain): ``is_correct``,
    ``tokens`` (reasoning and answer) and ``ended`` (whether the j-th end came before the cap)."""
    arrays = forcing_arrays(table)
    K = arrays["end"]["reached"].shape[2] - 1
    if isinstance(j, bool) or not float(j).is_integer() or not 0 <= j <= K:
        raise ValueError(f"j must be a whole number of Waits in 0..K = {K} (the run's --waits); got {j!r}")
    end, cap = arrays["end"], arrays["budget"]
    reached = end["reached"][:, :, int(j)]
    correct = np.where(reached, end["correct"][:, :, int(j)], cap["correct"][:, :, -1])
    tokens = np.where(reached, end["tokens"][:, :, int(j)], cap["tokens"][:, :, -1])
    P, C = reached.shape
    return pd.DataFrame({"problem_id": np.repeat(arrays["ids"], C), "chain_idx": np.tile(np.arange(C), P),
                         "is_correct": correct.ravel(), "tokens": tokens.ravel(), "ended": reached.ravel()})
