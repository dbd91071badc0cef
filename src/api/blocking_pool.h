// BlockingPool: a few threads for the API's CPU-heavy work — password
// hashing (scrypt, ~100 ms and 32 MiB each) — so that it never runs on an io
// thread, where one login would stall every HTTP and WebSocket client that
// thread serves. The queue is bounded: a flood of logins is refused at once
// (the caller answers 503) instead of queueing memory and latency.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace fleetd::api {

class BlockingPool {
 public:
  BlockingPool(size_t threads, size_t max_queued);
  ~BlockingPool();  // Stop()
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  // Queues `job` to run on a pool thread. False (and `job` dropped) when
  // max_queued jobs already wait, or after Stop().
  bool TrySubmit(std::function<void()> job);

  // Refuses new jobs, drops the queued ones, waits for the running ones.
  // Idempotent. Called from a pool thread (a job dropping the pool's last
  // owner), it leaves that thread to finish on its own: the threads share
  // the queue's state, so it outlives the pool for them.
  void Stop();

  size_t queued() const;

 private:
  struct Queue;
  static void Run(const std::shared_ptr<Queue>& queue);

  std::shared_ptr<Queue> queue_;
  std::vector<std::thread> threads_;
};

}  // namespace fleetd::api
