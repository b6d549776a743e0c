"""ttslib.cost against hand-computed cases and closed forms: KV bytes from the registry's architecture, the
decode traffic of a batch summed step by step against its closed form, the roofline and Kinetics' eFLOPs on a
toy machine, dollars from genai-prices' packaged data (never the network), and bad input refused by name."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from ttslib.cost import (HARDWARE, ApiPrice, Hardware, Precision, SelfHosted, batch_seconds, critical_path, decode_traffic,
                         eflops, expected_batch_seconds, get_hardware, kv_bytes_per_token, prefill_traffic, step_seconds, weight_bytes)
from ttslib.flops import sequence_flops
from ttslib.registry import get_model

TOY = Hardware("toy", peak_flops=100.0, bandwidth=10.0, precision="made up", source="a test")


def test_kv_and_weight_bytes_by_hand():
    # SmolLM2-135M: 30 layers, 3 KV heads of 64 (config.json): 2 * 30 * 3 * 64 * 2 bytes = 23,040 bytes a token in BF16
    assert kv_bytes_per_token("SmolLM2-135M") == 23_040
    assert kv_bytes_per_token("SmolLM2-135M", Precision(kv=1.0)) == 11_520
    assert weight_bytes("SmolLM2-135M", Precision(weights=0.625)) == 135e6 * 0.625


def brute_force(model, lengths, p, shared, precision=Precision()):
    """Step by step, sequence by sequence: what a decoder reads and computes."""
    spec, kv = get_model(model), kv_bytes_per_token(model, precision)
    flops, reads = [], []
    for t in range(1, max(lengths) + 1):
        live = [m for m in lengths if m >= t]
        flops.append(sum(2 * spec.params + 2 * spec.n_layers * spec.d_attn * (p + t) for _ in live))
        prompt = p if shared else p * len(live)
        reads.append(weight_bytes(model, precision) + kv * (prompt + sum(t for _ in live)))
    return np.array(flops), np.array(reads)


@pytest.mark.parametrize("lengths", [[5], [3, 3, 3], [1, 4, 2, 7], [10, 1]])
@pytest.mark.parametrize("shared", [True, False])
def test_decode_traffic_is_the_step_by_step_sum(lengths, shared):
    got = decode_traffic("SmolLM2-135M", lengths, 20, shared_prompt=shared)
    want_flops, want_bytes = brute_force("SmolLM2-135M", lengths, 20, shared)
    np.testing.assert_allclose(got.flops, want_flops, rtol=1e-12)
    np.testing.assert_allclose(got.bytes, want_bytes, rtol=1e-12)
    # closed forms: the FLOPs are ttslib.flops' sum over samples; the bytes those of the module docstring
    assert got.total_flops == pytest.approx(sum(float(sequence_flops("SmolLM2-135M", m, start=20)) for m in lengths), rel=1e-12)
    m, W, D = np.array(lengths, float), weight_bytes("SmolLM2-135M"), kv_bytes_per_token("SmolLM2-135M")
    prompt = 20 * m.max() if shared else 20 * m.sum()
    assert got.total_bytes == pytest.approx(m.max() * W + D * (prompt + (m * (m + 1) / 2).sum()), rel=1e-12)


def test_roofline_and_eflops_on_a_toy_machine():
    from ttslib.cost import Traffic

    steps = Traffic(np.array([50.0, 500.0]), np.array([10.0, 10.0]))
    # step 1: 0.5 s of compute, 1 s of memory -> 1 s; step 2: 5 s of compute, 1 s of memory -> 5 s
    np.testing.assert_allclose(step_seconds(steps, TOY), [1.0, 5.0])
    assert TOY.intensity == 10.0 and eflops(steps, TOY) == 550.0 + 10.0 * 20.0
    # Kinetics counts the KV cache's bytes, not the weights' read: 4 of each step's 10 bytes here are weights
    with_weights = Traffic(steps.flops, steps.bytes, 4.0)
    assert eflops(with_weights, TOY) == 550.0 + 10.0 * 12.0 and eflops(with_weights, TOY, weights=True) == 550.0 + 10.0 * 20.0


def test_a_batch_is_its_prefill_plus_its_longest_sample():
    hw = get_hardware("H100-SXM")
    one = batch_seconds("SmolLM2-135M", [100], 50, hw)
    same = batch_seconds("SmolLM2-135M", [100, 100, 100, 100], 50, hw)
    # at batch 4 a small model's step is bound by reading its weights: four samples take about the time of one
    assert one < same < 1.05 * one
    decode_bound = 100 * weight_bytes("SmolLM2-135M") / hw.bandwidth
    assert one == pytest.approx(decode_bound + float(step_seconds(prefill_traffic("SmolLM2-135M", 50), hw)[0]), rel=0.05)
    assert critical_path([one, one]) == 2 * one


def test_the_hardware_table_names_its_sources():
    assert {"H100-SXM", "H200-SXM", "A100-80GB-SXM", "L4"} <= set(HARDWARE)
    assert all(h.source and "datasheet" in h.source or "measured" in h.source for h in HARDWARE.values())
    assert HARDWARE["H100-SXM"].intensity == pytest.approx(989.4e12 / 3.35e12)


def test_dollars_from_the_pinned_price_data_not_the_network(monkeypatch):
    import socket

    def no_network(*a, **k):
        raise AssertionError("a price was fetched from the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    api = ApiPrice("openai", "gpt-4o", dt.date(2026, 12, 1))
    assert api.per_million() == (2.5, 10.0)  # gpt-4o: $2.50 in, $10 out per million tokens in genai-prices' data
    np.testing.assert_allclose(api.dollars([1000, 0], [0, 2000]), [0.0025, 0.02])
    assert "genai-prices" in api.source and "2026-12-01" in api.source
    assert not api.dated and "no date" in api.source  # gpt-4o has one price in this version's data


def test_self_hosted_dollars_are_seconds_at_the_stated_price():
    h = SelfHosted("H100-SXM", dollars_per_hour=3.0)
    np.testing.assert_allclose(h.dollars([3600.0, 60.0]), [3.0, 0.05])


def test_bad_input_is_refused_by_name():
    with pytest.raises(LookupError, match="no-such-model"):
        ApiPrice("openai", "no-such-model", dt.date(2026, 12, 1))
    with pytest.raises(ValueError, match="dollars_per_hour"):
        SelfHosted("H100-SXM", dollars_per_hour=-1.0)
    with pytest.raises(ValueError, match="no hardware given"):
        SelfHosted(None, dollars_per_hour=2.0)
    with pytest.raises(KeyError, match="B9000"):
        get_hardware("B9000")
    with pytest.raises(ValueError, match="bandwidth"):
        Hardware("x", 1e12, 0.0, "?", "?")
    with pytest.raises(TypeError, match="as_of"):
        ApiPrice("openai", "gpt-4o", "2026-12-01")
    with pytest.raises(ValueError, match="context"):
        decode_traffic("SmolLM2-135M", [9000], 10)
    with pytest.raises(ValueError, match="lengths"):
        decode_traffic("SmolLM2-135M", [1.5], 10)
    with pytest.raises(ValueError, match="round seconds"):
        critical_path([1.0, float("nan")])


@pytest.mark.parametrize("hw", ["H100-SXM", "L4", TOY])
@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_expected_batch_seconds_is_the_mean_over_every_subset(hw, n):
    import itertools

    pool = [4, 9, 1, 6, 6]
    toy = isinstance(hw, Hardware)
    model = "pythia-14m" if toy else "SmolLM2-135M"
    want = np.mean([batch_seconds(model, list(sub), 12, hw) for sub in itertools.combinations(pool, n)])
    assert expected_batch_seconds(model, pool, 12, n, hw) == pytest.approx(want, rel=1e-10)


def test_concurrent_problems_share_the_weights_read():
    # C alike problems decoded together: the same as one batch of C times the samples with C prompts read
    hw = get_hardware("L4")
    one = expected_batch_seconds("SmolLM2-135M", [30], 40, 1, hw)
    eight = expected_batch_seconds("SmolLM2-135M", [30], 40, 1, hw, concurrent=8)
    assert one < eight < 8 * one  # the weights are read once a step for all eight
    with pytest.raises(ValueError, match="concurrent"):
        expected_batch_seconds("SmolLM2-135M", [30], 40, 1, hw, concurrent=0)
    with pytest.raises(ValueError, match="n must be"):
        expected_batch_seconds("SmolLM2-135M", [30, 2], 40, 3, hw)


def _tiny_pool():
    import pandas as pd

    from ttslib.strategies import pool_arrays

    rows = [{"problem_id": f"p{i}", "sample_idx": j, "is_correct": (i + j) % 3 == 0, "answer": "7" if (i + j) % 3 == 0 else str(j),
             "num_completion_tokens": 5 + 3 * j + i, "num_prompt_tokens": 20 + i, "logprob": -1.0 - j} for i in range(3) for j in range(4)]
    return pool_arrays(pd.DataFrame(rows))


def test_the_policy_can_choose_by_dollars_and_seconds():
    import itertools

    from ttslib.cost import Scenario
    from ttslib.policy import Strategy
    from ttslib.strategies import pool_strategies, scenario_costs

    pool = _tiny_pool()
    res = pool_strategies(pool, verifiers=[])
    api = Scenario("an API", ApiPrice("openai", "gpt-4o", dt.date(2026, 12, 1)))
    priced = scenario_costs(res, pool, api)
    maj = Strategy("majority")
    # by hand: each sample a request, its prompt at $2.50 per million, n samples of the problem's mean length at $10 per million
    m = pool.completion_tokens
    want = np.array([[n * (20 + i) * 2.5e-6 + n * m[i].mean() * 10e-6 for n in (1, 2, 4)] for i in range(3)])
    np.testing.assert_allclose(priced.cost(maj, "dollars"), want, rtol=1e-12)
    once = scenario_costs(res, pool, Scenario("an API, n in one request", api.price, prompt_once=True))
    want_once = np.array([[(20 + i) * 2.5e-6 + n * m[i].mean() * 10e-6 for n in (1, 2, 4)] for i in range(3)])
    np.testing.assert_allclose(once.cost(maj, "dollars"), want_once, rtol=1e-12)
    with pytest.raises(ValueError, match="'seconds'"):
        priced.cost(maj, "seconds")  # an API's seconds are not known
    hosted = scenario_costs(res, pool, Scenario("an H100", SelfHosted("H100-SXM", 4.0), "SmolLM2-135M", concurrent=2))
    for i, k in itertools.product(range(3), range(3)):
        n = (1, 2, 4)[k]
        sec = expected_batch_seconds("SmolLM2-135M", m[i], 20 + i, n, "H100-SXM", concurrent=2)
        assert hosted.cost(maj, "seconds")[i, k] == pytest.approx(sec, rel=1e-12)
        assert hosted.cost(maj, "dollars")[i, k] == pytest.approx(sec / 2 * 4.0 / 3600, rel=1e-12)
    table = hosted.table("dollars")  # the policy's table, with dollars as its cost
    assert np.allclose(table.loc[table["method"] == "majority", "cost"].to_numpy(), hosted.cost(maj, "dollars").ravel())
    # the policy chooses under a cap in dollars: between the mean cost of 1 and of 2 samples, only n = 1 fits
    import pandas as pd

    from ttslib.policy import choose_policy

    mean = hosted.cost(maj, "dollars").mean(0)
    pick = choose_policy(table, pd.Series(1, index=pool.problem_ids), max_cost=float(mean[:2].mean()))
    assert pick["n"].tolist() == [1] and pick["cost"].iloc[0] == pytest.approx(mean[0])
    with pytest.raises(ValueError, match="registry model"):
        Scenario("no model", SelfHosted("L4", 1.0))
    with pytest.raises(ValueError, match="other problems"):
        scenario_costs(res.take([0, 1]), pool, api)


@pytest.mark.parametrize("model", ["pythia-410m", "SmolLM2-135M"])
def test_equal_length_cost_is_the_batch_of_k_equal_samples(model):
    from ttslib.cost import Traffic, equal_length_cost

    ks = np.array([1, 3, 8])
    got = equal_length_cost(model, ks, 40, 25, "A100-80GB-SXM")
    for j, k in enumerate(ks):
        pre, dec = prefill_traffic(model, 25), decode_traffic(model, [40] * int(k), 25)
        both = Traffic(np.concatenate([pre.flops, dec.flops]), np.concatenate([pre.bytes, dec.bytes]), weight_bytes(model))
        assert got["flops"][j] == pytest.approx(both.total_flops, rel=1e-12)
        assert got["bytes"][j] == pytest.approx(both.total_bytes, rel=1e-12)
        assert got["seconds"][j] == pytest.approx(batch_seconds(model, [40] * int(k), 25, "A100-80GB-SXM"), rel=1e-12)
        assert got["eflops"][j] == pytest.approx(eflops(both, "A100-80GB-SXM"), rel=1e-12)


def test_a_shard_reads_the_weights_once_a_step_for_all_its_problems():
    from ttslib.cost import shard_traffic

    one_pre, one = shard_traffic("SmolLM2-135M", [([3, 5], 10)])
    assert np.array_equal(one.flops, decode_traffic("SmolLM2-135M", [3, 5], 10).flops)
    assert np.array_equal(one.bytes, decode_traffic("SmolLM2-135M", [3, 5], 10).bytes)
    pre, two = shard_traffic("SmolLM2-135M", [([3, 5], 10), ([2], 7)])
    W, D = weight_bytes("SmolLM2-135M"), kv_bytes_per_token("SmolLM2-135M")
    # step 1: three samples live (positions 11, 11, 8); both prompts read once; the weights once
    assert two.bytes[0] == pytest.approx(W + D * (10 + 1 + 1 + 7 + 1))
    assert two.bytes[2] == pytest.approx(W + D * (10 + 2 * 3))  # step 3: both samples of the first problem, none of the second
    assert two.bytes[3] == pytest.approx(W + D * (10 + 4))  # step 4: only the 5-token sample
    assert pre.total_bytes == pytest.approx(W + D * 17) and pre.total_flops == pytest.approx(
        prefill_traffic("SmolLM2-135M", 10).total_flops + prefill_traffic("SmolLM2-135M", 7).total_flops)


def test_cost_per_solved_problem_is_a_ratio_of_sums_with_a_bootstrap_interval():
    from ttslib.cost import per_solved

    est, lo, hi = per_solved([1.0, 1.0, 1.0, 1.0], [1.0, 0.5, 0.5, 0.0])
    assert est == 2.0 and lo <= est <= hi
    assert per_solved([1.0, 2.0], [0.0, 0.0])[0] == np.inf
    with pytest.raises(ValueError, match="solved"):
        per_solved([1.0], [1.5])


def test_shard_predictions_pair_each_shard_s_facts_with_its_problems():
    import pandas as pd

    from ttslib.cost import shard_predictions, shard_traffic

    rows = [{"problem_id": pid, "num_completion_tokens": m, "num_prompt_tokens": p}
            for pid, ms, p in (("b", [3, 4], 10), ("a", [5], 12), ("c", [2, 2], 9)) for m in ms]
    table = pd.DataFrame(rows)  # the run's problem order: b, a, c (not sorted)
    facts = {"shards": {"shards/000000.parquet": {"seconds": 2.0, "problems": 2, "tokens": 12},
                        "shards/000002.parquet": {"seconds": 1.0, "problems": 1, "tokens": 4}}}
    got = shard_predictions(table, facts, "SmolLM2-135M", TOY)
    pre, dec = shard_traffic("SmolLM2-135M", [([3, 4], 10), ([5], 12)])
    want = float(step_seconds(pre, TOY).sum() + step_seconds(dec, TOY).sum())
    assert got.loc["shards/000000.parquet", "predicted s"] == pytest.approx(want)
    assert got.loc["shards/000002.parquet", "measured / predicted"] == pytest.approx(
        1.0 / float(sum(step_seconds(t, TOY).sum() for t in shard_traffic("SmolLM2-135M", [([2, 2], 9)]))))
    with pytest.raises(ValueError, match="no finished shard"):
        shard_predictions(table, {}, "SmolLM2-135M", TOY)


@pytest.mark.parametrize("hw", [TOY, HARDWARE["H100-SXM"]], ids=["compute-bound", "memory-bound"])
def test_rounds_seconds_add_the_rounds_and_batch_the_chains(hw):
    import itertools

    from ttslib.cost import rounds_seconds

    rng = np.random.default_rng(1)
    tokens, context = rng.integers(1, 9, size=(2, 3, 2)), rng.integers(5, 30, size=(2, 3, 2))
    spec = get_model("SmolLM2-135M")
    W, D = weight_bytes("SmolLM2-135M"), kv_bytes_per_token("SmolLM2-135M")

    def by_hand(i, j, chains):  # one round of the chains as one batch, step by step
        per = lambda t: 2 * spec.params + 2 * spec.n_layers * spec.d_attn * t  # noqa: E731  C(t) at position t
        xs, ms = [int(context[i, c, j]) for c in chains], [int(tokens[i, c, j]) for c in chains]
        pre = max(sum(per(t) for xx in xs for t in range(1, xx + 1)) / hw.peak_flops, (W + D * sum(xs)) / hw.bandwidth)
        steps = 0.0
        for t in range(1, max(ms) + 1):
            live = [xx for xx, mm in zip(xs, ms) if mm >= t]
            steps += max(sum(per(xx + t) for xx in live) / hw.peak_flops, (W + D * sum(xx + t for xx in live)) / hw.bandwidth)
        return pre + steps

    for r in (1, 2):
        got = rounds_seconds(tokens, context, r, "SmolLM2-135M", hw)
        for i in range(2):
            for p in (1, 2, 3):
                want = np.mean([sum(by_hand(i, j, chains) for j in range(r)) for chains in itertools.combinations(range(3), p)])
                assert got[i, p - 1] == pytest.approx(want, rel=1e-12)
    with pytest.raises(ValueError, match="r must be"):
        rounds_seconds(tokens, context, 3, "SmolLM2-135M", TOY)
    with pytest.raises(ValueError, match="max_subsets"):
        rounds_seconds(tokens, context, 1, "SmolLM2-135M", TOY, max_subsets=2)


def test_revision_strategies_cost_their_critical_path():
    from ttslib.cost import Scenario, rounds_seconds
    from ttslib.sequential import make_chain_pool
    from ttslib.strategies import revision_strategies, scenario_costs

    rng = np.random.default_rng(2)
    P, C, R = 3, 2, 3
    correct = rng.random((P, C, R)) < 0.5
    answers = np.where(correct, 1, 2)
    tokens, context = rng.integers(2, 12, size=(P, C, R)), rng.integers(10, 40, size=(P, C, R))
    chains = make_chain_pool(answers, correct, tokens, context=context)
    res = revision_strategies(chains, ["a", "b", "c"])
    hosted = scenario_costs(res, None, Scenario("an L4", SelfHosted("L4", 0.8), "SmolLM2-135M"), chains=chains)
    api = scenario_costs(res, None, Scenario("an API", ApiPrice("openai", "gpt-4o", dt.date(2026, 12, 1))), chains=chains)
    for s in res:
        r = s.revisions.rounds
        want = rounds_seconds(tokens, context, r, "SmolLM2-135M", "L4")
        np.testing.assert_allclose(hosted.cost(s, "seconds"), want, rtol=1e-12)
        np.testing.assert_allclose(hosted.cost(s, "dollars"), want * 0.8 / 3600, rtol=1e-12)
        per_chain = context[:, :, :r].sum(2).mean(1) * 2.5e-6 + tokens[:, :, :r].sum(2).mean(1) * 10e-6
        np.testing.assert_allclose(api.cost(s, "dollars"), np.outer(per_chain, [1, 2]), rtol=1e-12)
    with pytest.raises(ValueError, match="one problem at a time"):
        scenario_costs(res, None, Scenario("a batch", SelfHosted("L4", 0.8), "SmolLM2-135M", concurrent=2), chains=chains)
    # the longer chain costs more seconds, and two chains in one batch less than twice one
    one = hosted.cost(sorted(res)[0], "seconds")
    assert (one[:, 1] < 2 * one[:, 0]).all()


def test_shard_predictions_do_the_work_the_backend_counted():
    import pandas as pd

    from ttslib.cost import Traffic, shard_predictions

    table = pd.DataFrame([{"problem_id": "p", "num_completion_tokens": m, "num_prompt_tokens": 10} for m in (3, 4)])
    # the backend decoded 6 of the prompt's 10 tokens (4 were a cached prefix) and each sample but its last token: 6 + 2 + 3
    facts = {"shards": {"shards/000000.parquet": {"seconds": 1.0, "problems": 1, "tokens": 7, "backend_decoded": 11, "backend_sampled": 7}}}
    got = shard_predictions(table, facts, "SmolLM2-135M", "L4").iloc[0]
    W, D = weight_bytes("SmolLM2-135M"), kv_bytes_per_token("SmolLM2-135M")
    pre = Traffic(np.array([float(sequence_flops("SmolLM2-135M", 6, start=4))]), np.array([W + D * 6]), W)
    want = float(step_seconds(pre, "L4").sum() + step_seconds(decode_traffic("SmolLM2-135M", [2, 3], 10), "L4").sum())
    assert got["prompt tokens decoded"] == 6 and got["predicted s"] == pytest.approx(want, rel=1e-12)
    facts["shards"]["shards/000000.parquet"]["backend_decoded"] = 30  # more than the prompts and samples hold
    with pytest.raises(ValueError, match="cannot make up"):
        shard_predictions(table, facts, "SmolLM2-135M", "L4")


def test_shard_predictions_in_batches_are_the_batches_alone():
    import pandas as pd

    from ttslib.cost import shard_predictions

    table = pd.DataFrame([{"problem_id": pid, "num_completion_tokens": m, "num_prompt_tokens": p}
                          for pid, ms, p in (("a", [3, 4], 10), ("b", [6], 12)) for m in ms])
    facts = {"shards": {"shards/000000.parquet": {"seconds": 1.0, "problems": 2, "tokens": 13}}}
    alone = {pid: {"shards": {"shards/000000.parquet": {"seconds": 1.0, "problems": 1, "tokens": 1}}} for pid in "ab"}
    split = shard_predictions(table, facts, "SmolLM2-135M", "L4", problems_per_batch=1)["predicted s"].iloc[0]
    each = sum(shard_predictions(table[table["problem_id"] == pid], alone[pid], "SmolLM2-135M", "L4")["predicted s"].iloc[0] for pid in "ab")
    together = shard_predictions(table, facts, "SmolLM2-135M", "L4")["predicted s"].iloc[0]
    assert split == pytest.approx(each, rel=1e-12) and together < split  # one batch reads the weights once a step for both
