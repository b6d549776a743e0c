"""Benchmark: beam search on the embedded backend against best-of-N sampling of the same problems.

Beam search (N = 16, M = 4, the noisy step checker at AUC 0.8) and best-of-16 sampling (the same
prompt, whole solutions) on 50 chain problems, with the same backend, measured in the same run.
Reported:

- generated tokens per second of each (search: every token sampled in the tree, pruned branches
  included; sampling: every completion token), and their ratio (target: search >= 0.8x sampling);
- tokens the backend decoded for the search, against the distinct tokens of the search trees
  (the few-shot prefix once, each problem's question part once, every token sampled in its tree)
  (target: <= 1.2x): partial solutions stay in the cache, so nothing is decoded twice;
- the same search through the text interface (each partial solution re-sent as a prompt, as a
  server without a prefix cache would see it), for the prompt tokens that would cost.

    python benchmarks/bench_search.py [--problems 50] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from ttslib.generate import SamplingConfig, generate_samples
from ttslib.generate.llama import LlamaCppBackend
from ttslib.generate.prompts import PROMPTS
from ttslib.problems import make_chains
from ttslib.search import SearchConfig, run_search
from ttslib.verifiers import NoisyVerifier, StepChecker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    style = PROMPTS["chain_fewshot"]
    problems = make_chains(5, seed=123).sample(args.problems, random_state=0).reset_index(drop=True)
    verifier = NoisyVerifier(StepChecker(), auc=0.8, seed=0)
    backend = LlamaCppBackend()
    config = SearchConfig(method="beam_search", n=16, beam_width=4, max_steps=8, max_step_tokens=24)
    sampling = SamplingConfig(n=16, temperature=0.8, max_tokens=8 * 24, stop=style.stop)

    rates = {"beam search": [], "best-of-16 sampling": []}
    ratio_decoded = []
    for r in range(args.rounds):
        before, start = dict(backend.stats), time.perf_counter()
        table = run_search(problems, backend, verifier, SearchConfig(**{**config.__dict__, "seed": r}), template=style.template,
                           delimiter=style.step_delimiter, grade_style=style.grade_style, progress=False)
        seconds = time.perf_counter() - start
        per_problem = table.groupby("problem_id").first()
        generated = int(per_problem["search_generated_tokens"].sum())
        rates["beam search"].append(generated / seconds)
        decoded = backend.stats["decoded"] - before["decoded"]
        prefix = max((len(p.tokens) for p in backend._prefixes), default=0)
        distinct = prefix + int((per_problem["num_prompt_tokens"] - prefix).sum()) + generated
        ratio_decoded.append(decoded / distinct)

        start = time.perf_counter()
        samples = generate_samples(problems, backend, SamplingConfig(**{**sampling.__dict__, "seed": r}), template=style.template,
                                   grade_style=style.grade_style, problems_per_shard=4, progress=False)
        rates["best-of-16 sampling"].append(samples["num_completion_tokens"].sum() / (time.perf_counter() - start))
        print(f"round {r}: search {generated} tokens in {seconds:.1f} s, decoded {decoded} for {distinct} distinct tree tokens; "
              f"sampling {int(samples['num_completion_tokens'].sum())} tokens")

    med = {k: float(np.median(v)) for k, v in rates.items()}
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; {len(problems)} chain problems; N = 16, M = 4; median of {args.rounds} rounds")
    for name, v in med.items():
        print(f"  {name:22s} {v:7.1f} generated tok/s ({min(rates[name]):.0f}-{max(rates[name]):.0f})")
    print(f"  search / sampling tokens per second: {med['beam search'] / med['best-of-16 sampling']:.2f}x (target >= 0.8)")
    print(f"  tokens decoded / distinct tree tokens: {np.median(ratio_decoded):.3f} (target <= 1.2)")


if __name__ == "__main__":
    main()
