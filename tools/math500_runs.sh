#!/usr/bin/env bash
# The MATH-500 search runs through a loopback server (data/math500/, data/README.md): llama-cpp-python's
# llama_cpp.server serving SmolLM2-135M-Instruct on 127.0.0.1, and `ttslib search --backend openai` with the
# MATH-500 preset (blank-line steps, \boxed answers) on the first few problems, beam search, particle filtering
# and REBASE at N = 4 with the model's own step confidence as the verifier. Each run is resumable (run this
# again after a kill); its finished table is copied to data/math500/NAME.parquet with its run.json, and its wall
# time appended to data/math500/timings.tsv.
#   bash tools/math500_runs.sh [PROBLEMS_FILE]    # default ../shared/data/math500_test.jsonl (without it: the hub's copy)
set -euo pipefail
cd "$(dirname "$0")/.."
file=${1:-../shared/data/math500_test.jsonl}
source_args=(--problems math500)
[ -f "$file" ] && source_args+=(--problems-file "$file")
port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
model=$(.venv/bin/python -c 'from ttslib.generate.llama import smollm2_path; print(smollm2_path())')
.venv/bin/python -m llama_cpp.server --model "$model" --model_alias smollm2 --host 127.0.0.1 --port "$port" \
    --logits_all True --n_ctx 4096 --n_threads "${THREADS:-2}" --verbose False > /dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.2; done
common=("${source_args[@]}" --limit 5 --backend openai --base-url "http://127.0.0.1:$port/v1" --model smollm2 --n-per-request 1
        --n 4 --max-steps 6 --max-step-tokens 96 --verifier confidence --seed 0)
dest=data/math500
run() {  # NAME ARGS...: one run, skipped when its table is already in $dest
  local name=$1; shift
  [ -f "$dest/$name.parquet" ] && return 0
  local t0=$SECONDS
  .venv/bin/ttslib search "${common[@]}" "$@" --out "runs/math500/$name"
  mkdir -p "$dest"
  cp "runs/math500/$name/samples.parquet" "$dest/$name.parquet"
  cp "runs/math500/$name/run.json" "$dest/$name.run.json"
  printf '%s\t%s\t%s\n' "$name" "$((SECONDS - t0))" "ttslib search ${common[*]/$port/PORT} $* --out runs/math500/$name" >> "$dest/timings.tsv"
}
run beam4_confidence --method beam_search --beam-width 4
run pf4_confidence --method particle_filtering
run rebase4_confidence --method rebase
