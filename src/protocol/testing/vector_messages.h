// Every message the shared real-device vectors decode to, for the suites
// that check a writer of messages (the stored JSON, the live feed's JSON)
// against its reference on real data rather than on made-up messages.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fleetd/message.h"
#include "protocol/registry.h"

namespace fleetd::vectors {

struct DecodedVectorMessage {
  std::string case_id;  // the vector case it came from
  Message message;
};

// Each case of FLEETD_VECTORS_DIR/<protocol.name>.json, fed through the
// protocol's lenient framer and its decoder frame by frame as a listener
// would (uid "123456789012345", the case's model, received at a fixed
// time). Cases that do not frame or decode add nothing. nullopt when the
// file is missing or not JSON.
std::optional<std::vector<DecodedVectorMessage>> DecodeVectorMessages(const ProtocolInfo& protocol);

// An "http" case (OsmAnd) as the request the device sent: its packet is the
// request URI, or the body of a request to http.uri (http.packet_is).
std::string VectorHttpRequest(const nlohmann::json& vector_case);

}  // namespace fleetd::vectors
