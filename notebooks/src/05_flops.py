# %% [markdown]
# # 05 · What test-time compute costs: coverage on a FLOPs axis
#
# **Questions.** Can a small model that samples many times match a large model that samples once, and
# at what cost in FLOPs? Which model size, with how many samples, reaches a target coverage for the
# fewest FLOPs, and with what interval? What does a selection rule without a verifier (majority vote)
# change in that exchange?
#
# **Redrawn.** The cost axis of Large Language Monkeys (Brown et al. 2024, arXiv:2407.21787: coverage
# against inference FLOPs; the paper counts each prompt once and every completion token). The Pythia counts
# give no prompt/completion split, so here every Pythia sample is costed whole, prompt included, and a
# table shows which size is cheapest when part of that length is a prompt counted once; the kit's own runs
# are costed from their token counts, each figure saying how the prompt is counted. Also redrawn: the
# pretraining / inference exchange of Snell et al. 2024 (arXiv:2408.03314: `6 N D_pre` against
# `2 N D_inf`, R = D_inf / D_pre) and the pretraining FLOPs of Liu et al. 2025 (arXiv:2502.06703,
# Table 4). Each comparison with one of these papers is printed by `ttslib.references.compare_with_paper`,
# which names both sides.
#
# **Data.** `data/pythia_checkpoints_*_counts.csv` (provenance in `data/README.md`): per problem, samples
# drawn and samples correct for the Pythia sizes; the kit's own runs (`OWN_SAMPLES`, `TWO_MODELS`), sample
# tables with token counts per sample and a `run.json` manifest beside each. Model sizes and architectures
# come from the registry `ttslib/models.csv`, one cited source per row.
#
# **Cost model** (`ttslib.flops`). A forward pass costs, per token at context position t,
# `C(t) = 2N + a · n_layer · t · d_attn` (after Kaplan et al. 2020, with `a = 2`;
# Large Language Monkeys write `a = 4`). A problem's prompt of p tokens is prefilled once when its KV cache
# is shared by the samples, and each sample of m tokens then costs `Σ_{t=p+1}^{p+m} C(t)`.
#
# **How conclusions are stated.** Every comparison below is a finding rendered by `ttslib.findings` from a
# paired interval over the same problems (`ahead`, `behind`, or `not shown` with the smallest difference
# the data could detect at the power the finding states); the comparisons of one section form a Holm family. Coverage
# (pass@k) is an oracle's view: a perfect verifier that picks any right sample.

# %% tags=["parameters"]
DATA_DIR = "../data"
FIGURES_DIR = "../figures"
OWN_SAMPLES = "../data/arith_smollm2.parquet"  # the kit's own run: a sample table (ttslib.data schema)
OWN_MODEL = "SmolLM2-135M-Instruct"  # registry name of the model that made OWN_SAMPLES
TWO_MODELS = {  # the kit's own runs of its two embedded models on the same problems: task -> {registry model: table}
    "arithmetic": {"SmolLM2-135M": "../data/arith_smollm2.parquet", "gemma-3-270m": "../data/code/arith_gemma3.parquet"},
    "HumanEval": {"SmolLM2-135M": "../data/code/humaneval_smollm2.parquet", "gemma-3-270m": "../data/code/humaneval_gemma3.parquet"},
}
CHECKPOINT = "300B"  # the fully trained Pythia checkpoint
K_MAX = 10_000  # largest k on the curves, as in arXiv:2407.21787 (each model stops earlier where its data do)
ATTENTION = "kaplan"  # attention term of C(t): kaplan (a is 2, QK only) or monkeys (a is 4)
TARGETS = [0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6]  # coverage targets
EXCHANGE_PAIRS = [("pythia-410m", "pythia-6.9b"), ("pythia-1b", "pythia-12b")]  # small vs ~14x larger
PROMPT_SPLITS = [0, 600, 900, 1100]  # prompt tokens within the assumed sample length, counted once per problem (frontier sensitivity)
PRICES_AS_OF = "2026-12-01"  # the day the API prices apply (genai-prices' packaged data holds their history)
API = ("groq", "llama-3.2-1b-preview")  # (provider, model) of the API scenario: an open 1B model, one of the price data's providers
GPU = ("H100-SXM", 2.49)  # the rented accelerator and its price per hour; set yours
GPU_SOURCE = "Lambda's on-demand H100 (variant not named) as quoted by 'Cloud GPU Pricing Explained', computespec.pages.dev, read 2026-12-06"
MEMORY_HARDWARE = "H100-SXM"  # the roofline of the frontier by memory-inclusive cost (a row of ttslib/hardware.csv)
TIMING_RUN = "../data/cost/arith_timing.parquet"  # a run of the embedded backend whose run.json records each shard's time
SEARCH_LATENCY = {  # search runs that record their steps (search_rounds) -> table: their critical path against sampling
    "beam search": "../data/cost/beam4_noisy.parquet", "REBASE": "../data/particles/rebase64_noisy.parquet"}
LATENCY_POOL = "../data/chains/pool64.parquet"  # samples of the same problems by the same model: sampling at the same N
ROOFLINE_POSITION, ROOFLINE_BATCH = 512, 64  # the decoding step of the roofline table: context position and the larger batch
KIT_TARGETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5]  # coverage targets of the kit's two models, by FLOPs and by seconds
SWE_LITE_ISSUES = 300  # issues in SWE-bench Lite (Jimenez et al. 2024, arXiv:2310.06770)
MONKEYS_TABLE1 = {  # Large Language Monkeys, Table 1: references row -> (attempts, % solved, printed total $), as the paper prints them
    "monkeys_swebench_cost_deepseek": (5, 29.62, 10.8), "monkeys_swebench_cost_gpt4o": (1, 24.00, 39.0),
    "monkeys_swebench_cost_sonnet": (1, 26.70, 51.0),
}
N_BOOT = 1000  # bootstrap resamples of problems (bands and the frontier's findings)
SEED = 0

# %%
import datetime as dt
import itertools
import json
import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ttslib.cost import (HARDWARE, ApiPrice, Precision, Scenario, SelfHosted, equal_length_cost, expected_batch_seconds, get_hardware,
                         per_solved, search_seconds, shard_predictions, shard_traffic, step_seconds)
from ttslib.coverage import coverage, coverage_curve, log_spaced_ks, pass_at_k
from ttslib.data import read_pythia_counts, read_samples, sample_arrays, samples_to_counts
from ttslib.exchange import SELECTIONS, describe_runs, equal_flops_exchange, run_differences
from ttslib.findings import Summary, family, paired_finding
from ttslib.flops import (
    flops_at_k, flops_per_token, matched_inference_multiplier, matched_inference_tokens, pretraining_flops, run_flops, sequence_flops,
)
from ttslib.frontier import cheapest_findings, iso_flops_frontier
from ttslib.plotting import figure_legend, model_color, savefig, strategy_color, use_theme
from ttslib.plotting.flops import plot_exchange, plot_flops_per_token, plot_frontier, plot_vs_flops
from ttslib.pythia import inference_compute_tokens
from ttslib.references import Setting, compare_with_paper, paper_result
from ttslib.registry import get_model, registry
from ttslib.selection import log2_budgets, majority_vote
from ttslib.policy import Strategy
from ttslib.strategies import pool_arrays, pool_strategies, scenario_costs

use_theme()  # the kit's look: seaborn theme, fixed colours per strategy and per model size

# %% [markdown]
# ## The model registry
#
# Parameters as published (exact counts for Pythia, checkpoint or model-card figures otherwise; the
# `params_note` column says which), architecture from each model's `config.json`, pretraining tokens as
# published (empty where not published) and `6 N D` where both are known. `tests/test_flops.py`
# rebuilds every parameter count from the architecture columns and compares it with the published figure.

# %%
models = registry()
models["pretrain_flops"] = [
    pretraining_flops(name) if pd.notna(tokens) else np.nan for name, tokens in zip(models["name"], models["pretrain_tokens"])
]
models.set_index("name")[["params", "params_note", "n_layers", "d_model", "n_heads", "n_kv_heads", "context", "pretrain_tokens", "pretrain_flops"]].map(
    lambda v: f"{v:.4g}" if isinstance(v, float) else v
)

# %% [markdown]
# ## What one token costs at each context position
#
# `C(t) / 2N = 1 + a · n_layer · t · d_attn / 2N`: the share of the attention term depends on depth and
# width against the parameter count, so deep, narrow small models pay a larger share of it. The figure
# draws the ratio for six models; the line under it prints its value at the last position drawn.

# %%
positions = np.unique(np.geomspace(1, 2048, 60).round())
NO_PYTHIA_RUN = "#4d4d4d"  # dark grey: Llama-3.1-405B is larger than any Pythia size, so no size colour stands for it
per_token = {
    name: flops_per_token(name, positions, attention=ATTENTION) / (2 * get_model(name).params)
    for name in ["pythia-70m", "SmolLM2-135M", "gemma-3-270m", "pythia-1b", "Llama-3.2-1B", "Llama-3.1-405B"]
}
fig, ax = plt.subplots(figsize=(5.5, 3.6))
plot_flops_per_token(positions, per_token, ax=ax, families={name: get_model(name).family.split()[0] for name in per_token},  # Llama 3.1 and 3.2: one style
                     palette={name: NO_PYTHIA_RUN if name == "Llama-3.1-405B" else model_color(name) for name in per_token})
ax.set_title(f"forward FLOPs per token, attention = {ATTENTION!r}")
savefig(fig, "05_flops_per_token", directory=FIGURES_DIR)
assert all(np.all(np.diff(r) > 0) for r in per_token.values())  # C(t) / 2N increases with t for every model drawn
T_LOW = 100  # up to this position the lines are read as one (the note below)
Summary(f"C(t) / 2N at t = {positions[-1]:,.0f} ({ATTENTION} attention term): "
        + ", ".join(f"{name} {r[-1]:.3f}" for name, r in per_token.items()) + ".",
        f"Up to t = {T_LOW}, every model drawn is at most {max(r[positions <= T_LOW].max() for r in per_token.values()):.3f}, so the "
        f"lines lie on one another there and their styles cannot be told apart.")

# %% [markdown]
# A worked example of the Large Language Monkeys cost formula, `2 · (N + 2 · n_layer · d_model · context)`
# per token: Llama-3-8B at context 1,000 is `2 · (8.03e9 + 2 · 32 · 4096 · 1000) = 1.658e10` FLOPs
# (checked in `tests/test_flops.py` and below). The last column gives, in per cent, how much less Kaplan's
# count (`a = 2`) is at that context:

# %%
per_token_1000 = pd.DataFrame(
    {a: {name: flops_per_token(name, 1000, attention=a) for name in ["Llama-3-8B", "pythia-1b", "SmolLM2-135M"]} for a in ("kaplan", "monkeys")}
).assign(ratio=lambda t: t["monkeys"] / t["kaplan"], kaplan_less_pct=lambda t: 100 * (1 - t["kaplan"] / t["monkeys"]))
assert round(flops_per_token("Llama-3-8B", 1000, attention="monkeys") / 1e10, 3) == 1.658  # the worked example at context 1,000
per_token_1000

# %% [markdown]
# ## What the Pythia counts' `inference_compute` column is
#
# The counts carry no token counts, but each row has an `inference_compute` value that the data notes say
# "appears to be FLOPs of one sample, about `2 × params × tokens`". If it were `2 N T` with N the row's model,
# the tokens per sample `T = inference_compute / 2N` would be similar across models. The first table reads
# it that way; the second reads each (model, checkpoint) group's value as `2 N T` for the Pythia size N that
# makes T most alike across groups (`ttslib.pythia.attribute_flops`), and counts the groups whose size is
# the row's label.

# %%
counts = {task: read_pythia_counts(f"{DATA_DIR}/pythia_checkpoints_{task.lower()}_counts.csv") for task in ("MATH", "GSM8K")}
pythia = models[models["family"] == "Pythia"].set_index("name")["params"]  # (9,) exact parameter counts
attributed = {task: inference_compute_tokens(df, pythia) for task, df in counts.items()}  # one row per (model, checkpoint)
label_spread = pd.DataFrame({task: a["label_tokens"].describe() for task, a in attributed.items()}).T
label_spread.round(1)

# %%
band_of_t = pd.DataFrame(
    {
        task: {
            "groups": len(a),
            "tokens per sample, median": a["tokens_per_sample"].median(),
            "tokens per sample, min": a["tokens_per_sample"].min(),
            "tokens per sample, max": a["tokens_per_sample"].max(),
            "groups whose size matches the label": int((a["implied_model"] == a.index.get_level_values("model")).sum()),
        }
        for task, a in attributed.items()
    }
).round(0)
SIZE_LABELS = {task: f"sizes as the counts label them (read as 2 N T, the inference_compute column points to another size in "
                      f"{len(a) - int((a['implied_model'] == a.index.get_level_values('model')).sum())} of {len(a)} groups)"
               for task, a in attributed.items()}  # carried into the range of every finding that rests on the size labels
PYTHIA_CONTEXT = get_model("pythia-12b").context  # every Pythia size: 2,048 tokens
beyond_context = {task: int((a["label_tokens"] > PYTHIA_CONTEXT).sum()) for task, a in attributed.items()}
assert all((a["tokens_per_sample"] <= PYTHIA_CONTEXT).all() for a in attributed.values())  # the attributed lengths fit the context
Summary(*[f"{task}: read with the row's model, a sample would be {label_spread.loc[task, 'min']:,.0f} to {label_spread.loc[task, 'max']:,.0f} "
          f"tokens, more than Pythia's {PYTHIA_CONTEXT:,}-token context in {beyond_context[task]} of {band_of_t.loc['groups', task]:.0f} groups; "
          f"read with the attributed size, {band_of_t.loc['tokens per sample, min', task]:,.0f} to {band_of_t.loc['tokens per sample, max', task]:,.0f}; "
          f"the attributed size is the row's label in {band_of_t.loc['groups whose size matches the label', task]:.0f} of {band_of_t.loc['groups', task]:.0f} "
          f"groups (one size in {len(pythia)} at random would give about {band_of_t.loc['groups', task] / len(pythia):.0f})."
          for task in attributed],
        *[f"{task}: if the column is 2 N T of one Pythia size, then in the {band_of_t.loc['groups', task] - band_of_t.loc['groups whose size matches the label', task]:.0f} "
          f"groups whose attributed size is not their label, either the column's value or the row's size label is misattributed; the counts "
          f"cannot tell which. Every per-size result of notebooks 02 and 05 (coverage, fits, FLOPs, findings) uses the size labels as given."
          for task in attributed]), band_of_t

# %% [markdown]
# The same model names in Large Language Monkeys: the paper's published values for Pythia-70M and
# Pythia-160M on MATH (`ttslib.references`) beside how many of the MATH problems the rows with those size
# labels solve at the fully trained checkpoint.

# %%
math_final = counts["MATH"][counts["MATH"]["pretrain_tokens"] == CHECKPOINT]
labelled = {m: math_final[math_final["model"] == m] for m in ("pythia-70m", "pythia-160m")}
solved = {m: int((g["num_correct"] > 0).sum()) for m, g in labelled.items()}
drawn = {m: f"{g['num_samples'].min():,} to {g['num_samples'].max():,} samples per problem" for m, g in labelled.items()}
fit_70m = {x: paper_result(key).value for x, key in (("a", "monkeys_pythia70m_math_fit_a"), ("b", "monkeys_pythia70m_math_fit"))}
k_70m = int(labelled["pythia-70m"]["num_samples"].min())
Summary(
    f"{paper_result('monkeys_pythia70m_math_fit').citation}: the fit for Pythia-70M on MATH, log coverage = a k^b with a = {fit_70m['a']:g} "
    f"and b = {fit_70m['b']:g}, gives coverage {np.exp(fit_70m['a'] * k_70m ** fit_70m['b']):.2f} at k = {k_70m:,} (checkpoint not given in our "
    f"source). The rows labelled pythia-70m ({CHECKPOINT} checkpoint, {drawn['pythia-70m']}) solve {solved['pythia-70m']} of "
    f"{len(labelled['pythia-70m'])} problems.",
    compare_with_paper("monkeys_pythia160m_math_coverage",
                       Setting(f"rows labelled pythia-160m, {CHECKPOINT} checkpoint", f"MATH ({len(labelled['pythia-160m'])} problems)", "coverage",
                               "share of problems with at least one correct sample among the samples drawn", drawn["pythia-160m"]),
                       solved["pythia-160m"] / len(labelled["pythia-160m"])),
)

# %% [markdown]
# The notebook therefore does not use the column per row, and it takes the size labels as given. It takes
# one number from the column, the median tokens per sample of each task under the attributed sizes, and
# costs every sample of every Pythia size at that one length with the registry's architecture, the prompt
# included in every sample (the column gives no prompt/completion split). This is an assumption, not a
# measurement: the counts hold no token counts, so whether the sizes wrote samples of different lengths is
# not known here. Every FLOPs
# figure and every finding on FLOPs in the Pythia sections rests on it, and their ranges say so.

# %%
TOKENS_PER_SAMPLE = {task: float(np.median(a["tokens_per_sample"]).round()) for task, a in attributed.items()}
ASSUMED_LENGTH = {task: f"every size costed at one assumed length of {t:,.0f} tokens per sample, the median attributed from the "
                        f"inference_compute column, not measured per size, prompt included and counted with every sample"
                  for task, t in TOKENS_PER_SAMPLE.items()}
sample_flops = pd.DataFrame(
    {task: {m: float(sequence_flops(m, t, attention=ATTENTION)) for m in pythia.index} for task, t in TOKENS_PER_SAMPLE.items()}
)  # FLOPs of one sample of T tokens, each token costed at its position (no prompt sharing: the column gives no split)
TOKENS_PER_SAMPLE, sample_flops.map("{:.3g}".format)

# %% [markdown]
# ## Coverage against inference FLOPs (arXiv:2407.21787's cost axis)
#
# The FLOPs of k samples per problem are `k × C_sample(model)`, so on a FLOPs axis each model's curve is
# its coverage curve shifted right by its cost per sample, with every size costed at the task's one assumed
# sample length (above). The first point of each curve is pass@1,
# the accuracy of a single sample. Each curve stops at the fewest samples any problem has for that model
# (the table below): beyond it the unbiased estimator does not exist, and notebook 01's plug-in would keep
# every problem unsolved in its n samples at zero, which biases the large, little-sampled models down. A
# model that solves no problem draws nothing on the log axis and gets no legend entry.

# %%
final = {task: df[df["pretrain_tokens"] == CHECKPOINT] for task, df in counts.items()}
by_model = {task: {m: g.sort_values("problem_id", kind="stable") for m, g in df.groupby("model")} for task, df in final.items()}
n_min = {task: {m: int(g["num_samples"].min()) for m, g in groups.items()} for task, groups in by_model.items()}
for task, groups in by_model.items():  # every model on the same problems, in one order: paired comparisons below
    assert len({tuple(g["problem_id"]) for g in groups.values()}) == 1, task
pd.DataFrame(n_min).loc[pythia.index].T  # largest k measured without extrapolation

# %%
ks = log_spaced_ks(K_MAX, 40)
curves = {
    task: {
        m: coverage_curve(groups[m]["num_samples"], groups[m]["num_correct"], ks[ks <= n_min[task][m]], n_boot=N_BOOT, seed=SEED)
        for m in pythia.index
    }
    for task, groups in by_model.items()
}
solving = {task: [m for m, c in by_size.items() if c.coverage.max() > 0] for task, by_size in curves.items()}  # draws something
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for ax, (task, by_size) in zip(axes, curves.items()):
    plot_vs_flops(
        [by_size[m].k * sample_flops.loc[m, task] for m in solving[task]], [by_size[m].coverage for m in solving[task]],
        lower=[by_size[m].lower for m in solving[task]], upper=[by_size[m].upper for m in solving[task]], labels=solving[task], ax=ax, log_y=True,
    )
    for band in ax.collections:  # the bootstrap bands, lighter than the kit's default so that overlapping ones stay apart
        band.set_alpha(0.08)
    ax.set_title(f"{task}: Pythia, {CHECKPOINT} checkpoint, {TOKENS_PER_SAMPLE[task]:,.0f} tokens / sample\nassumed for every size, prompt in every sample")
figure_legend(fig, axes)
savefig(fig, "05_coverage_flops", directory=FIGURES_DIR)
Summary(*[f"{task}: {', '.join(sorted(set(pythia.index) - set(solving[task]), key=pythia.get))} solve no problem "
          f"in their samples at the {CHECKPOINT} checkpoint (not drawn)." for task in curves if set(pythia.index) - set(solving[task])]
        or "Every size solves at least one problem on each task.")

# %% [markdown]
# ## The iso-FLOPs frontier: which size, how many samples
#
# For each target coverage, the FLOPs each model needs (its smallest k reaching the target, every k
# up to its measured limit), and the cheapest model: the frontier. A missing point means the target
# is not reached within the samples measured, not that it is out of reach.
#
# Which model is cheapest is a point estimate. For each target, `ttslib.frontier.cheapest_findings` compares
# the cheapest model with the runner-up (the second cheapest on all problems) on `-log10` FLOPs, over
# `N_BOOT` resamples of the problems shared by all models (paired). A resample in which a model does not
# reach the target within its measured samples is counted as no difference (its FLOPs are only known to
# lie beyond its range). The targets of one task form a Holm family. Two limits of the method: the pair is
# picked on all problems and then compared on resamples of the same problems, not re-chosen within each
# resample (post-selection: the interval is conditional on the pick); and the FLOPs rest on one assumed
# sample length shared by every size, prompt included in every sample (other splits: after the findings), so a finding compares the sizes' samples needed times their cost per
# token, not measured costs. The summary gives the length ratio between the two sizes that the interval's
# lower end leaves room for.

# %%
dense = {
    task: {m: coverage(groups[m]["num_samples"], groups[m]["num_correct"], np.arange(1, n_min[task][m] + 1)) for m in pythia.index}
    for task, groups in by_model.items()
}
frontier = {
    task: iso_flops_frontier(
        {m: (np.arange(1, cov.size + 1), np.arange(1, cov.size + 1) * sample_flops.loc[m, task], cov) for m, cov in by_size.items()}, TARGETS
    )
    for task, by_size in dense.items()
}
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for ax, (task, table) in zip(axes, frontier.items()):
    plot_frontier(table, ax=ax, legend=False)
    ax.set_title(f"{task}: FLOPs to reach a coverage,\n{TOKENS_PER_SAMPLE[task]:,.0f} tokens / sample assumed, prompt in every sample")
figure_legend(fig, axes[::-1])  # every size either panel draws, once, by size (GSM8K's panel first: it draws every size that reaches a target)
savefig(fig, "05_frontier", directory=FIGURES_DIR)

# %%
cheapest = {task: t[t["cheapest"]].set_index("target") for task, t in frontier.items()}
pd.concat(
    {task: t[["model", "k", "flops"]].astype({"k": int}) for task, t in cheapest.items()}, axis=1
).sort_index().map(lambda v: f"{v:.3g}" if isinstance(v, float) else v)

# %%
frontier_findings = {}  # task -> {target: finding}, the targets of a task judged as one Holm family
for task, groups in by_model.items():
    found = cheapest_findings(
        {m: (np.arange(1, n_min[task][m] + 1) * sample_flops.loc[m, task],
             pass_at_k(groups[m]["num_samples"], groups[m]["num_correct"], np.arange(1, n_min[task][m] + 1))) for m in pythia.index},
        TARGETS, quantity=f"{task} coverage (pass@k, an oracle)", n_boot=N_BOOT, seed=SEED,
        range=f"each model's budgets up to its measured samples; {ASSUMED_LENGTH[task]}; {SIZE_LABELS[task]}")
    frontier_findings[task] = dict(zip(found, family(list(found.values()))))
    assert all(f.a == cheapest[task].loc[t, "model"] for t, f in frontier_findings[task].items())  # the same cheapest as the table
frontier_table = pd.DataFrame([{"task": task, "target": t, "cheapest": f.a, "runner-up": f.b, "log10 FLOPs saved [95%]": f.interval(2),
                                "verdict (Holm)": f.verdict} for task, fs in frontier_findings.items() for t, f in fs.items()])
frontier_table

# %%
shown_lower = {task: min((f.lower for f in fs.values() if f.verdict == "ahead"), default=None) for task, fs in frontier_findings.items()}
Summary(*[line for task, fs in frontier_findings.items() for line in (
    f"{task} ({ASSUMED_LENGTH[task]}; {SIZE_LABELS[task]}): the cheapest model on all problems (point estimate) is "
    f"{' / '.join(dict.fromkeys(f.a for f in fs.values()))} at every target that two models reach "
    f"({len(fs)} targets, {min(fs):g} to {max(fs):g}); against the runner-up it needs fewer FLOPs (shown after Holm's adjustment over the "
    f"{len(fs)}) at {sum(f.verdict == 'ahead' for f in fs.values())} of them, not shown at {sum(f.verdict == 'not shown' for f in fs.values())}.",
    *([] if shown_lower[task] is None else [
        f"{task}, what the assumed length leaves room for: scaling one size's FLOPs per sample by a factor F moves each of its "
        f"replicates by log10 F; the smallest lower end among the targets shown is {shown_lower[task]:+.3f}, so if the cheapest size's "
        f"samples cost about {10 ** shown_lower[task]:.2f} times or more what the assumed length gives, relative to the runner-up's, "
        f"that interval would hold 0 (the sizes' sample lengths are not measured here)."]),
    *fs.values())])

# %% [markdown]
# ### The cheapest size under other prompt/completion splits
#
# The counts give no split of the assumed length T into prompt and completion, so the frontier above counts
# all T tokens with every sample. If p of them are a prompt prefilled once per problem and shared by its
# samples through the KV cache, k samples cost `S(0, p) + k · S(p, T - p)` (`ttslib.flops.sequence_flops`).
# The table gives, for each p in `PROMPT_SPLITS` (p = 0 is the frontier above), the cheapest size and its k
# at each target: point estimates on all problems, not compared with the runner-up by any interval.

# %%
split_frontier = {
    (task, p): iso_flops_frontier(
        {m: (np.arange(1, cov.size + 1), float(sequence_flops(m, p, attention=ATTENTION))
             + np.arange(1, cov.size + 1) * float(sequence_flops(m, t - p, start=p, attention=ATTENTION)), cov) for m, cov in dense[task].items()},
        TARGETS)
    for task, t in TOKENS_PER_SAMPLE.items() for p in PROMPT_SPLITS
}
split_cheapest = {key: t[t["cheapest"]].drop_duplicates("target").set_index("target") for key, t in split_frontier.items()}
assert all(split_cheapest[task, 0]["model"].equals(cheapest[task]["model"]) for task in cheapest)  # p = 0 is the frontier above
split_table = pd.DataFrame({(task, f"p = {p}"): c["model"] + " (k = " + c["k"].astype(int).astype(str) + ")"
                            for (task, p), c in split_cheapest.items()}).reindex(TARGETS).fillna("")
split_runs = lambda c: "; ".join(  # noqa: E731  consecutive targets with one cheapest size, as "model at 0.05 to 0.45"
    f"{m} at {g[0]:g}" + (f" to {g[-1]:g}" if len(g) > 1 else "")
    for m, g in ((m, [t for t, _ in grp]) for m, grp in itertools.groupby(c["model"].items(), key=lambda item: item[1])))
split_lines = [
    f"{task}, {p:,} of the {TOKENS_PER_SAMPLE[task]:,.0f} tokens a prompt counted once per problem, {TOKENS_PER_SAMPLE[task] - p:,.0f} per sample: "
    f"the cheapest size on all problems (point estimate, no interval; {SIZE_LABELS[task]}) is {split_runs(c)}; a size other than at p = 0 at "
    f"{int((c['model'] != split_cheapest[task, 0]['model'].reindex(c.index)).sum())} of {len(c)} targets."
    for (task, p), c in split_cheapest.items() if p > 0
]
Summary(*split_lines, f"The sizes' prompt and completion lengths are not measured in the counts, so which p holds is not known here."), split_table

# %% [markdown]
# ## Trading pretraining for test-time compute (Snell et al., arXiv:2408.03314)
#
# Pretraining costs `6 N D_pre`, inference `2 N D_inf`. A model k times larger costs
# `k (6 N D_pre + 2 N D_inf)`; the small model matches it by multiplying its inference tokens by
# `M = k + 3 (k - 1) / R`, with `R = D_inf / D_pre`. When little is served (R small) the larger model's
# extra pretraining buys the small one many inference tokens; as R increases, M tends to k. M counts tokens:
# reading it as a number of samples assumes that both models write samples of the same length.
# Snell et al. compare against a 14x larger model at three values of R (`SNELL_R`, the rows of the table
# below); Liu et al. put Llama-3.2-3B
# (135x smaller, nominally) and -1B (405x) against Llama-3.1-405B.

# %%
R = np.geomspace(1e-6, 1e2, 200)
multipliers = {f"M, model {k:g}x larger": matched_inference_multiplier(k, R) for k in (14, 405 / 3, 405)}
SNELL_R = [0.16, 0.79, 22]  # the R of arXiv:2408.03314 (ttslib.references: snell_exchange_14x)
pd.DataFrame({label: matched_inference_multiplier(k, SNELL_R) for label, k in zip(multipliers, (14, 405 / 3, 405))}, index=[f"R = {r}" for r in SNELL_R]).round(1)

# %% [markdown]
# Liu et al. (arXiv:2502.06703) Table 4 prints the pretraining FLOPs of both models; the table below sets
# `6 N D` with the registry's nominal and checkpoint sizes beside them. Our source gives their inference
# FLOPs (verifier not counted) but not how they were computed or what else they cover. The table reads them,
# as our assumption, as `Y = 2 N D_inf` with the nominal N, which gives `D_inf = Y / 2N` tokens per model;
# under that assumption, at equal *total* FLOPs the 3B model may spend
# `(6 N_405 D_405 + 2 N_405 D_inf - 6 N_3 D_3) / 2 N_3` inference tokens against the 405B model's D_inf.

# %%
LIU_TABLE_4 = {"Llama-3.2-3B": (1.62e23, 3.07e17), "Llama-3.1-405B": (3.65e25, 4.25e17)}  # arXiv:2502.06703 Table 4 (pretraining, inference)
liu_table = pd.DataFrame(
    {
        name: {
            "pretraining, Table 4": pre,
            "6 N D (nominal N)": pretraining_flops(name, nominal=True),
            "6 N D (checkpoint N)": pretraining_flops(name),
            "inference, Table 4": inf,
            "tokens if Y = 2 N D_inf (our assumption)": inf / (2 * get_model(name).params_nominal),
        }
        for name, (pre, inf) in LIU_TABLE_4.items()
    }
)
TOKENS_ROW = "tokens if Y = 2 N D_inf (our assumption)"
D_INF_405 = liu_table.loc[TOKENS_ROW, "Llama-3.1-405B"]
token_ratio = liu_table.loc[TOKENS_ROW, "Llama-3.2-3B"] / D_INF_405  # what the reading implies: 3B tokens per 405B token
D_3B = matched_inference_tokens("Llama-3.2-3B", "Llama-3.1-405B", D_INF_405, nominal=True)
liu_checks = [
    compare_with_paper(key, Setting(name, "none (pretraining)", "pretraining FLOPs in units of 1e23",
                                    "6 N D with the nominal size and the published pretraining tokens",
                                    f"N = {get_model(name).params_nominal / 1e9:g}e9 and D = {get_model(name).pretrain_tokens / 1e12:g}e12 tokens"),
                       pretraining_flops(name, nominal=True) / 1e23, decimals=2)
    for key, name in (("liu_table4_pretraining_3b", "Llama-3.2-3B"), ("liu_table4_pretraining_405b", "Llama-3.1-405B"))
]
assert all(abs(c.estimate - c.paper.value) <= 0.002 * c.paper.value for c in liu_checks), liu_checks  # 6 N D from the registry is Table 4's figure to 0.2%
pre_share = liu_table.loc["pretraining, Table 4", "Llama-3.1-405B"] / (liu_table.loc[["pretraining, Table 4", "inference, Table 4"], "Llama-3.1-405B"].sum())
Summary(*liu_checks,
        f"Pretraining is {pre_share:.6%} of the Llama-3.1-405B total in Table 4 (pretraining plus inference, verifier not counted).",
        f"Our assumption, not our source's: read as Y = 2 N D_inf with nominal sizes (our source does not say how Table 4's inference "
        f"FLOPs were computed or what they cover), Table 4 would have Llama-3.2-3B generate {liu_table.loc[TOKENS_ROW, 'Llama-3.2-3B']:.3g} "
        f"tokens and Llama-3.1-405B {D_INF_405:.3g}, {token_ratio:.0f} times as many for the 3B model.",
        f"Under the same assumption, at the Llama-3.1-405B total (`6 N D` with nominal sizes plus its inference), Llama-3.2-3B may "
        f"generate {D_3B:.3g} tokens against those {D_INF_405:.3g}."), liu_table.map("{:.3g}".format)

# %% [markdown]
# The same exchange on the Pythia data, where all sizes saw the same pretraining tokens (asserted below). If
# the large model answers each query with one sample, serving `D_inf` tokens in all, the small model may
# draw `M(R)` samples per query for the same total FLOPs, if its samples are as long as the large model's (an
# assumption: the counts hold no sample lengths). Below, the small model's coverage at M(R) samples
# (drawn only where M(R) is within its measured samples; at smaller R it would need more) and the large model's pass@1
# (horizontal lines). Coverage assumes a perfect verifier; no selection rule is applied to these counts, which carry
# no answers. The left panel draws M(R) for the three size ratios of the table above, in greys (no model's run); in both
# panels the wide pale vertical bands mark Snell et al.'s three R.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
assert models.loc[models["family"] == "Pythia", "pretrain_tokens"].nunique() == 1  # one D_pre for every size
for ax in axes:  # Snell et al.'s R as wide pale bands, apart from every dashed or dotted line; drawn first so the legend lists them
    for i, r in enumerate(SNELL_R):
        ax.axvline(r, color="0.88", lw=5, zorder=0, label=f"R of Snell et al.: {', '.join(f'{x:g}' for x in SNELL_R)}" if i == 0 else None)
plot_exchange(R, multipliers, ax=axes[0], palette=["#303030", "#6e6e6e", "#a8a8a8"])  # greys: these lines are no model's runs
axes[0].set_title("samples the small model may draw (arXiv:2408.03314)")
EXCHANGE_TASK = "MATH"  # the Pythia task of the exchange (its larger models solve some problems)
EXCHANGE_SAMPLES = "M(R) multiplies inference tokens, read as samples: samples of equal length assumed for both sizes (not measured)"
exchange_lines, exchange_refs = {}, {}
for small, large in EXCHANGE_PAIRS:
    m = matched_inference_multiplier(pythia[large] / pythia[small], R)
    measured = np.floor(m) <= n_min[EXCHANGE_TASK][small]  # M(R) within the small model's measured samples: drawn; beyond: not
    exchange_lines[f"{small}, M(R) samples"] = np.where(
        measured, dense[EXCHANGE_TASK][small][np.minimum(np.floor(m), n_min[EXCHANGE_TASK][small]).astype(int) - 1], np.nan)
    exchange_refs[f"{large}, 1 sample"] = dense[EXCHANGE_TASK][large][0]
plot_exchange(R, exchange_lines, hlines=exchange_refs, ax=axes[1], ylabel=f"{EXCHANGE_TASK} coverage")
axes[1].set_title(f"{EXCHANGE_TASK}: small model at matched total FLOPs")
figure_legend(fig, axes)
savefig(fig, "05_exchange", directory=FIGURES_DIR)
Summary("Horizontal lines, pass@1 of the larger models on MATH (mean over problems): "
        + ", ".join(f"{label.split(',')[0]} {v:.4f}" for label, v in exchange_refs.items())
        + f" ({abs(np.subtract(*exchange_refs.values())):.4f} apart: at this scale the two lines nearly overlap).")

# %% [markdown]
# The lines above are means over problems. The comparison is paired: per problem, the small model's
# pass@M(R) minus the large model's pass@1, on the same problems (paired normal interval), at
# Snell et al.'s three R and at the largest R drawn, where M is smallest. The eight comparisons form one
# Holm family.

# %%
exchange_findings = {}
for small, large in EXCHANGE_PAIRS:
    g_small, g_large = by_model[EXCHANGE_TASK][small], by_model[EXCHANGE_TASK][large]
    for r in [*SNELL_R, float(R.max())]:
        m_r = int(min(np.floor(matched_inference_multiplier(pythia[large] / pythia[small], r)), n_min[EXCHANGE_TASK][small]))
        exchange_findings[small, large, r] = paired_finding(
            pass_at_k(g_small["num_samples"], g_small["num_correct"], m_r), pass_at_k(g_large["num_samples"], g_large["num_correct"], 1),
            a=f"{small} ({m_r} samples)", b=f"{large} (1 sample)", quantity=f"{EXCHANGE_TASK} coverage (pass@k, an oracle verifier)",
            range=f"equal total FLOPs, 6 N D_pre + 2 N D_inf, at R = {r:g}; {EXCHANGE_SAMPLES}; size ratio from the {SIZE_LABELS[EXCHANGE_TASK]}")
exchange_findings = dict(zip(exchange_findings, family(list(exchange_findings.values()))))
exchange_paired = pd.DataFrame([{"pair": f"{s} vs {l}", "R": r, "M(R)": int(f.a.split("(")[1].split(" ")[0]), "difference": f.interval(),
                                 "verdict (Holm)": f.verdict} for (s, l, r), f in exchange_findings.items()]).set_index(["pair", "R"])
D_PRE = float(models.loc[models["family"] == "Pythia", "pretrain_tokens"].iloc[0])  # one D_pre for every size (asserted above)
total_flops = lambda n, r, samples: 6 * n * D_PRE + 2 * n * r * D_PRE * samples  # noqa: E731  pretraining plus inference, D_inf = R D_pre per sample
for (s, l, r), m_r in zip(exchange_findings, exchange_paired["M(R)"]):  # the FLOPs balance itself, not the multiplier's formula
    assert total_flops(pythia[s], r, m_r) <= total_flops(pythia[l], r, 1) * (1 + 1e-12), (s, l, r, m_r)  # M(R) samples fit in the large model's total
    assert m_r == n_min[EXCHANGE_TASK][s] or total_flops(pythia[s], r, m_r + 1) > total_flops(pythia[l], r, 1), (s, l, r, m_r)  # one more would not
    assert abs(exchange_findings[s, l, r].a_value - dense[EXCHANGE_TASK][s][m_r - 1]) < 1e-9  # the plotted line's value at M(R)
exchange_paired

# %%
snell_side = {  # our closest setting to Snell et al.'s largest R, for each pair
    (small, large): compare_with_paper(
        "snell_exchange_14x",
        Setting(f"{small} with repeated sampling against {large} ({pythia[large] / pythia[small]:.0f}x larger by the size labels), Pythia {CHECKPOINT} checkpoint",
                f"{EXCHANGE_TASK} ({f.num_problems} problems)", "coverage of the smaller model (pass@M(R), an oracle verifier) minus pass@1 of the larger",
                "equal total FLOPs (pretraining 6 N D_pre plus inference 2 N D_inf), no verifier or revision",
                f"R = {SNELL_R[-1]:g}; all problems; {EXCHANGE_SAMPLES}; size ratio from the {SIZE_LABELS[EXCHANGE_TASK]}"),
        f.difference, f.lower, f.upper)
    for (small, large, r), f in exchange_findings.items() if r == SNELL_R[-1]
}
liu_f = exchange_findings[(*EXCHANGE_PAIRS[-1], SNELL_R[-1])]  # the larger pair at Snell et al.'s largest R
liu_side = compare_with_paper(
    "liu_3b_vs_405b",
    Setting(f"{EXCHANGE_PAIRS[-1][0]} with repeated sampling against {EXCHANGE_PAIRS[-1][1]}, one sample", f"{EXCHANGE_TASK} ({liu_f.num_problems} problems)",
            f"coverage of the smaller model (pass@M(R), an oracle verifier: {liu_f.a_value:.3f}) minus pass@1 of the larger ({liu_f.b_value:.3f})",
            f"equal total FLOPs at R = {SNELL_R[-1]:g}, no verifier",
            f"M(R) = {liu_f.a.split('(')[1].split(' ')[0]} samples; {EXCHANGE_SAMPLES}; {SIZE_LABELS[EXCHANGE_TASK]}"),
    liu_f.difference, liu_f.lower, liu_f.upper)
Summary(*exchange_findings.values(), *snell_side.values(), liu_side)

# %% [markdown]
# ## The kit's own run on the same axes
#
# `OWN_SAMPLES` is a sample table made by this kit (`OWN_MODEL` on arithmetic problems) with the prompt and
# completion tokens of every sample, so its FLOPs come from the table itself (`run_flops`, `flops_at_k`)
# rather than from an assumed length. The x axis is FLOPs per problem, as above, so runs on benchmarks of
# different sizes share it; the tasks differ, so the left panel compares costs, not scores. The left panel
# counts the own run's prompt with every sample, as the Pythia curves are counted; the right panel prefills it
# once per problem and shares it across the problem's samples (how the kit samples; the table gives both costs).

# %%
if not Path(OWN_SAMPLES).exists():
    raise FileNotFoundError(
        f"{OWN_SAMPLES} not found: this section needs the kit's own sample table "
        f"(SmolLM2-135M-Instruct, data/arith_smollm2.parquet, see data/README.md); pass OWN_SAMPLES to use another"
    )
own = read_samples(OWN_SAMPLES)
own_model = get_model(OWN_MODEL)
own_counts = samples_to_counts(own)
P_OWN, N_OWN = len(own_counts), int(own_counts["num_samples"].min())
runs = {shared: run_flops(own, own_model, shared_prompt=shared, attention=ATTENTION) for shared in (True, False)}
pd.Series(
    {
        "model (registry)": own_model.name,
        "model (table)": ", ".join(map(str, own["model"].unique())) if "model" in own.columns else "not recorded",
        "problems x samples": f"{P_OWN} x {N_OWN}",
        "mean prompt tokens": own.groupby("problem_id")["num_prompt_tokens"].first().mean(),
        "mean completion tokens": own["num_completion_tokens"].mean(),
        "FLOPs, prompt shared": f"{runs[True].policy:.3g}",
        "FLOPs, prompt per sample": f"{runs[False].policy:.3g}",
        "saving from sharing": f"{1 - runs[True].policy / runs[False].policy:.1%}",
    }
)

# %% [markdown]
# Accuracy needs a selection rule: majority vote over k of the N samples of each problem, its
# expectation over all k-subsets computed exactly by `ttslib.selection.majority_vote` (answers that were
# not found do not vote; ties are split evenly). Coverage is what a perfect verifier would reach. The
# summary under the table sets the two side by side at the largest k, paired over problems.

# %%
own_k = np.unique(np.geomspace(1, N_OWN, 6).round().astype(int))
own_arrays = sample_arrays(own)  # (P, N) answers and correctness for the selection rules
own_vote = majority_vote(own_arrays.answers, own_arrays.correct, np.arange(1, N_OWN + 1))  # every k: the figure draws only measured points
majority = own_vote.accuracy  # (N,)
own_curve = coverage_curve(own_counts["num_samples"], own_counts["num_correct"], np.arange(1, N_OWN + 1), n_boot=N_BOOT, seed=SEED)
own_flops = flops_at_k(own, own_model, own_curve.k, shared_prompt=True, attention=ATTENTION) / P_OWN  # (N,) FLOPs per problem, prompt prefilled once
own_flops_whole = flops_at_k(own, own_model, own_curve.k, shared_prompt=False, attention=ATTENTION) / P_OWN  # (N,) prompt in every sample, as Pythia

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
plot_vs_flops([c.k * sample_flops.loc[m, "MATH"] for m, c in curves["MATH"].items() if m in solving["MATH"]],
              [c.coverage for m, c in curves["MATH"].items() if m in solving["MATH"]],
              labels=[f"{m} (MATH)" for m in solving["MATH"]], ax=axes[0], log_y=True)
plot_vs_flops([own_flops_whole], [own_curve.coverage], lower=[own_curve.lower], upper=[own_curve.upper],
              labels=[f"{own_model.name} (own run)"], ax=axes[0], log_y=True)
axes[0].set_title(f"coverage per FLOPs, prompt in every sample: Pythia on MATH\n({TOKENS_PER_SAMPLE['MATH']:,.0f} tokens / sample assumed), own run (measured tokens)")
axes[1].axhline(own_curve.coverage[0], color=model_color(own_model.name), ls=":", lw=1, label="pass@1 (one sample)")  # before the legend is built
plot_vs_flops([own_flops, own_flops], [own_curve.coverage, majority], labels=["coverage (oracle)", "majority vote"],
              ax=axes[1], ylabel="accuracy", marker="o", palette=[model_color(own_model.name), strategy_color("majority")])  # the run's coverage in the run's colour, as on the left
axes[1].set_title(f"own run: {own_model.name}, {P_OWN} problems,\nprompt prefilled once per problem")
figure_legend(fig, axes)
savefig(fig, "05_own_runs", directory=FIGURES_DIR)

# %%
own_rows = own_counts.set_index("problem_id").loc[own_arrays.problem_ids]  # the selection arrays' problem order
own_gap = paired_finding(pass_at_k(own_rows["num_samples"], own_rows["num_correct"], N_OWN), own_vote.at(N_OWN),
                         a="coverage (pass@k, an oracle verifier)", b="majority vote (no verifier)", quantity=f"{own_model.name} accuracy",
                         range=f"k = {N_OWN} samples per problem, the same samples")
assert abs(own_gap.a_value - own_curve.coverage[-1]) < 1e-9 and abs(own_gap.b_value - majority[-1]) < 1e-9  # the plotted ends
Summary(own_gap), pd.DataFrame({"k": own_k, "FLOPs per problem, prompt once": own_flops[own_k - 1], "coverage": own_curve.coverage[own_k - 1],
                                "majority vote": majority[own_k - 1]}).round(4)

# %% [markdown]
# ## The kit's two models at equal FLOPs: SmolLM2-135M against Gemma 3 270M
#
# The same problems sampled by the kit's two embedded models on two tasks (`TWO_MODELS`): the arithmetic
# set and HumanEval (graded by the hidden tests). The two runs of a task differ in more than the parameter
# count; the first summary lists, from the tables, the registry and each run's `run.json`, in what.
# Every sample's FLOPs come from its own token counts. For each budget k of the larger model,
# `ttslib.exchange.equal_flops_exchange` gives the smaller one as many samples as fit in the same FLOPs per
# problem, and compares the two per problem (paired; pretraining compute is not counted here): by coverage
# (pass@k, an oracle verifier) on both tasks, and by majority vote (no verifier) on arithmetic, whose answers
# are numbers (HumanEval's are programs, which do not vote). `capped` marks budgets where the smaller model
# has run out of samples before its FLOPs: a comparison there is not one at equal FLOPs, so capped budgets
# are listed and not judged. The prompt is counted two ways: prefilled once per problem and shared by its
# samples through the KV cache (how the kit samples), or once per sample (a server without prefix caching).
# The uncapped comparisons of one task (both prompt counts, both rules) form one Holm family.

# %%
two = {task: {m: read_samples(path) for m, path in tables.items()} for task, tables in TWO_MODELS.items()}
manifests = {task: {m: json.loads(Path(path).with_suffix(".run.json").read_text()) if Path(path).with_suffix(".run.json").exists() else None
                    for m, path in tables.items()} for task, tables in TWO_MODELS.items()}
described = {task: describe_runs({m: (t, m, manifests[task][m]) for m, t in by.items()}) for task, by in two.items()}
two_table = pd.DataFrame(
    {(task, m): {"problems": t["problem_id"].nunique(), "samples per problem": int(t.groupby("problem_id").size().min()),
                 "mean prompt tokens": t.groupby("problem_id")["num_prompt_tokens"].first().mean(),
                 "FLOPs per sample": float(np.diff(flops_at_k(t, m, [1, 2], attention=ATTENTION))[0]) / t["problem_id"].nunique(),
                 "pass@1": t["is_correct"].mean()}
     for task, by in two.items() for m, t in by.items()}
).T.join(pd.concat(described))
Summary(*[f"{task} ({two_table.loc[task, 'problems'].iloc[0]:.0f} problems x {two_table.loc[task, 'samples per problem'].iloc[0]:.0f} samples): "
          + run_differences(*(d.loc[m] for m in TWO_MODELS[task])) for task, d in described.items()]), two_table

# %%
two_exchange = pd.concat(
    {(task, rule, "shared" if shared else "per sample"): equal_flops_exchange(
        by["SmolLM2-135M"], by["gemma-3-270m"], "SmolLM2-135M", "gemma-3-270m",
        log2_budgets(int(by["gemma-3-270m"].groupby("problem_id").size().min())), attention=ATTENTION, shared_prompt=shared, selection=rule)
     for task, by in two.items() for rule in (("coverage", "majority") if task == "arithmetic" else ("coverage",)) for shared in (True, False)},
    names=["task", "selection", "prompt prefill", "row"],
).droplevel("row").set_index("k_large", append=True)
two_findings = {}  # task -> {(selection, prefill, k_large): finding}, uncapped budgets only, one Holm family per task
for task in two:
    rows = two_exchange.loc[task]
    uncapped = rows[~rows["capped"]]
    two_findings[task] = dict(zip(uncapped.index, family(list(uncapped["finding"]))))
holm_verdict = {(task, *key): f.verdict for task, fs in two_findings.items() for key, f in fs.items()}
two_exchange.assign(**{"verdict (Holm)": [holm_verdict.get(key, "capped: not judged") for key in two_exchange.index]}).drop(
    columns=["finding", "verdict"]).round(4)

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for ax, (task, by) in zip(axes, two.items()):
    for m, t in by.items():
        c = samples_to_counts(t)
        curve = coverage_curve(c["num_samples"], c["num_correct"], np.arange(1, int(c["num_samples"].min()) + 1), n_boot=N_BOOT, seed=SEED)
        plot_vs_flops([flops_at_k(t, m, curve.k, shared_prompt=True, attention=ATTENTION) / len(c)], [curve.coverage], lower=[curve.lower],
                      upper=[curve.upper], labels=[described[task].loc[m, "model"]], ax=ax, palette=[model_color(m)])
    ax.set_title(f"{task}: coverage against FLOPs per problem,\nprompt prefilled once per problem")
figure_legend(fig, axes)  # one colour per model, as in every notebook
savefig(fig, "05_two_models", directory=FIGURES_DIR)

# %% [markdown]
# ### What the two models show
#
# Per task: how the runs differ, then every uncapped comparison (its quantity, budgets, prompt count and
# Holm-adjusted verdict), then the capped budgets that were not judged.

# %%
capped_rows = two_exchange[two_exchange["capped"]]
two_summary = Summary(*[line for task in two for line in (
    f"{task}: " + run_differences(*(described[task].loc[m] for m in TWO_MODELS[task])),
    *two_findings[task].values(),
    f"{task}, not judged (capped: the smaller model's {two_table.loc[(task, 'SmolLM2-135M'), 'samples per problem']:.0f} samples cost less "
    f"than the budget): " + (", ".join(f"{sel}, prompt {pre}, {k} samples of the larger" for (t, sel, pre, k) in capped_rows.index if t == task)
                             or "none") + ".")])
for task, fs in two_findings.items():  # the rows the table shows are the findings the summary prints
    rows = two_exchange.loc[task].loc[list(fs)]
    assert np.allclose(rows["difference"], [f.difference for f in fs.values()]) and (rows["verdict"] == [f.unadjusted_verdict for f in fs.values()]).all()
two_summary

# %% [markdown]
# ## Dollars, seconds and memory traffic: what FLOPs leave out
#
# A user pays in dollars and waits in seconds. A token's time depends on the bytes it moves as well as
# on its FLOPs. Each decoding step of a batch reads the model's weights once, and every sample reads the
# KV cache of the tokens it attends to (`ttslib.cost`, in the form of Kinetics, Sadhukhan et al. 2025,
# arXiv:2506.05333). On named hardware (`ttslib/hardware.csv`: datasheet rows with their sources, and
# this machine's measured rates) a step takes the longer of its FLOPs over the peak rate and its bytes
# over the bandwidth: a roofline. Kinetics instead adds the KV cache's bytes to the FLOPs at the hardware's
# ratio of peak FLOP/s to bandwidth, leaving the weights' read out (eFLOPs). Dollars come in two scenarios:
#
# - an API, at the per-token prices of genai-prices' packaged data for `PRICES_AS_OF` (the version is
#   pinned in `requirements.lock`; nothing is fetched);
# - a rented accelerator at a stated price per hour (`GPU`), over the roofline's seconds.
#
# The first table recomputes Large Language Monkeys' price comparison from the inputs the paper prints.

# %%
monkeys = pd.DataFrame([{"model": paper_result(key).setting.model, "cost per attempt ($)": paper_result(key).value, "attempts": attempts,
                         "solved (%)": solved_pct, "printed total ($)": printed} for key, (attempts, solved_pct, printed) in MONKEYS_TABLE1.items()])
several = monkeys["attempts"] > 1  # solved by any of its attempts, as the hidden tests pick (coverage), against one attempt
monkeys["total ($)"] = monkeys["cost per attempt ($)"] * monkeys["attempts"] * SWE_LITE_ISSUES
monkeys["relative total"] = monkeys["total ($)"] / monkeys["total ($)"].min()
monkeys["per solved issue ($)"] = monkeys["total ($)"] / (monkeys["solved (%)"] / 100 * SWE_LITE_ISSUES)
assert np.allclose(monkeys["total ($)"], monkeys["printed total ($)"], rtol=0.01)  # the paper's totals, from its per-attempt costs
cheapest_row = monkeys.loc[monkeys["total ($)"].idxmin()]
Summary(
    f"{paper_result(next(iter(MONKEYS_TABLE1))).citation}, SWE-bench Lite ({SWE_LITE_ISSUES} issues): the paper gives a cost per attempt and "
    "no per-token prices, token counts or pricing date, so this recomputes its totals from those costs only. "
    + "; ".join(f"{r['model']}: {r['attempts']} attempt(s) at ${r['cost per attempt ($)']:g}, "
                + (f"{r['solved (%)']:.2f}% solved by any of them (the hidden tests pick the right one: coverage)" if many
                   else f"{r['solved (%)']:.2f}% solved") + f", ${r['total ($)']:.1f} in all ({r['relative total']:.1f}x the cheapest), "
                f"${r['per solved issue ($)']:.3f} per issue solved" for (_, r), many in zip(monkeys.iterrows(), several)) + ".",
    f"{cheapest_row['model']} is the cheapest in total and per issue solved; the cost per issue solved is this notebook's derivation "
    f"(the total over the printed share of the {SWE_LITE_ISSUES} issues); it counts an issue solved when any of the attempts is, for the "
    f"one-attempt rows when their one attempt is. The paper prints no interval for these rows.",
), monkeys.round(4)

# %% [markdown]
# ### Seconds per token on the roofline
#
# One decoding step at context position `ROOFLINE_POSITION`, at batch 1 and at batch `ROOFLINE_BATCH`, for
# the kit's two models and two Pythia sizes, with BF16 weights and cache, on each row of the hardware table (the
# `this-machine` row's peak is a measured FP32 rate). "memory" marks a step
# whose bytes take longer than its FLOPs. A batch here is the samples of one problem, sharing its prompt's
# cache. At batch 1 every model here is memory-bound on every row; batching shares the weights' read, until
# the FLOPs take longer.

# %%
roofline_rows = []
for hw in HARDWARE.values():
    for m in ("SmolLM2-135M", "gemma-3-270m", "pythia-1b", "pythia-12b"):
        for b in (1, ROOFLINE_BATCH):
            pre, step = shard_traffic(m, [([1] * b, ROOFLINE_POSITION - 1)])
            sec = float(step_seconds(step, hw)[0])
            roofline_rows.append({"hardware": hw.name, "model": m, "batch": b, "ms per step": 1e3 * sec, "tokens per second": b / sec,
                                  "bound": "memory" if step.total_bytes / hw.bandwidth > step.total_flops / hw.peak_flops else "compute"})
roofline = pd.DataFrame(roofline_rows).set_index(["hardware", "model", "batch"])
assert (roofline.xs(1, level="batch")["bound"] == "memory").all()  # "at batch 1 every model here is memory-bound"
Summary(*[f"{h.name}: {h.source} (ridge at {h.intensity:.1f} FLOPs per byte)." for h in HARDWARE.values()]), roofline.round(2)

# %% [markdown]
# ### The roofline against this machine's measured time
#
# `TIMING_RUN` is a small run of the embedded backend (SmolLM2-135M-Instruct, quantised weights) on this
# machine. Its `run.json` records each shard's wall time among its facts (`docs/runs.md`). The roofline
# predicts the same shards from their token counts on the `this-machine` row: the shard's problems
# decoded in the batches the backend ran (as many problems as its `batch_seqs` holds samples of), the weights read at the bytes of the run's GGUF file (`Q4_1`, its scales and any tensors
# kept wider included) and a KV cache of two bytes an element. It does the work the backend recorded doing:
# its own count of the tokens it decoded (a cached prompt prefix once, no sample's last token) is among the
# facts.
# The ratio of measured to predicted time says how much of the measured time the model explains.

# %%
timing = read_samples(TIMING_RUN)
timing_facts = json.loads(Path(TIMING_RUN).with_suffix(".run.json").read_text())["facts"]
timing_manifest = json.loads(Path(TIMING_RUN).with_suffix(".run.json").read_text())
q4 = Precision(weights=timing_manifest["backend_settings"]["model_bytes"] / get_model("SmolLM2-135M").params, kv=2.0)  # the GGUF's bytes a weight
writer = timing_facts["writers"][-1]
batch = max(1, timing_manifest["backend_settings"]["batch_seqs"] // timing_manifest["sampling"]["n"])  # problems a batch, as the backend ran them
shards = shard_predictions(timing, timing_facts, "SmolLM2-135M", "this-machine", precision=q4, problems_per_batch=batch)
ratio = shards["measured s"].sum() / shards["predicted s"].sum()
compute_share = shards["compute-bound s"].sum() / shards["predicted s"].sum()
Summary(
    f"{len(shards)} shards ({timing['problem_id'].nunique()} problems x {timing.groupby('problem_id').size().iloc[0]} samples in all), "
    f"{int(timing['num_completion_tokens'].sum()):,} tokens, measured on {writer['cpu']} ({writer['cores']} cores; llama.cpp threads: {writer['threads']}): "
    f"{shards['measured s'].sum():.2f} s in all against {shards['predicted s'].sum():.3f} s on the roofline, {ratio:.1f} times "
    f"(per shard {shards['measured / predicted'].min():.1f} to {shards['measured / predicted'].max():.1f}).",
    f"The prediction does the work the backend counted: {int(shards['backend decoded'].sum()):,} tokens decoded, of which "
    f"{int(shards['prompt tokens decoded'].sum()):,} prompt tokens (the few-shot prefix once a shard) and each sample's tokens but its "
    f"last. What it is made of: the prompts' prefill is {shards['prefill s'].sum():.1f} s of it, and "
    f"{int(shards['compute-bound steps'].sum())} of {int(shards['steps'].sum())} decoding steps are bound by FLOPs; the steps and prefills "
    f"bound by FLOPs are {compute_share:.0%} of the predicted time. "
    + ("So the prediction is mostly FLOPs over the FP32 matrix-product rate." if compute_share > 0.5
       else "So the prediction is mostly bytes over the copy rate.")
    + " The measured time also holds what the roofline leaves out: the quantised kernels' own rate, sampling and grading in "
    "Python, tokenising the prompts, and each step's fixed overhead. This run does not measure their shares, so what makes up "
    "the rest of the measured time is not known here.",
), shards.round(3)

# %% [markdown]
# ### A search waits on its steps
#
# A search samples one step of each partial solution, scores the steps, and only then samples the next: its
# steps run one after another, each a batch of the children it expands. Its time is the sum of its steps' batch
# times (`ttslib.cost.search_seconds`, from the steps each search table records in `search_rounds`: what was
# prefilled, which children were decoded together after which context). Sampling at the same N decodes its N
# samples as one batch. Each run of `SEARCH_LATENCY` (the chain problems, SmolLM2-135M, the free noisy
# verifier) is set against `LATENCY_POOL`'s samples of the same problems by the same model: N of them drawn as one
# batch (expected over the N-subsets, exactly), the same prompt. Both are costed on the `GPU` row's roofline
# in BF16, one problem at a time, each prefilling its whole prompt and reading its prompt's KV once a decoding
# step for all its samples or partial solutions (each partial solution reads the rest of its own context). A
# sampling batch lasts as long as its longest sample; a search step lasts as long as its longest child, and the
# steps add up. The comparison is at equal N, not at equal accuracy: the summary gives each side's accuracy. "At the sampling rate" is the search's tokens at the tokens per second of the
# sampling batch of that problem: what dividing tokens by a throughput would predict. The finding compares
# the seconds per problem of the two, paired over problems (Holm over the runs).
#
# Measured time. The REBASE run's `run.json` holds each shard's measured time on this machine (one problem a
# shard). Its roofline on the `this-machine` row, with the weights at the GGUF file's bytes as in the timing
# check above, is set beside it. Its first writer ran one llama.cpp thread beside other runs (data/README.md), so
# those shards' time includes waiting for a core and a thread count unlike the rate's; the shards its last writer
# made alone with the timing check's threads come closest to the timing check's conditions. They are not alike in
# all: the work differs (search steps against 10-token samples), and the two predictions are built differently
# (the timing check's from the backend's own counts in its batches; the search's from its recorded steps, each
# pass one batch). The gap between the two ratios is therefore not a measured overhead of search.

# %%
def expected_longest(lengths, n: int) -> float:
    """The expected longest of n samples drawn without replacement from a problem's pool of ``lengths``: the
    k-th shortest is the longest of the n with probability C(k - 1, n - 1) / C(N, n)."""
    m = np.sort(np.asarray(lengths, dtype=float))
    weights = np.array([math.comb(k - 1, n - 1) for k in range(1, m.size + 1)], dtype=float) / math.comb(m.size, n)
    return float(weights @ m)


lat_hw = get_hardware(GPU[0])
latency_pool = read_samples(LATENCY_POOL).assign(problem_id=lambda d: d["problem_id"].astype(str))
lat_rows, lat_pairs = [], {}
for label, path in SEARCH_LATENCY.items():
    run = read_samples(path).assign(problem_id=lambda d: d["problem_id"].astype(str))
    n = int(run["n"].iloc[0])
    per = run.groupby("problem_id", sort=True).first()
    pool_by = latency_pool[latency_pool["problem_id"].isin(per.index)].groupby("problem_id", sort=True)
    assert list(pool_by.groups) == list(per.index), f"{LATENCY_POOL} lacks problems of {path}"
    searched = np.array([search_seconds(r, "SmolLM2-135M", lat_hw, prompt_tokens=int(p))  # the whole prompt, as sampling's
                         for r, p in zip(per["search_rounds"], per["num_prompt_tokens"])])
    sampled = np.array([expected_batch_seconds("SmolLM2-135M", g["num_completion_tokens"], int(g["num_prompt_tokens"].iloc[0]), n, lat_hw)
                        for _, g in pool_by])
    sample_tokens = n * pool_by["num_completion_tokens"].mean().to_numpy()
    search_tokens = per["search_generated_tokens"].to_numpy(dtype=float)
    at_rate = search_tokens * sampled / sample_tokens  # the search's tokens at the sampling batch's tokens per second
    steps = np.array([len(json.loads(r)) for r in per["search_rounds"]])
    path = np.array([sum(max((max(kids) for _, kids in level), default=0) for step in json.loads(r) for level in step["decode"])
                     for r in per["search_rounds"]])  # decoding steps on the search's critical path: each pass lasts its longest child
    longest = np.array([expected_longest(g["num_completion_tokens"], n) for _, g in pool_by])  # a sampling batch lasts its longest sample
    name = f"{label} at N = {n}"
    lat_pairs[name] = (searched, sampled, f"sampling at N = {n}")
    lat_rows.append({"run": name, "problems": len(per), "some candidate right (search)": run.groupby("problem_id")["is_correct"].any().mean(),
                     "pass@N (sampling)": float(pass_at_k(pool_by.size(), pool_by["is_correct"].sum(), n).mean()),
                     "steps a problem (median)": float(np.median(steps)),
                     "decoding steps on the path (search)": path.mean(), "decoding steps on the path (sampling)": longest.mean(),
                     "search tokens a problem": search_tokens.mean(), "sampling tokens a problem": sample_tokens.mean(),
                     "search s (roofline)": searched.mean(), "sampling s (roofline)": sampled.mean(),
                     "search s at the sampling rate": at_rate.mean(), "search / sampling s": searched.mean() / sampled.mean()})
latency_table = pd.DataFrame(lat_rows).set_index("run")
lat_findings = family([paired_finding(1e3 * a, 1e3 * b, a=name, b=other, quantity=f"roofline milliseconds per problem on {lat_hw.name}",
                                      range=f"chain problems, SmolLM2-135M, BF16, equal N", words=("slower", "faster"))
                       for name, (a, b, other) in lat_pairs.items()])

rebase_path = Path(SEARCH_LATENCY["REBASE"])
rebase_json = json.loads(rebase_path.with_suffix(".run.json").read_text())
rebase_q4 = Precision(weights=rebase_json["backend_settings"]["model_bytes"] / get_model("SmolLM2-135M").params, kv=2.0)
rebase_run = read_samples(rebase_path)
order = list(pd.unique(rebase_run["problem_id"]))  # shard i holds the run's i-th problem (one a shard)
rounds_of = rebase_run.groupby("problem_id")["search_rounds"].first()
measured = pd.DataFrame([{"shard": k, "measured s": f["seconds"], "problems": f["problems"], "writer": f["writer"],
                          "predicted s": search_seconds(rounds_of[order[int(Path(k).stem)]], "SmolLM2-135M", "this-machine",
                                                        precision=rebase_q4)}
                         for k, f in sorted(rebase_json["facts"]["shards"].items())]).set_index("shard")
assert (measured["problems"] == 1).all()
assert timing_manifest["sampling"]["max_tokens"] == 10  # "10-token samples": the timing check's length limit
search_ratio = measured["measured s"].sum() / measured["predicted s"].sum()
alone = [i for i, w in enumerate(rebase_json["facts"]["writers"]) if w["threads"] == timing_facts["writers"][-1]["threads"]]
like = measured[measured["writer"].isin(alone)]  # the shards made as the timing check ran: its threads, no other run beside
like_ratio = like["measured s"].sum() / like["predicted s"].sum()
Summary(
    *[f.sentence(decimals=2) for f in lat_findings],
    *[f"{name}: {1e3 * r['search s (roofline)']:.3g} ms a problem on the roofline against sampling's {1e3 * r['sampling s (roofline)']:.3g} ms "
      f"(same N, same problems), {r['search / sampling s']:.2f} times, for "
      f"{r['search tokens a problem'] / r['sampling tokens a problem']:.2f} times its tokens; at sampling's tokens per second "
      f"its tokens would take {1e3 * r['search s at the sampling rate']:.3g} ms. Its critical path holds "
      f"{r['decoding steps on the path (search)']:.1f} decoding steps a problem (its steps, median {r['steps a problem (median)']:g}, each "
      f"as long as its longest child) against sampling's {r['decoding steps on the path (sampling)']:.1f} (its longest sample); each "
      "decoding step reads the weights once."
      for name, r in latency_table.iterrows()],
    f"Measured: the REBASE run took {measured['measured s'].sum():,.0f} s on this machine over {len(measured)} problems "
    f"(its writers ran {' then '.join(str(w['threads']) for w in rebase_json['facts']['writers'])} llama.cpp thread(s)), "
    f"{search_ratio:.1f} times its roofline on the this-machine row "
    f"(per problem {(measured['measured s'] / measured['predicted s']).min():.1f} to {(measured['measured s'] / measured['predicted s']).max():.1f}); "
    f"the sampling run of the timing check above: {ratio:.1f} times. Its {len(like)} shards made with the timing check's "
    f"{timing_facts['writers'][-1]['threads']} threads (the run's last writer, alone on the machine): {like_ratio:.1f} times "
    f"(median per problem {(like['measured s'] / like['predicted s']).median():.1f}).",
    *[f"{name}: at equal N the search found a right candidate on {r['some candidate right (search)']:.3f} of the problems, sampling "
      f"(pass@N, an oracle over N samples) on {r['pass@N (sampling)']:.3f}: the seconds compare the two at equal N, not at equal accuracy."
      for name, r in latency_table.iterrows()],
), latency_table.round(3)

# %% [markdown]
# ### The kit's runs per solved problem, in dollars
#
# Each sample table of `TWO_MODELS`, costed from its own token counts under the two scenarios, at one
# sample and at the most the table has. The API scenario prices the tokens at `API` (an open 1B model, larger
# than either kit model: what these tokens, counted by the kit models' own tokenizers, would cost there; each
# sample is one request, since that provider serves one completion a request, so its prompt is billed with
# every sample). The prices' date is what the data give: the summary says whether this model's price has one. The rented-GPU scenario runs the
# table's own model in BF16 at the stated price, one problem at a time, its samples as one batch (expected over
# the n-subsets of its samples, exactly). Cost per solved problem is the total cost over the expected number of
# problems solved (coverage, pass@n: an oracle picks the right sample). Its interval is a bootstrap over
# problems, at the level the table names.

# %%
LEVEL = 0.95
ORACLE = Strategy("oracle")  # coverage, pass@n: an oracle picks a right sample
as_of = dt.date.fromisoformat(PRICES_AS_OF)
api = Scenario(f"API: {API[1]} at {API[0]}", ApiPrice(API[0], API[1], as_of))
gpu = Scenario(f"rented {GPU[0]} at ${GPU[1]:g}/h", SelfHosted(GPU[0], GPU[1]), "SmolLM2-135M")
dollar_rows = []
for task, by in two.items():
    for m, t in by.items():
        arrays = pool_arrays(t)
        ns = [1, int(arrays.shape[1])]
        drawn_res = pool_strategies(arrays, verifiers=[], ns=ns)  # the oracle's selection at n: coverage, pass@n
        for scenario in (api, Scenario(gpu.name, gpu.price, m)):
            priced = scenario_costs(drawn_res, arrays, scenario)
            for j, n in enumerate(ns):
                dollars, solved = priced.cost(ORACLE, "dollars")[:, j], priced[ORACLE].at(n)
                est, lo, hi = per_solved(dollars, solved, n_boot=N_BOOT, level=LEVEL, seed=SEED)
                dollar_rows.append({"task": task, "model": m, "scenario": scenario.name, "n": n, "coverage": solved.mean(),
                                    "$ per problem": dollars.mean(), "$ per solved problem": est,
                                    f"{LEVEL:.0%} interval": f"[{lo:.3g}, {hi:.3g}]"})
dollars_table = pd.DataFrame(dollar_rows).set_index(["task", "model", "scenario", "n"])
Summary(f"Prices: {api.source}; a price in these data is no sign the model is still served on that date. Rented GPU: ${GPU[1]:g} an hour, {GPU_SOURCE}, applied to the {gpu.price.hardware.name} row of the "
        "hardware table (an assumption: set yours; a PCIe card's lower bandwidth and peak would raise the seconds), on its datasheet "
        "roofline, which no real server reaches.",
        *[f"{task}, {m}: at n = 1 and n = {int(g.index.get_level_values('n').max())}, "
          + "; ".join(f"{sc}: ${r['$ per solved problem']:.3g} per solved problem {r[f'{LEVEL:.0%} interval']} at n = {n}"
                      for (sc, n), r in g.droplevel([0, 1]).iterrows())
          for (task, m), g in dollars_table.groupby(level=[0, 1], sort=False)]), dollars_table.map(lambda v: f"{v:.3g}" if isinstance(v, float) else v)

# %% [markdown]
# ### Does the cheapest size change when memory is counted?
#
# The iso-FLOPs frontier above, recomputed with the cost of k samples on `MEMORY_HARDWARE` as roofline seconds
# and as Kinetics' eFLOPs (`ttslib.cost.equal_length_cost`: the k samples of a problem decoded as one batch at
# the task's assumed length, prompt in every sample, BF16). Each table row is a coverage target; each column
# names the cheapest size by one cost. Point estimates on all problems, with no interval. Memory capacity is not
# modelled: a large k may need more KV cache than one accelerator holds. The second table asks the
# same of the kit's two models (`TWO_MODELS`), each sample costed at its own length, at the coverage targets
# of `KIT_TARGETS` that both models reach.

# %%
mem_hw = get_hardware(MEMORY_HARDWARE)
by_cost = {}
for task, by_size in dense.items():
    T = int(TOKENS_PER_SAMPLE[task])
    priced = {m: equal_length_cost(m, np.arange(1, cov.size + 1), T, 0, mem_hw, attention=ATTENTION) for m, cov in by_size.items()}
    for unit in ("flops", "seconds", "eflops"):
        table = iso_flops_frontier({m: (np.arange(1, cov.size + 1), priced[m][unit], cov) for m, cov in by_size.items()}, TARGETS)
        by_cost[task, unit] = table[table["cheapest"]].drop_duplicates("target").set_index("target")["model"]
assert all(by_cost[task, "flops"].equals(split_cheapest[task, 0]["model"]) for task in dense)  # by FLOPs: the frontier above
ranking = pd.DataFrame({(task, unit): s for (task, unit), s in by_cost.items()}).reindex(TARGETS)
split_moved = {}  # with p of the assumed tokens a prompt prefilled once per problem: how many targets move, by seconds
costlier = {}  # seconds of the size FLOPs would choose over the seconds of the size seconds choose, at each target reached
for task, by_size in dense.items():
    T = int(TOKENS_PER_SAMPLE[task])
    for p_split in PROMPT_SPLITS:
        priced_p = {m: equal_length_cost(m, np.arange(1, cov.size + 1), T - p_split, p_split, mem_hw, attention=ATTENTION)
                    for m, cov in by_size.items()}
        frontier_p = {u: iso_flops_frontier({m: (np.arange(1, cov.size + 1), priced_p[m][u], cov) for m, cov in by_size.items()}, TARGETS)
                      for u in ("flops", "seconds")}
        picks = {u: t[t["cheapest"]].drop_duplicates("target").set_index("target")["model"] for u, t in frontier_p.items()}
        split_moved[task, p_split] = int((picks["seconds"] != picks["flops"].reindex(picks["seconds"].index)).sum())
        if p_split == 0:
            for u in ("seconds", "eflops"):  # the cost, by u, of the size FLOPs pick over that of the size u picks
                by_u = iso_flops_frontier({m: (np.arange(1, cov.size + 1), priced_p[m][u], cov) for m, cov in by_size.items()}, TARGETS)
                pick_u = by_u[by_u["cheapest"]].drop_duplicates("target").set_index("target")["model"]
                reach_u = by_u.pivot_table(index="target", columns="model", values="flops")  # cost in u to reach, per size
                costlier[task, u] = pd.Series({t: reach_u.loc[t, picks["flops"][t]] / reach_u.loc[t, pick_u[t]] for t in pick_u.index})
assert all(split_moved[task, 0] == int((ranking[task, "seconds"] != ranking[task, "flops"])[ranking[task, "flops"].notna()].sum())
           for task in dense)  # p = 0 is the table's
two_reach = {task: pd.Series({t: sum(cov.max() >= t for cov in by_size.values()) >= 2 for t in TARGETS}) for task, by_size in dense.items()}
reached_t = {task: ranking[task, "flops"].notna() & two_reach[task] for task in dense}  # targets two sizes or more reach: a pick can differ
moved = {task: int((ranking[task, "seconds"] != ranking[task, "flops"])[reached_t[task]].sum()) for task in dense}
moved_e = {task: int((ranking[task, "eflops"] != ranking[task, "flops"])[reached_t[task]].sum()) for task in dense}
assert all((ranking[task, u].notna() == ranking[task, "flops"].notna()).all() for task in dense for u in ("seconds", "eflops"))
kit_rank = {}  # the kit's two models: which reaches each coverage first, by FLOPs and by roofline seconds (each sample at its length)
for task, by in two.items():
    curves = {}
    for m, t in by.items():
        arrays = pool_arrays(t)
        ks = np.arange(1, arrays.shape[1] + 1)
        timed = scenario_costs(pool_strategies(arrays, verifiers=[], ns=ks, model=m, attention=ATTENTION), arrays,
                               Scenario(MEMORY_HARDWARE, SelfHosted(mem_hw, GPU[1]), m))
        curves[m] = (ks, timed.cost(ORACLE, "flops").mean(0), timed.cost(ORACLE, "seconds").mean(0), timed[ORACLE].accuracy)
    reached = [g for g in KIT_TARGETS if sum(c[3].max() >= g for c in curves.values()) == 2]  # targets both models reach
    for unit, j in (("flops", 1), ("seconds", 2)):
        table = iso_flops_frontier({m: (c[0], c[j], c[3]) for m, c in curves.items()}, reached)
        kit_rank[task, unit] = table[table["cheapest"]].drop_duplicates("target").set_index("target")["model"]
kit_ranking = pd.DataFrame({key: s for key, s in kit_rank.items()})
kit_lines = [f"The kit's two models, {task} (each sample at its own length, its problem's samples as one batch on {mem_hw.name}; point "
             f"estimates on all problems, no interval; the two models' paired comparisons at equal FLOPs above are not shown at "
             f"{sum(f.verdict == 'not shown' for f in two_findings[task].values())} of their {len(two_findings[task])}): the model "
             f"that reaches a coverage target with fewer roofline seconds differs from the one with fewer FLOPs at "
             f"{int((kit_rank[task, 'seconds'] != kit_rank[task, 'flops']).sum())} of {len(kit_rank[task, 'flops'])} targets both reach "
             f"({', '.join(f'{g:g}' for g in kit_rank[task, 'flops'].index)})."
             for task in two]
Summary(*[f"{task} ({ASSUMED_LENGTH[task]}; {SIZE_LABELS[task]}; point estimates on all problems, no interval): the cheapest size by "
          f"roofline seconds on {mem_hw.name} (weights and KV cache read) differs from the cheapest by FLOPs at {moved[task]} of the "
          f"{int(reached_t[task].sum())} targets two sizes or more reach; by Kinetics' eFLOPs (the KV cache's bytes only) at {moved_e[task]}."
          for task in dense],
        *kit_lines,
        *[f"{task}, with p of the {TOKENS_PER_SAMPLE[task]:,.0f} assumed tokens a prompt prefilled once per problem: the cheapest size by "
          f"seconds differs from the cheapest by FLOPs (at the same p) at " + ", ".join(f"{split_moved[task, q]} targets at p = {q:,}" for q in PROMPT_SPLITS)
          + "; the count moves with an assumption the counts cannot check." for task in dense],
        compare_with_paper("kinetics_compute_optimal_3x",
                           Setting(f"Pythia sizes (rows as labelled), {mem_hw.name} roofline", f"MATH and GSM8K counts ({', '.join(dense)})",
                                   "which size is cheapest to reach a coverage, by FLOPs against by memory-inclusive cost",
                                   "iso-cost frontier by FLOPs, by roofline seconds (weights and KV read) and by eFLOPs (KV bytes only, "
                                   "as Kinetics); k samples as one batch at an assumed length; point estimates",
                                   "coverage targets " + ", ".join(f"{t:g}" for t in TARGETS) + " with the prompt in every sample (p = 0); "
                                   "the quantity here: eFLOPs of the size FLOPs pick over the eFLOPs of the size eFLOPs pick, the largest "
                                   "over the targets of both tasks (a point estimate)"),
                           max(costlier[task, "eflops"].max() for task in dense)),
        f"By roofline seconds instead (the weights' read counted, which Kinetics leaves out), the FLOPs pick costs up to "
        + ", ".join(f"{costlier[task, 'seconds'].max():.2f} times ({task}, at coverage {costlier[task, 'seconds'].idxmax():g})" for task in dense)
        + " the seconds of the seconds pick, each from one target, p = 0, a point estimate with no interval; the disagreement "
        "counts above move with p."), ranking.fillna(""), kit_ranking.fillna("")

# %% [markdown]
# ## What this shows
#
# The notebook's findings, rendered from the records above: the frontier (FLOPs to a coverage target,
# cheapest model against the runner-up), the exchange with pretraining on the Pythia data and the papers'
# side of it, the kit's own run (coverage against majority vote), the kit's two models at equal
# inference FLOPs, what seconds and dollars change, and how long a search waits on its steps.

# %%
two_groups = {(task, sel, pre): [f for key, f in fs.items() if key[:2] == (sel, pre)]
              for task, fs in two_findings.items() for sel, pre, _ in fs}
count_verdict = lambda fs, v: sum(f.verdict == v for f in fs)  # noqa: E731
powered = lambda fs: [f for f in fs if f.verdict == "not shown" and not f.censored and not f.few_differ and f.num_differ != 0]  # noqa: E731  a power statement holds
censored = lambda fs: [f for f in fs if f.verdict == "not shown" and f.censored]  # noqa: E731  resamples set by a rule: no power stated
power_note = lambda fs, unit="": ((f"; the largest difference detectable at 80% power among those not shown: "  # noqa: E731
                                   f"{max(f.detectable for f in powered(fs)):.3f}{unit}" if powered(fs) else "")
                         + (f"; {len(censored(fs))} not shown with resamples in which a model did not reach the target within its "
                            f"samples (no power stated)" if censored(fs) else "")
                         + (f"; {count_verdict(fs, 'not shown') - len(powered(fs)) - len(censored(fs))} not shown with too few problems "
                            f"differing for a power statement" if count_verdict(fs, "not shown") > len(powered(fs)) + len(censored(fs)) else ""))
unreached = {task: [t for t in TARGETS if t not in fs] for task, fs in frontier_findings.items()}
Summary(
    *[f"Frontier, {task} (coverage, pass@k: an oracle; {ASSUMED_LENGTH[task]}; {SIZE_LABELS[task]}; cheapest and runner-up picked on the problems they are "
      f"compared on): {' / '.join(dict.fromkeys(f.a for f in fs.values()))} needs fewer FLOPs than the "
      f"runner-up at {count_verdict(fs.values(), 'ahead')} of {len(fs)} coverage targets ({min(fs):g} to {max(fs):g}; paired bootstrap "
      f"over problems, Holm over the {len(fs)}), not shown at {count_verdict(fs.values(), 'not shown')}{power_note(list(fs.values()), ' log10 FLOPs')}."
      + (f" Targets {', '.join(f'{t:g}' for t in unreached[task])}: reached by fewer than two sizes within their samples." if unreached[task] else "")
      for task, fs in frontier_findings.items()],
    *split_lines,
    *[f"Exchange with pretraining ({EXCHANGE_TASK} coverage, pass@k: an oracle, of the small model at M(R) samples against pass@1 of "
      f"the large, Holm over {len(exchange_findings)}; {EXCHANGE_SAMPLES}; {SIZE_LABELS[EXCHANGE_TASK]}): {small} against {large}: "
      + "; ".join(f"R = {r:g}: {f.interval()} {f.verdict}" for (s, l, r), f in exchange_findings.items() if (s, l) == (small, large)) + "."
      for small, large in EXCHANGE_PAIRS],
    *snell_side.values(),
    own_gap,
    *[f"Two models, {task} ({SELECTIONS[sel]}, {fs[0].range}): of {len(fs)} uncapped budgets of {described[task].loc['gemma-3-270m', 'model']}, {described[task].loc['SmolLM2-135M', 'model']} is "
      f"ahead at {count_verdict(fs, 'ahead')}, behind at {count_verdict(fs, 'behind')}, not shown at {count_verdict(fs, 'not shown')} "
      f"(Holm over the task's {len(two_findings[task])}){power_note(fs)}."
      for (task, sel, pre), fs in two_groups.items()],
    *[f"Two models, {task}: " + run_differences(*(described[task].loc[m] for m in TWO_MODELS[task])) for task in described],
    f"Cost: Large Language Monkeys' SWE-bench Lite totals recomputed from the paper's per-attempt costs ({', '.join(f'{m} ${t:.1f}' for m, t in zip(monkeys['model'], monkeys['total ($)']))}); "
    f"the embedded backend took {ratio:.1f} times the roofline's time on this machine (a prediction {compute_share:.0%} FLOPs over "
    "an FP32 matrix-product rate); cost per solved problem at the most samples (the API: the data's one undated price for a model "
    "that may no longer be served; the GPU: roofline seconds, a lower bound no server reaches; intervals over problems only): "
    + "; ".join(f"{task}, {dollars_table.xs((task, m), level=[0, 1]).index.get_level_values('n').max()} samples of {m}: "
                + ", ".join(f"{sc} ${r['$ per solved problem']:.3g} per solved problem {r[f'{LEVEL:.0%} interval']}"
                            for (sc, n), r in dollars_table.xs((task, m), level=[0, 1]).iterrows()
                            if n == dollars_table.xs((task, m), level=[0, 1]).index.get_level_values('n').max())
                for task, m in dict.fromkeys((t, mm) for t, mm, _, _ in dollars_table.index)) + "; "
    f"as point estimates with no interval ({'; '.join(f'{task}: {text}' for task, text in ASSUMED_LENGTH.items())}; sizes as the counts label them), the cheapest "
    f"Pythia size by roofline seconds on {mem_hw.name} is not the cheapest by FLOPs at "
    + ", ".join(f"{moved[task]} of {int(reached_t[task].sum())} {task} targets two sizes reach" for task in dense)
    + f" (by Kinetics' eFLOPs: {', '.join(f'{moved_e[task]}' for task in dense)}); also as point estimates with no interval, the cheaper of "
    "the kit's two models by seconds is not the cheaper by FLOPs at "
    + ", ".join(f"{int((kit_rank[task, 'seconds'] != kit_rank[task, 'flops']).sum())} of {len(kit_rank[task, 'flops'])} {task} targets "
                f"(their paired comparisons at equal FLOPs: not shown at {sum(f.verdict == 'not shown' for f in two_findings[task].values())} "
                f"of {len(two_findings[task])})" for task in two) + ".",
    f"Latency (roofline seconds per problem on {lat_hw.name} in BF16, SmolLM2-135M on the {len(per)} chain problems with the free "
    "noisy verifier, each search against sampling at its own N, equal N, not equal accuracy): " + "; ".join(f"{name}: {r['search / sampling s']:.2f} times the roofline seconds of sampling at the same N for "
                            f"{r['search tokens a problem'] / r['sampling tokens a problem']:.2f} times its tokens ({f.said}: "
                            f"{f.interval(2)} ms, Holm over {len(lat_findings)})" for (name, r), f in zip(latency_table.iterrows(), lat_findings))
    + f"; the REBASE run's shards made alone with the timing check's threads took {like_ratio:.1f} times their roofline on this "
    f"machine (the timing check: {ratio:.1f}).",
)
