// See blocking_pool.h.
#include "api/blocking_pool.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>

#include "core/thread_name.h"

namespace fleetd::api {

struct BlockingPool::Queue {
  explicit Queue(size_t max) : max_queued(max) {}
  const size_t max_queued;
  std::mutex mu;
  std::condition_variable wake;
  std::deque<std::function<void()>> jobs;
  bool stopping = false;
};

BlockingPool::BlockingPool(size_t threads, size_t max_queued) : queue_(std::make_shared<Queue>(max_queued)) {
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([queue = queue_, i] {
      SetThreadName("query-" + std::to_string(i));
      Run(queue);
    });
  }
}

BlockingPool::~BlockingPool() { Stop(); }

bool BlockingPool::TrySubmit(std::function<void()> job) {
  {
    std::lock_guard lock(queue_->mu);
    if (queue_->stopping || queue_->jobs.size() >= queue_->max_queued) return false;
    queue_->jobs.push_back(std::move(job));
  }
  queue_->wake.notify_one();
  return true;
}

void BlockingPool::Stop() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard lock(queue_->mu);
    queue_->stopping = true;
    dropped.swap(queue_->jobs);
  }
  queue_->wake.notify_all();
  dropped.clear();  // outside the lock: a job's captures may run destructors that submit
  for (auto& t : threads_) {
    if (!t.joinable()) continue;
    if (t.get_id() == std::this_thread::get_id()) {
      t.detach();
    } else {
      t.join();
    }
  }
}

size_t BlockingPool::queued() const {
  std::lock_guard lock(queue_->mu);
  return queue_->jobs.size();
}

void BlockingPool::Run(const std::shared_ptr<Queue>& queue) {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(queue->mu);
      queue->wake.wait(lock, [&] { return queue->stopping || !queue->jobs.empty(); });
      if (queue->stopping) return;
      job = std::move(queue->jobs.front());
      queue->jobs.pop_front();
    }
    job();
  }
}

}  // namespace fleetd::api
