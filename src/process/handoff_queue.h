// HandoffQueue: a bounded FIFO between two threads of the Processor (the
// writers and the finisher, the finisher and the acker). Push waits for
// room, so a slow consumer holds its producers back instead of letting
// written batches pile up; Close lets the consumer drain what is queued and
// then see the end.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

namespace fleetd {

template <typename T>
class HandoffQueue {
 public:
  explicit HandoffQueue(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}

  // Waits for room, then runs `under_lock(item)` and queues `item` in one
  // step under the queue's lock (a writer releases its partitions there, so
  // no other writer can queue their next batch ahead of this one).
  template <typename F>
  void Push(T item, F&& under_lock) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return items_.size() < capacity_; });
      under_lock(item);
      items_.push_back(std::move(item));
    }
    cv_.notify_all();
  }
  void Push(T item) {
    Push(std::move(item), [](T&) {});
  }

  // The oldest item, waiting for one; nullopt once closed and empty.
  std::optional<T> Pop() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;
    std::optional<T> item(std::move(items_.front()));
    items_.pop_front();
    lock.unlock();
    cv_.notify_all();  // room for a producer
    return item;
  }

  // No more pushes: Pop returns what is queued, then nullopt. Open() undoes it.
  void Close() { SetClosed(true); }
  void Open() { SetClosed(false); }

 private:
  void SetClosed(bool closed) {
    {
      std::lock_guard lock(mu_);
      closed_ = closed;
    }
    cv_.notify_all();
  }

  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable cv_;  // both ways: an item to take / room for one
  std::deque<T> items_;
  bool closed_ = false;
};

}  // namespace fleetd
