// NatsConsumer: the consuming half of NatsQueue, over one durable pull
// consumer per partition.
//
// Per-device order. A device maps to one partition; a partition is fetched
// by one thread of one process and handed out like MemoryQueue does: a
// Delivery *holds* the partitions it took from until Ack/Nack, so no device
// is in two outstanding deliveries. Across processes a partition must be
// pulled by one process at a time (JetStream 2.9 cannot make a pull
// consumer exclusive, and two pulling one partition would interleave a
// device's messages). The `consume=` URL key says how:
//  - auto (default): leases in a NATS KV bucket (nats_leases.h). The first
//    Fetch starts a keeper thread that heartbeats, claims up to
//    ceil(P / live workers) partitions, renews them every lease/3 with a
//    compare-and-set, and gives back those beyond its share when workers
//    join — each only between pulls and while no delivery holds it: its
//    buffered messages are nak'ed (redelivered first, in order) and flushed,
//    then the lease is written "free". A lease not renewed in time (the KV
//    unreachable, or the revision changed) stops the partition at once: no
//    more pulls, buffered messages dropped without an ack (redelivered to
//    the next holder after ack_wait). A worker that dies stops renewing;
//    after the lease time its partitions go to the others.
//  - all: every partition, statically: one consuming process only.
//  - a list (0-3,8): exactly those, statically; the operator keeps the
//    lists of the processes disjoint.
//
// Acks are explicit, one per message; the last of each partition in a
// Delivery is acked synchronously, so Ack() returns once JetStream recorded
// the whole delivery (JetStream processes a consumer's acks in order).
// Nack() puts the messages back at the front of their partition locally:
// they are still un-acked in JetStream, so a crash redelivers them anyway.
//
// Restart and takeover: messages a dead process left un-acked come back
// only after the consumer's ack_wait. A fetcher that finds un-acked
// messages on its partition at start — or whenever it acquires a lease not
// released as "free" (expired, or given back while a delivery was out) —
// waits that long before pulling, so the old messages (JetStream redelivers
// them first, oldest first) precede newer ones.
// JetStream may also redeliver a message this process still holds (held past
// ack_wait); that copy is dropped by its stream sequence.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fleetd/queue.h"
#include "queue/nats/jetstream_setup.h"
#include "queue/nats/nats_queue_options.h"
#include "queue/nats/nats_session.h"

namespace fleetd::nats {

class NatsConsumer {
 public:
  // Opens a pull inbox for each consumed partition; `consumers` is what
  // EnsureConsumers made, indexed by partition. Starts no fetching: a
  // process that never calls Fetch (ingest) never takes messages from the
  // stream.
  static Result<std::unique_ptr<NatsConsumer>> Open(std::shared_ptr<NatsSession> session,
                                                    const NatsQueueOptions& options,
                                                    const std::vector<PartitionConsumer>& consumers);
  // Stop(). The session may be closed already (then leases just expire).
  ~NatsConsumer();
  NatsConsumer(const NatsConsumer&) = delete;
  NatsConsumer& operator=(const NatsConsumer&) = delete;

  // The Queue::Fetch contract. The first call starts the fetcher threads.
  std::unique_ptr<Delivery> Fetch(size_t max_messages, std::chrono::milliseconds wait);

  // Wakes waiting Fetch calls (nullptr), stops fetching, and gives prefetched
  // messages back to JetStream (nak). Outstanding deliveries may still Ack.
  void Close();
  // Close(), joins the threads (a blocked pull returns within 0.5 s), then
  // with consume=auto gives the leases back while the session is still
  // open: "free" where no delivery is out, "gone" where one is (the next
  // holder waits out ack_wait), and removes the heartbeat. Idempotent.
  void Stop();

  // Partitions this consumer may fetch from right now (consume=auto: its
  // valid leases; none before the first Fetch). For tests and metrics.
  std::vector<size_t> OwnedPartitions() const;
  // "<random hex> <host> <pid>" with consume=auto, else empty.
  const std::string& worker_id() const;
  // Leases lost without giving them back (renewal refused or too late).
  uint64_t leases_lost() const;

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
