// The JWT signing secret: from config, or generated once into the data dir
// (mode 0600) so tokens stay valid across restarts and admin commands sign
// tokens the running server accepts.
#pragma once

#include <string>

#include "app/config.h"
#include "fleetd/status.h"

namespace fleetd {

Result<std::string> LoadOrCreateJwtSecret(const Config& config);

}  // namespace fleetd
