// HoldingQueue: a Queue whose durability the test controls, to check that
// listeners acknowledge only durable batches and handle a full queue.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "fleetd/queue.h"

namespace fleetd::test {

// Holds every published batch until the test says it is durable (or not).
class HoldingQueue : public Queue {
 public:
  Status Publish(std::vector<Envelope>&& batch, DurableCallback on_durable) override {
    std::lock_guard lock(mu_);
    if (busy_left_ > 0) {
      --busy_left_;
      return Status(StatusCode::kBusy, "full");
    }
    held_.push_back({std::move(batch), std::move(on_durable)});
    cv_.notify_all();
    return Status::Ok();
  }
  std::unique_ptr<Delivery> Fetch(size_t, std::chrono::milliseconds) override { return nullptr; }
  void Close() override {}
  size_t depth() const override { return 0; }

  void RefuseNext(int times) {
    std::lock_guard lock(mu_);
    busy_left_ = times;
  }
  // Waits for the n-th published batch (1-based) and returns its messages.
  std::vector<Envelope> WaitForBatch(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(5), [&] { return held_.size() >= n; });
    return held_.size() >= n ? held_[n - 1].batch : std::vector<Envelope>{};
  }
  void Complete(size_t n, const Status& status) {
    DurableCallback cb;
    {
      std::lock_guard lock(mu_);
      cb = held_.at(n - 1).on_durable;
    }
    cb(status);
  }

 private:
  struct Held {
    std::vector<Envelope> batch;
    DurableCallback on_durable;
  };
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Held> held_;
  int busy_left_ = 0;
};

}  // namespace fleetd::test
