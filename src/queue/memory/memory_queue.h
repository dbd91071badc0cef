// MemoryQueue: the embedded, in-process Queue between listeners and the store
// consumer (the server deployment swaps in NATS JetStream behind the same
// interface).
//
// Bounded by a message count so a slow store pushes back on listeners (kBusy)
// instead of growing without limit. "Durable" for this queue means "acked by
// the consumer", i.e. committed to the store: a publisher's callback fires
// only when every message of its batch has been acked.
//
// Per-device order with several consumers: messages are partitioned by
// hash(device_uid). A Delivery takes messages from the front of one or more
// partitions and *locks* those partitions until it is acked or nacked, so a
// device's messages are never in two outstanding deliveries at once and a
// nacked delivery goes back to the front of its partitions in order. The cost
// is that at most `partitions` deliveries can be outstanding at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <vector>

#include "fleetd/queue.h"

namespace fleetd {

class MemoryQueue final : public Queue {
 public:
  static constexpr size_t kDefaultPartitions = 64;

  // `capacity`: messages published and not yet acked. `partitions`: units of
  // per-device ordering, and the most deliveries outstanding at once (0 -> 1).
  explicit MemoryQueue(size_t capacity, size_t partitions = kDefaultPartitions);
  // Closes the queue (pending callbacks fire with an error). Deliveries may
  // outlive the queue: they share its state, and acking them is harmless.
  ~MemoryQueue() override;

  MemoryQueue(const MemoryQueue&) = delete;
  MemoryQueue& operator=(const MemoryQueue&) = delete;

  // kBusy when depth() + batch.size() would exceed the capacity;
  // kInvalidArgument when the batch alone exceeds the capacity (it could never
  // fit); kIoError after Close(). On any error `batch` is left untouched; on
  // ok it is moved from and cleared. An empty batch is durable at once:
  // `on_durable(ok)` runs before Publish returns. Never blocks.
  Status Publish(std::vector<Envelope>&& batch, DurableCallback on_durable) override;

  // Up to `max_messages` messages from partitions no other outstanding
  // Delivery holds, oldest first within a device. nullptr on timeout, after
  // Close(), or when max_messages is 0.
  std::unique_ptr<Delivery> Fetch(size_t max_messages, std::chrono::milliseconds wait) override;

  // Wakes waiting Fetch() calls, which return nullptr. Queued (not fetched)
  // messages are dropped and their batches fail at once with kIoError;
  // batches wholly in outstanding deliveries complete on their Ack (ok) or
  // fail on Nack. Idempotent.
  void Close() override;

  size_t depth() const override;

  struct State;  // shared with deliveries; defined in memory_queue.cc

 private:
  std::shared_ptr<State> state_;
};

}  // namespace fleetd
