# %% [markdown]
# # 06 · Adaptive budgets: how many samples does each problem need?
#
# **Question.** Notebooks 03 and 05 give every problem the same budget of n samples, and notebook 04 one budget per
# difficulty bin, fixed within the bin. An adaptive rule stops
# sampling a problem once its vote looks settled, drops traces of low confidence, or moves budget from
# easy problems to hard ones. On the kit's own pools, how much of a fixed budget does each published rule
# leave unspent, what does it cost in accuracy, and where does each stop against the oracle bound (below)?
#
# **Rules** (`ttslib.adaptive`; every one replayed on the same pools, the same random orders). None of these
# papers is in our source of paper facts (`../shared/REFERENCES.md`); the rules are implemented as the issue
# that asked for this notebook (issue 31) describes them, and the settings below are this notebook's unless
# a rule's row in `ttslib/references.csv` gives them:
# - *ESC*, early-stopping self-consistency (Li et al. 2024, arXiv:2401.10480): windows of w samples, stop after
#   the first window whose answers are all one answer, answer by majority over every sample drawn;
# - *Adaptive-Consistency* (Aggarwal et al. 2023, arXiv:2305.11860): stop once the Beta posterior probability
#   that the leading answer's share is the larger of the top two reaches a threshold, with a cap;
# - *shortest majority vote* (arXiv:2502.12215): our reading of a majority vote that prefers shorter solutions,
#   each answer scoring its votes over its mean length (the paper's code was not consulted);
# - *DeepConf* (Fu et al. 2025, arXiv:2508.15260): a trace's score is its lowest group confidence (token
#   confidence `C_i = -mean(top-20 log-probabilities)`, averaged over a sliding window); *offline*, keep the traces
#   whose score is at or above the (100 - eta)th percentile of the scores (the top eta% where scores differ; identical
#   completions score alike, so with ties more are kept: section 7 gives the share) and vote weighted by confidence;
#   *online*, 16 warm-up traces set the same bar and those at or above it vote (our reading), a later trace is
#   stopped at the first window below it (costing the tokens up to there), and sampling stops once the weighted
#   vote's leading share reaches a consensus level;
# - a *two-stage* budget across problems (after AdaBoN, arXiv:2505.12050, as the issue describes it): a few
#   exploration samples per problem, then the rest of a global budget in proportion to each problem's
#   difficulty, estimated here by the disagreement among its exploration samples;
# - the *oracle bound*: with hindsight, the first prefix of an order whose leading answers are exactly those of the
#   full pool (all N samples), so that its majority vote, ties broken at random, returns what the full pool's vote
#   returns (where the full pool ties, the prefix must tie the same way, which takes many samples). No rule that
#   answers by the majority vote of what it drew, and returns what the full pool's vote returns, stops sooner on
#   that order. A rule capped below N aims at the vote at its cap instead, and a
#   weighted vote can settle on the answer sooner, so either may stop before the bound on some problems.
#
# **Method.** A pool holds N samples per problem, drawn once (`ttslib generate`, with `--confidence-top-k 20` for
# DeepConf). A rule replayed on it sees the samples in a uniformly random order, as if drawing them one by
# one; its value on a problem is the expectation over orders, exact where a closed form exists (majority
# vote at a fixed n, DeepConf offline on the whole pool) and otherwise a Monte Carlo mean over `NUM_ORDERS`
# orders per problem, each problem's orders drawn from its own id (so row order cannot matter). Standard
# errors of those means are printed beside them. Comparisons are findings of `ttslib.findings`: a paired
# interval over the same problems, its verdict, and where nothing is shown the smallest difference the
# data could have detected.

# %% tags=["parameters"]
FIGURES_DIR = "../figures"
POOLS = {  # pool name -> sample table (ttslib.data schema); DeepConf needs the token_confidence column
    "SmolLM2-135M, arithmetic": "../data/adaptive/arith_smollm2.parquet",
    "gemma-3-270m, arithmetic": "../data/adaptive/arith_gemma3.parquet",
    "SmolLM2-135M, chains": "../data/adaptive/chains_smollm2.parquet",
}
GROUP_WINDOW = {  # DeepConf's group window in tokens per pool (the 2,048 is far longer than these traces)
    "SmolLM2-135M, arithmetic": 2, "gemma-3-270m, arithmetic": 2, "SmolLM2-135M, chains": 4,
}
DEFAULT_WINDOW = 2048  # for a pool not named in GROUP_WINDOW
NUM_ORDERS = 1000  # random orders per problem for the Monte Carlo rules
NUM_BINS = 5  # section 6: equal-count bins of pass@1
CAP = 40  # Adaptive-Consistency's cap as our source gives it; ESC gets the same cap here; the fixed vote at CAP is the baseline here
ESC_WINDOWS = (2, 3, 5, 8)
AC_THRESHOLDS = (0.8, 0.9, 0.95, 0.99)
SHORTEST_NS = (8, 16)
DEEPCONF_ETAS = (10, 90)  # DeepConf's bar at the (100 - eta)th percentile (eta = 10 or 90: issue 31's offline settings)
WARMUP, CONSENSUS = 16, 0.95  # DeepConf online: 16 warm-up traces as our source gives them; the consensus level is this notebook's
TWO_STAGE = ((4, 8), (4, 16))  # (exploration samples, budget per problem on average)
N_BOOT = 1000  # bootstrap resamples of problems for the savings' bands
FOLDS = 2  # section 9: the policy is chosen on FOLDS - 1 folds of problems and scored on the one left out
SEED = 0

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ttslib.adaptive import (ESC, AdaptiveConsistency, DeepConfOffline, DeepConfOnline, FixedMajority, OracleBound,
                             ShortestMajority, TwoStage, make_pool, replay)
from ttslib.adaptive.summary import by_bin, equal_accuracy_budget, results_table, rule_name, rule_settings, saving
from ttslib.data import read_samples
from ttslib.findings import Summary, family, paired_finding
from ttslib.plotting import figure_legend, savefig, use_theme
from ttslib.plotting.adaptive import plot_adaptive, plot_adaptive_bins
from ttslib.policy import Strategy, difficulty_bins, evaluate_policy
from ttslib.plotting.style import strategy_label
from ttslib.references import Setting, compare_with_paper
from ttslib.selection import log2_budgets
from ttslib.strategies import adaptive_pool, adaptive_strategies, pool_arrays, pool_strategies

use_theme()
pd.set_option("display.max_rows", 200)  # every rule's row shows in the printed tables
pd.set_option("display.width", 200)
pd.set_option("display.max_colwidth", None)
FIG = Path(FIGURES_DIR)

# %% [markdown]
# ## 1. The pools
#
# Each pool's problems, samples per problem, pass@1, generated tokens per sample, and whether each trace's token
# confidence was recorded (`data/README.md` says how each was made). The arithmetic pools are the two embedded
# models on the graded arithmetic set; the chain pool is SmolLM2-135M writing out multi-step sums line by line.
# The HumanEval tables of notebooks 01-03 are not replayed: a program has no answer to vote on (their `answer`
# column is empty), which every rule here needs, and they carry no token confidence.

# %%
tables = {name: read_samples(path) for name, path in POOLS.items()}
pools, levels, has_conf = {}, {}, {}
for name, table in tables.items():
    has_conf[name] = "token_confidence" in table.columns and table["token_confidence"].notna().all()
    pools[name] = adaptive_pool(table if has_conf[name] else table.drop(columns="token_confidence", errors="ignore"),
                                window=GROUP_WINDOW.get(name, DEFAULT_WINDOW) if has_conf[name] else None)
    arrays = pool_arrays(table)
    levels[name] = arrays.level
    assert list(arrays.problem_ids) == list(pools[name].ids)  # the same problems in the same rows
overview = pd.DataFrame({
    name: {"problems x samples": f"{pool.shape[0]} x {pool.shape[1]}", "pass@1": f"{pool.correct.mean():.3f}",
           "generated tokens per sample (mean)": f"{pool.tokens.mean():.1f}",
           "token confidence": f"yes (group window {GROUP_WINDOW.get(name, DEFAULT_WINDOW)} tokens)" if has_conf[name] else "not recorded",
           "levels": "none" if levels[name] is None else f"{len(set(levels[name]))}"}
    for name, pool in pools.items()})
overview

# %% [markdown]
# ## 2. Every rule on every pool
#
# The settings below: majority vote at each power-of-two budget up to N (and at `CAP`); ESC over window sizes and
# Adaptive-Consistency over thresholds, both capped at `CAP`; shortest majority vote at two budgets; DeepConf
# offline on the whole pool and online capped at N, with `WARMUP` warm-up traces and consensus `CONSENSUS`; the
# two-stage budget; the oracle bound. DeepConf is left out where a pool has no token confidence. Accuracy and cost are means over problems;
# `*_se` columns are the Monte Carlo standard errors of those means (0 where exact).

# %%
replayed, table_rows = {}, []
for name, pool in pools.items():
    N = pool.shape[1]
    cap = min(CAP, N)
    rules = [FixedMajority(n) for n in sorted(set(log2_budgets(N)) | {cap})]
    rules += [ESC(w, cap) for w in ESC_WINDOWS if w <= cap] + [AdaptiveConsistency(t, cap) for t in AC_THRESHOLDS]
    rules += [ShortestMajority(n) for n in SHORTEST_NS if n <= N] + [OracleBound()]
    rules += [TwoStage(e, b) for e, b in TWO_STAGE if b <= N]
    if has_conf[name]:
        rules += [DeepConfOffline(eta) for eta in DEEPCONF_ETAS]
        rules += [DeepConfOnline(eta, WARMUP, CONSENSUS, N) for eta in DEEPCONF_ETAS if WARMUP <= N]
    replayed[name] = dict(zip(rules, replay(pool, rules, num_orders=NUM_ORDERS, seed=SEED)))
    table_rows.append(results_table(replayed[name].values(), pool=name))
    for rule, r in replayed[name].items():  # no stopping rule's expected samples pass its cap (CAP; DeepConf online: N)
        if isinstance(rule, (ESC, AdaptiveConsistency, DeepConfOnline)):
            assert np.all(r.samples <= rule.max_samples), rule
results = pd.concat(table_rows, ignore_index=True)
shown = results.drop(columns=["record", "problems"]).set_index(["pool", "rule", "settings"])
shown.round({"accuracy": 3, "samples": 2, "tokens": 1, "accuracy_se": 4, "samples_se": 3, "tokens_se": 2})

# %% [markdown]
# ## 3. Accuracy against what each rule spends
#
# One panel per pool and unit of cost (samples, then generated tokens per problem): majority vote at fixed
# budgets as a line through its measured budgets, every other rule as markers, one colour and shape per
# family (its settings, listed in the table above, are the points of that style, drawn hollow so that points
# on one spot stay visible; where several sit on the fixed-budget line they overlap, and the table gives each),
# with bars of two Monte Carlo standard errors. The bars show the replay's own error only (mostly too small to
# see); whether two points differ is for the paired findings of section 4, whose intervals come from the spread
# over problems, which is not drawn. DeepConf online's token cost counts a stopped trace's tokens up to
# its stop.

# %%
fig, axes = plt.subplots(len(pools), 2, figsize=(12, 3.8 * len(pools)), squeeze=False)
for row, name in zip(axes, pools):
    part = results[results["pool"] == name]
    for ax, unit in zip(row, ("samples", "tokens")):
        plot_adaptive(part, x=unit, ax=ax, legend=False)
        ax.set_title(f"{name}: accuracy against {unit}")
figure_legend(fig)
fig.tight_layout()
savefig(fig, "06_frontier", directory=FIG)
plt.show()

# %% [markdown]
# ## 4. At the cap: each stopping rule against majority vote at the budget it may not go past
#
# Each rule with cap L against majority vote at L samples, on the same problems (the budgets of the papers'
# self-consistency baselines are not given in our source). Per rule, two findings: expected accuracy (the rule's
# per-problem expectation against the fixed vote's exact value), and expected samples spent (against L). DeepConf
# online, capped at the pool's N, is set against majority vote over the whole pool, in tokens. Each pool's
# accuracy findings are one Holm family, its cost findings another; the saving is `1 - spent / L` with a
# bootstrap band over problems. Last, ESC (w = 5) and Adaptive-Consistency (P >= 0.95) against the oracle bound
# in samples, paired over problems.

# %%
cap_rows, cost_rows = [], []  # (pool, rule, accuracy finding, cost finding) and the savings table
for name, pool in pools.items():
    N, res = pool.shape[1], replayed[name]
    cap = min(CAP, N)
    found = []
    for rule in [r for r in res if isinstance(r, (ESC, AdaptiveConsistency, DeepConfOnline))]:
        base = FixedMajority(N if isinstance(rule, DeepConfOnline) else cap)
        label, unit = f"{rule_name(rule)} ({rule_settings(rule)})", "tokens" if isinstance(rule, DeepConfOnline) else "samples"
        spent, fixed_cost = getattr(res[rule], unit), getattr(res[base], unit)
        found.append((rule,
                      paired_finding(res[rule].accuracy, res[base].accuracy, a=label, b=f"majority vote at n = {base.n}",
                                     quantity="expected accuracy", range=name),
                      paired_finding(spent, fixed_cost, a=label, b=f"majority vote at n = {base.n}",
                                     quantity=f"expected {unit} per problem", range=name, words=("more", "fewer"))))
        s = saving(spent, fixed_cost, ids=pool.ids, n_boot=N_BOOT, seed=SEED)
        cost_rows.append({"pool": name, "rule": label, "against": f"majority vote at n = {base.n}", "unit": unit,
                          "rule spends": s.spent, "fixed vote spends": s.fixed, "saving": s.saving,
                          "saving, 95% band": f"[{s.lower:.3f}, {s.upper:.3f}]"})
    accuracy_family, cost_family = family([f for _, f, _ in found]), family([c for _, _, c in found])
    cap_rows += [(name, rule, a, c) for (rule, _, _), a, c in zip(found, accuracy_family, cost_family)]
savings = pd.DataFrame(cost_rows)
savings.round({"rule spends": 2, "fixed vote spends": 2, "saving": 3})

# %%
oracle_findings = []
for name, pool in pools.items():
    res, cap = replayed[name], min(CAP, pool.shape[1])
    oracle_findings += family([paired_finding(res[rule].samples, res[OracleBound()].samples, a=f"{rule_name(rule)} ({rule_settings(rule)})",
                                              b="the oracle bound", quantity="expected samples per problem", range=name,
                                              words=("more", "fewer"))
                               for rule in (ESC(5, cap), AdaptiveConsistency(0.95, cap))])
Summary(*(f for _, _, a, c in cap_rows for f in (a, c)), *oracle_findings)

# %% [markdown]
# ## 5. The saving at equal accuracy
#
# A rule's accuracy may differ from the fixed vote's at its cap, so the saving at the cap mixes two things.
# Here each rule is set against the budget majority vote needs to reach the rule's own accuracy: n*, read off
# the fixed-budget curve (interpolated linearly on log2 n between the two measured budgets that bracket it),
# and the saving `1 - samples / n*`. The band resamples problems, recomputing both sides on each resample;
# where more than 5% of resamples leave the rule's accuracy outside the curve's range (a curve flat near its
# top brackets almost nothing), or where the rule's accuracy lies at the curve's top or within two Monte Carlo
# standard errors of it (the match would be the replay's noise, or the flat top itself), no n* and no saving are
# given and the row says why.

# %%
equal_rows = []
for name, pool in pools.items():
    res = replayed[name]
    fixed = [res[r] for r in res if isinstance(r, FixedMajority)]
    for rule, r in res.items():
        if isinstance(rule, (FixedMajority, OracleBound)):
            continue
        e = equal_accuracy_budget(r, fixed, ids=pool.ids, n_boot=N_BOOT, seed=SEED)
        top = max(f.mean[0] for f in fixed)
        why = (f"none: {e.outside} of {e.n_boot} resamples outside the curve" if not np.isfinite(e.lower) else
               "none: at the curve's top, within 2 Monte Carlo standard errors" if abs(top - e.accuracy) <= 2 * r.mean_se[0] else None)
        equal_rows.append({"pool": name, "rule": f"{rule_name(rule)} ({rule_settings(rule)})", "accuracy": e.accuracy,
                           "samples": e.spent, "fixed budget n* for that accuracy": np.nan if why else e.budget,
                           "saving": np.nan if why else e.saving,
                           "saving, 95% band": why or f"[{e.lower:.3f}, {e.upper:.3f}]"})
equal = pd.DataFrame(equal_rows)
equal.round({"accuracy": 3, "samples": 2, "fixed budget n* for that accuracy": 2, "saving": 3})

# %% [markdown]
# ## 6. Where the samples go, by difficulty bin
#
# The problem generators' level labels are not ordered by pass@1 (an arithmetic level is an operator and digit
# count), so the problems are put in `NUM_BINS` quantile bins of their pass@1 over the whole pool, bin 1 the
# easiest (`ttslib.policy.difficulty_bins`); the bins are cut at fixed ranks and problems with equal pass@1 share
# a bin, so sizes differ (every problem no sample solved is in the last bin) and the table gives each bin's size. These bins are read off the same samples the rules are replayed on:
# they describe where the samples go, they choose nothing. Mean samples per problem within each bin for ESC
# (w = 5) and Adaptive-Consistency (P >= 0.95), both capped at `CAP`, DeepConf online (eta = 10, capped at N) and
# the oracle bound, beside each bin's pass@1; the table adds each bin's share of the samples the capped rules leave
# unspent, a share that depends on the bin's size as well as on what each of its problems leaves unspent.

# %%
by_difficulty, shares = [], []
for name, pool in pools.items():
    res, N = replayed[name], pool.shape[1]
    cap = min(CAP, N)
    pass1 = pd.Series(pool.correct.mean(1), index=pool.ids)
    bins = difficulty_bins(pass1, num_bins=NUM_BINS).reindex(pool.ids).to_numpy()
    pick = [r for r in res if r in (ESC(5, cap), AdaptiveConsistency(0.95, cap), OracleBound(), *(DeepConfOnline(10, WARMUP, CONSENSUS, N),))]
    part = by_bin([res[r] for r in pick], bins, pool=name)
    part["pass@1 of the bin"] = part["bin"].map(pass1.groupby(bins).mean().round(3))
    by_difficulty.append(part)
    for r in pick:
        if isinstance(r, (ESC, AdaptiveConsistency)):
            unspent = pd.Series(cap - res[r].samples).groupby(bins).sum()
            shares.append(pd.DataFrame({"pool": name, "rule": f"{rule_name(r)} ({rule_settings(r)})", "bin": unspent.index,
                                        "share of the unspent samples": unspent.to_numpy() / unspent.sum()}))
by_difficulty = pd.concat(by_difficulty, ignore_index=True)
fig, axes = plt.subplots(1, len(pools), figsize=(5.5 * len(pools), 4), squeeze=False)
for ax, (name, part) in zip(axes[0], by_difficulty.groupby("pool", sort=False)):
    plot_adaptive_bins(part, ax=ax, legend=False, xlabel="pass@1 bin (1: easiest)")
    ax.set_title(name)
figure_legend(fig)
fig.tight_layout()
savefig(fig, "06_by_difficulty", directory=FIG)
plt.show()
share_table = pd.concat(shares, ignore_index=True).pivot_table(index=["pool", "rule"], columns="bin", values="share of the unspent samples", sort=False)
share_table.round(3)

# %%
difficulty_table = by_difficulty.pivot_table(index=["pool", "bin", "problems", "pass@1 of the bin"], columns="rule", values="samples", sort=False)
assert (by_difficulty.groupby(["pool", "rule", "settings"])["pass@1 of the bin"].apply(lambda x: x.is_monotonic_decreasing)).all()  # bin 1 the easiest
difficulty_table.round(2)

# %% [markdown]
# ## 7. DeepConf's filter against plain majority vote
#
# On the same whole pool (every trace drawn), DeepConf offline keeps the traces at or above the (100 - eta)th
# percentile of their lowest group confidence and votes weighted by it; majority vote counts every trace once.
# Both are exact, so the paired interval is over problems alone. One Holm family per pool. The table first gives
# the share of traces each setting keeps: ties among the scores (identical completions score alike) keep more than
# eta%.

# %%
kept = pd.DataFrame([{"pool": name, "eta": eta, "share of traces kept (mean over problems)":
                      (pool.confidence >= np.percentile(pool.confidence, 100 - eta, axis=1, keepdims=True)).mean()}
                     for name, pool in pools.items() if pool.confidence is not None for eta in DEEPCONF_ETAS])
display(kept.round(3))
filter_findings = []
for name, pool in pools.items():
    res = replayed[name]
    N = pool.shape[1]
    offline = [r for r in res if isinstance(r, DeepConfOffline)]
    if offline:
        filter_findings += family([paired_finding(res[r].accuracy, res[FixedMajority(N)].accuracy,
                                                  a=f"DeepConf offline ({rule_settings(r)})", b=f"majority vote over all {N} traces",
                                                  quantity="accuracy", range=name)
                                   for r in offline])
Summary(*filter_findings) if filter_findings else "no pool with token confidence"

# %% [markdown]
# ## 8. Beside the papers
#
# Each paper's headline, as our source gives it, set beside a number of ours of the same kind (a share of samples or
# tokens saved, as a fraction, or a ratio of samples; ESC's two headlines, MATH and GSM8K, beside the same number of
# ours), DeepConf online at both eta. The papers' models, benchmarks and budgets are not the kit's,
# so each pair is set side by side and not tested; the rendered sentence names both sides. The accuracy each rule
# gives up against the fixed vote is in section 4's findings, with the smallest difference the data could detect.

# %%
side = []
for name, pool in pools.items():
    res, N = replayed[name], pool.shape[1]
    cap = min(CAP, N)
    model = str(tables[name]["model"].iloc[0]) if "model" in tables[name].columns else "model not named in the table"
    bench = f"pool {name!r} ({pool.shape[0]} problems)"
    esc, ac = ESC(5, cap), AdaptiveConsistency(0.95, cap)
    s_esc = saving(res[esc].samples, res[FixedMajority(cap)].samples, ids=pool.ids, n_boot=N_BOOT, seed=SEED)
    ours = Setting(model, bench,
                   "sample cost saved against majority vote at the cap (1 - ESC's expected samples / cap)",
                   f"ESC (w = 5, cap {cap}) replayed over {NUM_ORDERS} random orders of a {N}-sample pool, bootstrap band over problems",
                   f"cap {cap}")
    side += [compare_with_paper(key, ours, s_esc.saving, s_esc.lower, s_esc.upper)
             for key in ("esc_math_sample_saving", "esc_gsm8k_sample_saving")]
    s_ac = saving(res[ac].samples, res[FixedMajority(cap)].samples, ids=pool.ids, n_boot=N_BOOT, seed=SEED)
    side.append(compare_with_paper("ac_sample_factor", Setting(model, bench,
                                                               "samples of majority vote at the cap over Adaptive-Consistency's expected samples",
                                                               f"Adaptive-Consistency (P >= 0.95, cap {cap}) replayed over {NUM_ORDERS} random orders, "
                                                               "bootstrap band over problems",
                                                               f"cap {cap}"),
                                   1 / (1 - s_ac.saving), 1 / (1 - s_ac.lower), 1 / (1 - s_ac.upper)))
    for rule in [r for r in res if isinstance(r, DeepConfOnline)]:
        s_dc = saving(res[rule].tokens, res[FixedMajority(N)].tokens, ids=pool.ids, n_boot=N_BOOT, seed=SEED)
        side.append(compare_with_paper("deepconf_aime25_token_saving", Setting(
            model, bench,
            f"generated tokens saved against majority vote over all {N} traces",
            f"DeepConf online (eta = {rule.eta:g}, warm-up {WARMUP}, consensus {CONSENSUS}, group window "
            f"{GROUP_WINDOW.get(name, DEFAULT_WINDOW)} tokens, top-20 log-probabilities) replayed over {NUM_ORDERS} random orders",
            f"{N} traces per problem"), s_dc.saving, s_dc.lower, s_dc.upper))
Summary(*side)

# %% [markdown]
# Where DeepConf online's token saving comes from: stopping the whole problem at consensus, or cutting single traces
# below the bar. Replaying the same rule on the same orders with every trace's only record low put at its last
# token (so a trace below the bar still costs all its tokens, while every vote and every stop is unchanged) gives
# the tokens it would spend without cutting; the rest of the saving is the cutting.

# %%
split_rows = []
for name, pool in pools.items():
    online = [r for r in replayed[name] if isinstance(r, DeepConfOnline)]
    if not online:
        continue
    uncut = make_pool(pool.classes, pool.correct, pool.tokens, lows=pool.confidence[..., None],
                      lows_at=pool.tokens[..., None].astype(np.int64), ids=pool.ids)
    full = replayed[name][FixedMajority(pool.shape[1])].tokens.mean()
    for rule, r in zip(online, replay(uncut, online, num_orders=NUM_ORDERS, seed=SEED)):
        kept = replayed[name][rule]
        assert np.array_equal(r.samples, kept.samples) and np.array_equal(r.accuracy, kept.accuracy)  # same stops, same votes
        split_rows.append({"pool": name, "rule": f"{rule_name(rule)} ({rule_settings(rule)})",
                           "share of all tokens saved by stopping at consensus": 1 - r.tokens.mean() / full,
                           "share saved by cutting traces below the bar": (r.tokens.mean() - kept.tokens.mean()) / full})
pd.DataFrame(split_rows).round(3) if split_rows else "no pool with token confidence"

# %% [markdown]
# ## 9. A rule per difficulty level, chosen on some problems and judged on others
#
# The compute-optimal policy of notebook 04 (`ttslib.policy.evaluate_policy`) with the adaptive rules as
# strategies beside majority vote at fixed n, per level (the problem generator's label, used as a bin: a bin
# needs no order, and unlike pass@1 bins it reads nothing off the samples scored): at each budget (the tokens majority vote spends at n samples,
# measured on the problems the choice is made on), one strategy per level, chosen so that the mean accuracy over
# all problems is highest while the mean cost over all problems fits (a level may spend more than the budget
# where others spend less). An adaptive strategy's cost is its expected tokens. The choice is made on `FOLDS - 1` folds of
# problems and scored on the fold left out. The table counts, per budget, how many of the held-out (fold, level)
# choices are a stopping rule (ESC, Adaptive-Consistency, DeepConf online) and names them, and how many are one of
# the other rules offered (shortest majority vote and DeepConf offline, which draw a fixed n); the findings set the held-out policy against the best single
# strategy (one choice for every level, also held out), paired over problems, one Holm family per pool.

# %%
choice_rows, policy_findings = [], []
for name, pool in pools.items():
    if levels[name] is None:
        continue
    arrays = pool_arrays(tables[name])
    rules = [r for r in replayed[name] if isinstance(r, (ESC, AdaptiveConsistency, ShortestMajority, DeepConfOffline, DeepConfOnline))]
    offered = pool_strategies(arrays, verifiers=[]).merge(adaptive_strategies(pool, rules, num_orders=NUM_ORDERS, seed=SEED))
    bins = difficulty_bins(pd.Series(arrays.level, index=arrays.problem_ids), "given")
    ev = evaluate_policy(offered.table("tokens", level=arrays.level), bins, reference=Strategy("majority"), folds=FOLDS,
                         seed=SEED, n_boot=N_BOOT)
    held = ev.choices[(ev.choices["fold"] >= 0) & (ev.choices["bin"] != "all")]
    for n, part in held.groupby("grid_n", sort=True):
        stop = [s.stop for s in part["strategy"]]
        stopping = [r for r in stop if isinstance(r, (ESC, AdaptiveConsistency, DeepConfOnline))]
        other = [r for r in stop if r is not None and r not in stopping]
        choice_rows.append({"pool": name, "budget: majority vote's tokens at n": int(n),
                            "held-out choices (fold x level)": len(part), "a stopping rule": len(stopping),
                            "stopping rules chosen": "; ".join(sorted({f"{rule_name(r)} ({rule_settings(r)})" for r in stopping})) or "none",
                            "shortest majority or DeepConf offline": len(other)})
    policy_findings += family([paired_finding(ev.held_out[:, k], ev.single[:, k], a="held-out policy per level",
                                              b="best single strategy (held out)", quantity="accuracy",
                                              range=f"{name}, budget: majority vote's tokens at n = {n:g}")
                               for k, n in enumerate(ev.ns)])
choices = pd.DataFrame(choice_rows)
choices

# %%
Summary(*policy_findings) if policy_findings else "no pool with levels"

# %% [markdown]
# ## What this shows
#
# The findings above for ESC (w = 5), Adaptive-Consistency (P >= 0.95) and DeepConf online: each pool's accuracy
# and cost against majority vote at the cap (DeepConf online: at the whole pool, N), ESC and Adaptive-Consistency
# against the oracle bound, then DeepConf's filter (section 7) and the held-out policy (section 9), as rendered; the adjusted verdicts are those of the full
# families above. This cell only gathers them.

# %%
gathered = [r for r in {rule for _, rule, _, _ in cap_rows}
            if isinstance(r, DeepConfOnline) or r in (ESC(5, r.max_samples), AdaptiveConsistency(0.95, r.max_samples))]
Summary(*(f for _, rule, a, c in cap_rows if rule in gathered for f in (a, c)), *oracle_findings, *filter_findings, *policy_findings)
