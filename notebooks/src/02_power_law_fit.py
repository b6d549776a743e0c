# %% [markdown]
# # 02 · Scaling laws for repeated sampling: the power law, a distribution of success rates, a backtest
#
# **Questions.** Coverage, the share of problems that at least one of k samples solves, is measured in
# notebook 01. This notebook asks:
# - how closely the exponentiated power law `coverage(k) ≈ exp(a k^b)` of Large Language Monkeys
#   (Brown et al. 2024, arXiv:2407.21787, Table 3) fits these Pythia curves, read in units of
#   coverage as well as on log-log axes;
# - how its exponent `b` changes from one model size to the next, and from one pretraining checkpoint
#   to the next, each step tested on the same problems;
# - how `b` compares with `-alpha`, the large-k exponent of a Beta distribution of per-problem success
#   rates fitted to the counts (Schaeffer et al. 2025, arXiv:2502.17578);
# - how Pythia-12B's exponent compares with Table 3 of Brown et al., with the fitting method, problems
#   and k range of both sides named;
# - in a backtest, which forecast of coverage at `K_TARGET` from the first m samples of each problem
#   comes closer to what was observed: the power law extrapolated, or the Betas' exact curves
#   (Schaeffer et al. set a distributional estimator of the exponent beside a least-squares fit of the curve).
#
# **Figures redrawn.** `-log(coverage)` against k on log-log axes with the fitted lines, the view of Schaeffer
# et al. 2025. The other figures (the exponent against model size and over pretraining,
# the backtest, the fits to the kit's own runs) are drawn for the questions above.
#
# **Data.** `data/pythia_checkpoints_*_counts.csv` (notebook 01, `data/README.md`): per problem, samples
# drawn n and samples correct c, for the Pythia sizes and pretraining checkpoints of the source, on MATH
# and GSM8K. The first code cell prints how many of each.

# %% tags=["parameters"]
DATA_DIR = "../data"
FIGURES_DIR = "../figures"
OWN_SAMPLES = "../data/arith_smollm2.parquet"  # the kit's own run (data/README.md)
CODE_SAMPLES = {  # HumanEval sample tables graded by their hidden tests, keyed by registry model (data/README.md)
    "SmolLM2-135M": "../data/code/humaneval_smollm2.parquet",
    "gemma-3-270m": "../data/code/humaneval_gemma3.parquet",
}
CODE_BACKTEST_M = 16  # HumanEval backtest: fit on the first 16 samples of each problem, predict coverage at all 64
CHECKPOINT = "300B"  # the fully trained checkpoint, for the table of fits and the backtest
K_TARGET = 10_000  # the budget the backtest predicts, as in arXiv:2407.21787
BACKTEST_M = (100, 1000)  # samples per problem the backtest may see
BACKTEST_DRAWS = 10  # nested draws of the first m samples (seeds SEED, SEED + 1, ...): the backtest's own noise
N_BOOT = 1000  # bootstrap resamples of problems for the intervals and the paired comparisons
N_BOOT_SWEEP = 200  # fewer for the checkpoint sweep's figure (about 150 Beta fits)
MIN_SOLVED = 10  # checkpoints that solve fewer problems are left out of the sweep
MIN_DEEP = 16  # the backtest: models with fewer problems sampled K_TARGET times or more are left out
K_OWN = 1000  # the kit's own run: the budget its two extrapolations are drawn to and compared at
SEED = 0

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.stats import chi2

from ttslib.backtest import backtest, compare_forecasts
from ttslib.beta import BetaFit, beta_coverage, fit_beta
from ttslib.coverage import log_spaced_ks, pass_at_k
from ttslib.data import read_pythia_counts, read_samples, samples_to_counts
from ttslib.findings import Summary, bootstrap_finding, family, trend
from ttslib.fit import compare_exponents, fit_power_law, fit_power_law_pair
from ttslib.plotting import figure_legend, savefig, use_theme
from ttslib.plotting.fit import plot_backtest, plot_exponents, plot_power_law_fits
from ttslib.pythia import inference_compute_tokens
from ttslib.references import Setting, compare_with_paper, paper_result
from ttslib.registry import registry

use_theme()  # the kit's look: seaborn theme, fixed colours per strategy and per model size
EXPONENT_WORDS = ("less negative", "more negative")  # how a finding on exponents reads: an exponent has no better side
EXTRAPOLATED_WORDS = ("higher", "lower")  # how a finding on an extrapolated value reads: neither side is a measurement
STYLE_KEYS = {  # the legend's keys of line styles, named as styles so that their black is not read as a run
    "fit_label": "line style: power law fit", "curve_label": "line style: Beta fit",
    "fit_extrapolation_label": "line style: power law beyond the fitted k",
    "curve_extrapolation_label": "line style: Beta beyond the fitted k",
}

counts = {
    task: read_pythia_counts(f"{DATA_DIR}/pythia_checkpoints_{task.lower()}_counts.csv")
    for task in ("MATH", "GSM8K")
}
final = {task: df[df["pretrain_tokens"] == CHECKPOINT].sort_values(["params", "problem_id"], kind="stable") for task, df in counts.items()}
# every size at CHECKPOINT is counted on one set of problems, so sizes can be compared paired, problem by problem
assert all(df.groupby("model")["problem_id"].agg(frozenset).nunique() == 1 for df in final.values())
pd.DataFrame({task: {"models": df["model"].nunique(), "checkpoints": df["pretrain_tokens"].nunique(),
                     f"problems per model at {CHECKPOINT}": final[task].groupby("model")["problem_id"].nunique().max(),
                     "problems over all checkpoints": df["problem_id"].nunique()}
              for task, df in counts.items()})

# %% [markdown]
# ## What each fit sees
#
# - **Power law.** Fitted on 40 log-spaced k, as the paper's Table 3 is, by least squares of
#   `log(-log coverage) = log(-a) + b log k` (a line, so the fit is closed-form: `method="loglog"`, used
#   by every table and figure of this notebook unless a column says `nls`). The paper's form is
#   `log coverage = a k^b`; which method fitted it, our source (`../shared/REFERENCES.md`) does not say.
#   Nonlinear least squares (nls) of that form (`method="nls"`) is set beside the log-log fit in a section below.
#   Here k runs up to the smallest n of the model's problems (column `k_max` of the table below), so that
#   every problem has an unbiased pass@k at every k. Never-solved problems stay in: they are part of coverage.
# - **Beta / scaled Beta.** Fitted to all counts (n, c) at once by maximum likelihood, with the binomial
#   noise of each count in the likelihood, so unequal n are no obstacle and c = 0 is information.
# - Models that never solve any problem have no fit (coverage is zero at every k; the Beta MLE does not
#   exist) and are listed, not dropped silently.
# - **Paired comparisons.** Two exponents are compared on the same problems with a paired bootstrap:
#   both are refitted on each resample of problems (`ttslib.fit.fit_power_law_pair`, or, for `b` and
#   `-alpha` of one model, `fit_power_law` and `fit_beta` with one seed, which resample alike) and the
#   interval is that of the replicate differences (`ttslib.findings.bootstrap_finding`). Several
#   comparisons made in one section form a family, judged with Holm's adjustment (`ttslib.findings.family`).

# %%
solved = {task: df.groupby("model", sort=False)["num_correct"].sum() > 0 for task, df in final.items()}
{task: s.index[~s].tolist() for task, s in solved.items()}  # models without a single correct sample

# %%
fits = {
    (task, model): (
        fit_power_law(g["num_samples"], g["num_correct"], n_boot=N_BOOT, seed=SEED),
        fit_beta(g["num_samples"], g["num_correct"], n_boot=N_BOOT, seed=SEED),
        fit_beta(g["num_samples"], g["num_correct"], scaled=True, n_boot=N_BOOT, seed=SEED),
    )
    for task, df in final.items()
    for model, g in df.groupby("model", sort=False)
    if solved[task][model]
}
params = {model: p for df in final.values() for model, p in zip(df["model"], df["params"])}
assert max(len(pl.k) for pl, _, _ in fits.values()) <= 40 and all(pl.method == "loglog" for pl, _, _ in fits.values())  # 40 log-spaced k (fewer where k repeat)

# %% [markdown]
# ## The fits (bootstrap percentile intervals over problems)
#
# `b` is the power-law exponent on the data's k range; `-alpha` is the Beta's large-k exponent
# (`-log pass_D@k ~ k^-alpha`, arXiv:2502.17578). `fit/obs at k=1` is the fitted coverage `exp(a)` over
# the observed pass@1; `worst |fit/obs - 1|` is the largest relative error of the fitted coverage over
# the k the fit used, and `at k` where it is (`PowerLawFit.relative_error`). `LR` is twice the
# log-likelihood gain of the scaled Beta over the Beta (one extra parameter on the boundary of its range,
# scale = 1, so the null is a 50:50 mix of chi2_0 and chi2_1 (Self & Liang 1987); the summary below prints the
# threshold and the level of the test, and the level of the intervals). The scaled Beta's bootstrap takes a single Newton step per resample, so its
# intervals are approximate.

# %%
table = pd.DataFrame(
    [
        {
            "task": task, "model": model, "params": params[model], "k_max": int(pl.k.max()),
            "never_solved": pl.num_never_solved,
            "a": pl.a, "a_lo": pl.a_interval[0], "a_hi": pl.a_interval[1],
            "b": pl.b, "b_lo": pl.b_interval[0], "b_hi": pl.b_interval[1],
            "fit/obs at k=1": 1 + pl.relative_error()[0],
            "worst |fit/obs - 1|": np.abs(pl.relative_error()).max(), "at k": int(pl.k[np.argmax(np.abs(pl.relative_error()))]),
            "-alpha": -beta.alpha, "-alpha_lo": -beta.alpha_interval[1], "-alpha_hi": -beta.alpha_interval[0],
            "beta": beta.beta,
            "scaled -alpha": -scaled.alpha, "scale": scaled.scale, "scale_lo": scaled.scale_interval[0], "scale_hi": scaled.scale_interval[1],
            "LR": 2 * (scaled.log_likelihood - beta.log_likelihood),
        }
        for (task, model), (pl, beta, scaled) in fits.items()
    ]
)
assert all(pl.num_failed_boot == 0 and beta.num_failed_boot == 0 for pl, beta, _ in fits.values())  # no resample dropped
assert all(pl.k[0] == 1 for pl, _, _ in fits.values())  # the first fitted k is k = 1 for every fit
assert all(scaled.scale <= 1 for _, _, scaled in fits.values())
table.round(3)

# %% [markdown]
# ### What the table shows (rendered from it)

# %%
gof = {task: t.set_index("model") for task, t in table.groupby("task", sort=False)}
significant = table[table["LR"] > chi2.ppf(1 - 2 * BetaFit.DEGENERATE_P, 1)]
levels = {f"{f.level:.0%}" for pl, beta, _ in fits.values() for f in (pl, beta)}
Summary(
    f"Intervals: {' and '.join(sorted(levels))} bootstrap percentile intervals over {N_BOOT} resamples of problems.",
    *[f"{task}, {CHECKPOINT} checkpoint, {len(t)} log-log fits: the fitted coverage at k = 1 is "
      f"{t['fit/obs at k=1'].min():.2f} ({t['fit/obs at k=1'].idxmin()}) to {t['fit/obs at k=1'].max():.2f} "
      f"({t['fit/obs at k=1'].idxmax()}) times the observed pass@1; the largest relative error of the fitted coverage over "
      f"each fit's k is {t['worst |fit/obs - 1|'].min():.2f} to {t['worst |fit/obs - 1|'].max():.2f}, at k = 1 in "
      f"{int((t['at k'] == 1).sum())} of {len(t)} fits."
      for task, t in gof.items()],
    f"The scaled Beta's likelihood-ratio statistic is above {chi2.ppf(1 - 2 * BetaFit.DEGENERATE_P, 1):.2f} (scale significant "
    f"at {BetaFit.DEGENERATE_P:.0%}, each test alone) in {len(significant)} of {len(table)} fits"
    + (": " + ", ".join(f"{t} {m}" for t, m in zip(significant["task"], significant["model"])) if len(significant) else "") + ".",
)

# %% [markdown]
# ## Two fitting methods on the same counts: log-log and nonlinear least squares
#
# Brown et al. fit `log(coverage) = a k^b` on 40 log-spaced k; our source does not name their fitting
# method. Nonlinear least squares (nls) of that form on the same k (`ttslib.fit.fit_power_law_nls_curve`;
# bootstrapped here over problems exactly as the log-log fit, on the same resamples) is one way to fit it.
# The log-log form stretches the points near coverage 1 (where `-log coverage` is
# small) and weighs each point by its log-log residual; nls weighs each k by its error in
# `log coverage`. The table sets the two side by side on the same counts and the same k; the cell after
# it compares the two exponents of each model, paired (one family of comparisons, one per fit).

# %%
nls = {
    key: fit_power_law(final[key[0]].loc[lambda d: d["model"] == key[1], "num_samples"],
                       final[key[0]].loc[lambda d: d["model"] == key[1], "num_correct"], method="nls", n_boot=N_BOOT, seed=SEED)
    for key in fits
}
methods = pd.DataFrame(
    [{"task": task, "model": model, "a (loglog)": fits[task, model][0].a, "a (nls)": f.a, "b (loglog)": fits[task, model][0].b,
      "b (nls)": f.b, "b_lo (nls)": f.b_interval[0], "b_hi (nls)": f.b_interval[1],
      "fit/obs at k=1 (nls)": 1 + f.relative_error()[0], "worst |fit/obs - 1| (nls)": np.abs(f.relative_error()).max()}
     for (task, model), f in nls.items()]
)
assert all(np.array_equal(nls[key].k, fits[key][0].k) and nls[key].num_failed_boot == 0 for key in fits)  # the same k for both, no resample dropped
methods.round(3)

# %%
by_method = family([
    bootstrap_finding(nls[key].b, fits[key][0].b, nls[key].boot[:, 1], fits[key][0].boot[:, 1], a="nonlinear least squares (nls)",
                      b="log-log fit", quantity=f"power-law exponent b of {key[1]} on {key[0]}",
                      range=f"{CHECKPOINT} checkpoint, k = 1 to {int(fits[key][0].k.max()):,}", num_problems=fits[key][0].num_problems,
                      words=EXPONENT_WORDS)
    for key in fits
])
Summary(*by_method)

# %% [markdown]
# ## Against the published fits (arXiv:2407.21787, Table 3, MATH)
#
# Table 3 of Brown et al. gives `(a, b)` for Pythia-12B and Pythia-70M on MATH; the records rendered
# below print them with what our source says of the paper's method and k range. Here only some problems
# have `K_TARGET` samples, so Pythia-12B is fitted three ways by nls: on all problems over the k every
# problem has, and on the problems with n >= `K_TARGET` over both that k range and k up to `K_TARGET`
# (of the settings these counts hold, the one nearest the paper's). `ttslib.references.compare_with_paper`
# sets each fit beside the paper's record: it tests only where model, benchmark, quantity, method and
# range are all the same, and otherwise names the fields that differ and tests nothing. The two fits on the
# problems sampled deep are compared with each other, paired: on one set of problems, the k range alone
# differs. Where a model has no fit (no correct sample), the coverage the paper's fit gives at the k every
# problem here was sampled to is printed beside the coverage observed there; for Pythia-160M, the coverage
# the paper's headline results give beside the coverage measured here (over all problems at the k every
# problem has, and over the problems sampled deep at `K_TARGET`). Last, the
# size labels of the counts are set beside their `inference_compute` column (read as notebook 05 reads it).

# %%
g12 = final["MATH"][final["MATH"]["model"] == "pythia-12b"]
deep12 = g12[g12["num_samples"] >= K_TARGET]
k_all = log_spaced_ks(int(g12["num_samples"].min()), 40)  # the k every problem has
like = {
    (f"MATH ({len(g12)} problems)", k_all.max()): fit_power_law(g12["num_samples"], g12["num_correct"], k=k_all, method="nls",
                                                                n_boot=N_BOOT, seed=SEED),
    **{(f"MATH ({len(deep12)} of the {len(g12)} problems: those with n >= {K_TARGET:,})", ks.max()):
       fit_power_law(deep12["num_samples"], deep12["num_correct"], k=ks, method="nls", n_boot=N_BOOT, seed=SEED)
       for ks in (k_all, log_spaced_ks(K_TARGET, 40))},
}
pd.DataFrame([{"problems": benchmark, "k up to": int(f.k.max()), "a": f.a, "a 95%": f"[{f.a_interval[0]:.3f}, {f.a_interval[1]:.3f}]",
               "b": f.b, "b 95%": f"[{f.b_interval[0]:.3f}, {f.b_interval[1]:.3f}]"} for (benchmark, _), f in like.items()]).round(3)

# %%
nls_method = "nonlinear least squares (nls) of log coverage = a k^b on 40 log-spaced k"  # ours; the paper's is not in our source
(all_key, all12), (deep_short_key, deep_short), (deep_long_key, deep_long) = like.items()
g70 = final["MATH"][final["MATH"]["model"] == "pythia-70m"]
k_range = family([bootstrap_finding(deep_long.b, deep_short.b, deep_long.boot[:, 1], deep_short.boot[:, 1],
                                    a=f"k up to {int(deep_long.k.max()):,}", b=f"k up to {int(deep_short.k.max())}",
                                    quantity="Pythia-12B's power-law exponent b (nls)", range=f"{deep_long_key[0]}, {CHECKPOINT} checkpoint",
                                    num_problems=deep_long.num_problems, words=EXPONENT_WORDS)])
fit70 = nls.get(("MATH", "pythia-70m"))
n70 = int(g70["num_samples"].min())
table3 = [
    *[compare_with_paper("monkeys_pythia12b_math_fit",
                         Setting("Pythia-12B", benchmark, "power-law exponent b of coverage(k) = exp(a k^b)", nls_method,
                                 f"k = 1 to {int(f.k.max()):,}, {CHECKPOINT} checkpoint"), f.b, *f.b_interval)
      for (benchmark, _), f in like.items()],
    compare_with_paper("monkeys_pythia12b_math_fit_a",
                       Setting("Pythia-12B", all_key[0], "power-law prefactor a of coverage(k) = exp(a k^b)", nls_method,
                               f"k = 1 to {int(all12.k.max()):,}, {CHECKPOINT} checkpoint"), all12.a, *all12.a_interval),
    compare_with_paper("monkeys_pythia70m_math_fit",
                       Setting("Pythia-70M", f"MATH ({len(g70)} problems)", "power-law exponent b of coverage(k) = exp(a k^b)", nls_method,
                               f"{CHECKPOINT} checkpoint, n = {n70:,} to {int(g70['num_samples'].max()):,} samples per problem, "
                               f"{int(g70['num_correct'].sum())} correct of {int(g70['num_samples'].sum()):,}"
                               + ("" if fit70 is not None else ": no fit (coverage 0 at every k)")),
                       *((fit70.b, *fit70.b_interval) if fit70 is not None else (None,))),
]
# what the paper's (a, b) give where these counts hold a measurement: coverage exp(a k^b) at a k every problem has, and pass@1 exp(a)
a70, b70 = (paper_result(key).value for key in ("monkeys_pythia70m_math_fit_a", "monkeys_pythia70m_math_fit"))
covered70 = float(pass_at_k(g70["num_samples"], g70["num_correct"], n70).mean())  # unbiased: every problem has n >= n70
g160 = final["MATH"][final["MATH"]["model"] == "pythia-160m"]
paper160 = paper_result("monkeys_pythia160m_math_coverage")
solved160 = int((g160["num_correct"] > 0).sum())
n160 = int(g160["num_samples"].min())  # the largest k every problem has
deep160 = g160[g160["num_samples"] >= K_TARGET]
covered160 = float(pass_at_k(g160["num_samples"], g160["num_correct"], n160).mean())
deep_covered160 = float(pass_at_k(deep160["num_samples"], deep160["num_correct"], K_TARGET).mean()) if len(deep160) else float("nan")
pythia_params = registry().loc[lambda m: m["family"] == "Pythia"].set_index("name")["params"]
attributed = {task: inference_compute_tokens(df, pythia_params) for task, df in counts.items()}  # as in notebook 05
label_matches = {task: int((a["implied_model"] == a.index.get_level_values("model")).sum()) for task, a in attributed.items()}
size_caveat = {task: f"sizes as labelled in the processed counts; their inference_compute column points to another size in "
                     f"{len(a) - label_matches[task]} of {len(a)} (model, checkpoint) groups of {task}" for task, a in attributed.items()}
implied = [
    f"Pythia-70M on MATH ({len(g70)} problems, {CHECKPOINT} checkpoint): every problem has at least {n70:,} samples; "
    f"{int((g70['num_correct'] > 0).sum())} of {len(g70)} problems have a correct one ({int(g70['num_correct'].sum())} correct of "
    f"{int(g70['num_samples'].sum()):,} samples), and the observed coverage at k = {n70:,} is {covered70:.3f}. The paper's Table 3 fit "
    f"for Pythia-70M on MATH (a = {a70:g}, b = {b70:g}) gives coverage exp({a70:g} * {n70:,}^{b70:g}) = {np.exp(a70 * n70 ** b70):.2f} "
    "at that k: these counts do not match the paper's published fit for this model name.",
    f"Pythia-160M on MATH ({len(g160)} problems, {CHECKPOINT} checkpoint): {solved160} of {len(g160)} problems have a correct sample in "
    f"{n160:,} to {int(g160['num_samples'].max()):,} samples; the coverage over all {len(g160)} problems at k = {n160:,} (the largest k "
    f"every problem has) is {covered160:.3f}, and over the {len(deep160)} problems with n >= {K_TARGET:,} it is {deep_covered160:.3f} at "
    f"k = {K_TARGET:,}; past k = {n160:,} the coverage of all {len(g160)} is not measured. The paper ({paper160.paper}, arXiv:{paper160.arxiv}, {paper160.where}) reports "
    f"{paper160.value_text} for Pythia-160M on MATH, over the paper's problems, not these {len(deep160)}: set side by side, not tested.",
    "Every per-size statement in this notebook rests on the size labels the processed counts carry (data/README.md). Read as the FLOPs "
    "of one sample, their inference_compute column points to the labelled size in "
    + " and ".join(f"{label_matches[task]} of {len(a)} (model, checkpoint) groups of {task}" for task, a in attributed.items())
    + f"; one of the {len(pythia_params)} sizes at random would give about "
    + " and ".join(f"{len(a) / len(pythia_params):.0f}" for a in attributed.values()) + " (notebook 05 reads this column).",
]
assert deep12["num_samples"].min() >= K_TARGET and deep_long.k.max() <= K_TARGET and deep_short.k.max() == all12.k.max()
assert (g70["num_samples"] >= n70).all() and len(g70) == len(g12)
Summary(*table3, *k_range, *implied)

# %% [markdown]
# ## The fitted curves over the data (the view of arXiv:2502.17578)
#
# Points: observed `-log(coverage)`, the only measurements. Over the k each power law was fitted on, its
# line is solid and the exact curve `pass_D@k` of the model's Beta fit dotted; beyond that k, up to
# `K_TARGET`, both are extrapolations, drawn faded: the power law in long dashes, the Beta's curve in
# dash-dots (the legend keys each of the four line styles). How far each
# line is from its points in units of coverage is in the table of fits (`fit/obs at k=1`, `worst |fit/obs - 1|`).

# %%
ks_curve = log_spaced_ks(K_TARGET, 60)
fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
for ax, task in zip(axes, final):
    chosen = [key for key in fits if key[0] == task]
    plot_power_law_fits(
        [fits[key][0] for key in chosen],
        labels=[key[1] for key in chosen],
        curves=[(ks_curve, fits[key][1].coverage(ks_curve)) for key in chosen],
        k_max=K_TARGET,
        ax=ax,
        **STYLE_KEYS,
    )
    ax.set_title(f"{task}: Pythia, {CHECKPOINT}-token checkpoint")
figure_legend(fig, axes[::-1])  # one legend beside both panels (GSM8K's first: it has every size)
savefig(fig, "02_power_law_fits", directory=FIGURES_DIR)

# %% [markdown]
# ## The exponent against model size
#
# The power-law exponent b (log-log fit) and the Beta's large-k exponent -alpha, both with bootstrap intervals.
# `b` depends on the k range it is fitted on, so every size of a benchmark is fitted here on one common k
# range, 40 log-spaced k from 1 to the smallest `k_max` of that benchmark's sizes (the panel's title prints
# it): the points drawn and the steps tested below are the same fits, on the same k. (The table of fits above
# gives each model's `b` on its own k range.) A model that solves only a handful of problems has a wide Beta
# interval (it runs off the axis for the smallest model on MATH): the tail is estimated from those few.
# Below the figure, two sets of comparisons: b of each size against the next size up, on the same problems
# and the common k (a trend per benchmark: each step is a paired finding, the steps of one benchmark one
# family); and, for each fit, `-alpha` against `b` of the same model on its own k range (one family over all fits).

# %%
k_sizes = {task: log_spaced_ks(int(t["k_max"].min()), 40) for task, t in table.groupby("task", sort=False)}  # every fitted size has n >= it
common = pd.DataFrame(
    [{"task": task, "params": params[model], "b": f.b, "b_lo": f.b_interval[0], "b_hi": f.b_interval[1]}
     for (task, model) in fits
     for g in [final[task][final[task]["model"] == model]]
     for f in [fit_power_law(g["num_samples"], g["num_correct"], k=k_sizes[task], n_boot=N_BOOT, seed=SEED)]]
)
long = pd.concat(
    [
        common.assign(estimator="power law b"),
        table[["task", "params", "-alpha", "-alpha_lo", "-alpha_hi"]]
        .rename(columns={"-alpha": "b", "-alpha_lo": "b_lo", "-alpha_hi": "b_hi"})
        .assign(estimator="Beta: -alpha"),
    ]
)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
for ax, task in zip(axes, final):
    plot_exponents(long[long["task"] == task], x="params", by="estimator", ax=ax)
    ax.set_xlabel("parameters")
    ax.set_ylabel("exponent")
    ax.set_ylim(-1.6, 0)  # the widest intervals (models that solve a handful of problems) run off the axis
    ax.set_title(f"{task}: b on k = 1 to {int(k_sizes[task].max()):,} for every size")
figure_legend(fig)  # the same two estimators in both panels: one legend beside them
savefig(fig, "02_exponent_vs_params", directory=FIGURES_DIR)

# %%
size_trends = {
    task: trend([
        compare_exponents(pair["num_samples_a"], pair["num_correct_a"], pair["num_samples_b"], pair["num_correct_b"], a=larger, b=smaller,
                          where=f"{task}, {CHECKPOINT} checkpoint", k=k_sizes[task], n_boot=N_BOOT, seed=SEED, words=EXPONENT_WORDS)
        for smaller, larger in zip(sizes, sizes[1:])
        for pair in [df[df["model"] == larger].merge(df[df["model"] == smaller], on="problem_id", suffixes=("_a", "_b"))]
    ], quantity=f"{task}: power-law exponent b (log-log fit) from each size to the next ({size_caveat[task]})", words=EXPONENT_WORDS)
    for task, df in final.items()
    for sizes in [[m for m in dict.fromkeys(df["model"]) if solved[task][m]]]
}
tail_vs_curve = family([
    bootstrap_finding(-beta.alpha, pl.b, -beta.boot[:, 0], pl.boot[:, 1], a="Beta -alpha", b="power-law b",
                      quantity=f"exponent of {model} on {task}", range=f"{CHECKPOINT} checkpoint; b fitted on k = 1 to {int(pl.k.max()):,}, "
                      "-alpha the Beta's large-k limit", num_problems=pl.num_problems, words=EXPONENT_WORDS)
    for (task, model), (pl, beta, _) in fits.items()
])
assert all(len(t.steps) == sum(solved[task]) - 1 for task, t in size_trends.items())  # every consecutive pair of fitted sizes
# the points drawn are the steps' fits: each step's difference is the difference of the two points drawn
assert all(np.isclose(step.difference, common.loc[common["task"].eq(task), "b"].diff().iloc[i + 1])
           for task, t in size_trends.items() for i, step in enumerate(t.steps))
Summary(*size_trends.values(), *tail_vs_curve)

# %% [markdown]
# ## The exponent over pretraining (the checkpoint sweep)
#
# The same two fits for every (model, checkpoint) that solves at least `MIN_SOLVED` problems, with
# `N_BOOT_SWEEP` bootstrap resamples for the figure. As for the sizes, `b` of every kept (model, checkpoint)
# of a benchmark is fitted on one common k range, 40 log-spaced k from 1 to the smallest n of all of them
# (the panels' titles print it), and the steps tested below are fitted on that k range too. Early checkpoints solve few or none: with a handful of
# solved problems there is no tail to fit. Where the Beta's likelihood is not significantly above that
# of one common p for all problems (`BetaFit.degenerate`, a likelihood-ratio test at level `BetaFit.DEGENERATE_P`) its -alpha is no
# tail exponent and is left out of the bottom panels. The bottom panels are cut at -2: checkpoints that solve few problems have
# Beta intervals far wider than that. A line is broken (not drawn across) where a checkpoint between two kept ones
# was left out, for `MIN_SOLVED` or, in the bottom panels, as degenerate. Below the figure, for each model, `b` of each kept checkpoint
# against the next kept checkpoint, on the problems both were counted on (`N_BOOT` paired resamples;
# a trend per model, its steps one family).

# %%
kept_groups = {
    (task, model, tokens): g
    for task, df in counts.items()
    for (model, tokens), g in df.groupby(["model", "pretrain_tokens"], sort=False)
    if (g["num_correct"] > 0).sum() >= MIN_SOLVED
}
k_sweep = {task: log_spaced_ks(min(int(g["num_samples"].min()) for key, g in kept_groups.items() if key[0] == task), 40) for task in counts}
sweep = pd.DataFrame(
    [
        {
            "task": task, "model": model, "params": g["params"].iloc[0], "tokens": g["pretrain_tokens_n"].iloc[0],
            "checkpoint": tokens, "b": pl.b, "b_lo": pl.b_interval[0], "b_hi": pl.b_interval[1],
            "-alpha": -beta.alpha, "-alpha_lo": -beta.alpha_interval[1], "-alpha_hi": -beta.alpha_interval[0],
            "degenerate": beta.degenerate,
        }
        for (task, model, tokens), g in kept_groups.items()
        for pl, beta in [(fit_power_law(g["num_samples"], g["num_correct"], k=k_sweep[task], n_boot=N_BOOT_SWEEP, seed=SEED),
                          fit_beta(g["num_samples"], g["num_correct"], n_boot=N_BOOT_SWEEP, seed=SEED))]
    ]
).sort_values(["task", "params", "tokens"], kind="stable")
assert (sweep["-alpha_lo"] < -2).any()  # the bottom panels are cut at -2 below: some intervals reach further
sweep.loc[sweep["degenerate"], ["task", "model", "checkpoint", "-alpha"]]  # left out of the -alpha panels (LR test at 5%)

# %%
left_out = pd.DataFrame(  # checkpoints between a model's first and last kept ones that were not kept: NaN rows break its line
    [{"task": task, "model": model, "params": g["params"].iloc[0], "tokens": g["pretrain_tokens_n"].iloc[0], "checkpoint": tokens}
     for task, df in counts.items()
     for (model, tokens), g in df.groupby(["model", "pretrain_tokens"], sort=False)
     if (task, model, tokens) not in kept_groups
     for s in [sweep[sweep["task"].eq(task) & sweep["model"].eq(model)]]
     if len(s) and s["tokens"].min() < g["pretrain_tokens_n"].iloc[0] < s["tokens"].max()]
)
sweep_drawn = pd.concat([sweep, left_out]).sort_values(["task", "params", "tokens"], kind="stable")
left_out.groupby(["task", "model"], sort=False)["checkpoint"].agg(list)  # the checkpoints left out inside a model's kept range

# %%
fig, axes = plt.subplots(2, 2, figsize=(11, 7), sharex=True, sharey="row")
for col, task in enumerate(final):
    for row, y in enumerate(("b", "-alpha")):
        shown = sweep_drawn[sweep_drawn["task"] == task].assign(**{"-alpha": lambda t: t["-alpha"].where(~t["degenerate"].eq(True))})
        plot_exponents(shown, x="tokens", y=y, by="model", ax=axes[row, col])
        axes[row, col].set_title(f"{task}: " + (f"power law b on k = 1 to {int(k_sweep[task].max()):,}" if y == "b" else "Beta -alpha"))
    axes[0, col].set_xlabel("")
    axes[1, col].set_xlabel("pretraining tokens")
    axes[1, col].set_ylim(-2, 0)  # intervals of checkpoints with few solved problems run off the axis
figure_legend(fig, axes[:, ::-1].T.ravel())  # one legend of the sizes beside the grid (GSM8K's panels first: they have every size)
savefig(fig, "02_exponent_vs_tokens", directory=FIGURES_DIR)

# %%
pretraining_pairs = {  # (task, model) -> (earlier, later, the two checkpoints' counts on the problems both were counted on)
    (task, model): [(earlier, later, g[g["pretrain_tokens"] == later].merge(g[g["pretrain_tokens"] == earlier], on="problem_id",
                                                                            suffixes=("_a", "_b")))
                    for earlier, later in zip(kept, kept[1:])]
    for (task, model), s in sweep.groupby(["task", "model"], sort=False)
    for kept, g in [(s["checkpoint"].tolist(), counts[task][counts[task]["model"] == model])]
    if len(kept) > 1
}
pretraining_trends = {
    (task, model): trend([
        compare_exponents(pair["num_samples_a"], pair["num_correct_a"], pair["num_samples_b"], pair["num_correct_b"], a=later, b=earlier,
                          where=f"{task}, {model}", k=k_sweep[task], n_boot=N_BOOT, seed=SEED, words=EXPONENT_WORDS)
        for earlier, later, pair in steps
    ], quantity=f"{task} {model}: power-law exponent b (log-log fit) from each pretraining checkpoint to the next", words=EXPONENT_WORDS)
    for (task, model), steps in pretraining_pairs.items()
}
# on the problems both checkpoints of a step were counted on, each still solves at least MIN_SOLVED of them
assert all(min((pair["num_correct_a"] > 0).sum(), (pair["num_correct_b"] > 0).sum()) >= MIN_SOLVED
           for steps in pretraining_pairs.values() for _, _, pair in steps)
Summary(*pretraining_trends.values())

# %% [markdown]
# ## Backtest: predict coverage at `K_TARGET` from the first m samples
#
# Only the counts are stored, not the order of the samples. With exchangeable samples the first m
# of a problem are a random m-subset, so the number correct among them is drawn from
# `Hypergeometric(n, c, m)` with a seeded generator, nested so that the first samples of the smaller m
# lie inside those of the larger (`ttslib.backtest.nested_subsample_counts`). The target is the unbiased
# coverage at `K_TARGET` over the problems with n >= `K_TARGET` (the column `num_problems`; models with
# fewer than `MIN_DEEP` such problems, or no success on them, are left out), and the estimators see only
# those problems. The power law is fitted on k <= m and extrapolated; the Betas predict with their exact `pass_D@K_TARGET`. `exponent` is each
# estimator's b on k <= `K_TARGET` (for the Betas, the line through their exact curve), `observed_exponent`
# the b fitted to all samples.

# %%
deep = {
    (task, model): g
    for task, df in final.items()
    for model, g in df.groupby("model", sort=False)
    if (g["num_samples"] >= K_TARGET).sum() >= MIN_DEEP and g.loc[g["num_samples"] >= K_TARGET, "num_correct"].sum() > 0
}
backtests = pd.concat(
    [
        backtest(g["num_samples"], g["num_correct"], m=BACKTEST_M, k_target=K_TARGET, seed=SEED).assign(task=task, model=model)
        for (task, model), g in deep.items()
    ],
    ignore_index=True,
)
backtests[["task", "model", "num_problems", "m", "estimator", "observed", "predicted", "error",
           "observed_exponent", "exponent", "status"]].round(3)

# %% [markdown]
# Which first m samples a problem had is not recorded, so one draw of them is one of many equally
# likely backtests. Each backtest is therefore run for `BACKTEST_DRAWS` nested draws (the table above is
# the first); the table below prints each estimator's mean absolute error over the models per draw (its
# lowest and highest over the draws: the noise of the draws alone). The comparisons take the model (one size
# on one benchmark) as their unit: each model's absolute error is its mean over the draws, and the power law
# is set against each Beta, at each m, paired over the models (`ttslib.backtest.compare_forecasts` with
# `over="units"`: a t interval over the models, and the count of models where each error is the smaller with
# its exact sign test), once for the forecast coverage at `K_TARGET` and once for the forecast exponent (two
# families of comparisons). The models and problems are the ones above, not a sample of others.

# %%
draws = pd.concat(
    [
        backtest(g["num_samples"], g["num_correct"], m=BACKTEST_M, k_target=K_TARGET, seed=SEED + d).assign(task=task, model=model, draw=d)
        if d else backtests[backtests["task"].eq(task) & backtests["model"].eq(model)].assign(draw=0)
        for d in range(BACKTEST_DRAWS)
        for (task, model), g in deep.items()
    ],
    ignore_index=True,
)
per_draw = draws.assign(abs_error=draws["error"].abs(), abs_exponent_error=(draws["exponent"] - draws["observed_exponent"]).abs()).groupby(
    ["m", "estimator", "draw"], sort=False
).agg(models=("model", "size"), predicted=("predicted", "count"), mean_abs_error=("abs_error", "mean"),
      mean_abs_exponent_error=("abs_exponent_error", "mean"))
deep_problems = len({(task, p) for (task, _), g in deep.items() for p in g.loc[g["num_samples"] >= K_TARGET, "problem_id"]})  # the targets' problems
compared = [(m, beta) for m in BACKTEST_M for beta in ("beta", "scaled beta")]  # the power law against each Beta, at each m
forecasts = {
    what: dict(zip(compared, family([compare_forecasts(draws, "power law", beta, m=m, k_target=K_TARGET, num_problems=deep_problems,
                                                       what=what, unit=("task", "model"), over="units", unit_name="models")
                                      for m, beta in compared])))
    for what in ("coverage", "exponent")
}
assert draws["draw"].nunique() == BACKTEST_DRAWS and all(f.family_size == len(compared) for fs in forecasts.values() for f in fs.values())
per_draw.groupby(["m", "estimator"], sort=False).agg(
    backtests=("models", "first"), forecasts=("predicted", "min"), mean_abs_error=("mean_abs_error", "mean"),
    lowest=("mean_abs_error", "min"), highest=("mean_abs_error", "max"),
    mean_abs_exponent_error=("mean_abs_exponent_error", "mean")).round(3)

# %%
fig, ax = plt.subplots(figsize=(4.8, 4.5))
plot_backtest(backtests.dropna(subset=["predicted"]).assign(model=lambda t: t["task"] + " " + t["model"].str.removeprefix("pythia-")),
              ax=ax, label="model")
ax.set_title(f"coverage at k = {K_TARGET:,} from the first m samples\n(the first of {BACKTEST_DRAWS} draws of those samples)")
savefig(fig, "02_backtest", directory=FIGURES_DIR)

# %% [markdown]
# ### What the backtest shows (rendered)
#
# The findings of the two families. Schaeffer et al. claim that their distributional estimator (a scaled
# Beta) estimates the exponent from less data than a least-squares fit of the curve; our source
# (`../shared/REFERENCES.md`) names no model, benchmark, sample size or number for that claim, so it gives
# no setting to set these findings beside, and none is set.

# %%
Summary(*forecasts["coverage"].values(), *forecasts["exponent"].values())

# %% [markdown]
# ## The kit's own samples
#
# The same fits on SmolLM2-135M's arithmetic run (`OWN_SAMPLES`; the cell prints its problems and samples).
# The power law is fitted on k up to the samples per problem only; the Beta's exponent is what the
# distributional view predicts beyond. The figure draws both past that k, up to `K_OWN`, as extrapolations
# (faded: the power law in long dashes, the Beta's curve in dash-dots). Two
# comparisons, paired over the same resamples of problems (one family): `-alpha` against `b`, and the two
# forecasts of coverage at k = `K_OWN`. Both forecasts lie past the data: they compare the two models of the
# curve, not a forecast with an observation. How many problems were never solved is printed too: a run of
# this size cannot tell a small success rate from none.

# %%
own = samples_to_counts(read_samples(OWN_SAMPLES))
own_fit = fit_power_law(own["num_samples"], own["num_correct"], n_boot=N_BOOT, seed=SEED)
own_beta = fit_beta(own["num_samples"], own["num_correct"], n_boot=N_BOOT, seed=SEED)
pd.Series(
    {
        "problems": f"{len(own)}", "samples per problem": " to ".join(dict.fromkeys(str(n) for n in (own["num_samples"].min(), own["num_samples"].max()))),
        "k fitted": f"{own_fit.k.min()} to {own_fit.k.max()}",
        "a": f"{own_fit.a:.3f} [{own_fit.a_interval[0]:.3f}, {own_fit.a_interval[1]:.3f}]",
        "b": f"{own_fit.b:.3f} [{own_fit.b_interval[0]:.3f}, {own_fit.b_interval[1]:.3f}]",
        "fit/obs at k=1": f"{1 + own_fit.relative_error()[0]:.3f}",
        "worst |fit/obs - 1|": f"{np.abs(own_fit.relative_error()).max():.3f} at k = {own_fit.k[np.argmax(np.abs(own_fit.relative_error()))]}",
        "Beta alpha": f"{own_beta.alpha:.3f} [{own_beta.alpha_interval[0]:.3f}, {own_beta.alpha_interval[1]:.3f}]",
        "Beta beta": f"{own_beta.beta:.3f}",
        "never solved": f"{own_fit.num_never_solved} of {own_fit.num_problems}",
    }
)

# %%
k_own = np.geomspace(1, K_OWN, 60)
fig, ax = plt.subplots(figsize=(5, 3.8))
plot_power_law_fits([own_fit], labels=["SmolLM2-135M, arithmetic"], curves=[(k_own, own_beta.coverage(k_own))], k_max=K_OWN, ax=ax,
                    **STYLE_KEYS)
ax.set_title(f"the kit's own run: fit on k <= {own_fit.k.max()}")
savefig(fig, "02_power_law_own", directory=FIGURES_DIR)

# %%
own_range = f"arithmetic, b on k = 1 to {own_fit.k.max()}"
own_findings = family([
    bootstrap_finding(-own_beta.alpha, own_fit.b, -own_beta.boot[:, 0], own_fit.boot[:, 1], a="Beta -alpha", b="power-law b",
                      quantity="exponent of SmolLM2-135M", range=own_range + ", -alpha the Beta's large-k limit", num_problems=len(own),
                      words=EXPONENT_WORDS),
    bootstrap_finding(float(own_beta.coverage(K_OWN)), float(own_fit.predict(K_OWN)),
                      beta_coverage(K_OWN, own_beta.boot[:, 0], own_beta.boot[:, 1]), np.exp(own_fit.boot[:, 0] * K_OWN ** own_fit.boot[:, 1]),
                      a="Beta", b="power law",
                      quantity=f"SmolLM2-135M's coverage at k = {K_OWN} extrapolated from the fit", range=own_range, num_problems=len(own),
                      words=EXTRAPOLATED_WORDS),
])
assert own_fit.num_failed_boot == 0 and own_beta.num_failed_boot == 0 and own_fit.k.max() == own["num_samples"].min()
own_samples = " to ".join(dict.fromkeys(str(n) for n in (own["num_samples"].min(), own["num_samples"].max())))
Summary(*own_findings, f"Never solved in {own_samples} samples: {own_fit.num_never_solved} of {own_fit.num_problems} problems "
                       f"({own_fit.num_never_solved / own_fit.num_problems:.0%}).")

# %% [markdown]
# ## Code: HumanEval on the kit's two models
#
# The same fits on the HumanEval runs of notebook 01 (graded by the hidden tests; the table prints their
# problems and samples). The power law is fitted on k up to the samples per problem; the Beta sees every
# count. Two comparisons of the two models, paired over the same resamples of problems
# (`ttslib.fit.fit_power_law_pair`; one family): their exponents `b`, and their power laws' coverage
# extrapolated to `K_TARGET`. Then the backtest in small: fit on the first `CODE_BACKTEST_M` samples of
# each problem and predict coverage at all of them, over `BACKTEST_DRAWS` draws of which samples came
# first. With two models there is no comparison of the estimators over models: their errors are printed as
# facts, and the target (coverage at all samples) contains the samples each fit saw.

# %%
code = {model: samples_to_counts(read_samples(path)).sort_values("problem_id", kind="stable", ignore_index=True)
        for model, path in CODE_SAMPLES.items()}
(small, small_counts), (other, other_counts) = code.items()
assert small_counts["problem_id"].equals(other_counts["problem_id"])  # the same problems, row by row: the pair below is paired
code_fits = {
    model: (fit_power_law(c["num_samples"], c["num_correct"], n_boot=N_BOOT, seed=SEED),
            fit_beta(c["num_samples"], c["num_correct"], n_boot=N_BOOT, seed=SEED))
    for model, c in code.items()
}
code_n = min(int(c["num_samples"].min()) for c in code.values())
pd.DataFrame(
    [{"model": model, "problems": pl.num_problems, "samples per problem": code_n, "never solved": pl.num_never_solved,
      "b": pl.b, "b 95%": f"[{pl.b_interval[0]:.3f}, {pl.b_interval[1]:.3f}]",
      "fit/obs at k=1": 1 + pl.relative_error()[0], "worst |fit/obs - 1|": np.abs(pl.relative_error()).max(),
      "-alpha": beta.exponent, "-alpha 95%": f"[{-beta.alpha_interval[1]:.3f}, {-beta.alpha_interval[0]:.3f}]",
      "Beta degenerate": beta.degenerate,
      f"observed pass@{code_n}": pl.coverage[-1],
      "power law at 10^4": float(pl.predict(K_TARGET)),
      "power law at 10^4, 95%": "[{:.3f}, {:.3f}]".format(*np.nanpercentile(np.exp(pl.boot[:, 0] * K_TARGET ** pl.boot[:, 1]), [2.5, 97.5])),
      "Beta at 10^4": float(beta.coverage(K_TARGET))}
     for model, (pl, beta) in code_fits.items()]
).set_index("model").round(4)

# %%
k_code = np.geomspace(1, K_TARGET, 60)
fig, ax = plt.subplots(figsize=(5.5, 4))
plot_power_law_fits([pl for pl, _ in code_fits.values()], labels=list(code_fits),
                    curves=[(k_code, beta.coverage(k_code)) for _, beta in code_fits.values()], k_max=K_TARGET, ax=ax,
                    **STYLE_KEYS)  # each model's fixed colour
ax.set_title(f"HumanEval: fit on k <= {code_n}, extrapolated to {K_TARGET:,}")
savefig(fig, "02_power_law_humaneval", directory=FIGURES_DIR)

# %%
code_backtests = pd.concat(
    [backtest(c["num_samples"], c["num_correct"], m=(CODE_BACKTEST_M,), k_target=code_n, seed=SEED + d).assign(model=model, draw=d)
     for model, c in code.items() for d in range(BACKTEST_DRAWS)],
    ignore_index=True,
)
code_backtest_error = (code_backtests.assign(abs_error=code_backtests["error"].abs())
                       .groupby(["model", "estimator"], sort=False)[["predicted", "observed", "abs_error"]]
                       .agg(["mean", "min", "max"]))
code_backtest_error.round(4)

# %% [markdown]
# ### What the HumanEval fits show (rendered)

# %%
pair = fit_power_law_pair(small_counts["num_samples"], small_counts["num_correct"], other_counts["num_samples"], other_counts["num_correct"],
                          n_boot=N_BOOT, seed=SEED)
at_target = [np.exp(f.boot[:, 0] * K_TARGET ** f.boot[:, 1]) for f in pair]
code_models = family([
    bootstrap_finding(pair[0].b, pair[1].b, pair[0].boot[:, 1], pair[1].boot[:, 1], a=small, b=other,
                      quantity="power-law exponent b (log-log least squares)", range=f"HumanEval, k = 1 to {code_n}",
                      num_problems=pair[0].num_problems, words=EXPONENT_WORDS),
    bootstrap_finding(float(pair[0].predict(K_TARGET)), float(pair[1].predict(K_TARGET)), *at_target, a=small, b=other,
                      quantity=f"coverage at k = {K_TARGET:,} extrapolated by the power law", range=f"HumanEval, fitted on k = 1 to {code_n}",
                      num_problems=pair[0].num_problems, words=EXTRAPOLATED_WORDS),
])
code_errors = code_backtests.assign(abs_error=code_backtests["error"].abs()).groupby(["model", "estimator"], sort=False)["abs_error"]
code_estimators = [
    f"{model}, HumanEval backtest (fitted on the first {CODE_BACKTEST_M} samples per problem, target coverage at k = {code_n} on all "
    f"{code_n}, which include the {CODE_BACKTEST_M} the fit saw): mean absolute error over {BACKTEST_DRAWS} draws, "
    + "; ".join(f"{est} {err.mean():.4f} (draws {err.min():.4f} to {err.max():.4f})"
                for (m_, est), err in code_errors if m_ == model) + "."
    for model in code
]
assert [(f.a, f.b) for f in pair] == [(code_fits[m][0].a, code_fits[m][0].b) for m in code]
Summary(*code_models, *code_estimators,
        *[f"{model}: never solved in {code_n} samples, {pl.num_never_solved} of {pl.num_problems} problems; every fit of this model "
          f"rests on the other {pl.num_problems - pl.num_never_solved}." for model, (pl, _) in code_fits.items()])

# %% [markdown]
# ## What this notebook shows (rendered from the sections above)

# %%
Summary(
    *[f"{task}, {CHECKPOINT} checkpoint, log-log fits: the fitted coverage at k = 1 is {t['fit/obs at k=1'].min():.2f} to "
      f"{t['fit/obs at k=1'].max():.2f} times the observed pass@1." for task, t in gof.items()],
    *size_trends.values(),
    *table3[:3], *k_range, *implied,
    *forecasts["coverage"].values(),
    code_models[0],
)
