"""Which sections of notebook 00 apply to a table, and the selection rules it allows (thresholds in
``ttslib.report``'s docstring)."""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np
import pandas as pd

from ttslib.coverage import coverage, log_spaced_ks
from ttslib.data import validate_samples
from ttslib.report.load import counts_of, one_line, standardise

__all__ = ["MIN_N_COVERAGE", "MIN_N_FIT", "MIN_N_BACKTEST", "BACKTEST_FRACTION", "SECTIONS", "Decision", "which_sections",
           "first_n_samples", "score_source", "sample_scores", "selection_rules", "resolve_model"]

MIN_N_COVERAGE = 2  # samples per problem for a coverage curve
MIN_N_FIT = 8  # for the fits: the power law is fitted on k = 1..N, fewer k than this leave its slope to two or three points
MIN_N_BACKTEST = 32  # for the backtest: fit on the first N / 4 >= 8 samples (MIN_N_FIT), predict coverage at N
BACKTEST_FRACTION = 4
SECTIONS = ("summary", "coverage", "fits", "backtest", "selection", "flops", "difficulty")


class Decision(NamedTuple):
    """Whether a section of the report applies to a table, and why (or why not), in one sentence."""

    applies: bool
    reason: str


def first_n_samples(samples: pd.DataFrame, n: int) -> pd.DataFrame:
    """The first ``n`` samples of each problem (by ``sample_idx``), renumbered 0..n-1, so that every
    problem has the same N as the selection rules need. Problems with fewer than n samples are dropped."""
    df = validate_samples(samples).sort_values(["problem_id", "sample_idx"], kind="stable")
    rank = df.groupby("problem_id", sort=False).cumcount()
    sizes = df.groupby("problem_id", sort=False)["sample_idx"].transform("size")
    return df[(rank < n) & (sizes >= n)].assign(sample_idx=rank[(rank < n) & (sizes >= n)]).reset_index(drop=True)


def score_source(samples: pd.DataFrame) -> tuple[str, str] | None:
    """Which per-sample score the ranking rules use, as ``(column, description)``, or None: the table's
    ``score``; else the last step's ``step_scores`` (arXiv:2408.03314 Sec. 5.2); else the model's own
    confidence ``exp(logprob / num_completion_tokens)`` (the geometric-mean token probability)."""
    answered = samples["answer"].notna() if "answer" in samples.columns else pd.Series(True, index=samples.index)
    if "score" in samples.columns:
        score = pd.to_numeric(samples["score"], errors="coerce")
        if score[answered].notna().all():
            return "score", "the table's score column"
    if "step_scores" in samples.columns:
        steps = samples["step_scores"]
        if steps.map(lambda s: s is not None and hasattr(s, "__len__") and len(s) > 0).all():
            return "step_scores", "the last step's score (column step_scores)"
    if "logprob" in samples.columns and "num_completion_tokens" in samples.columns:
        ok = samples["logprob"].notna() & (samples["num_completion_tokens"] > 0)
        if ok[answered].all():
            return "logprob", "the model's confidence, exp(mean token logprob) (column logprob)"
    return None


def sample_scores(samples: pd.DataFrame, column: str) -> pd.Series:
    """Per-row scores from :func:`score_source`'s column (rows aligned with ``samples``)."""
    from ttslib.selection import aggregate_steps

    if column == "score":
        return pd.to_numeric(samples["score"], errors="coerce")
    if column == "step_scores":
        return pd.Series(aggregate_steps(samples["step_scores"].to_numpy(dtype=object)[:, None], "last")[:, 0], index=samples.index)
    if column == "logprob":
        return np.exp(samples["logprob"] / samples["num_completion_tokens"].where(samples["num_completion_tokens"] > 0))
    raise ValueError(f"column must be 'score', 'step_scores' or 'logprob'; got {column!r}")


def selection_rules(samples: pd.DataFrame, n, *, num_draws: int = 1000, seed: int = 0) -> tuple[dict, list[str]]:
    """Every selection rule the table allows, at budgets ``n`` over each problem's first N samples (N =
    the fewest any problem has): ``({rule: ttslib.selection.Selection}, notes on rules left out)``.

    pass@n always; majority vote if any sample has an answer (answers grouped by
    ``ttslib.grade.canonical_answer``, so "1/2" and "0.5" vote together); best-of-N by
    :func:`score_source`'s score; weighted best-of-N if there are answers and the scores are >= 0
    (exact for N <= 16, else Monte Carlo with ``num_draws`` orders per problem and ``seed``).
    """
    from ttslib.data import sample_arrays
    from ttslib.grade import canonical_answer
    from ttslib.selection import answer_classes, best_of_n, majority_vote, oracle, weighted_vote

    N = int(counts_of(samples)["num_samples"].min())
    equal = first_n_samples(samples, N)
    source = score_source(equal)
    if source is not None:
        equal = equal.assign(selection_score=sample_scores(equal, source[0]))
    arrays = sample_arrays(equal, ("selection_score",) if source else (), answer_key=canonical_answer)
    classes = answer_classes(arrays.answers)  # (P, N), -1: no answer
    answered = bool((classes >= 0).any())
    rules, notes = {"oracle": oracle(arrays.correct, n)}, []
    if answered:
        rules["majority"] = majority_vote(classes, arrays.correct, n, num_draws=max(num_draws, 2), seed=seed)
    else:
        notes.append("majority vote: no sample has an answer")
    if source is None:
        notes.append("best-of-N and weighted best-of-N: no score, step_scores or logprob column")
        return rules, notes
    score = arrays.columns["selection_score"].astype(float)  # (P, N)
    rules["best_of_n"] = best_of_n(arrays.correct, score, n, answers=classes if answered else None)
    if not answered:
        notes.append("weighted best-of-N: no sample has an answer")
    elif np.any(score[classes >= 0] < 0):
        notes.append(f"weighted best-of-N: {source[1]} has negative values (it sums scores, which must be >= 0)")
    else:
        rules["weighted"] = weighted_vote(classes, arrays.correct, score, n, num_draws=num_draws, seed=seed)
    return rules, notes


def resolve_model(table: pd.DataFrame, model=None):
    """``(ModelSpec or None, why)``: ``model`` looked up in the registry, or, if None, the table's single
    ``model`` value; ``why`` says what was looked up and, if nothing was found, why not."""
    from ttslib.registry import get_model

    named = None if model is None else str(model)
    if named is None and "model" in table.columns and table["model"].nunique() == 1:
        named = str(table["model"].iloc[0])
    if named is None:
        return None, "no MODEL given (and the table has no single 'model' value): pass a registry name (ttslib/models.csv)"
    bare = re.sub(r"([.-](q\d\w*|f16|f32|bf16|gguf))+$", "", named, flags=re.IGNORECASE)  # a GGUF file's quantisation
    errors = []
    for candidate in dict.fromkeys([named, bare]):  # the name as given first
        try:
            return get_model(candidate), f"model {named!r}"
        except ValueError as err:
            errors.append(err)
    how = "MODEL" if model is not None else "the table's 'model' column (no MODEL given)"
    return None, f"{how}: {one_line(errors[0])}"


def _flops_decision(kind: str, table: pd.DataFrame, model) -> Decision:
    from ttslib.flops import run_flops

    if kind == "counts":
        return Decision(False, "a counts table has no token counts; FLOPs need a sample table with num_prompt_tokens and num_completion_tokens")
    if (table["num_prompt_tokens"] <= 0).all():
        return Decision(False, "the table records no prompt token counts (num_prompt_tokens is 0 throughout); FLOPs need them")
    spec, why = resolve_model(table, model)
    if spec is None:
        return Decision(False, why)
    try:
        run_flops(table, spec)  # what the section computes: its errors name what is missing
    except ValueError as err:
        return Decision(False, f"model {spec.name} is in the registry, but {one_line(err)}")
    return Decision(True, f"model {spec.name} from the registry ({spec.params:.3g} parameters), token counts from the table")


def which_sections(table: pd.DataFrame, *, model=None, num_bins: int = 5) -> dict[str, Decision]:
    """``{section: Decision(applies, reason)}`` for every name in ``SECTIONS`` (thresholds in the module
    docstring). ``table`` is a sample or counts table (raw or from :func:`load_table`); ``model`` a
    registry name or None (then the table's single ``model`` value, if the registry knows it)."""
    kind, table, _ = standardise(table)
    counts = counts_of(table)
    n_min, n_max, P = int(counts["num_samples"].min()), int(counts["num_samples"].max()), len(counts)
    same = f"{n_min} samples per problem" if n_min == n_max else f"{n_min} to {n_max} samples per problem"
    out = {"summary": Decision(True, f"{kind} table: {P} problems, {same}")}
    out["coverage"] = (Decision(True, f"pass@k for k = 1..{n_min}, the fewest samples of any problem")
                       if n_min >= MIN_N_COVERAGE else
                       Decision(False, f"a problem has only {n_min} sample(s); a coverage curve needs {MIN_N_COVERAGE} or more"))
    if n_min < MIN_N_FIT:
        out["fits"] = Decision(False, f"a problem has only {n_min} samples; the fits need {MIN_N_FIT} or more per problem")
    elif P < 2:
        out["fits"] = Decision(False, "one problem: the fits' intervals are a bootstrap over problems, which needs 2 or more")
    else:
        ks = log_spaced_ks(n_min, 40)
        cov = coverage(counts["num_samples"], counts["num_correct"], ks)
        usable = int(((cov > 0) & (cov < 1)).sum())
        out["fits"] = (Decision(True, f"power law and Beta fitted on {ks.size} k from 1 to {n_min}") if usable >= 2 else
                       Decision(False, f"coverage is {'0' if cov[-1] == 0 else '1'} at almost every k: no curve to fit"))
    if not out["fits"].applies:
        out["backtest"] = Decision(False, "the fits do not apply")
    elif n_min < MIN_N_BACKTEST:
        out["backtest"] = Decision(False, f"{n_min} samples per problem; the backtest needs {MIN_N_BACKTEST} or more "
                                          f"(fit on the first N/{BACKTEST_FRACTION}, predict at N)")
    else:
        out["backtest"] = Decision(True, f"fit on the first {n_min // BACKTEST_FRACTION} samples, predict coverage at {n_min}")
    out["selection"] = _selection_decision(kind, table, n_min)
    out["flops"] = _flops_decision(kind, table, model)
    if P < num_bins:
        out["difficulty"] = Decision(False, f"{P} problems; difficulty bins need at least {num_bins}")
    elif n_min < 4:
        out["difficulty"] = Decision(False, f"{n_min} samples per problem; binning on a held-apart half and measuring "
                                            "coverage on the other needs at least 4")
    else:
        out["difficulty"] = Decision(True, f"per-problem pass@1 of {P} problems, from a held-apart half of each problem's "
                                           f"samples, in {num_bins} quantile bins"
                                           + (" and the table's levels" if "level" in counts.columns else ""))
    return out


def _selection_decision(kind: str, table: pd.DataFrame, n_min: int) -> Decision:
    if kind == "counts":
        return Decision(False, "a counts table has no per-sample answers or scores; selection needs a sample table")
    if n_min < 2:
        return Decision(False, f"a problem has only {n_min} sample; selecting among samples needs 2 or more")
    has_answers = table["answer"].notna().any()
    score = score_source(table)
    if not has_answers and score is None:
        return Decision(False, "no answers (column 'answer' is empty) and no score, step_scores or logprob column: nothing to select by")
    rules = ["pass@n (oracle)"] + (["majority vote (answers)"] if has_answers else [])
    if score is not None:
        rules.append(f"best-of-N and weighted best-of-N by {score[1]}")
    return Decision(True, f"{', '.join(rules)}; exact expectations over n-subsets of the first {n_min} samples of each problem")


