#!/usr/bin/env bash
# `make gpu-decisive`: as many cells of the decisive experiment (docs/decisive.md, schedule
# paper-whole-ft) as fit in ~9 minutes on a lent CUDA machine, exported like any sweep.
#
# Like `make gpu-check` (benchmarks/speed/gpu_check.sh): gymnasium, mujoco and minari come from the wheels in
# .gpu-wheels/ (`make gpu-wheels`, carried with the working tree), curatedrl is imported from this
# tree. Then:
#   1. the three medium-replay datasets are generated (in parallel) and checked against
#      datasets/manifest.json (--strict): the same bytes as every CPU run of the experiment;
#   2. whole seeds, from seed 9 down (the CPU sweep goes up from 0), one `curatedrl sweep` per
#      seed: filtered BC and iw-BC on the three datasets (6 cells, one process each, stage 1
#      shared by the pair), so that a pair's two runs and its pi_ref always come from one device;
#      cells already in results/ (committed ones travel with the tree) are skipped;
#   3. no seed starts after the budget; the seed running at the budget is stopped (SIGTERM: its
#      finished cells are exported, the others dropped), and everything exported goes into one
#      archive, $OUT/gpu-decisive-results.tar.gz (untar it at the repository root: results/...),
#      with the log beside it. final.json records the device and the commit of each run.
# A CPU sweep recognises a finished cell whatever its device (benchmarks/sweeps/cells.py) from commit
# 2a79dac on: restart the CPU sweep from a commit at least that new after adding GPU results.
# GPU_DECISIVE_DEVICE=cpu GPU_DECISIVE_BUDGET=90 GPU_DECISIVE_DATA=<a store with the datasets>
# GPU_DECISIVE_RESULTS=<a scratch results tree> rehearses the plumbing on a CPU machine.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=${PYTHON:-python3}
WHEELS=${GPU_WHEELS:-$ROOT/.gpu-wheels}
DEVICE=${GPU_DECISIVE_DEVICE:-cuda}
BUDGET=${GPU_DECISIVE_BUDGET:-540}  # seconds: no seed starts after this, the last one is stopped
DEST=${OUT:-$ROOT/gpu-decisive-out}
WORKERS=${GPU_DECISIVE_WORKERS:-6}
RESULTS=${GPU_DECISIVE_RESULTS:-$ROOT/results}  # the tree's results/: committed cells are skipped
DATASETS=(curatedrl/hopper/medium-replay-v0 curatedrl/halfcheetah/medium-replay-v0
          curatedrl/walker2d/medium-replay-v0)
fail() { echo "gpu-decisive: $*" >&2; exit 1; }

[ "$DEVICE" != cuda ] || "$PY" -c 'import torch, sys; sys.exit(not torch.cuda.is_available())' \
  2>/dev/null || fail "no CUDA device visible to torch here; run it on a CUDA machine"
if ! "$PY" -c 'import gymnasium, mujoco, minari' 2>/dev/null; then
  [ -f "$WHEELS/requirements.txt" ] || fail "no wheels in $WHEELS: run 'make gpu-wheels' where \
there is internet and carry .gpu-wheels/ with the working tree"
  "$PY" -m pip install --quiet --no-index --find-links "$WHEELS" -r "$WHEELS/requirements.txt" \
    || fail "the wheels in $WHEELS did not install"
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
ln -s "$ROOT" "$WORK/curatedrl"  # `import curatedrl` → this tree
export PYTHONPATH="$WORK${PYTHONPATH:+:$PYTHONPATH}"
export MINARI_DATASETS_PATH="${GPU_DECISIVE_DATA:-$WORK/minari}" CURATEDRL_CACHE="$WORK/cache" WANDB_MODE=disabled
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
mkdir -p "$DEST"
LOG="$DEST/gpu-decisive.log"
: > "$LOG"
log() { echo "$*" | tee -a "$LOG"; }
log "gpu-decisive $(date -u +%FT%TZ), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null), device $DEVICE"

for ds in "${DATASETS[@]}"; do
  IFS=/ read -r _ env tier <<< "$ds"
  "$PY" -m curatedrl.cli datasets generate --env "$env" --tier "${tier%-v0}" --strict \
    > "$WORK/gen-$env.log" 2>&1 &
done
wait || true
for f in "$WORK"/gen-*.log; do tail -n 3 "$f" >> "$LOG"; done
"$PY" -m curatedrl.cli datasets generate --tier medium-replay --strict >> "$LOG" 2>&1 \
  || fail "the datasets do not match datasets/manifest.json (see $LOG)"
log "=== datasets ready after ${SECONDS}s"

for seed in 9 8 7 6 5 4 3 2 1 0; do
  if [ "$SECONDS" -ge "$BUDGET" ]; then log "=== seed $seed not started: ${SECONDS}s spent"; break; fi
  log "=== seed $seed (${SECONDS}s spent)"
  timeout -s TERM -k 60 $((BUDGET + 30 - SECONDS)) "$PY" -m curatedrl.cli sweep --suite paper \
    --algo filtered_bc --algo iw_bc $(printf -- '--dataset %s ' "${DATASETS[@]}") \
    --seeds "$seed-$seed" --schedule paper-whole-ft --device "$DEVICE" --workers "$WORKERS" \
    --threads 1 --skip-exported --root "$WORK/sweeps" --results "$RESULTS" 2>&1 \
    | tr '\r' '\n' | grep -v '^cells:' >> "$LOG"
done
"$PY" - "$WORK/sweeps" <<'PY' | tee -a "$LOG"
import json, pathlib, sys
for f in sorted(pathlib.Path(sys.argv[1]).rglob("final.json")):
    j = json.loads(f.read_text())
    print(f"run {j['algo']:11s} {j['dataset']} seed {j['seed']} on {j['device']}: "
          f"{j.get('status')}, {j.get('wall_time_s', 0):.0f} s wall, "
          f"last {j.get('normalized_score_last')}")
PY
(cd "$RESULTS/.." && find "$(basename "$RESULTS")/paper-whole-ft" -newer "$LOG" -type f \
  2>/dev/null | tar -czf "$DEST/gpu-decisive-results.tar.gz" -T -)
log "gpu-decisive done in ${SECONDS}s: $(tar -tzf "$DEST/gpu-decisive-results.tar.gz" | wc -l) files in $DEST/gpu-decisive-results.tar.gz"
