#!/usr/bin/env bash
# The chain search data of notebooks 03 and 04 (data/chains/, data/README.md): each run resumable
# (run the same line again after a kill), its finished table copied to data/chains/NAME.parquet with
# its run.json, and its wall time appended to data/chains/timings.tsv. Two queues can run side by
# side, one llama.cpp thread each (steadier than two threads sharing two cores with other work), or
# one queue alone with THREADS=2 (faster when nothing else runs; a run may resume with other threads).
#   bash tools/chain_runs.sh A    # or B, or C (the pool, then the N = 16 runs, in one queue)
#   bash tools/chain_runs.sh D & bash tools/chain_runs.sh E    # the rest: beam search and DVTS side by side
#   bash tools/chain_runs.sh part NAME    # copy an unfinished run's shards to data/chains/parts/NAME (to commit)
#   THREADS=2 bash tools/chain_runs.sh P    # particle filtering and REBASE (issue 33), into data/particles/: N = 4 and 16 first
#   THREADS=2 bash tools/chain_runs.sh Q    # their N = 16 runs with the checker and with confidence, then N = 64
#   bash tools/chain_runs.sh R & bash tools/chain_runs.sh S    # the two N = 64 runs of Q side by side, a thread each
#   THREADS=2 bash tools/chain_runs.sh L    # beam search at N = 4 again, into data/cost/, its steps recorded (issue 34)
# (part NAME with DEST=data/particles for those)
set -euo pipefail
cd "$(dirname "$0")/.."
common=(--problems chains --per-level 15 --max-steps 6 --max-step-tokens 16 --threads "${THREADS:-1}" --seed 0)
dest=${DEST:-data/chains}  # where finished tables go (data/particles for the queues P and Q)
run() {  # NAME ARGS...: one run, skipped when its table is already in $dest
  local name=$1; shift
  [ -f "$dest/$name.parquet" ] && return 0
  # shards of an unfinished run committed as a part ($dest/parts/NAME): resume from them
  if [ -d "$dest/parts/$name" ] && [ ! -d "runs/chains/$name" ]; then
    mkdir -p runs/chains && cp -r "$dest/parts/$name" "runs/chains/$name"
  fi
  local t0=$SECONDS
  .venv/bin/ttslib search "${common[@]}" "$@" --out "runs/chains/$name"
  mkdir -p "$dest"
  cp "runs/chains/$name/samples.parquet" "$dest/$name.parquet"
  cp "runs/chains/$name/run.json" "$dest/$name.run.json"
  rm -rf "$dest/parts/$name"  # the finished table replaces its committed part
  printf '%s\t%s\t%s\n' "$name" "$((SECONDS - t0))" "ttslib search ${common[*]} $* --out runs/chains/$name" >> "$dest/timings.tsv"
}
case "${1:-A}" in
  part)
    rm -rf "$dest/parts/$2" && mkdir -p "$dest/parts" && cp -r "runs/chains/$2" "$dest/parts/$2"
    ;;
  P)
    dest=data/particles
    run pf4_noisy --method particle_filtering --n 4 --verifier noisy --auc 0.8
    run rebase4_noisy --method rebase --n 4 --verifier noisy --auc 0.8
    run pf16_noisy --method particle_filtering --n 16 --verifier noisy --auc 0.8
    run rebase16_noisy --method rebase --n 16 --verifier noisy --auc 0.8
    ;;
  Q)
    dest=data/particles
    run pf16_checker --method particle_filtering --n 16 --verifier checker
    run rebase16_checker --method rebase --n 16 --verifier checker
    run pf16_confidence --method particle_filtering --n 16 --verifier confidence
    run rebase16_confidence --method rebase --n 16 --verifier confidence
    run pf64_noisy --method particle_filtering --n 64 --verifier noisy --auc 0.8
    run rebase64_noisy --method rebase --n 64 --verifier noisy --auc 0.8
    ;;
  R)
    dest=data/particles
    run pf64_noisy --method particle_filtering --n 64 --verifier noisy --auc 0.8
    ;;
  S)
    dest=data/particles
    run rebase64_noisy --method rebase --n 64 --verifier noisy --auc 0.8
    ;;
  L)
    dest=data/cost
    run beam4_noisy --method beam_search --n 4 --beam-width 4 --verifier noisy --auc 0.8
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
