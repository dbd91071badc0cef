// OsmAnd registry entry: HTTP/1.1 on TCP port 5055 (Traccar's assignment).
#include "protocol/osmand/osmand_protocol.h"

#include "protocol/osmand/osmand_decoder.h"
#include "protocol/osmand/osmand_framer.h"

namespace fleetd {

ProtocolInfo OsmandProtocol() {
  ProtocolInfo info;
  info.name = "osmand";
  info.transport = Transport::kHttp;
  info.default_port = 5055;
  info.make_framer = [](bool lenient) { return std::make_unique<OsmandFramer>(lenient); };
  info.make_decoder = [] { return std::make_unique<OsmandDecoder>(); };
  return info;
}

}  // namespace fleetd
