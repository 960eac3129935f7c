// engine/op_profile.h — what each engine op costs, and a recorder that adds it up.
//
// Every engine op (engine/ops.h) declares its own cost before it runs: the floating-point
// operations it performs and the bytes it must move to and from memory (LETHE_OPS_COST in
// engine/ops_dispatch.h; an op without a declaration does not compile). The conventions:
//   * flops: arithmetic operations as written in the reference (a multiply-add is 2; an exp,
//     log, tanh, sqrt or division counts as 1), for the f32 path;
//   * bytes: the op's compulsory memory traffic — every operand read once, every output written
//     once, an accumulated output (backward ops add into their gradients) read and written,
//     gathered rows counted once per gathered row, index arrays included;
//   * matrix: the op is dominated by dense matrix products (GEMM, the InfoNCE similarity,
//     attention blocks), which a GPU runs at its GEMM rate rather than its vector rate.
// Host transfers are declared where they happen (Tape::item, Tape::upload*, ops that return a
// value to the host): on the CUDA backend each host read is a synchronisation and each upload a
// copy; on the CPU backend they cost nothing, but the profile counts them all the same, so the
// count a GPU step would pay is readable without a GPU.
//
// Recording is off unless a Recorder is active (one at a time, on the thread that runs the ops);
// then every op is timed (wall clock, the CPU backend is synchronous, and the process's CPU
// time, which stays meaningful on a shared machine) and, when the program
// counts OpenMP parallel regions (bench/profile does, by wrapping libgomp's entry points), each
// op's regions are attributed to it. Off, an op pays one branch.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace lethe::prof {

struct Cost {
  double flops = 0, bytes = 0;
  bool matrix = false;
};

// Bytes of a defined tensor (0 for an undefined one: a gradient nobody asked for).
inline double nb(const Tensor& t) { return t.defined() ? static_cast<double>(t.bytes()) : 0.0; }
// Elements of a defined tensor.
inline double ne(const Tensor& t) { return t.defined() ? static_cast<double>(t.numel()) : 0.0; }
// An accumulated output: read and written.
inline double acc(const Tensor& t) { return 2.0 * nb(t); }
inline double idx_bytes(int64_t n) { return 4.0 * static_cast<double>(n); }

enum class Transfer { HostRead, Upload };

// Totals of one op name.
struct OpTotals {
  int64_t calls = 0;
  double flops = 0, bytes = 0, seconds = 0;
  double cpu_seconds = 0;  // CPU time of the whole process (all threads) during the op
  int64_t regions = 0;
  bool matrix = false;
};

// One op call.
struct Call {
  const char* name = nullptr;
  Cost cost;
  double seconds = 0;
  double cpu_seconds = 0;
};

// What happened while a Recorder was active.
struct Profile {
  std::vector<Call> calls;                // in order
  std::map<std::string, OpTotals> ops;    // totals by op name
  int64_t host_reads = 0, uploads = 0;
  double host_read_bytes = 0, upload_bytes = 0;
  int64_t regions_outside_ops = 0;  // parallel regions not inside any engine op (tape, trainer)
  int64_t regions_total = 0;
  double seconds = 0;               // wall time between start and stop
  double cpu_seconds = 0;           // CPU time of the process (all threads) between start and stop
  int64_t op_calls() const;
  double flops() const;
  double bytes() const;
};

// OpenMP parallel regions started so far in this process, when the program counts them (a
// wrapper of libgomp's GOMP_parallel* increments it and calls note_region_counting()).
std::atomic<int64_t>& parallel_regions();
void note_region_counting();
bool regions_counted();

class Recorder {
 public:
  Recorder();   // starts recording (fails if another Recorder is active)
  ~Recorder();  // stops
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;
  // Ends the recording and returns it (the Recorder stays inactive afterwards).
  Profile stop();

 private:
  friend class OpScope;
  friend void transfer(Transfer, double);
  Profile p_;
  bool active_ = true;
  int depth_ = 0;
  int64_t regions0_ = 0;
  double cpu0_ = 0;
  std::chrono::steady_clock::time_point t0_;
};

// A GPU's ceilings for the roofline prediction. The defaults are an H100's (named constants
// below); a measured-ceilings JSON (read_ceilings) replaces them.
struct Ceilings {
  static constexpr double kH100Bandwidth = 3.0e12;  // bytes/s: the measured-class HBM3 stream rate
  static constexpr double kH100Fp32 = 51.0e12;      // FLOP/s: FP32 on the vector units (no tensor cores)
  static constexpr double kH100Tf32 = 378.0e12;     // FLOP/s: dense TF32 on the tensor cores
  static constexpr double kOpFloor = 2.0e-6;        // s: the least an op's kernels take, launch to finish
  static constexpr double kSync = 10.0e-6;          // s: one device-to-host read (a synchronisation)
  double bandwidth = kH100Bandwidth, fp32 = kH100Fp32, tf32 = kH100Tf32, op_floor = kOpFloor, sync = kSync;
  std::string source = "H100 constants";
};
// Reads {"bandwidth_bytes_per_s", "fp32_flops_per_s", "tf32_flops_per_s", "op_floor_s", "sync_s"}
// (any subset: missing keys keep the defaults) from a JSON file; errors name the file and key.
Ceilings read_ceilings(const std::string& path);

// The predicted GPU time of a recorded profile: every op call takes max(flops / rate,
// bytes / bandwidth, op_floor) — rate = FP32 (or TF32 for matrix ops in the tf32 variant) — and
// every host read adds one synchronisation.
struct Prediction {
  double seconds = 0;       // FP32 everywhere (the engine's default math)
  double seconds_tf32 = 0;  // matrix ops at the TF32 rate
  double roofline = 0;      // Σ max(flops / FP32 rate, bytes / bandwidth): no floor, no syncs
  double sync = 0;          // the synchronisations' share
};
Prediction predict(const Profile& p, const Ceilings& c);
double predict_call(const Call& call, const Ceilings& c, bool tf32 = false);

// The active recorder, or null.
Recorder* active();

// One engine op's span: records name, cost, wall time and parallel regions when a recorder is
// active. Nested spans (an op implemented with other ops) are counted in the outermost only.
class OpScope {
 public:
  OpScope(const char* name, const Cost& cost) {
    if (Recorder* r = active()) begin(r, name, cost);
  }
  ~OpScope() {
    if (r_) end();
  }
  OpScope(const OpScope&) = delete;
  OpScope& operator=(const OpScope&) = delete;

 private:
  void begin(Recorder* r, const char* name, const Cost& cost);
  void end();
  Recorder* r_ = nullptr;
  bool nested_ = false;
  const char* name_ = nullptr;
  Cost cost_;
  int64_t regions0_ = 0;
  double cpu0_ = 0;
  std::chrono::steady_clock::time_point t0_;
};

// A host transfer the CUDA backend would make (host read = a synchronisation), of `bytes`.
void transfer(Transfer kind, double bytes);

}  // namespace lethe::prof
