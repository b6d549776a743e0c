"""Difficulty bins and the compute-optimal test-time policy, chosen on some problems and judged on others.

Snell et al. 2024 (arXiv:2408.03314, Sec. 3-5) bin problems by difficulty and, per bin and compute
budget, pick the strategy (best-of-N, beam search, ...) with the best accuracy; they report about 4x
less compute than best-of-N for the same accuracy, choosing with 2-fold cross-validation. Liu et al.
2025 (arXiv:2502.06703) choose on the test set itself. Here the choice is made on K-1 folds of
problems and scored on the held-out fold, beside the optimistic (same-problem) score.

Pure maths over a typed table: nothing here runs a model. The modules, bottom up:

- :mod:`~ttslib.policy.strategy`: :class:`Strategy` and :class:`VerifierSpec`, every setting a field;
- :mod:`~ttslib.policy.table`: the strategy-results table (one column per setting, ``n``, ``accuracy``,
  ``cost``), its builder, validator and tolerances;
- :mod:`~ttslib.policy.splits`: held-apart samples, folds of problems stratified by bin, row selection;
- :mod:`~ttslib.policy.choose`: difficulty bins, the per-bin choice, its held-out evaluation;
- :mod:`~ttslib.policy.efficiency`: the efficiency multiple against a baseline strategy, and its sentence (undefined where it is);
- :mod:`~ttslib.policy.results`: :class:`StrategyResults`, per strategy its selection and cost.

``ttslib.strategies`` (above both the maths and the generation side) turns a sampling pool and search runs
into :class:`StrategyResults`.
"""

from ttslib.policy.choose import (
    ABSOLUTE_BINS,
    PolicyEvaluation,
    bin_curves,
    choose_policy,
    difficulty_bins,
    evaluate_policy,
    strategy_curve,
)
from ttslib.policy.efficiency import EfficiencyFinding, efficiency_family, efficiency_findings, efficiency_multiple, one_sample_budgets, ordinal_band
from ttslib.policy.results import StrategyResults, results_from_selection, sampling_cost
from ttslib.policy.splits import assign_folds, row_index, split_counts, split_sample_indices, split_samples
from ttslib.policy.strategy import Strategy, VerifierSpec
from ttslib.policy.table import (ACCURACY_ATOL, COST_RTOL, RESULT_COLUMNS, SETTINGS, results_table, strategies_of,
                                 validate_results)

__all__ = ["Strategy", "VerifierSpec", "SETTINGS", "RESULT_COLUMNS", "ACCURACY_ATOL", "COST_RTOL", "results_table",
           "strategies_of", "validate_results", "split_samples", "split_sample_indices", "split_counts", "assign_folds",
           "row_index", "ABSOLUTE_BINS", "difficulty_bins", "bin_curves", "choose_policy", "PolicyEvaluation",
           "evaluate_policy", "strategy_curve", "efficiency_multiple", "one_sample_budgets", "ordinal_band", "EfficiencyFinding", "efficiency_findings", "efficiency_family", "StrategyResults",
           "results_from_selection", "sampling_cost"]
