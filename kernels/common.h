// kernels/common.h — the vocabulary every op shares: errors, shaped views, CSR views and the
// GPU execution context. Pure C++: included by CPU references, CUDA launchers and the engine
// alike, and never needs nvcc or the CUDA headers (CUDA handle types are forward-declared).
//
// Conventions for every op family (kernels/<op>.h, <op>_ref.cpp, <op>.cu, <op>_stub.cpp):
//  * lethe::ref::<op><T> is the CPU reference and the spec, T = float or double (the double
//    instantiation is what finite-difference tests use). lethe::cuda::<op> has the same name and
//    arguments for T = float, plus a trailing `const GpuExec&`.
//  * All pointers passed to a cuda:: op point to device memory, including scalar outputs such as
//    a loss (a T* of one element) and scalar inputs such as an upstream gradient: no host sync.
//  * Forward ops overwrite their outputs. Backward ops ACCUMULATE into input gradients
//    (dX += ...), so the tape can sum contributions from several consumers; a null gradient
//    pointer / empty view means "not needed" and is skipped.
//  * No float atomics anywhere on a gradient path: every reduction has a fixed order, so a
//    result is bit-identical run to run on one device (and independent of the thread count on
//    the CPU).
//  * Preconditions (shapes, CSR consistency that is cheap to check) are checked at the host
//    entry of both versions with LETHE_CHECK, which throws lethe::Error naming file:line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "lethe/error.h"

#if defined(__CUDACC__)
#define LETHE_HD __host__ __device__ __forceinline__
#else
#define LETHE_HD inline
#endif

// CUDA handle types, forward-declared exactly as the CUDA headers declare them.
struct CUstream_st;
struct cublasContext;
struct cusparseContext;

namespace lethe {

// ---- errors ---------------------------------------------------------------------------------
// lethe::Error is defined in the public header lethe/error.h (include/), so that users of the
// library catch the same type the engine throws.

// Throws lethe::Error("file:line: what"). Library code never calls exit().
[[noreturn]] void fail_at(const char* file, int line, const std::string& what);

#define LETHE_FAIL(msg) ::lethe::fail_at(__FILE__, __LINE__, (msg))
#define LETHE_CHECK(cond, msg)                                                             \
  do {                                                                                     \
    if (!(cond)) ::lethe::fail_at(__FILE__, __LINE__, std::string("check `" #cond "` failed: ") + (msg)); \
  } while (0)

// ---- element types --------------------------------------------------------------------------
enum class DType : uint8_t { F32 = 0, F64 = 1 };
inline size_t dtype_size(DType t) { return t == DType::F32 ? 4 : 8; }
inline const char* dtype_name(DType t) { return t == DType::F32 ? "f32" : "f64"; }
template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::F32; }
template <> constexpr DType dtype_of<double>() { return DType::F64; }

// ---- views ----------------------------------------------------------------------------------
// A contiguous row-major matrix view (rows × cols). Non-owning. Mat<T> converts to Mat<const T>.
template <class T>
struct Mat {
  T* data = nullptr;
  int64_t rows = 0, cols = 0;

  Mat() = default;
  LETHE_HD Mat(T* d, int64_t r, int64_t c) : data(d), rows(r), cols(c) {}
  template <class U, class = std::enable_if_t<std::is_same_v<const U, T> && !std::is_same_v<U, T>>>
  LETHE_HD Mat(const Mat<U>& o) : data(o.data), rows(o.rows), cols(o.cols) {}

  LETHE_HD int64_t size() const { return rows * cols; }
  LETHE_HD bool empty() const { return data == nullptr || rows * cols == 0; }
  LETHE_HD T* row(int64_t r) const { return data + r * cols; }
  LETHE_HD T& at(int64_t r, int64_t c) const { return data[r * cols + c]; }
  // Rows [r0, r0 + n) as a view (contiguous because the matrix is).
  LETHE_HD Mat slice_rows(int64_t r0, int64_t n) const { return Mat(data + r0 * cols, n, cols); }
};

// A contiguous vector view of n elements.
template <class T>
struct Vec {
  T* data = nullptr;
  int64_t n = 0;

  Vec() = default;
  LETHE_HD Vec(T* d, int64_t len) : data(d), n(len) {}
  template <class U, class = std::enable_if_t<std::is_same_v<const U, T> && !std::is_same_v<U, T>>>
  LETHE_HD Vec(const Vec<U>& o) : data(o.data), n(o.n) {}
  template <class U, class = std::enable_if_t<std::is_same_v<U, T> || std::is_same_v<const U, T>>>
  LETHE_HD explicit Vec(const Mat<U>& m) : data(m.data), n(m.rows * m.cols) {}

  LETHE_HD bool empty() const { return data == nullptr || n == 0; }
  LETHE_HD T& operator[](int64_t i) const { return data[i]; }
};

// Compressed sparse rows, int32 indices, float values (graph weights are constants: they are
// float even when the dense operands are double). Column indices within a row are sorted.
struct Csr {
  const int32_t* rowptr = nullptr;  // rows + 1
  const int32_t* col = nullptr;     // nnz
  const float* val = nullptr;       // nnz; may be null for ops that only need the pattern
  int64_t rows = 0, cols = 0, nnz = 0;
};

// ---- GPU execution context ------------------------------------------------------------------
// Device scratch memory for temporaries inside one op (sort buffers, B×B matrices, cuSPARSE
// buffers). The engine owns the implementation: a bump arena that is reset by the caller and
// stops allocating once warmed up (kernels/runtime.h Arena). Returned pointers are 256-byte
// aligned.
class Scratch {
 public:
  virtual ~Scratch() = default;
  virtual void* alloc(size_t bytes) = 0;
  template <class T>
  T* alloc_n(int64_t n) { return static_cast<T*>(alloc(static_cast<size_t>(n) * sizeof(T))); }
};

struct GpuExec {
  CUstream_st* stream = nullptr;      // a cuda::Context's stream (a launch on null fails)
  cublasContext* blas = nullptr;      // required by ops that call cuBLAS
  cusparseContext* sparse = nullptr;  // required by ops that call cuSPARSE
  Scratch* scratch = nullptr;         // required by ops that need temporaries
};

// ---- small helpers --------------------------------------------------------------------------
inline std::string shape_str(int64_t r, int64_t c) {
  return "(" + std::to_string(r) + "x" + std::to_string(c) + ")";
}
template <class A, class B>
inline void check_same_shape(const A& a, const B& b, const char* what) {
  if (a.rows != b.rows || a.cols != b.cols)
    LETHE_FAIL(std::string(what) + ": shape mismatch " + shape_str(a.rows, a.cols) + " vs " +
               shape_str(b.rows, b.cols));
}
// Basic CSR consistency (sizes only; O(1)). Deep validation lives in graph/.
inline void check_csr(const Csr& A, const char* what) {
  if (A.rows < 0 || A.cols < 0 || A.nnz < 0 || (A.rows > 0 && A.rowptr == nullptr) ||
      (A.nnz > 0 && A.col == nullptr))
    LETHE_FAIL(std::string(what) + ": malformed CSR view");
}

}  // namespace lethe
