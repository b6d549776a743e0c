"""ttslib.policy.strategy: a strategy and a verifier as records, their defaults, refusals, order and labels."""

import dataclasses
import itertools

import pytest

from ttslib.adaptive import (ESC, AdaptiveConsistency, DeepConfOffline, DeepConfOnline, FixedMajority, OracleBound,
                             ShortestMajority, TwoStage)
from ttslib.policy import Strategy, VerifierSpec

V = VerifierSpec.recorded("v")
CHECKER, NOISY = VerifierSpec.step_checker(), VerifierSpec.noisy(0.8)


def test_defaults_fill_the_settings_that_apply_and_leave_the_others_none():
    assert Strategy("majority") == Strategy("majority", None, None, None, None, None, None)
    w = Strategy("weighted", NOISY)
    assert (w.aggregate, w.beam_width, w.select) == ("last", None, None)
    d = Strategy("dvts", CHECKER, beam_width=4)
    assert (d.aggregate, d.lookahead, d.variant, d.select) == ("last", 0, "kit", "weighted")
    assert Strategy("dvts", CHECKER, "last", 4, 0, "kit", "weighted") == d  # the defaults spelt out: the same record
    assert hash(d) == hash(Strategy("dvts", CHECKER, "last", 4, 0, "kit", "weighted"))


def test_strategies_that_differ_in_one_setting_differ_as_records_and_as_labels():
    grid = [Strategy("beam_search", V, agg, beam_width=m, lookahead=la) for agg in ("last", "min", "prod") for m in (2, 4) for la in (0, 1)]
    grid += [Strategy("dvts", v, agg, beam_width=m, variant=var) for v in (CHECKER, NOISY, VerifierSpec.noisy(0.8, seed=1))
             for agg in ("last", "min") for m in (2, 4) for var in ("kit", "sal")]
    assert len(set(grid)) == len(grid) and len({s.label for s in grid}) == len(grid)
    assert Strategy("beam_search", V, beam_width=4).label == "beam_search/v (M=4)"  # defaults stay out of the label
    assert str(Strategy("dvts", NOISY, "min", beam_width=2, variant="sal", select="majority")) == \
        "dvts/noisy_auc0.80 (M=2, aggregate=min, variant=sal, select=majority)"
    assert not hasattr(Strategy, "parse") and not hasattr(Strategy, "of")  # no name is read back into a record


def test_records_order_by_their_fields_in_declaration_order():
    """Method first, then verifier (kind, auc, seed, name), then the search settings as numbers (4 before 16)."""
    want = [Strategy("beam_search", V, beam_width=4), Strategy("beam_search", V, beam_width=16), Strategy("best_of_n", NOISY),
            Strategy("best_of_n", CHECKER), Strategy("majority"), Strategy("weighted", V)]
    for perm in itertools.permutations(range(len(want)), 3):
        shuffled = [want[i] for i in perm] + [w for i, w in enumerate(want) if i not in perm]
        assert sorted(shuffled) == want
    assert VerifierSpec.noisy(0.6) < VerifierSpec.noisy(0.8) < VerifierSpec.noisy(0.8, seed=1) < CHECKER


@pytest.mark.parametrize("kwargs, error, match", [
    ({"method": "vote"}, ValueError, "method must be"), ({"method": "best_of_n"}, ValueError, "needs a verifier"),
    ({"method": "majority", "verifier": V}, ValueError, "uses no verifier"),
    ({"method": "beam_search", "verifier": V}, ValueError, "beam_width"),
    ({"method": "beam_search", "verifier": V, "beam_width": True}, ValueError, "beam_width"),
    ({"method": "dvts", "verifier": V, "beam_width": 4, "lookahead": 1}, ValueError, "lookahead"),
    ({"method": "weighted", "verifier": V, "beam_width": 4}, ValueError, "settings of a search"),
    ({"method": "weighted", "verifier": V, "aggregate": "max"}, ValueError, "aggregate"),
    ({"method": "beam_search", "verifier": V, "beam_width": 4, "variant": "sal"}, ValueError, "variant is a setting of DVTS"),
    ({"method": "dvts", "verifier": V, "beam_width": 4, "select": "vote"}, ValueError, "select must be"),
    ({"method": "weighted", "verifier": "noisy_auc0.80"}, TypeError, "verifier must be a VerifierSpec"),
])
def test_a_strategy_refuses_settings_that_do_not_apply(kwargs, error, match):
    with pytest.raises(error, match=match):
        Strategy(**kwargs)


def test_a_verifier_record_labels_itself_and_refuses_settings_of_other_kinds():
    assert [v.label for v in (CHECKER, VerifierSpec.confidence(), VerifierSpec.confidence("min"), NOISY,
                              VerifierSpec.noisy(0.755, seed=3), V)] == \
        ["step_checker", "confidence", "confidence_min", "noisy_auc0.80", "noisy_auc0.76_seed3", "v"]
    assert VerifierSpec.noisy(0.8, seed=0) == VerifierSpec("noisy", auc=0.8) and NOISY.seed == 0
    for bad, match in [(lambda: VerifierSpec("noisy", auc=1.0), "auc"), (lambda: VerifierSpec.noisy(0.8, seed=-1), "seed"),
                       (lambda: VerifierSpec("step_checker", auc=0.8), "settings of a noisy"),
                       (lambda: VerifierSpec.recorded(""), "name"), (lambda: VerifierSpec("step_checker", name="x"), "recorded"),
                       (lambda: VerifierSpec("prm"), "kind must be"), (lambda: VerifierSpec.confidence("max"), "mean")]:
        with pytest.raises(ValueError, match=match):
            bad()


def test_records_are_frozen():
    s = Strategy("majority")
    for record, field in ((s, "method"), (NOISY, "auc")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(record, field, None)
    assert len(set(itertools.repeat(Strategy("weighted", NOISY), 3))) == 1


# ---- the adaptive stop rule: one more field (issue 31) ----------------------------------------------------

GROUP = VerifierSpec.group_confidence()


def test_a_stop_rule_is_one_more_field_that_leaves_every_fixed_budget_strategy_equal():
    assert Strategy("majority") == Strategy("majority", stop=None) and Strategy("majority").stop is None
    assert hash(Strategy("weighted", NOISY)) == hash(Strategy("weighted", NOISY, "last", None, None, None, None, None))
    esc = Strategy("majority", stop=ESC(window=5))
    assert esc == Strategy.adaptive(ESC(5)) and hash(esc) == hash(Strategy.adaptive(ESC(5.0)))  # the record, not how it was spelt
    assert esc != Strategy("majority") and esc != Strategy.adaptive(ESC(5, max_samples=40)) and esc != Strategy.adaptive(ESC(6))
    assert Strategy.adaptive(DeepConfOnline()) == Strategy("weighted", GROUP, stop=DeepConfOnline(10, 16, 0.95, None))
    rules = [ESC(2), ESC(2, 8), ESC(3), AdaptiveConsistency(0.9), AdaptiveConsistency(0.95, 40), ShortestMajority(4),
             DeepConfOffline(10), DeepConfOffline(90, n=8), DeepConfOnline(), DeepConfOnline(consensus=None)]
    grid = [Strategy.adaptive(r) for r in rules] + [Strategy("majority"), Strategy("weighted", GROUP)]
    assert len(set(grid)) == len(grid) and len({s.label for s in grid}) == len(grid)
    assert str(Strategy.adaptive(AdaptiveConsistency(0.95, 40))) == "majority (stop=AdaptiveConsistency(threshold=0.95, max_samples=40))"


def test_stop_rules_order_after_the_fixed_budget_then_by_rule_then_settings_with_none_last():
    """The fixed budget first (the policy's exact ties go to it), then the rule's class name, then its settings in
    declaration order, None (the pool's N, or never) after every number; the fields before stop order as before."""
    want = [Strategy("best_of_n", NOISY), Strategy("majority"), Strategy.adaptive(AdaptiveConsistency(0.9)),
            Strategy.adaptive(ESC(2, 8)), Strategy.adaptive(ESC(2)), Strategy.adaptive(ESC(3, 4)),
            Strategy.adaptive(ShortestMajority(4)), Strategy("weighted", GROUP), Strategy.adaptive(DeepConfOffline(10, 8)),
            Strategy.adaptive(DeepConfOnline(consensus=0.9)), Strategy.adaptive(DeepConfOnline(consensus=None)),
            Strategy("weighted", V)]
    for perm in itertools.permutations(range(len(want)), 3):
        shuffled = [want[i] for i in perm] + [w for i, w in enumerate(want) if i not in perm]
        assert sorted(shuffled) == want
    assert Strategy("majority") < Strategy.adaptive(ESC(2)) and not Strategy.adaptive(ESC(2)) < Strategy.adaptive(ESC(2))
    assert Strategy.adaptive(ESC(2)) >= Strategy.adaptive(ESC(2, 8)) and Strategy.adaptive(ESC(2)) > Strategy("majority")


@pytest.mark.parametrize("kwargs, error, match", [
    ({"method": "weighted", "verifier": GROUP, "stop": ESC(5)}, ValueError, r"stop ESC\(window=5\) is a rule of majority vote"),
    ({"method": "oracle", "stop": AdaptiveConsistency()}, ValueError, "needs method 'majority'"),
    ({"method": "majority", "stop": DeepConfOnline()}, ValueError, "group confidence"),
    ({"method": "weighted", "verifier": VerifierSpec.confidence(), "stop": DeepConfOffline()}, ValueError, "group_confidence"),
    ({"method": "weighted", "verifier": GROUP, "aggregate": "min", "stop": DeepConfOffline()}, ValueError, "aggregate 'last'"),
    ({"method": "majority", "stop": TwoStage()}, ValueError, "per-bin choice cannot hold it"),
    ({"method": "majority", "stop": OracleBound()}, ValueError, "hindsight"),
    ({"method": "majority", "stop": FixedMajority(4)}, ValueError, "Strategy\\('majority'\\) at n"),
    ({"method": "majority", "stop": "esc"}, TypeError, "stop must be a ttslib.adaptive settings record"),
    ({"method": "dvts", "verifier": V, "beam_width": 4, "stop": ESC(5)}, ValueError, "needs method 'majority'"),
])
def test_a_stop_rule_is_refused_where_it_does_not_apply(kwargs, error, match):
    with pytest.raises(error, match=match):
        Strategy(**kwargs)


def test_particle_filtering_and_rebase_hold_their_settings_as_a_record():
    from ttslib.particles import ParticleFilter, Rebase

    pf = Strategy("particle_filtering", NOISY)
    assert (pf.scheme, pf.beam_width, pf.select, pf.aggregate) == (ParticleFilter(), None, "weighted", "last")
    grid = [Strategy("particle_filtering", NOISY, scheme=ParticleFilter(agg, t, it, rs)) for agg in ("prod", "min")
            for t in (0.5, 1.0) for it in (1, 2) for rs in ("all", "active")]
    grid += [Strategy("rebase", NOISY, scheme=Rebase(t)) for t in (0.1, 0.2)]
    assert len(set(grid)) == len(grid) and len({s.label for s in grid}) == len(grid)
    assert Strategy("rebase", NOISY).label == "rebase/noisy_auc0.80 (T=0.2)"
    assert sorted([Strategy("rebase", NOISY, scheme=Rebase(0.5)), Strategy("rebase", NOISY)])[0].scheme == Rebase(0.2)
    with pytest.raises(ValueError, match="beam_width, lookahead and variant"):
        Strategy("rebase", NOISY, beam_width=4)
    with pytest.raises(TypeError, match="Rebase record"):
        Strategy("rebase", NOISY, scheme=ParticleFilter())
    with pytest.raises(ValueError, match="scheme is a setting"):
        Strategy("beam_search", NOISY, beam_width=4, scheme=Rebase())
    with pytest.raises(ValueError, match="settings of a search"):
        Strategy("weighted", NOISY, scheme=Rebase())
    with pytest.raises(ValueError, match="pf_temperature"):
        ParticleFilter(temperature=0)
