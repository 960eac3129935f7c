#!/usr/bin/env bash
# tools/gpu_pack.sh — builds the one-run GPU check (`make gpu-pack`; README: "Checking on a GPU"):
# a self-contained folder, at most 40 MiB, to copy to a machine that has a GPU, the CUDA driver
# and toolkit but no network and no data sets, and run there with ./run.sh.
#   bin/   the programs, built for sm_90 with the four project libraries shared (one copy of the
#          CUDA code for all of them), stripped, RUNPATH $ORIGIN/../lib
#   lib/   the project's shared libraries and every non-system library they need (libstdc++,
#          libgomp, libbenchmark, ...); the CUDA libraries (cudart, cuBLAS, cuSPARSE, ...) are
#          not copied — run.sh looks them up on the machine (listed in cuda-libs.txt)
#   data.tar.gz  the data sets the tests and the agreement run read (from $LETHE_DATA, else where
#          the tests look: tests/data_dir.h; never committed: the pack is a build output)
#   run.sh, report.py (tools/gpu_check/), MANIFEST.json
# Usage: tools/gpu_pack.sh [PACK_DIR]   (default build/gpu-pack)
# Environment: PACK_BUILD (the build folder, default build/gpu-pack-build), JOBS (default 2),
# LETHE_DATA (the data root, as for the tests). Needs nvcc (the CUDA backend); fails if the pack exceeds 40 MiB.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
pack=${1:-$root/build/gpu-pack}
bld=${PACK_BUILD:-$root/build/gpu-pack-build}
jobs=${JOBS:-2}
data_root=${LETHE_DATA:-$root/../shared/data}
limit=$((40 * 1024 * 1024))

command -v nvcc >/dev/null || { echo "gpu_pack: nvcc not found; the pack needs the CUDA backend" >&2; exit 1; }
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)

echo "gpu_pack: configuring $bld"
cmake -S "$root" -B "$bld" -DCMAKE_BUILD_TYPE=Release -DLETHE_CUDA=ON -DLETHE_CUDA_ARCHITECTURES=90 \
  -DLETHE_SHARED_LIBS=ON -DLETHE_WERROR=ON -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON \
  '-DCMAKE_INSTALL_RPATH=$ORIGIN/../lib' "${launcher[@]}" >/dev/null
programs=(lethe lethe_gpu_ceilings lethe_bench_kernels lethe_bench_backbones lethe_step_profile lethe_kernel_tests
          lethe_engine_tests lethe_io_tests lethe_graph_tests lethe_model_tests lethe_unlearn_tests lethe_bench_tests)
# The program lethe is the CMake target lethe_cli (tools/CMakeLists.txt); the others share their names.
targets=(lethe_cli "${programs[@]:1}")
echo "gpu_pack: building ${programs[*]}"
nice cmake --build "$bld" -j "$jobs" --target "${targets[@]}"

rm -rf "$pack"
mkdir -p "$pack/bin" "$pack/lib"
for p in "${programs[@]}"; do
  f=$(find "$bld" -type f -name "$p" -perm -u+x | head -n 1)
  [[ -n $f ]] || { echo "gpu_pack: $p was not built" >&2; exit 1; }
  cp "$f" "$pack/bin/$p"
done
find "$bld" -name 'liblethe_*.so' -type f -exec cp {} "$pack/lib/" \;

# Dependencies: glibc stays the machine's; the CUDA libraries are the machine's (listed);
# everything else is copied. The loader here resolves them (the project's own from lib/).
is_system() { [[ $1 =~ ^(linux-vdso|ld-linux-x86-64|libc|libm|libdl|libpthread|librt|libresolv|libutil)\.so ]]; }
is_cuda() { [[ $1 =~ ^lib(cuda|cudart|cublas|cublasLt|cusparse|nvJitLink|nvrtc|curand|cufft|cusolver|nvToolsExt|cupti)\.so ]]; }
: >"$pack/cuda-libs.tmp"
for f in "$pack"/bin/* "$pack"/lib/*.so; do
  while read -r name arrow path _; do
    [[ $arrow == "=>" ]] || continue
    if is_system "$name"; then continue; fi
    if is_cuda "$name"; then echo "$name" >>"$pack/cuda-libs.tmp"; continue; fi
    [[ $name == liblethe_* ]] && continue
    [[ $path == not ]] && { echo "gpu_pack: $f needs $name, which is not found here" >&2; exit 1; }
    [[ -e $pack/lib/$name ]] || cp -L "$path" "$pack/lib/$name"
  done < <(LD_LIBRARY_PATH="$pack/lib" ldd "$f")
done
sort -u "$pack/cuda-libs.tmp" >"$pack/cuda-libs.txt"
rm "$pack/cuda-libs.tmp"
chmod u+w "$pack"/lib/*
strip --strip-unneeded "$pack"/bin/* "$pack"/lib/*

# Data: the three data sets the tests read (TikTok also feeds the agreement run).
have_data=()
for d in tiktok amazon-baby amazon-sports; do [[ -d $data_root/$d ]] && have_data+=("$d"); done
if ((${#have_data[@]})); then
  tar -czf "$pack/data.tar.gz" -C "$data_root" --exclude=.lethe-cache "${have_data[@]}"
else
  echo "gpu_pack: no data under $data_root (set LETHE_DATA): the data-set tests will skip there and the" \
       "agreement run will use synthetic TikTok-shaped data" >&2
fi

cp "$root/tools/gpu_check/run.sh" "$root/tools/gpu_check/report.py" "$pack/"
chmod +x "$pack/run.sh"
commit=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
git -C "$root" diff --quiet HEAD 2>/dev/null || commit="$commit+uncommitted"
nvcc_v=$(nvcc --version | sed -n 's/.*release \([0-9.]*\), \(V[0-9.]*\).*/\1 (\2)/p')
python3 - "$pack/MANIFEST.json" "$commit" "$nvcc_v" "${have_data[*]:-}" <<'EOF'
import json, os, sys, time
path, commit, nvcc, data = sys.argv[1:5]
pack = os.path.dirname(path)
files = {}
for d, _, names in os.walk(pack):
    for n in names:
        p = os.path.join(d, n)
        files[os.path.relpath(p, pack)] = os.path.getsize(p)
json.dump({"commit": commit, "built": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "nvcc": nvcc,
           "cuda_architectures": "90 (sm_90 SASS + compute_90 PTX)", "data_sets": data.split(),
           "cuda_libs_from_the_machine": open(os.path.join(pack, "cuda-libs.txt")).read().split(),
           "files": dict(sorted(files.items()))}, open(path, "w"), indent=2)
EOF

size=$(du -sb "$pack" | cut -f1)
printf 'gpu_pack: %s — %.1f MiB (limit 40 MiB), commit %s, data: %s\n' "$pack" "$(echo "$size / 1048576" | bc -l)" \
  "$commit" "${have_data[*]:-none}"
((size <= limit)) || { echo "gpu_pack: the pack is over 40 MiB" >&2; exit 1; }
echo "gpu_pack: run it on a GPU machine as: OUT=<dir> $pack/run.sh"
