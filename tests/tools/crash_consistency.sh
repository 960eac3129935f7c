#!/usr/bin/env bash
# tests/tools/crash_consistency.sh — kill -9 a real `lethe` run at the points where it changes
# its run folder, and check what every kill left (io/run_folder.h's promise):
#   * finished   — `lethe info --run` says so (every file matches the manifest) and the results
#                  equal those of an uninterrupted run; a new run into it is refused;
#   * interrupted — a new run without --resume is refused and changes nothing; --resume (for
#                  unlearn, which cannot continue a run: --overwrite) finishes it, with the results
#                  of an uninterrupted run;
#   * empty or missing — a new run works;
#   and never anything else (a folder that mixes runs, or whose files contradict its manifest).
# The kill points are the process's own (LETHE_TEST_KILL_AT=N, io/atomic_file.h): before and
# after the rename of every atomic write, after the folder is created and locked, between the
# steps of --overwrite's move aside and of the deletion of the replaced run. So every state a
# crash can leave is reached, deterministically.
#
#   crash_consistency.sh LETHE SCENARIO [STRIDE]
# SCENARIO: train | unlearn | experiment | overwrite. STRIDE (default 1) kills at every
# STRIDE-th point only (CI uses a stride for the long scenarios; 1 tries them all).
set -uo pipefail
LETHE=${1:?usage: crash_consistency.sh LETHE train|unlearn|experiment|overwrite [STRIDE]}
SCENARIO=${2:?scenario: train, unlearn, experiment or overwrite}
STRIDE=${3:-1}
case "$LETHE" in /*) ;; *) LETHE="$PWD/$LETHE" ;; esac
W=$(mktemp -d "${TMPDIR:-/tmp}/lethe-crash-XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1
export OMP_WAIT_POLICY=passive OMP_NUM_THREADS=1
unset LETHE_TEST_KILL_AT LETHE_TEST_KILL_TRACE

fail() {
  echo "FAIL ($SCENARIO, kill point ${N:-none}): $*" >&2
  echo "--- last lines of the log:" >&2
  tail -n 15 log >&2
  exit 1
}
run() { "$LETHE" "$@" >>log 2>&1; }

run synth --out data --users 60 --items 40 --interactions 600 --modalities image:8,text:4 --seed 1 --quiet ||
  fail "lethe synth"
run forget --data data --regime user --ratio 0.1 --seed 1 --out req.tsv || fail "lethe forget"

# The deterministic part of a run's results (times, speed-ups, memory and devices left out).
VARYING='"[^"]*(seconds|speedup|peak_bytes|device)[^"]*"'

digest() {
  case "$SCENARIO" in
    train | overwrite) grep -v -E "$VARYING" "$1/metrics.json" ;;
    unlearn) grep -v -E "$VARYING" "$1/summary.json" ;;
    experiment) grep -v -E "$VARYING" "$1/results.json" && grep -v -E "$VARYING" "$1/original/metrics.json" ;;
  esac
}
# The run's files (not the lock, whose holder line each run rewrites), to prove a refusal
# changed nothing.
snapshot() { (cd "$1" && find . -type f ! -name .lethe-lock ! -name '*.tmp.*' -print0 | sort -z | xargs -0 -r md5sum); }
state() {
  "$LETHE" info --run "$1" >info.txt 2>&1
  echo $?
}
finished_like() {  # folder, reference digest
  [ "$(state "$1")" = 0 ] || fail "$1 is not finished: $(cat info.txt)"
  [ "$(digest "$1")" = "$2" ] || fail "$1 finished with other results than an uninterrupted run"
  [ -z "$(find "$1" -name '*.tmp.*' -print -quit)" ] || fail "$1 keeps temporary files"
}

case "$SCENARIO" in
  train)
    # last.ckpt at epochs 2 and 4 and at the end: a kill after epoch 3 resumes from epoch 2.
    CMD=(train --data data --model lightgcn --epochs 5 --patience 2 --checkpoint_every 2 --quiet)
    resume() { run "${CMD[@]}" --out "$1" --resume "$1/last.ckpt"; } ;;
  overwrite)
    CMD=(train --data data --model lightgcn --epochs 3 --quiet --overwrite)
    OLD=(train --data data --model lightgcn --epochs 2 --seed 7 --quiet)
    resume() { run train --data data --model lightgcn --epochs 3 --quiet --out "$1" --resume "$1/last.ckpt"; } ;;
  unlearn)
    run train --data data --model lightgcn --epochs 2 --quiet --out theta0 || fail "training θ₀"
    CMD=(unlearn --data data --checkpoint theta0/checkpoint --request req.tsv --method mmrecun --unlearn.epochs 2 --quiet)
    resume() { run "${CMD[@]}" --out "$1" --overwrite; } ;;
  experiment)
    CMD=(experiment --data data --model lightgcn --methods retrain,mmrecun --epochs 3 --unlearn.epochs 2 --ratio 0.1
      --noise-floor off --quiet)
    resume() { run "${CMD[@]}" --out "$1" --resume; } ;;
  *) fail "unknown scenario $SCENARIO" ;;
esac

# The uninterrupted run.
if [ "$SCENARIO" = overwrite ]; then
  run "${OLD[@]}" --out old-ref || fail "reference run (old)"
  OLD_REF=$(digest old-ref)
fi
run "${CMD[@]}" --out ref || fail "reference run"
REF=$(digest ref)

N=1
tried=0
while :; do
  rm -rf run
  if [ "$SCENARIO" = overwrite ]; then run "${OLD[@]}" --out run || fail "the run to overwrite"; fi
  # In a subshell whose stderr (its "Killed" notice only) is dropped.
  (LETHE_TEST_KILL_AT=$N "$LETHE" "${CMD[@]}" --out run >>log 2>&1; exit $?) 2>/dev/null
  rc=$?
  [ $rc = 0 ] && break                       # past the last kill point: the run finished
  [ $rc = 137 ] || fail "exited with $rc instead of being killed"
  tried=$((tried + 1))
  s=$(state run)
  if [ "$SCENARIO" = overwrite ]; then
    # The replaced run is never lost: still in place, kept aside, or half moved (rolled back).
    if [ "$s" = 0 ] && [ "$(digest run)" = "$OLD_REF" ]; then
      N=$((N + STRIDE))
      continue
    fi
    if [ -d run/.lethe-previous ]; then
      [ "$(state run/.lethe-previous)" = 0 ] || fail "the replaced run in run/.lethe-previous is not finished"
      [ "$(digest run/.lethe-previous)" = "$OLD_REF" ] || fail "run/.lethe-previous is not the replaced run"
    fi
    if [ -d run/.lethe-previous.partial ]; then
      before=$(snapshot run/.lethe-previous.partial)
      run "${OLD[@]}" --out run && fail "a run into a half-moved folder was accepted"
      [ "$(state run)" = 0 ] && [ "$(digest run)" = "$OLD_REF" ] || fail "the half-moved run was not moved back"
      [ -n "$before" ] || fail "empty partial move"
      run "${CMD[@]}" --out run || fail "--overwrite after the roll back"
      finished_like run "$REF"
      N=$((N + STRIDE))
      continue
    fi
  fi
  case "$s" in
    0)
      finished_like run "$REF"
      before=$(snapshot run)
      run "${CMD[@]/--overwrite/}" --out run && fail "a second run into a finished run was accepted"
      [ "$(snapshot run)" = "$before" ] || fail "the refused run changed the finished one"
      ;;
    3)
      before=$(snapshot run)
      if [ "$SCENARIO" = overwrite ]; then
        run train --data data --model lightgcn --epochs 3 --quiet --out run &&
          fail "a new run into an interrupted one was accepted"
      else
        run "${CMD[@]}" --out run && fail "a new run into an interrupted one was accepted (no --resume)"
      fi
      [ "$(snapshot run)" = "$before" ] || fail "the refused run changed the interrupted one"
      resume run || fail "resuming the interrupted run"
      finished_like run "$REF"
      [ ! -e run/.lethe-previous ] || fail "the replaced run was kept after the new one finished"
      ;;
    5)
      run "${CMD[@]}" --out run || fail "a new run into an empty folder (state: $(cat info.txt))"
      finished_like run "$REF"
      ;;
    *) fail "the folder is neither finished, interrupted nor empty: $(cat info.txt)" ;;
  esac
  N=$((N + STRIDE))
done
[ $tried -ge 5 ] || fail "only $tried kill point(s) reached: the kill hook does not work"
finished_like run "$REF"
echo "$SCENARIO: $tried kill point(s) (stride $STRIDE), each left a finished, resumable or empty folder"
