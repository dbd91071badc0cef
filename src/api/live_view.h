// What the API shows of the live state: only the tenant's registered
// devices. Live state (memory or Redis) keeps a device's last position
// after `fleetd device remove`, which runs in another process and reaches
// only the store; without this a removed truck stayed on every map.
#pragma once

#include <cstdint>
#include <vector>

#include "fleetd/message.h"
#include "fleetd/status.h"
#include "fleetd/store.h"

namespace fleetd::api {

// `messages` without those whose device is not (or no longer) one of the
// tenant's registered devices, order kept. The store's error when it cannot
// list them.
Result<std::vector<Message>> RegisteredOnly(Store& store, int64_t tenant_id, std::vector<Message> messages);

}  // namespace fleetd::api
