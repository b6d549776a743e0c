"""Problem-set loaders on the local reference copies of GSM8K and MATH-500."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from conftest import FIXTURES, shared_file
from ttslib.problems import ARITHMETIC_LEVELS, load_gsm8k, load_math500, make_arithmetic, validate_problems


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


def test_loaders_on_handmade_files_in_the_hub_layout():
    """Runs without ../shared: three problems written for this test in each file's layout."""
    gsm = load_gsm8k(FIXTURES / "gsm8k_mini.jsonl")
    assert gsm["reference"].tolist() == ["7", "2400", "12"]
    assert gsm["problem_id"].tolist() == ["gsm8k/0", "gsm8k/1", "gsm8k/2"]
    math = load_math500(FIXTURES / "math500_mini.jsonl")
    assert math["level"].tolist() == [1, 2, 3] and math["reference"].iloc[0] == r"\frac{3}{4}"
    assert math["problem_id"].iloc[2] == "fixture/algebra/3.json"


def test_arithmetic_set_references_are_the_values_of_the_expressions():
    df = make_arithmetic(30, seed=4)
    assert len(df) == 30 * len(ARITHMETIC_LEVELS) and df["problem_id"].is_unique
    assert df.groupby("level")["question"].nunique().eq(30).all(), "problems within a level are distinct"
    for question, reference in zip(df["question"], df["reference"]):
        a, op, b, *rest = question.split()
        value = {"+": int(a) + int(b), "-": int(a) - int(b), "*": int(a) * int(b)}[op] + (int(rest[1]) if rest else 0)
        assert str(value) == reference, question
    assert (df["reference"].astype(int) >= 0).all()
    pd.testing.assert_frame_equal(df, make_arithmetic(30, seed=4))
    with pytest.raises(ValueError, match="fewer than"):
        make_arithmetic(60, levels=(3,))  # one-digit differences a >= b: only 55 exist
    with pytest.raises(ValueError, match="level"):
        make_arithmetic(1, levels=(99,))


def test_chains_are_distinct_seeded_and_solved_by_their_worked_solution():
    from ttslib.problems import CHAIN_LEVELS, chain_solution, make_chains
    from ttslib.verifiers import StepChecker

    a, b = make_chains(5, seed=3), make_chains(5, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 5 * len(CHAIN_LEVELS)
    assert a.groupby("level")["question"].nunique().eq(5).all()  # distinct within a level (levels may share a chain)
    for _, row in a.iterrows():
        terms, top, ops = CHAIN_LEVELS[row["level"]]
        tokens = row["question"].split()
        assert len(tokens) == 2 * terms - 1 and set(tokens[1::2]) <= set(ops)
        assert all(1 <= int(x) <= top for x in tokens[::2])
        value = int(tokens[0])  # left to right, never below 0
        for op, x in zip(tokens[1::2], map(int, tokens[2::2])):
            value = value + x if op == "+" else value - x
            assert value >= 0
        assert row["reference"] == str(value)
        steps = chain_solution(row["question"])
        assert steps[-1] == f"Answer: {value}" and len(steps) == terms
        assert StepChecker().score([row["question"]], [steps]).scores[0].tolist() == [1.0] * terms
    with pytest.raises(ValueError, match="level"):
        make_chains(2, levels=(11,))
    with pytest.raises(ValueError, match="chain"):
        chain_solution("3 * 4")


# --- a local problem file that is not one is named, with the line and the keys (issue 29) --------------

@pytest.mark.parametrize("loader, keys", [
    (load_gsm8k, ["question", "answer"]),
    (load_math500, ["unique_id", "problem", "answer", "solution", "subject", "level"]),
    ("humaneval", ["task_id", "prompt", "canonical_solution", "entry_point", "test"]),
    ("read_problems", ["problem_id", "question", "reference"]),
])
def test_a_bad_problem_file_is_named_with_what_is_wrong(loader, keys, tmp_path):
    from ttslib import problems

    load = getattr(problems, "load_humaneval" if loader == "humaneval" else loader) if isinstance(loader, str) else loader
    with pytest.raises(FileNotFoundError, match="no file at .*missing.jsonl"):
        load(tmp_path / "missing.jsonl")
    with pytest.raises(ValueError, match=rf"{tmp_path} is a directory"):
        load(tmp_path)
    text = tmp_path / "text.jsonl"
    text.write_text(json.dumps(dict.fromkeys(keys, "1")) + "\nnot json\n")
    with pytest.raises(ValueError, match=r"text.jsonl line 2 is not JSON"):
        load(text)
    array = tmp_path / "array.jsonl"
    array.write_text("[1, 2]\n")
    with pytest.raises(ValueError, match=r"array.jsonl line 1 is a JSON list, not an object"):
        load(array)
    short = tmp_path / "short.jsonl"
    short.write_text(json.dumps(dict.fromkeys(keys[:-1], "1")) + "\n")
    with pytest.raises(ValueError, match=rf"short.jsonl line 1 lacks key\(s\) \['{keys[-1]}'\]"):
        load(short)
    gz = tmp_path / "bad.jsonl.gz"
    gz.write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="bad.jsonl.gz cannot be read as JSON lines"):
        load(gz)


def test_read_problems_keeps_ids_as_written_and_a_missing_reference_missing(tmp_path):
    from ttslib.problems import read_problems

    path = tmp_path / "p.jsonl"
    rows = [{"problem_id": "007", "question": "1 + 1", "reference": 2}, {"problem_id": "7", "question": "2 + 2", "reference": None}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    df = read_problems(path)
    assert df["problem_id"].tolist() == ["007", "7"] and df["reference"].tolist() == ["2", None]


def test_a_blank_level_is_refused_naming_the_problem():
    df = pd.DataFrame({"problem_id": ["a", "b"], "question": ["q", "r"], "reference": ["1", "2"], "level": [1, None]})
    with pytest.raises(ValueError, match=r"'level' is blank for 1 problem\(s\), e.g. 'b'"):
        validate_problems(df)
