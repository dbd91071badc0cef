// GT06 / Concox registry entry: TCP port 5023 (Traccar's assignment), strict framer and decoder.
#include "protocol/gt06/gt06_protocol.h"

#include "protocol/gt06/gt06_decoder.h"
#include "protocol/gt06/gt06_framer.h"

namespace fleetd {

ProtocolInfo Gt06Protocol() {
  ProtocolInfo info;
  info.name = "gt06";
  info.transport = Transport::kTcp;
  info.default_port = 5023;
  info.make_framer = [](bool lenient) { return std::make_unique<Gt06Framer>(lenient); };
  info.make_decoder = [] { return std::make_unique<Gt06Decoder>(); };
  return info;
}

}  // namespace fleetd
