// See live_view.h.
#include "api/live_view.h"

#include <algorithm>
#include <string_view>
#include <unordered_set>

namespace fleetd::api {

Result<std::vector<Message>> RegisteredOnly(Store& store, int64_t tenant_id, std::vector<Message> messages) {
  if (messages.empty()) return messages;
  auto devices = store.ListDevices(tenant_id);
  if (!devices.ok()) return devices.status();
  std::unordered_set<std::string_view> registered;
  registered.reserve(devices->size());
  for (const Device& d : *devices) registered.insert(d.uid);
  std::erase_if(messages, [&](const Message& m) { return !registered.contains(m.device_uid); });
  return messages;
}

}  // namespace fleetd::api
