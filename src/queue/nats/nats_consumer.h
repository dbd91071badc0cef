// NatsConsumer: the consuming half of NatsQueue, over one durable pull
// consumer per partition.
//
// Per-device order. A device maps to one partition; a partition is fetched
// by one thread of one process and handed out like MemoryQueue does: a
// Delivery *holds* the partitions it took from until Ack/Nack, so no device
// is in two outstanding deliveries. Across processes, partitions are
// assigned (the `consume=` URL key; by default a process takes them all):
// JetStream 2.9 cannot make a pull consumer exclusive, and two processes
// pulling one partition would interleave a device's messages. A later
// version can hand partitions out by leases (a NATS KV bucket) behind the
// same ConsumedPartitions() seam.
//
// Acks are explicit, one per message; the last of each partition in a
// Delivery is acked synchronously, so Ack() returns once JetStream recorded
// the whole delivery (JetStream processes a consumer's acks in order).
// Nack() puts the messages back at the front of their partition locally:
// they are still un-acked in JetStream, so a crash redelivers them anyway.
//
// Restart: messages a dead process left un-acked come back only after the
// consumer's ack_wait. A fetcher that finds un-acked messages on its
// partition at start waits that long before pulling, so the old messages
// (JetStream redelivers them first, oldest first) precede newer ones.
// JetStream may also redeliver a message this process still holds (held past
// ack_wait); that copy is dropped by its stream sequence.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "fleetd/queue.h"
#include "queue/nats/nats_queue_options.h"
#include "queue/nats/nats_session.h"

namespace fleetd::nats {

class NatsConsumer {
 public:
  // Binds a pull subscription to each consumed partition (consumers must
  // exist). Starts no fetching: a process that never calls Fetch (ingest)
  // never takes messages from the stream.
  static Result<std::unique_ptr<NatsConsumer>> Open(std::shared_ptr<NatsSession> session,
                                                    const NatsQueueOptions& options);
  // Stops and joins the fetcher threads. Call NatsSession::Close() first so
  // blocked pulls return at once.
  ~NatsConsumer();
  NatsConsumer(const NatsConsumer&) = delete;
  NatsConsumer& operator=(const NatsConsumer&) = delete;

  // The Queue::Fetch contract. The first call starts the fetcher threads.
  std::unique_ptr<Delivery> Fetch(size_t max_messages, std::chrono::milliseconds wait);

  // Wakes waiting Fetch calls (nullptr), stops fetching, and gives prefetched
  // messages back to JetStream (nak). Outstanding deliveries may still Ack.
  void Close();

  // Messages that could not be decoded and were terminated (never redelivered).
  uint64_t poison_messages() const;
  // Acks JetStream refused or that could not be sent (they will be redelivered).
  uint64_t ack_errors() const;

  struct State;  // shared with deliveries and fetcher threads; in nats_consumer.cc

 private:
  explicit NatsConsumer(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

}  // namespace fleetd::nats
