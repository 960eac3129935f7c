# Lethe — the two commands of the README, and a few conveniences.
#   make demo    build, then run the unlearning experiment on the embedded synthetic dataset
#   make test    build everything (CUDA included when nvcc exists) and run the test suite
#   make bench   run the kernel benchmarks (JSON in $(BUILD)/bench-kernels.json)
#   make gpu-pack  the one-run GPU check: $(BUILD)/gpu-pack/, to run there as run.sh (README)
BUILD ?= build
# libgomp's default spin-waiting burns the cores other processes need: with ctest -j2 or any
# other load on a 2-core machine it made CPU training steps up to 8x slower (MIG-GT step 18.8 s
# vs 2.4 s). Every Lethe program now starts with passive waiting by itself (kernels/common.cpp);
# the export only keeps the setting explicit for whatever else make runs.
export OMP_WAIT_POLICY ?= passive
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all build demo test bench gpu-pack clean

all: build

build:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

demo: build
	./tools/demo.sh $(BUILD)

bench: build
	$(BUILD)/bench/lethe_bench_kernels --benchmark_out=$(BUILD)/bench-kernels.json --benchmark_out_format=json

gpu-pack:
	PACK_BUILD=$(BUILD)/gpu-pack-build JOBS=$(JOBS) ./tools/gpu_pack.sh $(BUILD)/gpu-pack

clean:
	rm -rf $(BUILD)
