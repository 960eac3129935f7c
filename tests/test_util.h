// tests/test_util.h — the test discipline in one place.
//
// Tolerance policy (one for the whole project): an element passes when
//     |got − ref| ≤ atol + rtol · |ref|
// and every element of `got` must be finite. A failure reports how many elements failed and the
// worst one (index, got, ref). Whole tensors may also be compared by NMSE = ‖got−ref‖²/‖ref‖².
// Default tolerances (every loosening in a test carries a comment saying why):
//   CUDA float vs CPU float reference, elementwise maps:          atol 1e-6, rtol 1e-5
//   CUDA vs CPU where summation order differs (GEMM, SpMM, sums): atol 1e-5, rtol 1e-4
//   analytic vs finite-difference gradient, double, central diff: atol 1e-7, rtol 1e-5 (eps 1e-6)
// Outputs live inside guard regions (a sentinel pattern before and after); the body is poisoned
// (NaN bytes) before an op runs, so an unwritten element shows as non-finite and an
// out-of-bounds write shows as a damaged guard.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/common.h"
#include "kernels/runtime.h"

namespace lethe::test {

inline bool have_gpu() { return cuda::device_count() > 0; }

// LETHE_EXPECT_GPU=1 (any value but "" and "0") says "this machine has a GPU": a test that
// would skip for lack of one fails instead, naming the CUDA error of the device query.
inline bool gpu_expected() {
  const char* e = std::getenv("LETHE_EXPECT_GPU");
  return e && *e && std::string(e) != "0";
}

// Why there is no usable GPU, for a skip or a failure message.
inline std::string no_gpu_reason() {
  const std::string why = cuda::device_query_error();
  return "no usable CUDA device: " + (why.empty() ? cuda::device_description() : why);
}

// The one way a test asks for a GPU: skips (saying why) when none is usable, or fails when
// LETHE_EXPECT_GPU=1. Use at the top of a TEST body (or a fixture's SetUp). It also marks the test
// with the property needs_gpu=yes, which --gtest_output=json reports (the GPU check counts them).
#define LETHE_REQUIRE_GPU()                                                                  \
  do {                                                                                       \
    ::testing::Test::RecordProperty("needs_gpu", "yes");                                     \
    if (!::lethe::test::have_gpu()) {                                                        \
      if (::lethe::test::gpu_expected())                                                     \
        FAIL() << "LETHE_EXPECT_GPU is set but this CUDA test cannot run: "                  \
               << ::lethe::test::no_gpu_reason();                                            \
      GTEST_SKIP() << "CUDA test skipped: " << ::lethe::test::no_gpu_reason();               \
    }                                                                                        \
  } while (0)

struct Tol {
  double atol, rtol;
};
constexpr Tol kTolMap{1e-6, 1e-5};
constexpr Tol kTolSum{1e-5, 1e-4};
constexpr Tol kTolFd{1e-7, 1e-5};

// ---- seeded data ----------------------------------------------------------------------------
template <class T>
std::vector<T> random_vec(int64_t n, uint64_t seed, double lo = -1.0, double hi = 1.0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> d(lo, hi);
  std::vector<T> v(static_cast<size_t>(n));
  for (auto& x : v) x = static_cast<T>(d(rng));
  return v;
}
inline std::vector<int32_t> random_idx(int64_t n, int32_t range, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int32_t> d(0, range - 1);
  std::vector<int32_t> v(static_cast<size_t>(n));
  for (auto& x : v) x = d(rng);
  return v;
}
template <class To, class From>
std::vector<To> cast_vec(const std::vector<From>& v) {
  return std::vector<To>(v.begin(), v.end());
}

// ---- comparison -----------------------------------------------------------------------------
template <class G, class R>
::testing::AssertionResult allclose(const G* got, const R* ref, int64_t n, Tol tol, const std::string& what = "") {
  int64_t bad = 0, worst = -1;
  double worst_excess = -1.0;
  for (int64_t i = 0; i < n; ++i) {
    const double g = static_cast<double>(got[i]), r = static_cast<double>(ref[i]);
    const bool same_inf = std::isinf(g) && std::isinf(r) && ((g > 0) == (r > 0));
    const double err = same_inf ? 0.0 : std::abs(g - r);
    const double lim = tol.atol + tol.rtol * std::abs(r);
    const bool ok = same_inf || (std::isfinite(g) && err <= lim);
    if (!ok) {
      ++bad;
      const double excess = std::isfinite(err) ? err - lim : std::numeric_limits<double>::infinity();
      if (excess > worst_excess || worst < 0) { worst_excess = excess; worst = i; }
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  std::ostringstream os;
  os.precision(9);
  os << what << ": " << bad << " of " << n << " elements outside atol " << tol.atol << " + rtol " << tol.rtol
     << "; worst at index " << worst << ": got " << static_cast<double>(got[worst]) << ", ref "
     << static_cast<double>(ref[worst]);
  return ::testing::AssertionFailure() << os.str();
}
template <class G, class R>
::testing::AssertionResult allclose(const std::vector<G>& got, const std::vector<R>& ref, Tol tol,
                                    const std::string& what = "") {
  if (got.size() != ref.size())
    return ::testing::AssertionFailure() << what << ": size " << got.size() << " vs " << ref.size();
  return allclose(got.data(), ref.data(), static_cast<int64_t>(got.size()), tol, what);
}
template <class G, class R>
double nmse(const std::vector<G>& got, const std::vector<R>& ref) {
  double num = 0, den = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double d = double(got[i]) - double(ref[i]);
    num += d * d;
    den += double(ref[i]) * double(ref[i]);
  }
  return den > 0 ? num / den : num;
}

// ---- guarded buffers ------------------------------------------------------------------------
constexpr int64_t kGuard = 64;          // elements of guard on each side
constexpr unsigned char kGuardByte = 0x5A;
constexpr unsigned char kPoisonByte = 0xFF;  // NaN for float/double, −1 for ints

// A host buffer of n elements between two guard regions.
template <class T>
class Guarded {
 public:
  explicit Guarded(int64_t n) : n_(n), buf_(static_cast<size_t>(n + 2 * kGuard)) {
    std::memset(static_cast<void*>(buf_.data()), kGuardByte, buf_.size() * sizeof(T));
    poison();
  }
  Guarded(const std::vector<T>& v) : Guarded(static_cast<int64_t>(v.size())) { set(v); }
  T* data() { return buf_.data() + kGuard; }
  const T* data() const { return buf_.data() + kGuard; }
  int64_t size() const { return n_; }
  Vec<T> vec() { return Vec<T>(data(), n_); }
  Mat<T> mat(int64_t r, int64_t c) {
    EXPECT_EQ(r * c, n_);
    return Mat<T>(data(), r, c);
  }
  void poison() { std::memset(static_cast<void*>(data()), kPoisonByte, static_cast<size_t>(n_) * sizeof(T)); }
  void set(const std::vector<T>& v) {
    EXPECT_EQ(static_cast<int64_t>(v.size()), n_);
    std::memcpy(static_cast<void*>(data()), v.data(), static_cast<size_t>(n_) * sizeof(T));
  }
  std::vector<T> get() const { return std::vector<T>(data(), data() + n_); }
  bool guards_intact() const {
    const auto* b = reinterpret_cast<const unsigned char*>(buf_.data());
    const size_t g = kGuard * sizeof(T), body = static_cast<size_t>(n_) * sizeof(T);
    for (size_t i = 0; i < g; ++i)
      if (b[i] != kGuardByte || b[g + body + i] != kGuardByte) return false;
    return true;
  }

 private:
  int64_t n_;
  std::vector<T> buf_;
};

// A device buffer of n elements between two guard regions (GPU tests only), owned by the test's
// context: every fill and read goes through that context's stream, so a read after an op sees
// the op's result without any device-wide synchronisation.
template <class T>
class DeviceGuarded {
 public:
  DeviceGuarded(cuda::Context& ctx, int64_t n) : ctx_(ctx), n_(n) {
    total_ = static_cast<size_t>(n + 2 * kGuard) * sizeof(T);
    base_ = static_cast<char*>(cuda::device_malloc(total_));
    cuda::memset_device(base_, kGuardByte, total_, ctx_);
    poison();
  }
  DeviceGuarded(cuda::Context& ctx, const std::vector<T>& v) : DeviceGuarded(ctx, static_cast<int64_t>(v.size())) {
    upload(v);
  }
  ~DeviceGuarded() { cuda::device_free(base_); }
  DeviceGuarded(const DeviceGuarded&) = delete;
  DeviceGuarded& operator=(const DeviceGuarded&) = delete;
  T* data() { return reinterpret_cast<T*>(base_ + kGuard * sizeof(T)); }
  int64_t size() const { return n_; }
  Vec<T> vec() { return Vec<T>(data(), n_); }
  Mat<T> mat(int64_t r, int64_t c) {
    EXPECT_EQ(r * c, n_);
    return Mat<T>(data(), r, c);
  }
  void poison() { cuda::memset_device(data(), kPoisonByte, static_cast<size_t>(n_) * sizeof(T), ctx_); }
  void upload(const std::vector<T>& v) {
    EXPECT_EQ(static_cast<int64_t>(v.size()), n_);
    cuda::memcpy_h2d(data(), v.data(), static_cast<size_t>(n_) * sizeof(T), ctx_);
  }
  std::vector<T> download() {
    std::vector<T> v(static_cast<size_t>(n_));
    cuda::memcpy_d2h(v.data(), data(), static_cast<size_t>(n_) * sizeof(T), ctx_);
    return v;
  }
  bool guards_intact() {
    std::vector<unsigned char> h(total_);
    cuda::memcpy_d2h(h.data(), base_, total_, ctx_);
    const size_t g = kGuard * sizeof(T), body = static_cast<size_t>(n_) * sizeof(T);
    for (size_t i = 0; i < g; ++i)
      if (h[i] != kGuardByte || h[g + body + i] != kGuardByte) return false;
    return true;
  }

 private:
  cuda::Context& ctx_;
  int64_t n_;
  size_t total_ = 0;
  char* base_ = nullptr;
};

// ---- finite differences ---------------------------------------------------------------------
// Central differences of a scalar function of the vector x (double), one coordinate at a time.
inline std::vector<double> fd_gradient(const std::function<double()>& f, std::vector<double>& x, double eps = 1e-6) {
  std::vector<double> g(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double keep = x[i];
    x[i] = keep + eps;
    const double fp = f();
    x[i] = keep - eps;
    const double fm = f();
    x[i] = keep;
    g[i] = (fp - fm) / (2 * eps);
  }
  return g;
}

// Σ_i w[i] · y[i]: projects an op's output onto fixed random weights, so that the backward with
// dy = w is the gradient of this scalar.
inline double project(const std::vector<double>& y, const std::vector<double>& w) {
  double s = 0;
  for (size_t i = 0; i < y.size(); ++i) s += y[i] * w[i];
  return s;
}

// Names a shape-table case for SCOPED_TRACE / parameterised test names.
inline std::string case_name(const std::string& op, std::initializer_list<int64_t> dims, uint64_t seed) {
  std::string s = op;
  for (auto d : dims) s += "_" + std::to_string(d);
  return s + "_seed" + std::to_string(seed);
}

}  // namespace lethe::test
