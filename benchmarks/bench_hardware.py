"""Measure this machine's row of the roofline's hardware table (``ttslib/hardware.csv``, ``ttslib.cost``).

- peak: FP32 matrix multiplication through numpy's BLAS, square matrices of ``--size`` (2 n^3 FLOPs each), the
  best of ``--repeats`` on every core this process may use;
- bandwidth: copying an array of ``--mib`` MiB into another (its bytes read once and written once), the best of
  ``--repeats``.

Both are what this machine reaches, not a datasheet's peak. The row it prints (``--write``: appended to, or
replacing, the ``this-machine`` row of ttslib/hardware.csv) names the CPU, the cores, the date and this command.

    python benchmarks/bench_hardware.py [--size 2048] [--mib 512] [--repeats 5] [--write]
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import time
from pathlib import Path

import numpy as np

from ttslib.generate.rundir import machine_facts

TABLE = Path(__file__).resolve().parent.parent / "ttslib" / "hardware.csv"


def best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--mib", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="put the row into ttslib/hardware.csv")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((args.size, args.size), dtype=np.float32) for _ in range(2))
    a @ b  # warm the BLAS threads
    flops = 2.0 * args.size**3 / best(lambda: a @ b, args.repeats)
    src = np.ones(args.mib * 2**20 // 8)
    dst = np.empty_like(src)
    np.copyto(dst, src)
    bandwidth = 2.0 * src.nbytes / best(lambda: np.copyto(dst, src), args.repeats)
    facts = machine_facts()
    today = datetime.date.today().isoformat()
    source = (f"measured by benchmarks/bench_hardware.py on {today}: {facts['cpu']}, {facts['cores']} cores; numpy FP32 matmul "
              f"{args.size}x{args.size}, copy of {args.mib} MiB (read + write), best of {args.repeats}")
    row = ["this-machine", f"{flops:.4g}", f"{bandwidth:.4g}", "FP32 (numpy BLAS; measured)", source]
    print(f"matmul {flops / 1e9:.1f} GFLOP/s, copy {bandwidth / 1e9:.2f} GB/s, ridge {flops / bandwidth:.1f} FLOPs per byte")
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(row)
    print(out.getvalue(), end="")
    if args.write:
        lines = [line for line in TABLE.read_text(encoding="utf-8").splitlines() if not line.startswith("this-machine,")]
        TABLE.write_text("\n".join(lines) + "\n" + out.getvalue(), encoding="utf-8")
        print(f"written to {TABLE}")


if __name__ == "__main__":
    main()
