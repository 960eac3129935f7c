#!/usr/bin/env bash
# tests/tools/cli_checks.sh — the `lethe` command line as a user making mistakes meets it: one
# check per finding of the run-folder review (each failed before the run-folder discipline of
# io/run_folder.h and the checks that came with it), on a tiny synthetic data set. Each check says
# which finding it covers; a failure names the check and shows the command's last output lines.
#
#   cli_checks.sh LETHE
set -uo pipefail
LETHE=${1:?usage: cli_checks.sh path/to/lethe}
case "$LETHE" in /*) ;; *) LETHE="$PWD/$LETHE" ;; esac
W=$(mktemp -d "${TMPDIR:-/tmp}/lethe-cli-XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1
export OMP_WAIT_POLICY=passive OMP_NUM_THREADS=1
unset LETHE_TEST_KILL_AT LETHE_TEST_KILL_TRACE
CHECK=setup

fail() {
  echo "FAIL [$CHECK]: $*" >&2
  echo "--- output:" >&2
  tail -n 8 out.txt >&2
  exit 1
}
ok() { "$LETHE" "$@" >out.txt 2>&1 || fail "lethe $* exited $?"; }
refused() {  # the command must exit non-zero; its message must contain every later "--has" piece
  local args=() pieces=()
  while [ $# -gt 0 ] && [ "$1" != --has ]; do args+=("$1"); shift; done
  [ $# -gt 0 ] && shift && pieces=("$@")
  "$LETHE" "${args[@]}" >out.txt 2>&1 && fail "lethe ${args[*]} was accepted"
  for p in "${pieces[@]}"; do grep -qF -- "$p" out.txt || fail "the message lacks '$p'"; done
  grep -q 'check `' out.txt && fail "an internal check reached the user"
  return 0
}
state() {
  "$LETHE" info --run "$1" >info.txt 2>&1
  echo $?
}
files() { (cd "$1" && find . -type f ! -name .lethe-lock -print0 | sort -z | xargs -0 -r md5sum); }
# The number of the first kill point (LETHE_TEST_KILL_AT, io/atomic_file.h) of `lethe ARGS` whose
# trace line contains TEXT: point TEXT ARGS... (a traced run into a scratch folder, then removed).
point() {
  local text=$1
  shift
  LETHE_TEST_KILL_TRACE=1 "$LETHE" "$@" 2>&1 >/dev/null | grep -F "$text" | head -n 1 | sed 's/^kill point \([0-9]*\):.*/\1/'
}
# Runs `lethe ARGS` killed (SIGKILL) at point N: killed N ARGS...
killed() {
  local n=$1
  shift
  (LETHE_TEST_KILL_AT=$n "$LETHE" "$@" >out.txt 2>&1; exit $?) 2>/dev/null
  [ $? = 137 ] || fail "lethe $* was not killed at point $n"
}

ok synth --out data --users 60 --items 40 --interactions 600 --modalities image:8,text:4 --seed 1 --quiet
ok synth --out other --users 60 --items 40 --interactions 600 --modalities image:8,text:4 --seed 2 --quiet
ok forget --data data --regime user --ratio 0.1 --seed 1 --out req.tsv
TRAIN=(train --data data --model lightgcn --epochs 3 --quiet)

CHECK="1: a command never replaces another command's finished run"
ok "${TRAIN[@]}" --out t1
before=$(files t1)
refused unlearn --data data --checkpoint t1/checkpoint --request req.tsv --method mmrecun --out t1 --quiet \
  --has "already holds a finished \`lethe train\` run" --overwrite
[ "$(files t1)" = "$before" ] || fail "the refused unlearn changed t1"
ok unlearn --data data --checkpoint t1/checkpoint --request req.tsv --method mmrecun --out u1 --quiet --unlearn.epochs 1
refused "${TRAIN[@]}" --out u1 --has "finished \`lethe unlearn\` run"
refused unlearn --data data --checkpoint u1/checkpoint --request req.tsv --method mmrecun --out u1 --quiet --overwrite \
  --has "lies inside" "reads it"
[ "$(state u1)" = 0 ] || fail "u1 is not finished any more"

CHECK="2: an interrupted retraining of θ₀ is not reused as finished (experiment and train --overwrite)"
EXP=(experiment --data data --model lightgcn --methods retrain,mmrecun --epochs 3 --unlearn.epochs 1 --ratio 0.1
  --noise-floor off --quiet)
# Kill the experiment right after θ₀'s first checkpoint.
n=$(point "after the rename: scratch/original/checkpoint" "${EXP[@]}" --out scratch)
rm -rf scratch
[ -n "$n" ] || fail "no kill point after θ₀'s checkpoint"
killed "$n" "${EXP[@]}" --out e2
[ -f e2/original/checkpoint ] || fail "no θ₀ checkpoint after the kill"
[ "$(state e2/original)" = 3 ] || fail "θ₀ is not shown as interrupted: $(cat info.txt)"
refused "${EXP[@]}" --out e2 --has "interrupted \`lethe experiment\` run" --resume
ok "${EXP[@]}" --out e2 --resume
grep -q "reusing the original model" out.txt && fail "a half-trained θ₀ was reused"
[ "$(state e2)" = 0 ] || fail "the resumed experiment is not finished"
ok "${EXP[@]}" --out e3
cmp -s <(grep -v seconds e2/original/metrics.json) <(grep -v seconds e3/original/metrics.json) ||
  fail "the resumed θ₀ differs from an uninterrupted one"
# train --overwrite: killed while retraining, the old run stays recoverable and is never "finished"
ok "${TRAIN[@]}" --out t2 --seed 7
ok "${TRAIN[@]}" --out scratch --seed 7
n=$(point "after the rename: scratch/checkpoint" "${TRAIN[@]}" --out scratch --overwrite)
rm -rf scratch
killed "$n" "${TRAIN[@]}" --out t2 --overwrite  # the new run's first checkpoint is written
[ -f t2/checkpoint ] && [ -f t2/.lethe-previous/checkpoint ] || fail "not killed while the new run trained"
[ "$(state t2)" = 3 ] || fail "t2 is not shown as interrupted: $(cat info.txt)"
grep -q "replaced by --overwrite is kept in t2/.lethe-previous" info.txt || fail "the replaced run's place is not said"
[ "$(state t2/.lethe-previous)" = 0 ] || fail "the replaced run is not intact in t2/.lethe-previous"

CHECK="3: two runs with the same --out"
"$LETHE" train --data data --model lightgcn --epochs 400 --patience 400 --quiet --out t3 >t3.log 2>&1 &
pid=$!
for _ in $(seq 1 200); do [ -f t3/run.json ] && break; sleep 0.05; done
kill -STOP $pid
refused "${TRAIN[@]}" --out t3 --has "t3 is in use by another lethe process" "pid $pid" "lethe train"
refused unlearn --data data --checkpoint t1/checkpoint --request req.tsv --method mmrecun --out t3 --quiet --overwrite \
  --has "in use by another lethe process"
kill -CONT $pid
wait $pid || fail "the first run failed: $(tail -n 3 t3.log)"
[ "$(state t3)" = 0 ] || fail "t3 is not a finished run after the refused second one"
grep -q '"epochs_run": 400' t3/metrics.json || fail "t3 does not hold the first run's result"

CHECK="4: re-running without --resume into an interrupted run or a finished experiment"
n=$(point "after the rename: scratch/last.ckpt" "${TRAIN[@]}" --out scratch)
rm -rf scratch
killed "$n" "${TRAIN[@]}" --out t4
before=$(files t4)
refused "${TRAIN[@]}" --out t4 --has "interrupted \`lethe train\` run" "--resume t4/last.ckpt"
refused train --data data --model mgcn --epochs 3 --quiet --out t4 --has "interrupted"
[ "$(files t4)" = "$before" ] || fail "a refused run changed the interrupted one"
ok "${TRAIN[@]}" --out t4 --resume t4/last.ckpt
[ "$(state t4)" = 0 ] || fail "the resumed run is not finished"
rows=$(grep -c '"method"' e3/results.json)
refused "${EXP[@]}" --out e3 --methods mmrecun --has "already holds a finished \`lethe experiment\` run"
[ "$(grep -c '"method"' e3/results.json)" = "$rows" ] || fail "rows of the finished experiment were thrown away"

CHECK="5: --resume compares every setting; a finished run is left alone"
refused "${EXP[@]}" --out e3 --resume --unlearn.epochs 2 --has "--resume" "unlearn.epochs = 1" "unlearn.epochs = 2"
[ "$(grep -c '"method"' e3/results.json)" = "$rows" ] || fail "a refused resume changed the table"
ok "${EXP[@]}" --out e3 --resume --methods retrain,mmrecun,neggrad
[ "$(grep -c '"method"' e3/results.json)" = $((rows + 1)) ] || fail "adding a method on --resume did not add its row"
ok train --data data --model mgcn --epochs 3 --quiet --out t5
before=$(files t5)
refused train --data data --model mgcn --epochs 3 --quiet --out t5 --resume t5/last.ckpt --mgcn.knn_k 5 \
  --has "mgcn.knn_k = 10" "mgcn.knn_k = 5"
ok train --data data --model lightgcn --epochs 50 --patience 1 --quiet --out t6
grep -q '"early_stopped": true' t6/metrics.json || fail "t6 did not stop early"
before6=$(files t6)
ok train --data data --model lightgcn --epochs 50 --patience 1 --quiet --out t6 --resume t6/last.ckpt
grep -q "nothing to resume" out.txt || fail "resuming a finished run did not say so"
[ "$(files t6)" = "$before6" ] || fail "resuming a finished run changed it"
[ "$(files t5)" = "$before" ] || fail "a refused resume changed t5 (config.txt?)"

CHECK="6: unreadable feature files are errors naming the file"
cp -r data d6 && mkdir d6/audio_feat.npy
refused "${TRAIN[@]}" --data d6 --out t7 --has "d6/audio_feat.npy" "a folder"
rm -r d6/audio_feat.npy && ln -s missing.npy d6/audio_feat.npy
refused "${TRAIN[@]}" --data d6 --out t7 --has "d6/audio_feat.npy" "does not exist"
rm d6/audio_feat.npy && ln -s loop_b_feat.npy d6/loop_a_feat.npy && ln -s loop_a_feat.npy d6/loop_b_feat.npy
refused info --data d6 --has "_feat.npy" "loop"
[ ! -e t7 ] || fail "a refused run left its --out folder"

CHECK="7: mismatches are refused unless --force, which is recorded"
refused eval --data other --checkpoint t1/checkpoint --has "made from other data" "--force"
ok eval --data other --checkpoint t1/checkpoint --force --json ev.json
grep -q '"forced"' ev.json || fail "eval --force is not recorded in --json"
ok forget --data other --regime user --ratio 0.1 --seed 1 --out req-other.tsv
refused unlearn --data data --checkpoint t1/checkpoint --request req-other.tsv --method mmrecun --out u7 --quiet \
  --has "req-other.tsv:" "other data" "--force"
refused audit --data data --request req-other.tsv --original t1/checkpoint --unlearned u1/checkpoint --has "other data"
ok unlearn --data data --checkpoint t1/checkpoint --request req-other.tsv --method mmrecun --out u7 --quiet --force \
  --unlearn.epochs 1
grep -q '"forced": \[$' u7/summary.json && grep -A1 '"forced"' u7/summary.json | grep -q fingerprint ||
  fail "unlearn --force is not recorded in summary.json"
refused audit --data data --request req.tsv --original u1/checkpoint --unlearned t1/checkpoint \
  --has "is an unlearned model" "swapped"
ok audit --data data --request req.tsv --original u1/checkpoint --unlearned t1/checkpoint --force --out au.json
grep -q "accepted with --force" out.txt && grep -q '"forced"' au.json || fail "audit --force is not recorded"
printf '# lethe deletion request v1\n# regime: user\nuser 1\nitem 3\n' >mixed.tsv
refused forget --data data --request mixed.tsv --has "mixed.tsv:4:" "regime: user"

CHECK="8: values are never clamped or mis-read"
refused "${TRAIN[@]}" --out t8 --seed 99999999999999999999 --has "seed" "64-bit"
refused "${TRAIN[@]}" --out t8 --epochs 1e23 --has "epochs" "1e23"
refused "${TRAIN[@]}" --out --overwrite --has "--out needs a value" "--overwrite"
[ ! -e ./--overwrite ] || fail "a folder named --overwrite was made"
refused eval --data data --popularity --topk -1 --topk-out topk.tsv --has "--topk" "1..1024"
ok eval --data data --popularity --topk 5 --topk-out topk.tsv
# Lethe's layout: a header, then one row per (user, rank): 60 users × 5.
[ "$(head -n 1 topk.tsv)" = "$(printf 'user\trank\titem\tscore')" ] && [ "$(wc -l <topk.tsv)" = 301 ] &&
  [ "$(tail -n +2 topk.tsv | cut -f1 | sort -u | wc -l)" = 60 ] || fail "eval --popularity --topk-out wrote no lists"
refused "${TRAIN[@]}" --out t8 --eval.ks 0,20 --has "eval.ks" "0,20"
[ ! -e t8 ] || fail "a refused run left its --out folder"

CHECK="9: settings checked first, in the user's words; no empty folders; values used recorded; safe output"
refused train --data no-such-folder --model lightgcn --out t9 --epochs 0 --has "setting epochs (from --epochs)" ">= 1"
refused train --data data --model lightgcn --out t9 --lr 1e30 --batch_size 16 --epochs 2 --quiet --has "diverged"
grep -q 'trainer.cpp' out.txt && fail "an internal file name reached the user"
[ ! -e t9 ] || fail "a failed run left an empty --out folder"
grep -q '^lr = 0.001$' t1/config.txt || fail "config.txt does not record the lr used"
grep -q '^batch_size = 2048$' t1/config.txt || fail "config.txt does not record the batch size used"
mkdir -p "$(printf 'bad\033[31mname')" && cp data/* "$(printf 'bad\033[31mname')/"
refused train --data "$(printf 'bad\033[31mname')" --model lightgcn --out t10 --epochs 0 --has "epochs"
refused "${TRAIN[@]}" --out "$(printf 'out\033[2Jx')" --lr -1 --has "lr"
refused info --data "$(printf 'gone\033[31m')" --has 'gone\x1b[31m'
grep -q "$(printf '\033')" out.txt && fail "a raw control character reached the terminal"
# A dataset whose name is not UTF-8: its results stay valid JSON.
mkdir latin && cp data/*_feat.npy latin/ && cp data/synth.inter "latin/$(printf 'caf\351').inter"
ok train --data latin --model lightgcn --epochs 2 --quiet --out t11
if command -v python3 >/dev/null; then
  python3 -c 'import json,sys; json.load(open(sys.argv[1], encoding="utf-8"))' t11/metrics.json ||
    fail "metrics.json of a non-UTF-8 dataset name is not valid JSON"
fi
grep -q "$(printf 'caf\357\277\275')" t11/metrics.json || fail "the bad byte is not written as U+FFFD"
CHECK="10: each command's --help lists what it uses; MMRec's names as flags; output line by line"
ok train --help
grep -q -- '--tru\.\|--unlearn\.\|--multidelete\.\|--scalegun\.\|--backdoor\.' out.txt &&
  fail "train --help lists unlearning or audit settings"
grep -q -- '--mgcn.knn_k' out.txt && grep -q -- '--eval.ks' out.txt || fail "train --help lacks its own settings"
ok unlearn --help
[ "$(grep -c -- '^ *--seed ' out.txt)" = 1 ] && grep -q -- '--seed V .*\[default: 1\]' out.txt ||
  fail "unlearn --help does not show one --seed with one default"
grep -q -- '--mgcn\.\|--lightgcn\.\|--miggt\.\|--dim ' out.txt && fail "unlearn --help lists the model's shape"
grep -q -- '--tru.gate.k' out.txt && grep -q -- '--epochs' out.txt || fail "unlearn --help lacks its own settings"
grep -qi 'spec\|\.\./shared' out.txt && fail "unlearn --help points outside the repository"
refused train --data data --model lightgcn --out t12 --tru.gate.k 5 --has "unknown option --tru.gate.k"
ok train --data data --model LightGCN --epochs 2 --quiet --out t12 --learning_rate 0.02 --embedding_size 16 \
  --reg_weight 0.001 --gpu_id 0
grep -q '^lr = 0.02$' t12/config.txt && grep -q '^dim = 16$' t12/config.txt &&
  grep -q '^lightgcn.reg = 0.001$' t12/config.txt || fail "MMRec-named flags were not applied"
grep -q 'gpu_id .*ignored' out.txt || fail "an ignored MMRec flag is not said to be ignored"
ok train --data data --model lightgcn --epochs 2 --quiet --out t13 --lr 0.03 --learning_rate 0.5
grep -q '^lr = 0.03$' t13/config.txt || fail "the Lethe flag does not win over its MMRec alias"
refused train --data data --model lightgcn --epochs 2 --out t14 --learner sgd --has "learner" "Adam"
refused unlearn --data data --checkpoint t1/checkpoint --request req.tsv --method mmrecun --out u14 --knn_k 5 \
  --has "--knn_k sets mgcn.knn_k" "does not use"
[ ! -e t14 ] && [ ! -e u14 ] || fail "a refused run left its --out folder"
ok train --data data --model lightgcn --epochs 3 --out t15
grep -q 'epoch    1 .*(elapsed .*, ETA ' out.txt || fail "epoch lines carry no elapsed time and ETA"
grep -q 'ETA' t15/log.jsonl && fail "the log holds progress text"
# Into a pipe, stdout is flushed line by line like stderr: the first regime's result line (stdout)
# comes before the second regime's stage lines (stderr), not at the exit. Stage lines carry the
# elapsed time and the ETA (--brief: no epoch lines).
ok experiment --data data --model lightgcn --regime user,item --methods retrain,mmrecun --noise-floor off \
  --audits core --epochs 2 --unlearn.epochs 1 --out x1 --brief
u=$(grep -n '^user regime: ' out.txt | cut -d: -f1)
i=$(grep -n 'seed 1/1: retrain \.\.\.' out.txt | tail -n 1 | cut -d: -f1)
[ -n "$u" ] && [ -n "$i" ] && [ "$u" -lt "$i" ] || fail "stdout reached the pipe late (user regime line $u, item stage $i)"
grep -q '^\[elapsed .*, ETA .*\] seed 1/1: mmrecun \.\.\.' out.txt || fail "stage lines carry no ETA"
grep -q '^epoch ' out.txt && fail "--brief printed epoch lines"

CHECK="11: the tuned methods take no Retrain; their search is in the run's log and summary"
refused unlearn --data data --checkpoint t1/checkpoint --request req.tsv --method tru-auto --out a1 --quiet \
  --retrained t1/checkpoint --has "unknown option --retrained"
[ ! -e a1 ] || fail "a refused tru-auto run left its --out folder"
ok unlearn --data data --checkpoint t1/checkpoint --request req.tsv --method tru-auto --out a1 --quiet \
  --unlearn.auto.candidates 2 --unlearn.auto.max_epochs 2
grep -E 'retain R@20|tuned without Retrain' out.txt >a1.txt
grep -q '"auto": "result"' a1/log.jsonl || fail "tru-auto's log.jsonl lacks the search's trace"
grep -q '"auto_trace"' a1/summary.json || fail "tru-auto's summary.json lacks the search's trace"
refused unlearn --data data --checkpoint t1/checkpoint --request req.tsv --method neggrad --auto --out a2 --quiet \
  --has "--auto tunes tru, mmrecun"
ok unlearn --data data --checkpoint t1/checkpoint --request req.tsv --method tru --auto --out a2 --quiet \
  --unlearn.auto.candidates 2 --unlearn.auto.max_epochs 2
grep -E 'retain R@20|tuned without Retrain' out.txt | cmp -s - a1.txt || fail "--method tru --auto is not --method tru-auto"
CHECK="12: parts of one experiment folder run separately (a θ₀ of its own beside the regimes), --redo"
# A regime run alone with its θ₀ inside OUT (as security.sh runs the user-level attack's part),
# then the backdoor experiment into the same OUT: the θ₀ folder is another run's input, not junk.
ok experiment --data data --model lightgcn --regime user --methods retrain,mmrecun --noise-floor off --audits core \
  --epochs 2 --unlearn.epochs 1 --original x2/theta0-a --out x2/user --quiet
ok experiment --data data --model lightgcn --methods retrain,mmrecun --audits backdoor --seeds 1 --epochs 2 \
  --unlearn.epochs 1 --backdoor.attack_size 0.05 --out x2 --quiet
[ -f x2/backdoor/results.json ] && [ -f x2/theta0-a/checkpoint ] || fail "the backdoor part did not run beside the regime"
# --redo runs one method again and keeps every other row.
before=$(grep -c '"method"' x2/user/results.json)
refused experiment --data data --model lightgcn --regime user --methods retrain,mmrecun --noise-floor off --audits core \
  --epochs 2 --unlearn.epochs 1 --original x2/theta0-a --out x2/user --quiet --redo mmrecun --has "--redo mmrecun" "--resume"
echo "unlearn.lr = 0.05" >mm.cfg  # the redone method's own settings may change; shared ones may not
ok experiment --data data --model lightgcn --regime user --methods retrain,mmrecun --noise-floor off --audits core \
  --epochs 2 --unlearn.epochs 1 --original x2/theta0-a --out x2/user --quiet --resume --redo mmrecun \
  --method-config mmrecun=mm.cfg
grep -q '"method.mmrecun.unlearn.lr": "0.05"' x2/user/run.json || fail "the redone method's settings are not recorded"
refused experiment --data data --model lightgcn --regime user --methods retrain,mmrecun --noise-floor off --audits core \
  --epochs 2 --unlearn.epochs 1 --original x2/theta0-a --out x2/user --quiet --resume --redo mmrecun \
  --unlearn.lr 0.05 --has "--resume" "unlearn.lr"
[ "$(grep -c '"method"' x2/user/results.json)" = "$before" ] || fail "--redo changed the number of rows"
CHECK="13: lethe calibrate pairs every request with its own Retrain and refuses what is not one"
ok forget --data data --regime interaction --ratio 0.1 --seed 11 --out cal1.tsv
ok forget --data data --regime interaction --ratio 0.1 --seed 12 --out cal2.tsv
ok unlearn --data data --checkpoint t1/checkpoint --request cal1.tsv --method retrain --out cr1 --quiet --epochs 2
ok unlearn --data data --checkpoint t1/checkpoint --request cal2.tsv --method retrain --out cr2 --quiet --epochs 2
CAL=(calibrate --data data --original t1/checkpoint --requests cal1.tsv,cal2.tsv)
ok "${CAL[@]}" --retrained cr1/checkpoint,cr2/checkpoint --out cal.json
grep -q "unlearn.auto.pair_ratio = " out.txt && grep -q "within Retrain's reach on [0-2] of 2" out.txt ||
  fail "calibrate printed no suggestion or no leave-one-out check"
grep -q '"suggested_pair_population": "untouched"' cal.json && grep -q '"loo_judged": 2' cal.json ||
  fail "calibrate's --out lacks the summary"
refused "${CAL[@]}" --retrained cr1/checkpoint --has "2 request(s) but 1 Retrain(s)"
refused "${CAL[@]}" --retrained cr2/checkpoint,cr1/checkpoint --has "retrained for another request" "--force"
refused "${CAL[@]}" --retrained cr1/checkpoint,u1/checkpoint --has "u1/checkpoint is not a Retrain" "mmrecun"
refused calibrate --data data --original cr1/checkpoint --requests cal1.tsv --retrained cr1/checkpoint \
  --has "unlearned model" "not the trained"
refused "${CAL[@]}" --retrained cr1/checkpoint,cr2/checkpoint --out cr1/checkpoint --has "cr1"
ok "${CAL[@]}" --retrained cr2/checkpoint,cr1/checkpoint --force --out cal2.json
grep -q "accepted with --force" out.txt && grep -A1 '"forced"' cal2.json | grep -q "another request" ||
  fail "calibrate --force is not recorded"
echo "cli checks: all passed"
