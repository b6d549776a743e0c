"""Grading code samples: each program (the problem's prompt + the model's completion) run against the
problem's hidden tests in :mod:`ttslib.sandbox`, its docstring examples beside them.

``grade_code_table(samples, problems)`` returns the sample table with ``is_correct`` (the hidden tests
passed), ``score`` (the share of docstring examples passed: a weaker verifier with false positives and
negatives, NaN for a problem without examples), ``verdict`` and ``verdict_reason`` (``ttslib.sandbox``'s),
``isolation`` (the sandbox mode that ran it: "bwrap", "namespaces" or "rlimits"; "" where nothing ran) and
``answer`` None (a program has no final answer to vote on). A row whose sampling failed (``status`` not
"ok") is not run and counts as wrong; a row whose completion is missing (None or NaN) is not run either:
its verdict says so, its ``status`` becomes "missing" and it counts as wrong (it is never run as the
program ``nan``). ``ttslib generate --problems humaneval`` grades this
way as it goes; ``ttslib regrade`` grades a table again (other limits, a fixed sandbox).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ttslib.sandbox import Job, Limits, isolation, run_many

__all__ = ["CODE_COLUMNS", "grade_code_table", "program_of"]

CODE_COLUMNS = ("entry_point", "tests", "examples")


def program_of(prompt: str, completion: str) -> str:
    """The program a completion makes: the prompt (signature and docstring) followed by the body written."""
    return prompt + completion


def grade_code_table(samples: pd.DataFrame, problems: pd.DataFrame, *, limits: Limits = Limits(), workers: int | None = None,
                     progress: bool = False, mode: str | None = None) -> pd.DataFrame:
    """The samples graded by running them (module docstring). ``problems``: a code problem set
    (``ttslib.problems.load_humaneval``) holding every sample's problem; ``mode``: the sandbox's isolation
    mode (default :func:`ttslib.sandbox.isolation`)."""
    missing = [c for c in ("problem_id", "question", *CODE_COLUMNS) if c not in problems.columns]
    if missing:
        raise ValueError(f"code grading needs problem column(s) {missing}: a code problem set such as load_humaneval()")
    for need in ("problem_id", "completion"):
        if need not in samples.columns:
            raise ValueError(f"the sample table has no {need!r} column")
    by_id = problems.assign(problem_id=problems["problem_id"].astype(str)).set_index("problem_id")
    unknown = sorted(set(samples["problem_id"].astype(str)) - set(by_id.index))
    if unknown:
        raise ValueError(f"{len(unknown)} sample problem(s) are not in the problem set, e.g. {unknown[:3]}")
    ok = samples["status"].eq("ok").to_numpy() if "status" in samples.columns else np.ones(len(samples), bool)
    missing = np.array([not isinstance(c, str) for c in samples["completion"]], dtype=bool)  # None, NaN, or not text
    rows = np.flatnonzero(ok & ~missing)
    jobs = []
    for i in rows:
        p = by_id.loc[str(samples["problem_id"].iloc[i])]
        jobs.append(Job(program_of(p["question"], samples["completion"].iloc[i]), p["tests"], p["entry_point"],
                        tuple(p["examples"]) if p["examples"] is not None else ()))
    mode = mode or isolation()
    verdicts = run_many(jobs, limits, workers=workers, progress=progress, mode=mode)
    out = samples.copy()
    out["answer"] = pd.Series([None] * len(out), index=out.index, dtype=object)
    correct, score = np.zeros(len(out), bool), np.full(len(out), np.nan)
    verdict = np.where(ok, "not run: completion missing", "not run: sampling failed").astype(object)
    reason, ran_in = np.array([""] * len(out), dtype=object), np.array([""] * len(out), dtype=object)
    for i, v in zip(rows, verdicts):
        correct[i], score[i], verdict[i], reason[i], ran_in[i] = v.passed, v.examples_rate, v.verdict, v.reason, v.isolation
    out["is_correct"], out["score"], out["verdict"], out["verdict_reason"], out["isolation"] = correct, score, verdict, reason, ran_in
    if missing.any():
        status = out["status"] if "status" in out.columns else pd.Series("ok", index=out.index, dtype=object)
        out["status"] = status.where(~(missing & ok), "missing")
    return out
