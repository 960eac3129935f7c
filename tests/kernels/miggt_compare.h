// tests/kernels/miggt_compare.h — the CUDA-vs-reference harness shared by the MIG-GT kernel
// families' tests (batchnorm, attention, tur, edgedrop). One case = float inputs (uploaded as
// they are) and float outputs that either start poisoned (forward ops: an unwritten element
// shows as NaN) or start from given values (accumulating backward ops). The reference runs on
// guarded host buffers, the CUDA op on guarded device buffers; every output is compared under
// the given tolerance and its guards are checked; then the CUDA op runs a second time from the
// same starting state and must reproduce its first result bit for bit (determinism).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kernels/runtime.h"
#include "tests/test_util.h"

namespace lethe::test {

struct OpCase {
  std::vector<std::vector<float>> in;    // inputs
  std::vector<std::vector<float>> out0;  // outputs: starting values (accumulate) or just the sizes
  bool accumulate = false;
};

// run_ref(p) / run_gpu(p, exec) receive the raw pointers, inputs first, then outputs.
template <class RefFn, class GpuFn>
void compare_op(cuda::Context& ctx, const OpCase& b, RefFn run_ref, GpuFn run_gpu, Tol tol, const std::string& what) {
  std::vector<Guarded<float>> hin, hout;
  hin.reserve(b.in.size());
  hout.reserve(b.out0.size());
  for (const auto& v : b.in) hin.emplace_back(v);
  for (const auto& v : b.out0) {
    hout.emplace_back(static_cast<int64_t>(v.size()));
    if (b.accumulate) hout.back().set(v);
  }
  std::vector<float*> hp;
  for (auto& h : hin) hp.push_back(h.data());
  for (auto& h : hout) hp.push_back(h.data());
  run_ref(hp);

  std::vector<std::unique_ptr<DeviceGuarded<float>>> din, dout;
  for (const auto& v : b.in) din.push_back(std::make_unique<DeviceGuarded<float>>(ctx, v));
  for (const auto& v : b.out0) dout.push_back(std::make_unique<DeviceGuarded<float>>(ctx, static_cast<int64_t>(v.size())));
  auto reset_outputs = [&] {
    for (size_t k = 0; k < dout.size(); ++k) {
      if (b.accumulate) dout[k]->upload(b.out0[k]);
      else dout[k]->poison();
    }
  };
  std::vector<float*> dp;
  for (auto& d : din) dp.push_back(d->data());
  for (auto& d : dout) dp.push_back(d->data());
  reset_outputs();
  run_gpu(dp, ctx.exec());
  ctx.sync();
  std::vector<std::vector<float>> first;
  for (size_t k = 0; k < dout.size(); ++k) {
    EXPECT_TRUE(hout[k].guards_intact()) << what << ": reference wrote out of bounds, output " << k;
    EXPECT_TRUE(dout[k]->guards_intact()) << what << ": out-of-bounds write, output " << k;
    first.push_back(dout[k]->download());
    EXPECT_TRUE(allclose(first.back(), hout[k].get(), tol, what + " output " + std::to_string(k)));
  }
  ctx.arena().reset();
  reset_outputs();
  run_gpu(dp, ctx.exec());
  ctx.sync();
  for (size_t k = 0; k < dout.size(); ++k)
    EXPECT_EQ(dout[k]->download(), first[k]) << what << ": output " << k << " is not bit-identical on a second run";
  ctx.arena().reset();
}

// Subtracts the starting value of an accumulated gradient, leaving the increment.
inline std::vector<double> minus_start(std::vector<double> v, const std::vector<double>& start) {
  for (size_t i = 0; i < v.size(); ++i) v[i] -= start[i];
  return v;
}

}  // namespace lethe::test
