#!/usr/bin/env bash
# The chain search data of notebooks 03 and 04 (data/chains/, data/README.md): each run resumable
# (run the same line again after a kill), its finished table copied to data/chains/NAME.parquet with
# its run.json, and its wall time appended to data/chains/timings.tsv. Two queues can run side by
# side, one llama.cpp thread each (steadier than two threads sharing two cores with other work), or
# one queue alone with THREADS=2 (faster when nothing else runs; a run may resume with other threads).
#   bash tools/chain_runs.sh A    # or B, or C (the pool, then the N = 16 runs, in one queue)
#   bash tools/chain_runs.sh D & bash tools/chain_runs.sh E    # the rest: beam search and DVTS side by side
#   bash tools/chain_runs.sh part NAME    # copy an unfinished run's shards to data/chains/parts/NAME (to commit)
set -euo pipefail
cd "$(dirname "$0")/.."
common=(--problems chains --per-level 15 --max-steps 6 --max-step-tokens 16 --threads "${THREADS:-1}" --seed 0)
run() {  # NAME ARGS...: one run, skipped when its table is already in data/chains/
  local name=$1; shift
  [ -f "data/chains/$name.parquet" ] && return 0
  # shards of an unfinished run committed as a part (data/chains/parts/NAME): resume from them
  if [ -d "data/chains/parts/$name" ] && [ ! -d "runs/chains/$name" ]; then
    mkdir -p runs/chains && cp -r "data/chains/parts/$name" "runs/chains/$name"
  fi
  local t0=$SECONDS
  .venv/bin/ttslib search "${common[@]}" "$@" --out "runs/chains/$name"
  cp "runs/chains/$name/samples.parquet" "data/chains/$name.parquet"
  cp "runs/chains/$name/run.json" "data/chains/$name.run.json"
  rm -rf "data/chains/parts/$name"  # the finished table replaces its committed part
  printf '%s\t%s\t%s\n' "$name" "$((SECONDS - t0))" "ttslib search ${common[*]} $* --out runs/chains/$name" >> data/chains/timings.tsv
}
case "${1:-A}" in
  part)
    rm -rf "data/chains/parts/$2" && mkdir -p data/chains/parts && cp -r "runs/chains/$2" "data/chains/parts/$2"
    ;;
  A)
    run pool64 --method sampling --n 64 --beam-width 1 --verifier noisy --auc 0.8
    run beam16_checker --method beam_search --n 16 --beam-width 4 --verifier checker
    run dvts16_checker --method dvts --n 16 --beam-width 4 --verifier checker
    run beam64_noisy --method beam_search --n 64 --beam-width 4 --verifier noisy --auc 0.8
    ;;
  B)
    run beam4_noisy --method beam_search --n 4 --beam-width 4 --verifier noisy --auc 0.8
    run dvts4_noisy --method dvts --n 4 --beam-width 4 --verifier noisy --auc 0.8
    run beam16_noisy --method beam_search --n 16 --beam-width 4 --verifier noisy --auc 0.8
    run dvts16_noisy --method dvts --n 16 --beam-width 4 --verifier noisy --auc 0.8
    run beam16_confidence --method beam_search --n 16 --beam-width 4 --verifier confidence
    run dvts16_confidence --method dvts --n 16 --beam-width 4 --verifier confidence
    run dvts64_noisy --method dvts --n 64 --beam-width 4 --verifier noisy --auc 0.8
    ;;
  C)
    run pool64 --method sampling --n 64 --beam-width 1 --verifier noisy --auc 0.8
    run dvts16_noisy --method dvts --n 16 --beam-width 4 --verifier noisy --auc 0.8
    run beam16_checker --method beam_search --n 16 --beam-width 4 --verifier checker
    run beam16_confidence --method beam_search --n 16 --beam-width 4 --verifier confidence
    run dvts16_checker --method dvts --n 16 --beam-width 4 --verifier checker
    run dvts16_confidence --method dvts --n 16 --beam-width 4 --verifier confidence
    run beam64_noisy --method beam_search --n 64 --beam-width 4 --verifier noisy --auc 0.8
    run dvts64_noisy --method dvts --n 64 --beam-width 4 --verifier noisy --auc 0.8
    ;;
  D)
    run beam16_checker --method beam_search --n 16 --beam-width 4 --verifier checker
    run beam16_confidence --method beam_search --n 16 --beam-width 4 --verifier confidence
    run beam64_noisy --method beam_search --n 64 --beam-width 4 --verifier noisy --auc 0.8
    ;;
  E)
    run dvts16_checker --method dvts --n 16 --beam-width 4 --verifier checker
    run dvts16_confidence --method dvts --n 16 --beam-width 4 --verifier confidence
    run dvts64_noisy --method dvts --n 64 --beam-width 4 --verifier noisy --auc 0.8
    ;;
esac
