"""The model registry against the architecture: parameter counts rebuilt from each model's config values,
the models the kit needs with their sources, and the name lookup."""

from __future__ import annotations

import pytest

from ttslib import flops as F
from ttslib.registry import get_model, registry


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
    for spec in map(get_model, registry()["name"]):
        rebuilt = architecture_params(spec)
        tol = 0 if spec.params_note.startswith("exact") else 0.01  # rounded figures: within 1%
        assert abs(rebuilt / spec.params - 1) <= tol, (spec.name, rebuilt, spec.params)


def test_registry_covers_the_issue_and_cites_sources():
    names = set(registry()["name"])
    wanted = {f"pythia-{s}" for s in ("70m", "160m", "410m", "1b", "1.4b", "2.8b", "6.9b", "12b")}
    wanted |= {"Llama-3.2-1B", "Llama-3.2-3B", "Llama-3.1-8B", "Llama-3.1-70B", "Llama-3.1-405B"}
    wanted |= {f"Qwen2.5-{s}" for s in ("0.5B", "1.5B", "3B", "7B", "14B", "32B", "72B")}
    wanted |= {"SmolLM2-135M", "SmolLM2-360M", "SmolLM2-1.7B", "gemma-3-270m", "DeepSeek-R1-Distill-Qwen-1.5B"}
    assert wanted <= names
    table = registry()
    assert table["name"].str.lower().is_unique
    assert table["source"].str.contains("arXiv:|model card|README").all()
    unpublished = table["pretrain_tokens"].isna()
    assert table.loc[unpublished, "pretrain_tokens_note"].str.contains("not published").all()


def test_model_lookup_is_forgiving_about_case_org_instruct_suffix_and_quantisation():
    assert get_model("HuggingFaceTB/SmolLM2-135M-Instruct").name == "SmolLM2-135M"
    # the model column of a run on a GGUF file (data/arith_smollm2.parquet, data/code/arith_gemma3.parquet)
    assert get_model("SmolLM2-135M-Instruct.Q4_1").name == "SmolLM2-135M"
    assert get_model("gemma-3-270m-q4_k_m").name == "gemma-3-270m"
    assert get_model("gemma-3-270m-it-Q8_0.gguf").name == "gemma-3-270m"
    with pytest.raises(ValueError, match="not in the registry"):
        get_model("pythia-13b-q4_0")
    assert get_model("meta-llama/llama-3.2-1b-instruct").name == "Llama-3.2-1B"
    assert get_model("EleutherAI/pythia-1.4b").name == "pythia-1.4b"


def test_unknown_model_names_the_close_matches():
    with pytest.raises(ValueError, match=r"'Llama-3.2-2B' is not in the registry.*Llama-3.2-1B"):
        get_model("Llama-3.2-2B")
    with pytest.raises(ValueError, match="pythia-12b"):
        F.sequence_flops("pythia-13b", 10)
    with pytest.raises(TypeError, match="registry name or a ModelSpec"):
        get_model(7)


def test_checkpoint_reads_tuning_and_quantisation_from_a_run_name():
    from ttslib.registry import checkpoint

    cases = {  # name as a run records it -> (registry row, tuning, quantisation)
        "SmolLM2-135M-Instruct.Q4_1": ("SmolLM2-135M", "instruction-tuned", "Q4_1"),
        "gemma-3-270m-q4_k_m": ("gemma-3-270m", "base", "Q4_K_M"),
        "google/gemma-3-270m-it-q8_0.gguf": ("gemma-3-270m", "instruction-tuned", "Q8_0"),
        "HuggingFaceTB/SmolLM2-135M": ("SmolLM2-135M", "base", None),
        "pythia-1b.f16": ("pythia-1b", "base", "F16"),
    }
    for name, want in cases.items():
        c = checkpoint(name)
        assert (c.spec.name, c.tuning, c.quantisation) == want, name
        assert c.name == name
    with pytest.raises(ValueError, match="not in the registry"):
        checkpoint("no-such-model-Instruct.Q4_1")
    with pytest.raises(TypeError, match="name must be a model name"):
        checkpoint(3)
