# %% [markdown]
# # 07 · Sequential against parallel: revisions, self-repair and budget forcing at equal compute
#
# **Question.** Notebooks 03-06 spend test-time compute in parallel: independent samples, then a vote, a verifier
# or a search. The other way to spend it is sequential: the model sees its earlier attempts and revises them
# (Snell et al. 2024, arXiv:2408.03314, Sec. 6), repairs a program after a failing test (Olausson et al. 2023,
# arXiv:2306.09896), or is made to think longer before it answers (budget forcing, s1: Muennighoff et al. 2025,
# arXiv:2501.19393). At the same number of attempts, tokens or FLOPs, how do the two ways compare in accuracy on the
# kit's own small models, and does that change with difficulty?
#
# **What the papers report** on this question (Snell et al. Sec. 6 on revisions per difficulty, Olausson et al. on
# self-repair against more samples, arXiv:2502.12215 on longer thinking against parallel sampling for QwQ and R1) is
# held in `ttslib/references.csv` as issue 32 states it, each row marked with its source (our source of paper facts,
# `../shared/REFERENCES.md`, gives Snell et al.'s 4x for compute-optimal selection in general, not for Sec. 6).
# Section 8 renders each beside our nearest finding; the models, benchmarks and budgets differ, so nothing there is
# tested.
#
# **Method.**
# - *Revisions* (`ttslib revise`, `ttslib.revise`): per problem, C independent chains of R attempts; attempt r sees
#   the chain's last 4 attempts, blind or with the exact step checker's verdict ("line j is wrong."). A budget of B
#   attempts is spent as p chains x r rounds (p r = B), each chain answering with its last round (or the majority of
#   its rounds), the p chains combined by majority vote. Every split is evaluated exactly over all p-subsets of the
#   C chains (`ttslib.sequential.splits`); p x 1 is plain parallel sampling with the run's round-1 prompt. The blind
#   and checker runs have different round-1 prompts (their few-shot examples differ), so each is compared with its
#   own p x 1.
# - *Self-repair* (`ttslib revise --problems humaneval --feedback tests --first POOL`): each chain starts from one of
#   the pool's own HumanEval samples and is shown what the sandbox found: the first docstring example it fails, what
#   that should return and what came back; or why the program does not run; or that the problem has no example the
#   kit can run. It then writes the function again; a chain whose program passes every example stops. Programs are
#   judged on the hidden tests, which the model never sees.
# - *Budget forcing* (`ttslib force`): one chain per draw reasons in segments; at each cap of a ladder of token
#   budgets the answer is forced ("Answer:" appended), and when the model ends on its own, "Wait," replaces its end
#   up to K times, the answer recorded at each end. A chain that ended for good before a cap (its K "Wait"s spent)
#   gives its final answer at that cap.
# - Costs: generated tokens; FLOPs with each round rereading its whole context (`ttslib.sequential.round_flops`:
#   no cache carried between rounds, so a revision pays for the attempts it reads again, and p parallel chains pay
#   for the prompt p times; notebook 05 counts a shared prompt once, as Brown et al. do, which this section does not).
# - Comparisons are findings of `ttslib.findings`: a paired interval over the same problems, its verdict, and where
#   nothing is shown the smallest difference the data could have detected (or, where too few problems differ, the
#   exact sign test); Holm's adjustment within the families each section names.

# %% tags=["parameters"]
FIGURES_DIR = "../figures"
REVISIONS = {  # feedback -> chain table of `ttslib revise` (chain problems, SmolLM2-135M)
    "none": "../data/revise/chains_blind_smollm2.parquet",
    "checker": "../data/revise/chains_checker_smollm2.parquet",
}
MODEL = "smollm2-135m"  # registry name of the revising model, for FLOPs
REPAIR = "../data/revise/humaneval_repair_gemma3.parquet"  # self-repair chains of `ttslib revise --feedback tests`
REPAIR_POOL = "../data/code/humaneval_gemma3.parquet"  # the pool the chains started from (resampling's side)
FORCING = "../data/forcing/chains_smollm2.parquet"  # checkpoint table of `ttslib force`
BUDGET = 4  # attempts per problem for the splits of sections 3-4
BIN_LEVELS = 2  # section 4: difficulty bins of this many consecutive generator levels
FOLDS = 2  # section 5: chosen on FOLDS - 1 folds of problems, scored on the one left out
N_BOOT = 1000
SEED = 0

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ttslib.data import read_samples
from ttslib.findings import Summary, family, paired_finding, trend
from ttslib.forcing import forcing_curve, up_to_waits
from ttslib.plotting import figure_legend, savefig, use_theme
from ttslib.plotting.sequential import plot_forcing, plot_repair, plot_splits, plot_splits_by_bin
from ttslib.policy import Strategy, difficulty_bins, evaluate_policy
from ttslib.references import Setting, compare_with_paper
from ttslib.revise import chain_arrays
from ttslib.sequential import (Revisions, flip_rates, make_chain_pool, repair_curve, resample_at_tokens, resample_next,
                               round_flops, rounds_curve, splits)
from ttslib.strategies import revision_strategies

use_theme()
pd.set_option("display.max_rows", 200)
pd.set_option("display.width", 200)
pd.set_option("display.max_colwidth", None)
FIG = Path(FIGURES_DIR)
FB_NAME = {"none": "blind", "checker": "checker feedback", "tests": "test feedback"}  # how a feedback setting reads


def interval(values, level=0.95):
    """Mean over problems and its percentile bootstrap interval (problems resampled, N_BOOT times, seeded)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    boot = v[np.random.default_rng(SEED).integers(0, v.size, size=(N_BOOT, v.size))].mean(1)
    return v.mean(), *np.percentile(boot, [100 * (1 - level) / 2, 100 * (1 + level) / 2])


# %% [markdown]
# ## 1. The runs
#
# Each chain table's problems, chains x rounds, the share right at each round, and what a round generates and reads
# (`data/README.md` says how each was made). The revision chains are SmolLM2-135M on the graded chain problems
# (sums and differences of 2 to 4 terms, 10 levels); its round 1 uses the revision prompt's few-shot examples, so it is
# not the prompt of notebooks 03 and 06.

# %%
tables = {fb: read_samples(path) for fb, path in REVISIONS.items()}
pools, ids, levels = {}, {}, {}
for fb, table in tables.items():
    pid, answers, correct, tokens, read = chain_arrays(table)
    pools[fb] = make_chain_pool(answers, correct, tokens, context=read)
    ids[fb] = pid
    levels[fb] = table.groupby("problem_id")["level"].first().reindex(pid).to_numpy()
assert all(np.array_equal(ids["none"], v) for v in ids.values())  # the same problems in the same rows
overview = pd.DataFrame({
    FB_NAME[fb]: {
        "problems x chains x rounds": " x ".join(map(str, pool.shape)),
        "share right by round": ", ".join(f"{v:.3f}" for v in pool.correct.mean((0, 1))),
        "generated tokens per attempt by round": ", ".join(f"{v:.1f}" for v in pool.tokens.mean((0, 1))),
        "prompt tokens read by round": ", ".join(f"{v:.0f}" for v in pool.context.mean((0, 1))),
    } for fb, pool in pools.items()})
overview

# %% [markdown]
# ## 2. What a revision does to an answer
#
# Round by round, the share of chains right before a revision that it turns wrong, and of chains wrong before that
# it turns right (pooled over chains, percentile bootstrap over problems). Then the share right at each round against
# the round before, paired over problems: a trend per feedback; and, since a step between neighbouring rounds is small
# beside what 50 problems can detect, the last round against the first, paired over problems (one family of two).

# %%
flips = pd.DataFrame([{"feedback": fb, **row} for fb, pool in pools.items() for row in flip_rates(pool, n_boot=N_BOOT, seed=SEED)])
flips.round(3)

# %%
round_trends = []
for fb, pool in pools.items():
    per_round = pool.correct.mean(1)  # (P, R): share of chains right, per problem
    round_trends.append(trend([paired_finding(per_round[:, r], per_round[:, r - 1], a=f"round {r + 1}", b=f"round {r}",
                                              quantity="share of chains right",
                                              range=f"{FB_NAME[fb]}, SmolLM2-135M, {pool.shape[0]} chain problems")
                               for r in range(1, pool.shape[2])], quantity=f"share of chains right, {FB_NAME[fb]}"))
net_findings = family([paired_finding(pool.correct[:, :, -1].mean(1), pool.correct[:, :, 0].mean(1), a=f"round {pool.shape[2]}", b="round 1",
                                      quantity="share of chains right", range=f"{FB_NAME[fb]}, SmolLM2-135M, {pool.shape[0]} chain problems")
                       for fb, pool in pools.items()])
round_trends += net_findings
Summary(*round_trends)

# %% [markdown]
# ## 3. Parallel against sequential at the same number of attempts
#
# A budget of `BUDGET` attempts per problem, split every way p chains x r rounds, each chain answering with its last
# round or with the majority over its rounds (ties to the latest). Each split's accuracy (mean over problems,
# percentile bootstrap interval over problems), its generated tokens and its FLOPs (each round rereads its context). The findings set each split with
# more than one round against the parallel split (`BUDGET` x 1) of the same chains, paired over problems, one Holm
# family. Equal attempts are not equal tokens or FLOPs: the table gives both, and the figure draws accuracy against
# each.

# %%
rows, split_findings = [], []
for fb, pool in pools.items():
    priced = round_flops(pool, MODEL)
    for how in ("last", "majority"):
        by = {(s.p, s.r): s for s in splits(pool, [BUDGET], how=how)}
        flops = {(s.p, s.r): s for s in splits(priced, [BUDGET], how=how)}
        for (p, r), s in sorted(by.items()):
            mean, lower, upper = interval(s.accuracy)
            rows.append({"feedback": fb, "chain answer": how, "p": p, "r": r, "accuracy": mean, "lower": lower, "upper": upper,
                         "tokens": s.tokens.mean(), "flops": flops[(p, r)].tokens.mean(), "attempts": p * r})
            if r > 1:
                split_findings.append(paired_finding(s.accuracy, by[(BUDGET, 1)].accuracy, a=f"{p} chain{'s' if p > 1 else ''} x {r} rounds",
                                                     b=f"{BUDGET} parallel chains x 1 round", quantity="accuracy",
                                                     range=f"{FB_NAME[fb]}, chain answer: {'last round' if how == 'last' else 'majority of its rounds'}, {BUDGET} attempts"))
split_table = pd.DataFrame(rows)
split_table.round({"accuracy": 3, "lower": 3, "upper": 3, "tokens": 1}).assign(flops=split_table["flops"].map("{:.3g}".format))

# %%
Summary(*family(split_findings))

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
last = split_table[split_table["chain answer"] == "last"]
plot_splits(last, x="tokens", ax=axes[0], legend=False)
plot_splits(last, x="flops", ax=axes[1], legend=False)
axes[0].set_title(f"{BUDGET} attempts split as p x r, chain answer: last round", fontsize=9)
axes[1].set_title("the same splits against FLOPs (context reread every round)", fontsize=9)
figure_legend(fig, axes)
savefig(fig, "07_splits", directory=FIG)

# %% [markdown]
# ## 4. By difficulty
#
# The same splits (last-round answers) per difficulty bin: bins of `BIN_LEVELS` consecutive levels of the problem
# generator (a label fixed before any sample was drawn, so a bin reads nothing off the chains scored; Snell et al. bin
# by quantiles of measured pass@1 instead, and each bin's measured round-1 accuracy is printed below). The findings
# set the purely sequential split (1 x `BUDGET`) and the mix (2 x `BUDGET // 2`) against the parallel split within each
# bin, one Holm family per feedback; the cell after them says what a bin of this size can show at all.

# %%
bin_of = (levels["none"] - 1) // BIN_LEVELS + 1
bin_names = {b: f"levels {BIN_LEVELS * (b - 1) + 1}-{BIN_LEVELS * b}" for b in np.unique(bin_of)}
bin_rows, bin_findings = [], []
for fb, pool in pools.items():
    by = {(s.p, s.r): s for s in splits(pool, [BUDGET], how="last")}
    per_fb = []
    for b, name in bin_names.items():
        rows_b = bin_of == b
        for (p, r), s in sorted(by.items()):
            mean, lower, upper = interval(s.accuracy[rows_b])
            bin_rows.append({"feedback": fb, "bin": name, "split": f"{p} x {r}", "accuracy": mean, "lower": lower, "upper": upper,
                             "problems": int(rows_b.sum())})
        for p, r in ((1, BUDGET), (2, BUDGET // 2)):
            per_fb.append(paired_finding(by[(p, r)].accuracy[rows_b], by[(BUDGET, 1)].accuracy[rows_b], a=f"{p} x {r}",
                                         b=f"{BUDGET} x 1 (parallel)", quantity="accuracy",
                                         range=f"{FB_NAME[fb]}, {name}"))
    bin_findings += family(per_fb)
by_bin = pd.DataFrame(bin_rows)
first_round = pd.DataFrame({FB_NAME[fb]: pd.Series(pool.correct[:, :, 0].mean(1)).groupby(bin_of).mean().rename(bin_names)
                            for fb, pool in pools.items()}).rename_axis("bin")
print("share right at round 1 per bin:\n" + first_round.round(3).to_string())
by_bin.assign(feedback=by_bin["feedback"].map(FB_NAME)).pivot_table(index=["feedback", "bin"], columns="split",
                                                                     values="accuracy", sort=False).round(3)

# %%
Summary(*bin_findings)

# %%
most = max(f.num_differ for f in bin_findings)
per_family = len(bin_findings) // len(pools)
first_threshold = 0.05 / per_family  # Holm's first threshold
need = next(m for m in range(1, 64) if 2 / 2 ** m < first_threshold)  # the exact two-sided sign test, all differing one way
print(f"at most {most} of a bin's problems differ in any of these comparisons, so the exact sign test's smallest "
      f"p-value here is {2 / 2 ** most:.3f}, against Holm's first threshold {first_threshold:.4f} over {per_family} "
      f"comparisons: a comparison in a bin of {int(np.bincount(bin_of)[1:].max())} problems is shown only where at least "
      f"{need} of them differ, all one way (or 10 or more differ and the paired interval decides)")

# %%
fig, axes = plt.subplots(1, len(pools), figsize=(11, 4), sharey=True)
for ax, fb in zip(np.atleast_1d(axes), pools):
    part = by_bin[by_bin["feedback"] == fb]
    pr = part["split"].str.split(" x ", expand=True).astype(int)
    plot_splits_by_bin(part.assign(p=pr[0], r=pr[1]), feedback=fb, ax=ax, legend=False,
                       xlabel="difficulty bin (generator levels)")
    ax.set_title(f"{FB_NAME[fb]}, {BUDGET} attempts", fontsize=9)
    ax.legend(fontsize=7, loc="upper right")
savefig(fig, "07_by_difficulty", directory=FIG)

# %% [markdown]
# ## 5. A sequential/parallel ratio per bin, chosen on some problems and judged on others
#
# The compute-optimal policy of notebook 04 (`ttslib.policy.evaluate_policy`), once per run (blind, checker feedback),
# offered every chain length r = 1..R and both chain answers as strategies (`ttslib.strategies.revision_strategies`:
# majority vote over chains with `Revisions(r, feedback, answer)`), with the bins of section 4. Within a run every
# strategy starts from the same round-1 prompt, so the choice is one of ratio, not of prompt. At each budget (the
# tokens the run's parallel sampling, `Revisions(1)`, spends at n chains), one strategy and budget per bin, chosen
# on `FOLDS - 1` folds so that the mean accuracy is highest while the mean cost fits, and scored on the fold left
# out. The table lists the held-out choices (budget in attempts: chains x rounds) and what the policy spent; the
# findings set the held-out policy against the same run's parallel sampling at the same n, paired over problems, one
# Holm family over both runs.

# %%
choice_tables, spent_rows, policy_raw = [], [], []
C_rev = pools["none"].shape[1]
bins = difficulty_bins(pd.Series(bin_of, index=ids["none"]), "given")
for fb, pool in pools.items():
    offered = revision_strategies(pool, ids[fb], feedback=fb, answers=("last", "majority"), model=MODEL)
    parallel = Strategy("majority", revisions=Revisions(1, fb))
    ev = evaluate_policy(offered.table("tokens"), bins, reference=parallel, folds=FOLDS, seed=SEED, n_boot=N_BOOT)
    held = ev.choices[(ev.choices["fold"] >= 0) & (ev.choices["bin"] != "all")]
    choice_tables.append(held.assign(run=FB_NAME[fb], bin=held["bin"].map(lambda b: bin_names.get(int(b), b)),
                                     choice=[f"{s.revisions.rounds} round(s), {s.revisions.answer} answer; {int(n)} attempts"
                                             for s, n in zip(held["strategy"], held["n"])],
                                     rounds=[s.revisions.rounds for s in held["strategy"]]))
    for k, n in enumerate(ev.ns):
        spent_rows.append({"run": FB_NAME[fb], "budget: parallel's chains n": int(n), "cap (tokens, mean)": ev.max_costs[k],
                           "held-out policy spent (tokens, mean)": ev.held_out_cost[:, k].mean()})
        policy_raw.append(paired_finding(ev.held_out[:, k], offered[parallel].at(int(n)), a="held-out policy per bin",
                                         b=f"parallel sampling, {int(n)} chain{'s' if n > 1 else ''}", quantity="accuracy",
                                         range=f"{FB_NAME[fb]} run, SmolLM2-135M chain problems, budget: parallel's tokens at n = {int(n)}"))
choices = pd.concat(choice_tables, ignore_index=True)
print("held-out choices with more than one round:", int((choices["rounds"] > 1).sum()), "of", len(choices))
print(pd.DataFrame(spent_rows).round(1).to_string(index=False))
choices.pivot_table(index=["run", "grid_n", "bin"], columns="fold", values="choice", aggfunc="first", sort=False)

# %%
policy_findings = family(policy_raw)
Summary(*policy_findings)

# %% [markdown]
# ## 6. Self-repair against resampling (Olausson et al.'s comparison)
#
# HumanEval x Gemma 3 270M. Each chain's round 1 is one of the pool's own samples (`--first`: samples 0 and 1 of each
# problem); round 2 repairs it after the sandbox's feedback. A problem counts as solved when the final program of any of
# its p chains passes the hidden tests (pass@p over the chains, exact); both sides use the hidden tests only to judge.
# Resampling's side is the pool of 64 samples per problem: pass@k at the k whose tokens equal what the chains spent on
# that problem (`ttslib.sequential.resample_at_tokens`: k = tokens / the problem's mean tokens per sample, the two whole
# k on either side joined linearly, which lies below pass@k): the table and figure, where the rows r = 1 set the two
# sides before any repair. The two sides differ already there, with no repair made: the line printed under the table
# gives the starting samples' pass rate beside the pool's, and how few samples a passing start's tokens buy (passing
# programs are short); a gap between the two sides in the figure is therefore no measure of repair. Tokens here are
# generated tokens; a repair also reads a longer prompt (the overview gives both). The findings
# compare realized outcomes from the same start instead: self-repair (the chain's program after its repair round)
# against resampling that goes on from the same starting sample with the pool's next samples (`sample_idx` 2, 3, ...,
# which no chain started from) while their tokens fit within what the repair round generated
# (`ttslib.sequential.resample_next`); a problem is solved on a side when its starting sample or what followed passes.

# %%
repair = read_samples(REPAIR)
pool64 = read_samples(REPAIR_POOL)
pool_problems = pool64["problem_id"].nunique()
pool64 = pool64[pool64["problem_id"].isin(set(repair["problem_id"]))]
rp = repair.sort_values(["problem_id", "chain_idx", "round"], kind="stable")
P_r, C_r, R_r = rp["problem_id"].nunique(), int(rp["chain_idx"].max()) + 1, int(rp["round"].max())
he_set = f"all {P_r} problems" if P_r == pool_problems else f"first {P_r} problems"  # the problems the repair run covers
r_correct = rp["is_correct"].to_numpy(dtype=bool).reshape(P_r, C_r, R_r)
r_tokens = rp["num_completion_tokens"].to_numpy(dtype=float).reshape(P_r, C_r, R_r)
counts = pool64.groupby("problem_id").agg(n=("is_correct", "size"), c=("is_correct", "sum"), m=("num_completion_tokens", "mean"))
counts = counts.reindex(np.sort(rp["problem_id"].unique()))
second = rp[rp["round"] == 2]
said = rp.loc[rp["round"] == 1, "feedback"]
kinds = {"the first failing example": said.str.contains(" should return ").sum(),
         "the program does not run": said.str.startswith("the program does not run").sum(),
         "no example to run": (said == "no example to run.").sum(), "every example passes": (said == "every example passes.").sum()}
carried = rp.loc[rp["round"] == 2, "carried"].to_numpy(dtype=bool).reshape(P_r, C_r)
repaired_any = ~carried  # chains whose repair round ran
print(f"{P_r} problems x {C_r} chains x {R_r} rounds; feedback on the round-1 programs: "
      + ", ".join(f"{k} {int(v)}" for k, v in kinds.items()) + f" (of {len(said)}); round-1 programs passing the hidden tests: "
      f"{r_correct[:, :, 0].mean():.3f}; after the repair round: {r_correct[:, :, 1].mean():.3f}; repair rounds run: "
      f"{int(repaired_any.sum())} (the other {int(carried.sum())} chains passed every example and stopped, "
      f"{int((carried & ~r_correct[:, :, 0]).sum())} of them failing the hidden tests); repaired programs that pass: "
      f"{int((repaired_any & r_correct[:, :, 1]).sum())} of {int(repaired_any.sum())}")

# %%
repair_rows, repair_raw, rates, resampled = [], [], {}, {}
for r in range(1, R_r + 1):
    rate, spent = repair_curve(r_correct, r_tokens, r)
    for j, p in enumerate(range(1, C_r + 1)):
        rates[(p, r)] = rate[:, j]
        resampled[(p, r)] = resample_at_tokens(counts["n"], counts["c"], counts["m"], spent[:, j])
        mean, lower, upper = interval(rate[:, j])
        rmean, rlower, rupper = interval(resampled[(p, r)])
        repair_rows.append({"p": p, "r": r, "tokens": spent[:, j].mean(), "rate": mean, "lower": lower, "upper": upper,
                            "resampling": rmean, "resampling_lower": rlower, "resampling_upper": rupper})
ids_r = np.sort(rp["problem_id"].unique())
for chains in ([0], list(range(C_r))):
    extra = pd.Series(r_tokens[:, chains, 1:].sum((1, 2)), index=ids_r)  # what the repair rounds generated
    start = r_correct[:, chains, 0].any(1)
    repaired = r_correct[:, chains, -1].any(1) | start
    went_on = start | resample_next(pool64, C_r, extra).reindex(ids_r).to_numpy(dtype=bool)
    label = f"chain {chains[0]}" if len(chains) == 1 else f"chains 0-{chains[-1]}"
    repair_raw.append(paired_finding(repaired.astype(float), went_on.astype(float), a=f"self-repair ({label}, one repair round)",
                                     b="resampling on from the same start within the same tokens", quantity="solved (hidden tests)",
                                     range=f"HumanEval ({he_set}) x gemma-3-270m; {extra.mean():.1f} extra tokens per problem on average"))
repair_findings = family(repair_raw)
# what this design could show: how many new problems resampling on would be expected to solve (chain 0's start unsolved,
# the pool's pass rate per sample, as many next samples as fit), against how many must differ for a verdict
ordered = pool64.sort_values(["problem_id", "sample_idx"], kind="stable").groupby("problem_id")["num_completion_tokens"]
rate_per_sample = counts["c"].to_numpy() / counts["n"].to_numpy()
need_r = next(m for m in range(1, 64) if 2 / 2 ** m < 0.05 / len(repair_raw))
for chains, f in zip(([0], list(range(C_r))), repair_findings):
    budget = pd.Series(r_tokens[:, chains, 1:].sum((1, 2)), index=ids_r)
    taken = np.array([int((g.to_numpy(dtype=float)[C_r:].cumsum() <= budget[pid]).sum()) for pid, g in ordered])
    expected_new = ((1 - (1 - rate_per_sample) ** taken) * ~r_correct[:, chains, 0].any(1)).sum()
    print(f"{f.a}: resampling on takes {taken.mean():.2f} next samples per problem on average (none on "
          f"{int((taken == 0).sum())} of {P_r}); it is expected to solve {expected_new:.1f} new problems; a verdict needs at "
          f"least {need_r} problems to differ, all one way ({'more' if need_r > expected_new else 'no more'} than resampling is "
          f"expected to add)" + (f"; {f.num_differ} differ: the exact 95% upper bound on the share of problems that would differ "
                                 f"is {1 - 0.025 ** (1 / P_r):.3f}" if f.num_differ == 0 else ""))
# the two sides already differ before any repair (the rows r = 1): what builds that gap
passing = pool64["is_correct"].astype(bool)
k_start = r_tokens[:, :, 0] / counts["m"].to_numpy()[:, None]  # how many pool samples a start's own tokens buy, per chain
print(f"before any repair (r = 1): the chains' starting samples pass at {r_correct[:, :, 0].mean():.4f}, the pool's samples at "
      f"{rate_per_sample.mean():.4f} (pass@1), resampling at the starting samples' own tokens at {np.mean(resampled[(1, 1)]):.4f}; "
      f"passing programs are short ({pool64.loc[passing, 'num_completion_tokens'].mean():.1f} tokens against "
      f"{pool64.loc[~passing, 'num_completion_tokens'].mean():.1f} for failing ones), so the {int(r_correct[:, :, 0].sum())} passing "
      f"starts buy {k_start[r_correct[:, :, 0]].mean():.2f} pool samples on average (from {k_start[r_correct[:, :, 0]].min():.2f} to "
      f"{k_start[r_correct[:, :, 0]].max():.2f}), the failing ones {k_start[~r_correct[:, :, 0]].mean():.2f}")
repair_table = pd.DataFrame(repair_rows)
repair_table.round(4)

# %%
Summary(*repair_findings)

# %%
fig, ax = plt.subplots(figsize=(6.5, 4))
plot_repair(repair_table, ax=ax)
ax.set_title(f"HumanEval ({he_set}) x gemma-3-270m: self-repair and resampling at the same tokens", fontsize=9)
savefig(fig, "07_self_repair", directory=FIG)

# %% [markdown]
# ## 7. Budget forcing: a cap ladder and "Wait"
#
# SmolLM2-135M on chain problems with the chain prompt of notebooks 03 and 06. Per cap of the ladder, the share right
# when the answer is forced there (a chain that ended for good before the cap gives its final answer) and the tokens
# generated up to it (reasoning and answer). For "Wait": each chain as if run with at most j "Wait"s inside the largest
# cap (`ttslib.forcing.up_to_waits`: its answer at its j-th end, or, where the cap came first, the answer forced at
# the cap), over all chains. The findings: each cap against the one below (a trend); up to j "Wait"s against none (one
# Holm family). A majority vote of the run's 2 chains splits every disagreement evenly, so it scores what one chain with
# no "Wait" scores: "up to j Waits minus none" is also longer thinking against 2 parallel chains (the tokens of both
# are printed below).

# %%
forcing = read_samples(FORCING)
curve = forcing_curve(forcing)
ladder = curve[curve["checkpoint"] == "budget"].groupby("step")["budget"].first()
K_f = int(forcing.loc[forcing["checkpoint"] == "end", "step"].max())
waits = {j: up_to_waits(forcing, j) for j in range(K_f + 1)}
per_problem = {j: w.groupby("problem_id")[["is_correct", "tokens"]].mean() for j, w in waits.items()}
cap_rows = []
for step, part in curve[curve["checkpoint"] == "budget"].groupby("step", sort=True):
    mean, lower, upper = interval(part["accuracy"])
    cap_rows.append({"checkpoint": f"cap {int(ladder[step])}", "budget": ladder[step], "accuracy": mean, "lower": lower,
                     "upper": upper, "tokens": part["tokens"].mean()})
for j, w in per_problem.items():
    mean, lower, upper = interval(w["is_correct"])
    cap_rows.append({"checkpoint": f"up to {j} Wait(s)", "waits": j, "accuracy": mean, "lower": lower, "upper": upper,
                     "tokens": w["tokens"].mean(), "chains ending before the cap": waits[j]["ended"].mean()})
forcing_table = pd.DataFrame(cap_rows)
forcing_table.round(3)

# %%
caps = curve[curve["checkpoint"] == "budget"].pivot(index="problem_id", columns="step", values="accuracy")
forcing_findings = [trend([paired_finding(caps[s + 1], caps[s], a=f"cap {int(ladder[s + 1])}", b=f"cap {int(ladder[s])}",
                                          quantity="accuracy", range=f"SmolLM2-135M, {len(caps)} chain problems")
                           for s in caps.columns[:-1]], quantity="accuracy at each cap")]
wait_raw = [paired_finding(per_problem[j]["is_correct"], per_problem[0]["is_correct"], a=f"up to {j} Wait(s)", b="no Wait",
                           quantity="accuracy", range=f"SmolLM2-135M, {len(caps)} chain problems, inside a {int(ladder.iloc[-1])}-token cap")
            for j in range(1, K_f + 1)]
wait_findings = family(wait_raw)
# each chain's answer with no "Wait" (its first end, else the answer forced at the largest cap), and the vote of the 2 chains
ends = forcing[(forcing["checkpoint"] == "end") & (forcing["step"] == 0) & forcing["reached"].astype(bool)]
capped = forcing[(forcing["checkpoint"] == "budget") & (forcing["step"] == forcing.loc[forcing["checkpoint"] == "budget", "step"].max())]
no_wait = pd.concat([ends, capped]).drop_duplicates(["problem_id", "chain_idx"], keep="first").sort_values(["problem_id", "chain_idx"],
                                                                                                          kind="stable")
def _vote(g):  # the majority of the chains' answers, a tie split evenly; a chain with no answer casts no vote
    voted = g[g["answer"].notna()]
    if voted.empty:
        return 0.0
    top = voted["answer"].value_counts()
    winners = top[top == top.max()].index
    return float(np.mean([voted.loc[voted["answer"] == a, "is_correct"].iloc[0] for a in winners]))
two_vote = no_wait.groupby("problem_id").apply(_vote, include_groups=False)
assert np.allclose(no_wait.groupby("problem_id")["is_correct"].mean().to_numpy(dtype=float), per_problem[0]["is_correct"].to_numpy(dtype=float))
print(f"no Wait: one chain {per_problem[0]['is_correct'].mean():.3f}, the majority of the 2 chains {two_vote.mean():.3f} "
      f"({int(no_wait['answer'].isna().sum())} of {len(no_wait)} chains without an answer)")
print(f"tokens per problem: no Wait {per_problem[0]['tokens'].mean():.1f} (one chain), 2 parallel chains "
      f"{2 * per_problem[0]['tokens'].mean():.1f}; " + "; ".join(f"up to {j} Wait(s) {per_problem[j]['tokens'].mean():.1f}"
                                                                   for j in range(1, K_f + 1)))
Summary(*forcing_findings, *wait_findings)

# %%
fig, ax = plt.subplots(figsize=(6.5, 4))
plot_forcing(forcing_table[forcing_table["checkpoint"].str.startswith("cap")],
             forcing_table[forcing_table["checkpoint"].str.startswith("up to")], ax=ax)
ax.set_title(f"Budget forcing, SmolLM2-135M, {len(caps)} chain problems", fontsize=9)
savefig(fig, "07_budget_forcing", directory=FIG)

# %% [markdown]
# ## 8. Beside the papers
#
# Each published finding as issue 32 states it, beside our nearest finding: for Snell et al., the held-out policy
# against parallel sampling at the largest budget (blind run), with whether a 4x efficiency could be measured here; for
# Olausson et al., self-repair against resampling on from the same start (chain 0; section 6 says how little this
# comparison could show); for arXiv:2502.12215, one chain with up to one "Wait" against none, which section 7 shows is
# also against 2 parallel chains. The models, benchmarks and budgets differ, so none is tested.

# %%
snell = policy_findings[len(policy_findings) // len(pools) - 1]  # the blind run at its largest budget
olausson = repair_findings[0]
longer = wait_findings[0]
Summary(
    compare_with_paper("snell_revisions_4x", Setting("SmolLM2-135M-Instruct", "chain problems (kit, 10 levels)",
                                                     "accuracy, held-out policy per bin minus parallel sampling",
                                                     "ratio of rounds to chains chosen per bin on 1 fold, scored on the other (blind run)",
                                                     f"budget: at most parallel's tokens at {C_rev} chains (the policy spends less)"),
                       snell.difference, snell.lower, snell.upper),
    compare_with_paper("olausson_self_repair", Setting("gemma-3-270m", f"HumanEval ({he_set})",
                                                       "solved (hidden tests), self-repair minus resampling",
                                                       "one repair round after the sandbox's feedback (a failing example, or why the program does not run, or that no example runs), from the pool's own samples",
                                                       "1 chain of 2 rounds against resampling on from the same sample within the same tokens"),
                       olausson.difference, olausson.lower, olausson.upper),
    compare_with_paper("parallel_vs_longer_thinking", Setting("SmolLM2-135M-Instruct", "chain problems (kit, 10 levels)",
                                                              "accuracy, longer thinking minus none",
                                                              "one chain with up to one Wait against no Wait (which scores as 2 parallel chains' majority)",
                                                              f"inside a {int(ladder.iloc[-1])}-token cap per chain"),
                       longer.difference, longer.lower, longer.upper),
)

# %%
print(f"a 4x efficiency means the policy at n chains' budget matching parallel sampling at 4n chains; the runs hold "
      f"C = {C_rev} chains per problem, so 4n <= {C_rev} only at n = 1, where one attempt fits and the policy is parallel "
      f"sampling by construction ({policy_findings[0].num_differ} problems differ at n = 1 in section 5): the only 4x point "
      f"these runs hold is that degenerate one (the policy at one chain's budget against 4 parallel chains), which the "
      f"policy cannot reach by construction; a test of the 4x needs runs with at least 4n chains at every n")

# %% [markdown]
# ## 9. The same figures for a reasoning model on a GPU
#
# Every run here is one command of the kit; on a GPU, `--backend vllm` (or `--backend openai --base-url ...` for a
# server with a thinking-token budget of its own) runs the same chains, and this notebook reads the tables as they
# are. For example, with a reasoning model served by vLLM:
#
# ```bash
# ttslib revise --backend vllm --model Qwen/QwQ-32B --problems chains --rounds 4 --chains 16 --feedback checker --out runs/revise/qwq
# ttslib revise --backend vllm --model Qwen/QwQ-32B --problems humaneval --first runs/code/qwq/samples.parquet \
#     --rounds 2 --chains 16 --feedback tests --stop-when-passing --out runs/revise/qwq_repair
# ttslib force  --backend vllm --model Qwen/QwQ-32B --problems chains --ladder 512,1024,2048,4096,8192 --waits 4 --out runs/force/qwq
# ```
#
# (`runs/code/qwq/samples.parquet`: that model's HumanEval pool from `ttslib generate --problems humaneval`.) Revision
# prompts exist for the chain problems and HumanEval (`ttslib.revise.REVISION_STYLES`), the forcing prompt for the
# chain problems (`ttslib.forcing.FORCING_STYLES`); another problem set needs its prompt added there first (the
# command refuses it and says so).

# %% [markdown]
# ## What this shows
#
# The findings of sections 2-7, as rendered above (each with the family it was judged in); this cell only gathers
# them.

# %%
Summary(*round_trends, *family(split_findings), *bin_findings, *policy_findings, *repair_findings, *forcing_findings,
        *wait_findings)
