// fuzz/fuzz_npy.cpp — libFuzzer target for the .npy parser (io/npy.cpp). Any input must either
// parse into a consistent, finite float32 table or raise lethe::Error.
#include <cmath>
#include <cstdint>
#include <string>

#include "io/dataset.h"
#include "kernels/common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const lethe::io::FeatureTable t = lethe::io::parse_npy(data, size, "fuzz_feat.npy");
    if (t.rows < 0 || t.cols < 0) __builtin_trap();
    if (t.data.size() != static_cast<size_t>(t.rows) * static_cast<size_t>(t.cols)) __builtin_trap();
    for (float x : t.data)
      if (!std::isfinite(x)) __builtin_trap();
  } catch (const lethe::Error&) {
  }
  return 0;
}
