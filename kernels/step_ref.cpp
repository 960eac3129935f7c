// kernels/step_ref.cpp — CPU reference for kernels/step.h (the spec): the step's first and last
// kernels over the per-step state. The Adam factors are computed exactly as ref::adam_step
// computes them from an AdamHp (std::pow and std::sqrt in double), so a step that takes them from
// the state updates the parameters bit for bit as one that passes them by value.
#include <cmath>
#include <string>

#include "kernels/step.h"
#include "kernels/step_check.h"

namespace lethe::ref {

void step_begin(StepState* st, double beta1, double beta2, Vec<const int32_t> all_users,
                Vec<const int32_t> all_items, int64_t batch, Vec<int32_t> users, Vec<int32_t> items) {
  detail::check_step_begin(st, beta1, beta2, all_users, all_items, batch, users, items);
  const uint32_t s = st->next_step;
  const int64_t r0 = static_cast<int64_t>(s) * batch;
  LETHE_CHECK(r0 + users.n <= all_users.n, "step_begin: step " + std::to_string(s) + " of " + std::to_string(batch) +
                                               " rows reads past the epoch's " + std::to_string(all_users.n) + " rows");
  st->step = s;
  st->next_step = s + 1;
  st->adam_t += 1;
  const double t = static_cast<double>(st->adam_t);
  st->step_size = st->lr / (1.0 - std::pow(beta1, t));
  st->bc2_sqrt = std::sqrt(1.0 - std::pow(beta2, t));
  for (int64_t i = 0; i < users.n; ++i) {
    users[i] = all_users[r0 + i];
    items[i] = all_items[r0 + i];
  }
}

template <class T>
void accumulate_losses(StepState* st, const T* total, const T* rank, const T* reg, const T* aux) {
  detail::check_accumulate_losses(st, total);
  const T* terms[4] = {total, rank, reg, aux};
  for (int k = 0; k < 4; ++k)
    if (terms[k]) st->loss[k] += static_cast<double>(*terms[k]);
  if (!std::isfinite(static_cast<double>(*total)) && st->bad_step < 0) st->bad_step = st->step;
  st->steps += 1;
}

template void accumulate_losses<float>(StepState*, const float*, const float*, const float*, const float*);
template void accumulate_losses<double>(StepState*, const double*, const double*, const double*, const double*);

}  // namespace lethe::ref
