// EventSink: where the process stage hands the events of a durably written
// batch, so downstream services can subscribe to exactly the events they
// need (issue 5).
//
// Today the only events are device alarms (one per message with an alarm
// and a fix time, the same rows Store::WriteBatch writes as events); the
// events engine (src/events: geofence, ignition, overspeed, offline) will
// publish through the same interface.
//
// Embedded implementation: none (the processor is given no sink and
// publishes nothing). Server: NATS JetStream (src/queue/nats/nats_event_sink.h).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "fleetd/message.h"
#include "fleetd/status.h"

namespace fleetd {

struct Event {
  int64_t tenant_id = 0;
  int64_t device_id = 0;
  std::string device_uid;
  std::string type;       // "sos", "overspeed", ... (AlarmName for device alarms); any bytes
  TimestampMs ts = 0;     // when it happened (the message's fix time)
  std::string body_json;  // the document subscribers receive
};

class EventSink {
 public:
  virtual ~EventSink() = default;

  // Publishes every event of `events` and returns ok only once all of them
  // are durable (JetStream: acknowledged by the stream). On error some may
  // have been published; publishing the same events again must not
  // duplicate them (implementations deduplicate by uid, ts and type), so
  // the caller retries the whole span. Bounded in time: a sink that cannot
  // reach its server returns an error, it does not hang. An empty span
  // publishes nothing and returns ok. Thread-safe; `events` is only read
  // during the call.
  virtual Status Publish(std::span<const Event> events) = 0;
};

}  // namespace fleetd
