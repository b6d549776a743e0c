# %% [markdown]
# # 00 · Your samples: what the kit can say about one table
#
# **Question.** You have samples from a model, graded (a *sample table*: one row per sample), or only
# counts (samples drawn and samples correct per problem). What can the kit say about them? How coverage
# depends on the number of samples; how a power law and a Beta fit describe that curve, and which of
# the two forecasts the table's own coverage more closely in a backtest on the table itself; how the
# accuracy of majority vote and of score-ranked selection compares with the oracle and with one
# another; what the samples cost in FLOPs; and how the problems spread in difficulty.
#
# **Run it on your table.** `ttslib report my_samples.parquet --model Qwen2.5-1.5B --out reports/mine/`
# writes this notebook executed on the table, with its HTML page; or with papermill:
# `papermill notebooks/00_your_samples.ipynb out.ipynb -p SAMPLES my_samples.parquet -p MODEL Qwen2.5-1.5B`.
# `SAMPLES` is a Parquet, JSONL or CSV file (or a hub dataset id) holding a sample table or a counts table
# in the schema of `ttslib.data` (README, "The sample table"); a sample table needs at least `problem_id`
# and `is_correct`, and the schema columns it lacks are filled (answers none, token counts zero) and listed.
# Another tool's output is read through `ttslib.data.importers` and graded on the way in: search-and-learn's
# output datasets and lm-evaluation-harness `--log_samples` files are recognised by their columns, and any
# table of completions with references through a column mapping (`FORMAT = "table"`, `COLUMNS`).
# The defaults show the kit's own arithmetic run, `data/arith_smollm2.parquet`.
#
# **Paper figures.** None is redrawn: the notebook applies the methods of notebooks 01-05 to your table,
# and every section that does not apply to it says why and is skipped (`ttslib.report.which_sections`
# decides, with the thresholds in its docstring). Each comparison it states is a finding rendered by
# `ttslib.findings` from a paired interval, under the section that measured it.

# %% tags=["parameters"]
SAMPLES = "../data/arith_smollm2.parquet"  # a sample or counts table: Parquet/JSONL/CSV file, a run directory, or a hub dataset id
FORMAT = "auto"  # how to read it: auto, samples, search-and-learn, lm-eval or table (ttslib.report.FORMATS)
COLUMNS = None  # format "table": where import_table finds its columns, e.g. {"problem_id": "qid", "completion": "output", "reference": "gold"}
MODEL = None  # registry name (ttslib/models.csv) of the sampling model; None: the table's 'model' column or its run manifest
FIGURES_DIR = "../figures"
BUDGETS = None  # budgets n of the selection curves; None: 1, 2, 4, ... up to N
K_POINTS = 40  # log-spaced k of the coverage curve and the power-law fit, as arXiv:2407.21787
K_FAR = None  # extrapolate the fits to this k; None: 30 N
NUM_BINS = 5  # quantile difficulty bins of pass@1 (ties share a bin, so counts can differ), the rule of Snell et al. (arXiv:2408.03314)
N_BOOT = 200  # bootstrap resamples of problems for bands and intervals
NUM_DRAWS = 200  # Monte Carlo orders per problem where no exact form is used (weighted vote with N > 16)
SEED = 0

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ttslib.backtest import backtest
from ttslib.coverage import coverage_curve, log_spaced_ks, pass_at_k
from ttslib.beta import fit_beta
from ttslib.fit import fit_power_law, fit_power_law_curve
from ttslib.flops import flops_at_k, pretraining_flops, run_flops
from ttslib.plotting import model_color, savefig, use_theme
from ttslib.plotting.coverage import plot_coverage, plot_pass1_hist
from ttslib.plotting.fit import plot_backtest, plot_power_law_fits
from ttslib.plotting.flops import plot_vs_flops
from ttslib.plotting.selection import plot_selection
from ttslib.plotting.style import sequential_palette
from ttslib.policy import ABSOLUTE_BINS, difficulty_bins, split_counts
from ttslib.findings import Summary
from ttslib.report import (BACKTEST_FRACTION, counts_of, load_table, resolve_model, selection_rules, validation_summary,
                           which_sections)
from ttslib.report.compare import RULE_NAMES, backtest_findings, selection_findings
from ttslib.selection import log2_budgets, selection_curve

use_theme()  # the kit's look: seaborn theme, fixed colours per strategy and per model size
loaded = load_table(SAMPLES, format=FORMAT, columns=COLUMNS)
table, counts = loaded.table, counts_of(loaded.table)
N = int(counts["num_samples"].min())  # the fewest samples of any problem: pass@k is unbiased for k <= N
NAME = Path(str(SAMPLES)).stem
sections = which_sections(table, model=MODEL, num_bins=NUM_BINS)
sampler = resolve_model(table, MODEL)[0]  # a registry model drew the samples: its fixed colour, as in notebooks 01-05
RUN_COLOR = [model_color(sampler.name)] if sampler else None  # one colour for this run in every figure below
ks = np.union1d(log_spaced_ks(N, K_POINTS), log2_budgets(N))  # (K,) budgets of the coverage curve
curve = coverage_curve(counts["num_samples"], counts["num_correct"], ks, n_boot=N_BOOT, seed=SEED)
pd.DataFrame(sections, index=["applies", "why"]).T

# %% [markdown]
# ## 1 · What the table holds
#
# The table as read and validated: its size, the samples per problem, which columns of the schema it has
# (and which were absent and filled), the statuses of its samples and its mean pass@1. A sample whose
# `status` records a failure counts as drawn and wrong everywhere below, as it would in deployment.

# %%
validation_summary(loaded).to_frame()

# %% [markdown]
# ## 2 · Coverage: pass@k against the number of samples k
#
# The unbiased pass@k, `1 - C(n-c, k)/C(n, k)` (Chen et al. 2021, arXiv:2107.03374), averaged over problems,
# for k up to the fewest samples of any problem (beyond it the estimator does not exist), with a
# bootstrap band over problems (as notebook 01).

# %%
print(("applies: " if sections["coverage"].applies else "skipped: ") + sections["coverage"].reason)

# %%
if sections["coverage"].applies:
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    plot_coverage([curve], labels=[NAME], ax=ax, palette=RUN_COLOR)
    ax.set_title(f"coverage, {curve.num_problems} problems, {100 * curve.level:.0f}% band")
    savefig(fig, "00_coverage", directory=FIGURES_DIR)
    shown = np.isin(curve.k, log2_budgets(N))
    display(pd.DataFrame({"coverage": curve.coverage, "lower": curve.lower, "upper": curve.upper},
                         index=pd.Index(curve.k, name="k"))[shown].round(4))

# %% [markdown]
# ## 3 · Scaling-law fits: the power law and the Beta
#
# The exponentiated power law `coverage(k) = exp(a k^b)` of Large Language Monkeys (arXiv:2407.21787),
# fitted by least squares on log-log axes over log-spaced k up to N, and the distributional view of
# Schaeffer et al. (arXiv:2502.17578): per-problem success rates `p ~ Beta(alpha, beta)` fitted to the counts
# by maximum likelihood, whose exact curve is `1 - E[(1-p)^k]`; `-alpha` is its large-k exponent.
# Intervals: bootstrap over problems (as notebook 02). The points are the measured coverage. Over the k the
# fit saw, the power law is a solid line and the Beta a dotted one; both are extrapolated to `K_FAR`, past the
# k <= N the samples measure, faded: the power law in long dashes, the Beta in dash-dots (the legend keys all
# four). Past N the samples cannot say which is right; the backtest below asks which of the two forecasts this
# table's own coverage at N from fewer samples.

# %%
print(("applies: " if sections["fits"].applies else "skipped: ") + sections["fits"].reason)

# %%
if sections["fits"].applies:
    k_far = int(K_FAR or 30 * N)
    power = fit_power_law(counts["num_samples"], counts["num_correct"], n_boot=N_BOOT, seed=SEED)
    beta = fit_beta(counts["num_samples"], counts["num_correct"], n_boot=N_BOOT, seed=SEED)
    beta_b = float(fit_power_law_curve(power.k, beta.coverage(power.k))[1])  # the Beta curve's own b over the k the power law saw
    k_line = np.geomspace(1, k_far, 80)
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    plot_power_law_fits([power], labels=[NAME], curves=[(k_line, beta.coverage(k_line))], k_max=k_far, ax=ax, palette=RUN_COLOR)
    ax.set_title(f"fits on k <= {N}, extrapolated to k = {k_far}")
    savefig(fig, "00_fits", directory=FIGURES_DIR)
    display(pd.Series({
        "power law a": f"{power.a:.3f} [{power.a_interval[0]:.3f}, {power.a_interval[1]:.3f}]",
        f"power law b (fitted on k = {int(power.k.min())}..{int(power.k.max())})": f"{power.b:.3f} [{power.b_interval[0]:.3f}, {power.b_interval[1]:.3f}]",
        "Beta curve's b, same k and least squares": f"{beta_b:.3f}",
        "Beta alpha (-alpha: its exponent as k -> infinity)": f"{beta.alpha:.3f} [{beta.alpha_interval[0]:.3f}, {beta.alpha_interval[1]:.3f}]",
        "Beta beta": f"{beta.beta:.3f} [{beta.beta_interval[0]:.3f}, {beta.beta_interval[1]:.3f}]",
        "Beta consistent with one common p": "yes (no tail to fit)" if beta.degenerate else "no",
        f"coverage at k = {N}, observed": f"{curve.coverage[-1]:.4f}",
        f"coverage at k = {k_far}, power law": f"{float(power.predict(k_far)):.4f}",
        f"coverage at k = {k_far}, Beta": f"{float(beta.coverage(k_far)):.4f}",
        "intervals": f"{100 * power.level:.0f}%, {N_BOOT} bootstrap resamples of problems",
    }, name="fits").to_frame())

# %% [markdown]
# ## 4 · Backtest: predict coverage at N from the first samples
#
# Fit both laws on the first N / `BACKTEST_FRACTION` samples of each problem (drawn as a random subset,
# which is what the first samples are when samples are exchangeable) and predict the coverage at N that
# all samples measure (`ttslib.backtest`, as notebook 02 does at a larger scale). This forecast spans a factor
# of `BACKTEST_FRACTION` in k; the extrapolations above span `K_FAR` / N, which no backtest on this table can
# measure (the summary under the figure states both factors). The power law and the Beta are
# compared by the closeness of their forecasts, `-|predicted - observed|`, with a paired bootstrap: each
# of `N_BOOT` replicates resamples the problems, draws again which samples came first, and fits both laws
# to that one draw (`ttslib.report.compare.backtest_findings`; the scaled Beta, whose fit takes about a
# second, is in the table and not compared). One draw of first samples on one table: the finding states
# the smallest difference this data could detect.

# %%
print(("applies: " if sections["backtest"].applies else "skipped: ") + sections["backtest"].reason)

# %%
if sections["backtest"].applies:
    tested = backtest(counts["num_samples"], counts["num_correct"], m=(N // BACKTEST_FRACTION,), k_target=N, seed=SEED)
    fig, ax = plt.subplots(figsize=(4.5, 4.2))
    drawn = tested.dropna(subset=["predicted"])
    plot_backtest(drawn, ax=ax)  # its legend keys m (the colour) and the estimators (the marker)
    around = drawn[["observed", "predicted"]].to_numpy()  # the axes hold the points with a margin of 0.05, within [0, 1]
    ax.set_xlim(max(0.0, around.min() - 0.05), min(1.0, around.max() + 0.05))
    ax.set_ylim(*ax.get_xlim())
    same = [" and ".join(g) for g in drawn.groupby(drawn["predicted"].round(4), sort=False)["estimator"].agg(list) if len(g) > 1]
    ax.set_title(f"coverage at k = {N} from the first {N // BACKTEST_FRACTION} samples"
                 + "".join(f"\n{s}: equal forecasts, drawn on one another" for s in same), fontsize="medium")
    savefig(fig, "00_backtest", directory=FIGURES_DIR)
    display(tested[["m", "estimator", "observed", "predicted", "error", "observed_exponent", "exponent", "status"]].round(4))

# %%
if sections["backtest"].applies:
    forecast = backtest_findings(counts["num_samples"], counts["num_correct"], m=N // BACKTEST_FRACTION, k_target=N, n_boot=N_BOOT, seed=SEED)
    point = tested.set_index("estimator")["error"]  # the finding's two sides are the table's errors above
    assert np.isclose(forecast.a_value, -abs(point["beta"])) and np.isclose(forecast.b_value, -abs(point["power law"]))
    span = (f"The backtest forecasts over a factor of {BACKTEST_FRACTION} in k ({N // BACKTEST_FRACTION} -> {N}); "
            + (f"the fits above extrapolate over a factor of {k_far / N:g} ({N} -> {k_far}), which no backtest on this table measures."
               if sections["fits"].applies else "the fits section did not apply."))
    display(Summary(forecast, span))

# %% [markdown]
# ## 5 · Selection: one answer from n samples
#
# Without an oracle a rule must pick one answer: the most frequent (majority vote), the highest-scored
# (best-of-N) or the answer with the largest summed score (weighted best-of-N). The score is the table's
# `score` column, else the last of its `step_scores`, else the model's own confidence
# `exp(logprob / num_completion_tokens)`. Each value is the expectation over all n-subsets of each
# problem's first N samples, computed exactly (`ttslib.selection`; the weighted vote by Monte Carlo where
# N is too large to enumerate, marked MC); pass@n, dashed, is the oracle, which no rule can pass. Bands:
# bootstrap over problems (as notebook 03). At the largest n the rules are compared with one another and
# with pass@n, each a paired interval over the same problems, all of them one family adjusted by Holm's
# method (`ttslib.report.compare.selection_findings`).

# %%
print(("applies: " if sections["selection"].applies else "skipped: ") + sections["selection"].reason)

# %%
if sections["selection"].applies:
    ns = log2_budgets(N) if BUDGETS is None else np.asarray(BUDGETS)
    rules, left_out = selection_rules(table, ns, num_draws=NUM_DRAWS, seed=SEED)
    print("\n".join(f"left out: {note}" for note in left_out) or "every rule applies")
    ax = plot_selection([selection_curve(s, n_boot=N_BOOT, seed=SEED) for s in rules.values()])
    ax.set_title(f"selection among the first {N} samples")
    savefig(ax.figure, "00_selection", directory=FIGURES_DIR)
    display(pd.DataFrame({f"{name} ({s.method})": s.accuracy for name, s in rules.items()}, index=pd.Index(ns, name="n")).round(4))

# %%
if sections["selection"].applies:
    n_last = int(ns[-1])
    chosen = selection_findings(rules, n_last, num_draws=NUM_DRAWS)
    named = {RULE_NAMES.get(name, str(name)): s.accuracy_at(n_last) for name, s in rules.items()}  # the table's row n = n_last, by rule
    assert all(np.isclose(f.a_value, named[f.a]) and np.isclose(f.b_value, named[f.b]) for f in chosen)  # each side is its named rule's
    # no rule passes the oracle on any problem: exact rules at any n; a Monte Carlo rule where n = N, as every order then holds all samples
    assert all((rules["oracle"].at(n_last) >= s.at(n_last) - 1e-12).all() for s in rules.values() if s.method == "exact" or n_last == N)
    display(Summary(chosen or f"one rule only at n = {n_last}: nothing to compare"))

# %% [markdown]
# ## 6 · What the samples cost in FLOPs
#
# Forward FLOPs from the table's own token counts and the model's architecture in the registry
# (`ttslib.flops`: per token `2N + 2 n_layer t d_attn`, Kaplan et al. 2020, arXiv:2001.08361; each problem's
# prompt prefilled once and shared by its samples, as notebook 05), and coverage on a FLOPs-per-problem
# axis. Against the model's pretraining `6 N D` where the registry knows D.

# %%
print(("applies: " if sections["flops"].applies else "skipped: ") + sections["flops"].reason)

# %%
if sections["flops"].applies:
    spec = resolve_model(table, MODEL)[0]
    run = run_flops(table, spec)
    per_problem = flops_at_k(table, spec, curve.k) / len(counts)  # (K,) expected FLOPs per problem at k samples
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    plot_vs_flops([per_problem], [curve.coverage], lower=[curve.lower], upper=[curve.upper], labels=[f"{spec.name}: {NAME}"], ax=ax,
                  palette=RUN_COLOR)
    ax.set_title("coverage against FLOPs per problem")
    savefig(fig, "00_flops", directory=FIGURES_DIR)
    pretrain = pretraining_flops(spec) if spec.pretrain_tokens else np.nan
    display(pd.Series({
        "model (registry)": spec.name,
        "FLOPs, whole table": f"{run.policy:.4g}",
        "FLOPs per problem, all samples": f"{run.policy / run.num_problems:.4g}",
        "FLOPs per sample (mean, prefill included)": f"{run.policy / max(run.num_samples - run.num_failed, 1):.4g}",
        "FLOPs of one more sample (mean, no prefill)": (
            f"{(per_problem[-1] - per_problem[0]) / (curve.k[-1] - curve.k[0]):.4g}" if curve.k[-1] > curve.k[0] else "-"),
        "failed samples (cost nothing)": run.num_failed,
        "pretraining FLOPs, 6 N D": f"{pretrain:.4g}",
        "whole table / pretraining": f"{run.policy / pretrain:.3g}",
    }, name="FLOPs").to_frame())

# %% [markdown]
# ## 7 · Difficulty: the per-problem pass@1
#
# Each problem's pass@1 (c/n) is its success rate; Schaeffer et al. (arXiv:2502.17578) model coverage
# through the distribution of these rates. Left: its distribution (one row per level where the table has
# levels); right: coverage within each bin. The bins come from a held-apart half of each problem's samples
# (a hypergeometric split of its counts, `ttslib.policy.split_counts`) and the coverage from the other half,
# so no curve is measured on the samples that chose its bin.
# Problems fall into quantile bins of that pass@1, the rule of Snell et al.'s *oracle* bins (arXiv:2408.03314),
# who estimate pass@1 from two thousand and forty-eight samples per problem; here it comes from half of this table's samples. The rule
# (`ttslib.policy.difficulty_bins`): a problem of rank r from the lowest pass@1 among P problems, ties taking
# the lowest rank, goes to bin `NUM_BINS - floor(NUM_BINS (r - 1) / P)`. Problems of equal pass@1 therefore
# share a bin, and bins hold equal numbers only where there are no ties: where many problems are never
# solved, the hardest bin takes them all and a bin can stay empty (the table lists every bin with the problems
# it holds, an empty one included, and the figure's title names the empty ones); into Liu et
# al.'s absolute bins (arXiv:2502.06703: easy, medium and hard, numbered in that order); and into the table's own levels if it has them.

# %%
print(("applies: " if sections["difficulty"].applies else "skipped: ") + sections["difficulty"].reason)

# %%
if sections["difficulty"].applies:
    (n_held, c_held), (n_rest, c_rest) = split_counts(counts["num_samples"], counts["num_correct"], fraction=0.5, seed=SEED)
    pass1 = pd.Series(c_held / n_held, index=counts["problem_id"])  # from the held-apart half
    bins = {"quantile bin of pass@1 (held-apart half)": difficulty_bins(pass1, num_bins=NUM_BINS), "absolute bin": difficulty_bins(pass1, "absolute")}
    if "level" in counts.columns:
        bins["level"] = difficulty_bins(counts.set_index("problem_id")["level"], "given")
    quantile_bin = bins["quantile bin of pass@1 (held-apart half)"].to_numpy()
    ks_rest = ks[ks <= n_rest.min()]
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 3.8))
    all_pass1 = pd.Series((counts["num_correct"] / counts["num_samples"]).to_numpy(), index=counts["problem_id"])
    by_level = {f"level {lv}": g["num_correct"] / g["num_samples"] for lv, g in counts.groupby("level")} if "level" in counts.columns else None
    plot_pass1_hist(by_level or all_pass1, ax=axes[0], log_x=False, bins=np.linspace(0, 1, min(N, 20) + 1))
    axes[0].set_title(f"per-problem pass@1, {len(all_pass1)} problems" + (" by level" if by_level else ""))
    labels_b = sorted(set(quantile_bin))
    bin_colors = dict(zip(range(1, NUM_BINS + 1), sequential_palette(NUM_BINS)))  # by bin number among all bins: empty bins shift no colour
    plot_coverage([coverage_curve(n_rest[quantile_bin == b], c_rest[quantile_bin == b], ks_rest, n_boot=N_BOOT, seed=SEED) for b in labels_b],
                  labels=[f"bin {b} ({int((quantile_bin == b).sum())} problems)" for b in labels_b], ax=axes[1], band=False,
                  palette={f"bin {b} ({int((quantile_bin == b).sum())} problems)": bin_colors[b] for b in labels_b})
    empty = [b for b in range(1, NUM_BINS + 1) if b not in labels_b]  # ties can leave a quantile bin without a problem
    axes[1].set_title("coverage by bin, on the other half (1: easiest)" + (f"\nbin {', '.join(map(str, empty))}: no problem" if empty else ""))
    savefig(fig, "00_difficulty", directory=FIGURES_DIR)

# %%
if sections["difficulty"].applies:
    k_rest = int(ks_rest.max())
    per_problem_k = counts.assign(pass1_held=pass1.to_numpy(), coverage_other_half=pass_at_k(n_rest, c_rest, k_rest))
    every_bin = {"quantile bin of pass@1 (held-apart half)": range(1, NUM_BINS + 1), "absolute bin": list(ABSOLUTE_BINS)}  # empty bins too
    for name, b in bins.items():
        held = per_problem_k.groupby(b.to_numpy()).agg(problems=("pass1_held", "size"), pass1_held=("pass1_held", "mean"),
                                                       **{f"coverage@{k_rest} (other half)": ("coverage_other_half", "mean")})
        if name in every_bin:
            held = held.reindex(every_bin[name]).fillna({"problems": 0}).astype({"problems": int})
        if name == "absolute bin":  # Liu et al.'s names beside the numbers
            held.index = [f"{b}: {ABSOLUTE_BINS[b]}" for b in held.index]
        display(held.rename_axis(name).round(4))

# %% [markdown]
# ## In short
#
# The numbers this notebook measured, in one place (each from a section above; a dash where the section
# did not apply). The comparisons are the findings of the backtest and selection sections; none is repeated here.

# %%
pd.Series({
    "problems x samples": f"{len(counts)} x {N}" + ("" if (counts["num_samples"] == N).all() else " (fewest)"),
    "pass@1": f"{curve.coverage[0]:.4f}",
    f"coverage at k = {N}": f"{curve.coverage[-1]:.4f}",
    f"b on k <= {N}: power law / Beta curve": f"{power.b:.3f} / {beta_b:.3f}" if sections["fits"].applies else "-",
    "Beta -alpha (exponent as k -> infinity)": f"{-beta.alpha:.3f}" if sections["fits"].applies else "-",
    "FLOPs per problem, all samples": f"{run.policy / run.num_problems:.4g}" if sections["flops"].applies else "-",
    "sections skipped": ", ".join(name for name, d in sections.items() if not d.applies) or "none",
}, name=NAME).to_frame()
