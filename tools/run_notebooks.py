"""Execute the numbered notebooks top to bottom with papermill (the README's main command calls this).

    python tools/run_notebooks.py                   # every notebooks/NN_*.ipynb, figures -> figures/
    python tools/run_notebooks.py 01 02             # only those numbers
    python tools/run_notebooks.py --figures-dir /tmp/figs --out-dir /tmp/executed

Executed copies (with outputs) go to notebooks/executed/, which git ignores: the committed
notebooks stay stripped of outputs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import papermill

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def notebooks(selected: list[str]) -> list[Path]:
    found = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if selected:
        found = [nb for nb in found if nb.name[:2] in selected]
        if not found:
            raise SystemExit(f"no notebook numbered {selected} in {NOTEBOOKS}")
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("numbers", nargs="*", help="two-digit notebook numbers to run (default: all)")
    parser.add_argument("--figures-dir", default=str(ROOT / "figures"))
    parser.add_argument("--out-dir", default=str(NOTEBOOKS / "executed"))
    args = parser.parse_args(argv)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for nb in notebooks(args.numbers):
        start = time.perf_counter()
        papermill.execute_notebook(
            str(nb),
            str(out_dir / nb.name),
            parameters={"FIGURES_DIR": str(Path(args.figures_dir).resolve())},
            cwd=str(NOTEBOOKS),
            kernel_name="python3",
            progress_bar=False,
        )
        print(f"{nb.name}: ran in {time.perf_counter() - start:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
