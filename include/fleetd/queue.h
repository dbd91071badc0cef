// Queue: carries decoded messages from listeners to consumers.
//
// The contract is built for both the in-process queue and NATS JetStream:
// batches in, batches out; a producer learns when its batch is durable (so a
// device is acknowledged only then); consumers ack batches only after their
// own durable write; a full queue refuses with kBusy instead of blocking the
// listener (backpressure).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "fleetd/message.h"
#include "fleetd/status.h"

namespace fleetd {

// A message with the device identity the listener resolved for it.
struct Envelope {
  int64_t tenant_id = 0;
  int64_t device_id = 0;
  Message message;
};

// Called exactly once per published batch, from any thread, when the batch is
// durable (ok) or will never be (error). Must not block.
using DurableCallback = std::function<void(const Status&)>;

// A fetched batch. Ack() after the consumer's durable write; Nack() (or
// dropping the batch without Ack) makes it available for redelivery.
class Delivery {
 public:
  virtual ~Delivery() = default;
  virtual const std::vector<Envelope>& envelopes() const = 0;
  virtual void Ack() = 0;
  virtual void Nack() = 0;
  // Optional, between the durable write and Ack(): the partitions this
  // delivery holds are handed out again, so the next messages of the same
  // devices can be fetched and written while this delivery's live update
  // and acknowledgement are still under way (per-device write order holds:
  // this write is done). Only Ack() should follow; a Nack() or a drop after
  // it lets the queue deliver the messages again, which rewrites stored
  // rows idempotently. Default: nothing (Ack() releases).
  virtual void Stored() {}
  // Optional, before Stored(): appends to envelopes(), in order, messages
  // that arrived since the fetch on the partitions this delivery holds (no
  // other delivery may take them), at most `max` (a NATS record that holds
  // several envelopes comes whole, as in Fetch). A consumer that gathers a
  // batch over a time window calls it at the window's end, so those
  // devices' newer messages join this batch instead of waiting for the
  // next one. Returns how many envelopes it added. Default: none.
  virtual size_t TakeMore(size_t max) {
    (void)max;
    return 0;
  }
};

class Queue {
 public:
  virtual ~Queue() = default;

  // Takes the batch (moves from it) and returns ok. When the queue is full it
  // returns kBusy and leaves `batch` untouched (not moved from), so the caller
  // can offer the same batch again later (and stops reading from its device
  // meanwhile). On ok, `on_durable` will be called exactly once. Thread-safe.
  virtual Status Publish(std::vector<Envelope>&& batch, DurableCallback on_durable) = 0;

  // Waits up to `wait` for messages and returns at most `max_messages` of
  // them, or nullptr on timeout or after Close(). One exception: a queue
  // that stores several envelopes per record (NATS, `group=`) never splits
  // a record, so a first record larger than `max_messages` comes whole. Per-device order holds
  // within and across deliveries. Thread-safe.
  virtual std::unique_ptr<Delivery> Fetch(size_t max_messages, std::chrono::milliseconds wait) = 0;

  // Wakes blocked Fetch() calls; later Publish() calls fail.
  virtual void Close() = 0;

  // Messages published and not yet acked (for metrics and tests).
  virtual size_t depth() const = 0;
};

}  // namespace fleetd
