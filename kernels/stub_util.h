// kernels/stub_util.h — what a cuda:: entry point does in a build without CUDA.
#pragma once

#include <string>

#include "kernels/common.h"

namespace lethe::cuda {
[[noreturn]] inline void no_cuda(const char* op) {
  throw Error(std::string("lethe::cuda::") + op +
              ": built without CUDA (reconfigure with nvcc available and LETHE_CUDA=AUTO or ON)");
}
}  // namespace lethe::cuda
