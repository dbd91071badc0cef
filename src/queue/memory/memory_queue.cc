// MemoryQueue internals: partitions of queued messages, a per-batch counter
// of un-acked messages, and deliveries that lock the partitions they took
// from. One mutex guards everything; callbacks run after it is released.
#include "queue/memory/memory_queue.h"

#include <cassert>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <utility>

namespace fleetd {
namespace {

// One published batch: its callback fires when `remaining` reaches zero (ok)
// or, earlier, when the batch can no longer complete (error). `done` makes
// that exactly once.
struct Batch {
  size_t remaining = 0;
  DurableCallback on_durable;
  bool done = false;
};

struct Item {
  Envelope envelope;
  std::shared_ptr<Batch> batch;
};

struct Partition {
  std::deque<Item> items;
  bool held = false;  // an outstanding Delivery took from this partition
};

using Callbacks = std::vector<DurableCallback>;

void Complete(Batch& batch, Callbacks& out) {
  if (batch.done) return;
  batch.done = true;
  if (batch.on_durable) out.push_back(std::move(batch.on_durable));
}

void Run(Callbacks& callbacks, const Status& status) {
  for (auto& cb : callbacks) cb(status);
}

Status ClosedError() { return Status(StatusCode::kIoError, "queue closed"); }

}  // namespace

struct MemoryQueue::State {
  State(size_t capacity_in, size_t partition_count)
      : capacity(capacity_in), partitions(partition_count == 0 ? 1 : partition_count) {}

  size_t PartitionOf(const Envelope& e) const {
    return std::hash<std::string>{}(e.message.device_uid) % partitions.size();
  }
  bool HasAvailable() const {
    for (const auto& p : partitions) {
      if (!p.held && !p.items.empty()) return true;
    }
    return false;
  }

  const size_t capacity;
  mutable std::mutex mu;
  std::condition_variable cv;
  std::vector<Partition> partitions;
  size_t next_partition = 0;  // where the next Fetch starts looking (fairness)
  size_t depth = 0;
  bool closed = false;
};

namespace {

class MemoryDelivery final : public Delivery {
 public:
  explicit MemoryDelivery(std::shared_ptr<MemoryQueue::State> state) : state_(std::move(state)) {}
  ~MemoryDelivery() override {
    if (!settled_) Nack();
  }

  const std::vector<Envelope>& envelopes() const override { return envelopes_; }

  void Ack() override {
    if (settled_) return;
    settled_ = true;
    Callbacks ready;
    {
      std::lock_guard lock(state_->mu);
      for (auto& batch : batches_) {
        if (--batch->remaining == 0) Complete(*batch, ready);
      }
      state_->depth -= envelopes_.size();
      Release();
    }
    state_->cv.notify_all();
    Run(ready, Status::Ok());
  }

  void Nack() override {
    if (stored_) {
      Ack();  // the write is durable: these messages are done, not to be redelivered
      return;
    }
    if (settled_) return;
    settled_ = true;
    Callbacks failed;
    {
      std::lock_guard lock(state_->mu);
      if (state_->closed) {
        // Nobody will fetch these again: drop them and fail their batches.
        for (auto& batch : batches_) Complete(*batch, failed);
        state_->depth -= envelopes_.size();
      } else {
        // Back to the front, in order: walking backwards and pushing to the
        // front restores each partition's original sequence.
        for (size_t i = envelopes_.size(); i-- > 0;) {
          state_->partitions[partition_of_[i]].items.push_front(
              Item{std::move(envelopes_[i]), std::move(batches_[i])});
        }
      }
      Release();
    }
    state_->cv.notify_all();
    Run(failed, ClosedError());
  }

  void Stored() override {
    if (settled_ || stored_) return;
    stored_ = true;
    {
      std::lock_guard lock(state_->mu);
      Release();
    }
    state_->cv.notify_all();
  }

  size_t TakeMore(size_t max) override {
    if (settled_ || stored_) return 0;
    size_t taken = 0;
    std::lock_guard lock(state_->mu);
    for (size_t p : held_) {
      auto& items = state_->partitions[p].items;
      for (; taken < max && !items.empty(); ++taken) {
        Take(p, std::move(items.front()));
        items.pop_front();
      }
    }
    return taken;
  }

  // Called by Fetch with the state mutex held.
  void Take(size_t partition, Item item) {
    envelopes_.push_back(std::move(item.envelope));
    batches_.push_back(std::move(item.batch));
    partition_of_.push_back(partition);
  }
  void Hold(size_t partition) { held_.push_back(partition); }
  bool empty() const { return envelopes_.empty(); }

 private:
  // Once: after Stored() another delivery may hold these partitions.
  void Release() {
    for (size_t p : held_) state_->partitions[p].held = false;
    held_.clear();
  }

  std::shared_ptr<MemoryQueue::State> state_;
  std::vector<Envelope> envelopes_;
  std::vector<std::shared_ptr<Batch>> batches_;  // parallel to envelopes_
  std::vector<size_t> partition_of_;             // parallel to envelopes_
  std::vector<size_t> held_;                     // partitions this delivery locks
  bool settled_ = false;
  bool stored_ = false;  // Stored() was called: partitions released, Ack pending
};

}  // namespace

MemoryQueue::MemoryQueue(size_t capacity, size_t partitions)
    : state_(std::make_shared<State>(capacity, partitions)) {}

MemoryQueue::~MemoryQueue() { Close(); }

Status MemoryQueue::Publish(std::vector<Envelope>&& batch, DurableCallback on_durable) {
  if (batch.empty()) {
    if (on_durable) on_durable(Status::Ok());
    return Status::Ok();
  }
  if (batch.size() > state_->capacity) {
    return Status(StatusCode::kInvalidArgument, "batch of " + std::to_string(batch.size()) +
                                                    " exceeds queue capacity " +
                                                    std::to_string(state_->capacity));
  }
  std::vector<size_t> partition_of(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) partition_of[i] = state_->PartitionOf(batch[i]);
  auto shared = std::make_shared<Batch>();
  shared->remaining = batch.size();
  shared->on_durable = std::move(on_durable);
  {
    std::lock_guard lock(state_->mu);
    if (state_->closed) return ClosedError();
    if (state_->depth + batch.size() > state_->capacity) {
      return Status(StatusCode::kBusy, "queue full");
    }
    state_->depth += batch.size();
    for (size_t i = 0; i < batch.size(); ++i) {
      state_->partitions[partition_of[i]].items.push_back(Item{std::move(batch[i]), shared});
    }
  }
  batch.clear();
  state_->cv.notify_all();
  return Status::Ok();
}

std::unique_ptr<Delivery> MemoryQueue::Fetch(size_t max_messages, std::chrono::milliseconds wait) {
  if (max_messages == 0) return nullptr;
  State& s = *state_;
  std::unique_lock lock(s.mu);
  s.cv.wait_for(lock, wait, [&] { return s.closed || s.HasAvailable(); });
  if (s.closed || !s.HasAvailable()) return nullptr;

  auto delivery = std::make_unique<MemoryDelivery>(state_);
  const size_t n = s.partitions.size();
  size_t left = max_messages;
  size_t p = s.next_partition;
  for (size_t k = 0; k < n && left > 0; ++k, p = (p + 1) % n) {
    Partition& part = s.partitions[p];
    if (part.held || part.items.empty()) continue;
    part.held = true;
    delivery->Hold(p);
    while (left > 0 && !part.items.empty()) {
      delivery->Take(p, std::move(part.items.front()));
      part.items.pop_front();
      --left;
    }
  }
  s.next_partition = p;
  assert(!delivery->empty());
  return delivery;
}

void MemoryQueue::Close() {
  Callbacks failed;
  {
    std::lock_guard lock(state_->mu);
    if (state_->closed) return;
    state_->closed = true;
    for (auto& part : state_->partitions) {
      for (auto& item : part.items) Complete(*item.batch, failed);
      state_->depth -= part.items.size();
      part.items.clear();
    }
  }
  state_->cv.notify_all();
  Run(failed, ClosedError());
}

size_t MemoryQueue::depth() const {
  std::lock_guard lock(state_->mu);
  return state_->depth;
}

}  // namespace fleetd
