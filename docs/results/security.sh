#!/usr/bin/env bash
# docs/results/security.sh — the security audits of docs/results/security/ (docs/AUDITS.md says
# what each one measures): MGCN on the TikTok data, the user and the interaction regimes at their
# default ratios with 3 request seeds (1..3), every method with its tuned settings (the files of
# docs/results/tiktok/, as tiktok.sh uses them; MultiDelete's and ScaleGUN's from
# docs/results/tiktok-baselines/cfg/; tru-auto and mmrecun-auto tune themselves, tru-auto with
# TRU's current design pinned by tiktok-auto-rows.cfg), audited against Retrain and against a second
# Retrain (seed s + 1000) on EVERY seed, so each audit's Retrain-vs-Retrain spread has 3 samples:
#   user         core + membership families A/B/C + the user-level attack (--audits core,mia,umia;
#                θ₀ is trained without the two reserved user groups, into OUT/original-umia/, and
#                the shadow model into OUT/original-umia-shadow/)
#   interaction  core + membership families A/B/C (θ₀ on all the data, OUT/original/ — the same
#                folder tiktok.sh uses, so a θ₀ it trained is reused)
#   backdoor     the backdoor experiment with 3 injection seeds (OUT/backdoor/), the methods with
#                their user-regime settings (the request names the fake users)
#
# usage: docs/results/security.sh LETHE_BINARY DATA_DIR OUT_DIR [part ...]
#   parts: user interaction backdoor (default: all three, in that order)
#   METHODS=...  the methods (default: all of them); SEEDS=N (default 3); MODEL=... (default mgcn);
#   EXTRA="..."  more flags for every `lethe experiment` call (the smoke run on small synthetic
#                data passes a short training schedule here).
# Every call passes --resume: a part that stopped is continued by running the same line again.
set -euo pipefail
L=$1; DATA=$2; OUT=$3; shift 3
PARTS=${*:-user interaction backdoor}
CFG=$(cd "$(dirname "$0")" && pwd)/tiktok
METHODS=${METHODS:-retrain,finetune,neggrad,neggrad+,mmrecun,tru,tru-no-gate,tru-no-scaling,tru-no-isolation,multidelete,scalegun,scalegun-certified,tru-auto,mmrecun-auto}
BASE=$(cd "$(dirname "$0")" && pwd)/tiktok-baselines/cfg
SEEDS=${SEEDS:-3}
MODEL=${MODEL:-mgcn}
EXTRA=${EXTRA:-}
mkdir -p "$OUT"

# The per-method settings of a regime, as tiktok.sh passes them.
method_configs() {
  local R=$1 mc="" m f
  for m in ${METHODS//,/ }; do
    case $m in
      finetune) f=$CFG/finetune.cfg ;;
      mmrecun) f=$CFG/$R-mmrecun.cfg ;;
      tru | tru-no-*) f=$CFG/$R-tru.cfg ;;
      multidelete | multidelete-no-*) f=$BASE/$R-multidelete.cfg ;;
      scalegun) f=$BASE/$R-scalegun.cfg ;;
      scalegun-certified) f=$BASE/$R-scalegun-certified.cfg ;;
      tru-auto | tru-auto-no-*) f=$BASE/../../tiktok-auto-rows.cfg ;;
      *) continue ;;  # retrain, finetune's defaults, neggrad(+), and the tuned methods (their own search)
    esac
    mc+="${mc:+,}$m=$f"
  done
  echo "$mc"
}

for P in $PARTS; do
  case $P in
    user) audits=core,mia,umia; orig=$OUT/original-umia; R=user; out=$OUT/user ;;
    interaction) audits=core,mia; orig=$OUT/original; R=interaction; out=$OUT/interaction ;;
    backdoor) audits=backdoor; orig=""; R=user; out=$OUT ;;
    *) echo "security.sh: unknown part '$P' (user, interaction or backdoor)" >&2; exit 2 ;;
  esac
  mc=$(method_configs "$R")
  # shellcheck disable=SC2086 # EXTRA is a list of flags
  "$L" experiment --data "$DATA" --model "$MODEL" --regime "$R" --seeds "$SEEDS" --noise-floor all \
    --audits "$audits" ${orig:+--original "$orig"} --out "$out" --methods "$METHODS" \
    ${mc:+--method-config "$mc"} --unlearn.batch_size 256 --resume --quiet $EXTRA
done
