"""Problem-set loaders on the local reference copies of GSM8K and MATH-500."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import shared_file
from ttslib.problems import load_gsm8k, load_math500, validate_problems


def test_gsm8k_local():
    df = load_gsm8k(shared_file("gsm8k_test.jsonl"))
    assert len(df) == 1319
    assert df.loc[0, "reference"] == "18"  # Janet's ducks: 16 - 3 - 4 = 9 eggs at $2
    assert not df["reference"].str.contains(",").any()


def test_math500_local():
    df = load_math500(shared_file("math500_test.jsonl"))
    assert len(df) == 500 and df["problem_id"].is_unique
    assert set(df["level"]) == {1, 2, 3, 4, 5}
    assert df.loc[0, "reference"] == r"\left( 3, \frac{\pi}{2} \right)"


def test_limit_and_validation():
    assert len(load_gsm8k(shared_file("gsm8k_test.jsonl"), limit=5)) == 5
    with pytest.raises(ValueError, match="duplicate problem_id"):
        validate_problems(pd.DataFrame({"problem_id": ["a", "a"], "question": ["q", "r"], "reference": ["1", "2"]}))
    with pytest.raises(ValueError, match="empty question"):
        validate_problems(pd.DataFrame({"problem_id": ["a"], "question": [" "], "reference": ["1"]}))
