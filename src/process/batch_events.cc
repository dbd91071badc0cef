// BatchEvents: alarm messages -> events.
#include "process/batch_events.h"

#include "core/message_json.h"

namespace fleetd {

std::vector<Event> BatchEvents(std::span<const Envelope> batch) {
  std::vector<Event> events;
  for (const Envelope& e : batch) {
    const Message& m = e.message;
    auto alarm = EventAlarm(m);
    if (!alarm) continue;
    Event ev;
    ev.tenant_id = e.tenant_id;
    ev.device_id = e.device_id;
    ev.device_uid = m.device_uid;
    ev.type = std::string(AlarmName(*alarm));
    ev.ts = *m.ts;
    ev.body_json = MessageToJsonText(m);
    events.push_back(std::move(ev));
  }
  return events;
}

}  // namespace fleetd
