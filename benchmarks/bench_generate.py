"""Benchmark: generated tokens per second of the embedded backend at N = 1, 8, 32 samples per prompt,
against the same model driven one request at a time through llama-cpp-python's own
``Llama.create_completion`` (the plain high-level API), measured in the same run, twice: plain,
and asked for the sampled tokens' log-probabilities (``logprobs=1``, which needs
``logits_all=True``), since the kit records them for every sample.

    python benchmarks/bench_generate.py [--max-tokens 64] [--prompts 3]

Both sides sample at T = 0.8 with no stop string, so each sample runs to max_tokens or the end
token; tokens/s counts generated tokens only, over wall time including the prompt's prefill.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

from ttslib.generate import SamplingConfig
from ttslib.generate.llama import LlamaCppBackend

PROMPTS = [
    "Question: A farmer has 17 sheep and buys 5 more. How many sheep does he have?\nAnswer:",
    "Write a short story about a robot who learns to paint.\n",
    "The three most important ideas in statistics are",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--prompts", type=int, default=3)
    args = parser.parse_args()
    prompts = PROMPTS[: args.prompts]

    from llama_cpp import Llama

    ours = LlamaCppBackend()
    theirs = Llama(str(ours.model_path), n_ctx=2048, n_threads=ours.n_threads, verbose=False, seed=0)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; model {ours.model_path.name}; max_tokens {args.max_tokens}")
    ours.generate_one(prompts[0], SamplingConfig(n=2, max_tokens=8), seed=0)  # warm-up: context and graph
    theirs.create_completion(prompts[0], max_tokens=8)

    results = {}
    for n in (1, 8, 32):
        config = SamplingConfig(n=n, temperature=0.8, max_tokens=args.max_tokens)
        start, tokens = time.perf_counter(), 0
        for i, prompt in enumerate(prompts):
            tokens += sum(c.num_tokens for c in ours.generate_one(prompt, config, seed=i).completions)
        results[f"ttslib batched, N={n}"] = tokens / (time.perf_counter() - start)

    start, tokens = time.perf_counter(), 0
    for prompt in prompts:
        for _ in range(8):  # one request at a time, as a loop over samples would do it
            out = theirs.create_completion(prompt, max_tokens=args.max_tokens, temperature=0.8)
            tokens += out["usage"]["completion_tokens"]
    results["llama-cpp-python create_completion, one at a time"] = base = tokens / (time.perf_counter() - start)

    with_logprobs = Llama(str(ours.model_path), n_ctx=2048, n_threads=ours.n_threads, verbose=False, seed=0, logits_all=True)
    start, tokens = time.perf_counter(), 0
    for prompt in prompts:
        for _ in range(2):  # slow: two requests per prompt are enough for a rate
            out = with_logprobs.create_completion(prompt, max_tokens=args.max_tokens, temperature=0.8, logprobs=1)
            tokens += out["usage"]["completion_tokens"]
    results["the same, with logprobs=1 (logits_all=True)"] = tokens / (time.perf_counter() - start)

    for name, rate in results.items():
        print(f"{name:52s} {rate:7.1f} tok/s   {rate / base:5.2f}x baseline")


if __name__ == "__main__":
    main()
