"""What the kit can say about any sample or counts table: reading it, and which analyses apply to it.

Notebook 00 (``notebooks/00_your_samples``) and ``ttslib report`` run every analysis of the kit on one
table; each section first asks :func:`which_sections`, which returns ``{name: Decision(applies,
reason)}``, so a section that does not apply says why and is skipped. The thresholds:

=============  ===========================================================================================
section        applies when
=============  ===========================================================================================
summary        always (the table was read and validated)
coverage       every problem has >= ``MIN_N_COVERAGE`` samples (a curve needs two budgets)
fits           two or more problems, every one with >= ``MIN_N_FIT`` samples, and coverage strictly between 0 and 1 at
               two or more of the fitted k (power law ``exp(a k^b)``, arXiv:2407.21787; Beta, arXiv:2502.17578)
backtest       the fits apply and every problem has >= ``MIN_N_BACKTEST`` samples: fit on the first
               N / ``BACKTEST_FRACTION`` samples, predict coverage at N (``ttslib.backtest``)
selection      a sample table (not counts) with answers to vote on or a score to rank by, and >= 2 samples
               per problem (``ttslib.selection``; problems with more samples use their first N)
flops          a sample table with token counts and a model in the registry ``ttslib/models.csv``
difficulty     at least ``num_bins`` problems and 4 samples each (pass@1 of a held-apart half in quantile and absolute bins, coverage on the other half, ``ttslib.policy``)
=============  ===========================================================================================

Reading (``ttslib.report.load``): ``load_table(source, format="auto")`` takes a sample or counts table
in the ``ttslib.data`` schema, or another tool's output through ``ttslib.data.importers``; bad input
raises :class:`ReportInputError` with one line naming the source and what was wrong (a missing, empty
or unreadable file, a table with no rows, or one that fits no format). Deciding and selecting:
``ttslib.report.sections``. Comparing (the findings the backtest and selection sections render):
``ttslib.report.compare``.
"""

from ttslib.report.load import (FORMATS, LoadedTable, ReportInputError, counts_of, load_table, read_table, standardise,
                                validation_summary)
from ttslib.report.sections import (BACKTEST_FRACTION, MIN_N_BACKTEST, MIN_N_COVERAGE, MIN_N_FIT, SECTIONS, Decision,
                                    first_n_samples, resolve_model, sample_scores, score_source, selection_rules,
                                    which_sections)

__all__ = ["FORMATS", "LoadedTable", "ReportInputError", "counts_of", "load_table", "read_table", "standardise",
           "validation_summary", "BACKTEST_FRACTION", "MIN_N_BACKTEST", "MIN_N_COVERAGE", "MIN_N_FIT", "SECTIONS",
           "Decision", "first_n_samples", "resolve_model", "sample_scores", "score_source", "selection_rules",
           "which_sections"]
