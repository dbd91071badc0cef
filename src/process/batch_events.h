// The events a batch of messages carries, before an events engine exists:
// one per device alarm. Kept to the rows Store::WriteBatch writes as events
// (a message with an alarm and a fix time; type = AlarmName), so what
// subscribers receive matches what the API lists.
#pragma once

#include <span>
#include <vector>

#include "fleetd/event_sink.h"
#include "fleetd/queue.h"

namespace fleetd {

// Events of `batch` in batch order; body_json is the message's JSON
// (core/message_json.h), the same document the API returns.
std::vector<Event> BatchEvents(std::span<const Envelope> batch);

}  // namespace fleetd
