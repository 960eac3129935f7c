// kernels/registry.h — the list of every op with its CPU reference and CUDA entry point.
// tests/kernels/test_coverage.cpp walks it: an op fails coverage when it lacks a reference, a
// CUDA version, a CUDA-vs-reference test (a GoogleTest suite named CudaVsRef_<name>, possibly
// under a parameterised prefix), or — for differentiable ops — a finite-difference test (a
// suite named FiniteDiff_<fd>).
#pragma once

#include <vector>

namespace lethe {

using AnyFn = void (*)();

struct OpEntry {
  const char* name;    // the op's function name in lethe::ref and lethe::cuda
  const char* family;  // its header, kernels/<family>.h
  AnyFn ref;           // &ref::name<float> (or the non-template function)
  AnyFn cuda;          // &cuda::name (the stub in a build without CUDA)
  const char* fd;      // finite-difference test name for a differentiable op, or nullptr
};

const std::vector<OpEntry>& op_registry();

}  // namespace lethe
