// engine/ops_dispatch.h — the private machinery of the engine ops (ops.cpp, ops_miggt.cpp):
// device/dtype dispatch, operand checks, optional views, and the LETHE_OPS_* macros that wrap a
// reference call and a CUDA call into one dispatching body. Not part of the engine's interface.
#pragma once

#include <string>
#include <type_traits>

#include "engine/context.h"
#include "engine/op_profile.h"
#include "engine/tensor.h"

namespace lethe::ops::detail {

struct CpuTag {};
struct GpuTag {};

// Calls f(T{}, CpuTag{}) with T = float or double on a CPU context, f(float{}, GpuTag{}) on a
// CUDA one (f64 is a CPU-only precision, used by the finite-difference checks).
template <class F>
void dispatch(Ctx& c, DType dt, const char* op, F&& f) {
  if (!c.is_cuda()) {
    if (dt == DType::F32) f(float{}, CpuTag{});
    else f(double{}, CpuTag{});
  } else {
    if (dt != DType::F32) LETHE_FAIL(std::string(op) + ": the CUDA backend computes in f32 only");
    f(float{}, GpuTag{});
  }
}
template <class D>
constexpr bool is_cpu = std::is_same_v<D, CpuTag>;

// Every defined operand must live on the context's device and share one dtype; returns it
// (f32 when no operand is defined).
inline DType check_on(Ctx& c, const char* op, std::initializer_list<const Tensor*> ts) {
  const Tensor* first = nullptr;
  for (const Tensor* t : ts) {
    if (!t->defined()) continue;
    if (t->device != c.device())
      LETHE_FAIL(std::string(op) + ": operand on " + device_name(t->device) + " but the context is " +
                 device_name(c.device()));
    if (!first) first = t;
    else if (t->dtype != first->dtype) LETHE_FAIL(std::string(op) + ": operands of different dtypes");
  }
  return first ? first->dtype : DType::F32;
}
inline void check_idx(Ctx& c, const char* op, const IdxTensor& i) {
  if (i.n > 0 && i.device != c.device())
    LETHE_FAIL(std::string(op) + ": index array on " + device_name(i.device) + " but the context is " +
               device_name(c.device()));
}

// Views that are empty when the tensor is undefined (a gradient nobody needs).
template <class T> Vec<T> ov(const Tensor& t) { return t.defined() ? t.vec<T>() : Vec<T>(); }
template <class T> Mat<T> om(const Tensor& t) { return t.defined() ? t.mat<T>() : Mat<T>(); }
template <class T> const T* optr(const Tensor& t) { return t.defined() ? t.ptr<T>() : nullptr; }

}  // namespace lethe::ops::detail

// Every op declares its cost (engine/op_profile.h) before LETHE_OPS_BEGIN, or opens its span
// with LETHE_OPS_SCOPE when it dispatches by hand: LETHE_OPS_BEGIN needs `cost_`.
#define LETHE_OPS_COST(flops, bytes) \
  const ::lethe::prof::Cost cost_{static_cast<double>(flops), static_cast<double>(bytes), false}
#define LETHE_OPS_MATRIX_COST(flops, bytes) \
  const ::lethe::prof::Cost cost_{static_cast<double>(flops), static_cast<double>(bytes), true}
#define LETHE_OPS_SCOPE(name) const ::lethe::prof::OpScope prof_scope_(name, cost_)

#define LETHE_OPS_BEGIN(name, ...)                \
  LETHE_OPS_SCOPE(name);                          \
  const char* op_ = name;                         \
  const DType dt_ = detail::check_on(c, op_, {__VA_ARGS__}); \
  detail::dispatch(c, dt_, op_, [&](auto t_, auto d_) { \
    using T = decltype(t_);                       \
    (void)sizeof(T);                              \
    if constexpr (detail::is_cpu<decltype(d_)>) {
#define LETHE_OPS_GPU \
    } else {
#define LETHE_OPS_END \
    }                 \
  });

