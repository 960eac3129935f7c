// fuzz/fuzz_checkpoint.cpp — libFuzzer target for the checkpoint reader (io/checkpoint.cpp).
// Random bytes almost never pass the checksum, so the input is first "sealed": its last 8 bytes
// are replaced by the correct checksum, which lets the fuzzer reach the structural checks
// (metadata and tensor table bounds) behind it.
#include <cstdint>
#include <cstring>
#include <string>

#include "io/checkpoint.h"
#include "io/hash.h"
#include "kernels/common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string b(reinterpret_cast<const char*>(data), size);
  for (int sealed = 0; sealed < 2; ++sealed) {
    if (sealed) {
      if (b.size() < 8) break;
      const uint64_t h = lethe::io::hash64(b.data(), b.size() - 8, 0x4C455448);
      std::memcpy(&b[b.size() - 8], &h, 8);
    }
    try {
      const lethe::io::Checkpoint c = lethe::io::parse_checkpoint(b.data(), b.size(), "fuzz.ckpt");
      for (const auto& t : c.tensors)
        if (t.bytes.size() != static_cast<size_t>(t.rows * t.cols) * lethe::io::ckpt_dtype_size(t.dtype)) __builtin_trap();
    } catch (const lethe::Error&) {
    }
  }
  return 0;
}
