"""Sample and counts tables: schema checks, round trips, and the converters into them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, shared_file
from ttslib.coverage import pass_at_k
from ttslib.data import (
    OPTIONAL_SAMPLE_COLUMNS,
    correct_matrix,
    load_monkey_business,
    read_counts,
    read_pythia_counts,
    read_samples,
    samples_to_counts,
    validate_counts,
    validate_samples,
    write_samples,
)


def make_samples(P=3, N=4, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "problem_id": np.repeat([f"p{i}" for i in range(P)], N),
            "sample_idx": np.tile(np.arange(N), P),
            "completion": "x",
            "answer": rng.choice(["1", "2", None], size=P * N),
            "is_correct": rng.random(P * N) < 0.5,
            "num_prompt_tokens": 10,
            "num_completion_tokens": rng.integers(1, 50, P * N),
            "steps": [["a", "b"]] * (P * N),
            "step_scores": [[0.1, 0.9]] * (P * N),
        }
    )


def test_parquet_round_trip_keeps_lists_and_none(tmp_path):
    df = make_samples()
    path = write_samples(df, tmp_path / "run" / "samples.parquet")
    back = read_samples(path)
    assert back["answer"].isna().sum() == df["answer"].isna().sum()
    assert list(back["step_scores"].iloc[0]) == [0.1, 0.9]
    pd.testing.assert_series_equal(back["is_correct"], df["is_correct"])


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda d: d.drop(columns="is_correct"), r"missing column\(s\) \['is_correct'\]"),
        (lambda d: d.assign(sample_idx=0), "duplicate"),
        (lambda d: d.assign(num_completion_tokens=-1), "num_completion_tokens"),
        (lambda d: d.assign(num_prompt_tokens=np.nan), "num_prompt_tokens"),
        (lambda d: d.assign(is_correct=np.where(np.arange(len(d)) == 0, None, True)), "is_correct"),
        (lambda d: d.assign(score=np.inf), "score"),
        (lambda d: d.assign(step_scores=[[0.5]] * len(d)), "differ in length"),
    ],
)
def test_malformed_sample_tables_name_the_column(mutate, match):
    with pytest.raises(ValueError, match=match):
        validate_samples(mutate(make_samples()))


def test_not_a_dataframe():
    with pytest.raises(TypeError, match="DataFrame"):
        validate_samples({"problem_id": [1]})


def test_samples_to_counts_and_matrix_agree():
    df = make_samples(P=5, N=7, seed=2)
    counts = samples_to_counts(df)
    ids, correct = correct_matrix(df)
    assert correct.shape == (5, 7)
    by_id = counts.set_index("problem_id")
    np.testing.assert_array_equal(by_id.loc[ids, "num_correct"], correct.sum(axis=1))
    np.testing.assert_array_equal(by_id.loc[ids, "num_samples"], 7)


def test_correct_matrix_rejects_ragged_tables():
    df = make_samples(P=2, N=3).iloc[:-1]
    with pytest.raises(ValueError, match="same number of samples"):
        correct_matrix(df)


@pytest.mark.parametrize(
    "counts, match",
    [
        ({"problem_id": ["a"], "num_samples": [3], "num_correct": [4]}, "num_correct > num_samples"),
        ({"problem_id": ["a"], "num_samples": [-3], "num_correct": [0]}, "num_samples"),
        ({"problem_id": ["a", "a"], "num_samples": [3, 3], "num_correct": [0, 1]}, "duplicate"),
        ({"problem_id": ["a"], "num_samples": [3]}, "num_correct"),
    ],
)
def test_malformed_counts(counts, match):
    with pytest.raises(ValueError, match=match):
        validate_counts(pd.DataFrame(counts))


def test_pythia_counts_in_data_are_the_reference_copy():
    for task in ("math", "gsm8k"):
        name = f"pythia_checkpoints_{task}_counts.csv"
        ours = (ROOT / "data" / name).read_bytes()
        assert ours == shared_file(name).read_bytes(), f"data/{name} differs from ../shared/data/{name}"


def test_read_pythia_counts():
    df = read_pythia_counts(ROOT / "data" / "pythia_checkpoints_math_counts.csv")
    assert df["model"].nunique() == 9
    assert set(df.loc[df["model"] == "pythia-1.4b", "params"]) == {1.4e9}
    assert set(df.loc[df["pretrain_tokens"] == "300B", "pretrain_tokens_n"]) == {300e9}
    final = df[df["pretrain_tokens"] == "300B"]
    assert final.groupby("model").size().eq(128).all()
    # the unbiased pass@1 is c/n (shared/data/README.md)
    np.testing.assert_allclose(pass_at_k(final["num_samples"], final["num_correct"], 1), final["num_correct"] / final["num_samples"])


def test_monkey_business_layout_offline(tmp_path):
    rows = [
        {"question": "1+1?", "prompt": "Q: 1+1?", "samples": ["2", "3", "2"], "is_corrects": [True, False, True], "orig_dset_idx": 7},
        {"question": "2+2?", "prompt": "Q: 2+2?", "samples": ["5", "4", "4"], "is_corrects": [False, True, True], "orig_dset_idx": 9},
    ]
    path = tmp_path / "monkey.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    df = load_monkey_business("MATH_local", data_files=path)
    assert len(df) == 6 and set(df["problem_id"]) == {"7", "9"}
    counts = samples_to_counts(df).set_index("problem_id")
    assert counts.loc["7", "num_correct"] == 2 and counts.loc["9", "num_samples"] == 3


def test_monkey_business_rejects_mismatched_lists(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"question": "q", "samples": ["a", "b"], "is_corrects": [True]}))
    with pytest.raises(ValueError, match="differ in length"):
        load_monkey_business("x", data_files=path)


def test_read_missing_files_name_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.parquet"):
        read_samples(tmp_path / "nope.parquet")
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        read_counts(tmp_path / "nope.csv")


def test_correct_matrix_rejects_gaps_in_sample_idx():
    df = make_samples(P=2, N=3)
    df.loc[df["problem_id"] == "p1", "sample_idx"] += 1  # p1 has samples 1, 2, 3
    with pytest.raises(ValueError, match="sample_idx 0..2"):
        correct_matrix(df)


def test_sample_arrays_give_the_selection_inputs_and_name_ragged_problems():
    from ttslib.data import sample_arrays

    df = pd.DataFrame({
        "problem_id": ["p1"] * 3 + ["p0"] * 3, "sample_idx": [2, 0, 1, 0, 1, 2],
        "completion": "", "answer": ["0.5", "1/2", None, "3", "4", "3"],
        "is_correct": [True, True, False, False, False, False],
        "num_prompt_tokens": 5, "num_completion_tokens": 2, "level": [2, 2, 2, 1, 1, 1], "score": [0.3, 0.1, 0.2, 0.9, 0.8, 0.7],
    })
    arrays = sample_arrays(df, ["score"], answer_key=lambda a: {"0.5": "1/2"}.get(a, a))
    assert list(arrays.problem_ids) == ["p0", "p1"] and list(arrays.level) == [1, 2]
    np.testing.assert_array_equal(arrays.correct, [[False, False, False], [True, False, True]])
    assert arrays.answers.tolist() == [["3", "4", "3"], ["1/2", None, "1/2"]]  # "0.5" and "1/2" share a key
    np.testing.assert_allclose(arrays.columns["score"], [[0.9, 0.8, 0.7], [0.1, 0.2, 0.3]])
    with pytest.raises(ValueError, match=r"most problems have 3, but 1 differ: \{'p2': 2\}"):
        sample_arrays(pd.concat([df, df.iloc[1:3].assign(problem_id="p2"), df.iloc[:3].assign(problem_id="p3")]))
    with pytest.raises(ValueError, match="missing column"):
        sample_arrays(df, ["nope"])


def test_shipped_run_manifests_are_what_the_run_loop_writes_now():
    """data/*.run.json hold the manifest ttslib.generate.run writes (same keys), and the arithmetic run's
    problem-set hash is that of the set it was made from, make_arithmetic(40, seed=0)."""
    import json

    from ttslib.generate.base import SamplingConfig
    from ttslib.generate.run import problems_digest, run_manifest
    from ttslib.problems import make_arithmetic

    for name in ("arith_smollm2", "gsm8k_smollm2"):
        shipped = json.loads((ROOT / "data" / f"{name}.run.json").read_text())
        backend = type("Backend", (), {"name": shipped["backend"], "model_name": shipped["model"]})()
        config = SamplingConfig(**shipped["sampling"])
        problems = make_arithmetic(40, seed=0)  # only its shape matters for the keys
        written = run_manifest(backend, config, shipped["template"], shipped["grade_style"], problems, shipped["problems_per_shard"])
        assert list(shipped) == list(written), f"{name}.run.json keys differ from what the run loop writes"
        assert shipped["sampling"] == written["sampling"]
    arith = json.loads((ROOT / "data" / "arith_smollm2.run.json").read_text())
    assert arith["problems_sha256"] == problems_digest(make_arithmetic(40, seed=0))
    assert arith["num_problems"] == 400


# --- bad input is named: the value, its row, its problem (issue 29) -----------------------------------

def _counts(**columns) -> pd.DataFrame:
    base = {"problem_id": ["p0", "p1", "p2"], "num_samples": [4, 4, 4], "num_correct": [1, 0, 2]}
    return pd.DataFrame({**base, **columns})


@pytest.mark.parametrize("columns, match", [
    ({"num_samples": [4, 4, "many"]}, r"'num_samples' must hold numbers; found 'many' in 1 row\(s\) of the counts table, first row 2 \(problem_id 'p2'\)"),
    ({"num_samples": [4, 0, 4], "num_correct": [1, 0, 2]}, r"'num_samples' must hold whole numbers >= 1 \(a problem with no samples has no pass@k\); found 0 .* first row 1 \(problem_id 'p1'\)"),
    ({"num_correct": [1, 0.5, 2]}, r"'num_correct' must hold whole numbers >= 0; found 0.5 .* first row 1"),
    ({"num_correct": [1, None, 2]}, r"'num_correct' has missing values in 1 row\(s\) of the counts table, first row 1"),
    ({"level": [1, None, 2]}, r"column 'level' is blank in 1 row\(s\) of the counts table, first row 1 \(problem_id 'p1'\)"),
    ({"problem_id": [7, "7", "p2"]}, r"duplicate \('problem_id',\) keys: \[\['7'\], \['7'\]\]"),
])
def test_a_bad_counts_table_names_the_value_and_its_row(columns, match):
    with pytest.raises(ValueError, match=match):
        validate_counts(_counts(**columns))


def test_a_blank_level_in_a_sample_table_is_refused_naming_the_row():
    df = make_samples(P=2, N=2).assign(level=[1.0, 1.0, None, 2.0])
    with pytest.raises(ValueError, match=r"column 'level' is blank in 1 row\(s\) of the sample table, first row 2 \(problem_id 'p1'\)"):
        validate_samples(df)


def test_csv_ids_are_text_so_007_and_7_stay_two_problems(tmp_path):
    path = tmp_path / "counts.csv"
    path.write_text("problem_id,num_samples,num_correct\n007,4,1\n7,4,2\n")
    counts = read_counts(path)
    assert counts["problem_id"].tolist() == ["007", "7"] and counts["num_correct"].tolist() == [1, 2]


def test_write_samples_writes_page_checksums_and_read_samples_checks_them(tmp_path):
    """Every byte changed inside a column's pages is refused naming the file, or leaves the values as they were
    (bit padding); read without the checksums, some of the same changes decode to other values."""
    import pyarrow.parquet as pq

    df = make_samples(P=3, N=4)
    path = write_samples(df, tmp_path / "t.parquet")
    good = read_samples(path)
    group = pq.ParquetFile(path).metadata.row_group(0)
    chunk = next(group.column(i) for i in range(group.num_columns) if group.column(i).path_in_schema == "num_completion_tokens")
    start = chunk.dictionary_page_offset if chunk.has_dictionary_page else chunk.data_page_offset
    data = path.read_bytes()
    unnoticed = 0
    for offset in range(start, start + chunk.total_compressed_size):
        flipped = bytearray(data)
        flipped[offset] ^= 0x01
        path.write_bytes(bytes(flipped))
        try:
            back = read_samples(path)
        except ValueError as err:
            assert str(path) in str(err), err
            try:
                unnoticed += not pd.read_parquet(path)["num_completion_tokens"].equals(good["num_completion_tokens"])
            except Exception:  # noqa: BLE001 - pyarrow refuses some changes by itself
                pass
            continue
        pd.testing.assert_frame_equal(back, good)
    assert unnoticed > 0, "no change in the pages would have gone through unchecked: the test shows nothing"


def test_the_shipped_tables_still_read():
    """Tables written before page checksums (every data/*.parquet) read as before: verified where present."""
    for path in sorted((ROOT / "data").rglob("*.parquet")):
        assert len(read_samples(path)) > 0, path


# --- token_confidence: DeepConf's per-token confidence, optional (issue 31) ------------------------------

def _with_confidence(values=None) -> pd.DataFrame:
    """Three samples of 2, 0 and 3 tokens, each with one confidence per token (``values`` replaces them)."""
    df = pd.DataFrame({"problem_id": ["p0", "p0", "p1"], "sample_idx": [0, 1, 0], "completion": "x", "answer": None,
                       "is_correct": False, "num_prompt_tokens": 4, "num_completion_tokens": [2, 0, 3]})
    return df.assign(token_confidence=values if values is not None else [[1.5, 0.25], [], [3.0, 2.0, 0.0]])


def test_token_confidence_round_trips_with_absent_rows(tmp_path):
    df = _with_confidence([[1.5, 0.25], None, [3.0, 2.0, 0.0]])
    back = read_samples(write_samples(df, tmp_path / "s.parquet"))
    assert list(back["token_confidence"].iloc[0]) == [1.5, 0.25] and back["token_confidence"].iloc[1] is None
    validate_samples(_with_confidence([np.nan, None, None]))  # absent everywhere (a server that gives none)
    assert "token_confidence" in OPTIONAL_SAMPLE_COLUMNS


@pytest.mark.parametrize("values, match", [
    ([[1.5], [], [3.0, 2.0, 0.0]], r"'token_confidence' must hold one value per completion token; found 1 values where "
                                   r"num_completion_tokens is 2 in 1 row\(s\) of the sample table, first row 0 \(problem_id 'p0'\)"),
    ([[1.5, 0.25], [], [3.0, np.nan, 0.0]], r"'token_confidence' must hold finite numbers >= 0 .*found nan in 1 row\(s\).*first row 2 \(problem_id 'p1'\)"),
    ([[1.5, 0.25], [], [3.0, np.inf, 0.0]], r"'token_confidence' must hold finite numbers >= 0 .*found inf .*first row 2"),
    ([[1.5, -0.25], [], [3.0, 2.0, 0.0]], r"'token_confidence' must hold finite numbers >= 0 .*found -0.25 .*first row 0"),
    ([[1.5, 0.25], [], ["a", "b", "c"]], r"'token_confidence' must hold numbers; found \['a', 'b', 'c'\].* first row 2"),
    ([[1.5, 0.25], [], 2.0], r"'token_confidence' must hold a list of floats per row \(or None\); found 2.0 .*first row 2"),
])
def test_a_bad_token_confidence_is_named_with_its_row(values, match):
    with pytest.raises(ValueError, match=match):
        validate_samples(_with_confidence(values))
