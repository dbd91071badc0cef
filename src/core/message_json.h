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
// The same document as text, written without building the tree (the store's
// and live state's hot path); AppendMessageJson appends it to `out`.
std::string MessageToJsonText(const Message& message);
void AppendMessageJson(std::string& out, const Message& message);

// Parses what MessageToJson produces. Rejects wrong types and unknown kinds.
Result<Message> MessageFromJson(const nlohmann::ordered_json& json);
Result<Message> MessageFromJsonText(std::string_view text);

}  // namespace fleetd
