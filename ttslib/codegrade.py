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

__all__ = ["CODE_COLUMNS", "grade_code_table", "program_of", "telling_examples", "repair_feedback"]

CODE_COLUMNS = ("entry_point", "tests", "examples")


def program_of(prompt: str, completion: str) -> str:
    """The program a completion makes: the prompt (signature and docstring) followed by the body written."""
    return prompt + completion


def telling_examples(examples) -> tuple[str, ...]:
    """Docstring examples (``assert (CALL) == VALUE``, ``ttslib.problems.docstring_examples``) rewritten to say
    what the program returned when they fail: ``AssertionError: got [0, 1]``. They pass and fail exactly
    where the originals do."""
    import ast

    out = []
    for ex in examples:
        test = ast.parse(ex).body[0].test  # Compare(CALL, [Eq], [VALUE])
        call, value = ast.unparse(test.left), ast.unparse(test.comparators[0])
        out.append(f"__got = ({call})\nassert __got == {value}, 'got ' + repr(__got)[:120]")
    return tuple(out)


def repair_feedback(verdict, examples) -> str:
    """What the sandbox tells a self-repair round about one program, in one line, from the docstring examples
    only (the hidden tests that judge it stay hidden): the first failing example, what it should return and
    what went wrong; "every example passes."; or, where the examples could not run, why."""
    import ast

    errors = verdict.example_errors
    if examples and errors and all(e is None for e in errors):
        return "every example passes."
    if "(in the program)" in verdict.reason or (verdict.verdict in ("timeout", "out_of_memory")
                                                and not any(e is None for e in errors)):
        return f"the program does not run: {verdict.reason.replace(' (in the program)', '')}."
    for ex, err in zip(examples, errors):
        if err is not None and err != "not run":
            test = ast.parse(ex).body[0].test
            call, value = ast.unparse(test.left), ast.unparse(test.comparators[0])
            said = err.split(": ", 1)[1] if err.startswith("AssertionError: ") else f"it raised {err}"
            return f"{call} should return {value}; {said}."
    if not examples:
        return "no example to run."
    return f"the examples did not run: {verdict.reason or verdict.verdict}."


def grade_code_table(samples: pd.DataFrame, problems: pd.DataFrame, *, limits: Limits = Limits(), workers: int | None = None,
                     progress: bool = False, mode: str | None = None, feedback: bool = False) -> pd.DataFrame:
    """The samples graded by running them (module docstring). ``problems``: a code problem set
    (``ttslib.problems.load_humaneval``) holding every sample's problem; ``mode``: the sandbox's isolation
    mode (default :func:`ttslib.sandbox.isolation`). With ``feedback``, a ``repair`` column holds what
    :func:`repair_feedback` tells a self-repair round of each program (None where nothing ran)."""
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
        examples = tuple(p["examples"]) if p["examples"] is not None else ()
        jobs.append(Job(program_of(p["question"], samples["completion"].iloc[i]), p["tests"], p["entry_point"],
                        telling_examples(examples) if feedback else examples))
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
    if feedback:
        said = np.array([None] * len(out), dtype=object)
        for i, v in zip(rows, verdicts):
            p = by_id.loc[str(samples["problem_id"].iloc[i])]
            said[i] = repair_feedback(v, tuple(p["examples"]) if p["examples"] is not None else ())
        out["repair"] = said
    if missing.any():
        status = out["status"] if "status" in out.columns else pd.Series("ok", index=out.index, dtype=object)
        out["status"] = status.where(~(missing & ok), "missing")
    return out
