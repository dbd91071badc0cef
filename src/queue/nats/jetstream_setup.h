// JetStream objects the queue needs, created on start when missing: the
// stream (file storage, limits retention by age and size, a duplicate window
// for Nats-Msg-Id) and one durable pull consumer per partition.
//
// The stream's description records the partition count. Changing P moves
// devices to other partitions, which would break per-device order while old
// messages drain, so a process started with another P is refused.
#pragma once

#include <nats/nats.h>

#include <cstddef>

#include "fleetd/status.h"
#include "queue/nats/nats_queue_options.h"
#include "queue/nats/nats_session.h"

namespace fleetd::nats {

// Creates the stream, or checks an existing one (subjects, partition count)
// and updates its limits to the configured ones.
Status EnsureStream(NatsSession& session, const NatsQueueOptions& options);

// Creates the events stream, or updates an existing one to the configured
// limits: "<stream>_EVENTS" on "<prefix>.events.>" (nats_subjects.h), file
// storage, the queue stream's max_age, max_bytes, replicas and duplicate
// window. It has no consumers of fleetd's: subscribers make their own.
Status EnsureEventStream(NatsSession& session, const NatsQueueOptions& options);

// What a partition's fetcher needs of its durable consumer (no
// subscription: the fetcher pulls on its own inbox).
struct PartitionConsumer {
  bool ack_all = false;  // AckAll: one ack covers a batch's earlier messages
};

// Checks the consumer of `partition` as the server reports it: a pull
// consumer of that partition's subject (a hand-edited or foreign one would
// deliver the wrong messages); kInvalidArgument naming it otherwise.
Result<PartitionConsumer> CheckPartitionConsumer(const jsConsumerInfo& info, const NatsQueueOptions& options,
                                                 size_t partition);

// Creates (or updates) the durable consumer of every partition, so that
// depth() sees the whole stream and no message predates its consumer, and
// checks what the server answered (CheckPartitionConsumer). Indexed by
// partition.
Result<std::vector<PartitionConsumer>> EnsureConsumers(NatsSession& session, const NatsQueueOptions& options);

}  // namespace fleetd::nats
