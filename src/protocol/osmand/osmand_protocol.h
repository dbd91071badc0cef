// OsmAnd / Traccar Client over HTTP: registry entry (port 5055).
#pragma once

#include "protocol/registry.h"

namespace fleetd {

ProtocolInfo OsmandProtocol();

}  // namespace fleetd
