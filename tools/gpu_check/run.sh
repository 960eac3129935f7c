#!/usr/bin/env bash
# run.sh — Lethe's one-run GPU check, copied into the pack by tools/gpu_pack.sh (README:
# "Checking on a GPU"). Everything it needs is in this folder: bin/ (stripped sm_90 programs,
# RUNPATH $ORIGIN/../lib), lib/ (the project's shared libraries and the non-system ones they
# need), data.tar.gz (the data sets the tests and the agreement run read), report.py (Python 3,
# standard library only) and MANIFEST.txt. The CUDA libraries (cudart, cuBLAS, cuSPARSE, ...)
# and compute-sanitizer are looked up on the machine.
#
# Usage: OUT=DIR ./run.sh      (DIR defaults to ./out beside this script)
# Writes at most 7 files under $OUT:
#   summary.txt     every step: passed, failed or skipped and why; the claims the run settles
#   device.json     device, driver, toolkit and library versions; measured ceilings
#   tests.txt       every test binary (each under a timeout), with LETHE_EXPECT_GPU=1: counts,
#                   failures, anything skipped or unfinished
#   sanitizers.txt  compute-sanitizer memcheck on the CUDA-vs-reference tests, racecheck and
#                   synccheck on the kernels with shared memory or warp synchronisation
#   bench.json      kernel and backbone benchmarks, each op also as a fraction of its ceiling; the
#                   training-step profile on TikTok (epochs op by op and as CUDA graphs, measured
#                   beside the prediction; the graph's kernel nodes beside the declared launches)
#   agreement.json  `lethe train` (MGCN, 3 epochs) and a short `lethe experiment` on TikTok, on
#                   the CPU and on CUDA, compared within the tolerances written in report.py
#   log.txt         the tail of every step's output
# Ends within LETHE_CHECK_BUDGET_S seconds (default 470: every step's timeout is cut to what is
# left). Exit 0 when every step passed, or when no GPU is usable (every GPU step is then listed as
# skipped, with the reason); 1 when anything failed.
# LETHE_CHECK_REHEARSAL=1 walks the GPU path on a machine without a GPU, to check this script and
# report.py anywhere: the CPU stands in for the device (the "cuda" half of the agreement run and
# the benchmark entries run on the CPU, shortened; compute-sanitizer is replaced by running the
# program as is). Its verdict says nothing about a GPU: the CUDA tests and the ceilings fail.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$here/out}
mkdir -p "$OUT"
budget=${LETHE_CHECK_BUDGET_S:-470}
t0=$(date +%s)
end=$((t0 + budget))
work=$(mktemp -d "${TMPDIR:-/tmp}/lethe-gpu-check.XXXXXX")
if [[ ${LETHE_CHECK_KEEP_WORK:-0} == 1 ]]; then echo "run.sh: keeping the work folder $work"
else trap 'rm -rf "$work"' EXIT; fi
steps=$work/steps.tsv
: >"$steps"
export OMP_WAIT_POLICY=passive
ncpu=$(nproc 2>/dev/null || echo 2)
rehearsal=${LETHE_CHECK_REHEARSAL:-0}
cuda_dev=cuda bench_filter='^cuda/' backbone_filter='^cuda/' epochs=3 exp_epochs=2
if ((rehearsal)); then
  cuda_dev=cpu bench_filter='^cpu/(fill|axpy|gemm/square_1024|spmm/)' backbone_filter='^cpu/lightgcn/eval_full'
  epochs=1 exp_epochs=1
fi

say() { printf '[%4ds] %s\n' "$(($(date +%s) - t0))" "$*"; }
# step NAME STATUS DETAIL — one line of the summary (STATUS: pass, fail or skip).
step() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$steps"; say "$1: $2${3:+ — $3}"; }
# secs NOMINAL RESERVE — a timeout: NOMINAL, cut so that RESERVE seconds stay for later steps.
secs() {
  local left=$((end - $(date +%s) - $2))
  if ((left < $1)); then echo $((left < 10 ? 10 : left)); else echo "$1"; fi
}

# ---- the CUDA libraries: wherever this machine keeps them ------------------------------------
needed=$(cat "$here/cuda-libs.txt" 2>/dev/null)
search=("${CUDA_HOME:-/usr/local/cuda}/lib64" "${CUDA_HOME:-/usr/local/cuda}/targets/x86_64-linux/lib"
        /usr/local/cuda/lib64 /usr/local/cuda/lib /usr/local/cuda/targets/x86_64-linux/lib)
for d in /usr/local/cuda-*/lib64 /usr/local/cuda-*/targets/x86_64-linux/lib /usr/lib/x86_64-linux-gnu \
         /usr/local/nvidia/lib64 /opt/*/.venv/lib/python3*/site-packages/nvidia/*/lib \
         /usr/local/lib/python3*/dist-packages/nvidia/*/lib; do
  [[ -d $d ]] && search+=("$d")
done
libdirs=()
missing=()
for so in $needed; do
  found=""
  for d in "${search[@]}"; do [[ -e $d/$so ]] && { found=$d; break; }; done
  [[ -z $found ]] && found=$(ldconfig -p 2>/dev/null | awk -v s="$so" '$1 == s {print $NF; exit}' | xargs -r dirname)
  [[ -z $found ]] && found=$(timeout 30 find / -xdev -name "$so" -print -quit 2>/dev/null | xargs -r dirname)
  if [[ -n $found ]]; then
    [[ " ${libdirs[*]} " == *" $found "* ]] || libdirs+=("$found")
  else
    missing+=("$so")
  fi
done
if ((${#libdirs[@]})); then
  export LD_LIBRARY_PATH="$(IFS=:; echo "${libdirs[*]}")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
printf '%s\n' "${libdirs[@]}" >"$work/libdirs.txt"
if ((${#missing[@]})); then
  step libraries fail "not found on this machine: ${missing[*]} (searched ${search[*]}, ldconfig, /)"
else
  step libraries pass "CUDA libraries from ${libdirs[*]:-the default search path}"
fi

# ---- data --------------------------------------------------------------------------------------
data=$work/data
mkdir -p "$data"
if [[ -f $here/data.tar.gz ]] && tar -xzf "$here/data.tar.gz" -C "$data" 2>"$work/data.err"; then
  step data pass "unpacked: $(ls "$data" | tr '\n' ' ')"
else
  step data fail "no data.tar.gz in the pack (or it does not unpack): the data-set tests will skip and the agreement run uses synthetic data"
fi
export LETHE_DATA=$data

# ---- the device --------------------------------------------------------------------------------
timeout 60 "$here/bin/lethe" info >"$work/info.txt" 2>&1
info_rc=$?
ngpu=$(awk '/^CUDA devices:/ {print $3}' "$work/info.txt")
why=$(sed -n 's/^CUDA device query: //p' "$work/info.txt")
if ((info_rc != 0)); then
  why="bin/lethe does not start: $(tail -n 2 "$work/info.txt" | tr '\n' ' ')"
  ngpu=0
fi
command -v nvidia-smi >/dev/null || PATH=$PATH:/usr/local/nvidia/bin
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem,power.limit \
    --format=csv,noheader >"$work/nvidia-smi.txt" 2>&1 || true
else
  echo "nvidia-smi not found" >"$work/nvidia-smi.txt"
fi
sanitizer=$(command -v compute-sanitizer || true)
for c in "${CUDA_HOME:-/usr/local/cuda}/bin/compute-sanitizer" /usr/local/cuda/compute-sanitizer/compute-sanitizer \
         /usr/local/cuda-*/bin/compute-sanitizer /opt/nvidia/*/compute-sanitizer/compute-sanitizer; do
  [[ -z $sanitizer && -x $c ]] && sanitizer=$c
done
[[ -n $sanitizer ]] && "$sanitizer" --version >"$work/sanitizer-version.txt" 2>&1
gpu=0
if ((rehearsal)); then
  gpu=1
  sanitizer=$work/pass-through
  printf '#!/bin/sh\nwhile [ "${1#-}" != "$1" ]; do case $1 in --tool|--racecheck-report|--error-exitcode|--print-limit) shift;; esac; shift; done\nexec "$@"\n' >"$sanitizer"
  chmod +x "$sanitizer"
  step device fail "REHEARSAL on a machine without a GPU (${why:-no device}): the CPU stands in; this verdict says nothing about a GPU"
elif [[ ${ngpu:-0} =~ ^[0-9]+$ ]] && ((ngpu > 0)); then
  gpu=1
  step device pass "$(sed -n 's/^CUDA devices: //p' "$work/info.txt")"
else
  skip_why="no usable CUDA device: ${why:-unknown}"
  step device skip "$skip_why"
fi

# ---- the pack: every program starts and lists what it would run ---------------------------------
listed=0 bad=()
for b in "$here"/bin/*; do
  n=$(basename "$b")
  case $n in
    *_tests) out=$(timeout 30 "$b" --gtest_list_tests 2>&1) && listed=$((listed + $(grep -c '^  ' <<<"$out"))) ||
               bad+=("$n") ;;
    lethe_bench_*) timeout 30 "$b" --benchmark_list_tests >/dev/null 2>&1 || bad+=("$n") ;;
    lethe) timeout 30 "$b" info >/dev/null 2>&1 || bad+=("$n") ;;
    lethe_gpu_ceilings) ((gpu)) || { timeout 30 "$b" >/dev/null 2>&1; (($? == 2)) || bad+=("$n"); } ;;
  esac
done
if ((${#bad[@]})); then step pack fail "these programs do not start here: ${bad[*]} (log.txt)"
else step pack pass "$(ls "$here/bin" | wc -l) programs start; the test binaries hold $listed tests"; fi

# ---- ceilings ----------------------------------------------------------------------------------
if ((gpu)); then
  timeout "$(secs 45 400)" "$here/bin/lethe_gpu_ceilings" >"$work/ceilings.json" 2>"$work/ceilings.err"
  rc=$?
  if ((rc == 0)); then step ceilings pass "D2D copy, SGEMM and TF32 GEMM measured"
  else step ceilings fail "lethe_gpu_ceilings exited $rc: $(head -c 300 "$work/ceilings.json" "$work/ceilings.err" | tr '\n' ' ')"; fi
else
  step ceilings skip "$skip_why"
fi

# ---- every test binary, LETHE_EXPECT_GPU=1 ---------------------------------------------------
mkdir -p "$work/tests"
if ((gpu)); then
  tl=$(secs 120 300)
  for b in "$here"/bin/lethe_*_tests; do
    n=$(basename "$b")
    (cd "$work" && LETHE_EXPECT_GPU=1 OMP_NUM_THREADS=2 timeout -k 5 "$tl" "$b" --gtest_color=no \
       --gtest_output="json:$work/tests/$n.json" >"$work/tests/$n.log" 2>&1
     echo $? >"$work/tests/$n.rc") &
  done
  # The claims of bit-for-bit repeats, three times over (cuSPARSE CSR_ALG3, the scatter-add).
  (cd "$work" && LETHE_EXPECT_GPU=1 timeout -k 5 "$tl" "$here/bin/lethe_kernel_tests" --gtest_color=no \
     --gtest_filter='CudaVsRef_spmm_cusparse.*:CudaVsRef_scatter_add_rows.*' --gtest_repeat=3 \
     >"$work/tests/repeat3.log" 2>&1; echo $? >"$work/tests/repeat3.rc") &
  wait
  step tests done "(verdict in the summary below)"
else
  step tests skip "$skip_why (with LETHE_EXPECT_GPU=1 every CUDA test would fail; see README)"
fi

# ---- sanitizers (in parallel shards) and the CPU-vs-CUDA agreement, side by side ---------------
shared_sync='CudaVsRef_topk_rows.*:CudaVsRef_block_attention_*:CudaVsRef_attn_sample_indices.*'
shared_sync+=':CudaVsRef_batchnorm_*:CudaVsRef_bpr_*:CudaVsRef_scale_rows_backward.*:CudaVsRef_prelu_backward.*'
shared_sync+=':CudaVsRef_scatter_add_rows.*:CudaVsRef_linear_backward.*:CudaVsRef_infonce_*'
shared_sync+=':CudaVsRef_segmented_sqnorm.*:CudaVsRef_clip_global_norm.*:CudaVsRef_rowdot*:CudaVsRef_l2norm_rows*'
shared_sync+=':CudaVsRef_softmax_rows*:CudaVsRef_mean_of*:CudaVsRef_sqnorm_sum*:CudaVsRef_sum*:CudaVsRef_tur_*'
mkdir -p "$work/san"
agree_args=(--model mgcn --quiet)
if ((gpu)) && [[ -n $sanitizer ]]; then
  sl=$(secs 150 160)
  # tool shards filter
  for spec in "memcheck 6 CudaVsRef_*" "racecheck 4 $shared_sync" "synccheck 3 $shared_sync"; do
    read -r tool shards filter <<<"$spec"
    for ((i = 0; i < shards; ++i)); do
      extra=()
      [[ $tool == racecheck ]] && extra=(--racecheck-report hazard)
      (cd "$work" && GTEST_TOTAL_SHARDS=$shards GTEST_SHARD_INDEX=$i LETHE_EXPECT_GPU=1 timeout -k 5 "$sl" \
         "$sanitizer" --tool "$tool" "${extra[@]}" --error-exitcode 86 --print-limit 50 \
         "$here/bin/lethe_kernel_tests" --gtest_color=no --gtest_filter="$filter" \
         >"$work/san/$tool-$i.log" 2>&1; echo $? >"$work/san/$tool-$i.rc") &
    done
  done
  step sanitizers done "memcheck ×6, racecheck ×4, synccheck ×3 shards (verdict below)"
elif ((gpu)); then
  step sanitizers fail "compute-sanitizer not found (PATH, \$CUDA_HOME/bin, /usr/local/cuda*/, /opt/nvidia/)"
else
  step sanitizers skip "$skip_why"
fi

# The agreement run: TikTok (or synthetic TikTok-shaped data), one copy per backend so each builds
# its own kNN graphs.
agree() {  # agree NAME THREADS [DEVICE (default NAME)]
  local dev=$1 dir=$work/agree-$1 t=$2
  mkdir -p "$dir/data"
  if [[ -d $data/tiktok ]]; then cp -r "$data/tiktok" "$dir/data/tiktok"
  else "$here/bin/lethe" synth --out "$dir/data/tiktok" --users 9308 --items 6710 --interactions 68722 \
         --modalities image:128,audio:128 --seed 7 >"$dir/synth.log" 2>&1; fi
  local tl
  tl=$(secs 120 190)
  (cd "$dir" && OMP_NUM_THREADS=$t timeout -k 5 "$tl" "$here/bin/lethe" train --data "$dir/data/tiktok" \
     "${agree_args[@]}" --epochs "$epochs" --device "${3:-$dev}" --out "$dir/train" >"$dir/train.log" 2>&1
   echo $? >"$dir/train.rc")
  tl=$(secs 150 160)
  (cd "$dir" && OMP_NUM_THREADS=$t timeout -k 5 "$tl" "$here/bin/lethe" experiment --data "$dir/data/tiktok" \
     "${agree_args[@]}" --regime user --methods retrain,tru --seeds 1 --noise-floor off --epochs "$exp_epochs" \
     --unlearn.epochs "$exp_epochs" --device "${3:-$dev}" --out "$dir/experiment" >"$dir/experiment.log" 2>&1
   echo $? >"$dir/experiment.rc")
}
if ((gpu)); then
  agree cpu $((ncpu > 4 ? ncpu - 4 : 2)) &
  agree cuda 2 "$cuda_dev" &
  wait
  step agreement done "lethe train and lethe experiment on cpu and cuda (verdict below)"
else
  step agreement skip "$skip_why"
fi

# ---- benchmarks, on a quiet machine ------------------------------------------------------------
if ((gpu)); then
  (cd "$work" && timeout -k 5 "$(secs 100 60)" "$here/bin/lethe_bench_kernels" --benchmark_filter="$bench_filter" \
     --benchmark_min_time=0.05 --benchmark_out="$work/bench-kernels.json" --benchmark_out_format=json \
     >"$work/bench-kernels.log" 2>&1; echo $? >"$work/bench-kernels.rc")
  # The training-step profile: the trainer's steps op by op and replayed as CUDA graphs, whole epochs
  # timed, the full evaluation, against the ceilings measured above.
  sp_data=$data/tiktok sp_dev=cuda
  [[ -d $sp_data ]] || sp_data=$work/agree-cuda/data/tiktok
  ((rehearsal)) && sp_dev=cpu
  sp_ceil=()
  [[ -s $work/ceilings.json ]] && grep -q '"ceilings"' "$work/ceilings.json" && sp_ceil=(--ceilings "$work/ceilings.json")
  (cd "$work" && timeout -k 5 "$(secs 60 40)" "$here/bin/lethe_step_profile" --data "$sp_data" --models lightgcn,mgcn \
     --device "$sp_dev" --graphs --steps 3 --warmup 2 "${sp_ceil[@]}" --json "$work/step-profile.json" \
     --md "$work/step-profile.md" >"$work/step-profile.log" 2>&1; echo $? >"$work/step-profile.rc")
  (cd "$work" && LETHE_CACHE=$work/bench-cache timeout -k 5 "$(secs 60 5)" "$here/bin/lethe_bench_backbones" \
     --benchmark_filter="$backbone_filter" --benchmark_out="$work/bench-backbones.json" --benchmark_out_format=json \
     >"$work/bench-backbones.log" 2>&1; echo $? >"$work/bench-backbones.rc")
  step benchmarks done "kernels and backbones (verdict below)"
else
  step benchmarks skip "$skip_why"
fi

# ---- the report --------------------------------------------------------------------------------
if command -v python3 >/dev/null; then
  python3 "$here/report.py" --pack "$here" --work "$work" --out "$OUT" --gpu "$gpu" --elapsed "$(($(date +%s) - t0))"
  rc=$?
else
  { echo "python3 not found: no report; the raw step list:"; cat "$steps"; } >"$OUT/summary.txt"
  rc=1
fi
cat "$OUT/summary.txt"
exit "$rc"
