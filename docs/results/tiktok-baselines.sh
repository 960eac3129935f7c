#!/usr/bin/env bash
# docs/results/tiktok-baselines.sh — MultiDelete, ScaleGUN and ScaleGUN's certified head beside
# Retrain, MMRecUn and TRU on TikTok with MGCN: each regime at its default ratio, request seeds
# 1..3, one table per regime (retain, forget, exposure, overlap, time), the same way tiktok.sh
# makes docs/results/tiktok/.
#
# usage: docs/results/tiktok-baselines.sh LETHE_BINARY DATA_DIR OUT_DIR [regime ...]
#   STAGE=tune     tune the three new methods only (writes OUT_DIR/tuning.md and OUT_DIR/cfg/)
#   STAGE=report   the reported run only (needs OUT_DIR/cfg/ from the tuning stage)
#   STAGE=all      both (the default)
#   EXTRA="..."    extra flags for lethe train and lethe experiment (smoke tests on small data;
#                  leave empty for TikTok: θ₀ and Retrain then use the defaults, like tiktok.sh)
#
# θ₀ is trained once into OUT_DIR/original (reused when it exists; an OUT_DIR of tiktok.sh can be
# given to share its θ₀). Tuning follows docs/results/tiktok/tuning.md exactly: tune.sh on a
# VALIDATION request per regime (seed 101, disjoint from the reported seeds), retain utility on
# the VALID split, every candidate of tiktok-baselines-grid.txt audited against a Retrain on that
# request; select_tuning.py applies the same rule as for MMRecUn and TRU (within 10 % of the forget
# gap and ≥ 10× faster than Retrain, the highest valid retain Recall@20; otherwise the closest
# forget level) and writes the chosen setting of each method and regime to OUT_DIR/cfg/.
# The reported run uses those settings for the new methods (MultiDelete's term ablations share
# MultiDelete's), docs/results/tiktok/<regime>-{mmrecun,tru}.cfg for MMRecUn and TRU, forget
# batches of 256 rows for every method, and a noise-floor Retrain (seed 1001) on seed 1's request;
# tradeoff_table.py then writes OUT_DIR/tradeoff.md: per regime, every method's retain level
# against Retrain's, its forget error as a fraction of the θ₀-to-Retrain gap, time, speed-up and
# which methods dominate it.
set -euo pipefail
L=$1; DATA=$2; OUT=$3; shift 3
REGIMES=${*:-user item interaction}
HERE=$(cd "$(dirname "$0")" && pwd)
CFG=$HERE/tiktok
STAGE=${STAGE:-all}
read -r -a EXTRA_ARGS <<< "${EXTRA:-}"
METHODS=${METHODS:-retrain,mmrecun,tru,multidelete,multidelete-no-md,multidelete-no-mkr,multidelete-no-ukr,scalegun,scalegun-certified}
case $STAGE in tune | report | all) ;; *) echo "STAGE must be tune, report or all, got '$STAGE'" >&2; exit 2 ;; esac
mkdir -p "$OUT"
# New: trains; interrupted: continues; finished: says so and leaves it.
"$L" train --data "$DATA" --model mgcn --out "$OUT/original" --resume "$OUT/original/last.ckpt" --quiet \
  ${EXTRA_ARGS[@]+"${EXTRA_ARGS[@]}"}

if [ "$STAGE" != report ]; then
  CANDIDATES="$HERE/tiktok-baselines-grid.txt" "$HERE/tune.sh" "$L" "$DATA" "$OUT/original/checkpoint" "$OUT/tuning" $REGIMES
  python3 "$HERE/select_tuning.py" "$OUT/tuning" --grid "$HERE/tiktok-baselines-grid.txt" --write-configs "$OUT/cfg" \
    $REGIMES > "$OUT/tuning.md"
  cat "$OUT/tuning.md"
fi
[ "$STAGE" = tune ] && exit 0

for R in $REGIMES; do
  mc=""
  for m in ${METHODS//,/ }; do
    case $m in
      mmrecun) f=$CFG/$R-mmrecun.cfg ;;
      tru | tru-no-*) f=$CFG/$R-tru.cfg ;;
      multidelete | multidelete-no-*) f=$OUT/cfg/$R-multidelete.cfg ;;
      scalegun) f=$OUT/cfg/$R-scalegun.cfg ;;
      scalegun-certified) f=$OUT/cfg/$R-scalegun-certified.cfg ;;
      *) continue ;;
    esac
    [ -f "$f" ] || { echo "missing $f: run STAGE=tune first" >&2; exit 1; }
    mc+="${mc:+,}$m=$f"
  done
  "$L" experiment --data "$DATA" --model mgcn --regime "$R" --seeds 3 --noise-floor first \
    --original "$OUT/original" --out "$OUT/$R" --methods "$METHODS" ${mc:+--method-config "$mc"} \
    --unlearn.batch_size 256 --resume --quiet ${EXTRA_ARGS[@]+"${EXTRA_ARGS[@]}"}
done
# Where each method lands on the retain/forget trade-off, per regime.
files=()
for R in $REGIMES; do files+=("$OUT/$R/results.json"); done
python3 "$HERE/tradeoff_table.py" "${files[@]}" | tee "$OUT/tradeoff.md"
