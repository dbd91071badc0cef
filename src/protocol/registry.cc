#include "protocol/registry.h"

#include "protocol/ais140/ais140_protocol.h"
#include "protocol/gt06/gt06_protocol.h"
#include "protocol/h02/h02_protocol.h"
#include "protocol/osmand/osmand_protocol.h"
#include "protocol/teltonika/teltonika_protocol.h"

namespace fleetd {

void ProtocolRegistry::Register(ProtocolInfo info) {
  std::string name = info.name;
  by_name_[name] = std::move(info);
}

const ProtocolInfo* ProtocolRegistry::Find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &it->second;
}

std::vector<std::string> ProtocolRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, _] : by_name_) names.push_back(name);
  return names;
}

void RegisterBuiltinProtocols(ProtocolRegistry& registry) {
  registry.Register(Gt06Protocol());
  registry.Register(TeltonikaProtocol());
  registry.Register(H02Protocol());
  registry.Register(Ais140Protocol());
  registry.Register(OsmandProtocol());
}

}  // namespace fleetd
