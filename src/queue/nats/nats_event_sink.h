// NatsEventSink: the server EventSink, on NATS JetStream.
//
// Each event goes to "<prefix>.events.<tenant_id>.<type>" (the type escaped
// into one subject token, nats_subjects.h), so a downstream service
// subscribes to exactly what it needs: "fleetd.events.*.sos" (SOS of every
// tenant), "fleetd.events.42.>" (everything of tenant 42). The stream
// "<stream>_EVENTS" keeps them (file storage, the queue's max_age) for
// subscribers that were away. The payload is the event's body_json.
//
// Publish sends every event asynchronously with Nats-Msg-Id = uid, ts and
// type, then waits (at most publish_timeout) for all the acks: a batch
// published again after a failure or a redelivery is stored once within
// the stream's duplicate window (dedup_window).
#pragma once

#include <memory>
#include <mutex>
#include <string_view>

#include "fleetd/event_sink.h"
#include "queue/nats/nats_queue_options.h"

namespace fleetd::nats {

class NatsSession;

class NatsEventSink final : public EventSink {
 public:
  // Connects (its own connection) and creates or updates the events
  // stream. kIoError when no server answers within connect_timeout or
  // JetStream refuses the stream.
  static Result<std::unique_ptr<NatsEventSink>> Open(const NatsQueueOptions& options);
  // The same from a queue URL (nats_queue_options.h): the sink shares the
  // queue's servers, stream and prefix names, limits and timeouts.
  static Result<std::unique_ptr<NatsEventSink>> Open(std::string_view url);
  ~NatsEventSink() override;
  NatsEventSink(const NatsEventSink&) = delete;
  NatsEventSink& operator=(const NatsEventSink&) = delete;

  // The EventSink contract. kIoError when not connected (at once), when
  // JetStream refuses an event, or when acks are missing after
  // publish_timeout. Calls are serialized.
  Status Publish(std::span<const Event> events) override;

 private:
  struct Acks;
  NatsEventSink(const NatsQueueOptions& options, std::shared_ptr<Acks> acks, std::shared_ptr<NatsSession> session);

  const NatsQueueOptions options_;
  std::shared_ptr<Acks> acks_;  // libnats' ack handler closure (the session holds it too)
  std::shared_ptr<NatsSession> session_;
  std::mutex publish_mu_;       // one Publish at a time: the acks counted are that call's
};

}  // namespace fleetd::nats
