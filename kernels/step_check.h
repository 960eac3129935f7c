// kernels/step_check.h — the host-side precondition checks of kernels/step.h, shared by the CPU
// reference (step_ref.cpp) and the CUDA launchers (step.cu). Plain C++ (no CUDA headers).
// The reference also checks that the step's rows lie inside the epoch's arrays (it can read the
// step number); the CUDA kernel cannot throw and writes −1 for a row outside them instead.
#pragma once

#include <cstdint>
#include <string>

#include "kernels/step.h"

namespace lethe::detail {

inline void check_step_begin(const StepState* st, double beta1, double beta2, Vec<const int32_t> all_users,
                             Vec<const int32_t> all_items, int64_t batch, Vec<int32_t> users, Vec<int32_t> items) {
  LETHE_CHECK(st != nullptr, "step_begin: no step state");
  LETHE_CHECK(beta1 >= 0.0 && beta1 < 1.0 && beta2 >= 0.0 && beta2 < 1.0, "step_begin: betas must lie in [0, 1)");
  LETHE_CHECK(all_users.n == all_items.n, "step_begin: the epoch's user and item arrays differ in length (" +
                                              std::to_string(all_users.n) + " vs " + std::to_string(all_items.n) + ")");
  LETHE_CHECK(users.n == items.n, "step_begin: the batch's user and item buffers differ in length");
  LETHE_CHECK(batch >= 1 && users.n <= batch, "step_begin: a batch of " + std::to_string(users.n) +
                                                  " rows does not fit the batch size " + std::to_string(batch));
  LETHE_CHECK(users.n == 0 || (users.data && items.data && all_users.data && all_items.data),
              "step_begin: missing arrays");
}

inline void check_accumulate_losses(const void* st, const void* total) {
  LETHE_CHECK(st != nullptr, "accumulate_losses: no step state");
  LETHE_CHECK(total != nullptr, "accumulate_losses: the total loss is required");
}

}  // namespace lethe::detail
