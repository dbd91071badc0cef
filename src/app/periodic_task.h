// PeriodicTask: runs a function now and then every `period` on a thread of
// its own, until destroyed. For store maintenance in `fleetd process`
// (partitions ahead, rollups, retention: docs/postgres.md), which takes
// seconds and must not hold an io thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace fleetd {

class PeriodicTask {
 public:
  // `fn` runs on the task's thread, first right away; never twice at once.
  PeriodicTask(std::function<void()> fn, std::chrono::milliseconds period);
  // Waits for a run in progress to finish, then stops.
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

 private:
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace fleetd
