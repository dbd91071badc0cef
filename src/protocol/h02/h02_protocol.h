// H02 (Sinotrack and similar): registry entry (framer + decoder factories, port 5013).
#pragma once

#include "protocol/registry.h"

namespace fleetd {

ProtocolInfo H02Protocol();

}  // namespace fleetd
