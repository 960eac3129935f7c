#!/usr/bin/env bash
# docs/results/tune.sh — how the unlearning hyperparameters of docs/results/ were chosen.
# Tuning uses VALIDATION requests (seed 101, disjoint from the reported seeds 1..3) and measures
# retain utility on the VALID split (`lethe audit --retain-split valid`); the test split is never
# looked at. For each regime: Retrain once on the validation request, then every candidate setting
# of MMRecUn and TRU, each audited against that Retrain. Selection rule (select_tuning.py): among
# the settings whose forget Recall@20 is within 10% of the original-to-Retrain gap of Retrain's
# value, the highest valid retain Recall@20; if none is, the closest forget Recall@20.
#
# usage: docs/results/tune.sh LETHE_BINARY DATA_DIR ORIGINAL_CHECKPOINT OUT_DIR [regime ...]
# The grid is set by the environment: LRS (unlearning learning rates), EPS (epoch counts),
# EARLY_LRS (learning rates also tried with the early-stop rule at 2×max(EPS) epochs; empty: none),
# BETAS (retain weights mmrecun.beta, shared by MMRecUn and TRU) and BATCH (forget batch size).
# CANDIDATES=FILE runs only the settings listed in FILE (`NAME METHOD FLAGS...` per line); the
# TikTok tuning of docs/results/tiktok/ used CANDIDATES=docs/results/tiktok-grid.txt.
set -euo pipefail
L=$1; DATA=$2; ORIG=$3; OUT=$4; shift 4
REGIMES=${*:-user item interaction}
mkdir -p "$OUT"
for R in $REGIMES; do
  mkdir -p "$OUT/$R"
  [ -f "$OUT/req-$R.tsv" ] || "$L" forget --data "$DATA" --regime "$R" --seed 101 --out "$OUT/req-$R.tsv"
  [ -f "$OUT/$R/retrain/checkpoint" ] || "$L" unlearn --data "$DATA" --checkpoint "$ORIG" --request "$OUT/req-$R.tsv" \
      --method retrain --out "$OUT/$R/retrain" --quiet --overwrite
  run() {  # name method flags...
    local name=$1 method=$2; shift 2
    [ -f "$OUT/$R/$name.json" ] && return 0
    "$L" unlearn --data "$DATA" --checkpoint "$ORIG" --request "$OUT/req-$R.tsv" --method "$method" \
      --out "$OUT/$R/$name" --quiet --overwrite --unlearn.batch_size ${BATCH:-256} "$@" > "$OUT/$R/$name.log" 2>&1
    "$L" audit --data "$DATA" --request "$OUT/req-$R.tsv" --original "$ORIG" --unlearned "$OUT/$R/$name/checkpoint" \
      --retrained "$OUT/$R/retrain/checkpoint" --retain-split valid --out "$OUT/$R/$name.json" > /dev/null 2>&1
    rm -f "$OUT/$R/$name/checkpoint"  # keep summary.json and log.jsonl; the models are not needed
  }
  if [ -n "${CANDIDATES:-}" ]; then  # a file of extra candidates, one per line: NAME METHOD FLAGS...
    while read -r name method flags; do
      [ -z "$name" ] || [ "${name:0:1}" = "#" ] || run "$name" "$method" $flags
    done < "$CANDIDATES"
    continue
  fi
  for b in ${BETAS:-1}; do
    sfx=""; [ "$b" = 1 ] || sfx="_beta$b"
    for lr in ${LRS:-0.005 0.01 0.02}; do
      for ep in ${EPS:-10 20}; do
        run "mmrecun_lr${lr}_ep${ep}$sfx" mmrecun --unlearn.lr $lr --unlearn.epochs $ep --mmrecun.beta $b
        run "tru_lr${lr}_ep${ep}$sfx" tru --unlearn.lr $lr --unlearn.epochs $ep --mmrecun.beta $b
        run "tru_lr${lr}_ep${ep}_isoret$sfx" tru --unlearn.lr $lr --unlearn.epochs $ep --tru.isolation.retain true --mmrecun.beta $b
      done
    done
    EPMAX=$(printf '%s\n' ${EPS:-10 20} | sort -n | tail -n 1); EPE=$((2 * EPMAX))
    for lr in ${EARLY_LRS-${LRS:-0.005 0.01 0.02}}; do
      run "mmrecun_lr${lr}_ep${EPE}_early$sfx" mmrecun --unlearn.lr $lr --unlearn.epochs $EPE --unlearn.early_stop true --mmrecun.beta $b
      run "tru_lr${lr}_ep${EPE}_isoret_early$sfx" tru --unlearn.lr $lr --unlearn.epochs $EPE --tru.isolation.retain true --unlearn.early_stop true --mmrecun.beta $b
    done
  done
done
