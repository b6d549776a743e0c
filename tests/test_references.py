"""ttslib.references: every published result names both sides fully; a comparison tests only like with like."""

from __future__ import annotations

import re

import pytest

from ttslib.references import Setting, compare_with_paper, paper_result, paper_results


def test_every_published_result_names_model_benchmark_quantity_method_and_range():
    results = paper_results()
    assert len(results) >= 10
    for key, r in results.items():
        assert all(getattr(r.setting, f).strip() for f in ("model", "benchmark", "quantity", "method", "range")), key
        assert r.paper and r.where and r.value_text, key
        assert r.arxiv == "" or re.fullmatch(r"\d{4}\.\d{5}", r.arxiv), (key, r.arxiv)


def test_a_comparison_tests_only_where_the_settings_agree():
    paper = paper_result("monkeys_pythia12b_math_fit")
    same = paper.setting
    inside = compare_with_paper("monkeys_pythia12b_math_fit", same, -0.33, -0.37, -0.29, decimals=2)
    assert inside.differs_in == () and inside.inside is True and "lies inside" in inside.sentence()
    assert compare_with_paper("monkeys_pythia12b_math_fit", same, -0.25, -0.28, -0.22).inside is False
    other = Setting("SmolLM2-135M", "HumanEval", paper.setting.quantity, paper.setting.method, "k = 1 to 64")
    c = compare_with_paper("monkeys_pythia12b_math_fit", other, -0.4, -0.5, -0.3)
    assert c.differs_in == ("model", "benchmark", "range") and c.inside is None and "not tested" in c.sentence()
    narrower = Setting(paper.setting.model, paper.setting.benchmark, paper.setting.quantity, paper.setting.method, "k = 1 to 128")
    assert compare_with_paper("monkeys_pythia12b_math_fit", narrower, -0.33, -0.37, -0.29).differs_in == ("range",)
    assert "no estimate is measured here" in compare_with_paper("monkeys_pythia12b_math_fit", same, None).sentence()
    assert "Pythia-12B" in c.sentence() and "SmolLM2-135M" in c.sentence() and "arXiv:2407.21787" in c.sentence()


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="key must name"):
        paper_result("nope")
    s = Setting("m", "b", "q", "x", "r")
    with pytest.raises(ValueError, match="estimate"):
        compare_with_paper("snell_compute_optimal_4x", s, float("nan"))
    with pytest.raises(ValueError, match="lower and upper"):
        compare_with_paper("snell_compute_optimal_4x", s, 1.0, 0.5)
    with pytest.raises(TypeError, match="Setting"):
        compare_with_paper("snell_compute_optimal_4x", ("m",), 1.0)


def test_an_interval_open_at_infinity_prints_open():
    s = Setting("m", "b", "q", "x", "r")
    assert "1.710 [1.500, inf) (95% interval)" in compare_with_paper("snell_compute_optimal_4x", s, 1.71, 1.5, float("inf")).sentence()
