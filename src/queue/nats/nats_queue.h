// NatsQueue: fleetd::Queue on NATS JetStream, for the scale-out deployment
// (`--queue nats://...`); the embedded deployment keeps MemoryQueue.
//
// What "durable" means here: JetStream stored the message (file storage,
// replicated when the stream is). on_durable fires when every message of the
// batch is acknowledged by JetStream, not when a consumer committed it (a
// consumer may be another process, started hours later). So a listener acks
// its device as soon as the data is safe in the stream. Likewise the
// capacity is the window of un-acknowledged publishes, not of un-consumed
// messages: the stream itself is bounded by age and size.
//
// Everything else follows the Queue contract; see NatsPublisher (window,
// dedup ids) and NatsConsumer (partitions, order, redelivery).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "fleetd/queue.h"
#include "queue/nats/nats_consumer.h"
#include "queue/nats/nats_publisher.h"
#include "queue/nats/nats_queue_options.h"
#include "queue/nats/nats_session.h"

namespace fleetd::nats {

class NatsQueue final : public Queue {
 public:
  // Connects, creates the stream and the per-partition consumers when
  // missing, and binds this process's partitions. kIoError naming the
  // server when it is unreachable or has no JetStream; kInvalidArgument
  // when the stream exists with another partition count or subjects.
  static Result<std::unique_ptr<NatsQueue>> Open(const NatsQueueOptions& options);
  // Same, from a nats:// URL (nats_queue_options.h lists the keys).
  static Result<std::unique_ptr<NatsQueue>> Open(std::string_view url);

  // Close(), then give the leases back (consume=auto; waits for blocked
  // pulls, up to 0.5 s), then disconnect. Deliveries may outlive the queue;
  // their acks then fail and JetStream redelivers those messages.
  ~NatsQueue() override;
  NatsQueue(const NatsQueue&) = delete;
  NatsQueue& operator=(const NatsQueue&) = delete;

  // kBusy when the publish window cannot take the batch or the connection is
  // reconnecting; kInvalidArgument for a batch larger than the window.
  Status Publish(std::vector<Envelope>&& batch, DurableCallback on_durable) override;
  std::unique_ptr<Delivery> Fetch(size_t max_messages, std::chrono::milliseconds wait) override;
  // Publishes still waiting for JetStream fail now (kIoError; the device
  // will resend and the duplicate window drops what was stored after all).
  void Close() override;

  // Publishes not yet acknowledged by JetStream, plus every message of the
  // stream that the consumers have not acked (a server round trip per
  // partition; a partition whose consumer cannot be read counts 0). For
  // metrics and draining: a message whose ack is on its way is briefly
  // counted twice (in flight and stored).
  size_t depth() const override;

  // Tests: drop the connection as a SIGKILL would — leases are neither
  // renewed nor given back, un-acked messages stay with JetStream. The
  // object must still be destroyed.
  void CrashForTest();

  const NatsQueueOptions& options() const { return options_; }
  const NatsConsumer& consumer() const { return *consumer_; }

 private:
  explicit NatsQueue(const NatsQueueOptions& options);

  const NatsQueueOptions options_;
  std::shared_ptr<NatsPublisher> publisher_;  // also owned by session_, whose acks call into it
  std::shared_ptr<NatsSession> session_;
  std::unique_ptr<NatsConsumer> consumer_;
};

}  // namespace fleetd::nats
