// GT06 / Concox family: registry entry (framer + decoder factories, port 5023).
#pragma once

#include "protocol/registry.h"

namespace fleetd {

ProtocolInfo Gt06Protocol();

}  // namespace fleetd
