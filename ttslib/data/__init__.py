"""The sample table every notebook reads, its compact counts form, and the ways data comes into them.

Two modules, one idea each:

- :mod:`ttslib.data.schema`: the schema (one row per sample; or one row per problem with counts),
  its validators, Parquet I/O with page checksums, and the arrays the maths takes
  (``correct_matrix``, ``sample_arrays``).
- :mod:`ttslib.data.importers`: samples made by other tools (search-and-learn,
  lm-evaluation-harness, any table through a column mapping), graded on the way in, and
  published data already graded (the Pythia counts, the Large Language Monkeys layout).

Everything public in both is importable from here (``from ttslib.data import read_samples``).
The importers build on the schema; the schema imports neither them nor, at import time, anything
else of ttslib (``sample_arrays`` loads ``ttslib.grade`` when it is called: grading is heavy).
"""

from __future__ import annotations

from ttslib.data import schema
from ttslib.data.importers import (
    import_lm_eval_samples,
    import_search_and_learn,
    import_table,
    load_monkey_business,
    monkey_business_to_samples,
    read_pythia_counts,
)
from ttslib.data.schema import (
    COUNTS_COLUMNS,
    OPTIONAL_SAMPLE_COLUMNS,
    SAMPLE_COLUMNS,
    SampleArrays,
    correct_matrix,
    read_counts,
    read_parquet,
    read_samples,
    sample_arrays,
    samples_to_counts,
    validate_counts,
    validate_samples,
    write_parquet,
    write_samples,
)

__all__ = [*schema.__all__, "import_search_and_learn", "import_lm_eval_samples", "import_table", "read_pythia_counts",
           "monkey_business_to_samples", "load_monkey_business"]
