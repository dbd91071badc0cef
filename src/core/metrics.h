// Metrics: counters and gauges rendered in Prometheus text format.
//
// Counter handles are stable pointers; hot paths look a counter up once (per
// connection or per protocol) and then only do an atomic add. The registry is
// owned by the app and passed to the parts that count, never a global.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace fleetd {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Add(int64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

class Metrics {
 public:
  // Returns the counter for name+labels, creating it at zero. Thread-safe.
  Counter& GetCounter(const std::string& name, const Labels& labels = {}, const std::string& help = "");
  // A gauge read at render time. `read` must be thread-safe and cheap.
  void AddGauge(const std::string& name, std::function<double()> read, const std::string& help = "");

  // Current value, 0 if the counter was never created (tests, /metrics).
  int64_t CounterValue(const std::string& name, const Labels& labels = {}) const;
  // Sum over every label set of a counter.
  int64_t CounterTotal(const std::string& name) const;

  std::string RenderPrometheus() const;

 private:
  struct Family {
    std::string help;
    std::map<std::string, std::unique_ptr<Counter>> by_labels;  // key: rendered label set
  };
  static std::string RenderLabels(const Labels& labels);

  mutable std::mutex mu_;
  std::map<std::string, Family> counters_;
  std::map<std::string, std::pair<std::string, std::function<double()>>> gauges_;
};

}  // namespace fleetd
