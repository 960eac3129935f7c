// kernels/cuda_check.h — the one error-macro family for CUDA code (.cu launchers and the
// runtime wrappers). Every macro throws lethe::Error naming file:line and the failing call;
// LETHE_LAUNCH_CHECK(op) follows every kernel launch and names the op. With the debug switch on
// (env LETHE_CUDA_SYNC=1 or lethe::cuda::set_sync_after_launch(true)) it also synchronises the
// stream so an asynchronous fault is reported at the launch that caused it.
// Only included from code compiled with the CUDA headers available.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cusparse.h>

#include <string>

#include "kernels/common.h"

namespace lethe::cuda {
bool sync_after_launch();
const char* cublas_status_name(cublasStatus_t s);
void launch_check(const char* op, const char* file, int line, cudaStream_t stream);
}  // namespace lethe::cuda

#define LETHE_CUDA_CHECK(call)                                                              \
  do {                                                                                      \
    cudaError_t lethe_err_ = (call);                                                        \
    if (lethe_err_ != cudaSuccess)                                                          \
      ::lethe::fail_at(__FILE__, __LINE__, std::string(#call " failed: ") +                 \
                                               cudaGetErrorName(lethe_err_) + ": " +        \
                                               cudaGetErrorString(lethe_err_));             \
  } while (0)

#define LETHE_CUBLAS_CHECK(call)                                                            \
  do {                                                                                      \
    cublasStatus_t lethe_st_ = (call);                                                      \
    if (lethe_st_ != CUBLAS_STATUS_SUCCESS)                                                 \
      ::lethe::fail_at(__FILE__, __LINE__, std::string(#call " failed: ") +                 \
                                               ::lethe::cuda::cublas_status_name(lethe_st_)); \
  } while (0)

#define LETHE_CUSPARSE_CHECK(call)                                                          \
  do {                                                                                      \
    cusparseStatus_t lethe_st_ = (call);                                                    \
    if (lethe_st_ != CUSPARSE_STATUS_SUCCESS)                                               \
      ::lethe::fail_at(__FILE__, __LINE__, std::string(#call " failed: ") +                 \
                                               cusparseGetErrorString(lethe_st_));          \
  } while (0)

// After every kernel launch: LETHE_LAUNCH_CHECK("spmm", g.stream);
#define LETHE_LAUNCH_CHECK(op, stream) ::lethe::cuda::launch_check((op), __FILE__, __LINE__, (stream))

namespace lethe::cuda {
// Grid size for a grid-stride loop over n elements.
inline unsigned grid_for(int64_t n, int block, int64_t max_blocks = 65535LL * 8) {
  int64_t b = (n + block - 1) / block;
  if (b < 1) b = 1;
  if (b > max_blocks) b = max_blocks;
  return static_cast<unsigned>(b);
}
}  // namespace lethe::cuda
