"""Benchmark: generated tokens per second of the embedded backend at N = 1, 8, 32 samples per prompt,
against the same model driven one request at a time through llama-cpp-python's own
``Llama.create_completion`` (the plain high-level API), measured in the same run.

The baseline is measured twice: plain, and asked for the sampled tokens' log-probabilities
(``logprobs=1``, which needs ``logits_all=True``), since the kit records them for every sample.
Every configuration runs once per round, rounds interleave them, and the median over rounds is
reported, so a slow spell of the machine touches all of them alike.

    python benchmarks/bench_generate.py [--max-tokens 64] [--rounds 3] [--arith-problems 100]

All sample at T = 0.8 with no stop string, so each sample runs to max_tokens or the end token;
tokens/s counts generated tokens over wall time, the prompt's prefill included.

Second part, the shipped arithmetic run's settings (``arith_fewshot`` prompt, 10-token answers,
stop at the newline, 100 problems): samples per second of the stateful engine (few-shot prefix
decoded once, several problems per batch) against the loop the kit had before it, one problem per
batch and the whole prompt decoded for each (the same backend with prefix caching off and
``batch_seqs = n``: exactly the work that loop did), at n = 8 and 32.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from ttslib.generate import SamplingConfig
from ttslib.generate.llama import LlamaCppBackend

PROMPTS = [
    "Question: A farmer has 17 sheep and buys 5 more. How many sheep does he have?\nAnswer:",
    "Write a short story about a robot who learns to paint.\n",
    "The three most important ideas in statistics are",
]


def rate(generate) -> float:
    """Tokens per second of one pass over PROMPTS; ``generate(prompt, i)`` returns the tokens made."""
    start, tokens = time.perf_counter(), 0
    for i, prompt in enumerate(PROMPTS):
        tokens += generate(prompt, i)
    return tokens / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--arith-problems", type=int, default=100)
    parser.add_argument("--only-arith", action="store_true", help="only the second part (arithmetic settings)")
    args = parser.parse_args()
    arithmetic(args.arith_problems, args.rounds)
    if args.only_arith:
        return
    m = args.max_tokens

    from llama_cpp import Llama

    ours = LlamaCppBackend()
    fast = LlamaCppBackend(flash_attn=True)  # faster, log-probabilities less exact (see LlamaCppBackend)
    plain = Llama(str(ours.model_path), n_ctx=2048, n_threads=ours.n_threads, verbose=False, seed=0)
    with_lp = Llama(str(ours.model_path), n_ctx=2048, n_threads=ours.n_threads, verbose=False, seed=0, logits_all=True)
    for backend in (ours, fast):  # warm-up: context and compute graph
        backend.generate([PROMPTS[0]], SamplingConfig(n=2, max_tokens=8), [0])
    plain.create_completion(PROMPTS[0], max_tokens=8)

    def batched(backend, n):
        config = SamplingConfig(n=n, temperature=0.8, max_tokens=m)
        return lambda p, i: sum(c.num_tokens for c in backend.generate([p], config, [i])[0].completions)

    def one_at_a_time(llm, repeats, **kwargs):
        return lambda p, i: sum(
            llm.create_completion(p, max_tokens=m, temperature=0.8, **kwargs)["usage"]["completion_tokens"]
            for _ in range(repeats)
        )

    configs = {
        "ttslib batched, N=1": batched(ours, 1),
        "ttslib batched, N=8": batched(ours, 8),
        "ttslib batched, N=32": batched(ours, 32),
        "ttslib batched, N=32, flash attention on": batched(fast, 32),
        "llama-cpp-python create_completion, one at a time": one_at_a_time(plain, 4),
        "the same, with logprobs=1 (logits_all=True)": one_at_a_time(with_lp, 1, logprobs=1),
    }
    rates = {name: [] for name in configs}
    for _ in range(args.rounds):
        for name, generate in configs.items():
            rates[name].append(rate(generate))
    median = {name: float(np.median(r)) for name, r in rates.items()}
    base = median["llama-cpp-python create_completion, one at a time"]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; model {ours.model_path.name}; "
          f"max_tokens {m}; median of {args.rounds} rounds")  # fmt: skip
    for name, r in median.items():
        spread = f"{min(rates[name]):.0f}-{max(rates[name]):.0f}"
        print(f"{name:52s} {r:7.1f} tok/s ({spread:>9s})   {r / base:5.2f}x baseline")


def arithmetic(num_problems: int, rounds: int) -> None:
    """Samples/s on the shipped arithmetic settings: the stateful engine against the loop before it."""
    from ttslib.generate.prompts import PROMPTS as TEMPLATES
    from ttslib.generate.run import render_prompt
    from ttslib.problems import make_arithmetic

    style = TEMPLATES["arith_fewshot"]
    problems = make_arithmetic(10, seed=0).head(num_problems)
    prompts = [render_prompt(style.template, q) for q in problems["question"]]
    for n in (8, 32):
        config = SamplingConfig(n=n, temperature=0.8, max_tokens=10, stop=style.stop)
        engines = {
            "stateful engine (prefix once, 64 samples per batch)": LlamaCppBackend(batch_seqs=64),
            "the loop before it (whole prompt per problem, one problem per batch)": LlamaCppBackend(min_shared=10**9, batch_seqs=n),
        }
        rates = {name: [] for name in engines}
        decoded = {}
        for _ in range(rounds):
            for name, engine in engines.items():
                before, start = dict(engine.stats), time.perf_counter()
                out = engine.generate(prompts, config, list(range(len(prompts))))
                rates[name].append(sum(len(r.completions) for r in out) / (time.perf_counter() - start))
                decoded[name] = (engine.stats["decoded"] - before["decoded"], engine.stats["sampled"] - before["sampled"])
        base = float(np.median(rates["the loop before it (whole prompt per problem, one problem per batch)"]))
        print(f"arithmetic, {len(prompts)} problems, n = {n}, 10 tokens, median of {rounds} rounds:")
        for name, r in rates.items():
            med = float(np.median(r))
            print(f"  {name:70s} {med:7.1f} samples/s ({min(r):.0f}-{max(r):.0f})  {med / base:5.2f}x   "
                  f"decoded {decoded[name][0]} tokens for {decoded[name][1]} sampled")


if __name__ == "__main__":
    main()
