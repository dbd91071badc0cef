#include "core/metrics.h"

#include <gtest/gtest.h>

namespace fleetd {
namespace {

TEST(MetricsTest, CountsByLabelAndRenders) {
  Metrics metrics;
  metrics.GetCounter("fleetd_frames_rejected_total", {{"protocol", "gt06"}, {"reason", "bad_checksum"}}).Add(2);
  metrics.GetCounter("fleetd_frames_rejected_total", {{"protocol", "gt06"}, {"reason", "malformed"}}).Add();
  metrics.AddGauge("fleetd_queue_depth", [] { return 7.0; });
  EXPECT_EQ(metrics.CounterValue("fleetd_frames_rejected_total", {{"protocol", "gt06"}, {"reason", "bad_checksum"}}), 2);
  EXPECT_EQ(metrics.CounterTotal("fleetd_frames_rejected_total"), 3);
  EXPECT_EQ(metrics.CounterValue("absent"), 0);
  std::string text = metrics.RenderPrometheus();
  EXPECT_NE(text.find("fleetd_frames_rejected_total{protocol=\"gt06\",reason=\"bad_checksum\"} 2"), std::string::npos);
  EXPECT_NE(text.find("fleetd_queue_depth 7"), std::string::npos);
}

}  // namespace
}  // namespace fleetd
