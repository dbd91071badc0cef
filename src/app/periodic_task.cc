#include "app/periodic_task.h"

#include <utility>

namespace fleetd {

PeriodicTask::PeriodicTask(std::function<void()> fn, std::chrono::milliseconds period)
    : thread_([this, fn = std::move(fn), period] {
        std::unique_lock lock(mu_);
        while (!stop_) {
          lock.unlock();
          fn();
          lock.lock();
          wake_.wait_for(lock, period, [this] { return stop_; });
        }
      }) {}

PeriodicTask::~PeriodicTask() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

}  // namespace fleetd
