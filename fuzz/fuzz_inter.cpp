// fuzz/fuzz_inter.cpp — libFuzzer target for the .inter parser (io/inter.cpp). Any input must
// either parse into a consistent Dataset or raise lethe::Error; anything else (a crash, a
// sanitizer report, another exception type, a broken invariant) is a finding.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "io/dataset.h"
#include "kernels/common.h"

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (bool reject : {false, true}) {
    lethe::io::LoadOptions opt;
    opt.reject_duplicates = reject;
    try {
      const lethe::io::Dataset d = lethe::io::parse_inter(text, "fuzz.inter", opt);
      check(d.train.size() > 0);
      check(d.n_users > 0 && d.n_items > 0 && d.n_users <= lethe::io::kMaxId && d.n_items <= lethe::io::kMaxId);
      int32_t max_u = -1, max_i = -1;
      for (const auto* s : {&d.train, &d.valid, &d.test}) {
        check(s->user.size() == s->item.size());
        for (size_t k = 0; k < s->user.size(); ++k) {
          check(s->user[k] >= 0 && s->user[k] < d.n_users && s->item[k] >= 0 && s->item[k] < d.n_items);
          max_u = s->user[k] > max_u ? s->user[k] : max_u;
          max_i = s->item[k] > max_i ? s->item[k] : max_i;
        }
      }
      check(max_u + 1 == d.n_users && max_i + 1 == d.n_items);
      check(!reject || d.duplicates_dropped == 0);
      int32_t prev = -1;
      for (int32_t u : d.users_without_train) {
        check(u > prev && u < d.n_users);
        prev = u;
      }
    } catch (const lethe::Error&) {
      // a clean rejection
    }
  }
  return 0;
}
