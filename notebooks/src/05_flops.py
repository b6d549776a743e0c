# %% [markdown]
# # 05 · What test-time compute costs: coverage on a FLOPs axis
#
# **Question.** Can a small model that samples many times match a large model that samples once, and
# at what cost in FLOPs? Which model size, with how many samples, is cheapest for a target coverage?
#
# **Reproduces** the cost axis of Large Language Monkeys (Brown et al. 2024, arXiv:2407.21787: coverage
# against inference FLOPs, prompt counted once, every completion token counted), the pretraining /
# inference exchange of Snell et al. 2024 (arXiv:2408.03314, Sec. 7: `6 N D_pre` vs `2 N D_inf`,
# R = D_inf / D_pre) and the pretraining FLOPs of Liu et al. 2025 (arXiv:2502.06703, Table 4).
#
# **Data.** `data/pythia_checkpoints_*_counts.csv` (provenance in `data/README.md`): per problem, samples
# drawn and samples correct for 9 Pythia sizes; the kit's own run `OWN_SAMPLES` (SmolLM2-135M-Instruct
# on arithmetic problems), a sample table with token counts per sample. Model sizes and architectures
# come from the registry `ttslib/models.csv`, one cited source per row.
#
# **Cost model** (`ttslib.flops`). A forward pass costs, per token at context position t,
# `C(t) = 2N + a · n_layer · t · d_attn` (Kaplan et al. 2020, arXiv:2001.08361, Table 1, with a = 2;
# Large Language Monkeys write a = 4). A problem's prompt of p tokens is prefilled once when its KV cache
# is shared by the samples, and each sample of m tokens then costs `Σ_{t=p+1}^{p+m} C(t)`.

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
N_BOOT = 200  # bootstrap resamples of problems for the bands
SEED = 0

# %%
import inspect
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ttslib.compare import paired_difference
from ttslib.coverage import coverage, coverage_curve, log_spaced_ks, pass_at_k
from ttslib.data import read_pythia_counts, read_samples, sample_arrays, samples_to_counts
from ttslib.exchange import equal_flops_exchange
from ttslib.flops import (
    ATTENTION as ATTENTION_COEF, flops_at_k, flops_per_token, inference_flops, matched_inference_multiplier,
    matched_inference_tokens, pretraining_flops, run_flops, sequence_flops,
)
from ttslib.frontier import iso_flops_frontier
from ttslib.registry import get_model, registry
from ttslib.plotting import savefig, use_theme
from ttslib.pythia import inference_compute_tokens
from ttslib.plotting.flops import plot_exchange, plot_flops_per_token, plot_frontier, plot_vs_flops
from ttslib.selection import log2_budgets, majority_vote

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
assert ATTENTION_COEF == {"kaplan": 2, "monkeys": 4}  # a in C(t), as the text above says
assert (models["family"] == "Pythia").sum() == 9
models["pretrain_flops"] = [
    pretraining_flops(name) if pd.notna(tokens) else np.nan for name, tokens in zip(models["name"], models["pretrain_tokens"])
]
models.set_index("name")[["params", "params_note", "n_layers", "d_model", "n_heads", "n_kv_heads", "context", "pretrain_tokens", "pretrain_flops"]].map(
    lambda v: f"{v:.4g}" if isinstance(v, float) else v
)

# %% [markdown]
# ## What one token costs: the attention term grows with the position
#
# `C(t) / 2N = 1 + a · n_layer · t · d_attn / 2N`. For billion-parameter models the attention term is a few
# per cent at 2,048 tokens; for the smallest models it is not: SmolLM2-135M, deep and narrow, pays about
# a quarter more per token at position 2,048 than `2N` says.

# %%
positions = np.unique(np.geomspace(1, 2048, 60).round())
per_token = {
    name: flops_per_token(name, positions, attention=ATTENTION) / (2 * get_model(name).params)
    for name in ["pythia-70m", "SmolLM2-135M", "gemma-3-270m", "pythia-1b", "Llama-3.2-1B", "Llama-3.1-405B"]
}
fig, ax = plt.subplots(figsize=(5.5, 3.6))
plot_flops_per_token(positions, per_token, ax=ax, families={name: get_model(name).family for name in per_token})
ax.set_title(f"forward FLOPs per token, attention = {ATTENTION!r}")
savefig(fig, "05_flops_per_token", directory=FIGURES_DIR)
assert positions[-1] == 2048 and 1.2 < per_token["SmolLM2-135M"][-1] < 1.3  # "about a quarter more" at 2,048
assert per_token["pythia-1b"][-1] < 1.1 and per_token["Llama-3.1-405B"][-1] < 1.1  # "a few per cent"

# %% [markdown]
# A worked example of the Large Language Monkeys cost formula, `2 · (N + 2 · n_layer · d_model · context)`
# per token: Llama-3-8B at context 1,000 is `2 · (8.03e9 + 2 · 32 · 4096 · 1000) = 1.658e10` FLOPs
# (checked in `tests/test_flops.py`). Kaplan's count (a = 2) is 1.6 % lower there (the last column):

# %%
per_token_1000 = pd.DataFrame(
    {a: {name: flops_per_token(name, 1000, attention=a) for name in ["Llama-3-8B", "pythia-1b", "SmolLM2-135M"]} for a in ("kaplan", "monkeys")}
).assign(ratio=lambda t: t["monkeys"] / t["kaplan"], kaplan_lower_pct=lambda t: 100 * (1 - t["kaplan"] / t["monkeys"]))
assert round(per_token_1000.loc["Llama-3-8B", "kaplan_lower_pct"], 1) == 1.6  # at context 1000, as stated
assert round(flops_per_token("Llama-3-8B", 1000, attention="monkeys") / 1e10, 3) == 1.658  # the worked example at context 1,000
per_token_1000

# %% [markdown]
# ## What the Pythia counts' `inference_compute` column is
#
# The counts carry no token counts, but each row has an `inference_compute` value that the data notes say
# "appears to be FLOPs of one sample, about 2 × params × tokens". If it were `2 N T` with N the row's model,
# the tokens per sample `T = inference_compute / 2N` would be similar across models. They are not:

# %%
counts = {task: read_pythia_counts(f"{DATA_DIR}/pythia_checkpoints_{task.lower()}_counts.csv") for task in ("MATH", "GSM8K")}
pythia = models[models["family"] == "Pythia"].set_index("name")["params"]  # (9,) exact parameter counts
attributed = {task: inference_compute_tokens(df, pythia) for task, df in counts.items()}  # one row per (model, checkpoint)
label_spread = pd.DataFrame({task: a["label_tokens"].describe() for task, a in attributed.items()}).T
assert round(label_spread["min"].min()) == 1 and round(label_spread["max"].max(), -4) == 990_000  # stated below
assert get_model("pythia-12b").context == 2048
label_spread.round(1)

# %% [markdown]
# Read with the row's model, a sample would be 1 to 990,000 tokens long, while Pythia's context is 2,048.
# But every group's value is `2 N T` for *some* Pythia size N with T in a narrow band, 1,128 to 1,274
# tokens on MATH and 1,172 to 1,688 on GSM8K (the table below):
# `ttslib.pythia.attribute_flops` picks, for each (model, checkpoint) group, the size that makes T most alike across groups.

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
matches = {task: (int((a["implied_model"] == a.index.get_level_values("model")).sum()), len(a)) for task, a in attributed.items()}
assert matches == {"MATH": (6, 72), "GSM8K": (8, 81)} and len(pythia) == 9  # "6 of 72", "8 of 81", "1 in 9"
assert round(attributed["MATH"]["tokens_per_sample"].median(), -2) == 1200
assert round(attributed["GSM8K"]["tokens_per_sample"].median(), -1) == 1370
t_range = {task: [round(a["tokens_per_sample"].min()), round(a["tokens_per_sample"].max())] for task, a in attributed.items()}
assert t_range == {"MATH": [1128, 1274], "GSM8K": [1172, 1688]}  # "1,128 to 1,274 ... 1,172 to 1,688"
band_of_t

# %% [markdown]
# So `inference_compute` is `2 × params × tokens` of one sample, with about 1,200 tokens per sample on MATH
# and 1,370 on GSM8K (a few-shot prompt plus a completion, both counted per sample; the split cannot be
# recovered), **but the params are those of a Pythia size that matches the row's model label in only
# 6 of 72 (MATH) and 8 of 81 (GSM8K) groups**, about what random assignment gives (1 in 9). The
# success counts themselves behave (pass@1 rises with size and training, notebook 01), so the column
# looks misaligned with the labels somewhere upstream. We therefore do not use it per row; we take one
# number from it, the median tokens per sample of each task, and cost every Pythia sample at that length:

# %%
TOKENS_PER_SAMPLE = {task: float(np.median(a["tokens_per_sample"]).round()) for task, a in attributed.items()}
sample_flops = pd.DataFrame(
    {task: {m: float(sequence_flops(m, t, attention=ATTENTION)) for m in pythia.index} for task, t in TOKENS_PER_SAMPLE.items()}
)  # FLOPs of one sample: every token counted (no prompt sharing), as the source column does
TOKENS_PER_SAMPLE, sample_flops.map("{:.3g}".format)

# %% [markdown]
# ## Coverage against inference FLOPs (arXiv:2407.21787's cost axis)
#
# The FLOPs of k samples per problem are `k × C_sample(model)`, so on a FLOPs axis each model's curve is
# its coverage curve shifted right by its cost per sample. The first point of each curve is pass@1,
# the accuracy of a single sample. Each curve stops at the fewest samples any problem has for that model
# (128 for the two largest, about 10,000 for the smallest): beyond it the unbiased estimator does not
# exist, and notebook 01's plug-in would keep every problem unsolved in its n samples at zero, which
# biases exactly the large, little-sampled models down. The two smallest models solve no MATH problem.

# %%
final = {task: df[df["pretrain_tokens"] == CHECKPOINT] for task, df in counts.items()}
by_model = {task: dict(list(df.groupby("model"))) for task, df in final.items()}
n_min = {task: {m: int(g["num_samples"].min()) for m, g in groups.items()} for task, groups in by_model.items()}
assert all(n_min[t]["pythia-6.9b"] == n_min[t]["pythia-12b"] == 128 for t in n_min)
assert all(round(n_min[t]["pythia-14m"], -3) == 10_000 for t in n_min)
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
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for ax, (task, by_size) in zip(axes, curves.items()):
    plot_vs_flops(
        [c.k * sample_flops.loc[m, task] for m, c in by_size.items()], [c.coverage for c in by_size.values()],
        lower=[c.lower for c in by_size.values()], upper=[c.upper for c in by_size.values()], labels=by_size.keys(), ax=ax, log_y=True,
    )
    ax.set_title(f"{task}: Pythia, {CHECKPOINT} checkpoint, {TOKENS_PER_SAMPLE[task]:.0f} tokens / sample")
savefig(fig, "05_coverage_flops", directory=FIGURES_DIR)

# %% [markdown]
# ## The iso-FLOPs frontier: which size, how many samples
#
# For each target coverage, the FLOPs each model needs (its smallest k reaching the target, every k
# up to its measured limit), and the cheapest model: the frontier. A missing point means the target
# is not reached within the samples measured, not that it is out of reach.

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
    ax.set_title(f"{task}: FLOPs to reach a coverage")
handles = {}  # every size either panel draws (the two smallest solve nothing on MATH, so only GSM8K has them)
for ax in axes:
    handles.update({label: h for h, label in zip(*ax.get_legend_handles_labels()) if label not in handles})
order = sorted(handles, key=lambda label: (label.startswith("cheapest"), pythia.get(label, 0)))
fig.legend([handles[k] for k in order], order, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize="small")
savefig(fig, "05_frontier", directory=FIGURES_DIR)

# %%
cheapest = {task: t[t["cheapest"]].set_index("target") for task, t in frontier.items()}
assert set(cheapest["MATH"]["model"]) == {"pythia-2.8b"} and set(cheapest["GSM8K"]["model"]) == {"pythia-410m"}  # "What this shows"
assert cheapest["MATH"].index.max() < 0.5 <= max(TARGETS)  # MATH targets of 0.5 and above: not reached
pd.concat(
    {task: t[["model", "k", "flops"]].astype({"k": int}) for task, t in cheapest.items()}, axis=1
).sort_index().map(lambda v: f"{v:.3g}" if isinstance(v, float) else v)

# %% [markdown]
# ## Trading pretraining for test-time compute (Snell et al., arXiv:2408.03314, Sec. 7)
#
# Pretraining costs `6 N D_pre`, inference `2 N D_inf`. A model k times larger costs
# `k (6 N D_pre + 2 N D_inf)`; the small model matches it by multiplying its inference tokens by
# `M = k + 3 (k - 1) / R`, with `R = D_inf / D_pre`. When little is served (R small) the larger model's
# extra pretraining buys the small one a lot of samples; when much is served (R large), M falls to k.
# Snell et al. compare against a 14x larger model at R = 0.16, 0.79 and 22; Liu et al. put Llama-3.2-3B
# (135x smaller, nominally) and -1B (405x) against Llama-3.1-405B.

# %%
R = np.geomspace(1e-6, 1e2, 200)
multipliers = {f"k = {k:g}": matched_inference_multiplier(k, R) for k in (14, 405 / 3, 405)}
SNELL_R = [0.16, 0.79, 22]  # the R of arXiv:2408.03314 Sec. 7
assert SNELL_R == [0.16, 0.79, 22]  # as the text above cites them
pd.DataFrame({label: matched_inference_multiplier(k, SNELL_R) for label, k in zip(multipliers, (14, 405 / 3, 405))}, index=[f"R = {r}" for r in SNELL_R]).round(1)

# %% [markdown]
# Liu et al. (arXiv:2502.06703) Table 4 prints the pretraining FLOPs of both models; `6 N D` with the
# registry's nominal sizes and published tokens gives them back. Their inference FLOPs (verifier not
# counted) imply how many tokens each model generated on their benchmark, `Y / 2N`:

# %%
LIU_TABLE_4 = {"Llama-3.2-3B": (1.62e23, 3.07e17), "Llama-3.1-405B": (3.65e25, 4.25e17)}  # arXiv:2502.06703 Table 4
pd.DataFrame(
    {
        name: {
            "pretraining, Table 4": pre,
            "6 N D (nominal N)": pretraining_flops(name, nominal=True),
            "6 N D (checkpoint N)": pretraining_flops(name),
            "inference, Table 4": inf,
            "implied generated tokens": inf / (2 * get_model(name).params_nominal),
        }
        for name, (pre, inf) in LIU_TABLE_4.items()
    }
).map("{:.3g}".format)

# %% [markdown]
# At equal *total* FLOPs the 3B model may spend
# `(6 N_405 D_405 + 2 N_405 D_inf - 6 N_3 D_3) / 2 N_3` inference tokens against the 405B model's D_inf:
# pretraining dominates, so unless the large model serves far more than its benchmark, the small one has
# room for about 6e15 tokens.

# %%
D_INF_405 = LIU_TABLE_4["Llama-3.1-405B"][1] / (2 * get_model("Llama-3.1-405B").params_nominal)
D_3B = matched_inference_tokens("Llama-3.2-3B", "Llama-3.1-405B", D_INF_405, nominal=True)
assert float(f"{D_3B:.0e}") == 6e15 and float(f"{D_INF_405:.0e}") == 5e5  # "about 6e15", "5e5" below
assert [float(f"{pretraining_flops(m, nominal=True):.3g}") for m in LIU_TABLE_4] == [1.62e23, 3.65e25]
f"{D_3B:.3g} tokens for the 3B model vs {D_INF_405:.3g} for the 405B"

# %% [markdown]
# The same exchange on the Pythia data. All Pythia sizes saw the same 299.9B tokens (asserted below). If the large model
# answers each query with one sample, serving `D_inf` tokens in all, the small model may draw
# `M(R)` samples per query for the same total FLOPs. Below, the small model's coverage at M(R) samples
# (capped at its measured limit, where the line flattens because the data stop) against the large model's pass@1
# (dashed). Coverage assumes a perfect verifier; with majority vote or a reward model the small model
# would need more.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
assert set(models.loc[models["family"] == "Pythia", "pretrain_tokens"].round(-8)) == {299.9e9}
plot_exchange(R, multipliers, ax=axes[0], mark_x=SNELL_R)
axes[0].set_title("samples the small model may draw (arXiv:2408.03314)")
task = "MATH"
exchange_lines, exchange_refs = {}, {}
for small, large in EXCHANGE_PAIRS:
    m = matched_inference_multiplier(pythia[large] / pythia[small], R)
    exchange_lines[f"{small}, M(R) samples"] = dense[task][small][np.minimum(np.floor(m), n_min[task][small]).astype(int) - 1]
    exchange_refs[f"{large}, 1 sample"] = dense[task][large][0]
plot_exchange(R, exchange_lines, hlines=exchange_refs, ax=axes[1], ylabel=f"{task} coverage", mark_x=SNELL_R)
axes[1].set_title(f"{task}: small model at matched total FLOPs")
savefig(fig, "05_exchange", directory=FIGURES_DIR)
size_ratios = [pythia[large] / pythia[small] for small, large in EXCHANGE_PAIRS]
assert [round(r) for r in size_ratios] == [17, 12]  # "M falls to about the size ratio (17 and 12 samples)"
assert all((line > exchange_refs[f"{large}, 1 sample"]).all() for line, (_, large) in zip(exchange_lines.values(), EXCHANGE_PAIRS))

# %% [markdown]
# The lines above are means over problems. Whether the small model is ahead is a paired question: per
# problem, its pass@M(R) minus the large model's pass@1, on the same 128 problems (95% interval,
# `ttslib.compare.paired_difference`), at Snell et al.'s R and at the largest R drawn, where M is smallest:

# %%
exchange_rows = []
for small, large in EXCHANGE_PAIRS:
    g_small, g_large = (by_model[task][m].sort_values("problem_id", kind="stable") for m in (small, large))
    assert g_small["problem_id"].tolist() == g_large["problem_id"].tolist()  # the same problems: a paired difference
    for r in [*SNELL_R, float(R.max())]:
        m_r = int(min(np.floor(matched_inference_multiplier(pythia[large] / pythia[small], r)), n_min[task][small]))
        d = paired_difference(pass_at_k(g_small["num_samples"], g_small["num_correct"], m_r),
                              pass_at_k(g_large["num_samples"], g_large["num_correct"], 1))
        exchange_rows.append({"pair": f"{small} vs {large}", "R": r, "M(R)": m_r, "difference": str(d), "lower": d.lower, "verdict": d.verdict})
exchange_paired = pd.DataFrame(exchange_rows).set_index(["pair", "R"])
verdicts = exchange_paired["verdict"]
assert round(100 * inspect.signature(paired_difference).parameters["level"].default) == 95  # the intervals' level
assert (verdicts.loc["pythia-1b vs pythia-12b"] == "ahead").all() and (verdicts.loc["pythia-410m vs pythia-6.9b"].iloc[:-1] == "ahead").all()
assert verdicts.loc[("pythia-410m vs pythia-6.9b", 100.0)] == "not shown" and R.max() == 100 and SNELL_R[-1] == 22
assert exchange_paired["M(R)"].loc[[("pythia-1b vs pythia-12b", 100.0), ("pythia-410m vs pythia-6.9b", 22.0), ("pythia-410m vs pythia-6.9b", 100.0)]].tolist() == [12, 19, 17]
def exchange(key):  # the paired difference of one row of the table, recomputed from the counts
    return paired_difference(*[pass_at_k(g["num_samples"], g["num_correct"], k) for g, k in zip(
        (by_model[task][m].sort_values("problem_id", kind="stable") for m in key[0].split(" vs ")), (exchange_paired.loc[key, "M(R)"], 1))])


assert exchange(("pythia-1b vs pythia-12b", 100.0)).printed(3) == (0.012, 0.007, 0.017)  # the paired differences the text states
assert exchange(("pythia-410m vs pythia-6.9b", 22.0)).printed(3) == (0.004, 0.000, 0.008)
assert exchange(("pythia-410m vs pythia-6.9b", 100.0)).printed(3) == (0.003, -0.000, 0.006)
exchange_paired

# %% [markdown]
# ## The kit's own run on the same axes
#
# `OWN_SAMPLES` is a sample table made by this kit (SmolLM2-135M-Instruct on arithmetic problems) with
# the prompt and completion tokens of every sample, so its FLOPs come from the table itself
# (`run_flops`, `flops_at_k`) rather than from an assumed length. The x axis is FLOPs per problem, as
# above, so runs on benchmarks of different sizes share it; the tasks differ, so compare costs, not scores.

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
# not found do not vote; ties are split evenly). Coverage is what a perfect verifier would reach.

# %%
own_k = np.unique(np.geomspace(1, N_OWN, 6).round().astype(int))
own_arrays = sample_arrays(own)  # (P, N) answers and correctness for the selection rules
majority = majority_vote(own_arrays.answers, own_arrays.correct, own_k).accuracy
own_curve = coverage_curve(own_counts["num_samples"], own_counts["num_correct"], np.arange(1, N_OWN + 1), n_boot=N_BOOT, seed=SEED)
own_flops = flops_at_k(own, own_model, own_curve.k, attention=ATTENTION) / P_OWN  # (N,) FLOPs per problem

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
plot_vs_flops([c.k * sample_flops.loc[m, "MATH"] for m, c in curves["MATH"].items()], [c.coverage for c in curves["MATH"].values()],
              labels=[f"{m} (MATH)" for m in curves["MATH"]], ax=axes[0], palette="blend:#c4c4c4,#1a1a1a", log_y=True)
plot_vs_flops([own_flops], [own_curve.coverage], lower=[own_curve.lower], upper=[own_curve.upper],
              labels=[f"{own_model.name} (own run)"], ax=axes[0], log_y=True)
axes[0].set_title("coverage per FLOPs: Pythia on MATH (grey), own run")
plot_vs_flops([own_flops, own_flops[own_k - 1]], [own_curve.coverage, majority], labels=["coverage (oracle)", "majority vote"],
              ax=axes[1], ylabel="accuracy", marker="o")
axes[1].axhline(own_curve.coverage[0], color="grey", ls=":", lw=1, label="pass@1")
axes[1].legend(fontsize="small", frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
axes[0].legend(fontsize="x-small", frameon=False, loc="upper left", bbox_to_anchor=(0.0, -0.16), ncol=4)  # below: the curves stay clear
axes[1].set_title(f"own run: {own_model.name}, {P_OWN} problems")
savefig(fig, "05_own_runs", directory=FIGURES_DIR)

# %%
pd.DataFrame({"k": own_k, "FLOPs per problem": own_flops[own_k - 1], "coverage": own_curve.coverage[own_k - 1], "majority vote": majority}).round(4)

# %% [markdown]
# ## The kit's two models at equal FLOPs: SmolLM2-135M against Gemma 3 270M
#
# The question of this notebook on the kit's own runs: the same problems sampled by SmolLM2-135M-Instruct
# and by Gemma 3 270M (base), on two tasks (`TWO_MODELS`): the arithmetic set (400 problems x 32 samples,
# the same prompt) and HumanEval (164 x 64, graded by the hidden tests). Every sample's FLOPs come from its
# own token counts. For each budget k of the larger model, `ttslib.exchange.equal_flops_exchange` gives the
# smaller one as many samples as fit in the same FLOPs per problem, and compares the two coverages per
# problem (paired; pretraining compute is not counted here). `capped` marks budgets where the smaller
# model has run out of samples before its FLOPs: there it could have drawn more, so "behind" at a capped
# budget says nothing about the budget. The prompt is counted two ways: prefilled once per problem and
# shared by its samples through the KV cache (how the kit samples), or once per sample (a server without
# prefix caching). Short answers after a long few-shot prompt make the difference large: with a shared
# prompt most of a problem's FLOPs are its prefill, which costs the larger model twice as much.

# %%
two = {task: {m: read_samples(path) for m, path in tables.items()} for task, tables in TWO_MODELS.items()}
SHIPPED_TWO = {task: [Path(p).resolve() for p in tables.values()] for task, tables in TWO_MODELS.items()} == {
    "arithmetic": [Path("../data/arith_smollm2.parquet").resolve(), Path("../data/code/arith_gemma3.parquet").resolve()],
    "HumanEval": [Path(f"../data/code/humaneval_{m}.parquet").resolve() for m in ("smollm2", "gemma3")],
}  # the prose speaks of these runs
two_table = pd.DataFrame(
    {(task, m): {"problems": t["problem_id"].nunique(), "samples per problem": int(t.groupby("problem_id").size().min()),
                 "mean prompt tokens": t.groupby("problem_id")["num_prompt_tokens"].first().mean(),
                 "mean completion tokens": t["num_completion_tokens"].mean(),
                 "FLOPs per sample": float(np.diff(flops_at_k(t, m, [1, 2], attention=ATTENTION))[0]) / t["problem_id"].nunique(),
                 "pass@1": t["is_correct"].mean()}
     for task, by in two.items() for m, t in by.items()}
).T
two_table

# %%
two_exchange = pd.concat(
    {(task, "shared" if shared else "per sample"): equal_flops_exchange(
        by["SmolLM2-135M"], by["gemma-3-270m"], "SmolLM2-135M", "gemma-3-270m",
        log2_budgets(int(by["gemma-3-270m"].groupby("problem_id").size().min())), attention=ATTENTION, shared_prompt=shared)
     for task, by in two.items() for shared in (True, False)},
    names=["task", "prompt prefill", "row"],
).droplevel("row").set_index("k_large", append=True)
two_exchange.round(4)

# %%
two_colors = dict(zip(next(iter(two.values())), sns.color_palette("colorblind", 2)))  # as in notebook 01: one hue each
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for ax, (task, by) in zip(axes, two.items()):
    for m, t in by.items():
        c = samples_to_counts(t)
        curve = coverage_curve(c["num_samples"], c["num_correct"], np.arange(1, int(c["num_samples"].min()) + 1), n_boot=N_BOOT, seed=SEED)
        plot_vs_flops([flops_at_k(t, m, curve.k, attention=ATTENTION) / len(c)], [curve.coverage], lower=[curve.lower],
                      upper=[curve.upper], labels=[m], ax=ax, palette=[two_colors[m]])
    ax.set_title(f"{task}: coverage against FLOPs per problem")
    ax.legend(fontsize="small", frameon=False, loc="upper left")
savefig(fig, "05_two_models", directory=FIGURES_DIR)

# %% [markdown]
# ### What the two models show
#
# - **Arithmetic: more samples of the smaller model win.** SmolLM2-135M has the higher pass@1 (0.305
#   against 0.251) at about half the FLOPs per sample, so it is ahead at every budget of Gemma up to 16
#   samples, whichever way the prompt is counted. For Gemma's single sample it gets 19 samples with a
#   shared prefill and is ahead by +0.286 [+0.249, +0.324]; with the prompt counted per sample it gets 2
#   and is ahead by +0.117 [+0.087, +0.146]. At Gemma's 16 samples it is ahead by +0.060 [+0.018, +0.103].
#   Where SmolLM2 is capped at its 32 samples and still ahead (shared prefill, Gemma's 8 and 16), it is
#   ahead on fewer FLOPs than Gemma's, so the finding holds; at Gemma's 32 it is capped and not shown.
# - **HumanEval: they do not.** Gemma's pass@1 is 0.023 against 0.0013, and SmolLM2's extra samples do
#   not make up the difference. Counting the prompt per sample, SmolLM2 is behind at Gemma's 1 to 8
#   samples (at 8: 19 samples, -0.029 [-0.054, -0.004]) and not shown apart at 16 (39 samples). With a
#   shared prefill it gets 13 to 48 samples for Gemma's 1 to 8 and is not shown apart from it (at 8:
#   -0.006 [-0.033, +0.021]); beyond that it runs out of its 64 samples, so the "behind" at Gemma's 64
#   is capped and says nothing about the budget.
# - So the exchange depends on the task: where the smaller model is the better sampler per FLOP, extra
#   samples beat the larger model; where the larger one solves problems the smaller almost never does,
#   twice the parameters beat a larger sample budget, or at best tie with it. Pretraining compute is not
#   counted in either; with it, the smaller model's side only gains.

# %%
if SHIPPED_TWO:  # the text speaks of the shipped runs
    ex = {(task, prefill, int(k)): row for (task, prefill, k), row in two_exchange.iterrows()}
    printed = lambda r: (round(r["difference"], 3) + 0.0, round(r["lower"], 3) + 0.0, round(r["upper"], 3) + 0.0)  # noqa: E731
    assert two_table.loc["arithmetic", "problems"].eq(400).all() and two_table.loc["arithmetic", "samples per problem"].eq(32).all()
    assert two_table.loc["HumanEval", "problems"].eq(164).all() and two_table.loc["HumanEval", "samples per problem"].eq(64).all()
    arith_pass1 = two_table.loc["arithmetic", "pass@1"]
    assert (round(arith_pass1["SmolLM2-135M"], 3), round(arith_pass1["gemma-3-270m"], 3)) == (0.305, 0.251)
    per_sample_flops = two_table.loc["arithmetic", "FLOPs per sample"]
    assert 1.9 < per_sample_flops["gemma-3-270m"] / per_sample_flops["SmolLM2-135M"] < 2.1  # "about half"
    for prefill in ("shared", "per sample"):
        assert all(ex["arithmetic", prefill, k]["verdict"] == "ahead" for k in (1, 2, 4, 8, 16))  # "up to 16"
    assert ex["arithmetic", "shared", 1]["k_small"] == 19 and printed(ex["arithmetic", "shared", 1]) == (0.286, 0.249, 0.324)
    assert ex["arithmetic", "per sample", 1]["k_small"] == 2 and printed(ex["arithmetic", "per sample", 1]) == (0.117, 0.087, 0.146)
    assert printed(ex["arithmetic", "per sample", 16]) == printed(ex["arithmetic", "shared", 16]) == (0.060, 0.018, 0.103)
    assert all(ex["arithmetic", "shared", k]["capped"] for k in (8, 16)) and not ex["arithmetic", "shared", 4]["capped"]
    assert all(ex["arithmetic", p, 32]["capped"] and ex["arithmetic", p, 32]["verdict"] == "not shown" for p in ("shared", "per sample"))
    code_pass1 = two_table.loc["HumanEval", "pass@1"]
    assert (round(code_pass1["gemma-3-270m"], 3), round(code_pass1["SmolLM2-135M"], 4)) == (0.023, 0.0013)
    assert all(ex["HumanEval", "per sample", k]["verdict"] == "behind" and not ex["HumanEval", "per sample", k]["capped"] for k in (1, 2, 4, 8))
    assert ex["HumanEval", "per sample", 8]["k_small"] == 19 and printed(ex["HumanEval", "per sample", 8]) == (-0.029, -0.054, -0.004)
    assert ex["HumanEval", "per sample", 16]["k_small"] == 39 and ex["HumanEval", "per sample", 16]["verdict"] == "not shown"
    assert [ex["HumanEval", "shared", k]["k_small"] for k in (1, 8)] == [13, 48]
    assert all(ex["HumanEval", "shared", k]["verdict"] == "not shown" and not ex["HumanEval", "shared", k]["capped"] for k in (1, 2, 4, 8))
    assert printed(ex["HumanEval", "shared", 8]) == (-0.006, -0.033, 0.021)
    assert all(ex["HumanEval", "shared", k]["capped"] for k in (16, 32, 64)) and ex["HumanEval", "shared", 64]["verdict"] == "behind"

# %% [markdown]
# ## What this shows
#
# - **Cheapest size.** On a FLOPs axis with an oracle verifier, neither the smallest nor the largest Pythia
#   is cheapest: pythia-2.8b reaches every measured MATH coverage target for the fewest FLOPs, pythia-410m
#   every GSM8K target (frontier table). Smaller models cost less per sample but gain too slowly; larger ones
#   cost more per sample than their higher pass@1 repays. MATH targets of 0.5 and above are not reached
#   within the samples measured (128 per problem for the largest models), so the frontier stops there.
# - **Pretraining dominates a total-FLOPs comparison.** `6ND` with nominal sizes gives back Liu et al.'s
#   1.62e23 and 3.65e25; at equal total FLOPs Llama-3.2-3B could generate about 6e15 tokens against the
#   405B model's 5e5. In Snell et al.'s terms the multiplier M is huge when R is small and falls to the size
#   ratio when inference dominates. On the Pythia data (MATH), with a perfect verifier, paired over the 128
#   problems: pythia-1b at M(R) samples is ahead of pythia-12b's pass@1 at every R drawn, down to
#   +0.012 [+0.007, +0.017] at R = 100 where M is 12 samples; pythia-410m is ahead of pythia-6.9b up to
#   R = 22 (+0.004 [+0.000, +0.008], 19 samples) and not shown at R = 100, where M falls to 17
#   (+0.003 [-0.000, +0.006]). This is coverage, an oracle's upper bound, against pass@1; Snell et al.
#   compare accuracy with a real verifier on both sides, and a selection rule (majority vote, a reward
#   model) would need more samples than these.
# - **The source's compute column.** `inference_compute` is `2 × params × tokens` of one sample (about 1,200
#   tokens on MATH, 1,370 on GSM8K), but its params mostly belong to another Pythia size than the row's label;
#   we take only a per-task tokens-per-sample from it and compute every cost from the registry.
# - **Own runs.** The kit's run carries its token counts, so its FLOPs need no assumption; prompt sharing
#   matters most for short completions (the table above gives the saving), and the gap between coverage and
#   majority vote is the verifier's share of the problem.
