#!/usr/bin/env bash
# docs/results/tiktok.sh — the unlearning results of docs/results/tiktok/: MGCN on the TikTok data
# (real image and audio features), each regime at its default ratio with 3 request seeds (1..3),
# every method audited against Retrain on the retain TEST split; the noise floor is a second
# Retrain (seed 1001) on seed 1's request.
#
# usage: docs/results/tiktok.sh LETHE_BINARY DATA_DIR OUT_DIR [regime ...]
#   METHODS=...  the methods to run (default: all of them); the script passes --resume, so a first
#                call with METHODS=retrain (the long part) and a second with every method give the
#                same table as one call.
# θ₀ is trained once into OUT_DIR/original (the default settings) and shared by the regimes, which may run
# as separate processes once it exists. The per-method settings come from docs/results/tiktok/
# (<regime>-mmrecun.cfg, <regime>-tru.cfg — chosen by tune.sh on validation requests, see
# docs/results/README.md; the TRU ablations use TRU's settings; finetune.cfg). Shared by every
# method: forget batches of 256 rows.
set -euo pipefail
L=$1; DATA=$2; OUT=$3; shift 3
REGIMES=${*:-user item interaction}
CFG=$(cd "$(dirname "$0")" && pwd)/tiktok
METHODS=${METHODS:-retrain,finetune,neggrad,neggrad+,mmrecun,tru,tru-no-gate,tru-no-scaling,tru-no-isolation}
mkdir -p "$OUT"
# New: trains; interrupted: continues; finished: says so and leaves it.
"$L" train --data "$DATA" --model mgcn --out "$OUT/original" --resume "$OUT/original/last.ckpt" --quiet
for R in $REGIMES; do
  mc=""
  for m in ${METHODS//,/ }; do
    case $m in
      finetune) f=$CFG/finetune.cfg ;;
      mmrecun) f=$CFG/$R-mmrecun.cfg ;;
      tru | tru-no-*) f=$CFG/$R-tru.cfg ;;
      *) continue ;;
    esac
    mc+="${mc:+,}$m=$f"
  done
  "$L" experiment --data "$DATA" --model mgcn --regime "$R" --seeds 3 --noise-floor first \
    --original "$OUT/original" --out "$OUT/$R" --methods "$METHODS" ${mc:+--method-config "$mc"} \
    --unlearn.batch_size 256 --resume --quiet
done
