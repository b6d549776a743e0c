"""ttslib.policy.table: the strategy-results table, one column per setting, its one builder and validator."""

import numpy as np
import pandas as pd
import pytest

from ttslib.policy import COST_RTOL, RESULT_COLUMNS, SETTINGS, Strategy, VerifierSpec, choose_policy, results_table, strategies_of, validate_results

NOISY = VerifierSpec.noisy(0.8, seed=2)
BEAM = Strategy("beam_search", NOISY, "min", beam_width=4, lookahead=1)
MAJ, WEI = Strategy("majority"), Strategy("weighted", NOISY)


def small(P=3):
    rng = np.random.default_rng(0)
    n = np.array([1, 4])
    curves = {s: (n, rng.random((P, 2)), rng.random((P, 2)) * 10) for s in (BEAM, MAJ, WEI)}
    return curves, results_table([f"p{i}" for i in range(P)], curves, level=np.arange(P))


def test_one_column_per_setting_and_one_row_per_problem_strategy_and_n():
    curves, df = small()
    assert list(df.columns[: len(RESULT_COLUMNS)]) == list(RESULT_COLUMNS) and "level" in df.columns
    assert "strategy" not in df.columns  # no label is stored
    beam = df[df["method"] == "beam_search"]
    assert beam[list(SETTINGS)].drop_duplicates().to_dict("records") == [
        {"method": "beam_search", "verifier": NOISY, "aggregate": "min", "beam_width": 4, "lookahead": 1, "variant": None,
         "select": "weighted", "stop": None, "revisions": None}]
    assert df.loc[df["method"] == "majority", ["verifier", "aggregate", "beam_width"]].isna().all().all()
    for s, (n, acc, cost) in curves.items():  # every value where the arrays put it
        rows = df[strategies_of(df) == s]
        np.testing.assert_array_equal(rows["accuracy"].to_numpy().reshape(3, 2), acc)
        np.testing.assert_array_equal(rows["cost"].to_numpy().reshape(3, 2), cost)
        np.testing.assert_array_equal(rows["n"].to_numpy().reshape(3, 2), np.tile(n, (3, 1)))


def test_strategies_of_rebuilds_the_records_from_the_columns_in_any_row_order():
    _, df = small()
    shuffled = df.sample(frac=1.0, random_state=1)
    assert strategies_of(shuffled).tolist() == [Strategy(**{c: (None if pd.isna(r[c]) else r[c]) for c in SETTINGS})
                                                for _, r in shuffled.iterrows()]
    assert set(strategies_of(df)) == {BEAM, MAJ, WEI}


@pytest.mark.parametrize("edit, match", [
    (lambda d: d.assign(verifier=NOISY), "make no strategy"),  # majority vote with a verifier
    (lambda d: d.drop(columns="lookahead"), "missing"),
    (lambda d: pd.concat([d, d.iloc[:1]]), "duplicate"),
    (lambda d: d.assign(n=0), "'n' must be finite and > 0"),
])
def test_bad_tables_are_refused_naming_what_is_wrong(edit, match):
    _, df = small()
    with pytest.raises(ValueError, match=match):
        validate_results(edit(df))


def test_the_builder_refuses_labels_and_arrays_of_the_wrong_shape():
    with pytest.raises(TypeError, match="Strategy records"):
        results_table(["p0"], {"majority": ([1], [[0.5]], [[1.0]])})
    with pytest.raises(ValueError, match="shape"):
        results_table(["p0", "p1"], {MAJ: ([1], [[0.5]], [[1.0]])})


def test_a_cap_within_the_public_tolerance_fits():
    df = results_table(["p0", "p1"], {MAJ: ([1], [[0.5], [0.5]], [[2.0], [2.0]])})
    assert choose_policy(df, pd.Series(1, index=["p0", "p1"]), 2.0 / (1 + 0.5 * COST_RTOL))["strategy"].iloc[0] == MAJ
    with pytest.raises(ValueError, match="fits no strategy"):
        choose_policy(df, pd.Series(1, index=["p0", "p1"]), 2.0 / (1 + 2 * COST_RTOL))


def test_an_adaptive_rule_is_its_own_setting_column_and_comes_back_as_the_same_record():
    from ttslib.adaptive import ESC, AdaptiveConsistency
    esc, ac = Strategy.adaptive(ESC(window=2, max_samples=8)), Strategy.adaptive(AdaptiveConsistency(0.9))
    df = results_table(["p0", "p1"], {MAJ: ([8], [[0.5], [1.0]], [[8.0], [8.0]]), esc: ([8], [[0.5], [1.0]], [[3.0], [5.0]]),
                                      ac: ([16], [[0.5], [1.0]], [[3.0], [5.0]])})
    assert df["stop"].tolist() == [None, None, ESC(2, 8), ESC(2, 8), AdaptiveConsistency(0.9), AdaptiveConsistency(0.9)]
    assert strategies_of(df.sample(frac=1.0, random_state=0)).sort_index().tolist() == [MAJ, MAJ, esc, esc, ac, ac]
    with pytest.raises(ValueError, match="make no strategy"):  # a majority rule's stop on a verified method
        validate_results(df.assign(method="best_of_n", verifier=NOISY))
