#!/usr/bin/env bash
# tools/demo.sh — the README's main job (`make demo`): an unlearning experiment on the embedded
# synthetic dataset. It builds only what it needs (the `lethe` program: target lethe_cli — no
# tests, no benchmarks), showing the build's progress with the elapsed time and an ETA; then
# `lethe synth` writes a small planted-structure dataset (deterministic from its seed; shrunk from
# the Amazon-Baby default shape so the whole demo takes a few minutes on a 2-core CPU), and
# `lethe experiment` trains MGCN once and, for each regime (user, item, interaction), makes a
# deletion request and runs Retrain, MMRecUn, TRU with the demo's fixed settings and tru-auto (TRU
# with its settings chosen for the request on the valid split, no Retrain consulted), auditing
# each against Retrain, printing a line per run with the elapsed time and the ETA (--brief).
# Every line reaches the screen (or a pipe) as it is written.
# Results: $BUILD/demo/<regime>/results.{md,json,csv} and tradeoff.svg.
# Usage: tools/demo.sh [BUILD]   (environment: JOBS, default nproc; CMAKE_FLAGS)
set -euo pipefail
BUILD=${1:-build}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
LETHE="$BUILD/tools/lethe"
DATA="$BUILD/demo-data"
OUT="$BUILD/demo"
start=$SECONDS

dur() {  # seconds → 7s, 2m05s
  local s=$1
  if ((s < 60)); then printf '%ds' "$s"; else printf '%dm%02ds' $((s / 60)) $((s % 60)); fi
}

echo "== building the lethe program ($BUILD, $JOBS jobs; the first build compiles the engine: minutes)"
# shellcheck disable=SC2086 # CMAKE_FLAGS is a list of flags
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release ${CMAKE_FLAGS:-} >/dev/null
# Make prints "[ 45%] Building ..." lines: each gets the elapsed time and an ETA extrapolated from
# the percentage (the CUDA objects, when nvcc exists, take longer than the C++ ones: a rough ETA).
b0=$SECONDS
cmake --build "$BUILD" -j "$JOBS" --target lethe_cli | while IFS= read -r line; do
  if [[ $line =~ ^\[\ *([0-9]+)%\] ]]; then
    p=${BASH_REMATCH[1]} e=$((SECONDS - b0))
    if ((p > 0 && p < 100)); then
      line+="   (elapsed $(dur "$e"), ETA ~$(dur $((e * (100 - p) / p))))"
    else
      line+="   (elapsed $(dur "$e"))"
    fi
  fi
  printf '%s\n' "$line"
done
echo "== built in $(dur $((SECONDS - b0)))"

if [ ! -f "$DATA/synth.inter" ]; then
  "$LETHE" synth --out "$DATA" --users 1500 --items 800 --interactions 15000 \
    --modalities image:256,text:64 --seed 1
fi
rm -rf "$OUT"
# Demo-sized schedule: a higher learning rate and a short patience so θ₀ and each Retrain
# converge in a few dozen epochs; unlearning uses batches of 256 so the small forget sets still
# get tens of updates, 30 epochs, and continues θ₀'s Adam moments (unlearn.adam_state, see
# docs/TRU.md) — chosen on a validation request (--first-seed 101 --retain-split valid) against
# the default fresh Adam and a higher lr. Every setting is a flag of `lethe experiment` (--help).
echo "== the experiment: θ₀ once, then Retrain, MMRecUn, TRU and tru-auto in each regime"
"$LETHE" experiment --data "$DATA" --model mgcn --regime user,item,interaction \
  --methods retrain,mmrecun,tru,tru-auto --seeds 1 --noise-floor first --out "$OUT" \
  --lr 0.005 --epochs 40 --patience 5 --unlearn.batch_size 256 --unlearn.epochs 30 \
  --unlearn.adam_state original --brief
for r in user item interaction; do
  echo
  sed -n '/^| Method/,/^$/p' "$OUT/$r/results.md" | sed "1i ## $r regime"
  grep '^Noise floor' "$OUT/$r/results.md" || true
done
echo
echo "Full tables: $OUT/<regime>/results.md; plots: $OUT/<regime>/tradeoff.svg"
echo "The demo took $(dur $((SECONDS - start)))."
