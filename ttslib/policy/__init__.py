"""Difficulty bins and the compute-optimal test-time policy, chosen on some problems and judged on others.

Snell et al. 2024 (arXiv:2408.03314, Sec. 3-5) bin problems by difficulty and, per bin and compute
budget, pick the strategy (best-of-N, beam search, ...) with the best accuracy; they report about 4x
less compute than best-of-N for the same accuracy, choosing with 2-fold cross-validation. Liu et al.
2025 (arXiv:2502.06703) choose on the test set itself. Here the choice is made on K-1 folds of
problems and scored on the held-out fold, beside the optimistic (same-problem) score.

Strategy results, the long table everything here reads, one row per (problem_id, strategy, budget):
``accuracy`` in [0, 1], the expected correctness of the answer that strategy returns for that problem
at its own ``budget`` (samples n, or a search's N), and ``cost`` >= 0, the compute it spends there
(generated tokens or FLOPs: one unit per table); optional ``level`` (a given label) and ``score`` (mean
verifier score, for predicted bins), one value per problem. A (strategy, budget) pair is a *config*.

Conventions. A config *fits* a compute budget B when its mean cost over the problems the choice is
made on is at most B (relative tolerance 1e-9). Within a bin the chosen config has the highest mean
accuracy (ties within 1e-12), then the lowest mean cost in the bin, then the first strategy name,
then the lowest budget. Strategies need not share budgets: configs compete by cost, so a strategy
with no rows at some budget is no candidate there. Bins are labels per problem (a Series indexed by
problem_id); quantile bin 1 is the easiest (highest values).

Bad input raises ValueError: a missing column, NaN or out-of-range accuracy, a config that lacks some
problems, duplicate rows, a problem without a bin, a budget no config fits, a bin with fewer problems
than folds (so that a fold would lack it).
"""

from ttslib.policy.choose import (
    ABSOLUTE_BINS,
    PolicyEvaluation,
    bin_curves,
    choose_policy,
    difficulty_bins,
    efficiency_multiple,
    evaluate_policy,
    split_counts,
    split_samples,
    strategy_curve,
)
from ttslib.policy.results import RESULT_COLUMNS, results_from_search, results_from_selection, sampling_cost, validate_results

__all__ = ["RESULT_COLUMNS", "ABSOLUTE_BINS", "validate_results", "results_from_selection", "sampling_cost",
           "results_from_search", "split_samples", "split_counts", "difficulty_bins", "bin_curves",
           "choose_policy", "PolicyEvaluation", "evaluate_policy", "strategy_curve", "efficiency_multiple"]
