#!/usr/bin/env bash
# docs/results/tiktok-extend.sh — continues the three experiment folders of tiktok-baselines.sh
# (OUT/<regime>/, θ₀ in OUT/original/) with the methods that came after them, so that every
# method of the TikTok comparison sits in one table per regime, compared with the same θ₀, the
# same requests (seeds 1..3) and the same Retrains:
#   auto        tru-auto and mmrecun-auto: tuned per request on the valid split, no Retrain
#               consulted (docs/TRU.md "Tuning without Retrain"); the whole search is their time
#   security    finetune, neggrad, neggrad+ and TRU's ablations tru-no-{gate,scaling,isolation},
#               settings from tiktok/ (interaction regime; membership families A/B/C are part of
#               every row, --audits core,mia; the user regime's security table, with the
#               user-level attack, is security.sh's, which needs its own θ₀)
#   noisefloor  a second Retrain (seed s + 1000) on every request, not only the first
#               (--noise-floor all): each seed's own Retrain-to-Retrain distance
#   ablations   tru-auto-no-{gate,scaling,isolation,rows,confine,offset}: the search with that part of the
#               design off
#
# usage: docs/results/tiktok-extend.sh LETHE_BINARY DATA_DIR OUT_DIR [step ...]
#   steps: auto security noisefloor ablations (default: all four, in that order)
#   REGIMES="user item interaction" (default; the security step runs the interaction regime only)
#   AUTO="..."  extra flags for the tuned methods' calls (e.g. --unlearn.auto.max_total_epochs 12;
#               the same value on every call: a folder's settings cannot change once written)
#   EXTRA="..." extra flags for every call (the ones tiktok-baselines.sh was given)
#   REDO=...    methods whose rows the auto and ablations steps run again (--redo), e.g. tru-auto
#               after a change to TRU's design
#   LEGACY="..." the settings that reproduce the program that made the folders (below); give
#               LEGACY="" for folders made by this program
#
# The folders were made by an earlier program, before eval.filter_cold_users, tru.rows,
# tru.rows.id_tables, unlearn.auto.floor_users, tru.match, tru.confine and tru.offset existed: it evaluated
# every user, TRU had no row weights, used the reverse loss everywhere and the tuner's utility
# floor covered every retained user. Every call passes LEGACY (default --eval.filter_cold_users
# false --tru.rows false --tru.rows.id_tables false --unlearn.auto.floor_users retained --tru.match
# false --tru.confine false --tru.offset false), which reproduces that (lethe refuses to continue a folder
# otherwise), and the tuned methods get the current design back through their own settings
# (tiktok-auto-tru.cfg; mmrecun-auto: tiktok-auto-rows.cfg). Every call passes
# --resume, so a step that stopped continues when run again; rows already in results.json are kept.
set -euo pipefail
L=$1; DATA=$2; OUT=$3; shift 3
STEPS=${*:-auto security noisefloor ablations}
REGIMES=${REGIMES:-user item interaction}
HERE=$(cd "$(dirname "$0")" && pwd)
CFG=$HERE/tiktok
ROWS=$HERE/tiktok-auto-rows.cfg
TRU=$HERE/tiktok-auto-tru.cfg
read -r -a AUTO_ARGS <<< "${AUTO:-}"
read -r -a EXTRA_ARGS <<< "${EXTRA:-}"
read -r -a LEGACY_ARGS <<< "${LEGACY---eval.filter_cold_users false --tru.rows false --tru.rows.id_tables false --unlearn.auto.floor_users retained --tru.match false --tru.confine false --tru.offset false}"
redo_for() {  # the methods of REDO among those of one call, as --redo
  local r="" m list=${REDO:-}
  for m in ${list//,/ }; do [[ ",$1," == *",$m,"* ]] && r+="${r:+,}$m"; done
  [ -n "$r" ] && echo "--redo $r"
  return 0
}
[ -f "$OUT/original/manifest.json" ] || { echo "no finished θ₀ in $OUT/original: run tiktok-baselines.sh first" >&2; exit 1; }

run() {  # regime, noise floor, methods, method configs, extra flags...
  local R=$1 NF=$2 M=$3 MC=$4; shift 4
  "$L" experiment --data "$DATA" --model mgcn --regime "$R" --seeds 3 --noise-floor "$NF" \
    --original "$OUT/original" --out "$OUT/$R" --methods "retrain${M:+,$M}" ${MC:+--method-config "$MC"} \
    --unlearn.batch_size 256 ${LEGACY_ARGS[@]+"${LEGACY_ARGS[@]}"} --resume --quiet \
    ${EXTRA_ARGS[@]+"${EXTRA_ARGS[@]}"} "$@"
}
for S in $STEPS; do
  case $S in
    auto)
      for R in $REGIMES; do
        # shellcheck disable=SC2046 # redo_for prints a flag and its value
        run "$R" first tru-auto,mmrecun-auto "tru-auto=$TRU,mmrecun-auto=$ROWS" ${AUTO_ARGS[@]+"${AUTO_ARGS[@]}"} \
          $(redo_for tru-auto,mmrecun-auto)
      done ;;
    security)
      mc="finetune=$CFG/finetune.cfg"
      for m in tru-no-gate tru-no-scaling tru-no-isolation; do mc+=",$m=$CFG/interaction-tru.cfg"; done
      run interaction first finetune,neggrad,neggrad+,tru-no-gate,tru-no-scaling,tru-no-isolation "$mc" ;;
    noisefloor)
      for R in $REGIMES; do run "$R" all "" ""; done ;;
    ablations)
      mc=""
      ab=tru-auto-no-gate,tru-auto-no-scaling,tru-auto-no-isolation,tru-auto-no-rows,tru-auto-no-confine,tru-auto-no-offset
      for m in ${ab//,/ }; do mc+="${mc:+,}$m=$TRU"; done
      for R in $REGIMES; do
        # shellcheck disable=SC2046
        run "$R" first "$ab" "$mc" ${AUTO_ARGS[@]+"${AUTO_ARGS[@]}"} $(redo_for "$ab")
      done ;;
    *) echo "tiktok-extend.sh: unknown step '$S' (auto, security, noisefloor or ablations)" >&2; exit 2 ;;
  esac
done
files=()
for R in $REGIMES; do
  [ -f "$OUT/$R/results.json" ] && files+=("$OUT/$R/results.json")
done
python3 "$HERE/check_acceptance.py" "${files[@]}" | tee "$OUT/acceptance.md"
