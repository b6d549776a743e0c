"""Difficulty bins and the compute-optimal test-time policy, chosen on some problems and judged on others.

Snell et al. 2024 (arXiv:2408.03314, Sec. 3-5) bin problems by difficulty and, per bin and compute
budget, pick the strategy (best-of-N, beam search, ...) with the best accuracy; they report about 4x
less compute than best-of-N for the same accuracy, choosing with 2-fold cross-validation. Liu et al.
2025 (arXiv:2502.06703) choose on the test set itself. Here the choice is made on K-1 folds of
problems and scored on the held-out fold, beside the optimistic (same-problem) score.

Strategy results, the long table everything here reads, one row per (problem_id, strategy, n):
``accuracy`` in [0, 1], the expected correctness of the answer that strategy returns for that problem
with its own ``n`` (samples, or a search's N), and ``cost`` >= 0, the compute it spends there
(generated tokens or FLOPs: one unit per table); optional ``level`` (a given label) and ``score`` (mean
verifier score, for predicted bins), one value per problem. A (strategy, n) pair is a *config*; a
strategy's name spells all its settings (:class:`Strategy`). :mod:`ttslib.policy.strategies` makes
these tables from a sampling pool and search runs.

Conventions. A config *fits* a compute cap C when its mean cost over the problems the choice is made
on is at most C (relative tolerance 1e-9). Within a bin the chosen config has the highest mean
accuracy (ties within 1e-12), then the lowest mean cost in the bin, then the first strategy name,
then the lowest n. Strategies need not share their n: configs compete by cost, so a strategy with no
rows at some n is no candidate there. Bins are labels per problem (a Series indexed by problem_id);
quantile bin 1 is the easiest (highest values).

Bad input raises ValueError: a missing column, NaN or out-of-range accuracy, a config that lacks some
problems, duplicate rows, a problem without a bin, a compute cap no config fits, a bin with fewer
problems than folds (so that a fold would lack it).
"""

from ttslib.policy.choose import (
    ABSOLUTE_BINS,
    PolicyEvaluation,
    assign_folds,
    bin_curves,
    choose_policy,
    difficulty_bins,
    efficiency_multiple,
    evaluate_policy,
    split_counts,
    split_sample_indices,
    split_samples,
    strategy_curve,
)
from ttslib.policy.results import RESULT_COLUMNS, results_from_search, results_from_selection, sampling_cost, validate_results
from ttslib.policy.strategies import (
    PoolArrays,
    Strategy,
    StrategyResults,
    make_verifier,
    pool_arrays,
    pool_strategies,
    score_pool,
    search_strategies,
    step_auc,
)

__all__ = ["RESULT_COLUMNS", "ABSOLUTE_BINS", "validate_results", "results_from_selection", "sampling_cost",
           "results_from_search", "split_samples", "split_sample_indices", "split_counts", "difficulty_bins", "bin_curves",
           "choose_policy", "PolicyEvaluation", "assign_folds", "evaluate_policy", "strategy_curve", "efficiency_multiple",
           "Strategy", "StrategyResults", "PoolArrays", "pool_arrays", "pool_strategies", "search_strategies",
           "score_pool", "make_verifier", "step_auc"]
