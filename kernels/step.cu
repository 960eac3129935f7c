// kernels/step.cu — CUDA versions of kernels/step.h.
//  * step_begin: one block. Thread 0 reads the step number, advances the state and computes
//    Adam's factors (pow and sqrt in double, as the reference; CUDA's double pow is within 1 ulp
//    of glibc's, and the factors are rounded to float where Adam uses them); the block then
//    copies the step's rows (a few thousand indices) into the fixed batch buffers. A row outside
//    the epoch's arrays is written as −1 (the reference throws; a kernel cannot).
//  * accumulate_losses: one thread adds the four terms in order, in double, as the reference.
// Both read and write the state only on the device: no host synchronisation.
#include "kernels/cuda_util.cuh"
#include "kernels/step.h"
#include "kernels/step_check.h"

namespace lethe::cuda {

namespace {

__global__ void step_begin_kernel(StepState* st, double beta1, double beta2, const int32_t* __restrict__ all_u,
                                  const int32_t* __restrict__ all_i, int64_t n_all, int64_t batch,
                                  int32_t* __restrict__ u, int32_t* __restrict__ it, int64_t count) {
  __shared__ uint32_t s_sh;
  if (threadIdx.x == 0) {
    const uint32_t s = st->next_step;
    s_sh = s;
    st->step = s;
    st->next_step = s + 1;
    st->adam_t += 1;
    const double t = static_cast<double>(st->adam_t);
    st->step_size = st->lr / (1.0 - pow(beta1, t));
    st->bc2_sqrt = sqrt(1.0 - pow(beta2, t));
  }
  __syncthreads();
  const int64_t r0 = static_cast<int64_t>(s_sh) * batch;
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x) {
    const int64_t r = r0 + i;
    const bool in = r < n_all;
    u[i] = in ? all_u[r] : -1;
    it[i] = in ? all_i[r] : -1;
  }
}

__global__ void accumulate_losses_kernel(StepState* st, const float* total, const float* rank, const float* reg,
                                         const float* aux) {
  const float* terms[4] = {total, rank, reg, aux};
  for (int k = 0; k < 4; ++k)
    if (terms[k]) st->loss[k] += static_cast<double>(*terms[k]);
  if (!isfinite(*total) && st->bad_step < 0) st->bad_step = st->step;
  st->steps += 1;
}

}  // namespace

void step_begin(StepState* st, double beta1, double beta2, Vec<const int32_t> all_users, Vec<const int32_t> all_items,
                int64_t batch, Vec<int32_t> users, Vec<int32_t> items, const GpuExec& g) {
  detail::check_step_begin(st, beta1, beta2, all_users, all_items, batch, users, items);
  step_begin_kernel<<<1, 1024, 0, g.stream>>>(st, beta1, beta2, all_users.data, all_items.data, all_users.n, batch,
                                              users.data, items.data, users.n);
  LETHE_LAUNCH_CHECK("step_begin", g.stream);
}

void accumulate_losses(StepState* st, const float* total, const float* rank, const float* reg, const float* aux,
                       const GpuExec& g) {
  detail::check_accumulate_losses(st, total);
  accumulate_losses_kernel<<<1, 1, 0, g.stream>>>(st, total, rank, reg, aux);
  LETHE_LAUNCH_CHECK("accumulate_losses", g.stream);
}

}  // namespace lethe::cuda
