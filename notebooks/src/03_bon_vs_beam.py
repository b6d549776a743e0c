# %% [markdown]
# # 03 · Best-of-N against beam search: picking one of N samples, or searching step by step
#
# **Main question: Section 3**, sampling N whole solutions and picking one, against beam search and DVTS
# guided by a step verifier, on the kit's multi-step chains (accuracy vs N, by difficulty, vs FLOPs and
# vs verifier quality). The two sections before it set out the selection rules it uses; Section 4 adds two
# searches that share out N by score (particle filtering and REBASE); Section 5 asks what an imperfect
# verifier of code leaves on the table.
#
# **Question.** Coverage (notebook 01) counts a problem as solved if *any* of n samples is right:
# it needs an oracle. Without one, a rule must pick one answer: the most frequent (majority
# vote), the one a verifier scores highest (best-of-N), or the answer with the largest summed
# score (weighted best-of-N). How accurate is each rule at every budget n <= N, and how far below
# the oracle does it stay? How do the rules and the searches (beam search and DVTS in Section 3, particle filtering
# and REBASE in Section 4) compare, at equal N and against FLOPs?
#
# **Figures redrawn**: accuracy of the selection rules against n, as in Snell et al. 2024
# (arXiv:2408.03314) and the Hugging Face blog / search-and-learn (majority vote, best-of-N and weighted
# best-of-N; beam search and DVTS against best-of-N, over N, by difficulty and against compute). Each section ends with what its data say about the papers' statements, rendered from
# paired findings (`ttslib.findings`) with both sides of every paper comparison named
# (`ttslib.references`).
#
# **Method.** Every value is the expectation over *all* size-n subsets of the N samples, computed
# exactly (`ttslib.selection`): best-of-N by order statistics, majority vote by a generating
# function over answers; weighted best-of-N is exact by enumeration only for N <= 16, so here it
# is a Monte Carlo estimate over `NUM_DRAWS` random n-subsets per problem. Random subsets are the other
# way to compute any of them (`benchmarks/bench_selection.py` compares the two). Ties are split evenly;
# a sample with no answer casts no vote, is never picked over a sample with one, and counts as wrong
# (picked only in a subset where no sample has an answer). Bands: 95% bootstrap over problems. Comparisons: the
# difference of two rules on the same problems, with its paired 95% normal interval over problems;
# each family of comparisons a summary names is judged together (Holm's adjustment within that family;
# a section may hold several families and trends, each named with its size), and a
# comparison the data do not decide comes with the smallest difference they could have detected (at
# the power its sentence states).

# %% tags=["parameters"]
DATA_DIR = "../data"
FIGURES_DIR = "../figures"
OWN_SAMPLES = "../data/arith_smollm2.parquet"  # the kit's own sample table (ttslib.data schema)
SYN_PROBLEMS = 500  # synthetic problems
SYN_SAMPLES = 64  # synthetic samples per problem (N)
DPRIMES = (0.0, 0.5, 1.0, 2.0, 4.0)  # synthetic verifier quality: score gap correct - wrong, in noise sd
WEAK_GOOD = (1.0, 4.0)  # the weak and the good verifier of the first figure (two of DPRIMES)
NUM_DRAWS = 1000  # Monte Carlo draws per problem where no exact form is used (weighted vote, N > 16)
N_BOOT = 1000  # bootstrap resamples of problems for the bands
SEED = 0
CHAIN_DIR = "../data/chains"  # the chain search data (data/README.md): a sampling pool and search runs
PARTICLE_DIR = "../data/particles"  # particle filtering and REBASE on the same chains (data/README.md)
RATE_LOW = 4  # the low end of Puri et al.'s "4-16x better scaling rate" (arXiv:2502.01618 Sec. 5.3): DVTS needs 4 times particle filtering's budget
CHAIN_POOL = "pool64"  # the pool's file name in CHAIN_DIR (N whole solutions per problem, sampled step by step)
CHAIN_PER_LEVEL, CHAIN_SEED = 15, 0  # the chain problem set the runs used (ttslib.problems.make_chains)
POWER_FLOOR = 0.05  # no detectable difference is stated where both sides' accuracy lies within this of 0 or of 1: the spread there is no guide to the spread under a difference
MAIN_AUC = 0.80  # the verifier of the main comparison: the exact step checker blurred to this ROC AUC (noise seed 0)
BEAM_WIDTH = 4  # M of the search runs
POOL_AUCS = (0.6, 0.7, 0.8, 0.9, 0.99)  # noisy verifiers scored on the pool for the verifier-quality figure
FLOPS_MODEL = "SmolLM2-135M"  # the policy, in ttslib.flops' registry
CODE_SAMPLES = (  # HumanEval sample tables, one model each (named by its model column): is_correct by the hidden tests, score = share of docstring examples passed
    "../data/code/humaneval_smollm2.parquet",
    "../data/code/humaneval_gemma3.parquet",
)

# %%
import json
from collections import Counter
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ttslib.data import correct_matrix, read_samples
from ttslib.findings import FEW_DIFFER, POWER, Summary, family, paired_finding, trend
from ttslib.plotting import (figure_legend, place_legend, savefig, sequential_palette, strategy_color, strategy_label, strategy_marker,
                             use_theme)
from ttslib.plotting.flops import plot_vs_flops
from ttslib.plotting.selection import plot_selection
from ttslib.policy import Strategy, VerifierSpec, difficulty_bins, sampling_cost
from ttslib.problems import make_chains
from ttslib.references import Setting, compare_with_paper, paper_result
from ttslib.selection import best_of_n, log2_budgets, majority_vote, oracle, selection_curve, weighted_vote
from ttslib.strategies import pool_arrays, pool_strategies, score_pool, search_strategies, step_auc
from ttslib.synthetic import synthetic_samples, verifier_auc

use_theme()  # the kit's look: seaborn theme, fixed colours per strategy and per model size
ORACLE, MAJORITY = Strategy("oracle"), Strategy("majority")  # strategies are records (ttslib.policy.Strategy)
CHECKER, CONFIDENCE, MAIN_VERIFIER = VerifierSpec.step_checker(), VerifierSpec.confidence(), VerifierSpec.noisy(MAIN_AUC)

# %% [markdown]
# ## 1. Synthetic samples and a verifier of known quality
#
# `ttslib.synthetic.synthetic_samples` draws them. Each problem has a success rate p ~ Beta(0.6, 1.2).
# A correct sample gives the right answer; a wrong one gives one of 10 wrong answers, drawn
# from a problem-specific mix (Dirichlet(0.5): on some problems one wrong answer takes most of the wrong
# samples and can outvote the right one), and 5% of samples have no extracted answer. The verifier's
# score is a probability, `expit(d' * (correct - 1/2) + noise)` with standard normal noise: `d'` sets its
# quality, its AUC (the chance that it ranks a random correct sample above a random wrong one) is
# `Phi(d' / sqrt(2))`. `d' = 0` is a verifier that knows nothing. Its errors are independent from sample
# to sample, unlike a real verifier's. The checks under the next cell read these settings back from the
# samples drawn.

# %%
drawn = synthetic_samples(SYN_PROBLEMS, SYN_SAMPLES, DPRIMES, seed=SEED)  # the model above
syn_correct, syn_answers, syn_scores = drawn.correct, drawn.answers, drawn.scores  # (P, N), (P, N), {d': (P, N)}
p_se = drawn.p_solve.std(ddof=1) / np.sqrt(drawn.p_solve.size)
assert abs(drawn.p_solve.mean() - 0.6 / (0.6 + 1.2)) < 3 * p_se  # the success rates drawn have the mean of a Beta(0.6, 1.2)
assert syn_answers.max() == 10 and round(100 * (syn_answers < 0).mean()) == 5  # 10 wrong answers (class ids 1..10); 5% with no answer
votes = np.stack([(syn_answers == c).sum(1) for c in range(11)], axis=1)  # (P, 11): samples per answer, the right one first
assert (votes[:, 1:].max(1) > votes[:, 0]).any()  # on some problems one wrong answer outvotes the right one
right_scores, wrong_scores = syn_scores[0.0][syn_correct], syn_scores[0.0][~syn_correct][:2000]  # d' = 0: all right, 2,000 wrong
assert verifier_auc(0.0) == 0.5 and abs((right_scores[:, None] > wrong_scores[None, :]).mean() - 0.5) < 0.01  # d' = 0 knows nothing: AUC 0.5
N = SYN_SAMPLES
pd.Series({f"d'={d}": verifier_auc(d) for d in DPRIMES}, name="verifier AUC").round(3).to_frame().T

# %%
ns = log2_budgets(N)
syn = {"oracle": oracle(syn_correct, ns), "majority": majority_vote(syn_answers, syn_correct, ns)}
for d, score in syn_scores.items():
    syn[("best_of_n", d)] = best_of_n(syn_correct, score, ns, answers=syn_answers)
    syn[("weighted", d)] = weighted_vote(syn_answers, syn_correct, score, ns, num_draws=NUM_DRAWS, seed=SEED)
{name: sel.method for name, sel in syn.items()}

# %% [markdown]
# ### The rules with a weak and with a good verifier

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
for ax, d in zip(axes, WEAK_GOOD):
    rules = [syn["oracle"], syn["majority"], syn[("best_of_n", d)], syn[("weighted", d)]]
    plot_selection([selection_curve(s, n_boot=N_BOOT, seed=SEED) for s in rules], ax=ax, legend=False)
    ax.set_title(f"synthetic, verifier d' = {d} (AUC {verifier_auc(d):.3f})")
figure_legend(fig)  # one legend beside both panels
savefig(fig, "03_synthetic_rules", directory=FIGURES_DIR)

# %% [markdown]
# The distance from each rule's curve to pass@n is what a selector could still gain from the same
# samples. The summary at the end of this section compares the rules at n = N, paired over the problems.
#
# ### Best-of-N as the verifier's d' varies
#
# With `d' = 0` the scores are pure noise: in expectation over the noise, best-of-N then picks a random
# sample among those with an answer (a sample without one is picked only where it is alone in the
# subset). At n = N the choice is one fixed sample per problem, set by this one draw of noise. The
# section's summary gives the measured values.

# %%
curves = [selection_curve(syn[("best_of_n", d)], n_boot=N_BOOT, seed=SEED) for d in DPRIMES]
curves += [selection_curve(syn["oracle"], n_boot=N_BOOT, seed=SEED)]  # drawn last: on top where the d' = 4 curve comes close
colors = [*sequential_palette(len(DPRIMES)), strategy_color("oracle")]
labels = [*[f"best-of-N, d' = {d} (AUC {verifier_auc(d):.3f})" for d in DPRIMES], "pass@n (oracle)"]
assert all(round(100 * c.level) == 95 for c in curves)  # the bands drawn are the 95% bootstrap bands the text states
ax = plot_selection(curves, labels=labels, colors=colors)
ax.set_title("synthetic: best-of-N vs verifier quality")
savefig(ax.figure, "03_verifier_quality", directory=FIGURES_DIR)

# %% [markdown]
# ### Exact vs Monte Carlo
#
# The same majority vote by Monte Carlo (random n-subsets, vectorised), beside the exact values: the
# last column is their difference in units of the Monte Carlo standard error; the exact values carry no
# such error.

# %%
mc = majority_vote(syn_answers, syn_correct, ns, method="monte_carlo", num_draws=NUM_DRAWS, seed=SEED)
pd.DataFrame(
    {
        "exact": syn["majority"].accuracy,
        "Monte Carlo": mc.accuracy,
        "MC standard error": mc.accuracy_se,
        "difference / se": (mc.accuracy - syn["majority"].accuracy) / np.where(mc.accuracy_se > 0, mc.accuracy_se, np.nan),
    },
    index=pd.Index(ns, name="n"),
).round(5)

# %% [markdown]
# ### What this section shows
#
# The rules at n = N with the two verifiers of the first figure, and best-of-N with the knowing-nothing
# verifier against majority vote, judged together; best-of-N at n = N along the verifier's d', each step
# paired over the same problems.

# %%
top = int(ns[-1])
syn_name = {"majority": "majority vote", **{(r, d): f"{'best-of-N' if r == 'best_of_n' else 'weighted best-of-N'} (d' = {d})"
                                            for r in ("best_of_n", "weighted") for d in DPRIMES}}
syn_pairs = [(("weighted", d), other) for d in WEAK_GOOD for other in ("majority", ("best_of_n", d))]
syn_pairs += [(("best_of_n", d), "majority") for d in (*WEAK_GOOD, 0.0)]
syn_rules = family([paired_finding(syn[a].at(top), syn[b].at(top), a=syn_name[a], b=syn_name[b], quantity="accuracy",
                                   range=f"synthetic, n = {top}") for a, b in syn_pairs])
syn_trend = trend([paired_finding(syn[("best_of_n", d2)].at(top), syn[("best_of_n", d1)].at(top), a=f"d' = {d2}", b=f"d' = {d1}",
                                  quantity="accuracy", range=f"synthetic, n = {top}") for d1, d2 in zip(DPRIMES, DPRIMES[1:])],
                  quantity=f"best-of-N accuracy at n = {top} (synthetic)")
answered = syn_answers >= 0
assert all(round(100 * f.level) == 95 for f in (*syn_rules, *syn_trend.steps))  # the comparisons' 95% paired intervals
random_answered = (syn_correct.sum(1) / np.maximum(answered.sum(1), 1)).mean()  # a random pick among the samples with an answer
Summary(syn_rules, syn_trend,
        f"With d' = 0, best-of-N at n = " + ", ".join(f"{n}: {a:.3f}" for n, a in zip(ns, syn[("best_of_n", 0.0)].accuracy))
        + f". pass@1 is {syn['oracle'].accuracy[0]:.3f}; a random pick among the samples with an answer ({answered.mean():.1%} of them) "
        f"gives {random_answered:.3f}; pass@{top} is {syn['oracle'].accuracy[-1]:.3f}.")

# %% [markdown]
# ## 2. The kit's own samples
#
# `OWN_SAMPLES` is a sample table made by this kit: one model (the table's `model` column, printed below)
# on the graded arithmetic set (`ttslib.problems.make_arithmetic`, difficulty `level`), N samples per problem. Until real
# verifiers arrive, the score is the model's own confidence in a sample, `exp(logprob /
# num_completion_tokens)`, the geometric-mean probability of its tokens (`ttslib.verifiers.sample_confidence`,
# the one definition the kit uses for whole samples). Answers are grouped with the grader's canonical key
# (`ttslib.grade.canonical_answer`: `1/2`, `0.5` and `\frac{1}{2}` vote together); `ttslib.strategies.pool_arrays`
# reads the table into these arrays.

# %%
if not Path(OWN_SAMPLES).exists():
    raise FileNotFoundError(
        f"{OWN_SAMPLES} not found: this section needs the kit's own sample table (data/arith_smollm2.parquet, "
        f"see data/README.md); pass OWN_SAMPLES to use another"
    )
own = read_samples(OWN_SAMPLES)
own_pool = pool_arrays(own)  # (P, N) arrays; answers by canonical key, score the model's confidence
own_correct, own_classes, own_level = own_pool.correct, own_pool.classes, own_pool.level
assert own["model"].nunique() == 1, "the section names one model: the table holds several"
own_model = str(own["model"].iloc[0])  # the policy as the table records it
pd.Series(
    {
        "model": own_model,
        "problems x samples": f"{own_correct.shape[0]} x {own_correct.shape[1]}",
        "levels": f"{own_level.min()}..{own_level.max()}",
        "pass@1": f"{own_correct.mean():.3f}",
        "samples without an answer": f"{int((own_classes < 0).sum())} ({(own_classes < 0).mean():.4%})",
        "distinct answers per problem (mean)": f"{(own_classes.max(1) + 1).mean():.1f}",
    }
).to_frame("own samples")

# %%
own_ns = log2_budgets(own_correct.shape[1])
own_res = pool_strategies(own_pool, verifiers=[CONFIDENCE], num_draws=NUM_DRAWS, seed=SEED)
own_sel = {"oracle": own_res[ORACLE], "majority": own_res[MAJORITY], "best_of_n": own_res[Strategy("best_of_n", CONFIDENCE)],
           "weighted": own_res[Strategy("weighted", CONFIDENCE)]}
ax = plot_selection([selection_curve(s, n_boot=N_BOOT, seed=SEED) for s in own_sel.values()])
ax.set_title("own samples: score = the model's confidence")
savefig(ax.figure, "03_own_rules", directory=FIGURES_DIR)

# %% [markdown]
# The model's confidence is a verifier of unknown quality; majority vote needs no verifier at all. By
# difficulty level (a few dozen problems per panel, so wide bands):

# %%
levels = np.unique(own_level)
fig, axes = plt.subplots(2, (len(levels) + 1) // 2, figsize=(2.6 * ((len(levels) + 1) // 2), 5.2), sharex=True, sharey=True)
for ax, level in zip(axes.flat, levels):
    rows = own_level == level
    plot_selection([selection_curve(s.take(rows), n_boot=N_BOOT, seed=SEED) for s in own_sel.values()], ax=ax, legend=False)
    ax.set_title(f"level {level}", fontsize="small")
    ax.set_xlabel("")
    ax.set_ylabel("")
for ax in axes.flat[len(levels) :]:
    ax.set_visible(False)
figure_legend(fig, axes.flat[: len(levels)])  # one legend, beside the panels
fig.supxlabel("number of samples n")
fig.supylabel("accuracy")
savefig(fig, "03_own_by_level", directory=FIGURES_DIR)

# %%
pd.DataFrame(
    {
        (rule, f"n={n}"): pd.Series(sel.at(n)).groupby(own_level).mean()
        for rule, sel in own_sel.items()
        for n in (1, int(own_ns[-1]))
    }
).rename_axis("level").round(3)

# %% [markdown]
# ### What this section shows
#
# Coverage against each rule at the largest n, judged together; each rule along n (each doubling of n a
# step, paired over the problems); and the Large Language Monkeys measurement of selection against
# coverage beside this one, both settings named. Majority vote's first doubling is not tested: with two
# samples, two different answers tie and the tie is split evenly, so it can differ from one sample only
# where a sample has no answer. The summary counts those problems instead.

# %%
own_top = int(own_ns[-1])
own_names = {"majority": "majority vote", "best_of_n": "best-of-N (confidence)", "weighted": "weighted best-of-N (confidence)"}
own_gaps = family([paired_finding(own_sel["oracle"].at(own_top), own_sel[r].at(own_top), a=f"pass@{own_top}", b=name,
                                  quantity="accuracy", range=f"own samples, n = {own_top}") for r, name in own_names.items()])
tested_ns = {r: own_ns[1:] if r == "majority" else own_ns for r in own_names}  # majority vote from n = 2: n = 1 -> 2 is a tie split
own_trends = [trend([paired_finding(own_sel[r].at(n2), own_sel[r].at(n1), a=f"n = {n2}", b=f"n = {n1}", quantity="accuracy",
                                    range="own samples") for n1, n2 in zip(tested_ns[r], tested_ns[r][1:])], quantity=f"{name} accuracy")
              for r, name in own_names.items()]
vote_1, vote_2 = own_sel["majority"].at(1), own_sel["majority"].at(2)
vote_differ = ~np.isclose(vote_1, vote_2)
assert not (vote_differ & (own_classes >= 0).all(1)).any()  # "it can differ ... only where a sample has no answer"
own_band = selection_curve(own_sel["majority"], n_boot=N_BOOT, seed=SEED)
monkeys = compare_with_paper("monkeys_llama8b_math_plateau",
                             Setting(own_model, f"the kit's arithmetic set ({own_correct.shape[0]} problems)",
                                     "accuracy of majority vote (coverage beside it)", "majority vote",
                                     f"n = 1 to {own_top} samples; coverage {own_sel['oracle'].accuracy[-1]:.3f} at n = {own_top}"),
                             own_band.accuracy[-1], own_band.lower[-1], own_band.upper[-1])
Summary(f"pass@1 {own_sel['oracle'].accuracy[0]:.3f}, pass@{own_top} {own_sel['oracle'].accuracy[-1]:.3f}; at n = {own_top}: "
        + ", ".join(f"{name} {own_sel[r].accuracy[-1]:.3f}" for r, name in own_names.items()) + ".",
        own_gaps,
        f"Majority vote at n = 1 and n = 2: {vote_1.mean():.4f} and {vote_2.mean():.4f}; they differ on {int(vote_differ.sum())} of "
        f"{vote_1.size} problems, each with a sample without an answer ({int((own_classes < 0).sum())} such samples in all).",
        own_trends, monkeys)

# %% [markdown]
# ## 3. Step-level search on the kit's chains: best-of-N against beam search and DVTS
#
# One-line sums have no steps to search over, so the kit makes chains (`"3 + 4 - 2"`, ten levels of
# length and operand size: `ttslib.problems.make_chains`), solved one operation per line and a last
# line "Answer: N". The policy is SmolLM2-135M-Instruct.Q4_1 (4-bit weights, run by llama.cpp) at
# temperature `T = 0.8`, both read from the runs' manifests below, with a few-shot prompt. The verifiers score each step (`ttslib.verifiers`):
#
# - the exact step checker (`ttslib.verifiers.StepChecker`): a step scores 1 when every earlier step
#   scored 1 and it is the next operation of the question written as `x op y = z` with the right
#   running value, or, after the last operation, the line `Answer: v` with the right value; any other
#   step scores 0. It checks the written path, not only the answer: a right answer reached by another
#   path (operations merged or reordered, a line it cannot parse, a line after the answer) scores 0 at
#   its last step. The table under the pool counts such samples and shows a few;
# - noisy copies of the checker with a set ROC AUC (`NoisyVerifier`: scores drawn around its verdict);
# - the model's own confidence (the geometric-mean probability of the step's tokens).
#
# The pool holds N whole solutions per problem, sampled step by step with nothing pruned; best-of-N,
# weighted best-of-N and majority vote are computed exactly over its n-subsets (weighted: Monte Carlo).
# Beam search (N beams, width `M = 4`: keep the N/M best partial solutions by the last step's score,
# sample M next steps from each) and DVTS (N/M independent subtrees, each keeping its single best) ran
# once per N (`ttslib.search`, `ttslib search` on the command line); each keeps exactly N candidates,
# and the answer is the weighted vote of their last-step scores. One run per search
# and N: a search's interval below covers the choice of problems, not the run-to-run randomness of the
# search. At N = M there is one subtree, and DVTS is beam search: its N = M run is a second run of
# the same algorithm, and the comparisons below count it once, as beam search.
#
# The DVTS of these runs is the kit's: each subtree sets its ended solutions aside and continues from
# its best unfinished one until M have ended. Their manifests record no `dvts_variant` (the runs were
# committed before that option existed; see the git history of `data/chains`).
# Search-and-learn's variant (`--dvts-variant sal`) follows its best child, ended or not, and stops
# when that child ends.

# %%
chain_dir = Path(CHAIN_DIR)
pool_path = chain_dir / f"{CHAIN_POOL}.parquet"
if not pool_path.exists():
    raise FileNotFoundError(f"{pool_path} not found: this section needs the chain search data (data/README.md, tools/chain_runs.sh)")
pool = read_samples(pool_path)
runs = pd.concat([read_samples(p) for p in sorted(chain_dir.glob("*.parquet")) if p.stem != CHAIN_POOL], ignore_index=True)
chains = make_chains(CHAIN_PER_LEVEL, seed=CHAIN_SEED)
assert set(pool["problem_id"]) == set(runs["problem_id"]) <= set(chains["problem_id"]), "pool and runs on other problem sets"
chains = chains[chains["problem_id"].isin(pool["problem_id"])]
question = dict(zip(chains["problem_id"], chains["question"]))
manifests = [json.loads(p.read_text()) for p in sorted(chain_dir.glob("*.run.json"))]
assert all(m["search"]["temperature"] == 0.8 for m in manifests)  # the temperature the text states
assert {(m["model"], m["backend"]) for m in manifests} == {("SmolLM2-135M-Instruct.Q4_1", "llama.cpp")}  # the policy the text names
chain_model = manifests[0]["model"]  # the policy as the runs' manifests record it
assert all(m["search"]["beam_width"] == BEAM_WIDTH for m in manifests if m["search"]["method"] != "sampling")  # M = 4
assert not any("dvts_variant" in m["search"] for m in manifests)  # "their manifests record no dvts_variant"
runs.groupby(["method", "verifier", "n"]).agg(problems=("problem_id", "nunique"), candidates=("sample_idx", "size")).reset_index()

# %% [markdown]
# The pool is rescored offline by every verifier (they are free and deterministic: a noisy verifier
# gives a step the same score in the pool as in a search). Each verifier's quality is its ROC AUC
# between right and wrong steps of the pool, the checker's verdict being the truth. Answers are grouped
# by their canonical form (`ttslib.grade.canonical_answer`) before any vote.

# %%
pool_verifiers = [CHECKER, CONFIDENCE, *[VerifierSpec.noisy(a) for a in POOL_AUCS]]
pool = score_pool(pool, question, pool_verifiers)
chain = pool_arrays(pool, pool_verifiers)  # (P, N) arrays: correctness, answers, tokens, every verifier's step scores
auc = step_auc(chain)
chain_level = chains.set_index("problem_id").loc[chain.problem_ids, "level"].to_numpy()
chain_ns = log2_budgets(chain.shape[1])
res = pool_strategies(chain, model=FLOPS_MODEL, num_draws=NUM_DRAWS, seed=SEED).merge(search_strategies(runs, model=FLOPS_MODEL, verifiers=pool_verifiers))
assert res.problem_ids.tolist() == chain.problem_ids.tolist()  # the runs cover the pool's problems
steps = np.concatenate([np.asarray(x, dtype=float) for x in chain.step_scores[CHECKER].ravel()])
assert set(np.unique(steps)) <= {0.0, 1.0}  # the checker scores a step 1 or 0
pd.concat([auc.round(3), pd.Series({"steps": steps.size, "right steps": int((steps > 0.5).sum()),
                                    "pass@1": round(chain.correct.mean(), 3)}, name="pool")], axis=1).T

# %% [markdown]
# The pool's samples with the right answer whose last step the checker scores 0, and a few of them:

# %%
checker_last = pool[f"step_scores_{CHECKER.label}"].map(lambda s: float(s[-1]) if len(s) else 0.0)  # 1: the whole path checks
off_path = pool[pool["is_correct"].astype(bool) & (checker_last < 0.5)]
print(f"{len(off_path)} of the pool's {int(pool['is_correct'].sum())} samples with the right answer fail the step checker")
off_path.assign(question=off_path["problem_id"].map(question))[["problem_id", "question", "completion"]].head(4)

# %% [markdown]
# Every strategy (`ttslib.policy.Strategy`: method, verifier, beam width M, ...), its accuracy at each N:

# %%
weighted = {v: Strategy("weighted", v) for v in pool_verifiers}  # weighted best-of-N with each verifier: the strong sampling baseline
bon = {v: Strategy("best_of_n", v) for v in pool_verifiers}
searched = {(s.method, s.verifier): s for s in res.find(beam_width=BEAM_WIDTH)}  # the search runs' strategies (M = 4, the kit's DVTS)
searches = list(searched.values())
name = {s: strategy_label(s) for s in res}  # how the findings name each strategy
res.accuracy().round(3)

# %% [markdown]
# ### The sampling rules on the chains
#
# Weighted best-of-N against majority vote and against best-of-N at the largest N, with every verifier
# of the pool, judged together; pass@N against best-of-N with the exact step checker; and weighted
# best-of-N against majority vote at n = 4 beside a users' reproduction of the HF setup at that n, both
# settings named. Power: the smallest paired difference these problems could detect, beside the size of
# effect that reproduction reports.

# %%
chain_top = int(chain_ns[-1])
rule_pairs = [(weighted[v], other, chain_top) for v in pool_verifiers for other in (MAJORITY, bon[v])]
small_n = 4  # the largest n of the reproduction's row (ttslib/references.csv)
rule_pairs += [(ORACLE, bon[CHECKER], chain_top), (weighted[MAIN_VERIFIER], MAJORITY, small_n)]
rules_chain = family([paired_finding(res[a].at(n), res[b].at(n), a=name[a] if a != ORACLE else f"pass@{n}", b=name[b], quantity="accuracy",
                                     range=f"chains, N = {n}") for a, b, n in rule_pairs])
*rules_chain, checker_gap, weighted_small = rules_chain
subsets = {"exact": "exact over all n-subsets", "monte_carlo": f"Monte Carlo, {NUM_DRAWS} n-subsets per problem"}
ours = Setting(f"{chain_model} with the noisy step checker (set to AUC {MAIN_AUC:.2f}, measured step AUC {auc[MAIN_VERIFIER]:.2f}) as verifier",
               f"the kit's chains ({chain.shape[0]} problems)", "accuracy of weighted best-of-N minus majority vote",
               f"weighted best-of-N (sum of last-step scores per distinct answer) against majority vote, on n-subsets of the {chain.shape[1]} "
               f"pool samples (weighted best-of-N: {subsets[res[weighted[MAIN_VERIFIER]].method]}; majority vote: {subsets[res[MAJORITY].method]})",
               f"n = {small_n}")
reproduced = paper_result("sal_issue44_weighted_minus_majority_n4")
Summary(
    f"The pool: pass@1 {chain.correct.mean():.3f}, pass@{chain_top} {res[ORACLE].accuracy[-1]:.3f}; at N = {chain_top} majority vote "
    f"{res[MAJORITY].accuracy[-1]:.3f}, " + ", ".join(f"{name[s]} {res[s].accuracy[-1]:.3f}" for s in (bon[MAIN_VERIFIER], weighted[MAIN_VERIFIER])) + ".",
    rules_chain,
    f"The exact step checker checks the written path: {len(off_path)} of the pool's {int(pool['is_correct'].sum())} samples with the "
    f"right answer fail it at their last step.",
    checker_gap,
    weighted_small,
    compare_with_paper(reproduced.key, ours, weighted_small.difference, weighted_small.lower, weighted_small.upper),
    f"Power at N = {small_n} ({weighted_small.num_problems} problems): the smallest paired difference this comparison could detect at "
    f"{POWER:.0%} power, before Holm's adjustment, is {weighted_small.detectable:.3f}, {'larger' if weighted_small.detectable > reproduced.value else 'not larger'} than "
    f"the {reproduced.value:.3f} the reproduction above reports.",
)

# %% [markdown]
# Each search against weighted best-of-N with the same verifier at the same N, paired over the chains
# (95% normal interval, before any adjustment; the section's summary judges them together):

# %%
vs_sampling = pd.DataFrame([
    {"search": s.label, "N": int(n), "search accuracy": res[s].accuracy_at(n), "weighted best-of-N": res[weighted[s.verifier]].accuracy_at(n),
     "difference": (d := paired_finding(res[s].at(n), res[weighted[s.verifier]].at(n), a=s.label, b="weighted", quantity="accuracy",
                                        range=f"N = {n}")).interval(), "unadjusted verdict": d.unadjusted_verdict}
    for s in searches for n in res[s].n
]).set_index(["search", "N"])
vs_sampling.round(3)

# %% [markdown]
# ### Accuracy vs N with the noisy verifier of the main comparison
#
# The verifier is the checker blurred to a set AUC (`MAIN_AUC`); the title gives its AUC measured on the
# pool's steps. The search runs are markers with their bootstrap interval as a bar; where both searches
# ran at one N, DVTS's marker and bar are drawn a little to the right of beam search's (same N), so neither
# hides the other. DVTS's run at N = M is not drawn (one subtree: the algorithm of beam search). Each
# strategy has one marker shape in every figure.

# %%
assert abs(auc[MAIN_VERIFIER] - MAIN_AUC) < 0.02  # the blurred checker's measured step AUC is near the one it was set to
main = {ORACLE: "pass@N (oracle)", MAJORITY: "majority vote", bon[MAIN_VERIFIER]: "best-of-N", weighted[MAIN_VERIFIER]: "weighted best-of-N"}
main |= {searched[m, MAIN_VERIFIER]: label for m, label in (("beam_search", f"beam search (M = {BEAM_WIDTH})"), ("dvts", f"DVTS (M = {BEAM_WIDTH})"))
         if (m, MAIN_VERIFIER) in searched}
beam_s, dvts_s = searched.get(("beam_search", MAIN_VERIFIER)), searched.get(("dvts", MAIN_VERIFIER))
one_tree = [int(n) for n in res[dvts_s].n if n == BEAM_WIDTH and n in res[beam_s].n]  # N = M: DVTS is beam search
if one_tree:  # its N = M run is not drawn: one subtree there, the algorithm of beam search, whose run is drawn
    main[dvts_s] = f"DVTS (M = {BEAM_WIDTH}; its N = {', '.join(map(str, one_tree))} run not drawn, see text)"
drawn_ns = {s: [int(n) for n in res[s].n if not (s == dvts_s and n in one_tree)] for s in main}  # what the figures draw
main_labels = list(main.values())
ax = plot_selection([selection_curve(res[s].take(ns=drawn_ns[s]), n_boot=N_BOOT, seed=SEED) for s in main], labels=main_labels)
ax.set_xlabel("N (samples, or beams)")
ax.set_title(f"chains, {chain_model}, verifier {MAIN_VERIFIER} (measured AUC {auc[MAIN_VERIFIER]:.2f})", fontsize="small")
savefig(ax.figure, "03_search_vs_bon", directory=FIGURES_DIR)

# %% [markdown]
# ### By difficulty: five bins of pass@1 (Snell et al.'s oracle bins; bin 1 easiest)
#
# Binned on samples the rules are not scored on: each problem's 64 pool samples are split at random,
# half set its bin (pass@1 of those 32), and the sampling rules are scored on the other half, so up to
# N = 32 here. The search runs are separate runs: beside the sampling rules they keep their N = 4 and 16
# (the N up to 32 they ran), and DVTS against beam search by bin is at their largest N, 64, where no
# sampling rule enters. The table gives each strategy's mean by bin at the N the figure draws.

# %%
held, scored = chain.split(0.5, seed=SEED)  # the same split notebook 04 uses
assert chain.shape[1] == 64 and scored.shape[1] == 32  # "64 pool samples", "up to N = 32"
half_ns = log2_budgets(scored.shape[1])
half = pool_strategies(scored, verifiers=[MAIN_VERIFIER], num_draws=NUM_DRAWS, seed=SEED)
half = half.merge(res.take(strategies=[s for s in main if s.method in ("beam_search", "dvts")], ns=half_ns))
chain_bins = difficulty_bins(pd.Series(held.correct.mean(1), index=held.problem_ids), "quantile", num_bins=5).to_numpy()
fig, axes = plt.subplots(1, 5, figsize=(15, 3.4), sharex=True, sharey=True)
for ax, b in zip(axes, range(1, 6)):
    rows = chain_bins == b
    plot_selection([selection_curve(half[s].take(rows, ns=drawn_ns[s]), n_boot=N_BOOT, seed=SEED) for s in main], labels=main_labels, ax=ax,
                   legend=False)
    ax.set_title(f"bin {b}: pass@1 {held.correct[rows].mean():.2f}, {rows.sum()} problems", fontsize="small")
    ax.set_xlabel("N")
figure_legend(fig)  # one legend beside the five panels
fig.suptitle("bins and pass@1 from a held-apart half of the pool; the sampling rules scored on the other half", fontsize="small", y=1.02)
savefig(fig, "03_search_by_bin", directory=FIGURES_DIR)
by_bin = pd.DataFrame({label: pd.DataFrame(half[s].per_problem, columns=half[s].n)[[n for n in half[s].n if n in drawn_ns[s]]]
                       .groupby(chain_bins).mean().stack() for s, label in main.items()}).rename_axis(["bin", "N"])  # DVTS's N = M run left out
by_bin.round(3)

# %% [markdown]
# ### Accuracy vs compute
#
# FLOPs per problem of the policy (`ttslib.flops`, Kaplan et al.'s count with its attention term: 2N per
# token plus the attention over the context each token sits at), counted alike for both: the prompt
# once (the pool's samples share it; a search's partial solutions stay in the cache) plus every token
# sampled, for a search its pruned branches included (`ttslib.strategies`; where a run did not
# record its tokens' positions, the note below says how they were estimated). The verifiers here cost
# nothing. A verifier that is a model (a PRM) would add its own forward pass: with a prefix cache it
# reads every sampled token once, for best-of-N as for search, so the FLOPs of every verifier-guided
# strategy would be scaled by the same factor (policy plus verifier parameters, over the policy's), and
# majority vote, reading nothing, would not. A PRM without a prefix cache re-reads each partial solution
# at every step it scores; that cost is not counted here. The comparisons of this section are at equal
# N; the table gives each strategy's FLOPs at its N. In the figure a line joins a strategy's points only
# where no other strategy has an N between them; the search runs are markers with their bootstrap
# interval as a bar (two at nearly the same FLOPs set a little apart), and DVTS's run at N = M, the algorithm
# of beam search there, is not drawn. The x axis of the search runs includes the estimated attention term
# where the note below says so (the axis label repeats it).

# %%
compute = [s for s in main if s.method != "oracle"]
drawn_res = {s: res.take(strategies=[s], ns=drawn_ns[s]) for s in compute}  # DVTS without its N = M run (not drawn)
flops = [drawn_res[s].cost(s, "flops").mean(0) for s in compute]
bands = [selection_curve(drawn_res[s][s], n_boot=N_BOOT, seed=SEED) for s in compute]  # the accuracy's 95% bootstrap band over problems
ax = plot_vs_flops(flops, [b.accuracy for b in bands], lower=[b.lower for b in bands], upper=[b.upper for b in bands],
                   labels=[main[s] for s in compute], palette=[strategy_color(s) for s in compute], ylabel="accuracy",
                   budgets=[drawn_ns[s] for s in compute],
                   xlabel="inference FLOPs per problem" + ("\n(search runs: attention term estimated, see the note below)" if res.notes else ""))
ax.set_title("chains: accuracy vs inference FLOPs per problem", fontsize="small")
savefig(ax.figure, "03_search_flops", directory=FIGURES_DIR)
print("\n".join(res.notes))
pd.DataFrame({main[s]: pd.Series(f, index=drawn_ns[s]) for s, f in zip(compute, flops)}).rename_axis("N").map("{:.2e}".format)

# %% [markdown]
# ### Accuracy vs verifier quality at N = 16
#
# Best-of-N and weighted best-of-N on the pool with every verifier (x: its measured AUC), and each
# search run at N = 16 with the verifier that guided it. Lines join one sampling rule across one family
# of verifiers, the exact step checker and its blurred copies, each of which was measured; a search ran
# with only some of them, so its points are markers, joined by nothing. The model's confidence, another
# kind of verifier, is an open marker (its strategy's shape) with its name.

# %%
assert 16 in chain_ns
quality = pd.DataFrame([{"verifier": s.verifier, "AUC": auc[s.verifier], "strategy": s.method, "accuracy": res[s].accuracy_at(16)}
                        for s in res if s.verifier in auc and 16 in res[s].n])
fig, ax = plt.subplots(figsize=(5.5, 3.6))
blurred = quality["verifier"].map(lambda v: v.kind in ("noisy", "step_checker"))  # one family: the checker and its blurred copies
for strategy, g in quality[blurred].sort_values("AUC", kind="stable").groupby("strategy", sort=False):
    joined = strategy in ("best_of_n", "weighted")  # a search: markers only, no line between its verifiers
    ax.plot(g["AUC"], g["accuracy"], marker=strategy_marker(strategy), ls="-" if joined else "none", color=strategy_color(strategy),
            label=strategy_label(strategy), ms=4 if joined else 5)
for strategy, g in quality[~blurred].groupby("strategy", sort=False):  # another family: a marker each, named
    ax.plot(g["AUC"], g["accuracy"], marker=strategy_marker(strategy), ls="none", color=strategy_color(strategy), ms=5, mfc="none")
    for _, r in g.iterrows():
        ax.annotate(str(r["verifier"]), (r["AUC"], r["accuracy"]), xytext=(4, -3), textcoords="offset points", fontsize="x-small",
                    color=strategy_color(strategy))
ax.axhline(res[MAJORITY].accuracy_at(16), color=strategy_color("majority"), lw=1, ls=":", label="majority vote (no verifier)")
ax.axhline(res[ORACLE].accuracy_at(16), color=strategy_color("oracle"), lw=1, ls="--", label="pass@16 (oracle)")
ax.set_xlabel("verifier ROC AUC on the pool's steps")
ax.set_ylabel("accuracy at N = 16")
place_legend(ax)  # beside the axes
savefig(fig, "03_search_verifier_quality", directory=FIGURES_DIR)
quality.pivot_table(index=["verifier", "AUC"], columns="strategy", values="accuracy").round(3)

# %% [markdown]
# ### What this section shows
#
# The comparisons of the searches, all at equal N (not equal FLOPs: the FLOPs of both sides are given
# beside them), judged together: each search against weighted best-of-N with the same verifier at each
# N it ran, beam search against best-of-N at the smallest N, and DVTS against beam search above N = M.
# Then by difficulty bin and along the verifiers' measured AUC, each its own
# family; the papers' statements beside them with both settings named; and the smallest differences
# these data could detect.

# %%
search_pairs = [(s, weighted[s.verifier], int(n)) for s in searches for n in res[s].n if not (s.method == "dvts" and n in one_tree)]
small = int(res[beam_s].n.min())
search_pairs += [(beam_s, bon[MAIN_VERIFIER], small)]
search_pairs += [(dvts_s, beam_s, int(n)) for n in res[dvts_s].n if n in res[beam_s].n and n not in one_tree]
search_family = family([paired_finding(res[a].at(n), res[b].at(n), a=name[a], b=name[b], quantity="accuracy",
                                       range=f"chains, N = {n}, equal N, one run per search") for a, b, n in search_pairs])
by_n = {(a, b, n): f for (a, b, n), f in zip(search_pairs, search_family)}
flops_at = {(s, n): res.cost(s, "flops").mean(0)[res[s].column(n)] for s in res if res.flops.get(s) is not None for n in res[s].n}
main_pairs = [(a, b, n) for a, b, n in search_pairs if a.verifier == MAIN_VERIFIER and b.method == "weighted"]
ours_search = Setting(ours.model, ours.benchmark, "accuracy of DVTS minus beam search",
                      f"the kit's DVTS (N/M subtrees, M = {BEAM_WIDTH}; each sets its ended solutions aside and continues from its best "
                      "unfinished one until M have ended) against beam search with the same verifier, one run each",
                      f"N = {search_pairs[-1][2]}, the largest N run; all {chain.shape[0]} problems")
dvts_beam_top = search_family[-1]
search_keys = ("hf_dvts_large_n", "snell_beam_hard_low_budget", "liu_prm_dependence")  # the papers' rows on search this section cites
Summary(
    *(f"N = {n}: at equal N " + ", ".join(f"{name[s]} {res[s].accuracy_at(n):.3f} ({flops_at[s, n]:.2e} FLOPs per problem)"
                                          for s in (MAJORITY, bon[MAIN_VERIFIER], weighted[MAIN_VERIFIER], beam_s, dvts_s) if n in res[s].n) + "."
      for n in res[beam_s].n),
    *(f"At N = M = {n} DVTS is beam search (one subtree): the two runs give the same accuracy on "
      f"{int(np.isclose(res[beam_s].at(n), res[dvts_s].at(n)).sum())} of {res.problem_ids.size} problems "
      f"({res[beam_s].accuracy_at(n):.3f} and {res[dvts_s].accuracy_at(n):.3f}); counted once, as beam search." for n in one_tree),
    search_family,
    compare_with_paper("hf_dvts_large_n", ours_search, dvts_beam_top.difference, dvts_beam_top.lower, dvts_beam_top.upper),
    f"Power of this chain study ({res.problem_ids.size} problems, one run per search and N): the smallest paired difference each "
    f"comparison could detect at {POWER:.0%} power (before Holm's adjustment) is "
    + "; ".join(f"{by_n[p].a} minus {by_n[p].b} at N = {p[2]}: {by_n[p].detectable:.3f}" for p in (*main_pairs, search_pairs[-1])) + ". "
    + f"Our source (REFERENCES.md) gives no effect size for the papers' results on search cited here "
    f"({'; '.join(paper_result(k).paper for k in search_keys if paper_result(k).value is None)}), so whether this study could detect "
    "them is not known; the one effect size at hand, "
    f"the reproduction's {reproduced.value:.3f} at n = {small_n}, is about weighted best-of-N against majority vote (above).",
)

# %% [markdown]
# By difficulty bin: in the hardest bin, beam search against best-of-N at each N the by-bin comparison
# has; in the easiest, the change from the smallest to the largest of those N in beam search's difference
# with weighted best-of-N (both at the same N, paired over the bin's problems); DVTS against beam search
# at the largest N in each bin. One family.

# %%
binned_n = [int(n) for n in res[beam_s].n if n <= half_ns[-1]]  # the N the by-bin comparison has (rules on half the pool)
assert binned_n == [4, 16]  # "the search runs ... keep their N = 4 and 16"
hard_rows, easy_rows = chain_bins == chain_bins.max(), chain_bins == chain_bins.min()
easy_change = [half[beam_s].at(n)[easy_rows] - half[weighted[MAIN_VERIFIER]].at(n)[easy_rows] for n in (binned_n[0], binned_n[-1])]
dvts_top = int(res[dvts_s].n.max())
same_bins = [b for b in np.unique(chain_bins) if np.array_equal(res[dvts_s].at(dvts_top)[chain_bins == b], res[beam_s].at(dvts_top)[chain_bins == b])]
bin_family = family(
    [paired_finding(half[beam_s].at(n)[hard_rows], half[bon[MAIN_VERIFIER]].at(n)[hard_rows], a=name[beam_s], b=name[bon[MAIN_VERIFIER]],
                    quantity="accuracy", range=f"hardest bin ({chain_bins.max()}), N = {n}, rules on the scored half") for n in binned_n]
    + [paired_finding(easy_change[1], easy_change[0], a=f"N = {binned_n[-1]}", b=f"N = {binned_n[0]}",
                      quantity=f"{name[beam_s]} minus {name[weighted[MAIN_VERIFIER]]}", range=f"easiest bin ({chain_bins.min()}), rules on the scored half")]
    + [paired_finding(res[dvts_s].at(dvts_top)[chain_bins == b], res[beam_s].at(dvts_top)[chain_bins == b], a=name[dvts_s], b=name[beam_s],
                      quantity="accuracy", range=f"bin {b}, N = {dvts_top}") for b in np.unique(chain_bins) if b not in same_bins])
hard_low, easy_change_f = bin_family[0], bin_family[len(binned_n)]
bins_method = ("beam search against best-of-N (plain: the candidate of highest last-step score) with the same verifier, one run; "
               "5 quantile bins of pass@1 from the 32 samples of a held-apart half (ties make them 19 to 41 problems)")
ours_hard = Setting(ours_search.model, ours_search.benchmark, "accuracy of beam search minus best-of-N, hardest bin", bins_method,
                    f"N = {binned_n[0]}, the smallest N run; bin {chain_bins.max()}, {int(hard_rows.sum())} problems, at the floor: pass@1 "
                    f"{held.correct[hard_rows].mean():.3f} on the held half, beam search right on {int((half[beam_s].at(binned_n[0])[hard_rows] > 0).sum())} of them")
ours_easy = Setting(ours_search.model, ours_search.benchmark,
                    f"change from N = {binned_n[0]} to N = {binned_n[-1]} of beam search minus weighted best-of-N, easiest bin",
                    bins_method.replace("against best-of-N (plain: the candidate of highest last-step score)",
                                        "against weighted best-of-N (sum of last-step scores per distinct answer)"),
                    f"N = {binned_n[0]} and {binned_n[-1]}; bin {chain_bins.min()}, {int(easy_rows.sum())} problems")
hard_findings = bin_family[:len(binned_n)]
hard_beam = {n: half[beam_s].at(n)[hard_rows] for n in binned_n}  # beam search's accuracy on each problem of the hardest bin
# no power stated where both sides' accuracy lies within POWER_FLOOR of 0 or 1 (as in notebook 04), nor where the finding states none
at_floor = [f.quantity == "accuracy" and not (f.few_differ or f.num_differ == 0) and min(f.a_value, 1 - f.a_value) < POWER_FLOOR
            and min(f.b_value, 1 - f.b_value) < POWER_FLOOR for f in bin_family]
floor_text = (f"no power stated: both sides' accuracy lies within {POWER_FLOOR:g} of 0 or 1, where the spread is no guide to the spread "
              "under a difference")
bin_lines = [f.sentence() if not fl else
             (f"{f.a} minus {f.b}, {f.quantity} ({f.range}; {f.num_problems} problems): {f.a_value:.3f} against {f.b_value:.3f}, "
              f"difference {f.interval()} ({f.level:.0%} {f.method}): "
              + (f"{f.verdict_text()}." if f.verdict != "not shown" else f"not shown ({floor_text}).")) for f, fl in zip(bin_family, at_floor)]
hard_diff = {n: half[beam_s].at(n)[hard_rows] - half[bon[MAIN_VERIFIER]].at(n)[hard_rows] for n in binned_n}
floor = (f"In the hardest bin beam search is right on " + " and ".join(f"{int((hard_beam[n] > 0).sum())} at N = {n}" for n in binned_n)
         + f" of its {int(hard_rows.sum())} problems (pass@" + " and pass@".join(f"{n} {half[ORACLE].at(n)[hard_rows].mean():.3f}" for n in binned_n)
         + " on the scored half); beam search minus best-of-N there is at most beam search's own accuracy ("
         + ", ".join(f"{hard_beam[n].mean():.3f} at N = {n}" for n in binned_n) + "). "
         + " ".join(f"At N = {n}, of the {f.num_differ} problems on which the two differ, beam search is the higher on {int((hard_diff[n] > 1e-9).sum())} "
                    f"and best-of-N on {int((hard_diff[n] < -1e-9).sum())} (best-of-N's value on a problem is its expectation over n-subsets, "
                    f"often a small fraction; p = {f.p_value:.2g}, {'exact sign test' if f.few_differ else 'normal'}); "
                    f"the finding, judged with the bin family ({f.family_size} comparisons, Holm's first threshold "
                    f"{(1 - f.level) / f.family_size:.2g}): {f.verdict} (before Holm's adjustment: {f.unadjusted_verdict}; "
                    f"{floor_text if fl else f.power_text()})" + "." for f, fl, n in zip(hard_findings, at_floor, binned_n)))
Summary(
    f"The hardest bin (bin {chain_bins.max()}, {int(hard_rows.sum())} problems): pass@1 {held.correct[hard_rows].mean():.3f} on the held half; "
    f"on the scored half at N = {binned_n[-1]} best-of-N {half[bon[MAIN_VERIFIER]].at(binned_n[-1])[hard_rows].mean():.3f}, weighted best-of-N "
    f"{half[weighted[MAIN_VERIFIER]].at(binned_n[-1])[hard_rows].mean():.3f}, pass@{binned_n[-1]} {half[ORACLE].at(binned_n[-1])[hard_rows].mean():.3f}, "
    f"and beam search {half[beam_s].at(binned_n[-1])[hard_rows].mean():.3f}.",
    bin_lines,
    *(f"Bin {b} at N = {dvts_top}: DVTS and beam search give the same accuracy on each of its {int((chain_bins == b).sum())} problems "
      f"({res[dvts_s].at(dvts_top)[chain_bins == b].mean():.3f}); no interval to compute." for b in same_bins),
    floor,
    compare_with_paper("snell_beam_hard_low_budget", ours_hard, hard_low.difference, hard_low.lower, hard_low.upper),
    compare_with_paper("snell_beam_hard_low_budget", ours_easy, easy_change_f.difference, easy_change_f.lower, easy_change_f.upper),
    f"Power by bin ({np.bincount(chain_bins)[1:].min()} to {np.bincount(chain_bins)[1:].max()} problems a bin, one run per search), "
    "before Holm's adjustment: " + "; ".join(f"{f.range}: {floor_text if fl else f.power_text()}" for f, fl in zip(bin_family, at_floor))
    + ". Our source (REFERENCES.md) gives no "
    "effect size for Snell et al.'s result, so whether these bins could detect it is not known.",
)

# %% [markdown]
# Along the verifiers' measured step AUC at N = 16: best-of-N and weighted best-of-N over the checker
# and its blurred copies, one kind of verifier (each step between two consecutive AUCs paired over the
# problems). The verifiers that guided a search are of different kinds (a blurred checker, the model's
# confidence, the checker), so no trend along AUC is stated across them: each search against weighted
# best-of-N with the same verifier is given per verifier, as judged in the section's family above.
# Liu et al. compare strategies across policy models and PRMs; their side is named beside each of ours.

# %%
family_v = sorted([v for v in pool_verifiers if v.kind in ("noisy", "step_checker")], key=lambda v: auc[v])
auc_name = {v: f"{v} (AUC {auc[v]:.2f})" for v in pool_verifiers}
rule_trends = [trend([paired_finding(res[rule[v2]].at(16), res[rule[v1]].at(16), a=auc_name[v2], b=auc_name[v1], quantity="accuracy",
                                     range="chains, N = 16") for v1, v2 in zip(family_v, family_v[1:])],
                     quantity=f"{label} accuracy at N = 16") for rule, label in ((bon, "best-of-N"), (weighted, "weighted best-of-N"))]
guided = sorted({v for (m, v), s in searched.items() if 16 in res[s].n}, key=lambda v: auc[v])
per_verifier = [by_n[searched[m, v], weighted[v], 16] for v in guided for m in ("beam_search", "dvts") if (m, v) in searched]
beam_gain = {v: by_n[searched["beam_search", v], weighted[v], 16] for v in guided if ("beam_search", v) in searched}
Summary(
    rule_trends, per_verifier,
    [compare_with_paper("liu_prm_dependence",
                        Setting(f"{chain_model} (one policy) with {auc_name[v]} as verifier", f"the kit's chains ({chain.shape[0]} problems)",
                                f"accuracy of beam search minus weighted best-of-N, both with {v}",
                                f"beam search (M = {BEAM_WIDTH}, one run) against weighted best-of-N with the same verifier", "N = 16"),
                        f.difference, f.lower, f.upper) for v, f in beam_gain.items()],
)

# %% [markdown]
# ## 4. Particle filtering and REBASE: searches that share out N by score
#
# Beam search gives each kept partial solution the same number of children. Two newer searches share
# out the N by score instead, so a good path can get many children and a poor one none. Both ran on the
# chains of Section 3 with the same policy, prompt, temperature and step limits, each with a verifier that
# guided a search of Section 3 (`ttslib search --method particle_filtering` and `--method rebase`; commands
# in data/README.md). Each keeps exactly N candidates per problem:
#
# - **Particle filtering** (Puri et al., arXiv:2502.01618; its_hub's `particle_gibbs` is the reference
#   code). It starts N particles. At each step every unfinished particle is extended by one step. Each
#   particle's weight is the logit of its step scores aggregated over its prefix (`pf_aggregate`: "prod",
#   their product, as in its_hub's example). Then N particles are drawn with replacement from
#   `softmax(weight / T)` (`pf_temperature`, T = 1 as in its_hub). Under "all" (`pf_resample`, its_hub's
#   rule), ended particles are drawn again with the rest, at their final weight. A particle drawn k times
#   continues as k copies that share its prefix. The candidates are the last population, copies
#   included. Particle Gibbs (`pf_iterations` above 1) is in the library; these runs use one iteration.
# - **REBASE** (Wu et al., arXiv:2408.00724; `rebase.py` of thu-wyz/inference_scaling). The width is
#   W = N. At each depth every ended node keeps one unit of width. The unfinished nodes, sorted by score,
#   share the rest greedily: node j gets `ceil(W_j exp(R_j / T) / sum_{k >= j} exp(R_k / T))` children,
#   where `W_j` is the width the nodes before it left and `R` is the last step's score, with T = 0.2
#   (`rebase_temperature`).
#
# The answer of every search is the same weighted vote over its N candidates' last-step scores as in
# Section 3, so that all four searches are judged alike. The runs of Section 3 were made by an earlier version of
# the search code than these: beam search at N = 4 made again with the current code drew other candidates for 217
# of its 600 (compared per problem as sets of completions; data/README.md, `cost/beam4_noisy`). The comparisons below with beam search, DVTS and the
# pool therefore span two versions of the code, whose sampling differs in detail. The next cell reads each run's settings from its
# manifest and checks the policy, prompt, problems, step settings and verifier against the runs of Section 3.

# %%
spread_dir = Path(PARTICLE_DIR)
spread_paths = sorted(spread_dir.glob("*.parquet"))
if not spread_paths:
    raise FileNotFoundError(f"no run in {spread_dir}: this section needs the particle filtering and REBASE runs "
                            "(data/README.md, tools/chain_runs.sh P and Q)")
spread_runs = pd.concat([read_samples(p) for p in spread_paths], ignore_index=True)
spread_manifests = {p.name.removesuffix(".run.json"): json.loads(p.read_text()) for p in sorted(spread_dir.glob("*.run.json"))}
assert set(spread_runs["problem_id"]) == set(pool["problem_id"]), "the particle runs are on other problems than Section 3's"
shared = ("model", "backend", "template", "delimiter", "grade_style", "problems_sha256")
step_settings = ("temperature", "top_p", "max_steps", "max_step_tokens", "seed")
for run_name, m in spread_manifests.items():  # the same policy, prompt, problems and step settings as the runs of Section 3
    assert all(m[k] == manifests[0][k] for k in shared), f"{run_name}: not the setting of Section 3's runs"
    assert all(m["search"][k] == manifests[0]["search"][k] for k in step_settings), f"{run_name}: other step settings than Section 3's"
    assert m["verifier"] in {mm["verifier"] for mm in manifests if mm["search"]["method"] != "sampling"}, f"{run_name}: a verifier no search of Section 3 used"
    assert m["verifier"] != MAIN_VERIFIER.label or m["verifier_settings"]["seed"] == 0  # the noisy verifier with noise seed 0, as MAIN_AUC's
spread_settings = pd.DataFrame([{"run": run_name, "problems": m["num_problems"]} | {k: v for k, v in m["search"].items() if k not in step_settings}
                                for run_name, m in spread_manifests.items()]).set_index("run")
assert set(spread_settings["method"]) == {"particle_filtering", "rebase"}
assert (spread_settings.query("method == 'rebase'")["rebase_temperature"] == 0.2).all()  # "T = 0.2"
pf_rows = spread_settings.query("method == 'particle_filtering'")
assert (pf_rows["pf_aggregate"] == "prod").all() and (pf_rows["pf_temperature"] == 1).all()  # "prod", "T = 1"
assert (pf_rows["pf_resample"] == "all").all() and (pf_rows["pf_iterations"] == 1).all()  # "all", "one iteration"
# Section 3's beam search at N = 4 made again by the current code (data/README.md, `cost/beam4_noisy`): the
# candidates of the old run that the new one did not draw, per problem as multisets of completions
beam4_old = read_samples(Path(CHAIN_DIR) / "beam4_noisy.parquet")
beam4_new = read_samples(Path(DATA_DIR) / "cost" / "beam4_noisy.parquet")
new_of = beam4_new.groupby("problem_id")["completion"].agg(Counter)
redrawn = sum((Counter(g) - new_of[pid]).total() for pid, g in beam4_old.groupby("problem_id")["completion"])
assert redrawn == 217 and len(beam4_old) == 600  # "other candidates for 217 of its 600"
spread_settings.astype(object).where(spread_settings.notna(), "")  # a blank: a setting the method does not have

# %% [markdown]
# Each search's accuracy and FLOPs per problem at each N it ran, beside weighted best-of-N on the pool
# with the verifier that guided it. FLOPs are counted as in Section 3: the prompt once, then every token
# sampled in the tree. A particle drawn twice shares its prefix, so the prefix is counted once.

# %%
spread = res.merge(search_strategies(spread_runs, model=FLOPS_MODEL, verifiers=pool_verifiers))
spread_s = {(s.method, s.verifier): s for s in spread if s.method in ("particle_filtering", "rebase")}
guided_by = sorted({v for _, v in spread_s}, key=lambda v: auc[v])
name |= {s: strategy_label(s) for s in spread}
flops_at |= {(s, n): spread.cost(s, "flops").mean(0)[spread[s].column(n)] for s in spread_s.values() for n in spread[s].n}
side_by_side = [s for v in guided_by for s in (weighted[v], searched.get(("beam_search", v)), searched.get(("dvts", v)),
                                                spread_s.get(("particle_filtering", v)), spread_s.get(("rebase", v))) if s is not None]
spread_ns = sorted({int(n) for s in spread_s.values() for n in spread[s].n})
pd.DataFrame([{"strategy": name[s], "N": n, "accuracy": spread[s].accuracy_at(n), "FLOPs per problem": f"{flops_at[s, n]:.3e}"}
              for s in side_by_side for n in spread_ns if n in spread[s].n]).set_index(["strategy", "N"]).round(3)

# %% [markdown]
# ### At equal FLOPs
#
# A search at N costs more or less than N pool samples, depending on how long its candidates run. To
# compare at equal compute, each search is set against weighted best-of-N at the largest n whose mean
# FLOPs per problem over the pool are at most the search's. n can be any whole number up to the pool's
# N here, not only a power of two. Weighted best-of-N at that n is computed over n-subsets of the pool, as
# in Section 3. The sampling side never spends more than the search.

# %%
all_ns = np.arange(1, chain.shape[1] + 1)
pool_flops = sampling_cost(chain.completion_tokens, all_ns, prompt_tokens=chain.prompt_tokens, model=FLOPS_MODEL).mean(0)
equal_n = {(s, n): int(all_ns[pool_flops <= flops_at[s, n]].max()) for s in spread_s.values() for n in spread[s].n
           if (pool_flops <= flops_at[s, n]).any()}
assert len(equal_n) == sum(len(spread[s].n) for s in spread_s.values())  # every search run buys at least one pool sample
at_equal = pool_strategies(chain, verifiers=guided_by, ns=sorted(set(equal_n.values())), model=FLOPS_MODEL, num_draws=NUM_DRAWS, seed=SEED)
pd.DataFrame([{"search": name[s], "N": n, "FLOPs": f"{flops_at[s, n]:.3e}", "pool n at equal FLOPs": k,
               "its FLOPs": f"{pool_flops[k - 1]:.3e}", "search accuracy": spread[s].accuracy_at(n),
               "weighted best-of-N at that n": at_equal[weighted[s.verifier]].accuracy_at(k)}
              for (s, n), k in equal_n.items()]).set_index(["search", "N"]).round(3)

# %% [markdown]
# ### Accuracy vs FLOPs with the noisy verifier of the main comparison
#
# As in Section 3: weighted best-of-N on the pool is a line over its powers of two. Each search run is a
# marker with its 95% bootstrap interval over problems as a bar. Runs at nearly the same FLOPs are set a
# few per cent apart sideways, which can put a cheaper run to the right of a dearer one: the tables above
# give each run's FLOPs. Each strategy has one marker shape in every figure, and DVTS's run at N = M is not
# drawn.

# %%
flops_drawn = [weighted[MAIN_VERIFIER], beam_s, dvts_s, *(spread_s[m, MAIN_VERIFIER] for m in ("particle_filtering", "rebase")
                                                          if (m, MAIN_VERIFIER) in spread_s)]
drawn_ns |= {s: [int(n) for n in spread[s].n] for s in flops_drawn if s not in drawn_ns}
flops_labels = [main.get(s) or f"{strategy_label(s.method)} ({s.scheme})" for s in flops_drawn]  # the title names the verifier
cut = {s: spread.take(strategies=[s], ns=drawn_ns[s]) for s in flops_drawn}
spread_bands = [selection_curve(cut[s][s], n_boot=N_BOOT, seed=SEED) for s in flops_drawn]
ax = plot_vs_flops([cut[s].cost(s, "flops").mean(0) for s in flops_drawn], [b.accuracy for b in spread_bands],
                   lower=[b.lower for b in spread_bands], upper=[b.upper for b in spread_bands], labels=flops_labels,
                   palette=[strategy_color(s) for s in flops_drawn], ylabel="accuracy", budgets=[drawn_ns[s] for s in flops_drawn],
                   xlabel="inference FLOPs per problem" + ("\n(beam search and DVTS: attention term estimated, see Section 3)" if res.notes else ""))
ax.set_title(f"chains: four searches and weighted best-of-N, verifier {MAIN_VERIFIER}", fontsize="small")
savefig(ax.figure, "03_particles_flops", directory=FIGURES_DIR)

# %% [markdown]
# ### What this section shows
#
# Three families, each judged together (Holm's adjustment within it). At equal N: each of the two searches
# against weighted best-of-N with the same verifier, and against beam search with the same verifier where
# beam search ran at that N. At equal FLOPs: each of the two searches against weighted best-of-N at the
# n the table above gives, where that n is not N (where it is, the comparison is the equal-N one above, not
# repeated). Budget: particle filtering at N against DVTS at `RATE_LOW` times N with the same verifier, the
# form of Puri et al.'s scaling rate (the budget DVTS needs to match particle filtering). Then the papers'
# statements beside ours, with both settings named.

# %%
vs_n = [(s, weighted[s.verifier], int(n)) for s in spread_s.values() for n in spread[s].n]
vs_n += [(s, searched["beam_search", s.verifier], int(n)) for s in spread_s.values() for n in spread[s].n
         if ("beam_search", s.verifier) in searched and n in res[searched["beam_search", s.verifier]].n]
spread_family = family([paired_finding(spread[a].at(n), spread[b].at(n), a=name[a], b=name[b], quantity="accuracy",
                                       range=f"chains, N = {n}, equal N, one run per search") for a, b, n in vs_n])
flops_pairs = {(s, n): k for (s, n), k in equal_n.items() if k != n}  # where k = N the equal-N family has it
flops_family = family([paired_finding(spread[s].at(n), at_equal[weighted[s.verifier]].at(k), a=f"{name[s]} at N = {n}",
                                      b=f"{name[weighted[s.verifier]]} at n = {k}", quantity="accuracy",
                                      range=f"chains, equal FLOPs ({flops_at[s, n]:.2e} against {pool_flops[k - 1]:.2e} per problem)")
                       for (s, n), k in flops_pairs.items()]) if flops_pairs else []
spread_pairs = dict(zip(vs_n, spread_family))
same_as_n = {(s, n): spread_pairs[s, weighted[s.verifier], n] for (s, n), k in equal_n.items() if k == n}
pf_main, dvts_main = spread_s.get(("particle_filtering", MAIN_VERIFIER)), searched.get(("dvts", MAIN_VERIFIER))
budget_pairs = [(int(n), int(RATE_LOW * n)) for n in (spread[pf_main].n if pf_main is not None else [])
                if dvts_main is not None and RATE_LOW * n in res[dvts_main].n]  # particle filtering at N, DVTS at RATE_LOW x N
budget_family = family([paired_finding(spread[pf_main].at(n), res[dvts_main].at(m), a=f"{name[pf_main]} at N = {n}",
                                       b=f"{name[dvts_main]} at N = {m}", quantity="accuracy",
                                       range=f"chains, DVTS at {RATE_LOW:g} times particle filtering's N, one run per search and N")
                        for n, m in budget_pairs]) if budget_pairs else []
paper_rows = []
for f, (n, m) in zip(budget_family, budget_pairs):  # every budget pair, the paper's row beside each
    paper_rows.append(compare_with_paper(
        "puri_pf_scaling_rate",
        Setting(f"{chain_model} with {auc_name[MAIN_VERIFIER]} as verifier", f"the kit's chains ({chain.shape[0]} problems)",
                f"accuracy of particle filtering at N minus DVTS at {RATE_LOW:g} N (the paper's low end predicts no less than 0)",
                f"particle filtering ({pf_main.scheme}; answer by weighted vote) against the kit's DVTS (M = {BEAM_WIDTH}), the same "
                "verifier, one run each per N", f"N = {n} against {m}; judged with its family of {f.family_size}: {f.verdict}"),
        f.difference, f.lower, f.upper))
not_shown = [f for f in [*spread_family, *flops_family, *budget_family]
             if f.verdict == "not shown" and not f.few_differ and np.isfinite(f.detectable)]  # those with a power statement
Summary(
    spread_family,
    flops_family,
    budget_family,
    paper_rows,
    (f"Power: the {len(not_shown)} comparisons not shown could have detected, at 80% power, differences from "
     f"{min(f.detectable for f in not_shown):.3f} to {max(f.detectable for f in not_shown):.3f} in accuracy before Holm's adjustment "
     "(each finding also states it at Holm's first threshold); smaller effects remain possible. Neither paper states its effect as an "
     "accuracy difference at equal N on one model (Puri et al. give a ratio of budgets), so whether these runs could have detected "
     "an effect of the papers' size cannot be said." if not_shown else "Power: no comparison above is not shown."),
    "REBASE's Table 1 (Wu et al., arXiv:2408.00724: Llemma-7B with REBASE at 32 samples, 46.8%, against Llemma-34B sampling at 64, "
    "46.7%, on MATH500) compares two models, which a study of one model cannot repeat. The paper's comparisons of REBASE with weighted "
    "voting on one model are not in the kit's reference list (references.csv), so no paper row is set beside the REBASE findings.",
)

# %% [markdown]
# ## 5. Code: the docstring examples as a verifier, against the hidden tests
#
# A verifier with false positives, such as a problem's visible examples, can pick a wrong program that
# passes them. How far below pass@n does best-of-n by the examples stay on the kit's HumanEval samples,
# for each of two models?
#
# HumanEval has both: the hidden tests (`is_correct`) and the examples in each docstring, which the
# kit runs as a second, weaker test set (`score`: the share of a program's examples it passes). Here
# best-of-n picks the sample with the most examples passed (ties split evenly), computed exactly over
# all n-subsets (`ttslib.selection.best_of_n`), and is judged by the hidden tests; coverage (pass@n) is
# what an exact verifier would pick. Problems whose docstring has no examples to parse give the
# examples-verifier nothing to go on and are left out of this section.

# %%
code_sel, code_stats = {}, {}
for path in (CODE_SAMPLES.values() if isinstance(CODE_SAMPLES, dict) else CODE_SAMPLES):  # a list, or {name: path} as 01 and 02 take
    table = read_samples(path)
    assert table["model"].nunique() == 1, f"{path}: one model per table expected, got {table['model'].unique().tolist()}"
    model = str(table["model"].iloc[0])  # the model as the table records it
    ids, hidden = correct_matrix(table, "is_correct")
    _, examples = correct_matrix(table, "score")
    has = ~np.isnan(examples).any(axis=1)  # problems with parsable docstring examples
    hidden, examples = hidden[has].astype(bool), examples[has]
    passes = examples == 1.0  # every example passed
    code_sel[model] = {"pass@n (hidden tests)": oracle(hidden), "best-of-n by examples": best_of_n(hidden, examples)}
    code_stats[model] = {
        "problems": int(ids.size), "with examples": int(has.sum()), "samples passing the examples": int(passes.sum()),
        "... and the hidden tests": int((passes & hidden).sum()), "false positives": int((passes & ~hidden).sum()),
        "precision": (passes & hidden).sum() / passes.sum(), "hidden-test passes failing an example": int((hidden & ~passes).sum()),
        "problems with a false positive": int((passes & ~hidden).any(axis=1).sum()),
        "... and a right program": int(((passes & ~hidden).any(axis=1) & hidden.any(axis=1)).sum()),
    }
code_n = min(s["pass@n (hidden tests)"].n.max() for s in code_sel.values())
assert all(8 in s["best-of-n by examples"].n for s in code_sel.values())  # "at n = 8"
pd.DataFrame(code_stats).T

# %%
fig, axes = plt.subplots(1, len(code_sel), figsize=(5 * len(code_sel), 3.8), sharey=True)
for ax, (model, sel) in zip(np.atleast_1d(axes), code_sel.items()):
    plot_selection([selection_curve(s, n_boot=N_BOOT, seed=SEED) for s in sel.values()], labels=list(sel), ax=ax, legend=False)
    ax.axhline(sel["pass@n (hidden tests)"].accuracy_at(1), color="0.6", lw=0.8, ls=":", label="pass@1 (a random pick)")
    ax.set_title(f"HumanEval, {model}")
figure_legend(fig)  # one legend beside both panels
savefig(fig, "03_humaneval_examples_verifier", directory=FIGURES_DIR)

# %% [markdown]
# ### What this section shows
#
# Per model, paired over the problems with examples: coverage against best-of-n by the examples at
# n = 8 and at the largest n, and best-of-n by the examples against a random pick (pass@1) at the largest
# n, the six judged together; and the counts of false positives. At the largest n best-of-n by examples
# is its own ceiling on these samples: each problem's share of right programs among those passing every
# example (the limit of best-of-n for n without bound, estimated from the samples drawn).

# %%
code_pairs = [(model, "pass@n (hidden tests)", "best-of-n by examples", n, n) for model in code_sel for n in (8, code_n)]
code_pairs += [(model, "best-of-n by examples", "pass@n (hidden tests)", code_n, 1) for model in code_sel]
code_family = family([paired_finding(code_sel[m][a].at(na), code_sel[m][b].at(nb), a=f"{a} at n = {na}",
                                     b=f"{b} at n = {nb}" if b != "pass@n (hidden tests)" or nb != 1 else "pass@1 (a random pick)",
                                     quantity="accuracy by the hidden tests", range=f"HumanEval, {m}")
                      for m, a, b, na, nb in code_pairs])
Summary(
    [f"{m}: {s['with examples']} of {s['problems']} problems with examples; {s['false positives']} of the {s['samples passing the examples']} "
     f"samples that pass every example fail the hidden tests (precision {s['precision']:.2f}); {s['hidden-test passes failing an example']} "
     f"samples that pass the hidden tests fail an example; {s['problems with a false positive']} problems have a false positive, "
     f"{s['... and a right program']} of them also a right program." for m, s in code_stats.items()],
    [f.sentence(5) for f in code_family],  # 5 decimals: differences below 0.001 print as what they are
    "Means and differences are rounded each on its own: a printed difference can differ from the difference of the printed means "
    "in its last digit.",
)
