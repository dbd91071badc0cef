// Schema v1 <-> JSON. The one place that knows the JSON names of Message
// fields (docs/schema.md and docs/schema/message-v1.json describe the same).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/json_text.h"
#include "fleetd/message.h"
#include "fleetd/status.h"

namespace fleetd {

// Field order follows the schema document; absent optionals are omitted.
nlohmann::ordered_json MessageToJson(const Message& message);
// The same document as text, written without building the tree (the store's
// and live state's hot path); AppendMessageJson appends it to `out`.
std::string MessageToJsonText(const Message& message);
void AppendMessageJson(std::string& out, const Message& message);

// The top-level members of the document, in MessageToJson's order.
enum class MessageMember : uint8_t {
  kDeviceUid, kProtocol, kKind, kTs, kReceivedAt, kValid, kLat, kLng, kAltitudeM, kSpeedKmh, kHeading,
  kSatellites, kHdop, kIgnition, kOdometerKm, kBatteryV, kPowerV, kFuelPct, kEngineTempC, kRpm, kAlarm,
  kAttributes,
};
inline constexpr size_t kMessageMemberCount = static_cast<size_t>(MessageMember::kAttributes) + 1;

class MessageMemberSet {
 public:
  constexpr MessageMemberSet() = default;
  constexpr MessageMemberSet(std::initializer_list<MessageMember> members) {
    for (MessageMember member : members) bits_ |= Bit(member);
  }
  constexpr bool contains(MessageMember member) const { return (bits_ & Bit(member)) != 0; }

 private:
  static constexpr uint32_t Bit(MessageMember member) { return uint32_t{1} << static_cast<unsigned>(member); }
  uint32_t bits_ = 0;
};

// For documents that hold the same members in another arrangement (the
// live feed's "data" puts the fix first). The text of each member is
// AppendMessageJson's, so such a document is as byte-exact as the store's.
//
// AppendMessageMember writes `member` of `message` under `key` (its own name
// or another) into the object `writer` has open; nothing when the document
// would not hold it (an absent optional, a non-finite number, no attributes).
// AppendMessageMembers writes every member but those in `leave_out`, each
// under its own name, in the document's order.
void AppendMessageMember(JsonTextWriter& writer, const Message& message, MessageMember member, std::string_view key);
void AppendMessageMembers(JsonTextWriter& writer, const Message& message, MessageMemberSet leave_out = {});

// Parses what MessageToJson produces. Rejects wrong types and unknown kinds.
Result<Message> MessageFromJson(const nlohmann::ordered_json& json);
Result<Message> MessageFromJsonText(std::string_view text);

}  // namespace fleetd
