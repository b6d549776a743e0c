"""Benchmark: samples per second of ``ttslib generate`` through Ray Data LLM (``RayBackend``, the http engine)
against the direct OpenAI backend, through the same local ``llama_cpp.server`` (SmolLM2-135M), measured in the
same run; then Ray through two such servers against one.

    python benchmarks/bench_ray.py [--problems 40] [--n 4] [--max-tokens 16] [--rounds 3] [--threads 1]

Each configuration runs once per round and rounds interleave them, so a slow spell of the machine touches all
alike; the median over rounds is reported. A run is ``generate_samples`` on arithmetic problems, one problem a
shard, without a run directory; its time includes what a run of the kit pays: for Ray, building the processors
and the dataset and starting their workers (the cluster itself is started once, before the rounds, as a
session's cluster is). Each server runs ``--threads`` llama.cpp threads and answers one request at a time, so
the direct backend sends at most one request a server at a time too (``concurrency=1``) and Ray one worker a
server: both keep every server busy, and the comparison is of the clients.

Targets (issue 35): Ray at least 0.9x the direct backend through one server; two servers at least 1.6x one
where the machine has a core for each server beside the client. A 2-core machine has not: the second server
shares the cores with the first, Ray's workers and the driver.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from servers import free_port, start_llama_server  # noqa: E402  (the tests' helper: the embedded model's server)

from ttslib.generate import SamplingConfig, generate_samples  # noqa: E402
from ttslib.generate.openai_http import OpenAIBackend  # noqa: E402
from ttslib.generate.ray_data import RayBackend, connect  # noqa: E402
from ttslib.problems import make_arithmetic  # noqa: E402

TEMPLATE = "Q: {question}\nA:"


def timed(backend, problems, config) -> float:
    """Samples per second of one run."""
    start = time.perf_counter()
    table = generate_samples(problems, backend, config, template=TEMPLATE, progress=False)
    return len(table) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", type=int, default=40)
    parser.add_argument("--n", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="llama.cpp threads of each server")
    args = parser.parse_args()
    problems = make_arithmetic(args.problems // 4, levels=(1, 2, 3, 4), seed=0)
    config = SamplingConfig(n=args.n, max_tokens=args.max_tokens, temperature=0.8, seed=0)
    ports = [free_port(), free_port()]
    servers = [start_llama_server(port, threads=args.threads) for port in ports]
    urls = [f"http://127.0.0.1:{port}/v1" for port in ports]
    try:
        begun = time.perf_counter()
        connect(num_cpus=os.cpu_count())
        print(f"local Ray cluster started in {time.perf_counter() - begun:.1f} s ({os.cpu_count()} CPUs)")
        runs = {
            "direct, one server": lambda: OpenAIBackend(urls[0], "smollm2", n_per_request=1, concurrency=1),
            "ray, one server": lambda: RayBackend("smollm2", urls[:1], n_per_request=1, concurrency=1),
            "ray, two servers": lambda: RayBackend("smollm2", urls, n_per_request=1, concurrency=1),
        }
        rates: dict[str, list[float]] = {name: [] for name in runs}
        for r in range(args.rounds):
            for name, make in runs.items():
                rates[name].append(timed(make(), problems, config))
                print(f"round {r + 1} {name}: {rates[name][-1]:.2f} samples/s", flush=True)
    finally:
        for server in servers:
            server.kill()
            server.wait()
    median = {name: statistics.median(v) for name, v in rates.items()}
    print(f"\n{len(problems)} problems x {args.n} samples, {args.max_tokens} tokens at most, T = 0.8; servers of "
          f"{args.threads} llama.cpp thread(s); {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"median of {args.rounds} interleaved rounds (samples/s):")
    for name, value in median.items():
        print(f"  {name}: {value:.2f}")
    print(f"ray / direct through one server: {median['ray, one server'] / median['direct, one server']:.2f}x (target 0.9x)")
    print(f"ray, two servers / one: {median['ray, two servers'] / median['ray, one server']:.2f}x (target 1.6x with a core a server)")


if __name__ == "__main__":
    main()
