#!/usr/bin/env bash
# `make gpu-check`: every device check of a lent CUDA machine in one command, in at most ~8 min.
#
# The lent machine has torch with CUDA but no gymnasium, mujoco or minari, and no internet: the
# missing packages are installed from the wheels in .gpu-wheels/ (made beforehand by
# `make gpu-wheels` on a machine with internet, and carried with the working tree). curatedrl
# itself is imported from this tree (no install). Then, each stage under its own time limit:
#   1. the tests that touch device code, on cuda (CURATEDRL_TEST_DEVICE=cuda);
#   2. `curatedrl bench --device cuda`: every figure, stacked seeds with torch.compile
#      (reduce-overhead: CUDA graphs), on a small generated hopper medium-replay dataset;
#   3. a short slice of the baselines sweep on cuda (5 algorithms x 2 seeds, 500 steps each).
# Everything it measures goes to one file: $GPU_CHECK_OUT (default gpu-check.txt).
# On a machine without CUDA it stops at once with one line on stderr and exit status 1.
# (GPU_CHECK_DEVICE=cpu rehearses the whole script on a CPU machine; the figures then say cpu.)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=${PYTHON:-python3}
WHEELS=${GPU_WHEELS:-$ROOT/.gpu-wheels}
OUT=${GPU_CHECK_OUT:-$ROOT/gpu-check.txt}
DEVICE=${GPU_CHECK_DEVICE:-cuda}
fail() { echo "gpu-check: $*" >&2; exit 1; }

has_cuda='import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)'
torch_version() { "$PY" -c 'import torch; print("torch", torch.__version__)' 2>/dev/null \
  || echo "no torch"; }
[ "$DEVICE" != cuda ] || "$PY" -c "$has_cuda" 2>/dev/null \
  || fail "no CUDA device visible to torch here ($(torch_version)); run it on a CUDA machine"
[ -f "$WHEELS/requirements.txt" ] || fail "no wheels in $WHEELS: run 'make gpu-wheels' where \
there is internet and carry .gpu-wheels/ with the working tree"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
ln -s "$ROOT" "$WORK/curatedrl"  # `import curatedrl` → this tree, whatever its folder is called
export PYTHONPATH="$WORK${PYTHONPATH:+:$PYTHONPATH}"
export MINARI_DATASETS_PATH="$WORK/minari" CURATEDRL_CACHE="$WORK/cache" WANDB_MODE=disabled
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
: > "$OUT"
log() { echo "$*" | tee -a "$OUT"; }
BUDGET=${GPU_CHECK_BUDGET:-470}  # seconds: no stage starts after this, nor runs past 8 minutes
stage() {  # stage NAME SECONDS CMD...: run CMD under a time limit, its output into $OUT
  local name=$1 limit=$2 start=$SECONDS rc
  shift 2
  if [ "$SECONDS" -ge "$BUDGET" ]; then log "=== $name: skipped, ${SECONDS}s spent"; return; fi
  [ $((SECONDS + limit)) -le $((BUDGET + 10)) ] || limit=$((BUDGET + 10 - SECONDS))
  log "=== $name (limit ${limit}s)"
  timeout "$limit" "$@" 2>&1 | tee -a "$OUT"
  rc=${PIPESTATUS[0]}
  log "=== $name: exit $rc after $((SECONDS - start))s"
}

log "gpu-check $(date -u +%FT%TZ), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)"
"$PY" - <<'PY' | tee -a "$OUT"
import os, torch
gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, {gpu}, {os.cpu_count()} CPU cores")
PY

stage "install carried wheels" 60 "$PY" -m pip install --quiet --no-index \
  --find-links "$WHEELS" -r "$WHEELS/requirements.txt"
"$PY" -c 'import gymnasium, mujoco, minari' 2>/dev/null || fail "gymnasium, mujoco or minari \
did not install from $WHEELS (wheels for another Python? see make gpu-wheels GPU_PYTHON=...)"

stage "data: small hopper medium-replay" 60 "$PY" -m curatedrl.cli datasets generate \
  --env hopper --tier medium-replay --size small
DATASET=curatedrl/hopper/medium-replay-v0

stage "tests on $DEVICE" 90 env CURATEDRL_TEST_DEVICE="$DEVICE" "$PY" -m pytest -q \
  -p no:cacheprovider "$ROOT/tests/test_stacked.py" "$ROOT/tests/test_bench.py"

stage "curatedrl bench --device $DEVICE" 250 "$PY" -m curatedrl.cli bench --device "$DEVICE" \
  --dataset "$DATASET"

cat > "$WORK/slice.yaml" <<'YAML'
# gpu-check: a short slice of the baselines sweep (not a result)
common: {eval_every: 250, eval_episodes: 2, final_eval_episodes: 5, checkpoint_every: 0}
per_algo: {td3_bc: {steps: 500}, iql: {steps: 500}, awac: {steps: 500}, cql: {steps: 500},
           rebrac: {steps: 500}}
YAML
stage "sweep slice on $DEVICE" 90 "$PY" -m curatedrl.cli sweep --suite baselines --seeds 2 \
  --dataset "$DATASET" --schedule "$WORK/slice.yaml" --device "$DEVICE" --root "$WORK/sweeps" \
  --no-results --workers 5 --threads 1
"$PY" - "$WORK/sweeps" <<'PY' | tee -a "$OUT"
import json, pathlib, sys
for f in sorted(pathlib.Path(sys.argv[1]).rglob("final.json")):
    j = json.loads(f.read_text())
    print(f"sweep-run   {j['algo']:7s} seed {j['seed']} {j['steps']} steps on {j['device']}: "
          f"{j['wall_time_s']:.1f} s wall, normalized score {j['normalized_score_last']:.1f}")
PY
log "gpu-check done in ${SECONDS}s; figures in $OUT"
