// io/progress.cpp — see progress.h.
#include "io/progress.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace lethe::io {

std::string format_duration(double s) {
  if (!(s >= 0) || !std::isfinite(s)) return "?";
  char buf[32];
  if (s < 10) {
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  } else if (s < 60) {
    std::snprintf(buf, sizeof buf, "%.0fs", std::floor(s));
  } else if (s < 3600) {
    const long long m = static_cast<long long>(s / 60);
    std::snprintf(buf, sizeof buf, "%lldm%02llds", m, static_cast<long long>(s) - 60 * m);
  } else {
    const long long h = static_cast<long long>(s / 3600);
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", h, (static_cast<long long>(s) - 3600 * h) / 60);
  }
  return buf;
}

double Stopwatch::eta(double done, double total) const {
  if (!(done > 0)) return NAN;
  return seconds() / done * std::max(0.0, total - done);
}

}  // namespace lethe::io
