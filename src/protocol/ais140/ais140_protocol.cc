// AIS-140 registry entry: TCP port 5179 (Traccar's "its" assignment), strict decoder by default.
#include "protocol/ais140/ais140_protocol.h"

#include "protocol/ais140/ais140_decoder.h"
#include "protocol/ais140/ais140_framer.h"

namespace fleetd {

ProtocolInfo Ais140Protocol() {
  ProtocolInfo info;
  info.name = "ais140";
  info.transport = Transport::kTcp;
  info.default_port = 5179;
  // Framing does not depend on the mode: sentences are cut at their terminators.
  info.make_framer = [](bool /*lenient*/) { return std::make_unique<Ais140Framer>(); };
  info.make_decoder = [] { return std::make_unique<Ais140Decoder>(); };
  return info;
}

}  // namespace fleetd
