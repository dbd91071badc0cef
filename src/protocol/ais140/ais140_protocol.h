// AIS-140 (India): registry entry (framer + decoder factories, TCP port 5179).
#pragma once

#include "protocol/registry.h"

namespace fleetd {

ProtocolInfo Ais140Protocol();

}  // namespace fleetd
