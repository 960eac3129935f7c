// io/progress.h — the time parts of progress output: a duration as people read it, and the
// elapsed time and ETA of work measured in units done out of a total (training batches and
// epochs, unlearning epochs, an experiment's runs). The ETA is a linear extrapolation of the time
// per unit so far; progress lines carry it so that a long run says how long it still needs.
#pragma once

#include <chrono>
#include <string>

namespace lethe::io {

// "0.4s", "7s", "2m05s", "1h02m" (seconds ≥ 0; a negative or NaN value prints "?").
std::string format_duration(double seconds);

class Stopwatch {
 public:
  Stopwatch() : t0_(std::chrono::steady_clock::now()) {}
  void restart() { t0_ = std::chrono::steady_clock::now(); }
  double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count(); }
  // The time left when `done` of `total` units took seconds() so far: seconds() / done ×
  // (total − done); NaN while nothing is done.
  double eta(double done, double total) const;

 private:
  std::chrono::steady_clock::time_point t0_;
};

}  // namespace lethe::io
