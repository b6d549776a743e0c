# %% [markdown]
# # 02 · Scaling laws for repeated sampling: the power law, the distribution behind it, a backtest
#
# **Question.** Coverage grows with the number of samples k (notebook 01). How well does a
# two-parameter law describe that growth, and how well can coverage at k = 10^4 be predicted
# from only the first 100 or 1000 samples of each problem?
#
# **Reproduces**
# - the exponentiated power law `coverage(k) ≈ exp(a k^b)` of Large Language Monkeys
#   (Brown et al. 2024, arXiv:2407.21787, Sec. 3 and Table 3), drawn as in Schaeffer et al. 2025
#   (arXiv:2502.17578, Fig. 1, top): `-log(coverage)` against k on log-log axes, where the law is a line;
# - the distributional view of Schaeffer et al.: per-problem success probabilities p follow a
#   (scaled) Beta, fitted to the counts by maximum likelihood (beta-binomial), whose aggregate curve
#   `pass_D@k = 1 - E[(1-p)^k]` is exact and whose large-k exponent is `-alpha`;
# - their claim that the distributional estimator forecasts better from few samples, as a backtest.
#
# **Data.** `data/pythia_checkpoints_*_counts.csv` (see notebook 01): per problem, samples drawn n
# and samples correct c, for 9 Pythia sizes x several pretraining checkpoints, on 128 MATH and 128
# GSM8K problems per model at the final checkpoint (GSM8K's earlier checkpoints use 130 in all).

# %% tags=["parameters"]
DATA_DIR = "../data"
FIGURES_DIR = "../figures"
OWN_SAMPLES = "../data/arith_smollm2.parquet"  # the kit's own run (data/README.md)
CODE_SAMPLES = {  # HumanEval sample tables graded by their hidden tests, keyed by registry model (data/README.md)
    "SmolLM2-135M": "../data/code/humaneval_smollm2.parquet",
    "gemma-3-270m": "../data/code/humaneval_gemma3.parquet",
}
CODE_BACKTEST_M = 16  # HumanEval backtest: fit on the first 16 of 64 samples, predict coverage at 64
CHECKPOINT = "300B"  # the fully trained checkpoint, for the table of fits and the backtest
K_TARGET = 10_000  # the budget the backtest predicts, as in arXiv:2407.21787
BACKTEST_M = (100, 1000)  # samples per problem the backtest may see
BACKTEST_DRAWS = 5  # nested draws of the first m samples (seeds SEED, SEED + 1, ...): the backtest's own noise
N_BOOT = 1000  # bootstrap resamples of problems for the intervals
N_BOOT_SWEEP = 200  # fewer for the checkpoint sweep (about 150 fits)
MIN_SOLVED = 10  # checkpoints that solve fewer problems are left out of the sweep
SEED = 0

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from scipy.stats import chi2

from ttslib.backtest import backtest
from ttslib.coverage import log_spaced_ks
from ttslib.data import read_pythia_counts, read_samples, samples_to_counts
from ttslib.beta import BetaFit, fit_beta
from ttslib.fit import fit_power_law
from ttslib.plotting import savefig, use_theme
from ttslib.plotting.fit import plot_backtest, plot_exponents, plot_power_law_fits

use_theme()  # the kit's look: seaborn theme, fixed colours per strategy and per model size

counts = {
    task: read_pythia_counts(f"{DATA_DIR}/pythia_checkpoints_{task.lower()}_counts.csv")
    for task in ("MATH", "GSM8K")
}
final = {task: df[df["pretrain_tokens"] == CHECKPOINT].sort_values("params", kind="stable") for task, df in counts.items()}
assert all(df["model"].nunique() == 9 for df in counts.values())  # as the text says; 128 problems per model at CHECKPOINT:
assert all((df.groupby("model")["problem_id"].nunique() == 128).all() for df in final.values())
assert counts["GSM8K"]["problem_id"].nunique() == 130
assert K_TARGET == 10**4 and BACKTEST_M == (100, 1000)

# %% [markdown]
# ## What each fit sees
#
# - **Power law.** Fitted on 40 log-spaced k, as in the paper, by least squares of
#   `log(-log coverage) = log(-a) + b log k` (a line, so the fit is closed-form: `method="loglog"`, used
#   by every table and figure of this notebook unless a column says `nls`). The paper's own fit is
#   nonlinear least squares of `log coverage = a k^b` (`method="nls"`); a section below compares the two.
#   Here k runs up to the smallest n of the model's problems, so that every problem has an unbiased
#   pass@k at every k; for all final checkpoints but the two smallest models that is only 128 to 1,408
#   (the source drew 10^4 samples or more for a fixed subset of problems and fewer for the rest). Never-solved problems stay
#   in: they are part of coverage.
# - **Beta / scaled Beta.** Fitted to all counts (n, c) at once by maximum likelihood, with the binomial
#   noise of each count in the likelihood, so unequal n are no obstacle and c = 0 is information.
# - Models that never solve any problem have no fit (coverage is zero at every k; the Beta MLE does not
#   exist) and are listed, not dropped silently.

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
k_fit = [len(pl.k) for pl, _, _ in fits.values()]
assert max(k_fit) <= 40 and all(pl.method == "loglog" for pl, _, _ in fits.values())  # 40 log-spaced k (fewer where k repeat)
k_max = {key: int(pl.k.max()) for key, (pl, _, _) in fits.items()}
most = [k for (task, model), k in k_max.items() if model not in ("pythia-14m", "pythia-70m")]
assert min(most) == 128 and max(most) == 1408  # "128 to 1,408" for all but the two smallest models
larger_gsm8k = [k for (task, model), k in k_max.items() if task == "GSM8K" and params[model] >= 4e8]
assert min(larger_gsm8k) == 128 and max(larger_gsm8k) == 640  # "What this shows": GSM8K's b on k up to 128 to 640

# %% [markdown]
# ## The fits (95% bootstrap intervals over problems)
#
# `b` is the power-law exponent on the data's k range; `-alpha` is the Beta's large-k exponent
# (`-log pass_D@k ~ k^-alpha`, arXiv:2502.17578). `LR` is twice the log-likelihood gain of the scaled
# Beta over the Beta (one extra parameter on the boundary of its range, scale = 1, so the null is a 50:50
# mix of chi2_0 and chi2_1 (Self & Liang 1987): above 2.71 the scale is significant at 5%). The scaled
# Beta's bootstrap takes a single Newton step per resample, so its interval is approximate.

# %%
table = pd.DataFrame(
    [
        {
            "task": task, "model": model, "params": params[model], "k_max": int(pl.k.max()),
            "never_solved": pl.num_never_solved,
            "a": pl.a, "a_lo": pl.a_interval[0], "a_hi": pl.a_interval[1],
            "b": pl.b, "b_lo": pl.b_interval[0], "b_hi": pl.b_interval[1],
            "-alpha": -beta.alpha, "-alpha_lo": -beta.alpha_interval[1], "-alpha_hi": -beta.alpha_interval[0],
            "beta": beta.beta,
            "scaled -alpha": -scaled.alpha, "scale": scaled.scale,
            "LR": 2 * (scaled.log_likelihood - beta.log_likelihood),
        }
        for (task, model), (pl, beta, scaled) in fits.items()
    ]
)
assert N_BOOT >= 1000 and all(round(100 * pl.level) == 95 and round(100 * beta.level) == 95 for pl, beta, _ in fits.values())  # 95% intervals
assert all(pl.num_failed_boot == 0 and beta.num_failed_boot == 0 for pl, beta, _ in fits.values())  # no resample dropped
assert round(float(chi2.ppf(1 - 2 * BetaFit.DEGENERATE_P, 1)), 2) == 2.71 and round(100 * BetaFit.DEGENERATE_P) == 5  # 5% for the 50:50 chi2 mix
assert all(scaled.scale <= 1 for _, _, scaled in fits.values())
table.round(3)

# %% [markdown]
# ## Against the published fits (arXiv:2407.21787, Table 3, MATH)
#
# The paper fitted Pythia-12B at `(a, b) = (-3.92, -0.35)` and Pythia-70M at `(-7.59, -0.18)`, on
# 10^4 samples of every problem (checked: `K_TARGET`). Our counts are a different sampling of the same models: here the
# final Pythia-70M never succeeds on MATH, and Pythia-12B's pass@1 is lower than the paper's `a`
# implies, so `a` cannot match. The exponent of Pythia-12B is compared with our bootstrap interval
# (also checked in `tests/test_fit.py`).

# %%
published = pd.DataFrame({"model": ["pythia-12b", "pythia-70m"], "a_paper": [-3.92, -7.59], "b_paper": [-0.35, -0.18]})
published.merge(table[table["task"] == "MATH"], on="model", how="left")[
    ["model", "a_paper", "a", "a_lo", "a_hi", "b_paper", "b", "b_lo", "b_hi", "k_max"]
].round(3)

# %% [markdown]
# ## The paper's fit and the log-log fit on the same counts
#
# Brown et al. fit `log(coverage) = a k^b` by nonlinear least squares on the 40 log-spaced k
# (`ttslib.fit.fit_power_law_nls_curve`; bootstrapped here over problems exactly as the log-log fit).
# The log-log form stretches the points near coverage 1 (where `-log coverage` is small) and weighs
# each point by its log-log residual, the paper's form weighs each k by its error in `log coverage`;
# on the same Pythia counts and the same k they differ by the amounts below.

# %%
nls = {
    key: fit_power_law(final[key[0]].loc[lambda d: d["model"] == key[1], "num_samples"],
                       final[key[0]].loc[lambda d: d["model"] == key[1], "num_correct"], method="nls", n_boot=N_BOOT, seed=SEED)
    for key in fits
}
methods = pd.DataFrame(
    [{"task": task, "model": model, "a (loglog)": fits[task, model][0].a, "a (nls)": f.a, "b (loglog)": fits[task, model][0].b,
      "b (nls)": f.b, "b_lo (nls)": f.b_interval[0], "b_hi (nls)": f.b_interval[1]} for (task, model), f in nls.items()]
).assign(da=lambda t: t["a (nls)"] - t["a (loglog)"], db=lambda t: t["b (nls)"] - t["b (loglog)"],
         da_rel=lambda t: (t["a (nls)"] - t["a (loglog)"]).abs() / t["a (loglog)"].abs())
assert all(np.array_equal(nls[key].k, fits[key][0].k) for key in fits)  # the same k for both
assert (methods["db"] > 0).all() and (methods["da"] > 0).all()  # the paper's fit is shallower and smaller in |a| everywhere
assert round(methods["da"].max(), 1) == 2.2 and int(100 * methods["da_rel"].max()) == 22 and round(methods["db"].max(), 2) == 0.11
assert round(methods["db"].min(), 2) == 0.01
pd12 = methods.set_index(["task", "model"]).loc[("MATH", "pythia-12b")]
assert round(pd12["b (loglog)"], 2) == -0.36 and round(pd12["b (nls)"], 2) == -0.32
methods.round(3)

# %% [markdown]
# Every model's `b` is shallower and `|a|` smaller with the paper's fit: by 0.01 to 0.11 in `b` and up
# to 2.2 in `a` (22% of its value), most on GSM8K, whose curves reach higher coverage, where the two
# losses weigh points most differently. For Pythia-12B on MATH the paper's Table 3 gives `b = -0.35`;
# the log-log fit gives -0.36 and the paper's own method -0.32 on these counts (different samples from
# the same model, see above). The exponents of the tables and figures above and below are the log-log
# ones; compare exponents across papers only when the method matches.
#
# Like with like, then: the paper's method against Table 3, once on all 128 problems over the k these
# counts give every problem (up to 128), and once on the k range the paper used (up to 10^4), which here
# only the problems sampled that deep have:

# %%
g12 = final["MATH"][final["MATH"]["model"] == "pythia-12b"]
deep12 = g12[g12["num_samples"] >= K_TARGET]
like = {name: fit_power_law(t["num_samples"], t["num_correct"], method="nls", n_boot=N_BOOT, seed=SEED)
        for name, t in {"all problems": g12, f"problems with n >= {K_TARGET}": deep12}.items()}
b_paper = published.set_index("model").loc["pythia-12b", "b_paper"]
table3 = pd.DataFrame([{"fit (method nls)": name, "problems": int(f.num_problems), "k up to": int(f.k.max()), "a": f.a, "b": f.b, "b 95% interval": f"[{f.b_interval[0]:.3f}, {f.b_interval[1]:.3f}]",
                        "holds the paper's b": bool(f.b_interval[0] <= b_paper <= f.b_interval[1])}
                       for name, f in like.items()]).set_index("fit (method nls)")
table3.round(3)

# %% [markdown]
# On the paper's k range the paper's method gives Pythia-12B's exponent back: b = -0.33 [-0.37, -0.29] on the
# 32 problems with at least 10^4 samples holds Table 3's -0.35. On all problems, where k stops at 128,
# it gives -0.32 [-0.34, -0.29], which does not: at small k the curve is shallower. The log-log fit's
# -0.36 on k up to 128 holds -0.35 too, but by another method, so it is not a like comparison. `a` differs
# either way (about -5.3 and -5.5 against -3.92): the deep problems are the hard ones, and these counts are
# another sampling of the model.

# %%
deep_fit, all_fit = like[f"problems with n >= {K_TARGET}"], like["all problems"]
assert len(deep12) == 32 and deep_fit.k.max() >= K_TARGET and all_fit.k.max() == 128 and b_paper == -0.35
assert deep_fit.b_interval[0] <= b_paper <= deep_fit.b_interval[1] and not all_fit.b_interval[0] <= b_paper <= all_fit.b_interval[1]
if DATA_DIR == "../data":  # the numbers stated, on the shipped counts: each within its printed rounding
    near = lambda x, stated, digits=2: abs(x - stated) <= 0.5 * 10**-digits + 1e-9  # noqa: E731
    assert all(map(near, (deep_fit.b, *deep_fit.b_interval), (-0.33, -0.37, -0.29)))  # "-0.33 [-0.37, -0.29]"
    assert all(map(near, (all_fit.b, *all_fit.b_interval), (-0.32, -0.34, -0.29)))  # "-0.32 [-0.34, -0.29]"
    assert near(pd12["b (loglog)"], -0.36) and near(all_fit.a, -5.3, 1) and near(deep_fit.a, -5.5, 1) and published["a_paper"].iloc[0] == -3.92
loglog12 = fits["MATH", "pythia-12b"][0]
assert loglog12.b_interval[0] <= b_paper <= loglog12.b_interval[1]  # "the log-log fit's ... holds -0.35 too"

# %% [markdown]
# ## The fitted curves over the data (arXiv:2502.17578, Fig. 1, top)
#
# Points: observed `-log(coverage)`; solid lines: the power-law fits on the data's k range, dotted
# beyond it up to `K_TARGET`; dashed: the exact curve `pass_D@k` of each model's Beta fit.

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
    )
    ax.set_title(f"{task}: Pythia, {CHECKPOINT}-token checkpoint")
savefig(fig, "02_power_law_fits", directory=FIGURES_DIR)

# %% [markdown]
# ## The exponent against model size
#
# The power-law exponent b (log-log fit) and the Beta's large-k exponent -alpha, both with 95% intervals. A model
# that solves only a handful of problems has a wide Beta interval (it runs off the axis for the
# smallest model on MATH): the tail is estimated from those few.

# %%
long = pd.concat(
    [
        table[["task", "params", "b", "b_lo", "b_hi"]].assign(estimator="power law b"),
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
    ax.set_title(task)
savefig(fig, "02_exponent_vs_params", directory=FIGURES_DIR)

# %% [markdown]
# ## The exponent over pretraining (the checkpoint sweep)
#
# The same two fits for every (model, checkpoint) that solves at least `MIN_SOLVED` problems, with
# fewer bootstrap resamples. Early checkpoints solve few or none: with a handful of solved problems
# there is no tail to fit. Where the Beta fits no better than one common p for all problems
# (`BetaFit.degenerate`, a likelihood-ratio test at 5%) its -alpha is no tail exponent and is left
# out of the lower panels. The lower panels are cut at -2: checkpoints that solve few problems have
# Beta intervals far wider than that.

# %%
sweep = pd.DataFrame(
    [
        {
            "task": task, "model": model, "params": g["params"].iloc[0], "tokens": g["pretrain_tokens_n"].iloc[0],
            "b": pl.b, "b_lo": pl.b_interval[0], "b_hi": pl.b_interval[1],
            "-alpha": -beta.alpha, "-alpha_lo": -beta.alpha_interval[1], "-alpha_hi": -beta.alpha_interval[0],
            "degenerate": beta.degenerate,
        }
        for task, df in counts.items()
        for (model, tokens), g in df.groupby(["model", "pretrain_tokens"], sort=False)
        if (g["num_correct"] > 0).sum() >= MIN_SOLVED
        for pl, beta in [(fit_power_law(g["num_samples"], g["num_correct"], n_boot=N_BOOT_SWEEP, seed=SEED),
                          fit_beta(g["num_samples"], g["num_correct"], n_boot=N_BOOT_SWEEP, seed=SEED))]
    ]
).sort_values(["task", "params", "tokens"], kind="stable")
assert (sweep["-alpha_lo"] < -2).any()  # the lower panels are cut at -2 below: some intervals reach further
sweep.loc[sweep["degenerate"], ["task", "model", "tokens", "-alpha"]]  # left out of the -alpha panels (LR test at 5%)

# %%
fig, axes = plt.subplots(2, 2, figsize=(11, 7), sharex=True, sharey="row")
for col, task in enumerate(final):
    for row, y in enumerate(("b", "-alpha")):
        shown = sweep[(sweep["task"] == task) & ~(sweep["degenerate"] & (y == "-alpha"))]
        plot_exponents(shown, x="tokens", y=y, by="model", ax=axes[row, col])
        axes[row, col].set_title(f"{task}: {'power law b' if y == 'b' else 'Beta -alpha'}")
    axes[0, col].set_xlabel("")
    axes[1, col].set_xlabel("pretraining tokens")
    axes[1, col].set_ylim(-2, 0)  # intervals of checkpoints with few solved problems run off the axis
savefig(fig, "02_exponent_vs_tokens", directory=FIGURES_DIR)

# %% [markdown]
# ## Backtest: predict coverage at 10^4 from the first m samples
#
# Only the counts are stored, not the order of the samples. With exchangeable samples the first m
# of a problem are a random m-subset, so the number correct among them is drawn from
# `Hypergeometric(n, c, m)` with a seeded generator, nested so that the first 100 lie inside the
# first 1000 (`ttslib.backtest.nested_subsample_counts`). The target is the unbiased coverage at
# `K_TARGET` over the problems with n >= `K_TARGET` (for most models the fixed subset of 32 MATH
# problems; on GSM8K only checkpoints where enough problems qualify), and
# the estimators see only those problems. The power law is fitted on k <= m and extrapolated; the
# Betas predict with their exact `pass_D@K_TARGET`. `exponent` is each estimator's b on k <= 10^4
# (for the Betas, the line through their exact curve), `observed_exponent` the b fitted to all samples.

# %%
deep = {
    (task, model): g
    for task, df in final.items()
    for model, g in df.groupby("model", sort=False)
    if (g["num_samples"] >= K_TARGET).sum() >= 16 and g.loc[g["num_samples"] >= K_TARGET, "num_correct"].sum() > 0
}
backtests = pd.concat(
    [
        backtest(g["num_samples"], g["num_correct"], m=BACKTEST_M, k_target=K_TARGET, seed=SEED).assign(task=task, model=model)
        for (task, model), g in deep.items()
    ],
    ignore_index=True,
)
assert backtests.loc[backtests["task"] == "MATH", "num_problems"].value_counts().idxmax() == 32  # mostly the 32 deep MATH problems
backtests[["task", "model", "num_problems", "m", "estimator", "observed", "predicted", "error",
           "observed_exponent", "exponent", "status"]].round(3)

# %% [markdown]
# Which first m samples a problem had is not recorded, so one draw of them is one of many equally
# likely backtests. The mean absolute error of each estimator over these models is therefore
# computed for `BACKTEST_DRAWS` nested draws (the table above is the first), and estimators are
# compared draw by draw: the difference of their errors, its mean over draws and its standard error
# over draws (rows without a prediction left out, and counted).

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
summary = per_draw.groupby(["m", "estimator"], sort=False).agg(
    models=("models", "first"), predicted=("predicted", "min"), mean_abs_error=("mean_abs_error", "mean"),
    lowest=("mean_abs_error", "min"), highest=("mean_abs_error", "max"), mean_abs_exponent_error=("mean_abs_exponent_error", "mean"))
mae_draws = per_draw["mean_abs_error"].unstack("draw")  # (m, estimator) x draw
paired = pd.DataFrame([
    {"m": m, "difference": f"{a} - power law", "mean": (d := mae_draws.loc[(m, a)] - mae_draws.loc[(m, "power law")]).mean(),
     "se": d.std(ddof=1) / np.sqrt(d.size), "draws where lower": int((d < 0).sum())}
    for m in BACKTEST_M for a in ("beta", "scaled beta")
]).set_index(["m", "difference"])
paired["verdict"] = np.where(paired["mean"] + 2 * paired["se"] < 0, "lower error", np.where(paired["mean"] - 2 * paired["se"] > 0, "higher error", "not shown"))
assert BACKTEST_DRAWS >= 3 and mae_draws.shape[1] == BACKTEST_DRAWS  # a standard error over draws
if DATA_DIR == "../data" and mae_draws.shape[1] == 5:  # "What this shows" speaks of the shipped counts and 5 draws
    assert paired["verdict"].tolist() == ["higher error", "higher error", "not shown", "not shown"]
    assert round(paired.loc[(100, "beta - power law"), "mean"], 2) == 0.07  # "+0.07" as printed
    assert round(paired.loc[(100, "scaled beta - power law"), "mean"], 2) == 0.06  # "+0.06" as printed
    assert (paired.xs(1000)["mean"].abs() < 0.01).all()  # "within 0.01"
summary.round(3)

# %%
paired.round(3)

# %%
fig, ax = plt.subplots(figsize=(4.8, 4.5))
plot_backtest(backtests.dropna(subset=["predicted"]), ax=ax)
ax.set_title(f"coverage at k = {K_TARGET} from the first m samples")
savefig(fig, "02_backtest", directory=FIGURES_DIR)

# %% [markdown]
# ## What this shows (on these counts)
#
# - On log-log axes `-log(coverage)` is close to a line over the observed k for every model that
#   solves anything, so the exponentiated power law of arXiv:2407.21787 describes these Pythia curves.
#   The exponent steepens with model size up to about a billion parameters and little beyond; over
#   the checkpoint sweep it steepens with pretraining for all but the smallest models.
# - The Beta fitted to the counts implies nearly the same exponent as the curve on MATH
#   (`-alpha` close to `b`, log-log fit), as arXiv:2502.17578 predicts from the left tail of the pass@1 distribution.
#   On GSM8K the larger models' `-alpha` is steeper than `b`: their exact Beta curves bend down
#   beyond the data (dashed lines), and `b`, measured on k up to 128 to 640, is a finite-k slope.
# - Against arXiv:2407.21787 Table 3, like with like (the paper's least squares on `log coverage`):
#   Pythia-12B's exponent agrees on the paper's k range (up to 10^4, on the 32 problems sampled that
#   deep: -0.33 [-0.37, -0.29] against -0.35) and not on k up to 128 (-0.32 [-0.34, -0.29]); the prefactor
#   and Pythia-70M cannot be compared, because these counts are a different sampling (see above).
# - In the backtest the distributional estimators do not beat the extrapolated power law on these
#   counts. With the first 100 samples per problem both Betas predict coverage at 10^4 with the higher
#   mean absolute error (Beta minus power law +0.07, scaled Beta minus power law +0.06, each more than
#   two standard errors over 5 nested draws of the first samples); with the first 1000 the differences
#   are within 0.01 and not shown either way. arXiv:2502.17578's estimator is the scaled Beta, which
#   they report ahead; here it is behind at m = 100 and not shown apart at m = 1000, so their result is
#   not reproduced on these counts. The targets rest on few problems (mostly the 32 with n >= 10^4),
#   and a single draw of the first samples can reverse the ordering (it did in an earlier version of
#   this notebook), which is why the table compares estimators draw by draw.
# - The scaled Beta rarely fits significantly better than the Beta (`LR` column) and its scale is
#   poorly determined by these counts.

# %% [markdown]
# ## The kit's own samples
#
# The same fits on SmolLM2-135M's arithmetic run (400 problems x 32 samples, `OWN_SAMPLES`). With
# 32 samples the power law is fitted on k = 1..32 only, and the Beta's exponent is what the
# distributional view predicts beyond; the dotted line extrapolates the power law to k = 1000.

# %%
own = samples_to_counts(read_samples(OWN_SAMPLES))
SHIPPED_OWN = Path(OWN_SAMPLES).resolve() == Path("../data/arith_smollm2.parquet").resolve()  # the prose speaks of that run
assert not SHIPPED_OWN or (len(own) == 400 and (own["num_samples"] == 32).all())  # 400 problems x 32 samples
own_fit = fit_power_law(own["num_samples"], own["num_correct"], n_boot=N_BOOT, seed=SEED)
own_beta = fit_beta(own["num_samples"], own["num_correct"], n_boot=N_BOOT, seed=SEED)
pd.Series(
    {
        "a": f"{own_fit.a:.3f} [{own_fit.a_interval[0]:.3f}, {own_fit.a_interval[1]:.3f}]",
        "b": f"{own_fit.b:.3f} [{own_fit.b_interval[0]:.3f}, {own_fit.b_interval[1]:.3f}]",
        "Beta alpha": f"{own_beta.alpha:.3f} [{own_beta.alpha_interval[0]:.3f}, {own_beta.alpha_interval[1]:.3f}]",
        "Beta beta": f"{own_beta.beta:.3f}",
        "never solved": f"{own_fit.num_never_solved} of {own_fit.num_problems}",
    }
)

# %%
if SHIPPED_OWN:  # the sentences above, on the shipped run: stated values within their intervals and their rounding
    assert own_fit.k.min() == 1 and own_fit.k.max() == 32
    assert abs(own_fit.b + 0.22) <= 0.005 and own_fit.b_interval[0] <= -0.22 <= own_fit.b_interval[1]  # "b about -0.22"
    assert abs(own_beta.alpha - 0.15) <= 0.005 and own_beta.alpha_interval[0] <= 0.15 <= own_beta.alpha_interval[1]  # "-alpha about -0.15"
    assert own_fit.num_never_solved == 168 and round(100 * 168 / 400) == 42  # "42% of the problems (168 of 400)"
    assert own_beta.coverage(1000) < own_fit.predict(1000)  # the Beta predicts lower coverage at k = 1000
k_own = np.geomspace(1, 1000, 60)
fig, ax = plt.subplots(figsize=(5, 3.8))
plot_power_law_fits([own_fit], labels=["SmolLM2-135M, arithmetic"], curves=[(k_own, own_beta.coverage(k_own))], k_max=1000, ax=ax)
ax.set_title("the kit's own run: fit on k <= 32")
savefig(fig, "02_power_law_own", directory=FIGURES_DIR)

# %% [markdown]
# On k <= 32 the power law holds closely (b about -0.22). The Beta's large-k exponent, -alpha about
# -0.15, is shallower: the distributional view expects the curve to bend and predicts a lower coverage
# at k = 1000 than the straight-line extrapolation (dashed above dotted). 42% of the problems (168 of
# 400) were never solved in 32 samples, many at levels where this model may never be right; 32
# samples cannot tell a long left tail of small success rates from a hard floor at zero, which is
# where the backtest above says to be careful with extrapolation.

# %% [markdown]
# ## Code: HumanEval on the kit's two models
#
# The same fits on the HumanEval runs of notebook 01 (164 problems x 64 samples per model, graded by
# the hidden tests). The power law is fitted on k <= 64; the Beta sees every count. Then the backtest in
# small: fit on the first `CODE_BACKTEST_M` samples of each problem and predict coverage at 64, over
# `BACKTEST_DRAWS` draws of which samples came first.

# %%
code = {model: samples_to_counts(read_samples(path)) for model, path in CODE_SAMPLES.items()}
SHIPPED_CODE = [Path(p).resolve() for p in CODE_SAMPLES.values()] == [
    Path(f"../data/code/humaneval_{m}.parquet").resolve() for m in ("smollm2", "gemma3")]
code_fits = {
    model: (fit_power_law(c["num_samples"], c["num_correct"], n_boot=N_BOOT, seed=SEED),
            fit_beta(c["num_samples"], c["num_correct"], n_boot=N_BOOT, seed=SEED))
    for model, c in code.items()
}
code_n = min(int(c["num_samples"].min()) for c in code.values())
pd.DataFrame(
    [{"model": model, "problems": pl.num_problems, "never solved": pl.num_never_solved,
      "b": pl.b, "b 95%": f"[{pl.b_interval[0]:.3f}, {pl.b_interval[1]:.3f}]",
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
                    palette=sns.color_palette("colorblind", len(code_fits)))  # as in notebook 01: one hue each
ax.set_title(f"HumanEval: fit on k <= {code_n}, extrapolated to {K_TARGET:,}")
savefig(fig, "02_power_law_humaneval", directory=FIGURES_DIR)

# %%
code_backtests = pd.concat(
    [backtest(c["num_samples"], c["num_correct"], m=(CODE_BACKTEST_M,), k_target=code_n, seed=SEED + d).assign(model=model, draw=d)
     for model, c in code.items() for d in range(BACKTEST_DRAWS)],
    ignore_index=True,
)
code_backtest_error = (code_backtests.assign(abs_error=code_backtests["error"].abs())
                       .groupby(["model", "estimator"], sort=False)[["predicted", "observed", "abs_error"]].mean())
code_backtest_error.round(4)

# %% [markdown]
# ### What the HumanEval fits show
#
# - Most problems are never solved in 64 samples (155 of 164 for SmolLM2-135M, 147 for Gemma 3 270M),
#   so every fit here rests on 9 and 17 solved problems. The power-law exponents are b = -0.21 (95%
#   interval -0.24 to -0.17) for SmolLM2 and -0.12 (-0.18 to -0.08) for Gemma; the intervals overlap, so
#   the fits do not show the exponents apart.
# - Extrapolated 156-fold, to 10^4 samples, the power law says 0.35 (0.21 to 0.47) for SmolLM2 and 0.30
#   (0.17 to 0.44) for Gemma; the Beta says 0.31 and 0.19. Each model's interval holds the other's
#   estimate: the fits do not rank the two models at 10^4, even though Gemma is ahead at 64 (notebook 01).
#   Monkeys' Gemma-2B on CodeContests (notebook 01) ran on a much harder set, so the levels are not
#   comparable; only the method is.
# - The backtest, 4-fold (16 samples to 64): the power law's mean absolute error is 0.012 for both models
#   (observed 0.055 for SmolLM2 and 0.104 for Gemma), the Beta's 0.017 and 0.020. Across the draws, the power
#   law's error runs from -0.024 to +0.003 (SmolLM2) and from -0.036 to +0.009 (Gemma): which 16 samples
#   came first moves the prediction as much as the choice of estimator does, so 5 draws do not rank the
#   estimators, and a 156-fold extrapolation from so few solved problems is a guess with a wide band, not
#   a forecast.

# %%
if SHIPPED_CODE:  # the text speaks of the shipped runs
    (smol_pl, smol_beta), (gemma_pl, gemma_beta) = (code_fits[m] for m in CODE_SAMPLES)
    assert code_n == 64 and CODE_BACKTEST_M == 16 and code_n // CODE_BACKTEST_M == 4 and BACKTEST_DRAWS == 5
    assert (smol_pl.num_problems, smol_pl.num_never_solved, gemma_pl.num_never_solved) == (164, 155, 147)
    assert (smol_pl.num_problems - smol_pl.num_never_solved, gemma_pl.num_problems - gemma_pl.num_never_solved) == (9, 17)
    assert [round(x, 2) for x in (smol_pl.b, *smol_pl.b_interval)] == [-0.21, -0.24, -0.17]
    assert [round(x, 2) for x in (gemma_pl.b, *gemma_pl.b_interval)] == [-0.12, -0.18, -0.08]
    assert gemma_pl.b_interval[0] < smol_pl.b_interval[1]  # the intervals overlap
    assert round(K_TARGET / code_n) == 156 and K_TARGET == 10**4
    at_target = {m: (float(pl.predict(K_TARGET)), *np.nanpercentile(np.exp(pl.boot[:, 0] * K_TARGET ** pl.boot[:, 1]), [2.5, 97.5]))
                 for m, (pl, _) in code_fits.items()}
    (smol_at, smol_lo, smol_hi), (gemma_at, gemma_lo, gemma_hi) = at_target.values()
    assert [round(x, 2) for x in (smol_at, smol_lo, smol_hi)] == [0.35, 0.21, 0.47]
    assert [round(x, 2) for x in (gemma_at, gemma_lo, gemma_hi)] == [0.30, 0.17, 0.44]
    assert smol_lo < gemma_at < smol_hi and gemma_lo < smol_at < gemma_hi  # "each interval holds the other's estimate"
    assert (round(float(smol_beta.coverage(K_TARGET)), 2), round(float(gemma_beta.coverage(K_TARGET)), 2)) == (0.31, 0.19)
    mae = code_backtest_error["abs_error"].unstack()
    observed = code_backtest_error["observed"].groupby(level="model", sort=False).first()
    assert [round(mae.loc[m, "power law"], 3) for m in CODE_SAMPLES] == [0.012, 0.012]
    assert [round(mae.loc[m, "beta"], 3) for m in CODE_SAMPLES] == [0.017, 0.020]
    assert [round(observed[m], 3) for m in CODE_SAMPLES] == [0.055, 0.104]
    spread = code_backtests[code_backtests["estimator"] == "power law"].groupby("model")["error"].agg(["min", "max"])
    assert [round(x, 3) for x in spread.loc[list(CODE_SAMPLES)].to_numpy().ravel()] == [-0.024, 0.003, -0.036, 0.009]
