# The two commands of the README. Each sets up .venv first (tools/setup_env.sh), so both work on
# a fresh machine with only Python 3.11 and pip.
.PHONY: figures test setup bench

setup:
	bash tools/setup_env.sh

# Execute every notebook top to bottom and rewrite figures/ from the data in data/.
figures: setup
	.venv/bin/python tools/run_notebooks.py

# The whole test suite, slow tests included (this is what .ci/run calls).
test: setup
	.venv/bin/python -m pytest -ra

# The benchmarks whose numbers the README quotes.
bench: setup
	for b in benchmarks/bench_*.py; do echo "== $$b"; .venv/bin/python $$b || exit 1; done
