// kernels/omp_wait.h — the OpenMP wait policy this process runs with. Every Lethe program starts
// with OMP_WAIT_POLICY=passive unless the user chose a policy or a spin count (the start-up
// mechanism and why it is needed are in kernels/common.cpp).
#pragma once

namespace lethe {
// The value of OMP_WAIT_POLICY libgomp read, or a note that it runs with its default.
const char* omp_wait_policy();
}  // namespace lethe
