"""FLOPs accounting against independent references: direct sums over token positions, parameter counts
rebuilt from the architecture, hand-worked numbers and published figures (each cited), and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT
from ttslib import flops as F
from ttslib.data import read_pythia_counts


def direct_sum(model, start, n, a):
    """sum_{t=start+1}^{start+n} (2N + a * n_layer * t * d_attn), one position at a time."""
    spec = F.get_model(model)
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
    small, large = F.get_model("pythia-1b"), F.get_model("pythia-12b")
    d_inf = 3e9
    m = F.matched_inference_multiplier(large.params / small.params, d_inf / small.pretrain_tokens)
    assert F.matched_inference_tokens("pythia-1b", "pythia-12b", d_inf) == pytest.approx(m * d_inf, rel=1e-12)


# --- the registry -----------------------------------------------------------------------------------


def architecture_params(spec):
    """Parameter count rebuilt from config values: GPT-NeoX blocks (biases, two LayerNorms, untied
    embeddings), or Llama-style gated-MLP blocks with RMSNorm (q/k/v biases for Qwen2)."""
    d, L, hd, V = spec.d_model, spec.n_layers, spec.head_dim, spec.vocab_size
    if spec.arch == "gpt-neox":
        layer = (4 * d * d + 4 * d) + (2 * d * spec.d_ff + spec.d_ff + d) + 4 * d
        final = 2 * d
    else:
        q, kv = spec.n_heads * hd, spec.n_kv_heads * hd
        layer = 2 * d * q + 2 * d * kv + 3 * d * spec.d_ff + 2 * d
        layer += (q + 2 * kv) if spec.arch == "qwen2" else 0
        layer += (2 * d + 2 * hd) if spec.arch == "gemma3" else 0  # extra norms, q/k norms
        final = d
    return L * layer + final + V * d * (1 if spec.tied_embeddings else 2)


def test_registry_parameter_counts_agree_with_the_architecture():
    for spec in map(F.get_model, F.registry()["name"]):
        rebuilt = architecture_params(spec)
        tol = 0 if spec.params_note.startswith("exact") else 0.01  # rounded figures: within 1%
        assert abs(rebuilt / spec.params - 1) <= tol, (spec.name, rebuilt, spec.params)


def test_registry_covers_the_issue_and_cites_sources():
    names = set(F.registry()["name"])
    wanted = {f"pythia-{s}" for s in ("70m", "160m", "410m", "1b", "1.4b", "2.8b", "6.9b", "12b")}
    wanted |= {"Llama-3.2-1B", "Llama-3.2-3B", "Llama-3.1-8B", "Llama-3.1-70B", "Llama-3.1-405B"}
    wanted |= {f"Qwen2.5-{s}" for s in ("0.5B", "1.5B", "3B", "7B", "14B", "32B", "72B")}
    wanted |= {"SmolLM2-135M", "SmolLM2-360M", "SmolLM2-1.7B", "gemma-3-270m", "DeepSeek-R1-Distill-Qwen-1.5B"}
    assert wanted <= names
    table = F.registry()
    assert table["name"].str.lower().is_unique
    assert table["source"].str.contains("arXiv:|model card|README").all()
    unpublished = table["pretrain_tokens"].isna()
    assert table.loc[unpublished, "pretrain_tokens_note"].str.contains("not published").all()


def test_model_lookup_is_forgiving_about_case_org_and_instruct_suffix():
    assert F.get_model("HuggingFaceTB/SmolLM2-135M-Instruct").name == "SmolLM2-135M"
    assert F.get_model("meta-llama/llama-3.2-1b-instruct").name == "Llama-3.2-1B"
    assert F.get_model("EleutherAI/pythia-1.4b").name == "pythia-1.4b"


# --- bad input ---------------------------------------------------------------------------------------


def test_unknown_model_names_the_close_matches():
    with pytest.raises(ValueError, match=r"'Llama-3.2-2B' is not in the registry.*Llama-3.2-1B"):
        F.get_model("Llama-3.2-2B")
    with pytest.raises(ValueError, match="pythia-12b"):
        F.sequence_flops("pythia-13b", 10)
    with pytest.raises(TypeError, match="registry name or a ModelSpec"):
        F.get_model(7)


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


# --- the iso-FLOPs frontier ----------------------------------------------------------------------------


def test_flops_to_reach_and_frontier_on_a_hand_case():
    k = np.array([1, 2, 4, 8])
    small = (k, 1.0 * k, np.array([0.1, 0.2, 0.3, 0.4]))  # cheap per sample, slow to improve
    large = (k, 3.0 * k, np.array([0.25, 0.35, 0.45, 0.5]))
    np.testing.assert_array_equal(F.flops_to_reach(*small[1:], [0.05, 0.3, 0.45]), [1, 4, np.nan])
    table = F.iso_flops_frontier({"small": small, "large": large}, [0.2, 0.25, 0.4, 0.5])
    best = table[table["cheapest"]].set_index("target")
    # 0.2: small k = 2 (2 FLOPs) vs large k = 1 (3); 0.25: small k = 4 (4) vs large k = 1 (3);
    # 0.4: small k = 8 (8) vs large k = 4 (12); 0.5: only large, k = 8 (24).
    assert best["model"].to_dict() == {0.2: "small", 0.25: "large", 0.4: "small", 0.5: "large"}
    assert best["k"].to_dict() == {0.2: 2, 0.25: 1, 0.4: 8, 0.5: 8}
    assert best["flops"].to_dict() == {0.2: 2, 0.25: 3, 0.4: 8, 0.5: 24}
    assert table.query("model == 'small' and target == 0.5")["flops"].isna().all()


def test_flops_to_reach_rejects_unordered_budgets():
    with pytest.raises(ValueError, match="flops must increase"):
        F.flops_to_reach([1, 1], [0.1, 0.2], [0.1])


def test_flops_to_reach_refuses_nan_scores():
    from ttslib.flops import flops_to_reach

    with pytest.raises(ValueError, match="finite"):
        flops_to_reach([1.0, 2.0, 3.0], [0.1, np.nan, 0.3], [0.2])
