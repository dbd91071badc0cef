// Teltonika registry entry: port 5027 (Traccar's assignment) for TCP and UDP;
// strict framer and decoders unless the listener asks for lenient ones.
#include "protocol/teltonika/teltonika_protocol.h"

#include "protocol/teltonika/teltonika_decoder.h"
#include "protocol/teltonika/teltonika_framer.h"
#include "protocol/teltonika/teltonika_udp_decoder.h"

namespace fleetd {

ProtocolInfo TeltonikaProtocol() {
  ProtocolInfo info;
  info.name = "teltonika";
  info.transport = Transport::kTcp;
  info.default_port = 5027;
  info.make_framer = [](bool lenient) { return std::make_unique<TeltonikaFramer>(lenient); };
  info.make_decoder = [] { return std::make_unique<TeltonikaDecoder>(); };
  info.make_datagram_decoder = [] { return std::make_unique<TeltonikaUdpDecoder>(); };
  return info;
}

}  // namespace fleetd
