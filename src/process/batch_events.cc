// BatchEvents: alarm messages -> events.
#include "process/batch_events.h"

#include "core/message_json.h"

namespace fleetd {

std::vector<Event> BatchEvents(std::span<const Envelope> batch) {
  std::vector<Event> events;
  for (const Envelope& e : batch) {
    const Message& m = e.message;
    // Without a fix time the store keeps no event row either: the time is
    // the event's identity (dedup) and what subscribers order by.
    if (!m.alarm || !m.ts) continue;
    Event ev;
    ev.tenant_id = e.tenant_id;
    ev.device_id = e.device_id;
    ev.device_uid = m.device_uid;
    ev.type = std::string(AlarmName(*m.alarm));
    ev.ts = *m.ts;
    ev.body_json = MessageToJsonText(m);
    events.push_back(std::move(ev));
  }
  return events;
}

}  // namespace fleetd
