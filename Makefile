# The two commands of the README. Each sets up .venv first (tools/setup_env.sh, from
# requirements.lock), so both work on a fresh machine with only Python 3.11, pip and a C compiler.
.PHONY: figures test setup bench lab lock

setup:
	bash tools/setup_env.sh

# Execute every notebook top to bottom from its source in notebooks/src/, on the data in data/:
# rewrites figures/, the executed notebooks/NN_*.ipynb (outputs included, deterministic) and their
# HTML pages reports/NN_*.html. One notebook: .venv/bin/python tools/run_notebooks.py 05
figures: setup
	.venv/bin/python tools/run_notebooks.py

# The whole test suite, slow tests included (this is what .ci/run calls). It adds the CPU build of
# torch (for the hub-PRM tests) from a local wheel folder or PyTorch's CPU wheel index. The tests run
# in TEST_WORKERS processes (pytest-xdist; 2, the cores CI has); TEST_WORKERS=0 runs them in one.
# --dist loadgroup: tests marked with one xdist_group (the Ray tests: one local cluster) share a process.
TEST_WORKERS ?= 2
test: setup
	bash tools/setup_env.sh --with-torch
	.venv/bin/python -m pytest -ra -n $(TEST_WORKERS) --dist loadgroup

# The benchmarks whose numbers the README quotes.
bench: setup
	for b in benchmarks/bench_*.py; do echo "== $$b"; .venv/bin/python $$b || exit 1; done

# Open the notebooks in JupyterLab. Each .ipynb is paired with its source notebooks/src/NN_*.py
# (notebooks/jupytext.toml): saving either in Lab updates both.
lab: setup
	cd notebooks && ../.venv/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root)

# Rewrite requirements.lock (exact versions, one universal resolution for Python 3.11, 3.12 and 3.13:
# a pin that only some Pythons or platforms need carries an environment marker) from pyproject.toml
# and tools/lock-pins.txt. torch is resolved (its pin is in lock-pins.txt) but left out of the lock:
# it is not on PyPI as a CPU build, and `make test` installs it on its own (tools/setup_env.sh --with-torch). Versions already in the lock are kept where they still fit; to move
# everything to the newest releases: make lock LOCK_FLAGS=--upgrade (then make figures: figures may change).
UV_VERSION = 0.13.8
TORCH_LINKS ?= /opt/wheels
LLAMA_WHEELS ?= $(firstword $(wildcard $(HOME)/.cache/ttslib-wheels/cpu-*) $(HOME)/.cache/ttslib-wheels)
lock: setup
	.venv/bin/python -m pip install -q "uv==$(UV_VERSION)"
	.venv/bin/uv pip compile pyproject.toml --extra dev --extra prm --extra notebooks --extra llama --extra ray \
	    --constraint tools/lock-pins.txt --find-links $(TORCH_LINKS) --find-links $(LLAMA_WHEELS) \
	    --universal --python-version 3.11 \
	    --no-emit-package torch \
	    --custom-compile-command "make lock" --quiet $(LOCK_FLAGS) --output-file requirements.lock
