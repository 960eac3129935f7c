#!/usr/bin/env bash
# tools/demo.sh — the README's main job: an unlearning experiment on the embedded synthetic
# dataset. `lethe synth` writes a small planted-structure dataset (deterministic from its seed;
# shrunk from the Amazon-Baby default shape so the whole demo takes a few minutes on a 2-core
# CPU), then `lethe experiment` trains MGCN once and, for each regime (user, item, interaction),
# makes a deletion request and runs Retrain, MMRecUn and TRU, auditing each against Retrain.
# Results: $BUILD/demo/<regime>/results.{md,json,csv} and tradeoff.svg.
set -euo pipefail
BUILD=${1:-build}
LETHE="$BUILD/tools/lethe"
DATA="$BUILD/demo-data"
OUT="$BUILD/demo"

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
"$LETHE" experiment --data "$DATA" --model mgcn --regime user,item,interaction \
  --methods retrain,mmrecun,tru --seeds 1 --noise-floor first --out "$OUT" \
  --lr 0.005 --epochs 40 --patience 5 --unlearn.batch_size 256 --unlearn.epochs 30 \
  --unlearn.adam_state original --quiet
for r in user item interaction; do
  echo
  sed -n '/^| Method/,/^$/p' "$OUT/$r/results.md" | sed "1i ## $r regime"
  grep '^Noise floor' "$OUT/$r/results.md" || true
done
echo
echo "Full tables: $OUT/<regime>/results.md; plots: $OUT/<regime>/tradeoff.svg"
