# %% [markdown]
# # 03 · Selecting one answer from N samples: majority vote, best-of-N, weighted best-of-N
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
# the verifier's quality, weighted best-of-N takes the better of both. Beam search and DVTS join
# this notebook in a later issue (hence its name).
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

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ttslib.data import correct_matrix, read_samples
from ttslib.grade import canonical_answer
from ttslib.plotting import savefig
from ttslib.plotting.selection import plot_selection
from ttslib.selection import (
    Selection,
    answer_classes,
    best_of_n,
    log2_budgets,
    majority_vote,
    oracle,
    selection_curve,
    weighted_vote,
)
from ttslib.synthetic import synthetic_samples, verifier_auc

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
# selection flatten like majority vote (Llama-3-8B on MATH: about 40% after ~100 samples while
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
colors = ["0.4", *plt.get_cmap("viridis")(np.linspace(0, 0.9, len(DPRIMES)))]
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
# verifiers arrive, the score is the model's own confidence: the mean token log-probability of a
# sample, `logprob / num_completion_tokens` (for the weighted vote, its exponential, the geometric-mean
# token probability, so that scores are positive). Answers are grouped with the grader's canonical
# key (`ttslib.grade.canonical_answer`: `1/2`, `0.5` and `\frac{1}{2}` vote together).

# %%
if not Path(OWN_SAMPLES).exists():
    raise FileNotFoundError(
        f"{OWN_SAMPLES} not found: this section needs the kit's own sample table (data/arith_smollm2.parquet, "
        f"see data/README.md); pass OWN_SAMPLES to use another"
    )
own = read_samples(OWN_SAMPLES)
keys = {a: canonical_answer(a) for a in own["answer"].dropna().unique()}  # one grader call per distinct answer
own = own.assign(
    key=own["answer"].map(keys),
    mean_logprob=own["logprob"] / own["num_completion_tokens"].where(own["num_completion_tokens"] > 0),
)
problem_ids, own_correct = correct_matrix(own, "is_correct")
own_correct = own_correct.astype(bool)  # (P, N)
own_classes = answer_classes(correct_matrix(own, "key")[1])  # (P, N), -1: no answer
own_score = correct_matrix(own, "mean_logprob")[1].astype(float)  # (P, N)
own_level = own.groupby("problem_id")["level"].first().loc[problem_ids].to_numpy()
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
own_sel = {
    "oracle": oracle(own_correct, own_ns),
    "majority": majority_vote(own_classes, own_correct, own_ns),
    "best_of_n": best_of_n(own_correct, own_score, own_ns, answers=own_classes),
    "weighted": weighted_vote(own_classes, own_correct, np.exp(own_score), own_ns, num_draws=NUM_DRAWS, seed=SEED),
}
ax = plot_selection([selection_curve(s, n_boot=N_BOOT, seed=SEED) for s in own_sel.values()])
ax.set_title("own samples: score = mean token logprob")
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
    by_level = [Selection(s.rule, s.n, s.per_problem[rows], s.se[rows], s.method) for s in own_sel.values()]
    plot_selection([selection_curve(s, n_boot=N_BOOT, seed=SEED) for s in by_level], ax=ax)
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
        (rule, f"n={n}"): pd.Series(sel.per_problem[:, list(sel.n).index(n)]).groupby(own_level).mean()
        for rule, sel in own_sel.items()
        for n in (1, int(own_ns[-1]))
    }
).rename_axis("level").round(3)

# %% [markdown]
# ## What this shows
#
# - With a verifier of known quality (section 1), best-of-N follows pass@n while the verifier
#   separates right from wrong (AUC near 1) and falls toward pass@1 as it gets worse: about level
#   with majority vote at d' = 0.5, and below it, at pass@1, with d' = 0 (checked under the second
#   figure); the exact expectations need no resampling, and the Monte Carlo table shows the noise
#   that resampling with a few hundred draws would have left in.
# - On the kit's own samples, coverage climbs from 0.31 at n = 1 to 0.58 at n = 32, while majority vote,
#   best-of-N and weighted best-of-N scored by the model's own mean token log-probability all level off
#   near 0.34 after a handful of samples. This is the gap Large Language Monkeys (arXiv:2407.21787,
#   Sec. 4) report between coverage and the selection methods on MATH. The model's confidence is a
#   weak verifier here; real verifiers (process reward models) come in a later issue.
