# %% [markdown]
# # 04 · Compute-optimal test-time compute: does choosing a strategy per difficulty bin pay?
#
# **Question.** Snell et al. 2024 (arXiv:2408.03314) sort problems into difficulty bins and, per bin and
# compute budget, pick the strategy with the highest accuracy: a *compute-optimal* policy, whose compute
# for a given accuracy they set against best-of-N's. The Hugging Face blog and Liu et al. 2025
# (arXiv:2502.06703) make the same choice. Does it pay on the kit's own samples, and how much of it
# survives when the policy is chosen on some problems and scored on others?
#
# **What is redrawn, what is asked.** Snell et al.'s plots of accuracy against budget per difficulty bin
# are redrawn on the kit's data: the policy, the best single strategy and each strategy per bin.
# Their efficiency multiple (the compute best-of-N needs for the policy's accuracy, over the policy's) is
# set beside one computed here, with both settings named (`ttslib.references`). What differs: here compute
# is generated tokens, the baseline's tokens for the policy's accuracy are interpolated on a log axis
# between its measured budgets, and the budgets are the kit's few n (the tables give them); the compute
# measure, model, benchmark, budget range and bins of their figure are not given in our source, so
# the two numbers are set side by side, not tested. Liu et al.'s absolute difficulty levels are applied
# to Pythia's MATH counts.
#
# **Method** (`ttslib.policy`). A *strategy results* table holds, per problem, strategy and budget, the
# expected accuracy (exact over all n-subsets of the samples, `ttslib.selection`) and the cost (generated
# tokens). Bins: given labels (the arithmetic levels, MATH levels), `NUM_BINS` equal-count bins of pass@1
# (Snell's *oracle* bins) or of the mean verifier score (*predicted* bins, no ground truth), or Liu et
# al.'s absolute bins. Oracle bins estimated from the very samples that are scored leak their outcome into
# the bin; so each problem's samples are split at random, half to estimate the bin and half to score, and
# the leaky version (bin and score from the same half) is shown beside it. The policy is chosen on
# `FOLDS - 1` folds of problems and scored on the one left out (Snell et al. use two folds; Liu et al.
# choose on the test set itself), and compared with the same choice scored on the same problems
# (*optimistic*) and with the best single strategy (one choice for every bin, also held out). Every
# comparison is a finding of `ttslib.findings`: a paired interval over the same problems, its verdict, and
# where nothing is shown the smallest difference the data could have detected (at the power `ttslib.findings.POWER`).

# %% tags=["parameters"]
DATA_DIR = "../data"
FIGURES_DIR = "../figures"
OWN_SAMPLES = "../data/arith_smollm2.parquet"  # the kit's arithmetic run (ttslib.data sample table, with level)
CHAIN_DIR = "../data/chains"  # the step-level search data (section 3): a sampling pool and search runs (data/README.md)
CHAIN_POOL = "pool64"  # the pool's file name in CHAIN_DIR; every other Parquet file there is a search run
CHAIN_PER_LEVEL, CHAIN_SEED = 15, 0  # the chain problem set of those runs (ttslib.problems.make_chains)
CHAIN_POLICY_AUC = 0.80  # section 3's policy chooses among majority vote and the strategies of the step checker blurred to this AUC (noise seed 0); None: any verifier
PYTHIA_MODEL = "pythia-1b"  # Pythia counts for the bins-and-coverage section
PYTHIA_CHECKPOINT = "300B"
NUM_BINS = 5  # quantile bins, as Snell et al.
HOLDOUT_FRACTION = 0.5  # share of each problem's samples held apart to estimate its oracle bin
FOLDS = 2  # folds of problems: choose on FOLDS - 1, score on the one left out
NUM_DRAWS = 1000  # Monte Carlo draws where no exact form is used (weighted vote with N > 16)
N_BOOT = 1000  # bootstrap resamples of problems
POWER_FLOOR = 0.05  # no detectable difference is stated where both sides' accuracy lies within this of 0 or of 1: the spread there is no guide to the spread under a difference
SEED = 0

# %%
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from scipy.special import ndtr, ndtri

from ttslib.coverage import coverage_curve, log_spaced_ks
from ttslib.data import read_pythia_counts, read_samples
from ttslib.findings import FEW_DIFFER, POWER, Summary, detectable_difference, family, paired_finding
from ttslib.plotting import figure_legend, savefig, use_theme
from ttslib.plotting.coverage import plot_coverage
from ttslib.plotting.policy import plot_bin_curves, plot_efficiency, plot_policy_evaluation, plot_policy_map, strategy_palette
from ttslib.policy import (
    ABSOLUTE_BINS,
    COST_RTOL,
    Strategy,
    VerifierSpec,
    bin_curves,
    difficulty_bins,
    efficiency_family,
    efficiency_findings,
    efficiency_multiple,
    evaluate_policy,
    one_sample_budgets,
    split_counts,
    strategies_of,
    strategy_curve,
)
from ttslib.problems import make_chains
from ttslib.references import Setting, compare_with_paper, paper_result
from ttslib.selection import log2_budgets
from ttslib.strategies import known_verifier, pool_arrays, pool_strategies, score_pool, search_strategies

use_theme()  # the kit's look: seaborn theme, fixed colours per strategy and per model size

# %% [markdown]
# ## 1. The kit's arithmetic run
#
# SmolLM2-135M-Instruct on the graded arithmetic set, with its difficulty levels (`data/README.md`; the
# table below gives the sizes). Three strategies share the same samples, so at a budget of n samples they cost
# the same tokens: majority vote, best-of-N and weighted best-of-N, scored by the model's own confidence
# (the sampled tokens' mean log-probability, normalised per token and mapped into `(0, 1]` as the
# geometric-mean token probability `exp(logprob / tokens)`). Each problem's samples are split at random
# (sizes in the table below): half held apart to estimate its oracle bin, half to score the strategies at
# `n = 1, 2, 4, ...`

# %%
own = read_samples(OWN_SAMPLES)
if "level" not in own.columns:
    raise ValueError(f"{OWN_SAMPLES} has no level column: this section bins by the given levels beside the oracle and predicted bins")
own_pool = pool_arrays(own)  # (P, N) arrays: answers by canonical key, the model's confidence per sample
problem_ids, correct, confidence, completion_tokens, level = (own_pool.problem_ids, own_pool.correct, own_pool.confidence,
                                                              own_pool.completion_tokens, own_pool.level)
own_held, own_scored = own_pool.split(HOLDOUT_FRACTION, seed=SEED)  # half to bin, half to score
correct_held, correct_s, conf_s = own_held.correct, own_scored.correct, own_scored.confidence
ns = log2_budgets(correct_s.shape[1])
for whole, half_a, half_b in ((confidence, own_held.confidence, conf_s), (completion_tokens, own_held.completion_tokens, own_scored.completion_tokens)):
    assert np.array_equal(np.sort(np.concatenate([half_a, half_b], axis=1), axis=1), np.sort(whole, axis=1))  # disjoint halves: each sample in one
assert ns[-1] <= correct_s.shape[1]  # n within the scored half
own_res = pool_strategies(own_scored, verifiers=[VerifierSpec.confidence()], num_draws=NUM_DRAWS, seed=SEED)
results = own_res.table("tokens", level=level, score=conf_s.mean(1))  # the oracle left out: no policy may read the answers
BON, MAJORITY, WEIGHTED = Strategy("best_of_n", VerifierSpec.confidence()), Strategy("majority"), Strategy("weighted", VerifierSpec.confidence())
palette = strategy_palette(strategies_of(results))
pd.Series(
    {
        "problems x samples (held apart + scored)": f"{correct.shape[0]} x ({correct_held.shape[1]} + {correct_s.shape[1]})",
        "budgets n": ", ".join(map(str, ns)),
        "weighted vote computed": own_res[WEIGHTED].method,
        "generated tokens per sample (mean)": f"{completion_tokens.mean():.2f}",
        "pass@1, held-apart / scored half": f"{correct_held.mean():.3f} / {correct_s.mean():.3f}",
    }
).to_frame("arithmetic run")

# %% [markdown]
# ### Four ways to bin the same problems
#
# The given levels; oracle bins of pass@1 from the held-apart half; the same from the
# scored half (leaky); and predicted bins of the mean confidence of the scored half (no ground truth).
# Pass@1 from a handful of samples takes few values and many problems share the same one; equal values
# share a bin, so the equal-count bins are as equal as ties allow and a bin can stay empty:

# %%
arith_bins = {
    "given: level": difficulty_bins(pd.Series(level, index=problem_ids), "given"),
    "oracle, held-apart samples": difficulty_bins(pd.Series(correct_held.mean(1), index=problem_ids), num_bins=NUM_BINS),
    "oracle, leaky (scored samples)": difficulty_bins(pd.Series(correct_s.mean(1), index=problem_ids), num_bins=NUM_BINS),
    "predicted: mean confidence": difficulty_bins(pd.Series(conf_s.mean(1), index=problem_ids), num_bins=NUM_BINS),
}
pd.DataFrame({name: b.value_counts().sort_index() for name, b in arith_bins.items()}).fillna(0).astype(int).rename_axis("bin")

# %% [markdown]
# ### Accuracy per strategy within each level
#
# Each panel is one level; x is the expected generated tokens per problem at each budget n of the scored half (table above).

# %%
by_level = bin_curves(results, arith_bins["given: level"], n_boot=N_BOOT, seed=SEED)
levels = sorted(by_level["bin"].unique())
fig, axes = plt.subplots(2, (len(levels) + 1) // 2, figsize=(2.7 * ((len(levels) + 1) // 2), 5.4), sharex=True, sharey=True)
for ax, lv in zip(axes.flat, levels):
    plot_bin_curves(by_level[by_level["bin"] == lv], ax=ax, palette=palette, xlabel="")
    ax.set_title(f"level {lv}", fontsize="small")
    ax.set_ylabel("")
figure_legend(fig)  # one legend beside the panels
fig.supxlabel("generated tokens per problem")
fig.supylabel("accuracy")
savefig(fig, "04_arith_bins", directory=FIGURES_DIR)

# %%
per_level_gap = by_level.pivot_table(index=["bin", "n"], columns="strategy", values="accuracy")
gap_at_max = per_level_gap.xs(ns[-1], level="n")
gap_at_max.assign(spread=gap_at_max.max(axis=1) - gap_at_max.min(axis=1)).round(3)

# %% [markdown]
# ### The chosen policy and how it scores
#
# At each budget (the tokens best-of-N spends at n samples, measured on the problems the choice is made
# on: the compute cap) the policy takes, per bin, the strategy and its own n with the highest mean accuracy that fits.
# The heatmaps show the choice made on all problems (the optimistic one); each cell names the chosen
# strategy's own n.

# %%
arith_eval = {
    name: evaluate_policy(results, b, reference=BON, folds=FOLDS, seed=SEED, n_boot=N_BOOT)
    for name, b in arith_bins.items()
}
fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), gridspec_kw={"width_ratios": [1.4, 1]})
for ax, name in zip(axes, ["given: level", "oracle, held-apart samples"]):
    choices = arith_eval[name].choices
    plot_policy_map(choices[(choices["fold"] == -1) & (choices["bin"] != "all")], ax=ax, palette=palette,
                    xlabel="budget: best-of-N's n (compute cap: its cost there)", ylabel=name)
fig.tight_layout()
savefig(fig, "04_arith_policy_map", directory=FIGURES_DIR)

# %% [markdown]
# Top: accuracy of the policy chosen on the other fold (held-out), the same choice scored on the problems
# it was made on (optimistic) and the best single strategy (held-out), with bootstrap bands over problems.
# Bottom: the paired difference of the held-out policy and the best single strategy, problem by problem,
# with its bootstrap band over problems for each budget alone (`N_BOOT` resamples, unadjusted). The
# findings below test the same difference with a paired interval inside a Holm family over every binning
# and budget, so a budget whose band here leaves out zero can still read "not shown" there.

# %%
fig, axes = plt.subplots(2, len(arith_eval), figsize=(3.6 * len(arith_eval), 6.2), sharex=True, sharey="row",
                         gridspec_kw={"height_ratios": [1.4, 1]})
for j, (name, ev) in enumerate(arith_eval.items()):
    plot_policy_evaluation(ev.summary, ax=axes[0, j], xlabel="", legend=False)
    plot_policy_evaluation(ev.summary, ax=axes[1, j], kinds=("held_out - single",), xlabel="budget: best-of-N's n (compute cap: its cost there)", legend=False)
    axes[0, j].set_title(name, fontsize="small")
    if j:
        axes[0, j].set_ylabel("")
        axes[1, j].set_ylabel("")
axes[1, 0].set_ylabel("held-out policy minus\nbest single strategy")
figure_legend(fig, axes=axes[0])  # the top row's kinds beside the panels; the bottom row's one line is named by its y label
savefig(fig, "04_arith_policy", directory=FIGURES_DIR)

# %%
arith_summary = pd.concat(
    {name: ev.summary.pivot(index="n", columns="kind", values="accuracy") for name, ev in arith_eval.items()}
)[["optimistic", "held_out", "single", "held_out - single"]]
arith_gap = pd.concat({name: ev.summary[ev.summary["kind"] == "held_out - single"].set_index("n")[["accuracy", "lower", "upper"]]
                       for name, ev in arith_eval.items()})
arith_summary.round(4)

# %% [markdown]
# The held-out gain over the best single strategy, with its bootstrap interval over problems:

# %%
arith_gap.round(4)

# %% [markdown]
# ### Efficiency multiple against best-of-N and majority vote
#
# At each budget: the tokens best-of-N (or majority vote) needs to reach the policy's held-out accuracy,
# divided by the tokens the policy spends, interpolated on a log axis between the baseline's budgets
# (`ttslib.policy.efficiency_multiple`). It is undefined, and reported so, where the baseline never reaches
# the policy's accuracy within its largest n ("not reached"; `bound` says how far that goes), where its
# smallest n already goes past it ("below range"), and where the policy coincides with one of the
# baseline's budgets ("coincides"): problem by problem, or where every configuration the policy uses on the
# held-out folds is a one-sample rule at n = 1 and so is the baseline's smallest budget (majority vote,
# best-of-N and weighted best-of-N then all return the one sample drawn, and score pass@1 in expectation;
# a Monte Carlo estimate makes their per-problem values differ by its error only).

# %%
arith_eff = {}
for name in ["given: level", "oracle, held-apart samples"]:
    ev = arith_eval[name]
    for baseline in (BON, MAJORITY):
        base_ns, base_acc, base_cost = strategy_curve(results, baseline, ev.problem_ids)
        arith_eff[(name, baseline)] = efficiency_multiple(ev.held_out, ev.held_out_cost, base_acc, base_cost, n_boot=N_BOOT, seed=SEED,
                                                          same=one_sample_budgets(ev.choices, ev.ns, baseline=baseline, baseline_ns=base_ns)
                                                          ).assign(n=ev.ns)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
for ax, name in zip(axes, ["given: level", "oracle, held-apart samples"]):
    plot_efficiency({b: arith_eff[(name, b)] for b in (BON, MAJORITY)}, ax=ax, reference=None,
                    xlabel="budget: best-of-N's n (compute cap: its cost there)")
    ax.set_title(f"policy on {name} bins (held-out)", fontsize="small")
savefig(fig, "04_arith_efficiency", directory=FIGURES_DIR)
pd.concat(arith_eff)[["accuracy", "cost", "baseline_cost", "multiple", "lower", "upper", "status", "p_reached", "p_below"]].round(3)

# %% [markdown]
# ### What the policy picks
#
# The choice made on all problems (the heatmaps above), per bin and budget: the strategy and its own n.

# %%
arith_choices = {}
for name in ["given: level", "oracle, held-apart samples"]:
    ch = arith_eval[name].choices
    ch = ch[(ch["fold"] == -1) & (ch["bin"] != "all")]
    arith_choices[name] = ch.assign(pick=[f"{st}, n = {n:g}" for st, n in zip(ch["strategy"], ch["n"])]).pivot(
        index="bin", columns="grid_n", values="pick").rename_axis(columns="budget")
pd.concat(arith_choices)

# %% [markdown]
# ### What this section shows
#
# Rendered from the tables above. Four families of comparisons, each paired over the same problems and
# Holm-adjusted within its family: the other two rules against best-of-N within each level at the largest
# n; the held-out policy against the best single strategy, per binning and budget (budgets where the two
# give every problem the same accuracy are listed, not tested); in the bins where the oracle-bin policy
# keeps a smaller n than the budget allows, the chosen config against the same strategy at the largest n;
# the optimistic choice against the held-out one. Then the efficiency multiple per budget (its verdicts
# one Holm family over the budgets of the section where it is defined, from bootstrap p-values of
# multiple = 1), and Snell et al.'s result beside it.

# %%
ids = arith_eval["given: level"].problem_ids  # sorted problem ids: the order of every per-problem array below
level_of = arith_bins["given: level"].reindex(ids).to_numpy()
at_top = {s: (c := strategy_curve(results, s, ids))[1][:, c[0] == ns[-1]][:, 0] for s in (BON, MAJORITY, WEIGHTED)}  # (P,) at the largest n
level_pairs = [(lv, s) for lv in levels for s in (MAJORITY, WEIGHTED)]
level_same = [(lv, s) for lv, s in level_pairs if np.array_equal(at_top[s][level_of == lv], at_top[BON][level_of == lv])]
within_level = family([paired_finding(at_top[s][level_of == lv], at_top[BON][level_of == lv], a=str(s), b=str(BON), quantity="accuracy",
                                      range=f"level {lv}, n = {ns[-1]:g} samples") for lv, s in level_pairs if (lv, s) not in level_same])
# the power each finding states: none where it says so itself (too few problems differ: exact sign test) or where both sides lie
# within POWER_FLOOR of 0 or 1; elsewhere the detectable difference at Holm's first threshold, (1 - level) / family size, the
# strictest level a finding of the family is judged at
level_few = [f.few_differ or f.num_differ == 0 for f in within_level]
level_floor = [not few and min(f.a_value, 1 - f.a_value) < POWER_FLOOR and min(f.b_value, 1 - f.b_value) < POWER_FLOOR
               for f, few in zip(within_level, level_few)]
level_holm_detect = [f.detectable * detectable_difference(1.0, level=1 - (1 - f.level) / f.family_size) / detectable_difference(1.0, level=f.level)
                     for f, few, fl in zip(within_level, level_few, level_floor) if not (few or fl)]
level_power_line = "; ".join(filter(None, [
    (f"in {'all' if all(level_few) else f'{sum(level_few)} of the'} {len(within_level)} only {min(f.num_differ for f, few in zip(within_level, level_few) if few)} to "
     f"{max(f.num_differ for f, few in zip(within_level, level_few) if few)} problems differ: exact sign test, no power statement") if any(level_few) else "",
    f"in {sum(level_floor)} both sides' accuracy lies within {POWER_FLOOR:g} of 0 or 1: no power stated" if any(level_floor) else "",
    (f"the other {len(level_holm_detect)} detect {min(level_holm_detect):.3f} to {max(level_holm_detect):.3f} at {POWER:.0%} power at Holm's "
     f"first threshold (two-sided {1 - within_level[0].level:g} / {len(within_level)})") if level_holm_detect else ""]))
both_one_sample = {name: one_sample_budgets(ev.choices, ev.ns) & one_sample_budgets(ev.choices, ev.ns, single=True) for name, ev in arith_eval.items()}
gain_keys = [(name, k) for name, ev in arith_eval.items() for k in range(len(ev.ns))
             if not (np.array_equal(ev.held_out[:, k], ev.single[:, k]) or both_one_sample[name][k])]
arith_gain = family([paired_finding(arith_eval[name].held_out[:, k], arith_eval[name].single[:, k], a=f"held-out policy on {name} bins",
                                    b="the best single strategy (held out)", quantity="accuracy",
                                    range=f"budget {arith_eval[name].ns[k]:g} (best-of-N's n)") for name, k in gain_keys])
arith_same = [f"{name} at budget {ev.ns[k]:g}" for name, ev in arith_eval.items() for k in range(len(ev.ns)) if (name, k) not in gain_keys]
# the bins where the oracle-bin policy, chosen on all problems, keeps a smaller n than the largest budget allows
picked = arith_eval["oracle, held-apart samples"].choices
picked = picked[(picked["fold"] == -1) & (picked["bin"] != "all") & (picked["grid_n"] == ns[-1])]
oracle_of = arith_bins["oracle, held-apart samples"].reindex(ids).to_numpy()
kept_small = [(r.bin, r.strategy, r.n) for r in picked.itertuples() if r.n < ns[-1]]
small_pairs = {(b, st, n): ((c := strategy_curve(results, st, ids))[1][oracle_of == b][:, c[0] == n][:, 0], c[1][oracle_of == b][:, c[0] == ns[-1]][:, 0])
               for b, st, n in kept_small}  # per bin: the chosen config and the same strategy at the largest n, (P_b,) each
small_same = [key for key, (x, y) in small_pairs.items() if np.array_equal(x, y)]
small_n = family([paired_finding(x, y, a=f"{st} at n = {n:g}", b=f"{st} at n = {ns[-1]:g}", quantity="accuracy",
                                 range=f"oracle bin {b} (held-apart samples)") for (b, st, n), (x, y) in small_pairs.items()
                  if (b, st, n) not in small_same]) if len(small_same) < len(small_pairs) else []
arith_optimism = family([paired_finding(ev.optimistic[:, -1], ev.held_out[:, -1], a=f"optimistic policy on {name} bins",
                                        b="the held-out one", quantity="accuracy", range=f"budget {ev.ns[-1]:g} (best-of-N's n)")
                         for name, ev in arith_eval.items()])
# the multiples of this section form one Holm family (bootstrap p-values of multiple = 1) over every budget where one is defined
arith_eff_flat = efficiency_family([f for key, t in arith_eff.items() for f in efficiency_findings(
    t, policy=f"the held-out policy on {key[0]} bins", baseline=str(key[1]), budgets=[f"budget {n:g}" for n in t["n"]])])
arith_eff_ends = np.cumsum([0] + [len(t) for t in arith_eff.values()])  # each table's rows in the flat family
arith_eff_found = {key: arith_eff_flat[a:z] for key, a, z in zip(arith_eff, arith_eff_ends[:-1], arith_eff_ends[1:])}
arith_eff_defined = sum(f.status == "reached" for f in arith_eff_flat)
arith_eff_lines = [f"Efficiency multiple of the held-out policy on {name} bins against {base} (the baseline's tokens to reach the "
                   f"policy's accuracy / the policy's tokens; {found[0].level:.0%} paired bootstrap band over {len(ids)} problems, unadjusted; "
                   f"the verdict after Holm's adjustment over the {arith_eff_defined} budgets of this section where a multiple is defined, "
                   f"from bootstrap p-values of multiple = 1): " + "; ".join(f.short() for f in found) + "." for (name, base), found in arith_eff_found.items()]
oracle_cells = arith_eval["oracle, held-apart samples"].choices
oracle_cells = oracle_cells[(oracle_cells["fold"] == -1) & (oracle_cells["bin"] != "all")]
arith_choice_line = (f"The oracle-bin policy chosen on all problems picks " + ", ".join(
    f"{st} in {c}" for st, c in oracle_cells["strategy"].astype(str).value_counts().items()) + f" of its {len(oracle_cells)} (bin, budget) "
    "cells; at the largest budget it keeps " + (", ".join(f"n = {n:g} ({st}) in bin {b}" for b, st, n in kept_small) or "the largest n in every bin")
    + "".join(f"; in bin {b}, {st} gives every problem the same accuracy at n = {n:g} as at the largest n (the tie goes to the cheaper)"
              for b, st, n in small_same) + ".")
eff_o = arith_eff[("oracle, held-apart samples", BON)]
defined = eff_o[eff_o["status"] == "reached"]
# what the record must say beside the one defined multiple: the budgets where best-of-N never gets there (a lower bound), and what the policy picks
unreached_o = eff_o[eff_o["status"] == "not reached"]
unreached_text = (f"at n = {', '.join(f'{n:g}' for n in unreached_o['n'])} the multiple is undefined: best-of-N does not reach the policy's "
                  f"accuracy within {', '.join(f'{b:.2f}x' for b in unreached_o['bound'])} the policy's cost (its largest budget; reached in "
                  f"{', '.join(f'{r:.1%}' for r in unreached_o['p_reached'])} of resamples), so there the multiple exceeds that bound if "
                  "best-of-N gets there at all; " if len(unreached_o) else "")
fold_o = arith_eval["oracle, held-apart samples"].choices
fold_o = fold_o[(fold_o["fold"] >= 0) & (fold_o["bin"] != "all")]
picks_text = (f"the policy picks {BON} in {int((oracle_cells['strategy'] == BON).sum())} of its {len(oracle_cells)} (bin, budget) cells chosen on "
              f"all problems and in {int((fold_o['strategy'] == BON).sum())} of {len(fold_o)} chosen on the folds"
              + (", so that it differs from best-of-N only in the n per bin" if (fold_o["strategy"] == BON).all() else "")
              + "".join(f"; at the largest budget it keeps n = {n:g} in bin {b}, where {st} scores {x.mean():.3f} at n = {n:g} and {y.mean():.3f} "
                        f"at n = {ns[-1]:g}" for (b, st, n), (x, y) in small_pairs.items()) + "; ")
snell_arith = compare_with_paper(
    "snell_compute_optimal_4x",
    Setting(f"{own['model'].iloc[0] if 'model' in own.columns else OWN_SAMPLES}, its own token confidence as verifier",
            f"the kit's graded arithmetic ({len(ids)} problems)",
            "generated tokens for equal accuracy (the baseline's interpolated on a log axis between its measured budgets): best-of-N over the per-bin policy",
            f"per-bin choice among majority vote, best-of-N and weighted best-of-N ({own_res[WEIGHTED].method} over n-subsets) on oracle bins "
            f"({FOLDS}-fold cross-validated) against best-of-N",
            f"budgets n = 1 to {ns[-1]:g} samples; " + picks_text + unreached_text
            + (f"the multiple at n = {defined['n'].iloc[-1]:g}, the largest budget where it is defined" if len(defined) else "the multiple is undefined at every budget")),
    *((defined[c].iloc[-1] for c in ("multiple", "lower", "upper")) if len(defined) else (None, None, None)), decimals=2)
Summary(
    f"Within each level, majority vote and weighted best-of-N against best-of-N at n = {ns[-1]:g} ({len(within_level)} comparisons, Holm; "
    + f"{len(level_same)} more pairs give every problem the same accuracy: " + (", ".join(f"{s} in level {lv}" for lv, s in level_same) or "none") + "): "
    + ", ".join(f"{v} {sum(f.verdict == v for f in within_level)}" for v in ("ahead", "behind", "not shown"))
    + f"; {'/'.join(sorted({str(c) for c in pd.Series(level_of).value_counts()}, key=int))} problems per level; "
    + level_power_line + ".",
    [f for f in within_level if f.verdict != "not shown"],
    f"Budgets where the held-out policy and the best single strategy give every problem the same accuracy, or are both one-sample rules "
    f"at n = 1 on every fold (pass@1 in expectation; no comparison): " + (", ".join(arith_same) or "none") + ".",
    arith_gain,
    arith_choice_line,
    small_n,
    arith_optimism,
    paired_finding(arith_eval["oracle, leaky (scored samples)"].held_out[:, -1], arith_eval["oracle, held-apart samples"].held_out[:, -1],
                   a="held-out policy on leaky oracle bins", b="on held-apart oracle bins", quantity="accuracy",
                   range=f"budget {ns[-1]:g} (best-of-N's n)"),
    arith_eff_lines,
    snell_arith,
)

# %%
# the findings are the plotted numbers: each policy-minus-single finding is the summary's paired difference at its budget
for f, (name, k) in zip(arith_gain, gain_keys):
    row = arith_eval[name].summary.query("kind == 'held_out - single'").iloc[k]
    assert abs(f.difference - row["accuracy"]) < 1e-9, (name, k)
# where every bin's choice (on every fold) is one sample, the policy is best-of-N at n = 1 itself: its multiple is undefined
for name, arith_ev in arith_eval.items():
    if name in ("given: level", "oracle, held-apart samples"):
        fold_choices = arith_ev.choices[(arith_ev.choices["fold"] >= 0) & (arith_ev.choices["bin"] != "all")]
        for k, n in enumerate(arith_ev.ns):
            if (fold_choices.loc[fold_choices["grid_n"] == n, "n"] == 1).all():
                assert arith_eff[(name, BON)]["status"].iloc[k] == "coincides", (name, n)

# %% [markdown]
# ## 2. Pythia on MATH: bins and coverage only
#
# The Pythia counts (Brown et al. 2024, arXiv:2407.21787; `data/README.md`) have no answers and no
# verifier scores, so there is no strategy to choose, only bins to set side by side. Do they carry a
# difficulty level (MATH's `1..5`)?

# %%
math = read_pythia_counts(f"{DATA_DIR}/pythia_checkpoints_math_counts.csv")
has_level = "level" in math.columns
pythia = math[(math["model"] == PYTHIA_MODEL) & (math["pretrain_tokens"] == PYTHIA_CHECKPOINT)].reset_index(drop=True)
(n_held, c_held), (n_rest, c_rest) = split_counts(pythia["num_samples"], pythia["num_correct"], fraction=HOLDOUT_FRACTION, seed=SEED)
pythia_pass1 = pd.Series(c_held / n_held, index=pythia["problem_id"].astype(str))  # from the held-apart half
pythia_bins = {"quantile of pass@1 (held-apart)": difficulty_bins(pythia_pass1, num_bins=NUM_BINS),
               "absolute (Liu et al.)": difficulty_bins(pythia_pass1, "absolute")}
if has_level:
    pythia_bins["MATH level"] = difficulty_bins(pythia.set_index(pythia["problem_id"].astype(str))["level"], "given")
else:
    print("The MATH counts carry no level column: only quantile and absolute bins below.")
pd.Series({"has a MATH level": has_level, "problems": len(pythia), "samples per problem (min)": int(pythia["num_samples"].min()),
           "problems never solved in the held-apart half": int((c_held == 0).sum())}).to_frame(f"{PYTHIA_MODEL} @ {PYTHIA_CHECKPOINT}")

# %% [markdown]
# Where the counts carry MATH's level, it is a third binning. The held-apart half (a random half of each
# problem's samples, drawn as a hypergeometric split of its counts) sets the bin; coverage is measured on
# the other half. How do MATH's levels (rows) fall into the quantile bins (columns)?
#
# In the figure after it, coverage at k is the unbiased pass@k up to a bin's fewest samples per problem;
# past that, a problem with fewer than k samples gets the plug-in estimate `1 - (1 - c/n)^k` (dashed,
# faded). For a problem with any success among its n samples the unbiased pass@n is 1, while the
# plug-in just past n is under 1: where the dashed part starts, a curve can step down by the change of
# estimator alone (the summary below gives each such step). The plug-in part is an extrapolation, not a
# measurement.

# %%
crosstab = (pd.crosstab(pythia_bins["MATH level"], pythia_bins["quantile of pass@1 (held-apart)"])
            .rename_axis(index="MATH level", columns="quantile bin of pass@1 (held-apart)") if has_level else None)
crosstab

# %%
ks = log_spaced_ks(int(n_rest.max()), 30)
bin_names = {"quantile of pass@1 (held-apart)": lambda lab: f"bin {lab}", "absolute (Liu et al.)": lambda lab: ABSOLUTE_BINS[lab],
             "MATH level": lambda lab: f"level {lab}"}  # how each binning names its bins in the figure and the summary
pythia_curves = {}  # (binning, bin) -> (coverage curve, the bin's fewest samples per problem: the last k measured without bias)
fig, axes = plt.subplots(1, len(pythia_bins), figsize=(4.2 * len(pythia_bins), 4.8), sharey=True)
for ax, (name, b) in zip(axes, pythia_bins.items()):
    labels = sorted(b.unique())
    curves = [coverage_curve(n_rest[(b == lab).to_numpy()], c_rest[(b == lab).to_numpy()], ks, beyond_n="plugin",
                             n_boot=N_BOOT, seed=SEED) for lab in labels]
    pythia_curves |= {(name, lab): (c, int(n_rest[(b == lab).to_numpy()].min())) for lab, c in zip(labels, curves)}
    plot_coverage(curves, ax=ax, labels=[f"{bin_names[name](lab)} ({int((b == lab).sum())} problems)" for lab in labels],
                  measured_k_max=[int(n_rest[(b == lab).to_numpy()].min()) for lab in labels],  # past a bin's fewest samples: plug-in, drawn apart
                  plugin_label="plug-in past the bin's fewest samples")
    sns.move_legend(ax, "upper center", bbox_to_anchor=(0.5, -0.2), fontsize="small", frameon=False)  # below its panel, clear of the curves
    ax.set_title(name, fontsize="small")
savefig(fig, "04_pythia_bins", directory=FIGURES_DIR)

# %%
quantile_b = pythia_bins["quantile of pass@1 (held-apart)"].to_numpy()
K_COMPARED = 100  # the k at which the end bins' coverage is given
cov_ends = {name: [coverage_curve(n_rest[(b == lab).to_numpy()], c_rest[(b == lab).to_numpy()], [K_COMPARED], beyond_n="plugin", n_boot=1).coverage[0]
                   for lab in (b.min(), b.max())] for name, b in pythia_bins.items()}
level_rank_corr = pd.Series(pythia["level"].to_numpy()).corr(pythia_bins["quantile of pass@1 (held-apart)"].reset_index(drop=True), method="spearman") if has_level else np.nan
assert all(b.value_counts().sum() == len(pythia) for b in pythia_bins.values())  # every problem in exactly one bin of each binning

# %% [markdown]
# ### What this section shows
#
# Measured facts only, rendered from the tables above: no comparison between binnings is tested here (the
# bins hold different problems, and no strategy is chosen).

# %%
empty = sorted(set(range(1, NUM_BINS + 1)) - set(quantile_b))
# where the dashed part starts: coverage at the last k measured without bias and at the first plug-in k, per bin
plugin_ends = {key: (c.coverage[c.k <= kmax][-1], c.coverage[c.k > kmax][0]) for key, (c, kmax) in pythia_curves.items() if (c.k > kmax).any()}
plugin_steps = [(name, lab, a, z) for (name, lab), (a, z) in plugin_ends.items() if z < a]
Summary(
    *([f"Spearman rank correlation between MATH level and quantile bin of pass@1 (held-apart half): {level_rank_corr:.2f} over "
       f"{len(pythia)} problems.",
       "Quantile bins each MATH level spreads over (cross table above): " + ", ".join(f"level {lv}: {c}" for lv, c in (crosstab > 0).sum(axis=1).items()) + "."]
      if has_level else ["The counts carry no MATH level."]),
    f"Problems per quantile bin: " + ", ".join(f"bin {b}: {c}" for b, c in pythia_bins["quantile of pass@1 (held-apart)"].value_counts().sort_index().items())
    + (f"; bins left empty by ties: {', '.join(map(str, empty))}" if empty else "") + f" ({int((c_held == 0).sum())} problems are never solved in the held-apart half).",
    "Liu et al.'s absolute bins: " + ", ".join(f"{ABSOLUTE_BINS[b]}: {c} problems" for b, c in pythia_bins["absolute (Liu et al.)"].value_counts().sort_index().items()) + ".",
    *(f"Coverage at k = {K_COMPARED} on the other half ({name}): {lo:.2f} in {bin_names[name](b.min())}, {hi:.2f} in {bin_names[name](b.max())}."
      for (name, (lo, hi)), b in zip(cov_ends.items(), pythia_bins.values()) if b.nunique() > 1),
    *([f"Past each bin's smallest number of samples left per problem ({int(n_rest.min())} at the fewest), the curves use the plug-in estimate "
       f"for the problems with fewer (as notebook 01); the figure draws that part dashed and faded. From the last measured k to the first "
       f"plug-in k the drawn coverage steps down in " + (", ".join(f"{bin_names[name](lab)} ({name}): {a:.3f} to {z:.3f}" for name, lab, a, z in plugin_steps)
                                                        or "no bin") + "."] if n_rest.min() < ks.max() else []),
)

# %% [markdown]
# ## 3. Step-level search on the chain problems
#
# Beam search and DVTS guided by several verifiers, beside best-of-N, weighted best-of-N and majority vote
# from a sampling pool on the same problems (`ttslib.search`; the files come from the step-level search
# runs). The sampling strategies give one answer per problem per budget from half of the pool's samples
# (the other half sets the oracle bins): majority vote and best-of-N exactly over their n-subsets, weighted
# best-of-N exactly where the pool is small and otherwise as a Monte Carlo over `NUM_DRAWS` random
# n-subsets (the table below says which). Beam search and DVTS are runs of their own, apart from the pool,
# one per strategy and N; a search run's answer is the weighted vote of its N candidates on their
# last-step scores. At N = M, DVTS has one subtree and is beam search (notebook 03 counts
# it once, as beam search): its N = M run is left out of the strategies the policy may choose and of the
# figures, so that one algorithm is not offered twice. Budgets are the tokens
# best-of-N with the default verifier spends; a search costs the tokens its whole tree generated.
# The policy chooses among the strategies guided by one verifier, `CHAIN_POLICY_VERIFIER`, and majority
# vote: a policy free to pick the exact step checker would set a
# verifier that knows more against best-of-N with the noisy one, not one allocation of compute against
# another. The study is small (the table below gives the problems; one run per search), so each finding
# states the smallest difference it could detect.

# %%
chain_pool_path = Path(CHAIN_DIR) / f"{CHAIN_POOL}.parquet"
chain_run_paths = sorted(p for p in Path(CHAIN_DIR).glob("*.parquet") if p != chain_pool_path)
chains_ready = chain_pool_path.exists() and bool(chain_run_paths)
if not chains_ready:
    print(f"Section 3 waits for {chain_pool_path} and search runs beside it (the step-level search runs): its tables and the "
          f"figures 04_chains_bins, 04_chains_policy_map, 04_chains_policy and 04_chains_efficiency appear when both exist.")

# %%
if chains_ready:
    pool = read_samples(chain_pool_path)
    search = pd.concat([read_samples(p) for p in chain_run_paths], ignore_index=True)
    chain_questions = dict(make_chains(CHAIN_PER_LEVEL, seed=CHAIN_SEED)[["problem_id", "question"]].to_numpy())
    CHAIN_POLICY_VERIFIER = None if CHAIN_POLICY_AUC is None else VerifierSpec.noisy(CHAIN_POLICY_AUC)
    chain_verifiers = [] if CHAIN_POLICY_VERIFIER is None else [CHAIN_POLICY_VERIFIER]  # the specs behind the tables' verifier names
    pool = score_pool(pool, chain_questions, [VerifierSpec.step_checker(), VerifierSpec.confidence()])  # the other verifiers that guided searches
    default_verifier = known_verifier(str(pool["verifier"].iloc[0]) if "verifier" in pool.columns else "default", chain_verifiers)
    chain = pool_arrays(pool, chain_verifiers)
    held, scored = chain.split(HOLDOUT_FRACTION, seed=SEED)  # the same split as notebook 03's by-difficulty section
    chain_res = pool_strategies(scored, num_draws=NUM_DRAWS, seed=SEED).merge(search_strategies(search, verifiers=chain_verifiers))
    if CHAIN_POLICY_VERIFIER is not None:  # one verifier's strategies, and majority vote (it needs none)
        chain_res = chain_res.take(strategies=[s for s in chain_res if s.method == "majority" or s.verifier == CHAIN_POLICY_VERIFIER])
    one_tree = [s for s in chain_res.find(method="dvts") if s.beam_width in chain_res[s].n]  # DVTS runs at N = M: one subtree, beam search
    for s in one_tree:  # keep each such DVTS without its N = M run (counted once, as beam search)
        keep_ns = [n for n in chain_res[s].n if n != s.beam_width]
        rest = chain_res.take(strategies=[t for t in chain_res if t != s])
        chain_res = rest.merge(chain_res.take(strategies=[s], ns=keep_ns)) if keep_ns else rest
    assert all(s.beam_width not in chain_res[s].n for s in chain_res.find(method="dvts"))  # "left out of the strategies the policy may choose"
    chain_results = chain_res.table("tokens")  # generated tokens; the oracle left out
    chain_strategies = strategies_of(chain_results)
    common = chain_res.problem_ids.tolist()
    rows = pd.Index(chain.problem_ids).get_indexer(common)
    chain_bins = {
        "oracle, held-apart samples": difficulty_bins(pd.Series(held.correct[rows].mean(1), index=common), num_bins=NUM_BINS),
        "oracle, leaky (scored samples)": difficulty_bins(pd.Series(scored.correct[rows].mean(1), index=common), num_bins=NUM_BINS),
        f"predicted: mean {default_verifier} score": difficulty_bins(pd.Series(scored.scores(default_verifier)[rows].mean(1), index=common),
                                                                     num_bins=NUM_BINS),
    }
    if chain.level is not None:
        chain_bins["given: level"] = difficulty_bins(pd.Series(chain.level[rows], index=common), "given")
    score_columns = sorted(chain.step_scores)
    chain_palette = strategy_palette(chain_strategies)
    display(pd.Series({"problems": len(common), "strategies": ", ".join(sorted({str(s) for s in chain_strategies})),
                       "verifiers in the pool": ", ".join(map(str, score_columns)),
                       "left out (DVTS at N = M, beam search)": ", ".join(f"{s}, N = {s.beam_width}" for s in one_tree) or "none",
                       "weighted best-of-N computed": chain_res[Strategy("weighted", default_verifier)].method}).to_frame("chain search data"))

# %%
if chains_ready:
    oracle_bins = chain_bins["oracle, held-apart samples"]
    chain_curves = bin_curves(chain_results, oracle_bins, n_boot=N_BOOT, seed=SEED)
    bins_c = sorted(chain_curves["bin"].unique())
    fig, axes = plt.subplots(1, len(bins_c), figsize=(3.2 * len(bins_c), 3.6), sharey=True, squeeze=False)
    for ax, b in zip(axes.flat, bins_c):
        plot_bin_curves(chain_curves[chain_curves["bin"] == b], ax=ax, palette=chain_palette, xlabel="generated tokens per problem")
        ax.set_title(f"oracle bin {b}", fontsize="small")
    figure_legend(fig)
    savefig(fig, "04_chains_bins", directory=FIGURES_DIR)

# %%
if chains_ready:
    chain_reference = Strategy("best_of_n", default_verifier)
    chain_eval = {name: evaluate_policy(chain_results, b, reference=chain_reference, folds=FOLDS, seed=SEED, n_boot=N_BOOT)
                  for name, b in chain_bins.items()}
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, name in zip(axes, ["oracle, held-apart samples", f"predicted: mean {default_verifier} score"]):
        choices = chain_eval[name].choices
        plot_policy_map(choices[(choices["fold"] == -1) & (choices["bin"] != "all")], ax=ax, palette=chain_palette,
                        xlabel=f"budget: {chain_reference}'s n (compute cap: its cost there)", ylabel=name)
    fig.tight_layout()
    savefig(fig, "04_chains_policy_map", directory=FIGURES_DIR)
    fig, axes = plt.subplots(1, len(chain_eval), figsize=(3.6 * len(chain_eval), 3.6), sharey=True, squeeze=False)
    for ax, (name, ev) in zip(axes.flat, chain_eval.items()):
        plot_policy_evaluation(ev.summary, ax=ax, xlabel=f"budget: {chain_reference}'s n (compute cap: its cost there)", legend=False)
        ax.set_title(name, fontsize="small")
    figure_legend(fig)  # one legend for the panels, beside them
    savefig(fig, "04_chains_policy", directory=FIGURES_DIR)
    display(pd.concat({name: ev.summary.pivot(index="n", columns="kind", values="accuracy") for name, ev in chain_eval.items()}).round(4))
    # the held-out policy minus the best single strategy (chosen on the other fold, same budget), paired over problems
    chain_gap = pd.concat({name: ev.summary[ev.summary["kind"] == "held_out - single"].set_index("n")[["accuracy", "lower", "upper"]]
                           for name, ev in chain_eval.items()})
    display(chain_gap.round(4))

# %%
if chains_ready:
    chain_eff = {}
    chain_baselines = (Strategy("weighted", default_verifier), Strategy("majority"))  # weighted best-of-N with the same verifier: the strong sampling baseline
    for name in ["oracle, held-apart samples", f"predicted: mean {default_verifier} score"]:
        ev = chain_eval[name]
        for baseline in chain_baselines:
            base_ns, base_acc, base_cost = strategy_curve(chain_results, baseline, ev.problem_ids)
            chain_eff[(name, baseline)] = efficiency_multiple(
                ev.held_out, ev.held_out_cost, base_acc, base_cost, n_boot=N_BOOT, seed=SEED,
                same=one_sample_budgets(ev.choices, ev.ns, baseline=baseline, baseline_ns=base_ns)).assign(n=ev.ns)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for ax, name in zip(axes, ["oracle, held-apart samples", f"predicted: mean {default_verifier} score"]):
        plot_efficiency({b: chain_eff[(name, b)] for b in chain_baselines}, ax=ax,
                        reference=None, xlabel=f"budget: {chain_reference}'s n (compute cap: its cost there)")
        ax.set_title(f"policy on {name} bins (held-out)", fontsize="small")
    savefig(fig, "04_chains_efficiency", directory=FIGURES_DIR)
    display(pd.concat(chain_eff)[["accuracy", "cost", "baseline_cost", "multiple", "lower", "upper", "status"]].round(3))

# %% [markdown]
# ### What the policy picks, and how far apart the strategies are within a bin
#
# The choice on oracle bins (held-apart samples) made on all problems, per bin and budget. Then, within
# each oracle bin, every strategy against weighted best-of-N at the largest N all of them ran (equal N,
# not equal tokens: the mean tokens per problem are printed beside), one Holm family over all bins.

# %%
if chains_ready:
    ev = chain_eval["oracle, held-apart samples"]
    ids_c = ev.problem_ids  # sorted problem ids: the order of every per-problem array below
    ch = ev.choices[(ev.choices["fold"] == -1) & (ev.choices["bin"] != "all")]
    chain_choice = ch.assign(pick=[f"{st}, n = {n:g}" for st, n in zip(ch["strategy"], ch["n"])]).pivot(
        index="bin", columns="grid_n", values="pick").rename_axis(columns="budget")
    display(chain_choice)
    curves_c = {st: strategy_curve(chain_results, st, ids_c) for st in dict.fromkeys(chain_strategies)}  # (ns, acc (P, K), cost (P, K))
    n_common = max(set.intersection(*(set(c[0]) for c in curves_c.values())))  # the largest N every strategy ran
    at_n = {st: (c[1][:, c[0] == n_common][:, 0], c[2][:, c[0] == n_common][:, 0]) for st, c in curves_c.items()}  # accuracy, tokens (P,)
    weighted_c = chain_baselines[0]
    bin_of = oracle_bins.reindex(ids_c).to_numpy()
    bin_pairs = [(b, st) for b in bins_c for st in at_n if st != weighted_c]
    bin_same = [(b, st) for b, st in bin_pairs if np.array_equal(at_n[st][0][bin_of == b], at_n[weighted_c][0][bin_of == b])]
    within_bin = family([paired_finding(at_n[st][0][bin_of == b], at_n[weighted_c][0][bin_of == b], a=str(st), b=str(weighted_c),
                                        quantity="accuracy", range=f"oracle bin {b}, N = {n_common:g} (equal N, not equal tokens)")
                         for b, st in bin_pairs if (b, st) not in bin_same])
    # the power stated, as in section 1: none where the finding states none (too few problems differ) or both sides lie within
    # POWER_FLOOR of 0 or 1; elsewhere the detectable difference at Holm's first threshold, (1 - level) / family size
    bin_few = [f.few_differ or f.num_differ == 0 for f in within_bin]
    at_floor = [not few and min(f.a_value, 1 - f.a_value) < POWER_FLOOR and min(f.b_value, 1 - f.b_value) < POWER_FLOOR
                for f, few in zip(within_bin, bin_few)]
    bin_detect = [np.nan if few or fl else f.detectable * detectable_difference(1.0, level=1 - (1 - f.level) / f.family_size)
                  / detectable_difference(1.0, level=f.level) for f, few, fl in zip(within_bin, bin_few, at_floor)]
    display(pd.DataFrame([(f.range.split(",")[0], f.a, f.a_value, f.b_value, f.difference, f.lower, f.upper, f.verdict, f.num_differ, d, f.num_problems)
                          for f, d in zip(within_bin, bin_detect)],
                         columns=["bin", "strategy", "accuracy", str(weighted_c), "difference", "lower", "upper", "verdict (Holm)",
                                  "problems that differ", "detectable at 80% power, Holm's first threshold", "problems"]).round(3))

# %% [markdown]
# ### What this section shows
#
# Rendered from the tables above, as in section 1: the held-out policy against the best single strategy
# per binning and budget (one Holm family; budgets where the two give every problem the same accuracy are
# listed, not tested, and so are budgets where both are one-sample rules); the optimistic choice against
# the held-out one; the held-out policy against weighted best-of-N and against best-of-N at the same
# compute cap (one Holm family each; budgets where the policy is the baseline at n = 1 are listed, not
# tested); the within-bin family; the efficiency multiple per budget (one Holm family over the budgets
# of the section where it is defined, from bootstrap p-values of multiple = 1). Then the study's power
# against the effect Snell et al.'s multiple would imply on a baseline's own curve. Their multiple is
# against best-of-N; it is set against best-of-N with the policy's verifier, and also applied to weighted
# best-of-N, a baseline other than theirs. A policy that many times as efficient as the baseline,
# spending the cap at budget n, matches the baseline's accuracy at that many times n. Per budget,
# whether any per-bin choice under the cap could reach that accuracy at all (each problem given its own
# best configuration that fits the cap is the ceiling of every choice), and where it could, the
# difference the paired comparison would detect with the standard error it would have under that
# alternative (the policy scoring as the baseline at the larger n, problem by problem), at the level its
# verdict is judged at: Holm's first threshold in the family against that baseline (the strictest step,
# so the power stated is the least the family gives). The within-bin family's power is
# stated the same way. Last, their result beside ours with both settings named.

# %%
if chains_ready:
    chain_one_sample = {name: one_sample_budgets(e.choices, e.ns) & one_sample_budgets(e.choices, e.ns, single=True) for name, e in chain_eval.items()}
    chain_keys = [(name, k) for name, e in chain_eval.items() for k in range(len(e.ns))
                  if not (np.array_equal(e.held_out[:, k], e.single[:, k]) or chain_one_sample[name][k])]
    chain_gain = family([paired_finding(chain_eval[name].held_out[:, k], chain_eval[name].single[:, k], a=f"held-out policy on {name} bins",
                                        b="the best single strategy (held out)", quantity="accuracy",
                                        range=f"budget {chain_eval[name].ns[k]:g} ({chain_reference}'s n)") for name, k in chain_keys])
    chain_same = [f"{name} at budget {e.ns[k]:g}" for name, e in chain_eval.items() for k in range(len(e.ns)) if (name, k) not in chain_keys]
    chain_optimism = paired_finding(ev.optimistic[:, -1], ev.held_out[:, -1], a="optimistic policy on oracle bins (held-apart samples)",
                                    b="the held-out one", quantity="accuracy", range=f"budget {ev.ns[-1]:g} ({chain_reference}'s n)")
    base_n, base_acc, _ = curves_c[weighted_c]
    # where every held-out choice is a one-sample rule at n = 1, the policy is weighted best-of-N at n = 1 itself: nothing to compare
    policy_one_sample = one_sample_budgets(ev.choices, ev.ns, baseline=weighted_c, baseline_ns=base_n)
    vs_weighted = family([paired_finding(ev.held_out[:, k], base_acc[:, base_n == n][:, 0], a="held-out policy on oracle bins (held-apart samples)",
                                         b=f"{weighted_c} at n = {n:g}", quantity="accuracy", range=f"budget {n:g} (the same compute cap)")
                          for k, n in enumerate(ev.ns) if not policy_one_sample[k]])
    # the same against best-of-N with the same verifier, Snell et al.'s baseline
    bon_n, bon_acc, _ = strategy_curve(chain_results, chain_reference, ids_c)
    bon_one_sample = one_sample_budgets(ev.choices, ev.ns, baseline=chain_reference, baseline_ns=bon_n)
    vs_bon = family([paired_finding(ev.held_out[:, k], bon_acc[:, bon_n == n][:, 0], a="held-out policy on oracle bins (held-apart samples)",
                                    b=f"{chain_reference} at n = {n:g}", quantity="accuracy", range=f"budget {n:g} (the same compute cap)")
                     for k, n in enumerate(ev.ns) if not bon_one_sample[k]])
    # the multiples of this section form one Holm family (bootstrap p-values of multiple = 1) over every budget where one is defined
    chain_eff_flat = efficiency_family([f for (name, base), t in chain_eff.items() for f in efficiency_findings(
        t, policy=f"the held-out policy on {name} bins", baseline=str(base), budgets=[f"budget {n:g}" for n in t["n"]])])
    chain_eff_defined = sum(f.status == "reached" for f in chain_eff_flat)
    chain_eff_ends = np.cumsum([0] + [len(t) for t in chain_eff.values()])  # each table's rows in the flat family
    chain_eff_lines = [f"Efficiency multiple of the held-out policy on {name} bins against {base} (the baseline's tokens to reach the policy's "
                       f"accuracy / the policy's tokens; {found[0].level:.0%} paired bootstrap band over {len(ids_c)} problems, unadjusted; the "
                       f"verdict after Holm's adjustment over the {chain_eff_defined} budgets of this section where a multiple is defined, from "
                       f"bootstrap p-values of multiple = 1): " + "; ".join(f.short() for f in found) + "."
                       for (name, base), a, z in zip(chain_eff, chain_eff_ends[:-1], chain_eff_ends[1:]) for found in [chain_eff_flat[a:z]]]
    snell = paper_result("snell_compute_optimal_4x")
    chain_run_json = chain_pool_path.with_suffix(".run.json")  # the pool's run record (data/README.md) names its model
    chain_model = json.loads(chain_run_json.read_text())["model"] if chain_run_json.exists() else "the chain runs' model"
    fold_cells = ev.choices[(ev.choices["fold"] >= 0) & (ev.choices["bin"] != "all")].merge(ch, on=["bin", "grid_n"], suffixes=("", "_all"))
    fold_differs = int(((fold_cells["strategy"] != fold_cells["strategy_all"]) | (fold_cells["n"] != fold_cells["n_all"])).sum())
    # power against Snell et al.'s multiple: a policy that spends the cap at budget n and is that many times as efficient as weighted
    # best-of-N matches weighted best-of-N at that many times n. Two things are measured per budget: the most any per-bin choice under
    # the cap could reach (each problem given its best configuration that fits its folds' cap, the ceiling of every choice), and the
    # standard error the paired comparison would have under that alternative (the policy scoring as weighted best-of-N at the
    # multiple's n, problem by problem), from which the detectable difference follows.
    cfg_acc = np.concatenate([c[1] for c in curves_c.values()], axis=1)  # (P, configs)
    cfg_cost = np.concatenate([c[2] for c in curves_c.values()], axis=1)
    ref_n, _, ref_cost = curves_c[chain_reference]
    ceiling = np.empty((len(ids_c), len(ev.ns)))  # per problem: its best configuration under the cap of the folds that choose for it
    for fold_k in range(FOLDS):
        train = ev.fold != fold_k
        for k, n in enumerate(ev.ns):
            fits = cfg_cost[train].mean(0) <= ref_cost[train][:, ref_n == n].mean() * (1 + COST_RTOL)
            ceiling[~train, k] = cfg_acc[~train][:, fits].max(1)
    power_parts = {}  # per baseline: best-of-N (Snell et al.'s) and weighted best-of-N (the stronger one here), one sentence per budget
    for base_s, (b_n, b_acc), one_sample, fam in ((chain_reference, (bon_n, bon_acc), bon_one_sample, vs_bon),
                                                  (weighted_c, (base_n, base_acc), policy_one_sample, vs_weighted)):
        base_at = {n: b_acc[:, b_n == n][:, 0] for n in b_n}  # the baseline per problem at each n
        lines = []
        for k, n in enumerate(ev.ns):
            target = snell.value * n
            best_below = max((m for m in b_n if m <= target), key=lambda m: base_at[m].mean())  # the curve's running best up to the target n
            if one_sample[k]:
                lines.append(f"budget {n:g}: every held-out choice is a one-sample rule at n = 1, so the policy is {base_s} at n = 1 "
                             "and no multiple other than 1 can arise")
            elif target not in base_at:
                lines.append(f"budget {n:g}: n = {target:g} lies beyond the measured n: no effect size to set beside")
            elif base_at[target].mean() <= base_at[n].mean() or best_below != target:
                lines.append(f"budget {n:g}: {base_s} scores {base_at[target].mean():.3f} at n = {target:g}, not above its best at a smaller n "
                             f"({base_at[best_below].mean():.3f} at n = {best_below:g}): no accuracy corresponds to a multiple of exactly "
                             f"{snell.value:g} on its curve (the multiple reads the curve's running best), no effect size to set beside")
            elif ceiling[:, k].mean() < base_at[target].mean():
                lines.append(f"budget {n:g}: a policy {snell.value:g}x as efficient as {base_s}, spending the cap, would match its "
                             f"accuracy at n = {target:g}, {base_at[target].mean():.3f}; under the cap even each problem's own best "
                             f"configuration averages {ceiling[:, k].mean():.3f}, so the cap makes that effect unreachable")
            else:
                effect = base_at[target].mean() - base_at[n].mean()
                alt = paired_finding(base_at[target], base_at[n], a=f"{base_s} at n = {target:g}", b=f"at n = {n:g}", quantity="accuracy",
                                     range=f"budget {n:g}")
                # the comparison is judged in its Holm family fam: its power is stated at Holm's first (strictest) threshold, alpha / m
                holm_alpha = (1 - alt.level) / len(fam)
                alt_se = alt.detectable / detectable_difference(1.0, level=alt.level)
                alt_detect = detectable_difference(alt_se, level=1 - holm_alpha)
                alt_power = float(ndtr(effect / alt_se - ndtri(1 - holm_alpha / 2)))  # Phi(effect / se - z_{1 - alpha / 2m})
                lines.append(f"budget {n:g}: a policy {snell.value:g}x as efficient as {base_s}, spending the cap, would match its accuracy "
                             f"at n = {target:g}, {base_at[target].mean():.4f}, {effect:+.4f} over it at n = {n:g}; were the policy's per-problem "
                             f"accuracies those of {base_s} at n = {target:g}, the paired comparison against {base_s} at this budget, judged at "
                             f"Holm's first threshold in its family of {len(fam)} (two-sided {holm_alpha:.3g}, the strictest step of the "
                             f"adjustment), would detect {alt_detect:.4f} at {POWER:.0%} power, {'more' if alt_detect > effect else 'less'} than "
                             f"that effect (power against it {alt_power:.0%}, normal approximation)")
        power_parts[base_s] = lines
    n_both = max(set(bon_n) & set(base_n))  # the largest n both baselines ran: their accuracies there name how far apart they are
    defined_c = chain_eff[("oracle, held-apart samples", weighted_c)].query("status == 'reached'")
    unreached_c = chain_eff[("oracle, held-apart samples", weighted_c)].query("status == 'not reached'")
    unreached_c_text = (f"at n = {', '.join(f'{n:g}' for n in unreached_c['n'])} the multiple is undefined: {weighted_c} does not reach the "
                        f"policy's accuracy within {', '.join(f'{b:.2f}x' for b in unreached_c['bound'])} the policy's cost (reached in "
                        f"{', '.join(f'{r:.1%}' for r in unreached_c['p_reached'])} of resamples); " if len(unreached_c) else "")
    snell_chain = compare_with_paper(
        "snell_compute_optimal_4x",
        Setting(f"{chain_model}, verifier {CHAIN_POLICY_VERIFIER or 'of each strategy'}",
                f"the kit's chain problems ({len(ids_c)} problems)",
                "generated tokens for equal accuracy (the baseline's interpolated on a log axis between its measured budgets): "
                "weighted best-of-N over the per-bin policy",
                f"per-bin choice among majority vote, best-of-N, weighted best-of-N ({ {'monte_carlo': 'Monte Carlo'}.get(chain_res[weighted_c].method, chain_res[weighted_c].method)} over n-subsets), beam search "
                f"and DVTS (the kit's variant; its N = M run left out, as beam search) on oracle bins ({FOLDS}-fold "
                f"cross-validated) against weighted best-of-N",
                f"budgets n = {ev.ns[0]:g} to {ev.ns[-1]:g} samples; " + unreached_c_text + (f"the multiple at n = {defined_c['n'].iloc[-1]:g}, the largest budget where it is defined"
                                                                        if len(defined_c) else "the multiple is undefined at every budget")),
        *((defined_c[c].iloc[-1] for c in ("multiple", "lower", "upper")) if len(defined_c) else (None, None, None)), decimals=2)
    display(Summary(
        f"Budgets where the held-out policy and the best single strategy give every problem the same accuracy, or are both one-sample rules "
        f"at n = 1 on every fold (pass@1 in expectation; no comparison): " + (", ".join(chain_same) or "none") + ".",
        chain_gain,
        chain_optimism,
        f"Budgets where every held-out choice of the oracle-bin policy is a one-sample rule at n = 1, so that it is {weighted_c} at n = 1 "
        "(no comparison): " + (", ".join(f"budget {n:g}" for n, same in zip(ev.ns, policy_one_sample) if same) or "none") + ".",
        vs_weighted,
        f"Budgets where every held-out choice of the oracle-bin policy is a one-sample rule at n = 1, so that it is {chain_reference} at n = 1 "
        "(no comparison): " + (", ".join(f"budget {n:g}" for n, same in zip(ev.ns, bon_one_sample) if same) or "none") + ".",
        vs_bon,
        f"Oracle-bin policy chosen on all problems (table above): " + ", ".join(f"{st} in {c}" for st, c in ch["strategy"].astype(str).value_counts().items())
        + f" of its {len(ch)} (bin, budget) cells; the choices made on the {FOLDS} folds differ from it in {fold_differs} of {len(fold_cells)} cells.",
        f"Within each oracle bin, each strategy against {weighted_c} at N = {n_common:g} ({len(within_bin)} comparisons, Holm"
        + (f"; pairs with the same accuracy on every problem, not tested: {', '.join(f'{st} in bin {b}' for b, st in bin_same)}" if bin_same else "") + "; "
        + ", ".join(f"{v} {sum(f.verdict == v for f in within_bin)}" for v in ("ahead", "behind", "not shown"))
        + f"); {int(pd.Series(bin_of).value_counts().min())} to {int(pd.Series(bin_of).value_counts().max())} problems per bin; "
        + "; ".join(filter(None, [
            (f"no power stated for {', '.join(f'{f.a} in {f.range.split(chr(44))[0]}' for f, few in zip(within_bin, bin_few) if few)} "
             f"(fewer than {FEW_DIFFER} problems differ: exact sign test)") if any(bin_few) else "",
            (f"none for {', '.join(f'{f.a} in {f.range.split(chr(44))[0]}' for f, fl in zip(within_bin, at_floor) if fl)} "
             f"(both sides' accuracy within {POWER_FLOOR:g} of 0 or 1: the spread there is no guide to the spread under a difference)") if any(at_floor) else "",
            (f"the other {int(np.isfinite(bin_detect).sum())} detect {np.nanmin(bin_detect):.3f} to {np.nanmax(bin_detect):.3f} at {POWER:.0%} power at "
             f"Holm's first threshold (two-sided {1 - within_bin[0].level:g} / {len(within_bin)})") if np.isfinite(bin_detect).any() else ""]))
        + ". Mean tokens per problem at this N: "
        + ", ".join(f"{st} {v[1].mean():.0f}" for st, v in at_n.items()) + ".",
        [f for f in within_bin if f.verdict != "not shown"],
        chain_eff_lines,
        f"Power of the chain study ({len(ids_c)} problems, one run per search), against the effect Snell et al.'s multiple ({snell.value:g}x, against "
        f"best-of-N) implies on a baseline's own curve. Against {chain_reference}, their baseline: " + "; ".join(power_parts[chain_reference])
        + f". Against {weighted_c}, a baseline other than theirs (at n = {n_both:g} it scores {base_acc[:, base_n == n_both].mean():.3f}, "
        f"{chain_reference} {bon_acc[:, bon_n == n_both].mean():.3f}), with their multiple applied to it: " + "; ".join(power_parts[weighted_c]) + ".",
        snell_chain,
    ))
else:
    print("The chain search data are not there: no findings for this section.")

# %%
if chains_ready:
    for f, (name, k) in zip(chain_gain, chain_keys):  # the findings are the plotted numbers
        assert abs(f.difference - chain_eval[name].summary.query("kind == 'held_out - single'").iloc[k]["accuracy"]) < 1e-9, (name, k)
    assert sum(f.num_problems for f in within_bin) + sum(int((bin_of == b).sum()) for b, _ in bin_same) == (len(at_n) - 1) * len(ids_c)  # each problem in one bin
    eff_table = chain_eff[("oracle, held-apart samples", weighted_c)]
    assert all(abs(f.a_value - a) < 1e-9 for f, a in zip(vs_weighted, eff_table["accuracy"][~policy_one_sample], strict=True))  # the same policy
    assert (eff_table["status"][policy_one_sample] == "coincides").all()  # one-sample budgets: no multiple is stated
