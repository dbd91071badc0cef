// H02 registry entry: TCP port 5013 (Traccar's assignment).
#include "protocol/h02/h02_protocol.h"

#include "protocol/h02/h02_decoder.h"
#include "protocol/h02/h02_framer.h"

namespace fleetd {

ProtocolInfo H02Protocol() {
  ProtocolInfo info;
  info.name = "h02";
  info.transport = Transport::kTcp;
  info.default_port = 5013;
  info.make_framer = [](bool lenient) { return std::make_unique<H02Framer>(lenient); };
  info.make_decoder = [] { return std::make_unique<H02Decoder>(); };
  return info;
}

}  // namespace fleetd
