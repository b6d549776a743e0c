"""FLOPs accounting against independent references: direct sums over token positions, hand-worked numbers
and published figures (each cited), and bad input. The registry's parameter counts: test_registry.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ttslib import flops as F
from ttslib.registry import get_model


def direct_sum(model, start, n, a):
    """sum_{t=start+1}^{start+n} (2N + a * n_layer * t * d_attn), one position at a time."""
    spec = get_model(model)
    return sum(2 * spec.params + a * spec.n_layers * t * spec.d_attn for t in range(start + 1, start + n + 1))


# --- closed forms against direct sums -------------------------------------------------------------


@pytest.mark.parametrize("model", ["pythia-70m", "Llama-3.2-1B", "gemma-3-270m", "Qwen2.5-7B"])
@pytest.mark.parametrize("attention", ["kaplan", "monkeys"])
def test_sequence_flops_equals_direct_sum_over_positions(model, attention):
    rng = np.random.default_rng(0)
    for start, n in [(0, 0), (0, 1), (1, 1), *rng.integers(0, 900, size=(20, 2)).tolist()]:
        want = direct_sum(model, start, n, F.ATTENTION[attention])
        got = F.sequence_flops(model, n, start=start, attention=attention)
        assert got == pytest.approx(want, rel=1e-12, abs=0)


def test_flops_per_token_is_the_papers_formula_written_out():
    # Kaplan et al. 2020 (arXiv:2001.08361) Table 1: C_forward = 2N + 2 n_layer n_ctx d_attn; pythia-1b:
    # N = 1,011,781,632, n_layer = 16, d_attn = 8 heads x 256 = 2048.
    assert F.flops_per_token("pythia-1b", 1024) == 2 * 1_011_781_632 + 2 * 16 * 1024 * 2048
    positions = np.array([[1, 2], [3, 2048]])
    assert F.flops_per_token("pythia-1b", positions).shape == (2, 2)


def test_tree_flops_by_hand_from_the_formula():
    # 2 N n + a * n_layer * d_attn * (sum of positions). gemma-3-270m (ttslib/models.csv): N = 270e6,
    # 18 layers, d_attn = 4 heads x 256 = 1024 (not d_model = 640). Three tokens of a search tree at
    # positions 10, 57 and 200: sum 267. Kaplan (a = 2): 2 * 270e6 * 3 + 2 * 18 * 1024 * 267
    # = 1,620,000,000 + 9,842,688 = 1,629,842,688; Monkeys (a = 4): 1,620,000,000 + 19,685,376.
    assert F.tree_flops("gemma-3-270m", 3, 267) == 1_629_842_688
    assert F.tree_flops("gemma-3-270m", 3, 267, attention="monkeys") == 1_639_685_376
    # the same tokens one at a time (flops_per_token), and arrays of trees at once
    assert F.tree_flops("gemma-3-270m", 3, 267) == F.flops_per_token("gemma-3-270m", [10, 57, 200]).sum()
    np.testing.assert_array_equal(F.tree_flops("gemma-3-270m", [3, 0], [267, 0]), [1_629_842_688, 0])
    # one run of n tokens after start is a tree whose positions sum to n start + n (n + 1) / 2
    assert F.tree_flops("pythia-70m", 40, 40 * 100 + 40 * 41 // 2) == F.sequence_flops("pythia-70m", 40, start=100)


def test_large_language_monkeys_per_token_flops_worked_example():
    # Brown et al. 2024 (arXiv:2407.21787) cost axis: FLOPs per token = 2 * (N + 2 * n_layers * d_model * context).
    # Llama-3-8B: N = 8.03e9 (checkpoint size), 32 layers, d_model 4096; at context 1000 by hand:
    # 2 * (8.03e9 + 2 * 32 * 4096 * 1000) = 2 * (8.03e9 + 262,144,000) = 16,584,288,000.
    assert F.flops_per_token("Llama-3-8B", 1000, attention="monkeys") == pytest.approx(16_584_288_000, rel=1e-12)
    # Their run total, prompt once + every decoded token of every completion, equals our position-wise
    # sum when "context" is each token's mean position: prompt p -> (p + 1) / 2, completion m -> p + (m + 1) / 2.
    p, m, n = 700, 300, 100
    per_token = lambda ctx: 2 * (8.03e9 + 2 * 32 * 4096 * ctx)  # noqa: E731  (the paper's formula)
    theirs = p * per_token((p + 1) / 2) + n * m * per_token(p + (m + 1) / 2)
    ours = F.inference_flops("Llama-3-8B", p, m, num_samples=n, attention="monkeys")
    assert ours == pytest.approx(theirs, rel=1e-12)


@settings(max_examples=100, deadline=None)
@given(
    prompt=st.integers(1, 1500),
    completions=st.lists(st.integers(0, 500), min_size=1, max_size=20),
    attention=st.sampled_from(["kaplan", "monkeys"]),
)
def test_shared_prompt_equals_separate_prompts_minus_repeated_prefills(prompt, completions, attention):
    n = len(completions)
    shared = F.inference_flops("SmolLM2-135M", prompt, completions, attention=attention)
    separate = F.inference_flops("SmolLM2-135M", prompt, completions, shared_prompt=False, attention=attention)
    prefill = direct_sum("SmolLM2-135M", 0, prompt, F.ATTENTION[attention])
    assert shared == pytest.approx(separate - (n - 1) * prefill, rel=1e-12)


def toy_samples():
    rows = [("a", 0, 5, 3), ("a", 1, 5, 0), ("a", 2, 5, 7), ("b", 0, 9, 4), ("b", 1, 9, 4), ("b", 2, 9, 1)]
    return pd.DataFrame(rows, columns=["problem_id", "sample_idx", "num_prompt_tokens", "num_completion_tokens"])


def test_run_flops_sums_problems_and_adds_the_verifier():
    df = toy_samples()
    for shared in (True, False):
        got = F.run_flops(df, "pythia-160m", verifier="pythia-70m", shared_prompt=shared)
        for model, value in (("pythia-160m", got.policy), ("pythia-70m", got.verifier)):
            want = sum(
                F.inference_flops(model, g["num_prompt_tokens"].iloc[0], g["num_completion_tokens"], shared_prompt=shared)
                for _, g in df.groupby("problem_id")
            )
            assert value == pytest.approx(want, rel=1e-12)
        assert got.total == got.policy + got.verifier and (got.num_problems, got.num_samples) == (2, 6)


def test_failed_samples_are_skipped_and_counted_not_refused():
    # issue 12: a prompt the server refused (too long, or recorded with 0 prompt tokens) made run_flops refuse the run
    ok = toy_samples().assign(status="ok")
    failed = pd.DataFrame({"problem_id": ["c"] * 3 + ["d"] * 2, "sample_idx": [0, 1, 2, 0, 1],
                           "num_prompt_tokens": [3000] * 3 + [0] * 2, "num_completion_tokens": 0,
                           "status": "error: server refused the prompt: too long"})
    table = pd.concat([ok, failed], ignore_index=True)
    for shared in (True, False):
        got, want = F.run_flops(table, "pythia-70m", shared_prompt=shared), F.run_flops(ok, "pythia-70m", shared_prompt=shared)
        assert got.policy == pytest.approx(want.policy, rel=1e-15) and got.num_failed == 5 and want.num_failed == 0
        assert (got.num_problems, got.num_samples) == (4, 11)
    # a grading outcome is not a failure: the sample ran and costs its tokens
    graded = ok.assign(status=["ok", "no_answer", "timeout", "ok", "ok", "no_reference"])
    assert F.run_flops(graded, "pythia-70m").policy == F.run_flops(ok, "pythia-70m").policy
    # a failed sample is drawn and costs 0: flops_at_k at k = N is still the whole run
    part = pd.concat([ok, failed.iloc[:3].assign(num_prompt_tokens=4)], ignore_index=True)
    assert F.flops_at_k(part, "pythia-70m", [3])[0] == pytest.approx(F.run_flops(part, "pythia-70m").policy, rel=1e-12)


def test_flops_at_k_is_the_mean_over_subsets_of_k_samples():
    import itertools

    df = toy_samples()
    by_problem = {pid: g for pid, g in df.groupby("problem_id")}
    for k in (1, 2, 3):
        want = sum(
            np.mean([F.inference_flops("pythia-160m", 5 if pid == "a" else 9, g["num_completion_tokens"].to_numpy()[list(s)])
                     for s in itertools.combinations(range(3), k)])
            for pid, g in by_problem.items()
        )
        assert F.flops_at_k(df, "pythia-160m", [k])[0] == pytest.approx(want, rel=1e-12)
    assert F.flops_at_k(df, "pythia-160m", [3])[0] == pytest.approx(F.run_flops(df, "pythia-160m").policy, rel=1e-12)


# --- pretraining and the exchange -----------------------------------------------------------------


def test_pretraining_flops_reproduce_liu_et_al_table_4():
    # Liu et al. 2025 (arXiv:2502.06703) Table 4 prints pretraining FLOPs 1.62e23 (Llama-3.2-3B) and 3.65e25
    # (Llama-3.1-405B): 6ND with nominal sizes and 9T / 15T tokens. Printed to 3 significant figures, so the
    # tolerance is half a unit in the last place: 0.005e23 / 1.62e23 = 0.3% and 0.005e25 / 3.65e25 = 0.14%.
    assert F.pretraining_flops("Llama-3.2-3B", nominal=True) == pytest.approx(1.62e23, rel=0.005 / 1.62)
    assert F.pretraining_flops("Llama-3.1-405B", nominal=True) == pytest.approx(3.65e25, rel=0.005 / 3.65)
    # with the exact checkpoint sizes (3.21B, 406B) the 3B figure moves by 7%: the nominal choice matters
    assert F.pretraining_flops("Llama-3.2-3B") / F.pretraining_flops("Llama-3.2-3B", nominal=True) == pytest.approx(1.07)


def test_pretraining_flops_by_hand():
    assert F.pretraining_flops(1e9, 1e12) == 6e21
    # Pythia-12B: 6 x 11,846,072,320 x 299,892,736,000 = 2.13151...e22 (143,000 steps x 2,097,152 tokens)
    assert F.pretraining_flops("pythia-12b") == pytest.approx(6 * 11_846_072_320 * 299_892_736_000, rel=1e-15)


def test_snell_exchange_multiplier_hand_checked_and_by_flops_balance():
    # Snell et al. 2024 (arXiv:2408.03314) Sec. 7: a 14x larger model, R in {0.16, 0.79, 22}.
    # M = 14 + 3 * 13 / R: 14 + 243.75 = 257.75; 14 + 39 / 0.79 = 63.367...; 14 + 39 / 22 = 15.7727...
    got = F.matched_inference_multiplier(14, [0.16, 0.79, 22])
    np.testing.assert_allclose(got, [257.75, 14 + 39 / 0.79, 14 + 39 / 22], rtol=1e-12)
    n, d_pre = 1e9, 1e12
    for r, m in zip([0.16, 0.79, 22], got):
        d_inf = r * d_pre
        small = 6 * n * d_pre + 2 * n * d_inf * m
        large = 6 * 14 * n * d_pre + 2 * 14 * n * d_inf
        assert small == pytest.approx(large, rel=1e-12)
    assert F.matched_inference_multiplier(1, 0.5) == 1  # same size: no extra compute


def test_matched_inference_tokens_reduces_to_snell_with_equal_pretraining_data():
    # Pythia sizes share the same 299.9B pretraining tokens
    small, large = get_model("pythia-1b"), get_model("pythia-12b")
    d_inf = 3e9
    m = F.matched_inference_multiplier(large.params / small.params, d_inf / small.pretrain_tokens)
    assert F.matched_inference_tokens("pythia-1b", "pythia-12b", d_inf) == pytest.approx(m * d_inf, rel=1e-12)


# --- bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [-1, 2.5, np.nan, np.inf])
def test_negative_fractional_or_missing_token_counts_raise(bad):
    with pytest.raises(ValueError, match="whole numbers >= 0"):
        F.sequence_flops("pythia-70m", bad)
    with pytest.raises(ValueError, match="completion_tokens"):
        F.inference_flops("pythia-70m", 10, [3, bad])


def test_zero_tokens():
    assert F.sequence_flops("pythia-70m", 0) == 0  # an empty completion costs nothing
    with pytest.raises(ValueError, match="prompt_tokens"):
        F.inference_flops("pythia-70m", 0, [5])
    df = toy_samples().assign(num_prompt_tokens=0)  # e.g. a monkey_business table: counts not recorded
    with pytest.raises(ValueError, match="not recorded"):
        F.run_flops(df, "pythia-70m")
    with pytest.raises(ValueError, match="tokens must be a number > 0"):
        F.pretraining_flops("pythia-70m", 0)
    with pytest.raises(ValueError, match="position is 1-indexed"):
        F.flops_per_token("pythia-70m", 0)


def test_context_shorter_than_the_prompt_raises():
    with pytest.raises(ValueError, match=r"exceeds the context of pythia-70m \(2048 tokens\)"):
        F.inference_flops("pythia-70m", 3000, [10])
    with pytest.raises(ValueError, match="exceeds the context"):
        F.inference_flops("pythia-70m", 2000, [100])  # prompt fits, prompt + completion does not
    with pytest.raises(ValueError, match="exceeds the context"):
        F.flops_per_token("pythia-70m", 2049)


def test_other_mistakes_raise_with_the_argument_named():
    with pytest.raises(ValueError, match="not published"):
        F.pretraining_flops("DeepSeek-R1-Distill-Qwen-7B")
    with pytest.raises(ValueError, match="attention must be one of"):
        F.sequence_flops("pythia-70m", 5, attention="exact")
    with pytest.raises(ValueError, match=r"k \(at most the fewest samples of any problem\) must lie in 1..N = 3"):
        F.flops_at_k(toy_samples(), "pythia-70m", [4])
    with pytest.raises(ValueError, match="ratio_r"):
        F.matched_inference_multiplier(14, 0)
    with pytest.raises(ValueError, match="size_ratio"):
        F.matched_inference_multiplier(0.5, 1)
    with pytest.raises(ValueError, match="differs within"):
        F.run_flops(toy_samples().assign(num_prompt_tokens=[5, 6, 5, 9, 9, 9]), "pythia-70m")
