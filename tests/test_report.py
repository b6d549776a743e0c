"""ttslib.report (which sections of notebook 00 apply to a table, and why) and `ttslib report` on good and bad input."""

from __future__ import annotations

import base64
import re
from itertools import combinations

import nbformat
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import FIXTURES, ROOT
from ttslib import report
from ttslib.cli import app
from ttslib.report import MIN_N_BACKTEST, MIN_N_FIT, ReportInputError

runner = CliRunner()
IMPORTED = FIXTURES / "importers"
TABLE_COLUMNS = {"problem_id": "qid", "completion": "output", "reference": "gold"}  # tests/fixtures/importers/table


def samples(P: int, N: int, *, seed: int = 0, answers: bool = True, score: bool = False, p=None) -> pd.DataFrame:
    """A graded sample table: problem i right with probability p_i; wrong answers drawn from three."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.05, 0.95, P) if p is None else np.broadcast_to(p, P)
    correct = rng.random((P, N)) < p[:, None]
    wrong = rng.integers(1, 4, (P, N))
    df = pd.DataFrame({
        "problem_id": np.repeat([f"q{i}" for i in range(P)], N),
        "sample_idx": np.tile(np.arange(N), P),
        "completion": "",
        "answer": np.where(correct, "0", wrong.astype(str)).ravel() if answers else None,
        "is_correct": correct.ravel(),
        "num_prompt_tokens": 20,
        "num_completion_tokens": 5,
    })
    if score:
        df["score"] = np.clip(0.5 * correct + 0.5 * rng.random((P, N)), 0, 1).ravel()
    return df


def counts(P: int, N: int, *, seed: int = 0) -> pd.DataFrame:
    c = samples(P, N, seed=seed).groupby("problem_id", sort=False)["is_correct"].sum()
    return pd.DataFrame({"problem_id": c.index, "num_samples": N, "num_correct": c.to_numpy()})


# ---- which sections apply ------------------------------------------------------------------------


def test_a_counts_table_gets_no_selection_and_no_flops_and_says_why():
    sections = report.which_sections(counts(40, 64), model="SmolLM2-135M")
    assert set(sections) == set(report.SECTIONS)
    assert not sections["selection"].applies and "counts table" in sections["selection"].reason
    assert not sections["flops"].applies and "token counts" in sections["flops"].reason
    assert sections["coverage"].applies and sections["fits"].applies and sections["backtest"].applies
    assert sections["difficulty"].applies


def test_answers_and_scores_make_every_selection_rule_apply():
    sections = report.which_sections(samples(30, 8, score=True))
    assert sections["selection"].applies
    assert "majority vote" in sections["selection"].reason and "best-of-N" in sections["selection"].reason
    assert "score column" in sections["selection"].reason


def test_without_answers_or_scores_selection_is_skipped_with_its_reason():
    sections = report.which_sections(samples(30, 8, answers=False))
    assert not sections["selection"].applies and "nothing to select by" in sections["selection"].reason
    only_scores = report.which_sections(samples(30, 8, answers=False, score=True))["selection"]
    assert only_scores.applies and "majority" not in only_scores.reason  # best-of-N needs no answers


def test_too_few_samples_skip_the_fits_and_the_backtest_naming_the_threshold():
    few = report.which_sections(samples(30, MIN_N_FIT - 1))
    assert few["coverage"].applies
    assert not few["fits"].applies and f"need {MIN_N_FIT} or more" in few["fits"].reason
    assert not few["backtest"].applies
    some = report.which_sections(samples(30, MIN_N_BACKTEST - 1))
    assert some["fits"].applies
    assert not some["backtest"].applies and f"needs {MIN_N_BACKTEST} or more" in some["backtest"].reason
    assert report.which_sections(samples(30, MIN_N_BACKTEST))["backtest"].applies


def test_unequal_samples_per_problem_use_the_fewest():
    df = samples(20, 16)
    df = df[~((df["problem_id"] == "q3") & (df["sample_idx"] >= 4))]  # q3 keeps only 4 samples
    sections = report.which_sections(df)
    assert "4 to 16 samples per problem" in sections["summary"].reason
    assert not sections["fits"].applies and "only 4 samples" in sections["fits"].reason


def test_coverage_at_zero_or_one_everywhere_leaves_nothing_to_fit():
    assert not report.which_sections(samples(20, 16, p=0.0))["fits"].applies
    assert not report.which_sections(samples(20, 16, p=1.0))["fits"].applies


def test_one_sample_per_problem_and_few_problems():
    sections = report.which_sections(samples(3, 1))
    assert not sections["coverage"].applies and not sections["selection"].applies
    assert not sections["difficulty"].applies and "3 problems" in sections["difficulty"].reason


def test_one_problem_gets_no_fits_since_their_intervals_bootstrap_over_problems():
    # issue 29: a fit on one problem had a zero-width interval; the fits now refuse it, and the report says why
    one = report.which_sections(samples(1, 64, p=0.3))
    assert one["coverage"].applies and not one["fits"].applies and not one["backtest"].applies
    assert "needs 2 or more" in one["fits"].reason
    assert report.which_sections(samples(2, 64, p=0.3))["fits"].applies


def test_flops_need_a_registry_model_and_token_counts():
    df = samples(10, 4)
    assert not report.which_sections(df)["flops"].applies  # no MODEL, no model column
    assert "not in the registry" in report.which_sections(df, model="no-such-model")["flops"].reason
    assert report.which_sections(df, model="SmolLM2-135M")["flops"].applies
    assert report.which_sections(df.assign(model="SmolLM2-135M-Instruct.Q4_1"))["flops"].applies  # a GGUF file's name
    assert "no prompt token counts" in report.which_sections(df.assign(num_prompt_tokens=0), model="SmolLM2-135M")["flops"].reason
    uneven = df.assign(num_prompt_tokens=np.where(df["sample_idx"] == 0, 21, 20))  # prompt tokens differ within a problem
    assert "differs within problem" in report.which_sections(uneven, model="SmolLM2-135M")["flops"].reason


# ---- reading and the rules themselves --------------------------------------------------------------


def test_a_minimal_table_is_filled_and_the_llm_monkeys_layout_is_read():
    kind, table, filled = report.standardise(pd.DataFrame({"problem_id": ["a", "a", "b"], "is_correct": [1, 0, 0]}))
    assert kind == "samples" and set(filled) == {"sample_idx", "completion", "answer", "num_prompt_tokens", "num_completion_tokens"}
    assert table["sample_idx"].tolist() == [0, 1, 0]
    kind, table, _ = report.standardise(pd.DataFrame({"question": ["x"], "samples": [["a", "b"]], "is_corrects": [[True, False]]}))
    assert kind == "samples" and table["is_correct"].tolist() == [True, False]


def test_a_run_directory_is_read_with_the_model_its_manifest_names(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    samples(6, 4).to_parquet(run / "samples.parquet")
    (run / "run.json").write_text('{"backend": "llama.cpp", "model": "SmolLM2-135M-Instruct.Q4_1"}')
    loaded = report.load_table(run)
    assert loaded.manifest == str(run / "run.json") and (loaded.table["model"] == "SmolLM2-135M-Instruct.Q4_1").all()
    assert report.which_sections(loaded.table)["flops"].applies
    (run / "run.json").write_text("not json")
    assert report.load_table(run).manifest is None and "model" not in report.load_table(run).table.columns


def test_first_n_samples_keeps_the_lowest_indices_and_drops_short_problems():
    df = pd.DataFrame({"problem_id": ["a"] * 3 + ["b"] * 2 + ["c"], "sample_idx": [5, 1, 9, 0, 7, 0],
                       "is_correct": [True, False, True, False, True, False]})
    _, df, _ = report.standardise(df)
    got = report.first_n_samples(df, 2)
    assert got["problem_id"].tolist() == ["a", "a", "b", "b"] and got["sample_idx"].tolist() == [0, 1, 0, 1]
    assert got["is_correct"].tolist() == [False, True, False, True]  # a's samples 1 and 5, b's 0 and 7


def test_score_source_prefers_the_score_then_step_scores_then_logprob():
    df = samples(4, 3)
    assert report.score_source(df) is None
    with_lp = df.assign(logprob=-1.0)
    assert report.score_source(with_lp)[0] == "logprob"
    np.testing.assert_allclose(report.sample_scores(with_lp, "logprob"), np.exp(-1.0 / 5))
    with_steps = with_lp.assign(step_scores=[[0.1, 0.7]] * len(df))
    assert report.score_source(with_steps)[0] == "step_scores"
    np.testing.assert_allclose(report.sample_scores(with_steps, "step_scores"), 0.7)  # the last step
    assert report.score_source(with_steps.assign(score=0.3))[0] == "score"


def test_selection_rules_match_brute_force_enumeration_of_subsets():
    df = samples(6, 5, score=True, seed=3)
    rules, notes = report.selection_rules(df, [1, 2, 3, 5])
    assert set(rules) == {"oracle", "majority", "best_of_n", "weighted"} and notes == []
    for p, (_, g) in enumerate(df.groupby("problem_id", sort=False)):
        ans, ok, sc = g["answer"].to_numpy(), g["is_correct"].to_numpy(), g["score"].to_numpy()
        for j, n in enumerate([1, 2, 3, 5]):
            subsets = list(combinations(range(5), n))
            best = [ok[max(s, key=lambda i: sc[i])] for s in subsets]  # scores are distinct floats

            def vote(s, w):
                totals = {}
                for i in s:
                    totals[ans[i]] = totals.get(ans[i], 0) + w[i]
                top = max(totals.values())
                winners = [a for a, t in totals.items() if np.isclose(t, top)]
                return sum(a == "0" for a in winners) / len(winners)

            np.testing.assert_allclose(rules["best_of_n"].per_problem[p, j], np.mean(best))
            np.testing.assert_allclose(rules["majority"].per_problem[p, j], np.mean([vote(s, np.ones(5)) for s in subsets]))
            np.testing.assert_allclose(rules["weighted"].per_problem[p, j], np.mean([vote(s, sc) for s in subsets]))
            np.testing.assert_allclose(rules["oracle"].per_problem[p, j], np.mean([ok[list(s)].any() for s in subsets]))


def test_negative_scores_leave_the_weighted_vote_out_and_say_so():
    rules, notes = report.selection_rules(samples(6, 4, score=True).eval("score = score - 2"), [1, 4])
    assert "weighted" not in rules and "best_of_n" in rules and "negative" in notes[0]


def test_unreadable_and_non_tables_raise_one_line(tmp_path):
    (tmp_path / "empty.parquet").write_bytes(b"")
    (tmp_path / "junk.parquet").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "obj.json").write_text('{"a": 1}')
    (tmp_path / "header.csv").write_text("problem_id,is_correct\n")
    for name, says in [("empty.parquet", "is empty"), ("junk.parquet", "cannot be read as Parquet"),
                       ("obj.json", "not a sample table"), ("header.csv", "no rows"), ("none.csv", "no such file")]:
        with pytest.raises(ReportInputError, match=says) as err:
            report.load_table(tmp_path / name)
        assert "\n" not in str(err.value) and name in str(err.value)


@pytest.mark.parametrize("path, layout", [
    ("search_and_learn/best_of_n_completions.jsonl", "search-and-learn"),
    ("search_and_learn/best_of_n_completions.parquet", "search-and-learn"),
    ("lm_eval/samples_gsm8k_2025-03-04T10-11-12.345678.jsonl", "lm-eval"),
])
def test_other_tools_outputs_are_recognised_by_their_columns_and_imported(path, layout):
    loaded = report.load_table(IMPORTED / path)
    assert loaded.layout == layout and loaded.kind == "samples"
    assert loaded.table["status"].isin(["ok", "no_answer"]).all()  # graded on the way in
    assert "imported from" in report.validation_summary(loaded)["kind"]
    assert report.which_sections(loaded.table)["selection"].applies


def test_a_plain_table_needs_its_column_mapping():
    with pytest.raises(ReportInputError, match="not a sample table.*'qid'"):
        report.load_table(IMPORTED / "table" / "my_samples.csv")
    loaded = report.load_table(IMPORTED / "table" / "my_samples.csv", columns=TABLE_COLUMNS)
    assert loaded.layout == "table" and loaded.table["problem_id"].nunique() == 2
    with pytest.raises(ReportInputError, match="read as search-and-learn: .*expected"):
        report.load_table(IMPORTED / "table" / "my_samples.csv", format="search-and-learn")


def test_notebook_00_prose_states_no_number():
    """Its markdown is the same for every table, so every number it shows is printed by a cell (the
    numbers-in-prose check of tests/test_notebook_numbers.py, with nothing to assert)."""
    import jupytext
    from test_notebook_numbers import stated_numbers

    cells = jupytext.read(ROOT / "notebooks" / "src" / "00_your_samples.py", fmt="py:percent").cells
    stated = {cell.source.splitlines()[0]: stated_numbers(cell.source) for cell in cells if cell.cell_type == "markdown"}
    assert not {title: numbers for title, numbers in stated.items() if numbers}


# ---- ttslib report ---------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", bytes(range(256)) * 8], ids=["empty", "garbage"])
def test_report_on_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, content):
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(content)
    out = tmp_path / "out"
    result = runner.invoke(app, ["report", str(bad), "--out", str(out)])
    assert result.exit_code == 2  # bad input, as every usage error of the command line (issue 29)
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error: SAMPLES") and "bad.parquet" in result.stderr
    assert not out.exists()


def _check_report(out, name, *, expect_figures):
    notebook, page = out / f"{name}.ipynb", out / f"{name}.html"
    assert notebook.exists() and page.exists()
    nb = nbformat.read(notebook, as_version=4)
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    html = page.read_text(encoding="utf-8")
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) >= expect_figures and all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    figures = sorted(p.name for p in (out / "figures").glob("*.png"))
    assert len(figures) >= expect_figures and all(f.startswith("00_") for f in figures)
    printed = "".join(o.text for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "stream")
    return printed, html


@pytest.mark.slow
def test_report_on_the_shipped_arithmetic_run(tmp_path):
    out = tmp_path / "arith"
    result = runner.invoke(app, ["report", str(ROOT / "data" / "arith_smollm2.parquet"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "[1/" in result.stdout and "Selection" in result.stdout  # a progress line per section
    printed, _ = _check_report(out, "arith_smollm2", expect_figures=6)  # every section applies
    assert printed.count("applies: ") == 6 and "skipped: " not in printed


@pytest.mark.slow
def test_report_on_a_counts_table_skips_what_counts_cannot_show(tmp_path):
    path = tmp_path / "counts.csv"
    counts(60, 40).to_csv(path, index=False)
    result = runner.invoke(app, ["report", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "selection: skipped" in result.stdout and "flops: skipped" in result.stdout
    printed, html = _check_report(tmp_path / "out", "counts", expect_figures=4)  # coverage, fits, backtest, difficulty
    assert "skipped: a counts table has no per-sample answers" in printed and "skipped: a counts table has no token counts" in printed
    assert "skipped: a counts table has no per-sample answers" in html


@pytest.mark.slow
@pytest.mark.parametrize("path, options", [
    ("search_and_learn/best_of_n_completions.jsonl", []),
    ("lm_eval/samples_gsm8k_2025-03-04T10-11-12.345678.jsonl", []),
    ("table/my_samples.csv", [f"--column={k}={v}" for k, v in TABLE_COLUMNS.items()]),
], ids=["search-and-learn", "lm-eval", "table"])
def test_report_on_the_importers_fixtures(tmp_path, path, options):
    result = runner.invoke(app, ["report", str(IMPORTED / path), "--out", str(tmp_path / "out"), *options])
    assert result.exit_code == 0, result.output
    assert "fits: skipped" in result.stdout  # a handful of samples per problem
    name = path.split("/")[-1].split(".")[0]
    printed, _ = _check_report(tmp_path / "out", name, expect_figures=2)  # coverage and selection
    assert "applies: pass@n (oracle), majority vote" in printed
