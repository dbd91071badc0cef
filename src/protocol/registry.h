// ProtocolRegistry: protocols are chosen by name at start-up.
//
// Every built-in protocol is registered explicitly in registry.cc (no static
// self-registration), so the list of what fleetd speaks is in one place and
// the listener and the decode tool never include a protocol's own headers.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fleetd/decoder.h"
#include "fleetd/framer.h"

namespace fleetd {

enum class Transport { kTcp, kUdp, kHttp };

struct ProtocolInfo {
  std::string name;           // "gt06": the key in --listen and --protocol
  Transport transport = Transport::kTcp;  // kHttp: HTTP/1.1 requests over the TCP listener
  uint16_t default_port = 0;  // Traccar's assignment for the same protocol
  // `lenient`: cut frames whose length or terminator is off (models known to
  // send them); the decoder then decides per its own lenient setting.
  std::function<std::unique_ptr<Framer>(bool lenient)> make_framer;
  std::function<std::unique_ptr<Decoder>()> make_decoder;
  // Set when the protocol also speaks UDP on the same port number: one
  // datagram is one frame (no framer), decoded by this decoder, and the reply
  // goes back to the sender. Empty: TCP only.
  std::function<std::unique_ptr<Decoder>()> make_datagram_decoder;
};

class ProtocolRegistry {
 public:
  void Register(ProtocolInfo info);
  const ProtocolInfo* Find(const std::string& name) const;  // nullptr if unknown
  std::vector<std::string> Names() const;

 private:
  std::map<std::string, ProtocolInfo> by_name_;
};

// Registers every protocol built into fleetd.
void RegisterBuiltinProtocols(ProtocolRegistry& registry);

}  // namespace fleetd
