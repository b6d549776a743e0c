#!/usr/bin/env bash
# The code data of notebooks 01, 02, 03 and 05 (data/code/, data/README.md): HumanEval x two embedded
# models, and the arithmetic problems x Gemma 3 270M at the settings of data/arith_smollm2.parquet. Each
# run is resumable (run the same line again after a kill); a finished table is copied to
# data/code/NAME.parquet with its run.json, and its wall time appended to data/code/timings.tsv.
#   bash tools/code_runs.sh gemma      # HumanEval x Gemma 3 270M
#   bash tools/code_runs.sh smollm2    # HumanEval x SmolLM2-135M
#   bash tools/code_runs.sh arith      # arithmetic x Gemma 3 270M
#   bash tools/code_runs.sh part NAME  # copy an unfinished run's shards to data/code/parts/NAME (to commit)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-64}
code=(--problems humaneval --n "$N" --max-tokens 160 --temperature 0.8 --top-p 0.95 --seed 0 --threads "${THREADS:-2}")
run() {  # NAME ARGS...: one run, skipped when its table is already in data/code/
  local name=$1; shift
  [ -f "data/code/$name.parquet" ] && return 0
  if [ -d "data/code/parts/$name" ] && [ ! -d "runs/code/$name" ]; then  # resume from a committed part
    mkdir -p runs/code && cp -r "data/code/parts/$name" "runs/code/$name"
  fi
  local t0=$SECONDS
  .venv/bin/ttslib generate "$@" --out "runs/code/$name"
  mkdir -p data/code
  cp "runs/code/$name/samples.parquet" "data/code/$name.parquet"
  cp "runs/code/$name/run.json" "data/code/$name.run.json"
  rm -rf "data/code/parts/$name"
  printf '%s\t%s\t%s\n' "$name" "$((SECONDS - t0))" "ttslib generate $* --out runs/code/$name" >> data/code/timings.tsv
}
case "${1:-gemma}" in
  part)  # the manifest, the finished shards and their hashes (not the writer's lock, nor a shard being written)
    rm -rf "data/code/parts/$2" && mkdir -p "data/code/parts/$2/shards"
    cp "runs/code/$2/run.json" "data/code/parts/$2/"
    cp runs/code/"$2"/shards/[0-9]*.parquet "data/code/parts/$2/shards/"
    [ ! -f "runs/code/$2/SHA256SUMS" ] || cp "runs/code/$2/SHA256SUMS" "data/code/parts/$2/"  # the finished shards' hashes, checked on resume
    ;;
  gemma) run humaneval_gemma3 "${code[@]}" --model gemma3-270m ;;
  smollm2) run humaneval_smollm2 "${code[@]}" --model smollm2-135m ;;
  arith) run arith_gemma3 --problems arith --per-level 40 --n 32 --max-tokens 10 --seed 0 --problems-per-shard 10 --threads "${THREADS:-2}" --model gemma3-270m ;;
esac
