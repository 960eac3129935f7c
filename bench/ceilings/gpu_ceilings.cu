// bench/ceilings/gpu_ceilings.cpp — `lethe_gpu_ceilings`: what this GPU can do at best, measured,
// so that every benchmarked op can be read as a fraction of it (tools/gpu_check/report.py).
// Prints one JSON object: the device (name, compute capability, SMs, memory, L2), the driver,
// runtime, cuBLAS and cuSPARSE versions, and five ceilings, each the best of 10 timed
// repetitions after 3 untimed ones (CUDA events on a non-blocking stream):
//   d2d_copy    cudaMemcpyAsync device to device of 1 GiB; rate = bytes read + bytes written
//   sgemm       cublasSgemm 8192³ in plain FP32 (CUBLAS_DEFAULT_MATH, what the engine uses)
//   tf32_gemm   cublasGemmEx 8192³ with CUBLAS_COMPUTE_32F_FAST_TF32 (the tensor-core FP32 rate)
//   launch      an empty kernel launched from the host, 2000 back to back: seconds per launch
//   graph_node  the same 2000 launches captured as one CUDA graph and replayed: seconds per node
// The last two are the floors the step profile's prediction puts under every kernel launched op
// by op and under every kernel node of a replayed step (lethe_step_profile --ceilings reads this
// file as it is). Without a usable device it prints {"error": "<cudaGetErrorName>: <text>"} and
// exits with 2. Built only with the CUDA backend; talks to the CUDA libraries directly (no engine
// code).
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cusparse.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace {

[[noreturn]] void die(const std::string& what) {
  std::printf("{\"error\": \"%s\"}\n", what.c_str());
  std::exit(1);
}

void check(cudaError_t e, const char* call) {
  if (e != cudaSuccess) die(std::string(call) + ": " + cudaGetErrorName(e) + ": " + cudaGetErrorString(e));
}
void check(cublasStatus_t s, const char* call) {
  if (s != CUBLAS_STATUS_SUCCESS) die(std::string(call) + ": cuBLAS status " + std::to_string(static_cast<int>(s)));
}
#define CK(call) check((call), #call)

std::string version_string(int v) {  // 13000 -> "13.0"
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}

__global__ void empty_kernel() {}

struct Timing {
  double best_s = 0, median_s = 0;
};

// Best and median wall time of fn on the stream, by CUDA events: 3 untimed, then 10 timed runs.
Timing time_on(cudaStream_t s, const std::function<void()>& fn) {
  cudaEvent_t a, b;
  CK(cudaEventCreate(&a));
  CK(cudaEventCreate(&b));
  for (int k = 0; k < 3; ++k) fn();
  std::vector<double> t;
  for (int k = 0; k < 10; ++k) {
    CK(cudaEventRecord(a, s));
    fn();
    CK(cudaEventRecord(b, s));
    CK(cudaEventSynchronize(b));
    float ms = 0;
    CK(cudaEventElapsedTime(&ms, a, b));
    t.push_back(ms / 1e3);
  }
  CK(cudaEventDestroy(a));
  CK(cudaEventDestroy(b));
  std::sort(t.begin(), t.end());
  return Timing{t.front(), t[t.size() / 2]};
}

}  // namespace

int main() {
  int n = 0;
  const cudaError_t q = cudaGetDeviceCount(&n);
  if (q != cudaSuccess || n == 0) {
    std::printf("{\"error\": \"%s\"}\n",
                q != cudaSuccess ? (std::string(cudaGetErrorName(q)) + ": " + cudaGetErrorString(q)).c_str()
                                 : "the device query found no device");
    return 2;
  }
  cudaDeviceProp p{};
  CK(cudaGetDeviceProperties(&p, 0));
  int driver = 0, runtime = 0;
  CK(cudaDriverGetVersion(&driver));
  CK(cudaRuntimeGetVersion(&runtime));
  int blas_v[3] = {0, 0, 0}, sparse_v[3] = {0, 0, 0};
  const libraryPropertyType parts[3] = {MAJOR_VERSION, MINOR_VERSION, PATCH_LEVEL};
  for (int k = 0; k < 3; ++k) {
    CK(cublasGetProperty(parts[k], &blas_v[k]));
    if (cusparseGetProperty(parts[k], &sparse_v[k]) != CUSPARSE_STATUS_SUCCESS) die("cusparseGetProperty failed");
  }
  cudaStream_t s;
  CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  cublasHandle_t h;
  CK(cublasCreate(&h));
  CK(cublasSetStream(h, s));

  // Device-to-device copy of 1 GiB.
  const size_t bytes = size_t(1) << 30;
  void *src = nullptr, *dst = nullptr;
  CK(cudaMalloc(&src, bytes));
  CK(cudaMalloc(&dst, bytes));
  CK(cudaMemsetAsync(src, 0x3C, bytes, s));
  const Timing copy = time_on(s, [&] { CK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, s)); });
  CK(cudaFree(src));
  CK(cudaFree(dst));

  // 8192³ GEMMs on non-zero data (every element 0x3C3C3C3C ≈ 0.0115).
  const int N = 8192;
  const size_t mat = static_cast<size_t>(N) * N * sizeof(float);
  float *A = nullptr, *B = nullptr, *C = nullptr;
  CK(cudaMalloc(&A, mat));
  CK(cudaMalloc(&B, mat));
  CK(cudaMalloc(&C, mat));
  CK(cudaMemsetAsync(A, 0x3C, mat, s));
  CK(cudaMemsetAsync(B, 0x3C, mat, s));
  const float one = 1.f, zero = 0.f;
  CK(cublasSetMathMode(h, CUBLAS_DEFAULT_MATH));
  const Timing sgemm = time_on(s, [&] {
    CK(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, N, N, N, &one, A, N, B, N, &zero, C, N));
  });
  const Timing tf32 = time_on(s, [&] {
    CK(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, N, N, N, &one, A, CUDA_R_32F, N, B, CUDA_R_32F, N, &zero, C,
                    CUDA_R_32F, N, CUBLAS_COMPUTE_32F_FAST_TF32, CUBLAS_GEMM_DEFAULT));
  });
  CK(cudaFree(A));
  CK(cudaFree(B));
  CK(cudaFree(C));

  // Launch floors: 2000 empty kernels, launched one by one, then as one replayed graph.
  constexpr int kLaunches = 2000;
  const Timing launch = time_on(s, [&] {
    for (int k = 0; k < kLaunches; ++k) empty_kernel<<<1, 32, 0, s>>>();
    CK(cudaGetLastError());
  });
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  CK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
  for (int k = 0; k < kLaunches; ++k) empty_kernel<<<1, 32, 0, s>>>();
  CK(cudaStreamEndCapture(s, &graph));
  CK(cudaGraphInstantiate(&exec, graph, 0));
  const Timing node = time_on(s, [&] { CK(cudaGraphLaunch(exec, s)); });
  CK(cudaGraphExecDestroy(exec));
  CK(cudaGraphDestroy(graph));
  CK(cublasDestroy(h));
  CK(cudaStreamDestroy(s));

  const double flop = 2.0 * N * N * static_cast<double>(N);
  std::printf("{\n");
  std::printf("  \"device\": {\"name\": \"%s\", \"compute_capability\": \"%d.%d\", \"sms\": %d, "
              "\"memory_gib\": %.1f, \"l2_mib\": %.1f},\n",
              p.name, p.major, p.minor, p.multiProcessorCount, p.totalGlobalMem / 1073741824.0,
              p.l2CacheSize / 1048576.0);
  std::printf("  \"versions\": {\"driver_api\": \"%s\", \"runtime\": \"%s\", \"cublas\": \"%d.%d.%d\", "
              "\"cusparse\": \"%d.%d.%d\"},\n",
              version_string(driver).c_str(), version_string(runtime).c_str(), blas_v[0], blas_v[1], blas_v[2],
              sparse_v[0], sparse_v[1], sparse_v[2]);
  std::printf("  \"ceilings\": {\n");
  std::printf("    \"d2d_copy\": {\"bytes_per_s\": %.6g, \"median_bytes_per_s\": %.6g, \"what\": "
              "\"cudaMemcpyAsync device to device, 1 GiB, bytes read + written per second\"},\n",
              2.0 * bytes / copy.best_s, 2.0 * bytes / copy.median_s);
  std::printf("    \"sgemm\": {\"flops_per_s\": %.6g, \"median_flops_per_s\": %.6g, \"what\": "
              "\"cublasSgemm 8192^3, CUBLAS_DEFAULT_MATH (plain FP32)\"},\n",
              flop / sgemm.best_s, flop / sgemm.median_s);
  std::printf("    \"tf32_gemm\": {\"flops_per_s\": %.6g, \"median_flops_per_s\": %.6g, \"what\": "
              "\"cublasGemmEx 8192^3, CUBLAS_COMPUTE_32F_FAST_TF32\"},\n",
              flop / tf32.best_s, flop / tf32.median_s);
  std::printf("    \"launch\": {\"seconds\": %.6g, \"median_seconds\": %.6g, \"what\": "
              "\"an empty kernel launched from the host, %d back to back, per launch\"},\n",
              launch.best_s / kLaunches, launch.median_s / kLaunches, kLaunches);
  std::printf("    \"graph_node\": {\"seconds\": %.6g, \"median_seconds\": %.6g, \"what\": "
              "\"%d empty kernels captured as one CUDA graph and replayed, per node\"}\n",
              node.best_s / kLaunches, node.median_s / kLaunches, kLaunches);
  std::printf("  }\n}\n");
  return 0;
}
