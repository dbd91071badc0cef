// Schema v1 <-> JSON. The one place that knows the JSON names of Message
// fields (docs/schema.md and docs/schema/message-v1.json describe the same).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fleetd/message.h"
#include "fleetd/status.h"

namespace fleetd {

// Field order follows the schema document; absent optionals are omitted.
nlohmann::ordered_json MessageToJson(const Message& message);
std::string MessageToJsonText(const Message& message);

// Parses what MessageToJson produces. Rejects wrong types and unknown kinds.
Result<Message> MessageFromJson(const nlohmann::ordered_json& json);
Result<Message> MessageFromJsonText(std::string_view text);

}  // namespace fleetd
