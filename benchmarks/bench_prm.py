"""Benchmark: hub-PRM plumbing, steps scored per second, batched by length against one sequence at a time.

Measures plumbing, not a PRM: the models are the tiny randomly initialised stand-ins of
tests/test_verifiers_hub.py (2 layers, width 32), so the absolute rate says nothing about an 8B PRM on a
GPU; the ratio says what batching sequences of similar length (``batch_size``, longest first) buys over
``batch_size=1`` in the same run. 256 partial solutions of 1 to 8 steps, each scored once per round.

    python benchmarks/bench_prm.py [--partials 256] [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_verifiers_hub import tiny_llama_parts, tiny_qwen_parts  # noqa: E402

from ttslib.verifiers import QwenMathPRM, RLHFlowPRM  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--partials", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    partials = [[f"Then add {k}: {10 * k} + {k} = {11 * k}." for k in range(1, int(rng.integers(1, 9)) + 1)] for _ in range(args.partials)]
    questions = ["What is the sum of 12 and 30?"] * len(partials)
    steps = sum(len(p) for p in partials)
    for name, kind, parts in (("RLHFlow (tiny Llama)", RLHFlowPRM, tiny_llama_parts()), ("Qwen-Math (tiny Qwen2)", QwenMathPRM, tiny_qwen_parts())):
        rates = {}
        for batch in (1, 16):
            prm = kind(model=parts[0], tokenizer=parts[1], device="cpu", dtype="float32", batch_size=batch)
            seconds = []
            for _ in range(args.rounds):
                start = time.perf_counter()
                prm.score(questions, partials)
                seconds.append(time.perf_counter() - start)
            rates[batch] = steps / float(np.median(seconds))
        print(f"{name}: {steps} steps of {len(partials)} partials; one at a time {rates[1]:.0f} steps/s, "
              f"batches of 16 by length {rates[16]:.0f} steps/s: {rates[16] / rates[1]:.1f}x (plumbing only: random tiny models)")


if __name__ == "__main__":
    main()
