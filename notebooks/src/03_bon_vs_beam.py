# %% [markdown]
# # 03 · Best-of-N against beam search: picking one of N samples, or searching step by step
#
# **Main result: Section 3**, sampling N whole solutions and picking one against beam search and DVTS
# guided by a step verifier, on the kit's multi-step chains (accuracy vs N, by difficulty, vs FLOPs and
# vs verifier quality). The two sections before it set out the selection rules it uses.
#
# **Question.** Coverage (notebook 01) counts a problem as solved if *any* of n samples is right:
# it needs an oracle. Without one, a rule must pick one answer: the most frequent (majority
# vote), the one a verifier scores highest (best-of-N), or the answer with the largest summed
# score (weighted best-of-N). How accurate is each rule at every budget n <= N, and how far below
# the oracle does it stay?
#
# **Reproduces** the shape of the rule comparisons in Lightman et al. 2023 (arXiv:2305.20050,
# Fig. 3: best-of-N with a reward model vs majority vote), Snell et al. 2024 (arXiv:2408.03314,
# Sec. 5) and the Hugging Face blog / search-and-learn: majority vote plateaus, best-of-N follows
# the verifier's quality, weighted best-of-N lies between the two; and the blog's central
# comparison (Section 3 below): sampling N whole solutions and picking one, against searching step by
# step with a process reward model (beam search, DVTS), on multi-step problems the kit makes.
#
# **Method.** Every value is the expectation over *all* size-n subsets of the N samples, computed
# exactly (`ttslib.selection`): best-of-N by order statistics, majority vote by a generating
# function over answers; weighted best-of-N is exact by enumeration only for N <= 16, so here it
# is a Monte Carlo estimate with its standard error. Published code instead draws a few hundred
# random subsets per n (`benchmarks/bench_selection.py` compares the two). Ties are split evenly;
# a sample with no answer never wins a vote. Bands: 95% bootstrap over problems.

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
CHAIN_POOL = "pool64"  # the pool's file name in CHAIN_DIR (N whole solutions per problem, sampled step by step)
CHAIN_PER_LEVEL, CHAIN_SEED = 15, 0  # the chain problem set the runs used (ttslib.problems.make_chains)
MAIN_AUC = 0.80  # the verifier of the main comparison: the exact step checker blurred to this ROC AUC (noise seed 0)
BEAM_WIDTH = 4  # M of the search runs
POOL_AUCS = (0.6, 0.7, 0.8, 0.9, 0.99)  # noisy verifiers scored on the pool for the verifier-quality figure
FLOPS_MODEL = "SmolLM2-135M"  # the policy, in ttslib.flops' registry
CODE_SAMPLES = {  # HumanEval sample tables: is_correct by the hidden tests, score = share of docstring examples passed
    "SmolLM2-135M": "../data/code/humaneval_smollm2.parquet",
    "gemma-3-270m": "../data/code/humaneval_gemma3.parquet",
}

# %%
import inspect
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ttslib.compare import paired_difference
from ttslib.data import correct_matrix, read_samples
from ttslib.plotting import savefig, sequential_palette, strategy_color, strategy_label, use_theme
from ttslib.plotting.flops import plot_vs_flops
from ttslib.plotting.selection import plot_selection
from ttslib.policy import Strategy, VerifierSpec, difficulty_bins
from ttslib.problems import make_chains
from ttslib.selection import best_of_n, log2_budgets, majority_vote, oracle, selection_curve, weighted_vote
from ttslib.strategies import make_verifier, pool_arrays, pool_strategies, score_pool, search_strategies, step_auc
from ttslib.synthetic import synthetic_samples, verifier_auc

use_theme()  # the kit's look: seaborn theme, fixed colours per strategy and per model size
ORACLE, MAJORITY = Strategy("oracle"), Strategy("majority")  # strategies are records (ttslib.policy.Strategy)
CHECKER, CONFIDENCE, MAIN_VERIFIER = VerifierSpec.step_checker(), VerifierSpec.confidence(), VerifierSpec.noisy(MAIN_AUC)

# %% [markdown]
# ## 1. Synthetic samples and a verifier of known quality
#
# `ttslib.synthetic.synthetic_samples` draws them. Each problem has a success rate p ~ Beta(0.6, 1.2).
# A correct sample gives the right answer (class 0); a wrong one gives one of 10 wrong answers, drawn
# from a problem-specific mix (Dirichlet(0.5): on some problems one wrong answer dominates and outvotes
# the right one), and 5% of samples have no extracted answer. The verifier's score is a probability,
# `expit(d' * (correct - 1/2) + noise)` with standard normal noise: `d'` sets its quality, its AUC (the
# chance that it ranks a random correct sample above a random wrong one) is `Phi(d' / sqrt(2))`.
# `d' = 0` is a verifier that knows nothing.

# %%
drawn = synthetic_samples(SYN_PROBLEMS, SYN_SAMPLES, DPRIMES, seed=SEED)  # the model above
defaults = {k: v.default for k, v in inspect.signature(synthetic_samples).parameters.items()}
assert (defaults["alpha"], defaults["beta"], defaults["num_wrong"], round(100 * defaults["no_answer"])) == (0.6, 1.2, 10, 5)  # 5% no answer
syn_correct, syn_answers, syn_scores = drawn.correct, drawn.answers, drawn.scores  # (P, N), (P, N), {d': (P, N)}
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
    plot_selection([selection_curve(s, n_boot=N_BOOT, seed=SEED) for s in rules], ax=ax)
    ax.set_title(f"synthetic, verifier d' = {d} (AUC {verifier_auc(d):.2f})")
savefig(fig, "03_synthetic_rules", directory=FIGURES_DIR)

# %% [markdown]
# Every rule stays below pass@n: the gap is what a better selector could still gain from the same
# samples. Majority vote gains only on problems where the right answer is the most frequent one,
# so it levels off early. Best-of-N gains from every extra sample here, even with the weak
# verifier, because this verifier's errors are independent from sample to sample; with the good
# one it follows the oracle. Weighted best-of-N lies in between: a summed score still lets a
# frequent wrong answer outweigh a rare right one. Real verifiers err in correlated ways (the same
# wrong solution scored high again and again), which is where published curves see reward-model
# selection flatten like majority vote (Llama-3-8B on MATH: flat after about a hundred samples while
# coverage goes on rising, arXiv:2407.21787).
#
# ### Best-of-N as the verifier improves
#
# As d' grows the curve moves from pass@1 towards pass@n. With `d' = 0` the scores are pure noise:
# in expectation over the noise best-of-N is then pass@1, slightly raised because it never picks a
# sample without an answer; this one draw of noise wanders around that (most at n = N, where the
# choice is one fixed sample per problem). A constant verifier gives pass@1 exactly at every n.

# %%
curves = [selection_curve(syn["oracle"], n_boot=N_BOOT, seed=SEED)]
curves += [selection_curve(syn[("best_of_n", d)], n_boot=N_BOOT, seed=SEED) for d in DPRIMES]
colors = [strategy_color("oracle"), *sequential_palette(len(DPRIMES))]
labels = ["pass@n (oracle)", *[f"best-of-N, d' = {d} (AUC {verifier_auc(d):.2f})" for d in DPRIMES]]
ax = plot_selection(curves, labels=labels, colors=colors)
ax.set_title("synthetic: best-of-N vs verifier quality")
savefig(ax.figure, "03_verifier_quality", directory=FIGURES_DIR)
# what the text says: a knowing-nothing verifier stays near pass@1 and ends below majority vote
assert np.all(np.abs(syn[("best_of_n", 0.0)].accuracy - syn["oracle"].accuracy[0]) < 0.03)
assert syn[("best_of_n", 0.0)].accuracy[-1] < syn["majority"].accuracy[-1]
assert np.all(np.abs(syn[("best_of_n", 0.5)].accuracy - syn["majority"].accuracy) < 0.04)  # "about level" at d' = 0.5

# %% [markdown]
# ### Exact vs Monte Carlo
#
# The same majority vote by Monte Carlo (the published method, vectorised): it agrees with the exact
# values to within its standard error, and the exact values carry no such error.

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
# ## 2. The kit's own samples
#
# `OWN_SAMPLES` is a sample table made by this kit: SmolLM2-135M-Instruct on the graded arithmetic
# set (`ttslib.problems.make_arithmetic`, difficulty `level`), N samples per problem. Until real
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
SHIPPED_OWN = Path(OWN_SAMPLES).resolve() == Path("../data/arith_smollm2.parquet").resolve()  # the prose speaks of that run
own_pool = pool_arrays(own)  # (P, N) arrays; answers by canonical key, score the model's confidence
own_correct, own_classes, own_level = own_pool.correct, own_pool.classes, own_pool.level
pd.Series(
    {
        "problems x samples": f"{own_correct.shape[0]} x {own_correct.shape[1]}",
        "levels": f"{own_level.min()}..{own_level.max()}",
        "pass@1": f"{own_correct.mean():.3f}",
        "samples without an answer": f"{(own_classes < 0).mean():.3f}",
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
# The model's confidence is a verifier of unknown quality: where best-of-N stays near pass@1 it
# carries little signal about correctness; where it climbs, it does. Majority vote needs no
# verifier at all. By difficulty level (a few dozen problems per panel, so wide bands):

# %%
levels = np.unique(own_level)
fig, axes = plt.subplots(2, (len(levels) + 1) // 2, figsize=(2.6 * ((len(levels) + 1) // 2), 5.2), sharex=True, sharey=True)
for ax, level in zip(axes.flat, levels):
    rows = own_level == level
    plot_selection([selection_curve(s.take(rows), n_boot=N_BOOT, seed=SEED) for s in own_sel.values()], ax=ax)
    ax.set_title(f"level {level}", fontsize="small")
    ax.set_xlabel("")
    ax.set_ylabel("")
    if ax is not axes.flat[0]:
        ax.get_legend().remove()
for ax in axes.flat[len(levels) :]:
    ax.set_visible(False)
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
# ## 3. Step-level search on the kit's chains: best-of-N against beam search and DVTS
#
# One-line sums have no steps to search over, so the kit makes chains (`"3 + 4 - 2"`, ten levels of
# length and operand size: `ttslib.problems.make_chains`), solved one operation per line and a last
# line "Answer: N". The policy is SmolLM2-135M at temperature `T = 0.8` (asserted from the runs'
# manifests below) with a few-shot prompt. The verifiers score
# each step (`ttslib.verifiers`): the exact step checker (a perfect PRM for this task), noisy copies of
# it with a set ROC AUC, and the model's own confidence (the geometric-mean probability of the step's
# tokens). The pool holds N whole solutions per problem, sampled step by step with nothing pruned;
# best-of-N, weighted best-of-N and majority vote are computed exactly over its n-subsets (weighted:
# Monte Carlo). Beam search (N beams, width `M = 4`: keep the N/M best partial solutions by the last
# step's score, sample M next steps from each) and DVTS (N/M independent subtrees, each keeping its
# single best) ran once per N (`ttslib.search`, `ttslib search` on the command line); each keeps exactly
# N candidates, and the answer is the weighted vote of their last-step scores, as in the HF blog.

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
assert all(m["search"]["beam_width"] == BEAM_WIDTH for m in manifests if m["search"]["method"] != "sampling")  # M = 4
assert {m["search"].get("dvts_variant", "kit") for m in manifests if m["search"]["method"] == "dvts"} == {"kit"}  # the DVTS the text names
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
pd.concat([auc.round(3), pd.Series({"steps": steps.size, "right steps": int((steps > 0.5).sum()),
                                    "pass@1": round(chain.correct.mean(), 3)}, name="pool")], axis=1).T

# %% [markdown]
# Every strategy (`ttslib.policy.Strategy`: method, verifier, beam width M, ...), its accuracy at each N:

# %%
def weighted(verifier):  # weighted best-of-N with a verifier: the strong sampling baseline
    return Strategy("weighted", verifier)


def searched(method, verifier):  # a search run's strategy: M = BEAM_WIDTH, no lookahead, the kit's DVTS
    return Strategy(method, verifier, beam_width=BEAM_WIDTH)


searches = res.find(beam_width=BEAM_WIDTH)  # the search strategies
res.accuracy().round(3)

# %% [markdown]
# Each search against weighted best-of-N with the same verifier at the same N, paired over the chains
# (`ttslib.compare.paired_difference`, 95%; the verdict follows from the interval alone):

# %%
vs_sampling = pd.DataFrame([
    {"search": s.label, "N": int(n), "search accuracy": res[s].accuracy_at(n), "weighted best-of-N": res[weighted(s.verifier)].accuracy_at(n),
     "difference": str(d := res.difference(s, weighted(s.verifier), n)), "lower": d.lower, "verdict": d.verdict}
    for s in searches for n in res[s].n
]).set_index(["search", "N"])
vs_sampling.round(3)

# %% [markdown]
# ### The main comparison: accuracy vs N with the AUC 0.8 verifier

# %%
assert make_verifier(MAIN_VERIFIER).auc == 0.8  # the verifier of the heading
main = {Strategy("oracle"): "pass@N (oracle)", Strategy("majority"): "majority vote", Strategy("best_of_n", MAIN_VERIFIER): "best-of-N",
        weighted(MAIN_VERIFIER): "weighted best-of-N"}
main |= {searched(m, MAIN_VERIFIER): label for m, label in (("beam_search", f"beam search (M = {BEAM_WIDTH})"), ("dvts", f"DVTS (M = {BEAM_WIDTH})"))
         if searched(m, MAIN_VERIFIER) in res}
main_labels = list(main.values())
ax = plot_selection([selection_curve(res[s], n_boot=N_BOOT, seed=SEED) for s in main], labels=main_labels)
ax.set_xlabel("N (samples, or beams)")
ax.set_title(f"chains, SmolLM2-135M, verifier {MAIN_VERIFIER} (measured AUC {auc[MAIN_VERIFIER]:.2f})", fontsize="small")
savefig(ax.figure, "03_search_vs_bon", directory=FIGURES_DIR)

# %% [markdown]
# ### By difficulty: five bins of pass@1 (Snell et al.'s oracle bins; bin 1 easiest)
#
# Binned on samples the rules are not scored on: each problem's 64 pool samples are split at random,
# half set its bin (pass@1 of those 32), and the sampling rules are scored on the other half, so up to
# N = 32 here; the search runs are separate runs and keep their N = 4 and 16. (Bins from the same samples
# that score the rules would put into the hardest bin the problems these samples failed most, lowering
# the rules there and flattering the search.)

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
    plot_selection([selection_curve(half[s].take(rows), n_boot=N_BOOT, seed=SEED) for s in main], labels=main_labels, ax=ax)
    ax.set_title(f"bin {b}: pass@1 {held.correct[rows].mean():.2f}, {rows.sum()} problems", fontsize="small")
    ax.set_xlabel("N")
    if b > 1:
        ax.get_legend().remove()
fig.suptitle("bins and pass@1 from a held-apart half of the pool; the sampling rules scored on the other half", fontsize="small", y=1.02)
savefig(fig, "03_search_by_bin", directory=FIGURES_DIR)
by_bin = pd.DataFrame({label: pd.DataFrame(half[s].per_problem, columns=half[s].n).groupby(chain_bins).mean().stack()
                       for s, label in main.items()}).rename_axis(["bin", "N"])
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
# strategy grow by the same factor (policy plus verifier parameters, over the policy's) and the order on
# this figure stays (majority vote, reading nothing, moves left of them). A PRM without a prefix cache
# re-reads each partial solution at every step, which costs search more.

# %%
compute = [s for s in main if s.method != "oracle"]
flops = [res.cost(s, "flops").mean(0) for s in compute]
ax = plot_vs_flops(flops, [res[s].accuracy for s in compute], labels=[main[s] for s in compute], ylabel="accuracy", marker="o")
ax.set_title("chains: accuracy vs inference FLOPs per problem", fontsize="small")
savefig(ax.figure, "03_search_flops", directory=FIGURES_DIR)
print("\n".join(res.notes))
pd.DataFrame({main[s]: pd.Series(f, index=res[s].n) for s, f in zip(compute, flops)}).rename_axis("N").map("{:.2e}".format)

# %% [markdown]
# ### Accuracy vs verifier quality at N = 16
#
# Best-of-N and weighted best-of-N on the pool with every verifier (x: its measured AUC), and each
# search run at N = 16 with the verifier that guided it. Lines join one family of verifiers, the exact
# step checker and its blurred copies; the model's confidence, another kind of verifier, is an open
# square with its name.

# %%
assert 16 in chain_ns
quality = pd.DataFrame([{"verifier": s.verifier, "AUC": auc[s.verifier], "strategy": s.method, "accuracy": res[s].accuracy_at(16)}
                        for s in res if s.verifier in auc and 16 in res[s].n])
fig, ax = plt.subplots(figsize=(5.5, 3.6))
blurred = quality["verifier"].map(lambda v: v.kind in ("noisy", "step_checker"))  # one family: the checker and its blurred copies
for strategy, g in quality[blurred].sort_values("AUC", kind="stable").groupby("strategy", sort=False):
    ax.plot(g["AUC"], g["accuracy"], "o-", color=strategy_color(strategy), label=strategy_label(strategy), ms=4)
for strategy, g in quality[~blurred].groupby("strategy", sort=False):  # another family: a marker each, named
    ax.plot(g["AUC"], g["accuracy"], "s", color=strategy_color(strategy), ms=5, mfc="none")
    for _, r in g.iterrows():
        ax.annotate(str(r["verifier"]), (r["AUC"], r["accuracy"]), xytext=(4, -3), textcoords="offset points", fontsize="x-small",
                    color=strategy_color(strategy))
ax.axhline(res[MAJORITY].accuracy_at(16), color=strategy_color("majority"), lw=1, ls=":", label="majority vote (no verifier)")
ax.axhline(res[ORACLE].accuracy_at(16), color=strategy_color("oracle"), lw=1, ls="--", label="pass@16 (oracle)")
ax.set_xlabel("verifier ROC AUC on the pool's steps")
ax.set_ylabel("accuracy at N = 16")
ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1, 1))
savefig(fig, "03_search_verifier_quality", directory=FIGURES_DIR)
quality.pivot_table(index=["verifier", "AUC"], columns="strategy", values="accuracy").round(3)

# %% [markdown]
# ### What this section shows
#
# Each sentence below is formatted from the tables above; the HF blog's findings (beam search ahead
# at small N and on hard problems; best-of-N and DVTS catching up at large N on easy ones) are each
# checked and said to hold or not on these data.

# %%
bon, beam_s, dvts_s = Strategy("best_of_n", MAIN_VERIFIER), searched("beam_search", MAIN_VERIFIER), searched("dvts", MAIN_VERIFIER)
beam, dvts_sel = (res[s] if s in res else None for s in (beam_s, dvts_s))
lines = [f"- The pool: pass@1 {chain.correct.mean():.3f}, pass@{chain_ns[-1]} {res[ORACLE].accuracy[-1]:.3f}; "
         f"majority vote reaches {res[MAJORITY].accuracy[-1]:.3f} and best-of-N with {MAIN_VERIFIER} "
         f"{res[bon].accuracy[-1]:.3f} at N = {chain_ns[-1]}."]
if beam is not None:
    for n in beam.n:
        lines.append(f"- N = {n}: beam search {beam.accuracy_at(n):.3f} against best-of-N {res[bon].accuracy_at(n):.3f}"
                     + (f" and DVTS {dvts_sel.accuracy_at(n):.3f}" if dvts_sel is not None and n in dvts_sel.n else "") + ".")
    small = int(beam.n.min())
    ahead_small = res.difference(beam_s, bon, small)
    hard = by_bin.loc[5]
    binned_n = [int(n) for n in beam.n if n <= half_ns[-1]]  # the N the by-bin comparison has (rules on half the pool)
    hard_diff = {n: half.difference(beam_s, bon, n, rows=chain_bins == 5) for n in binned_n}
    ahead_hard = all(d.verdict == "ahead" for d in hard_diff.values())
    lines.append(f"- Beam search minus best-of-N at the smallest N ({small}): {ahead_small} ({ahead_small.verdict}). "
                 f"In the hardest bin (bin 5, pass@1 {held.correct[chain_bins == 5].mean():.2f} on the held half), paired over its "
                 f"{int((chain_bins == 5).sum())} problems: " + ", ".join(f"N = {n} {d} ({d.verdict})" for n, d in hard_diff.items())
                 + f"; ahead at every N searched up to {binned_n[-1]}: {'holds' if ahead_hard else 'not shown'}.")
    big = binned_n[-1]
    if big > small:
        easy = {n: half.difference(beam_s, weighted(MAIN_VERIFIER), n, rows=chain_bins == 1) for n in (small, big)}
        lines.append(f"- On the easiest bin, beam search minus weighted best-of-N is {easy[small]} at N = {small} and {easy[big]} "
                     f"at N = {big}: the sampling rules catching up at large N on easy problems is "
                     + ("shown" if (easy[big].mean < easy[small].mean and easy[big].verdict != "ahead" and easy[small].verdict == "ahead")
                        else "not shown") + " (the two intervals overlap)" * (easy[big].upper >= easy[small].lower) + ".")
    if dvts_sel is not None and dvts_sel.n.max() > beam.n.min():
        both = [int(n) for n in dvts_sel.n if n in beam.n and n > beam.n.min()]
        diff = {n: res.difference(dvts_s, beam_s, n) for n in both}
        top = both[-1]
        per_bin = pd.Series(res[dvts_s].at(top) - res[beam_s].at(top)).groupby(chain_bins).mean()
        lines.append("- DVTS minus beam search (the HF blog: DVTS ahead at large N, most on easy and medium problems): "
                     + ", ".join(f"N = {n} {d} ({d.verdict})" for n, d in diff.items())
                     + f"; by bin at N = {top}: " + ", ".join(f"{b} {v:+.3f}" for b, v in per_bin.items()) + "."
                     + ("" if per_bin.idxmax() <= 2 else " The largest gain is not on the easy bins."))
    elif dvts_sel is not None:
        lines.append(f"- DVTS ran only at N = M = {int(dvts_sel.n.max())}, where it is beam search (one subtree): the two agree "
                     f"({dvts_sel.accuracy[-1]:.3f}); DVTS at larger N waits for its runs (data/README.md).")
wbon = res[weighted(MAIN_VERIFIER)]
if beam is not None:
    lines.append("- Against weighted best-of-N, the strong sampling baseline: " + "; ".join(
        f"N = {n}: beam search {beam.accuracy_at(n):.3f}, weighted best-of-N {wbon.accuracy_at(n):.3f}, "
        f"majority vote {res[MAJORITY].accuracy_at(n):.3f}" for n in beam.n) + ".")
q = quality[quality["strategy"] == "best_of_n"].sort_values("AUC", kind="stable")
lines.append(f"- Best-of-N at N = 16 goes from {q['accuracy'].iloc[0]:.3f} with the weakest verifier (AUC {q['AUC'].iloc[0]:.2f}) "
             f"to {q['accuracy'].iloc[-1]:.3f} with the exact checker (AUC {q['AUC'].iloc[-1]:.2f}); the model's confidence has AUC "
             f"{auc[CONFIDENCE]:.2f}.")
guided = sorted({s.verifier for s in searches if 16 in res[s].n}, key=lambda v: auc[v])
gain = {v: res.difference(searched("beam_search", v), weighted(v), 16) for v in guided}  # search against sampling, same verifier
gain_dvts = {v: res.difference(searched("dvts", v), weighted(v), 16) for v in guided}
rising = all(gain[a].mean < gain[b].mean for a, b in zip(guided, guided[1:]))
lines.append("- Beam search and DVTS minus weighted best-of-N with the same verifier, at N = 16: " + "; ".join(
    f"{v} (AUC {auc[v]:.2f}) {gain[v]} and {gain_dvts[v]}" for v in guided) + ". "
    + f"Search gains growing with the verifier's AUC (Liu et al.): {'holds in the means' if rising else 'does not hold'} "
    + "across these verifiers" + ("" if rising else
      f"; the largest gain is {max(gain, key=lambda v: gain[v].mean)}'s, and a verifier's AUC over all steps of all problems "
      "(which also rewards telling easy problems from hard ones) need not be how well it ranks one problem's partial solutions, "
      "which is what search uses") + ".")
summary_text = "\n".join(lines)
display({"text/markdown": summary_text, "text/plain": summary_text}, raw=True)  # plain text too, for viewers without Markdown

# %%
# the numbers the summary below states, from the own-sample section (of the shipped run only)
if SHIPPED_OWN:
    assert round(own_sel["oracle"].accuracy[0], 2) == 0.30 and round(own_sel["oracle"].accuracy[-1], 2) == 0.58 and own_ns[-1] == 32
    assert all(abs(own_sel[rule].accuracy[-1] - 0.34) < 0.02 for rule in ("majority", "best_of_n", "weighted"))
assert round(100 * selection_curve(own_sel["oracle"], n_boot=10, seed=SEED).level) == 95  # the bands' level
# and from Section 3
SHIPPED_CHAINS = CHAIN_DIR == "../data/chains" and (NUM_DRAWS, SEED) == (1000, 0)  # the summary's numbers: shipped runs, default draws
if SHIPPED_CHAINS:
    at64 = {"dvts": res[dvts_s].accuracy_at(64), "beam": res[beam_s].accuracy_at(64), "weighted": wbon.accuracy_at(64),
            "majority": res[MAJORITY].accuracy_at(64)}
    assert [round(at64[k], 2) for k in ("dvts", "beam", "weighted", "majority")] == [0.41, 0.39, 0.33, 0.31], at64
    assert chain_ns[-1] == 64
    assert abs(res[searched("beam_search", CHECKER)].accuracy_at(16) - 0.62) < 0.005
    assert abs(res[weighted(CHECKER)].accuracy_at(16) - 0.45) < 0.005
    def printed(s, n):  # search minus weighted best-of-N with the same verifier, at N = n, as the summary prints it (2 decimals)
        got, wsel = res.difference(s, weighted(s.verifier), n), res[weighted(s.verifier)]
        assert 3 * wsel.accuracy_se[wsel.column(n)] < 0.005  # the Monte Carlo error of weighted best-of-N moves no printed digit
        return got.verdict, *got.printed(2)

    assert printed(searched("beam_search", CHECKER), 16) == ("ahead", 0.16, 0.11, 0.22)
    assert printed(searched("dvts", CHECKER), 16) == ("ahead", 0.13, 0.07, 0.19)
    assert printed(dvts_s, 64) == ("ahead", 0.08, 0.02, 0.14) and printed(beam_s, 64) == ("not shown", 0.05, -0.01, 0.12)
    assert printed(searched("beam_search", CONFIDENCE), 16) == ("behind", -0.10, -0.15, -0.05)
    assert printed(searched("dvts", CONFIDENCE), 16) == ("not shown", -0.03, -0.08, 0.01)
    assert all(res.difference(s, weighted(MAIN_VERIFIER), n).verdict == "not shown" for s in (beam_s, dvts_s) for n in (4, 16))  # "at N = 4 and 16"
    assert not ahead_hard and binned_n == [4, 16] and half_ns[-1] == 32  # "not ahead ... at every N searched (4 and 16) ... stops at N = 32"
    assert all(d.verdict != "ahead" for d in hard_diff.values())  # "in no N shown ahead"
    assert abs(auc[CONFIDENCE] - 0.87) < 0.005 and abs(auc[MAIN_VERIFIER] - 0.79) < 0.005 and auc[CONFIDENCE] > auc[MAIN_VERIFIER]
    assert not any(s.variant == "sal" for s in searches)  # "the kit's DVTS"

# %% [markdown]
# ## 4. Code: the docstring examples as a verifier, against the hidden tests
#
# Large Language Monkeys (arXiv:2407.21787, Sec. 4) find that with an exact verifier coverage keeps
# climbing with the number of samples, while every selection method without one levels off. Stroebl
# et al. (arXiv:2411.17501, "Inference Scaling fLaws") make the point for code: a verifier with false
# positives, such as a problem's visible examples, puts a ceiling on what resampling can reach, and the
# ceiling is lower for a weaker model, which makes more wrong programs that pass the examples.
#
# HumanEval has both: the hidden tests (`is_correct`) and the examples in each docstring, which the
# kit runs as a second, weaker test set (`score`: the share of a program's examples it passes). Here
# best-of-n picks the sample with the most examples passed (ties split evenly), computed exactly over
# all n-subsets (`ttslib.selection.best_of_n`), and is judged by the hidden tests; coverage (pass@n) is
# what an exact verifier would pick. Problems whose docstring has no examples to parse give the
# examples-verifier nothing to go on and are left out of this section.

# %%
code_sel, code_stats = {}, {}
for model, path in CODE_SAMPLES.items():
    table = read_samples(path)
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
SHIPPED_CODE = [Path(p).resolve() for p in CODE_SAMPLES.values()] == [
    Path(f"../data/code/humaneval_{m}.parquet").resolve() for m in ("smollm2", "gemma3")]
code_n = min(s["pass@n (hidden tests)"].n.max() for s in code_sel.values())
pd.DataFrame(code_stats).T

# %%
fig, axes = plt.subplots(1, len(code_sel), figsize=(5 * len(code_sel), 3.8), sharey=True)
for ax, (model, sel) in zip(np.atleast_1d(axes), code_sel.items()):
    plot_selection([selection_curve(s, n_boot=N_BOOT, seed=SEED) for s in sel.values()], labels=list(sel), ax=ax)
    ax.axhline(sel["pass@n (hidden tests)"].accuracy_at(1), color="0.6", lw=0.8, ls=":")  # pass@1: a random pick
    ax.set_title(f"HumanEval, {model}")
savefig(fig, "03_humaneval_examples_verifier", directory=FIGURES_DIR)

# %% [markdown]
# Per model, paired over the problems with examples: the gap between coverage and the examples-verifier
# at n = 8 and at the largest n, and the verifier's gain over a random pick (pass@1). At the largest n
# best-of-n by examples is its own ceiling on these samples: each problem's share of right programs among
# those passing every example (the limit of best-of-n as n grows, estimated from the samples drawn).

# %%
code_gaps = pd.DataFrame([
    {"model": model, "comparison": name, "n": n, "difference": d.mean, "lower": d.lower, "upper": d.upper, "verdict": d.verdict}
    for model, sel in code_sel.items()
    for name, n, d in [
        (f"pass@n minus best-of-n by examples", n, paired_difference(sel["pass@n (hidden tests)"].at(n), sel["best-of-n by examples"].at(n)))
        for n in (8, code_n)
    ] + [("best-of-n by examples minus pass@1", code_n,
          paired_difference(sel["best-of-n by examples"].at(code_n), sel["pass@n (hidden tests)"].at(1)))]
]).set_index(["model", "comparison", "n"])
code_gaps.round(3)

# %%
if SHIPPED_CODE:  # "What this shows" speaks of the shipped HumanEval runs
    smol_stats, gemma_stats = (code_stats[m] for m in CODE_SAMPLES)
    assert (gemma_stats["with examples"], gemma_stats["samples passing the examples"], gemma_stats["false positives"]) == (122, 302, 60)
    assert (smol_stats["samples passing the examples"], smol_stats["false positives"]) == (22, 8)
    assert (round(gemma_stats["precision"], 2), round(smol_stats["precision"], 2)) == (0.80, 0.64)
    assert gemma_stats["hidden-test passes failing an example"] == smol_stats["hidden-test passes failing an example"] == 0
    assert (gemma_stats["problems with a false positive"], gemma_stats["... and a right program"]) == (23, 6)
    assert gemma_stats["problems with a false positive"] - gemma_stats["... and a right program"] == 17  # on unsolved problems
    assert (smol_stats["problems with a false positive"], smol_stats["... and a right program"]) == (2, 1)
    assert code_n == 64
    gap = {(m, c, n): (round(r.difference, 3) + 0.0, round(r.lower, 3) + 0.0, round(r.upper, 3) + 0.0, r.verdict)
           for (m, c, n), r in code_gaps.iterrows()}
    smol_name, gemma_name = CODE_SAMPLES
    short, gain = "pass@n minus best-of-n by examples", "best-of-n by examples minus pass@1"
    assert gap[gemma_name, short, 64] == (0.014, -0.0, 0.029, "not shown") and gap[smol_name, short, 64] == (0.002, -0.002, 0.006, "not shown")
    assert gap[gemma_name, short, 8] == (0.001, 0.0, 0.002, "ahead") and gap[smol_name, short, 8][3] == "not shown"
    assert gap[gemma_name, gain, 64] == (0.094, 0.047, 0.141, "ahead") and gap[smol_name, gain, 64] == (0.070, 0.026, 0.114, "ahead")

# %% [markdown]
# ## What this shows
#
# - With a verifier of known quality (section 1), best-of-N follows pass@n while the verifier
#   separates right from wrong (AUC near 1) and falls toward pass@1 as it gets worse: about level
#   with majority vote at d' = 0.5, and below it, at pass@1, with d' = 0 (checked under the second
#   figure); the exact expectations need no resampling, and the Monte Carlo table shows the noise
#   that resampling with a few hundred draws would have left in.
# - On the kit's own samples, coverage climbs from 0.30 at n = 1 to 0.58 at n = 32, while majority vote,
#   best-of-N and weighted best-of-N scored by the model's own confidence in each sample all level off
#   near 0.34 after a handful of samples. This is the gap Large Language Monkeys (arXiv:2407.21787,
#   Sec. 4) report between coverage and the selection methods on MATH. The model's confidence is a
#   weak verifier here; Section 3 measures step verifiers of known quality on the chains.
# - Searching step by step (Section 3) beats picking one of N whole samples clearly with the exact step
#   checker: at N = 16 beam search reaches 0.62 against 0.45 for weighted best-of-N with the same checker
#   (paired difference +0.16 [+0.11, +0.22]), DVTS +0.13 [+0.07, +0.19]. With the AUC 0.8 verifier only
#   DVTS at N = 64 is ahead: 0.41 against 0.33 (+0.08 [+0.02, +0.14]); beam search at N = 64 (0.39,
#   +0.05 [-0.01, +0.12]) and both searches at N = 4 and 16 are not shown apart from weighted best-of-N
#   (majority vote reaches 0.31 at N = 64). Guided by the model's own confidence, beam search is behind
#   weighted best-of-N with that same score (-0.10 [-0.15, -0.05]) and DVTS not shown apart
#   (-0.03 [-0.08, +0.01]), although that confidence has the higher AUC over the pool's steps (0.87
#   against 0.79 for the noisy verifier): an AUC over all steps of all problems is not how well a
#   verifier ranks one problem's partial solutions, which is what search uses.
# - By difficulty, the HF blog's finding that beam search is ahead on the hardest problems is not shown
#   here: in the hardest bin beam search minus best-of-N, paired over the bin's problems, is not ahead at
#   any N searched (4 and 16; the bins come from a held-apart half of the pool and the rules are scored
#   on the other half, so the by-bin comparison stops at N = 32).
# - The DVTS of these runs is the kit's (`dvts_variant = "kit"` in their manifests): each subtree sets
#   its ended solutions aside and continues from its best unfinished one until M have ended;
#   search-and-learn's variant (`--dvts-variant sal`) follows its best child, ended or not, and stops
#   when that child ends, so its numbers compare with these only like for like.
# - On HumanEval (Section 4) the docstring examples are an imperfect verifier: 60 of the 302 Gemma 3 270M
#   samples that pass every example fail the hidden tests (precision 0.80), and 8 of SmolLM2's 22
#   (0.64); no sample that passes the hidden tests fails an example. But most false positives sit on
#   problems no sample solves (17 of the 23 problems where Gemma has one; 1 of SmolLM2's 2), where no
#   verifier could help. A false positive competes with a right program on only 6 problems (Gemma) and
#   1 (SmolLM2), so at n = 64 best-of-n by the examples falls short of coverage by +0.014
#   [-0.000, +0.029] (Gemma) and +0.002 [-0.002, +0.006] (SmolLM2): not shown. At n = 8 Gemma's gap is
#   above zero but a tenth of a point (+0.001 [+0.000, +0.002]). The ceiling Stroebl et al. describe is
#   in these samples, but small at this scale, because the problems models this weak solve at all are
#   few; it would matter where many problems have both right programs and false positives. What the examples do give is a large gain over a random
#   pick: +0.094 [+0.047, +0.141] (Gemma) and +0.070 [+0.026, +0.114] (SmolLM2) over pass@1 at n = 64.
