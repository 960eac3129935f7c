// fuzz/fuzz_json.cpp — libFuzzer target for the JSON parser (io/json.cpp): any input parses or
// raises lethe::Error; what parses must survive dump → parse → dump unchanged.
#include <cstdint>
#include <string>

#include "io/json.h"
#include "kernels/common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const lethe::io::Json j = lethe::io::Json::parse(text, "fuzz.json");
    const std::string a = j.dump(2);
    const std::string b = lethe::io::Json::parse(a, "fuzz.json#dump").dump(2);
    if (a != b) __builtin_trap();
  } catch (const lethe::Error&) {
  }
  return 0;
}
