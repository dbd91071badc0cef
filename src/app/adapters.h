// Adapters chosen by URL: the only place that knows which implementation
// stands behind each tier interface. Core code never includes an adapter.
//
//   --store  sqlite:<path>        (later postgresql://...)
//   --queue  memory:              (later nats://...)
//   --live   memory:              (later redis://...)
#pragma once

#include <memory>
#include <string>

#include "fleetd/live_state.h"
#include "fleetd/queue.h"
#include "fleetd/store.h"

namespace fleetd {

// Opens (and creates/migrates) the store. kInvalidArgument for an unknown
// scheme, with the schemes this build supports in the message.
Result<std::unique_ptr<Store>> OpenStore(const std::string& url);
Result<std::unique_ptr<Queue>> OpenQueue(const std::string& url, size_t capacity);
Result<std::unique_ptr<LiveState>> OpenLiveState(const std::string& url);

}  // namespace fleetd
