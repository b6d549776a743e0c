"""Plant realistic bugs, one at a time, in the kit's maths and check that the tests catch each one.

A small mutation exercise (issue 28): each mutant below is one bug a person could plausibly write
(an off-by-one, a wrong constant, a dropped term, a flipped comparison, an unstratified split, a
product not carried), written as a regular expression that must match exactly once in the code and
its replacement. The repository is copied to a temporary directory (the working tree is never
touched: other people edit it), one mutant is planted there, the test files that mirror the mutated
module run against the copy, and the mutant is

    caught     some test failed
    SURVIVED   every test passed: a bug the tests cannot see (add the test that would)
    stale      its pattern no longer matches the code exactly once (the code moved: update the pattern)
    error      the tests could not even run (the mutant broke an import: not a realistic bug)

Usage (from the repository root, with the project's environment):

    .venv/bin/python tools/mutants.py                 # every mutant, a table, exit 1 unless all caught
    .venv/bin/python tools/mutants.py --list          # the mutants, not run
    .venv/bin/python tools/mutants.py --only coverage.sparse_carry selection.widen
    .venv/bin/python tools/mutants.py --quick         # each mutant runs only the test that catches it (CI)

The policy mutants (``policy.*``) find their code by pattern anywhere under ``ttslib/`` (that package
is being reorganised), run the test files that mention the function, and run last.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutant:
    """One planted bug: ``pattern`` (a regex, matched exactly once) becomes ``replacement`` in ``path``
    (relative to the repository; None: the one file under ttslib/ where the pattern matches). ``tests``
    are the test files to run (empty: every tests/test_*.py that mentions ``function``); ``quick`` the
    pytest ``-k`` expression of the test that catches it, for ``--quick``."""

    id: str
    function: str
    path: str | None
    pattern: str
    replacement: str
    tests: tuple[str, ...]
    quick: str
    why: str
    template: bool = False  # ``replacement`` is a regex template (``\\1``), not literal text


def m(id, function, path, pattern, replacement, tests, quick, why, literal=True):
    """A mutant; ``literal``: ``pattern`` is plain text (escaped here), else a regex whose replacement is a template."""
    return Mutant(id, function, path, re.escape(pattern) if literal else pattern, replacement, tuple(tests), quick, why,
                  template=not literal)


COV, SEL, MAJ = "ttslib/coverage.py", "ttslib/selection.py", "ttslib/_majority.py"
FIT, BETA, NEWTON, FLOPS = "ttslib/fit.py", "ttslib/beta.py", "ttslib/_newton.py", "ttslib/flops.py"
T_COV, T_SEL, T_FIT, T_BETA = ["tests/test_coverage.py"], ["tests/test_selection.py"], ["tests/test_fit.py"], ["tests/test_beta.py"]
T_FLOPS = ["tests/test_flops.py"]

MUTANTS = [
    # --- coverage: pass@k (dense and sparse k) and the coverage curve ------------------------------
    m("coverage.dense_c_off_by_one", "pass_at_k (dense)", COV, "term = left - c[:, None]\n",
      "term = left - c[:, None] + 1\n", T_COV, "brute_force", "n - c off by one"),
    m("coverage.dense_j_from_1", "pass_at_k (dense)", COV, "np.subtract.outer(n, np.arange(k_max, dtype=float))",
      "np.subtract.outer(n, np.arange(1, k_max + 1, dtype=float))", T_COV, "brute_force", "factor index starts at 1"),
    m("coverage.beyond_n_at_n", "pass_at_k (plug-in)", COV, "beyond = ks[None, :] > n[:, None]",
      "beyond = ks[None, :] >= n[:, None]", T_COV, "plugin", "k = n treated as beyond n"),
    m("coverage.plugin_exponent", "pass_at_k (plug-in)", COV, "plugin = -np.expm1(ks[None, :] * np.log1p",
      "plugin = -np.expm1((ks[None, :] - 1) * np.log1p", T_COV, "plugin", "plug-in exponent k - 1"),
    m("coverage.sparse_carry", "pass_at_k (sparse)", COV, "term[:, 0] *= running",
      "pass", T_COV, "first_block", "running product not carried across blocks"),
    m("coverage.sparse_block_edges", "pass_at_k (sparse)", COV, "inside = (ks > lo) & (ks <= hi)",
      "inside = (ks >= lo) & (ks < hi)", T_COV, "several_blocks", "block membership off by one"),
    m("coverage.sparse_start", "pass_at_k (sparse)", COV, "left = np.subtract.outer(n, np.arange(lo, hi, dtype=float))",
      "left = np.subtract.outer(n, np.arange(lo + 1, hi + 1, dtype=float))", T_COV, "several_blocks", "block starts one late"),
    m("coverage.curve_mean", "coverage_curve", COV, "bootstrap_weights(P, n_boot, seed) @ per_problem / P",
      "bootstrap_weights(P, n_boot, seed) @ per_problem / (P - 1)", T_COV, "explicit_resamples", "bootstrap mean over P - 1"),
    m("coverage.curve_median", "coverage_curve", COV, "coverage=per_problem.mean(axis=0)",
      "coverage=np.median(per_problem, axis=0)", T_COV, "bootstrap_band", "median instead of mean"),
    m("coverage.curve_unordered", "coverage_curve", COV,
      "per_problem = per_problem[canonical_order(*check_counts(num_samples, num_correct))]",
      "per_problem = per_problem", T_COV, "ignores_row_order", "bootstrap draws follow row order"),
    # --- selection: best-of-N, majority, weighted, the curve ------------------------------------------
    m("selection.bon_rank_from_0", "best_of_n", SEL, "r = np.arange(1, N + 1)[:, None]",
      "r = np.arange(N)[:, None]", T_SEL, "best_of_n_equals_enumeration", "ranks from 0"),
    m("selection.bon_ties_not_averaged", "best_of_n", SEL,
      "cbar = (np.bincount(run, c_sorted) / np.bincount(run))[run].reshape(P, N)",
      "cbar = c_sorted.reshape(P, N)", T_SEL, "best_of_n_equals_enumeration", "ties broken by sort order"),
    m("selection.bon_lowest", "best_of_n", SEL, 'order = np.argsort(s, axis=1, kind="stable")',
      'order = np.argsort(-s, axis=1, kind="stable")', T_SEL, "best_of_n_equals_enumeration", "picks the lowest score"),
    m("selection.bon_none_preferred", "best_of_n", SEL, "np.where(none, -np.inf, s)",
      "np.where(none, np.inf, s)", T_SEL, "sample_without_answer", "no-answer samples picked first"),
    m("selection.widen_dropped", "selection_curve", SEL, "lower - widen, upper + widen",
      "lower, upper", T_SEL, "widened_by_z", "Monte Carlo widening dropped"),
    m("selection.widen_one_sided_z", "selection_curve", SEL, "norm.ppf((1 + level) / 2)",
      "norm.ppf(level)", T_SEL, "widened_by_z", "one-sided z"),
    m("selection.mc_se_sqrt_p", "selection_curve", SEL,
      "np.sqrt(np.sort(np.square(self.se), axis=0).sum(axis=0)) / self.se.shape[0]",
      "np.sqrt(np.sort(np.square(self.se), axis=0).sum(axis=0)) / np.sqrt(self.se.shape[0])", T_SEL, "band", "se of the mean over sqrt(P)"),
    m("selection.auto_flipped", "majority_vote", SEL, 'method = "exact" if work <= EXACT_MAJORITY_MAX_WORK else "monte_carlo"',
      'method = "exact" if work > EXACT_MAJORITY_MAX_WORK else "monte_carlo"', T_SEL, "auto_method", "auto picks the wrong method"),
    # --- _majority: the vote machinery --------------------------------------------------------------
    m("majority.tie_split", "majority_counts", MAJ, "tied = (poly / np.arange(1, J + 2)[:, None]).sum(1)",
      "tied = (poly / np.arange(2, J + 3)[:, None]).sum(1)", T_SEL, "majority_exact_equals_enumeration", "tie shares off by one"),
    m("majority.strict_tie", "majority_counts", MAJ, "big = o >= t", "big = o > t", T_SEL,
      "majority_exact_equals_enumeration", "answers of equal count not counted as ties"),
    m("majority.distinct_no_answer", "majority_all_distinct", MAJ, "return share[:, None] * (1.0 - none)",
      "return share[:, None] * np.ones_like(none)", T_SEL, "all_distinct", "chance of an empty subset dropped"),
    m("majority.exact_divisor", "majority_exact", MAJ, "return total[:, ns] / binom[N, ns]",
      "return total[:, ns] / binom[N, ns - 1]", T_SEL, "majority_exact_equals_enumeration", "C(N, n - 1) for C(N, n)"),
    m("majority.rb_ties_win", "majority_rao_blackwell", MAJ, "g = np.where(t > Mi, 1.0,",
      "g = np.where(t >= Mi, 1.0,", T_SEL, "monte_carlo_within", "a tie counted as a win"),
    m("majority.winner_any", "weighted_vote", MAJ, "(win & good).sum(-1) / np.maximum(k, 1)",
      "(win & good).any(-1)", T_SEL, "weighted_exact_equals_enumeration", "a tie with a right answer counted as a win"),
    m("majority.no_tie_tolerance", "weighted_vote", MAJ, "_TIE_RTOL = 1e-9", "_TIE_RTOL = 0.0", T_SEL,
      "up_to_rounding", "sums equal up to rounding not a tie"),
    m("majority.enumerate_sizes", "weighted_vote (exact)", MAJ, "of_size = (masks.sum(1)[:, None] == ns) / comb(N, ns)",
      "of_size = (masks.sum(1)[:, None] <= ns) / comb(N, ns)", T_SEL, "weighted_exact_equals_enumeration", "subsets of size <= n"),
    m("majority.mc_se_no_sqrt", "weighted_vote (Monte Carlo)", MAJ, "hit.std(1, ddof=1) / np.sqrt(num_draws)",
      "hit.std(1, ddof=1) / num_draws", T_SEL, "monte_carlo_within", "standard error over R, not sqrt(R)"),
    # --- fit: the power law ---------------------------------------------------------------------------
    m("fit.closed_form_slope", "fit_power_law_curve", FIT, "b = (sxy - sx * sy / sw) / (sxx - sx * sx / sw)",
      "b = (sxy - sx * sy / sw) / (sxx - sx * sx)", T_FIT, "closed_form_recovers", "slope denominator missing / n"),
    m("fit.a_sign", "fit_power_law_curve", FIT, "np.where(ok, -np.exp(log_neg_a), np.nan)",
      "np.where(ok, np.exp(log_neg_a), np.nan)", T_FIT, "closed_form_recovers", "a positive"),
    m("fit.nls_grid", "fit_power_law_nls_curve", FIT, "grid = np.linspace(-4.0, 1.0, 201)",
      "grid = np.linspace(-1.0, 1.0, 201)", T_FIT, "nls_recovers", "search grid misses b < -1"),
    m("fit.boot_unordered", "fit_power_law", FIT, ".reshape(n, -1)[order]",
      ".reshape(n, -1)", T_FIT, "explicit_resamples", "bootstrap draws follow row order"),
    m("fit.default_k_max", "fit_power_law", FIT, "int(np.min(n)) for n in num_samples",
      "int(np.max(n)) for n in num_samples", T_FIT, "least_squares_optimum", "default k beyond the smallest n"),
    # --- beta: the distributional fit ---------------------------------------------------------------
    m("beta.no_binomial_coefficient", "beta_binomial_logpmf", BETA, "exact = log_choose + sp.betaln",
      "exact = sp.betaln", T_BETA, "matches_scipy", "C(n, c) dropped"),
    m("beta.coverage_c_one", "beta_coverage", BETA, "beta_binomial_logpmf(ks, np.zeros_like(ks), alpha",
      "beta_binomial_logpmf(ks, np.ones_like(ks), alpha", T_BETA, "exact_aggregate", "P(c = 1) for P(c = 0)"),
    m("beta.degenerate_critical", "BetaFit.degenerate", BETA, "chi2.ppf(1 - 2 * self.DEGENERATE_P, 1)",
      "chi2.ppf(1 - self.DEGENERATE_P, 1)", T_BETA, "critical_value", "chi2_1 instead of the boundary mixture"),
    m("beta.degenerate_no_factor_2", "BetaFit.degenerate", BETA, "return bool(2 * (self.log_likelihood",
      "return bool((self.log_likelihood", T_BETA, "critical_value", "likelihood ratio without the factor 2"),
    m("beta.one_p_unpooled", "fit_beta", BETA, "p_one = c.sum() / n.sum()", "p_one = (c / n).mean()", T_BETA,
      "pools_samples", "mean of c/n for the pooled p"),
    m("beta.newton_sign", "newton_bootstrap", NEWTON, "np.clip(-np.linalg.solve(H, g[..., None])[..., 0], -2, 2)",
      "np.clip(np.linalg.solve(H, g[..., None])[..., 0], -2, 2)", T_BETA, "refits_on_resamples", "Newton step uphill"),
    m("beta.bound_not_held", "fit_beta", BETA, "elif not at_bound.any():", "elif True:", T_BETA, "on_its_bound",
      "the bootstrap steps off a bound"),
    # --- flops ---------------------------------------------------------------------------------------
    m("flops.sequence_off_by_one", "sequence_flops", FLOPS, "attn * (n * s + n * (n + 1) / 2)",
      "attn * (n * s + n * (n - 1) / 2)", T_FLOPS, "direct_sum", "a token does not attend to itself"),
    m("flops.tree_no_attention", "tree_flops", FLOPS, "return 2.0 * spec.params * n + _coef(attention) * spec.n_layers * spec.d_attn * c",
      "return 2.0 * spec.params * n", T_FLOPS, "tree_flops_by_hand", "attention term dropped"),
    m("flops.tree_d_model", "tree_flops", FLOPS, "_coef(attention) * spec.n_layers * spec.d_attn * c",
      "_coef(attention) * spec.n_layers * spec.d_model * c", T_FLOPS, "tree_flops_by_hand", "d_model for d_attn"),
    m("flops.pretraining_2nd", "pretraining_flops", FLOPS, "return 6.0 * params * float(tokens)",
      "return 2.0 * params * float(tokens)", T_FLOPS, "pretraining", "2ND for 6ND"),
    m("flops.monkeys_coefficient", "flops_per_token", FLOPS, 'ATTENTION = {"kaplan": 2.0, "monkeys": 4.0}',
      'ATTENTION = {"kaplan": 2.0, "monkeys": 2.0}', T_FLOPS, "monkeys", "Monkeys' attention coefficient"),
    m("flops.prefill_per_sample", "flops_at_k", FLOPS, "return prefill.sum() + ks * mean_each.sum()",
      "return ks * (prefill.sum() + mean_each.sum())", T_FLOPS, "flops_at_k", "shared prefill paid per sample"),
    m("flops.snell_multiplier", "matched_inference_multiplier", FLOPS, "return k + 3.0 * (k - 1.0) / r",
      "return k + 3.0 * k / r", T_FLOPS, "snell", "(k - 1) dropped"),
    # --- exchange --------------------------------------------------------------------------------------
    m("exchange.equal_excluded", "equal_flops_exchange", "ttslib/exchange.py",
      'np.searchsorted(f_small, f_large, side="right")', 'np.searchsorted(f_small, f_large, side="left")',
      ["tests/test_exchange.py"], "itself", "equal FLOPs not allowed"),
    m("exchange.capped", "equal_flops_exchange", "ttslib/exchange.py", "f_small[-1] + step <= f_l", "f_small[-1] <= f_l",
      ["tests/test_exchange.py"], "itself", "capped without room for one more sample"),
    m("exchange.difference_sign", "equal_flops_exchange", "ttslib/exchange.py", "paired_difference(p_small, p_large, level=level)",
      "paired_difference(p_large, p_small, level=level)", ["tests/test_exchange.py"], "brute_force", "large minus small"),
    m("exchange.small_priced_as_large", "equal_flops_exchange", "ttslib/exchange.py",
      "flops_at_k(small, small_model,", "flops_at_k(small, large_model,", ["tests/test_exchange.py"], "brute_force",
      "the small model's samples priced as the large one's"),
    # --- compare ---------------------------------------------------------------------------------------
    m("compare.ddof", "paired_difference", "ttslib/compare.py", "/ (d.size - 1) / d.size", "/ d.size / d.size",
      ["tests/test_compare.py"], "paired_t", "variance with ddof 0"),
    m("compare.one_sided_z", "paired_difference", "ttslib/compare.py", "ndtri((1 + level) / 2)", "ndtri(level)",
      ["tests/test_compare.py"], "exact_small_case", "one-sided z"),
    m("compare.verdict_on_mean", "PairedDifference.verdict", "ttslib/compare.py", 'return "ahead" if self.lower > 0',
      'return "ahead" if self.mean > 0', ["tests/test_compare.py"], "verdicts", "ahead from the mean, not the interval"),
    m("compare.se_no_sqrt_p", "paired_difference", "ttslib/compare.py", "/ (d.size - 1) / d.size))",
      "/ (d.size - 1)))", ["tests/test_compare.py"], "paired_t", "standard deviation for standard error"),
    m("findings.holm_bonferroni", "holm", "ttslib/findings.py", "alpha / (m - np.arange(m))", "alpha / m",
      ["tests/test_findings.py"], "holm_matches", "Bonferroni's threshold for every rank, not Holm's step-down"),
    m("findings.holm_no_stop", "holm", "ttslib/findings.py", "reject[order[:stop]] = True", "reject[order[passed]] = True",
      ["tests/test_findings.py"], "holm_matches", "rejects past the first failure (no step-down stop)"),
    m("findings.power_one_sided", "detectable_difference", "ttslib/findings.py", "ndtri((1 + level) / 2) + ndtri(power)",
      "ndtri(level) + ndtri(power)", ["tests/test_findings.py"], "stated_power", "one-sided z in the detectable difference"),
    m("findings.boot_p_no_twice", "bootstrap_finding", "ttslib/findings.py", "p = float(min(1.0, 2 * (1 +", "p = float(min(1.0, 1 * (1 +",
      ["tests/test_findings.py"], "paired_bootstrap", "one-sided bootstrap p-value"),
    m("fit.pair_own_order", "fit_power_law_pair", "ttslib/fit.py", "order = canonical_order(n_a, c_a, n_b, c_b)",
      "order = canonical_order(n_a, c_a)", ["tests/test_fit.py"], "paired_fit", "resamples not shared: each model's problems in its own order"),
    # --- adaptive: stopping rules replayed on a pool (ttslib.adaptive) ----------------------------------
    m("adaptive.since_lift_shift", "_since_lift", "ttslib/adaptive/orders.py", "np.multiply(c[:-1], lift[1:], out=before[1:])",
      "np.multiply(c[1:], lift[1:], out=before[1:])", ["tests/test_adaptive.py"], "every_order",
      "leaders counted from one position late"),
    m("adaptive.ac_strict", "AdaptiveConsistency", "ttslib/adaptive/stopping.py",
      "stop = pre.top[1 : L + 1] >= least[", "stop = pre.top[1 : L + 1] > least[", ["tests/test_adaptive.py"],
      "every_order", "Adaptive-Consistency stops one count late"),
    m("adaptive.esc_missing_unanimous", "ESC", "ttslib/adaptive/stopping.py", " & (win[:, 0] >= 0)  #", "  #",
      ["tests/test_adaptive.py"], "every_order", "a window of missing answers counts as unanimous"),
    m("adaptive.deepconf_bar_flipped", "DeepConfOnline", "ttslib/adaptive/deepconf.py",
      "s = percentile_first(c, 100 - self.eta).ravel()", "s = percentile_first(c, self.eta).ravel()",
      ["tests/test_adaptive.py"], "every_order", "the warm-up's bar at the eta-th percentile, not 100 - eta"),
    m("adaptive.cut_at_next_low", "_cut_at", "ttslib/adaptive/deepconf.py", "first[above] = m + 1", "first[above] = m",
      ["tests/test_adaptive.py"], "every_order", "a stopped trace costs the tokens to its last low above the bar"),
    m("adaptive.two_stage_easy_first", "TwoStage", "ttslib/adaptive/allocation.py",
      "allocate(1.0 - explored / self.explore,", "allocate(explored / self.explore,", ["tests/test_adaptive.py"],
      "two_stage", "budget moved to the problems whose exploration agreed"),
    # --- sequential: revisions against parallel chains (ttslib.sequential) ------------------------------
    m("sequential.tie_to_earliest", "chain_answers", "ttslib/sequential.py", "key = count * (r + 1) + latest",
      "key = count * (r + 1) - latest", ["tests/test_sequential.py"], "enumeration", "a chain's tied answers go to the earliest round"),
    m("sequential.cost_one_round_more", "rounds_curve", "ttslib/sequential.py", "spent = ps[None, :] * pool.tokens[:, :, :r]",
      "spent = ps[None, :] * pool.tokens[:, :, : r + 1]", ["tests/test_sequential.py"], "enumeration",
      "the tokens of one round past r counted"),
    m("sequential.repair_judges_round_one", "repair_curve", "ttslib/sequential.py", "solved = correct[:, :, r - 1].sum(1)",
      "solved = correct[:, :, 0].sum(1)", ["tests/test_sequential.py"], "enumeration", "self-repair judged on round 1's programs"),
    m("sequential.resample_whole_k_below", "resample_at_tokens", "ttslib/sequential.py", "rate = (1 - w) * at(lo) + w * at(hi)",
      "rate = at(lo)", ["tests/test_sequential.py"], "joined_linearly", "resampling's k rounded down, not joined"),
    m("forcing.one_token_over", "_Chain", "ttslib/forcing.py", "return self.config.ladder[self.next_budget] - self.used",
      "return self.config.ladder[self.next_budget] - self.used + 1", ["tests/test_forcing.py"], "never_overrun",
      "each segment may run one token past its budget"),
    m("particles.log_not_logit", "particle_log_weight", "ttslib/particles.py", "return float(np.log(r) - np.log1p(-r))",
      "return float(np.log(r))", ["tests/test_search_particles.py"], "its_hubs", "a particle weighed by log r, not logit r"),
    # --- cost: a search's critical path (ttslib.cost.search_seconds, the steps the search loop records) ---------
    m("cost.search_steps_overlap", "search_seconds", "ttslib/cost.py",
      "total += float(step_seconds(_pass_traffic(model, groups, shared, precision, attention), hw).sum())",
      "total = max(total, float(step_seconds(_pass_traffic(model, groups, shared, precision, attention), hw).sum()))",
      ["tests/test_search_latency.py"], "step_by_step", "a search's steps taken as overlapping, not waiting on each other"),
    m("cost.search_verifier_length", "search_seconds", "ttslib/cost.py", "length = max(round(read / scored), 1)",
      "length = max(round(read), 1)", ["tests/test_search_latency.py"], "step_by_step",
      "the verifier's pass costed as one sequence of all it read, not its partial solutions"),
    m("cost.search_prompt_per_parent", "search_seconds", "ttslib/cost.py", "D * p * np.maximum(parents - 1, 0)", "0.0 * p",
      ["tests/test_search_latency.py"], "shared_prompt_once", "each parent of a search step reads the shared prompt again"),
    m("search.one_step_recorded", "search_problems", "ttslib/search/loop.py",
      'if costs[tree.problem].rounds[-1]["scored"]:', "if False:", ["tests/test_search_latency.py"], "by_hand",
      "a search's steps recorded as one"),
    m("particles.floor_widths", "rebase_widths", "ttslib/particles.py", "int(np.ceil(left * e[j] / tails[j] - 1e-12))",
      "int(np.floor(left * e[j] / tails[j] + 1e-12))", ["tests/test_search_particles.py"], "formula",
      "REBASE's widths rounded down (the last node takes the rest)"),
    m("particles.no_temperature", "resampling_probabilities", "ttslib/particles.py", "z = (w - w.max()) / temperature",
      "z = w - w.max()", ["tests/test_search_particles.py"], "odds or particle_filtering_reaches",
      "the resampling softmax ignores its temperature"),
    m("search.pf_reference_whole", "_advance_particles", "ttslib/search/prune.py",
      "steps = [n.scores if n is not ref else n.scores[: min(t, len(n.steps))] for n in draw_from]",
      "steps = [n.scores for n in draw_from]", ["tests/test_search_particles.py"], "reference_competes",
      "particle Gibbs' reference competes with its whole solution's weight, not that of its first t steps"),
    # --- policy: choice and folds (found by pattern: the package is being reorganised; run last) ------
    m("policy.folds_unstratified", "assign_folds", None, r"np\.flatnonzero\(codes == b\)",
      "(np.arange(codes.size) if b == 0 else np.empty(0, dtype=np.int64))", [], "fold", "folds not stratified by bin",
      literal=False),
    m("policy.folds_no_offset", "assign_folds", None, r"\(np\.arange\(members\.size\) \+ offset\) % folds",
      "np.arange(members.size) % folds", [], "fold", "every bin starts at fold 0 (fold sizes unbalanced)", literal=False),
    m("policy.cap_max_over_all", "choose_policy", None, r"a >= a\[fits\]\.max\(\)", "a >= a.max()", [], "choose",
      "best accuracy taken over configs above the cap", literal=False),
    m("policy.cap_flipped", "choose_policy", None, r"cost\.mean\(0\) <= max_cost", "cost.mean(0) >= max_cost", [],
      "choose", "the cap's comparison flipped", literal=False),
    m("policy.tie_not_cheapest", "choose_policy", None, r"\n(\s*)pick &= c <= c\[pick\]\.min\(\)[^\n]*", r"\n\1pass", [],
      "choose", "ties in accuracy not broken to the cheaper config", literal=False),
]


def copy_repo(dest: Path) -> Path:
    """The tracked and untracked (not ignored) files of the working tree under ``dest/repo``; ``dest/shared``
    points at the read-only reference data beside the project, as ``tests/conftest.py`` expects."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                           capture_output=True).stdout.decode().split("\0")
    repo = dest / "repo"
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file() and not name.startswith(("notebooks/", "figures/", "reports/")):
            target = repo / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    if (ROOT.parent / "shared").is_dir():
        (dest / "shared").symlink_to(ROOT.parent / "shared")
    return repo


def locate(repo: Path, mutant: Mutant) -> tuple[Path | None, str]:
    """The file the mutant goes in and its text, or (None, why) when the pattern does not match exactly once."""
    candidates = [repo / mutant.path] if mutant.path else sorted((repo / "ttslib").rglob("*.py"))
    hits = [(p, len(re.findall(mutant.pattern, p.read_text(encoding="utf-8")))) for p in candidates if p.is_file()]
    found = [(p, k) for p, k in hits if k]
    if len(found) != 1 or found[0][1] != 1:
        return None, f"pattern matches {sum(k for _, k in found)} time(s) in {len(found)} file(s)"
    return found[0][0], found[0][0].read_text(encoding="utf-8")


def tests_for(repo: Path, mutant: Mutant) -> list[str]:
    if mutant.tests:
        return list(mutant.tests)
    name = mutant.function.split(" ")[0].split(".")[-1]
    return sorted(str(p.relative_to(repo)) for p in (repo / "tests").glob("test_*.py") if name in p.read_text(encoding="utf-8"))


def run_tests(repo: Path, tests: list[str], select: str | None, timeout: float) -> int:
    env = {**os.environ, "PYTHONPATH": str(repo), "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg"}
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests] + (["-k", select] if select else [])
    try:
        return subprocess.run(cmd, cwd=repo, env=env, capture_output=True, timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        return -1


def run(ids=None, *, quick: bool = False, timeout: float = 900.0, out=sys.stdout) -> dict[str, str]:
    """Plant each mutant (``ids``: those only, in this file's order) in a fresh copy, run its tests, print
    the table; returns {id: result}."""
    chosen = [mu for mu in MUTANTS if ids is None or mu.id in ids]
    unknown = set(ids or ()) - {mu.id for mu in MUTANTS}
    if unknown:
        raise SystemExit(f"unknown mutant id(s): {sorted(unknown)}; --list shows them")
    chosen.sort(key=lambda mu: mu.id.startswith("policy."))  # the package being reorganised: last
    results = {}
    with tempfile.TemporaryDirectory(prefix="ttslib-mutants-") as tmp:
        repo = copy_repo(Path(tmp))
        check = subprocess.run([sys.executable, "-c", "import ttslib; print(ttslib.__file__)"], cwd=repo,
                               env={**os.environ, "PYTHONPATH": str(repo)}, capture_output=True, text=True)
        if not check.stdout.strip().startswith(str(repo)):
            raise SystemExit(f"the copy's ttslib is not the one imported ({check.stdout.strip() or check.stderr.strip()})")
        baseline: dict[tuple, int] = {}
        if quick:  # one unmutated run of every selected test at once, rather than one per mutant
            plan = [(tuple(tests_for(repo, mu)), mu.quick) for mu in chosen if locate(repo, mu)[0] is not None]
            union = sorted({t for tests, _ in plan for t in tests})
            code = run_tests(repo, union, " or ".join(f"({q})" for _, q in plan), timeout) if plan else 0
            baseline.update(dict.fromkeys(plan, code))
        print(f"{'mutant':<34} {'function':<30} {'file':<24} {'result':<9} seconds", file=out)
        for mu in chosen:
            start = time.monotonic()
            path, text = locate(repo, mu)
            tests = tests_for(repo, mu)
            select = mu.quick if quick else None
            if path is None or not tests:
                result = "stale"
            else:
                key = (tuple(tests), select)
                if key not in baseline:
                    baseline[key] = run_tests(repo, tests, select, timeout)
                if baseline[key] != 0:
                    result = "baseline fails"
                else:
                    path.write_text(_plant(mu, text), encoding="utf-8")
                    try:
                        code = run_tests(repo, tests, select, timeout)
                    finally:
                        path.write_text(text, encoding="utf-8")
                    result = {0: "SURVIVED", 1: "caught", -1: "timeout"}.get(code, "error")
            results[mu.id] = result
            where = str(path.relative_to(repo)) if path is not None else (mu.path or "ttslib/?")
            print(f"{mu.id:<34} {mu.function:<30} {where:<24} {result:<9} {time.monotonic() - start:6.1f}", file=out, flush=True)
    counts = {r: list(results.values()).count(r) for r in dict.fromkeys(results.values())}
    print("total: " + ", ".join(f"{v} {k}" for k, v in counts.items()) + f" (of {len(results)})", file=out)
    return results


def _plant(mu: Mutant, text: str) -> str:
    """The text with the mutant's one match replaced: a regex template (``\\1``) where the mutant has
    one, else the replacement exactly as written."""
    return re.sub(mu.pattern, mu.replacement if mu.template else (lambda _: mu.replacement), text, count=1)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", metavar="ID", help="run these mutants only")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--quick", action="store_true", help="run only the test named for each mutant (fast)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per test run")
    args = parser.parse_args(argv)
    if args.list:
        for mu in MUTANTS:
            print(f"{mu.id:<34} {mu.function:<30} {mu.why}")
        return 0
    results = run(args.only, quick=args.quick, timeout=args.timeout)
    return 0 if all(r == "caught" for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
