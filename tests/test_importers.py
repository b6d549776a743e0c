"""Importers of other tools' samples, on small local files in each tool's layout (no network).

Expected grades are written out by hand from the fixtures' completions (tests/fixtures/importers/,
made by make_fixtures.py there), not computed by ttslib.grade.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import subprocess
import sys

import pandas as pd
import pytest

from conftest import FIXTURES, ROOT
from ttslib.data import import_lm_eval_samples, import_search_and_learn, import_table, validate_samples

HERE = FIXTURES / "importers"
SAL = HERE / "search_and_learn" / "best_of_n_completions.jsonl"
SAL_PARQUET = HERE / "search_and_learn" / "best_of_n_completions.parquet"
DVTS = HERE / "search_and_learn" / "dvts_completions.jsonl"
LM_EVAL = HERE / "lm_eval" / "samples_gsm8k_2025-03-04T10-11-12.345678.jsonl"
TABLE = HERE / "table" / "my_samples.csv"
TABLE_MAP = {"problem_id": "qid", "completion": "output", "reference": "gold"}

SAL_CORRECT = {  # (problem, sample) -> is_correct, read off the completions by hand
    "test/prealgebra/901.json": [True, True, False, False],  # 3/4; 0.75; 2/6; cut off with no answer
    "test/algebra/902.json": [True, True, False, True],  # 4; x = 4; 7; "The answer is 4"
    "test/number_theory/903.json": [True, True, False, True],  # 6; 6; 4; 6
}
LM_EVAL_CORRECT = {"0": [True, False, True, False], "1": [True, True, False, False], "2": [True, True, False, True]}
TABLE_CORRECT = {"q-half": [False, True, False], "q-sum": [True, True, False]}


def _by_problem(df: pd.DataFrame, column: str = "is_correct") -> dict:
    return {pid: g.sort_values("sample_idx")[column].tolist() for pid, g in df.groupby("problem_id", sort=False)}


def _raw_lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _write_lines(path, rows) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


# --------------------------------------------------------------------------- search-and-learn


def test_search_and_learn_rows_grades_steps_and_scores():
    df = import_search_and_learn(SAL)
    raw = _raw_lines(SAL)
    assert _by_problem(df) == SAL_CORRECT
    assert validate_samples(df) is not None and len(df) == 12
    assert df.loc[(df.problem_id == "test/prealgebra/901.json") & (df.sample_idx == 3), "status"].item() == "no_answer"
    for row, (pid, g) in zip(raw, df.groupby("problem_id", sort=False)):
        assert pid == row["unique_id"]
        assert g["completion"].tolist() == row["completions"]
        assert g["step_scores"].tolist() == row["scores"]
        assert g["score"].tolist() == [s[-1] for s in row["scores"]]  # agg="last", their agg_scores
        assert g["score"].tolist() == row["agg_scores"]
        assert g["num_completion_tokens"].tolist() == row["completion_tokens"]
        assert (g["level"] == row["level"]).all() and (g["subject"] == row["subject"]).all()
        for steps, completion, scores in zip(g["steps"], row["completions"], row["scores"]):
            assert len(steps) == len(scores)
            assert "\n\n".join(steps) == completion.removesuffix("\n\n")
    assert (df["num_prompt_tokens"] == 0).all()
    assert not any(c.startswith("pred") for c in df.columns)


@pytest.mark.parametrize("agg, reduce", [("min", min), ("prod", math.prod)])
def test_search_and_learn_agg_options(agg, reduce):
    df = import_search_and_learn(SAL, agg=agg)
    expected = [reduce(s) for row in _raw_lines(SAL) for s in row["scores"]]
    assert df["score"].tolist() == pytest.approx(expected)
    with pytest.raises(ValueError, match="agg must be one of"):
        import_search_and_learn(SAL, agg="mean")


def test_search_and_learn_parquet_matches_jsonl():
    pd.testing.assert_frame_equal(import_search_and_learn(SAL_PARQUET), import_search_and_learn(SAL))


def test_search_and_learn_dvts_layout():
    df = import_search_and_learn(DVTS)
    problems = [row["problem"] for row in _raw_lines(DVTS)]
    ids = ["sal-" + hashlib.sha1(p.encode("utf-8")).hexdigest()[:12] for p in problems]
    assert list(pd.unique(df["problem_id"])) == ids  # no unique_id: stable hash of the problem text
    assert _by_problem(df) == {ids[0]: [True, True, False, False], ids[1]: [True, False, True, False]}
    assert (df["num_completion_tokens"] == 0).all()  # dvts writes completion_tokens = -1: not recorded


def test_search_and_learn_hub_id_goes_through_load_dataset(monkeypatch):
    import datasets

    calls = []

    def fake_load(path, **kwargs):
        calls.append((path, kwargs))
        return datasets.Dataset.from_json(str(SAL))

    monkeypatch.setattr(datasets, "load_dataset", fake_load)
    df = import_search_and_learn("someone/best_of_n-prm-completions", revision="n-4--seed-0")
    assert calls == [("someone/best_of_n-prm-completions", {"name": None, "revision": "n-4--seed-0", "split": "train"})]
    pd.testing.assert_frame_equal(df, import_search_and_learn(SAL))


def test_search_and_learn_steps_that_do_not_match_scores(tmp_path):
    rows = _raw_lines(SAL)
    rows[1]["scores"][0] = [0.5, 0.6]  # three "\n\n" steps, two scores
    _write_lines(tmp_path / "x.jsonl", rows)
    with pytest.warns(UserWarning, match="1 completion"):
        df = import_search_and_learn(tmp_path / "x.jsonl")
    row = df[(df.problem_id == "test/algebra/902.json") & (df.sample_idx == 0)].iloc[0]
    assert row["steps"] is None and row["step_scores"] == [0.5, 0.6]
    rows[1]["scores"] = rows[1]["scores"][:3]
    _write_lines(tmp_path / "y.jsonl", rows)
    with pytest.raises(ValueError, match="'test/algebra/902.json' has 4 completions but 3 'scores'"):
        import_search_and_learn(tmp_path / "y.jsonl")


# --------------------------------------------------------------------------- lm-evaluation-harness


def test_lm_eval_one_row_per_response_graded_against_target():
    df = import_lm_eval_samples(LM_EVAL)
    assert _by_problem(df) == LM_EVAL_CORRECT
    assert len(df) == 12  # each document is logged once per filter (2 here): read once
    assert _by_problem(df, "reference") == {"0": ["7"] * 4, "1": ["2400"] * 4, "2": ["12"] * 4}  # from "#### 2,400"
    raw = _raw_lines(LM_EVAL)
    assert _by_problem(df, "completion") == {str(r["doc_id"]): r["resps"][0] for r in raw[:3]}
    assert (df["task"] == "gsm8k").all() and df["doc_hash"].tolist() == [r["doc_hash"] for r in raw[:3] for _ in range(4)]


def test_lm_eval_style_is_passed_to_the_grader():
    df = import_lm_eval_samples(LM_EVAL, style="last_number")  # "There are 7 rolls left." now reads 7
    assert _by_problem(df)["0"] == [True, False, True, True]


def test_lm_eval_refuses_mixed_runs_and_loglikelihood_tasks(tmp_path):
    rows = _raw_lines(LM_EVAL)
    rows[3]["resps"] = [[" other\n#### 7"] * 4]  # doc 0 again, under the second filter, with other responses
    _write_lines(tmp_path / "samples_gsm8k_x.jsonl", rows)
    with pytest.raises(ValueError, match="doc_id 0 appears with different responses"):
        import_lm_eval_samples(tmp_path / "samples_gsm8k_x.jsonl")
    rows = _raw_lines(LM_EVAL)[:1]
    rows[0]["resps"] = [[["-1.25", "False"]], [["-3.5", "True"]]]  # a loglikelihood task, sanitised to strings
    _write_lines(tmp_path / "samples_arc_x.jsonl", rows)
    with pytest.raises(ValueError, match="only generate_until tasks"):
        import_lm_eval_samples(tmp_path / "samples_arc_x.jsonl")


# --------------------------------------------------------------------------- any table


def test_table_with_a_column_mapping():
    df = import_table(TABLE, **TABLE_MAP)
    assert _by_problem(df) == TABLE_CORRECT
    assert _by_problem(df, "sample_idx") == {"q-half": [0, 1, 2], "q-sum": [0, 1, 2]}  # numbered in file order
    assert (df["temperature"] == 0.8).all()  # extra columns kept
    assert df.loc[5, "completion"] == "None" and df.loc[5, "status"] == "no_answer"  # the text "None" is not missing
    assert {"qid", "output", "gold"}.isdisjoint(df.columns)


def test_table_from_other_formats_and_given_sample_idx(tmp_path):
    src = pd.read_csv(TABLE, keep_default_na=False)
    src["k"] = [2, 1, 0, 0, 1, 2]
    src["answer"] = "theirs"
    src.to_parquet(tmp_path / "t.parquet")
    src.to_json(tmp_path / "t.jsonl", orient="records", lines=True)
    by_k = import_table(tmp_path / "t.parquet", sample_idx="k", **TABLE_MAP)
    assert _by_problem(by_k) == {"q-half": [False, True, False], "q-sum": [True, True, False]}
    assert (by_k["input_answer"] == "theirs").all()  # the table's own 'answer' is kept, not overwritten
    pd.testing.assert_frame_equal(import_table(tmp_path / "t.jsonl", sample_idx="k", **TABLE_MAP), by_k)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("importer, other, expected", [
    (import_search_and_learn, LM_EVAL, "['problem', 'answer', 'completions', 'scores']"),
    (import_lm_eval_samples, SAL, "['doc_id', 'doc', 'target', 'resps']"),
    (lambda path: import_table(path, **TABLE_MAP), SAL, "['qid', 'output', 'gold']"),
])
def test_another_layout_names_expected_and_found_columns(importer, other, expected):
    with pytest.raises(ValueError) as err:
        importer(other)
    message = str(err.value)
    assert f"expected column(s) {expected}" in message
    assert f"Found {list(pd.DataFrame(_raw_lines(other)).columns)}" in message


def _drop_references(kind: str, tmp_path):
    """A copy of a fixture where one problem has no reference; returns (path, import function, problem id)."""
    if kind == "sal":
        rows = _raw_lines(SAL)
        rows[1]["answer"] = ""
        _write_lines(tmp_path / "s.jsonl", rows)
        return tmp_path / "s.jsonl", import_search_and_learn, "test/algebra/902.json"
    if kind == "lm_eval":
        rows = _raw_lines(LM_EVAL)
        for r in rows:
            if r["doc_id"] == 1:
                r["target"] = " "
        _write_lines(tmp_path / "samples_gsm8k_x.jsonl", rows)
        return tmp_path / "samples_gsm8k_x.jsonl", import_lm_eval_samples, "1"
    text = TABLE.read_text().replace(",0.5,", ",,")
    (tmp_path / "t.csv").write_text(text)
    return tmp_path / "t.csv", lambda p, **kw: import_table(p, **TABLE_MAP, **kw), "q-half"


@pytest.mark.parametrize("kind, rows", [("sal", 4), ("lm_eval", 4), ("table", 3)])
def test_rows_without_reference(kind, rows, tmp_path):
    path, importer, pid = _drop_references(kind, tmp_path)
    with pytest.raises(ValueError, match=rf"{rows} row\(s\) in 1 problem\(s\) have no reference .*\['{pid}'\].*keep_ungraded"):
        importer(path)
    df = importer(path, keep_ungraded=True)
    kept = df[df["problem_id"] == pid]
    assert len(kept) == rows and (kept["status"] == "no_reference").all() and not kept["is_correct"].any()
    assert kept["answer"].notna().any()  # answers are still extracted
    assert (df.loc[df["problem_id"] != pid, "status"] != "no_reference").all()


@pytest.mark.parametrize("importer, name", [
    (import_search_and_learn, "e.jsonl"), (import_search_and_learn, "e.parquet"),
    (import_lm_eval_samples, "samples_t_x.jsonl"), (lambda p: import_table(p, **TABLE_MAP), "e.csv"),
])
def test_empty_file(importer, name, tmp_path):
    path = tmp_path / name
    if name.endswith(".parquet"):
        pd.DataFrame({"problem": pd.Series([], dtype=str)}).to_parquet(path)
    else:
        path.write_text("")
    with pytest.raises(ValueError, match="holds no rows"):
        importer(path)


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file at"):
        import_search_and_learn(tmp_path / "nothing.jsonl")
    (tmp_path / "t.txt").write_text("x")
    with pytest.raises(ValueError, match="expected a file ending in"):
        import_table(tmp_path / "t.txt", **TABLE_MAP)
    (tmp_path / "bad.jsonl").write_text('{"a": 1}\n{"a": \n')
    with pytest.raises(ValueError, match="line 2 is not JSON"):
        import_lm_eval_samples(tmp_path / "bad.jsonl")
    (tmp_path / "array.jsonl").write_text('{"a": 1}\n[1, 2]\n')
    with pytest.raises(ValueError, match="array.jsonl: line 2 is a JSON list, not an object"):
        import_lm_eval_samples(tmp_path / "array.jsonl")
    (tmp_path / "first.jsonl").write_text('[1, 2]\n{"a": 1}\n')  # starts like a JSON array, but is lines
    with pytest.raises(ValueError, match="first.jsonl: line 1 is a JSON list"):
        import_lm_eval_samples(tmp_path / "first.jsonl")
    (tmp_path / "elements.json").write_text('[{"a": 1}, 3]')
    with pytest.raises(ValueError, match="element 1 of the JSON array is a int"):
        import_table(tmp_path / "elements.json", **TABLE_MAP)


def test_csv_ids_007_and_7_stay_two_problems(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("problem_id,completion,reference\n007,The answer is 2.,2\n7,The answer is 3.,2\n")
    table = import_table(path)
    assert table["problem_id"].tolist() == ["007", "7"] and table["is_correct"].tolist() == [True, False]


# --------------------------------------------------------------------------- the package


def test_package_exports_and_stays_light():
    import ttslib.data
    import ttslib.data.importers as importers
    import ttslib.data.schema as schema

    assert ttslib.data.import_table is importers.import_table and ttslib.data.read_samples is schema.read_samples
    assert {"read_pythia_counts", "monkey_business_to_samples", "load_monkey_business"} <= set(importers.__all__)
    assert set(ttslib.data.__all__) == set(schema.__all__) | (set(importers.__all__) & set(dir(ttslib.data)))
    assert not any(line.startswith(("from ttslib", "import ttslib"))  # the schema is a leaf: no cycle through it
                   for line in (ROOT / "ttslib/data/schema.py").read_text().splitlines())
    assert {"import_search_and_learn", "import_lm_eval_samples", "import_table", "read_samples"} <= set(ttslib.data.__all__)
    code = "import sys, ttslib.data; print('math_verify' in sys.modules, 'datasets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split() == ["False", "False"]  # grading and the hub are imported only when an importer runs


def test_fixtures_are_what_make_fixtures_writes(tmp_path):
    spec = importlib.util.spec_from_file_location("make_fixtures", HERE / "make_fixtures.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    make.write_search_and_learn(tmp_path)
    make.write_lm_eval(tmp_path)
    make.write_table(tmp_path)
    for path in [SAL, DVTS, LM_EVAL, TABLE]:
        assert (tmp_path / path.relative_to(HERE)).read_bytes() == path.read_bytes(), path.name
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / SAL_PARQUET.relative_to(HERE)), pd.read_parquet(SAL_PARQUET))
