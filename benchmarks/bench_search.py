"""Benchmark: step-level search on the embedded backend against best-of-N sampling of the same problems.

Each search (``--method``: beam search N = 16, M = 4; particle filtering and REBASE, N = 16; the noisy
step checker at AUC 0.8) and best-of-16 sampling (the same prompt, whole solutions) on 50 chain
problems, with the same backend, measured in the same run. Reported:

- generated tokens per second of each (search: every token sampled in the tree, pruned branches
  included; sampling: every completion token), and their ratio (targets: beam search >= 0.8x
  sampling; particle filtering and REBASE >= 0.9x);
- tokens the backend decoded for the search, against the distinct tokens of the search trees
  (the few-shot prefix once, each problem's question part once, every token sampled in its tree; also
  shown with the prefix once per shard, since each shard starts from a reset backend) (targets: beam search <= 1.2x; particle filtering and REBASE <= 1.1x): partial solutions stay
  in the cache and resampled particles share their prefixes, so nothing is decoded twice;
- the same search through the text interface (each partial solution re-sent as a prompt, as a
  server without a prefix cache would see it), for the prompt tokens that would cost.

With ``--backend openai`` both run through an OpenAI-compatible server instead (``--base-url``; without
one, a ``llama_cpp.server`` with the embedded model is started on 127.0.0.1 for the run): generated
tokens per second of beam search against best-of-N sampling through the same server on the same
problems, and the prompt tokens each re-sends per generated token (a search re-sends every partial
solution; the server's own prefix cache may spare their decoding, which this does not see).

    python benchmarks/bench_search.py [--problems 50] [--rounds 2] [--method beam_search particle_filtering rebase]
    python benchmarks/bench_search.py --backend openai --problems 8 --rounds 1
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
from ttslib.search import SearchConfig, default_problems_per_shard, run_search
from ttslib.verifiers import NoisyVerifier, StepChecker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--backend", choices=["llama", "openai"], default="llama")
    parser.add_argument("--base-url", default=None, help="openai: the server (default: start llama_cpp.server here)")
    parser.add_argument("--method", nargs="+", default=["beam_search"], choices=["beam_search", "particle_filtering", "rebase"])
    args = parser.parse_args()
    if args.backend == "openai":
        return through_a_server(args)
    style = PROMPTS["chain_fewshot"]
    problems = make_chains(5, seed=123).sample(args.problems, random_state=0).reset_index(drop=True)
    verifier = NoisyVerifier(StepChecker(), auc=0.8, seed=0)
    backend = LlamaCppBackend()
    sampling = SamplingConfig(n=16, temperature=0.8, max_tokens=8 * 24, stop=style.stop)
    targets = {"beam_search": (0.8, 1.2), "particle_filtering": (0.9, 1.1), "rebase": (0.9, 1.1)}

    rates = {name: [] for name in [*args.method, "best-of-16 sampling"]}
    ratio_decoded = {name: [] for name in args.method}
    ratio_shards = {name: [] for name in args.method}  # the few-shot prefix counted once per shard
    for r in range(args.rounds):
        for method in args.method:
            config = SearchConfig(method=method, n=16, max_steps=8, max_step_tokens=24, seed=r)
            before, start = dict(backend.stats), time.perf_counter()
            table = run_search(problems, backend, verifier, config, template=style.template, delimiter=style.step_delimiter,
                               grade_style=style.grade_style, progress=False)
            seconds = time.perf_counter() - start
            per_problem = table.groupby("problem_id").first()
            generated = int(per_problem["search_generated_tokens"].sum())
            rates[method].append(generated / seconds)
            decoded = backend.stats["decoded"] - before["decoded"]
            prefix = max((len(p.tokens) for p in backend._prefixes), default=0)
            shards = -(-len(problems) // default_problems_per_shard(config))  # each shard starts from a reset backend
            distinct = prefix + int((per_problem["num_prompt_tokens"] - prefix).sum()) + generated
            ratio_decoded[method].append(decoded / distinct)
            ratio_shards[method].append(decoded / (distinct + (shards - 1) * prefix))
            print(f"round {r}: {method} {generated} tokens in {seconds:.1f} s, decoded {decoded} for {distinct} distinct tree tokens")

        start = time.perf_counter()
        samples = generate_samples(problems, backend, SamplingConfig(**{**sampling.__dict__, "seed": r}), template=style.template,
                                   grade_style=style.grade_style, problems_per_shard=4, progress=False)
        rates["best-of-16 sampling"].append(samples["num_completion_tokens"].sum() / (time.perf_counter() - start))
        print(f"round {r}: sampling {int(samples['num_completion_tokens'].sum())} tokens")

    med = {k: float(np.median(v)) for k, v in rates.items()}
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; {len(problems)} chain problems; N = 16 (M = 4 for beam search); "
          f"median of {args.rounds} rounds")
    for name, v in med.items():
        print(f"  {name:22s} {v:7.1f} generated tok/s ({min(rates[name]):.0f}-{max(rates[name]):.0f})")
    for method in args.method:
        speed, cache = targets[method]
        print(f"  {method}: search / sampling tokens per second {med[method] / med['best-of-16 sampling']:.2f}x (target >= {speed}); "
              f"tokens decoded / distinct tree tokens {np.median(ratio_decoded[method]):.3f} (target <= {cache}; "
              f"{np.median(ratio_shards[method]):.3f} with the few-shot prefix counted once per shard)")


def through_a_server(args) -> None:
    """Beam search and best-of-16 sampling through one OpenAI-compatible server, the same problems."""
    import sys
    from pathlib import Path

    from ttslib.generate.openai_http import OpenAIBackend

    style = PROMPTS["chain_fewshot"]
    problems = make_chains(5, seed=123).sample(args.problems, random_state=0).reset_index(drop=True)
    server, url, model = None, args.base_url, "smollm2"
    if url is None:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from servers import free_port, start_llama_server

        port = free_port()
        server, url = start_llama_server(port, n_ctx=1024), f"http://127.0.0.1:{port}/v1"
    try:
        backend = OpenAIBackend(url, model, n_per_request=1, concurrency=1, timeout=300)
        verifier = NoisyVerifier(StepChecker(), auc=0.8, seed=0)
        config = SearchConfig(method="beam_search", n=16, beam_width=4, max_steps=8, max_step_tokens=24)
        sampling = SamplingConfig(n=16, temperature=0.8, max_tokens=8 * 24, stop=style.stop)
        rows = []
        for r in range(args.rounds):
            start = time.perf_counter()
            table = run_search(problems, backend, verifier, SearchConfig(**{**config.__dict__, "seed": r}), template=style.template,
                               delimiter=style.step_delimiter, grade_style=style.grade_style, progress=False)
            search_s = time.perf_counter() - start
            per = table.groupby("problem_id").first()
            start = time.perf_counter()
            samples = generate_samples(problems, backend, SamplingConfig(**{**sampling.__dict__, "seed": r}), template=style.template,
                                       grade_style=style.grade_style, problems_per_shard=4, progress=False)
            sampling_s = time.perf_counter() - start
            gen_search, gen_sampling = float(per["search_generated_tokens"].sum()), float(samples["num_completion_tokens"].sum())
            rows.append({"search tok/s": gen_search / search_s, "sampling tok/s": gen_sampling / sampling_s,
                         "search prompt/generated": float(per["search_prefill_tokens"].sum()) / gen_search,
                         "sampling prompt/generated": float(samples["num_prompt_tokens"].sum()) / gen_sampling,
                         "eos unknown": int(per["search_eos_unknown"].sum())})
            print(f"round {r}: search {gen_search:.0f} tokens in {search_s:.1f} s, sampling {gen_sampling:.0f} in {sampling_s:.1f} s")
    finally:
        if server is not None:
            server.kill()
            server.wait()
    med = {k: float(np.median([row[k] for row in rows])) for k in rows[0]}
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; {len(problems)} chain problems through {url}; N = 16, M = 4; "
          f"median of {args.rounds} round(s)")
    print(f"  beam search {med['search tok/s']:.1f} generated tok/s, best-of-16 sampling {med['sampling tok/s']:.1f}: "
          f"{med['search tok/s'] / med['sampling tok/s']:.2f}x")
    print(f"  prompt tokens sent per generated token: search {med['search prompt/generated']:.1f}, sampling "
          f"{med['sampling prompt/generated']:.1f}; steps whose end the server did not tell: {med['eos unknown']:.0f}")


if __name__ == "__main__":
    main()
