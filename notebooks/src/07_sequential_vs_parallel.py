# %% [markdown]
# # 07 · Sequential against parallel: revisions, self-repair and budget forcing at equal compute
#
# **Question.** Notebooks 03-06 spend test-time compute in parallel: independent samples, then a vote, a verifier
# or a search. The other way to spend it is sequential: the model sees its earlier attempts and revises them
# (Snell et al. 2024, arXiv:2408.03314, Sec. 6), repairs a program after a failing test (Olausson et al. 2023,
# arXiv:2306.09896), or is made to think longer before it answers (budget forcing, s1: Muennighoff et al. 2025,
# arXiv:2501.19393). At the same number of attempts, tokens or FLOPs, which way gives the higher accuracy on the
# kit's own small models, and does the answer change with difficulty?
#
# **What the papers say** (as issue 32 states it; none of these findings is in our source of paper facts,
# `../shared/REFERENCES.md`, and `ttslib/references.csv` marks them so): Snell et al. find that easy questions do best
# with purely sequential compute and harder ones with a mix, and that choosing the ratio per difficulty bin beats
# best-of-N by about 4x; Olausson et al. find the gains of self-repair modest and often matched by more samples;
# arXiv:2502.12215 finds parallel sampling often wins over longer thinking for QwQ and R1. Section 8 sets these beside
# our numbers; the models, benchmarks and budgets differ, so nothing there is tested.
#
# **Method.**
# - *Revisions* (`ttslib revise`, `ttslib.revise`): per problem, C independent chains of R attempts; attempt r sees
#   the chain's last 4 attempts, blind or with the exact step checker's verdict ("line j is wrong."). A budget of B
#   attempts is spent as p chains x r rounds (p r = B), each chain answering with its last round (or the majority of
#   its rounds), the p chains combined by majority vote. Every split is evaluated exactly over all p-subsets of the
#   C chains (`ttslib.sequential.splits`); p x 1 is plain parallel sampling with the same prompt.
# - *Self-repair* (`ttslib revise --problems humaneval --feedback tests --first POOL`): each chain starts from one of
#   the pool's own HumanEval samples and, where it fails a docstring example, is shown the example, what it should
#   return and what the program returned, and writes the function again; a chain whose program passes every
#   example stops. Programs are judged on the hidden tests, which the model never sees.
# - *Budget forcing* (`ttslib force`): one chain per draw reasons in segments; at each cap of a ladder of token
#   budgets the answer is forced ("Answer:" appended), and when the model ends on its own, "Wait," replaces its end
#   up to K times, the answer recorded at each end.
# - Costs: generated tokens; FLOPs with each round rereading its whole context (`ttslib.sequential.round_flops`:
#   no cache carried between rounds, so a revision pays for the attempts it reads again).
# - Comparisons are findings of `ttslib.findings`: a paired interval over the same problems, its verdict, and where
#   nothing is shown the smallest difference the data could have detected; one Holm family per section.

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
from ttslib.forcing import forcing_curve
from ttslib.plotting import figure_legend, savefig, use_theme
from ttslib.plotting.sequential import plot_forcing, plot_repair, plot_splits
from ttslib.policy import Strategy, difficulty_bins, evaluate_policy
from ttslib.references import Setting, compare_with_paper
from ttslib.revise import chain_arrays
from ttslib.selection import majority_vote
from ttslib.sequential import (Revisions, flip_rates, make_chain_pool, repair_curve, resample_at_tokens, round_flops,
                               rounds_curve, splits)
from ttslib.strategies import revision_strategies

use_theme()
pd.set_option("display.max_rows", 200)
pd.set_option("display.width", 200)
pd.set_option("display.max_colwidth", None)
FIG = Path(FIGURES_DIR)


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
    f"{fb} feedback": {
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
# the round before, paired over problems: a trend per feedback.

# %%
flips = pd.DataFrame([{"feedback": fb, **row} for fb, pool in pools.items() for row in flip_rates(pool, n_boot=N_BOOT, seed=SEED)])
flips.round(3)

# %%
round_trends = []
for fb, pool in pools.items():
    per_round = pool.correct.mean(1)  # (P, R): share of chains right, per problem
    round_trends.append(trend([paired_finding(per_round[:, r], per_round[:, r - 1], a=f"round {r + 1}", b=f"round {r}",
                                              quantity="share of chains right",
                                              range=f"{fb} feedback, SmolLM2-135M, {pool.shape[0]} chain problems")
                               for r in range(1, pool.shape[2])], quantity=f"share of chains right, {fb} feedback"))
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
                                                     range=f"{fb} feedback, chain answer: {how} round(s), {BUDGET} attempts"))
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
# generator (a label fixed before any sample was drawn, so a bin reads nothing off the chains scored). The findings
# set the purely sequential split (1 x `BUDGET`) and the mix (2 x `BUDGET // 2`) against the parallel split within each
# bin, one Holm family per feedback.

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
                                         range=f"{fb} feedback, {name}, {int(rows_b.sum())} problems"))
    bin_findings += family(per_fb)
by_bin = pd.DataFrame(bin_rows)
by_bin.pivot_table(index=["feedback", "bin"], columns="split", values="accuracy").round(3)

# %%
Summary(*bin_findings)

# %%
fig, axes = plt.subplots(1, len(pools), figsize=(11, 4), sharey=True)
for ax, fb in zip(np.atleast_1d(axes), pools):
    part = by_bin[by_bin["feedback"] == fb]
    for k, (split, rows_s) in enumerate(part.groupby("split", sort=False)):
        x = np.arange(len(bin_names)) + (k - 1) * 0.22
        ax.errorbar(x, rows_s["accuracy"], yerr=[rows_s["accuracy"] - rows_s["lower"], rows_s["upper"] - rows_s["accuracy"]],
                    fmt="o^sD"[k % 4], linestyle="none", capsize=2, markerfacecolor="none", label=f"{split} (chains x rounds)")
    ax.set_xticks(np.arange(len(bin_names)), list(bin_names.values()), rotation=30, fontsize=8)
    ax.set_title(f"{fb} feedback, {BUDGET} attempts", fontsize=9)
    ax.set_xlabel("difficulty bin (generator levels)")
np.atleast_1d(axes)[0].set_ylabel("accuracy (last-round answers, majority over chains)")
figure_legend(fig, np.atleast_1d(axes))
savefig(fig, "07_by_difficulty", directory=FIG)

# %% [markdown]
# ## 5. A sequential/parallel ratio per bin, chosen on some problems and judged on others
#
# The compute-optimal policy of notebook 04 (`ttslib.policy.evaluate_policy`), offered every chain length r = 1..R,
# both feedbacks and both chain answers as strategies (`ttslib.strategies.revision_strategies`: a strategy is
# majority vote over chains with `Revisions(r, feedback, answer)`), with the bins of section 4. At each budget (the
# tokens blind parallel sampling, `Revisions(1)`, spends at n chains), one strategy and n per bin, chosen on
# `FOLDS - 1` folds so that the mean accuracy is highest while the mean cost fits, and scored on the fold left out.
# The table lists the held-out choices; the findings set the held-out policy against blind parallel sampling at the
# same n, paired over problems, one Holm family.

# %%
offered = None
for fb, pool in pools.items():
    res = revision_strategies(pool, ids[fb], feedback=fb, answers=("last", "majority"), model=MODEL)
    offered = res if offered is None else offered.merge(res)
parallel = Strategy("majority", revisions=Revisions(1))
bins = difficulty_bins(pd.Series(bin_of, index=ids["none"]), "given")
ev = evaluate_policy(offered.table("tokens"), bins, reference=parallel, folds=FOLDS, seed=SEED, n_boot=N_BOOT)
held = ev.choices[(ev.choices["fold"] >= 0) & (ev.choices["bin"] != "all")]
choices = held.assign(bin=held["bin"].map(lambda b: bin_names.get(int(b), b)),
                      choice=[f"{s.revisions.rounds} round(s), {s.revisions.feedback} feedback, {s.revisions.answer} answer; n = {int(n)}"
                              for s, n in zip(held["strategy"], held["n"])])
choices.pivot_table(index=["grid_n", "bin"], columns="fold", values="choice", aggfunc="first")

# %%
par_acc = offered[parallel]
policy_findings = family([paired_finding(ev.held_out[:, k], par_acc.at(int(n)), a="held-out policy per bin",
                                         b=f"blind parallel sampling, {int(n)} chain(s)", quantity="accuracy",
                                         range=f"SmolLM2-135M chain problems, budget: blind parallel's tokens at n = {int(n)}")
                          for k, n in enumerate(ev.ns)])
chosen_rounds = held.assign(rounds=[s.revisions.rounds for s in held["strategy"]])
print("held-out choices with more than one round:", int((chosen_rounds["rounds"] > 1).sum()), "of", len(chosen_rounds))
Summary(*policy_findings)

# %% [markdown]
# ## 6. Self-repair against resampling (Olausson et al.'s comparison)
#
# HumanEval x Gemma 3 270M. Each chain's round 1 is one of the pool's own samples (`--first`), so both sides start
# from the same programs; round 2 repairs a program that fails a docstring example, with that example's feedback.
# Resampling's side is the pool of 64 samples per problem: pass@k at the k whose tokens equal what self-repair spent
# on the problem (`ttslib.sequential.resample_at_tokens`: the two whole k on either side joined linearly, which lies
# below the concave pass@k curve, so resampling is not flattered). Self-repair's side: the problem is solved when the
# final program of any of its p chains passes the hidden tests (pass@p over the chains, exact), as Olausson et al.
# count a pass rate; both sides use the hidden tests only to judge.

# %%
repair = read_samples(REPAIR)
pool64 = read_samples(REPAIR_POOL)
pool64 = pool64[pool64["problem_id"].isin(set(repair["problem_id"]))]
rp = repair.sort_values(["problem_id", "chain_idx", "round"], kind="stable")
P_r, C_r, R_r = rp["problem_id"].nunique(), int(rp["chain_idx"].max()) + 1, int(rp["round"].max())
r_correct = rp["is_correct"].to_numpy(dtype=bool).reshape(P_r, C_r, R_r)
r_tokens = rp["num_completion_tokens"].to_numpy(dtype=float).reshape(P_r, C_r, R_r)
counts = pool64.groupby("problem_id").agg(n=("is_correct", "size"), c=("is_correct", "sum"), m=("num_completion_tokens", "mean"))
counts = counts.reindex(np.sort(rp["problem_id"].unique()))
second = rp[rp["round"] == 2]
print(f"{P_r} problems x {C_r} chains x {R_r} rounds; round-1 programs passing the hidden tests: {r_correct[:, :, 0].mean():.3f}; "
      f"after the repair round: {r_correct[:, :, 1].mean():.3f}; chains that stopped because every example passed: "
      f"{int(second['carried'].sum())} of {len(second)}; repairs of a failing program that pass: "
      f"{int((~r_correct[:, :, 0] & r_correct[:, :, 1]).sum())} of {int((~r_correct[:, :, 0]).sum())}; "
      f"passing programs a repair round broke: {int((r_correct[:, :, 0] & ~r_correct[:, :, 1]).sum())}")

# %%
repair_rows, repair_findings = [], []
for r in range(1, R_r + 1):
    rate, spent = repair_curve(r_correct, r_tokens, r)
    for j, p in enumerate(range(1, C_r + 1)):
        resampled = resample_at_tokens(counts["n"], counts["c"], counts["m"], spent[:, j])
        mean, lower, upper = interval(rate[:, j])
        repair_rows.append({"p": p, "r": r, "tokens": spent[:, j].mean(), "rate": mean, "lower": lower, "upper": upper,
                            "resampling at equal tokens": resampled.mean()})
        if r > 1:
            repair_findings.append(paired_finding(rate[:, j], resampled, a=f"self-repair, {p} chain(s) x {r} rounds",
                                                  b="resampling at the same tokens per problem", quantity="pass rate (hidden tests)",
                                                  range=f"HumanEval ({P_r} problems) x gemma-3-270m"))
repair_table = pd.DataFrame(repair_rows)
repair_table.round(4)

# %%
Summary(*family(repair_findings))

# %%
ks = np.arange(1, 9)
from ttslib.coverage import pass_at_k

res_rows = []
for k in ks:
    v = pass_at_k(counts["n"].to_numpy(), counts["c"].to_numpy(), int(k))
    mean, lower, upper = interval(v)
    res_rows.append({"tokens": k * counts["m"].mean(), "rate": mean, "lower": lower, "upper": upper})
fig, ax = plt.subplots(figsize=(6.5, 4))
plot_repair(pd.DataFrame(res_rows), repair_table[repair_table["r"] > 1], ax=ax)
ax.set_title(f"HumanEval ({P_r} problems) x gemma-3-270m: self-repair against resampling", fontsize=9)
savefig(fig, "07_self_repair", directory=FIG)

# %% [markdown]
# ## 7. Budget forcing: a cap ladder and "Wait"
#
# SmolLM2-135M on chain problems with the chain prompt of notebooks 03 and 06. Per cap of the ladder, the share right
# when the answer is forced there and the tokens generated up to it (reasoning and answer); per end j, the share right
# among the chains that reached their j-th end within the largest cap, after j "Wait"s. The findings: each cap
# against the one below (a trend), the answer after each "Wait" against the model's first end on the chains that
# reached both, and two parallel chains' majority at their first end against one chain after one "Wait" (tokens of
# both sides printed: they are near, not equal).

# %%
forcing = read_samples(FORCING)
curve = forcing_curve(forcing)
cap_rows = []
for (kind, step), part in curve.groupby(["checkpoint", "step"], sort=True):
    mean, lower, upper = interval(part["accuracy"])
    cap_rows.append({"checkpoint": kind, "step": int(step), "budget": part["budget"].iloc[0], "waits": int(step) if kind == "end" else np.nan,
                     "problems with a chain there": int((part["chains"] > 0).sum()), "accuracy": mean, "lower": lower, "upper": upper,
                     "tokens": part["tokens"].mean()})
forcing_table = pd.DataFrame(cap_rows)
forcing_table.round(3)

# %%
caps = curve[curve["checkpoint"] == "budget"].pivot(index="problem_id", columns="step", values="accuracy")
ladder = curve[curve["checkpoint"] == "budget"].groupby("step")["budget"].first()
forcing_findings = [trend([paired_finding(caps[s + 1], caps[s], a=f"cap {int(ladder[s + 1])}", b=f"cap {int(ladder[s])}",
                                          quantity="accuracy", range=f"SmolLM2-135M, {len(caps)} chain problems")
                           for s in caps.columns[:-1]], quantity="accuracy at each cap")]
f = forcing[forcing["checkpoint"] == "end"]
wait_findings = []
for j in sorted(f["step"].unique())[1:]:
    both = f.pivot_table(index=["problem_id", "chain_idx"], columns="step", values="reached").fillna(False)
    ok = both[0].astype(bool) & both[j].astype(bool)
    right = f.pivot_table(index=["problem_id", "chain_idx"], columns="step", values="is_correct")
    if ok.sum() < 2:
        continue
    per = pd.DataFrame({"after": right[j][ok].astype(float), "first": right[0][ok].astype(float)}).groupby(level=0).mean()
    wait_findings.append(paired_finding(per["after"], per["first"], a=f"after {int(j)} Wait(s)", b="at the model's first end",
                                        quantity="accuracy", range=f"SmolLM2-135M, {len(per)} problems with a chain reaching both"))
end0 = f[f["step"] == 0].sort_values(["problem_id", "chain_idx"], kind="stable")
P_f, C_f = end0["problem_id"].nunique(), int(end0["chain_idx"].max()) + 1
ans = end0["answer"].where(end0["reached"], None).to_numpy(dtype=object).reshape(P_f, C_f)
cor = (end0["is_correct"] & end0["reached"]).to_numpy(dtype=bool).reshape(P_f, C_f)
par = majority_vote(ans, cor, [C_f]).per_problem[:, 0]
one_wait = curve[(curve["checkpoint"] == "end") & (curve["step"] == 1)].set_index("problem_id").reindex(np.sort(end0["problem_id"].unique()))
have = one_wait["accuracy"].notna().to_numpy()
par_tokens = C_f * end0.groupby("problem_id")["num_completion_tokens"].mean().to_numpy()
parallel_finding = paired_finding(par[have], one_wait["accuracy"].to_numpy()[have], a=f"{C_f} parallel chains, majority at their first end",
                                  b='one chain after one "Wait"', quantity="accuracy",
                                  range=(f"SmolLM2-135M, {int(have.sum())} problems; tokens per problem {par_tokens[have].mean():.1f} against "
                                         f"{one_wait['tokens'].to_numpy()[have].mean():.1f}"))
Summary(*forcing_findings, *family(wait_findings + [parallel_finding]))

# %%
fig, ax = plt.subplots(figsize=(6.5, 4))
ends_t = forcing_table[forcing_table["checkpoint"] == "end"]
plot_forcing(forcing_table[forcing_table["checkpoint"] == "budget"], ends_t[ends_t["problems with a chain there"] > 0], ax=ax)
ax.set_title(f"Budget forcing, SmolLM2-135M, {len(caps)} chain problems", fontsize=9)
savefig(fig, "07_budget_forcing", directory=FIG)

# %% [markdown]
# ## 8. Beside the papers
#
# The published findings as issue 32 states them, each beside the nearest number of ours, in both settings. The
# models, benchmarks and budgets differ, so none is tested.

# %%
best_seq = split_table[(split_table["r"] > 1) & (split_table["chain answer"] == "last")].sort_values("accuracy").iloc[-1]
repair_last = repair_table[repair_table["r"] == R_r].iloc[-1]
Summary(
    compare_with_paper("snell_revisions_4x", Setting("SmolLM2-135M-Instruct", "chain problems (kit, 10 levels)",
                                                     "accuracy of the best split with revisions at equal attempts",
                                                     f"{int(best_seq['p'])} chains x {int(best_seq['r'])} rounds, {best_seq['feedback']} feedback, majority over chains",
                                                     f"{BUDGET} attempts per problem"),
                       float(best_seq["accuracy"]), float(best_seq["lower"]), float(best_seq["upper"])),
    compare_with_paper("olausson_self_repair", Setting("gemma-3-270m", f"HumanEval ({P_r} problems)", "pass rate (hidden tests)",
                                                       f"self-repair, {C_r} chains x {R_r} rounds, docstring-example feedback",
                                                       f"{repair_last['tokens']:.0f} generated tokens per problem"),
                       float(repair_last["rate"]), float(repair_last["lower"]), float(repair_last["upper"])),
)

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
# The findings of sections 3, 5, 6 and 7, as rendered above; this cell only gathers them.

# %%
Summary(*family(split_findings), *policy_findings, *family(repair_findings), *forcing_findings)
