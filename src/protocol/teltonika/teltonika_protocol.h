// Teltonika: registry entry (framer + TCP decoder + UDP datagram decoder, port 5027).
#pragma once

#include "protocol/registry.h"

namespace fleetd {

ProtocolInfo TeltonikaProtocol();

}  // namespace fleetd
