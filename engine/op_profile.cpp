// engine/op_profile.cpp — see op_profile.h.
#include "engine/op_profile.h"

#include <time.h>

#include <algorithm>

#include "io/fs.h"
#include "io/json.h"
#include "kernels/common.h"

namespace lethe::prof {

namespace {
Recorder* g_active = nullptr;
std::atomic<bool> g_counting{false};
double secs(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }
}  // namespace

std::atomic<int64_t>& parallel_regions() {
  static std::atomic<int64_t> n{0};
  return n;
}
void note_region_counting() { g_counting.store(true, std::memory_order_relaxed); }
bool regions_counted() { return g_counting.load(std::memory_order_relaxed); }

int64_t Profile::op_calls() const {
  int64_t n = 0;
  for (const auto& [name, t] : ops) n += t.calls;
  return n;
}
double Profile::flops() const {
  double f = 0;
  for (const auto& [name, t] : ops) f += t.flops;
  return f;
}
double Profile::bytes() const {
  double b = 0;
  for (const auto& [name, t] : ops) b += t.bytes;
  return b;
}

Recorder* active() { return g_active; }

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

Ceilings read_ceilings(const std::string& path) {
  const io::Json j = io::Json::parse(io::read_file(path), path);
  LETHE_CHECK(j.is_object(), path + ": expected a JSON object of ceilings");
  Ceilings c;
  c.source = path;
  const auto get = [&](const char* key, double& v) {
    if (const io::Json* x = j.find(key)) {
      LETHE_CHECK(x->is_number() && x->as_double() > 0, path + ": \"" + key + "\" must be a positive number");
      v = x->as_double();
    }
  };
  get("bandwidth_bytes_per_s", c.bandwidth);
  get("fp32_flops_per_s", c.fp32);
  get("tf32_flops_per_s", c.tf32);
  get("op_floor_s", c.op_floor);
  get("sync_s", c.sync);
  return c;
}

double predict_call(const Call& call, const Ceilings& c, bool tf32) {
  const double rate = tf32 && call.cost.matrix ? c.tf32 : c.fp32;
  return std::max({call.cost.flops / rate, call.cost.bytes / c.bandwidth, c.op_floor});
}

Prediction predict(const Profile& p, const Ceilings& c) {
  Prediction r;
  for (const Call& call : p.calls) {
    r.seconds += predict_call(call, c, false);
    r.seconds_tf32 += predict_call(call, c, true);
    r.roofline += std::max(call.cost.flops / c.fp32, call.cost.bytes / c.bandwidth);
  }
  r.sync = static_cast<double>(p.host_reads) * c.sync;
  r.seconds += r.sync;
  r.seconds_tf32 += r.sync;
  return r;
}

Recorder::Recorder() {
  LETHE_CHECK(g_active == nullptr, "op profile: a recorder is already active");
  g_active = this;
  regions0_ = parallel_regions().load(std::memory_order_relaxed);
  cpu0_ = process_cpu_seconds();
  t0_ = std::chrono::steady_clock::now();
}

Recorder::~Recorder() {
  if (active_) stop();
}

Profile Recorder::stop() {
  if (active_) {
    p_.seconds = secs(std::chrono::steady_clock::now() - t0_);
    p_.cpu_seconds = process_cpu_seconds() - cpu0_;
    p_.regions_total = parallel_regions().load(std::memory_order_relaxed) - regions0_;
    int64_t in_ops = 0;
    for (const auto& [name, t] : p_.ops) in_ops += t.regions;
    p_.regions_outside_ops = p_.regions_total - in_ops;
    active_ = false;
    if (g_active == this) g_active = nullptr;
  }
  return p_;
}

void OpScope::begin(Recorder* r, const char* name, const Cost& cost) {
  r_ = r;
  if (r->depth_++ > 0) {  // nested: counted in the outer op
    nested_ = true;
    return;
  }
  name_ = name;
  cost_ = cost;
  regions0_ = parallel_regions().load(std::memory_order_relaxed);
  cpu0_ = process_cpu_seconds();
  t0_ = std::chrono::steady_clock::now();
}

void OpScope::end() {
  --r_->depth_;
  if (nested_) return;
  const double s = secs(std::chrono::steady_clock::now() - t0_);
  const double cpu = process_cpu_seconds() - cpu0_;
  OpTotals& t = r_->p_.ops[name_];
  ++t.calls;
  t.cpu_seconds += cpu;
  t.flops += cost_.flops;
  t.bytes += cost_.bytes;
  t.seconds += s;
  t.regions += parallel_regions().load(std::memory_order_relaxed) - regions0_;
  t.matrix = t.matrix || cost_.matrix;
  r_->p_.calls.push_back(Call{name_, cost_, s, cpu});
}

void transfer(Transfer kind, double bytes) {
  Recorder* r = active();
  if (!r) return;
  if (kind == Transfer::HostRead) {
    ++r->p_.host_reads;
    r->p_.host_read_bytes += bytes;
  } else {
    ++r->p_.uploads;
    r->p_.upload_bytes += bytes;
  }
}

}  // namespace lethe::prof
