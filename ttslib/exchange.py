"""Two models on the same problems at equal inference FLOPs: does the smaller one, sampling more, catch up?

For each budget k of the larger model, the smaller one gets the most samples it can draw without
spending more policy FLOPs per problem than the larger one spends on k:

    k_small(k) = max { j in 1..N_small : F_small(j) <= F_large(k) }

with F(k) the expected FLOPs of k samples per problem from :func:`ttslib.flops.flops_at_k` (the shared
prompt once per problem, then k times the mean cost of one of the problem's samples, each with its own
recorded token counts, attention term included). This is the cost axis of Large Language Monkeys
(Brown et al. 2024, arXiv:2407.21787, Sec. 3.1 / Fig. 4), matched on inference compute only
(pretraining compute is not counted; ``ttslib.flops.matched_inference_multiplier`` adds it).

The comparison is paired over problems (``ttslib.compare.paired_difference``): per problem, the
unbiased pass@k_small of the smaller model minus pass@k of the larger (Chen et al. 2021,
arXiv:2107.03374). Coverage is the oracle's view (a perfect verifier picks any right sample); with
``selection="majority"`` the same budgets are compared by majority vote instead (no verifier: the expected
accuracy of the most frequent answer among k samples, ``ttslib.selection.majority_vote``). Each row carries
its :class:`ttslib.findings.Finding`, whose sentence names the quantity, the budgets and the prompt count.

Two runs of different sizes usually differ in more than size. :func:`describe_runs` lists, from the tables,
the registry and the runs' manifests, what else differs (tuning, quantisation, completion length, how many
samples the length cap cut off), and :func:`run_differences` renders it as a sentence to set beside the
findings.

Where F_small(N_small + 1) <= F_large(k), the smaller model has run out of samples before its budget
(``capped`` is True): its pass@ understates what it would reach with the budget, so "behind" there
is not a finding about the budget. Where even one small sample costs more than F_large(k) there is no
row (it cannot happen when the smaller model is cheaper per sample).

Bad input raises ``ValueError`` naming what was wrong: the two tables on different problem sets, a model
missing from the registry, k outside 1..N_large, a table whose ``model`` column names another registry
model than the one it is passed with (a value the registry does not know cannot be checked and is let
through), and models that leave no row at all (no budget of the larger model buys one sample of the
smaller: most likely the two are swapped).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ttslib.checks import check_budgets
from ttslib.compare import paired_difference
from ttslib.coverage import pass_at_k
from ttslib.data import sample_arrays, samples_to_counts
from ttslib.findings import paired_finding
from ttslib.flops import flops_at_k
from ttslib.registry import checkpoint, get_model
from ttslib.selection import majority_vote

__all__ = ["equal_flops_exchange", "SELECTIONS", "RunDescription", "describe_runs", "run_differences"]

SELECTIONS = {  # selection -> the quantity a finding names
    "coverage": "coverage (pass@k: an oracle verifier picks any right sample)",
    "majority": "majority-vote accuracy (no verifier; expected over k-subsets of the samples)",
}


def _check_model(samples: pd.DataFrame, model, name: str) -> None:
    """The table's ``model`` column, where it has one, must name the registry model it is passed with."""
    spec = get_model(model)
    if "model" not in samples.columns:
        return
    values = samples["model"].dropna().astype(str).unique().tolist()
    if len(values) > 1:
        raise ValueError(f"{name}: the table's model column holds {len(values)} models {values[:3]}; one table per model")
    for value in values:
        try:
            found = get_model(value)
        except ValueError:
            continue  # not in the registry: nothing to check it against
        if found.name != spec.name:
            raise ValueError(f"{name}: the table's model column says {value!r} (registry: {found.name}), but "
                             f"{name}_model is {spec.name}; are the two tables or the two models swapped?")


def _counts(samples: pd.DataFrame, name: str) -> pd.DataFrame:
    counts = samples_to_counts(samples).sort_values("problem_id", kind="stable").set_index("problem_id")
    if counts["num_samples"].nunique() != 1:
        raise ValueError(f"{name}: every problem needs the same number of samples; got "
                         f"{sorted(counts['num_samples'].unique().tolist())[:5]}")
    return counts


def _label(samples: pd.DataFrame, model) -> str:
    """The model as the table names it (with its tuning and quantisation), else its registry name."""
    if "model" in samples.columns and samples["model"].notna().any():
        return str(samples["model"].dropna().iloc[0])
    return get_model(model).name


def _samples(k: int) -> str:
    return f"{k} sample" + ("" if k == 1 else "s")


def _majority(samples: pd.DataFrame, problems: pd.Index, n: int) -> np.ndarray:
    """(P, n) per-problem majority-vote accuracy at budgets 1..n, rows in ``problems`` order."""
    arrays = sample_arrays(samples)
    rows = pd.Index(arrays.problem_ids).get_indexer(problems)
    return majority_vote(arrays.answers, arrays.correct, np.arange(1, n + 1)).per_problem[rows]


def equal_flops_exchange(small: pd.DataFrame, large: pd.DataFrame, small_model, large_model, k=None, *,
                         attention: str = "kaplan", shared_prompt: bool = True, level: float = 0.95,
                         selection: str = "coverage") -> pd.DataFrame:
    """The smaller model's pass@k_small against the larger's pass@k at equal policy FLOPs (module docstring).

    Parameters
    ----------
    small, large : sample tables (``ttslib.data`` schema, with token counts) of the two models on the same
        problems, each with one N per problem
    small_model, large_model : registry names or ``ModelSpec`` (``ttslib.registry.get_model``)
    k : int or (K,) budgets of the larger model in 1..N_large, default every budget
    attention : the attention term of ``ttslib.flops`` ("kaplan" or "monkeys")
    shared_prompt : the prompt prefilled once per problem (True, as a KV cache shares it) or once per sample
    level : the paired interval's coverage
    selection : "coverage" (pass@k, the oracle's view) or "majority" (majority vote; needs an ``answer`` column)

    Returns
    -------
    One row per k: ``k_large, k_small, flops_large, flops_small`` (per problem), ``pass_large, pass_small``
    (mean over problems of the ``selection``'s score), ``difference, lower, upper`` (small minus large,
    paired), ``verdict`` (the finding's, before any family adjustment: where fewer than
    :data:`ttslib.findings.FEW_DIFFER` problems differ the exact sign test must agree with the interval),
    ``capped``, and ``finding`` (the row as a :class:`ttslib.findings.Finding`).
    """
    if selection not in SELECTIONS:
        raise ValueError(f"selection must be one of {sorted(SELECTIONS)}; got {selection!r}")
    _check_model(small, small_model, "small")
    _check_model(large, large_model, "large")
    c_small, c_large = _counts(small, "small"), _counts(large, "large")
    if not c_small.index.equals(c_large.index):
        only_small = c_small.index.difference(c_large.index)
        only_large = c_large.index.difference(c_small.index)
        raise ValueError(f"the two tables must hold the same problems; only in small: {only_small[:3].tolist()} "
                         f"({len(only_small)}), only in large: {only_large[:3].tolist()} ({len(only_large)})")
    n_small, n_large = int(c_small["num_samples"].iloc[0]), int(c_large["num_samples"].iloc[0])
    ks = check_budgets(k, n_large, "k")
    problems = len(c_small)
    small, large = (t.sort_values(["problem_id", "sample_idx"], kind="stable") for t in (small, large))  # sums in one order
    cost = {"attention": attention, "shared_prompt": shared_prompt}
    f_large = flops_at_k(large, large_model, ks, **cost) / problems
    f_small = flops_at_k(small, small_model, np.arange(1, n_small + 1), **cost) / problems
    j = np.searchsorted(f_small, f_large, side="right")  # how many small budgets fit: k_small, or 0
    step = (f_small[-1] - f_small[0]) / (n_small - 1) if n_small > 1 else f_small[0]  # one more sample (F is linear in k)
    if selection == "majority":
        vote_small, vote_large = _majority(small, c_small.index, n_small), _majority(large, c_large.index, n_large)
    names = (_label(small, small_model), _label(large, large_model))
    prompt = "prompt prefilled once per problem" if shared_prompt else "prompt prefilled with every sample"
    rows = []
    for k_l, k_s, f_l in zip(ks.tolist(), j.tolist(), f_large.tolist()):
        if k_s == 0:
            continue
        if selection == "coverage":
            p_small = pass_at_k(c_small["num_samples"], c_small["num_correct"], k_s)
            p_large = pass_at_k(c_large["num_samples"], c_large["num_correct"], k_l)
        else:
            p_small, p_large = vote_small[:, k_s - 1], vote_large[:, k_l - 1]
        d = paired_difference(p_small, p_large, level=level)
        capped = bool(k_s == n_small and f_small[-1] + step <= f_l)
        finding = paired_finding(p_small, p_large, a=f"{names[0]} ({_samples(k_s)})", b=f"{names[1]} ({_samples(k_l)})",
                                 quantity=SELECTIONS[selection], level=level,
                                 range=f"equal inference FLOPs per problem, {prompt}"
                                       + (f"; capped: all {n_small} samples cost less than the budget" if capped else ""))
        rows.append({"k_large": k_l, "k_small": k_s, "flops_large": f_l, "flops_small": float(f_small[k_s - 1]),
                     "pass_large": float(np.mean(p_large)), "pass_small": float(np.mean(p_small)),
                     "difference": d.mean, "lower": d.lower, "upper": d.upper, "verdict": finding.unadjusted_verdict,
                     "capped": capped, "finding": finding})
    if not rows:
        raise ValueError(f"one sample of small_model ({get_model(small_model).name}: {f_small[0]:.4g} FLOPs per problem) costs "
                         f"more than the largest budget of large_model ({get_model(large_model).name}: k = {int(ks.max())}, "
                         f"{f_large.max():.4g} FLOPs per problem): no budget to compare. Are the two models swapped?")
    return pd.DataFrame(rows, columns=["k_large", "k_small", "flops_large", "flops_small", "pass_large", "pass_small",
                                       "difference", "lower", "upper", "verdict", "capped", "finding"])


@dataclass(frozen=True)
class RunDescription:
    """What one run is, beyond its model's size: read from its sample table, the registry and its manifest."""

    model: str  # as the table records it (or the registry name)
    registry_name: str
    params: float
    tuning: str  # "instruction-tuned" or "base"
    quantisation: str | None
    num_samples: int
    mean_completion_tokens: float
    length_stops: int  # samples whose finish_reason is "length" (cut off by the cap)
    max_tokens: int | None  # the cap from the manifest's sampling settings, None where unknown


def describe_runs(runs: dict) -> pd.DataFrame:
    """One row per run (a :class:`RunDescription`), from ``{label: (samples, model, manifest or None)}``.

    ``manifest`` is the run's ``run.json`` as a dict (``ttslib.generate.run``); its ``sampling.max_tokens``
    is the length cap. ``length_stops`` counts ``finish_reason == "length"`` (0 where the column is missing).
    """
    rows = {}
    for label, (samples, model, manifest) in runs.items():
        name = _label(samples, model)
        try:
            point = checkpoint(name)
        except ValueError:  # a name the registry does not know: the model passed with it
            point = checkpoint(get_model(model).name)
        if point.spec.name != get_model(model).name:
            raise ValueError(f"runs[{label!r}]: the table names {name!r} (registry: {point.spec.name}) but the model passed is "
                             f"{get_model(model).name}")
        stops = int((samples["finish_reason"] == "length").sum()) if "finish_reason" in samples.columns else 0
        cap = (manifest or {}).get("sampling", {}).get("max_tokens")
        rows[label] = RunDescription(name, point.spec.name, point.spec.params, point.tuning, point.quantisation, len(samples),
                                     float(samples["num_completion_tokens"].mean()), stops, None if cap is None else int(cap))
    return pd.DataFrame({label: vars(d) for label, d in rows.items()}).T


def run_differences(a: RunDescription | pd.Series, b: RunDescription | pd.Series) -> str:
    """A sentence listing how run ``a`` differs from run ``b`` besides the comparison's subject, field by field."""
    a, b = (pd.Series(vars(x)) if isinstance(x, RunDescription) else x for x in (a, b))
    quant = lambda q: q if isinstance(q, str) else "quantisation not named"  # noqa: E731
    parts = [f"{a['params'] / 1e6:.0f}M against {b['params'] / 1e6:.0f}M parameters"]
    if a["tuning"] != b["tuning"]:
        parts.append(f"{a['tuning']} against {b['tuning']}")
    if a["quantisation"] != b["quantisation"]:
        parts.append(f"{quant(a['quantisation'])} against {quant(b['quantisation'])} weights")
    parts.append(f"{a['mean_completion_tokens']:.1f} against {b['mean_completion_tokens']:.1f} completion tokens per sample on average")
    caps = {x["max_tokens"] for x in (a, b)}
    cap = f"the {caps.pop()}-token cap" if len(caps) == 1 and None not in caps else "their length caps"
    parts.append(f"{a['length_stops']:,} of {a['num_samples']:,} against {b['length_stops']:,} of {b['num_samples']:,} samples "
                 f"cut off by {cap}")
    return f"{a['model']} and {b['model']} differ in more than size: " + "; ".join(parts) + "."
