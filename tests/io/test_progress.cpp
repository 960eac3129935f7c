// tests/io/test_progress.cpp — the durations and ETAs of progress lines (io/progress.h): the
// formatting at each unit boundary, and the ETA's extrapolation (no ETA before anything is done).
#include <gtest/gtest.h>

#include <cmath>

#include "io/progress.h"

namespace lethe::io {
namespace {

TEST(Progress, DurationsAsPeopleReadThem) {
  EXPECT_EQ(format_duration(0), "0.0s");
  EXPECT_EQ(format_duration(0.44), "0.4s");
  EXPECT_EQ(format_duration(9.94), "9.9s");
  EXPECT_EQ(format_duration(10), "10s");
  EXPECT_EQ(format_duration(59.9), "59s");
  EXPECT_EQ(format_duration(60), "1m00s");
  EXPECT_EQ(format_duration(125), "2m05s");
  EXPECT_EQ(format_duration(3599), "59m59s");
  EXPECT_EQ(format_duration(3600), "1h00m");
  EXPECT_EQ(format_duration(3720), "1h02m");
  EXPECT_EQ(format_duration(-1), "?");
  EXPECT_EQ(format_duration(NAN), "?");
  EXPECT_EQ(format_duration(INFINITY), "?");
}

TEST(Progress, EtaExtrapolatesTheTimePerUnit) {
  const Stopwatch w;
  EXPECT_TRUE(std::isnan(w.eta(0, 10)));  // nothing done: no estimate
  const double s = w.seconds();
  // A quarter done: three times the elapsed time left (the clock moved a little since `s`).
  const double left = w.eta(1, 4);
  EXPECT_GE(left, 3 * s);
  EXPECT_EQ(w.eta(4, 4), 0.0);
  EXPECT_EQ(w.eta(5, 4), 0.0);  // past the total: nothing left, never negative
}

}  // namespace
}  // namespace lethe::io
