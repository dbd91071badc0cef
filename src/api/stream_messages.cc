// JSON encoding of the WebSocket feed; see stream_messages.h.
#include "api/stream_messages.h"

#include <utility>

#include "api/json_util.h"
#include "core/json_text.h"
#include "core/message_json.h"

namespace fleetd::api {

bool FilterAllows(const VehicleFilter& filter, std::string_view uid) {
  return !filter || filter->find(uid) != filter->end();
}

// Both messages are written as text, not built as an nlohmann tree and
// dumped: an API node writes a telemetry update for every live message, and
// the tree was its largest cost. The bytes are those the tree gave
// (stream_messages_json_test compares the two).
std::string SnapshotJson(const std::vector<Message>& latest, const VehicleFilter& filter) {
  std::string out;
  JsonTextWriter w(out);
  w.BeginObject();
  w.Key("type");
  w.String("snapshot");
  w.Key("positions");
  w.BeginArray();
  for (const Message& m : latest) {
    if (!FilterAllows(filter, m.device_uid)) continue;
    w.BeginObject();
    AppendMessageMembers(w, m);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return out;
}

std::string TelemetryUpdateJson(const Message& message) {
  std::string out;
  out.reserve(512);
  JsonTextWriter w(out);
  w.BeginObject();
  w.Key("type");
  w.String("telemetry_update");
  w.Key("vehicle_id");
  w.String(message.device_uid);
  w.Key("data");
  w.BeginObject();
  // The fix first, under the dashboard's names, then the rest of the v1
  // document in its order: speed_kmh stays there, "speed" is a copy of it.
  static constexpr std::pair<MessageMember, std::string_view> kFixFirst[] = {
      {MessageMember::kLat, "lat"},         {MessageMember::kLng, "lng"}, {MessageMember::kSpeedKmh, "speed"},
      {MessageMember::kHeading, "heading"}, {MessageMember::kTs, "ts"},
  };
  for (const auto& [member, key] : kFixFirst) AppendMessageMember(w, message, member, key);
  AppendMessageMembers(w, message,
                       {MessageMember::kLat, MessageMember::kLng, MessageMember::kHeading, MessageMember::kTs});
  w.EndObject();
  w.EndObject();
  return out;
}

std::string StreamErrorJson(std::string_view message) {
  Json j = Json::object();
  j["type"] = "error";
  j["error"] = std::string(message);
  return DumpJson(j);
}

Result<VehicleFilter> ParseSubscribe(std::string_view text) {
  auto j = ParseJsonObject(text);
  if (!j) return Status(StatusCode::kInvalidArgument, "message must be a JSON object");
  auto type = j->find("type");
  if (type == j->end() || !type->is_string()) return Status(StatusCode::kInvalidArgument, "missing \"type\"");
  if (*type != "subscribe") return Status(StatusCode::kInvalidArgument, "unknown message type");
  auto vehicles = j->find("vehicles");
  if (vehicles == j->end() || (vehicles->is_string() && *vehicles == "*")) return VehicleFilter();
  if (!vehicles->is_array()) {
    return Status(StatusCode::kInvalidArgument, "\"vehicles\" must be an array of uids or \"*\"");
  }
  if (vehicles->size() > kMaxSubscribed) return Status(StatusCode::kInvalidArgument, "too many vehicles");
  if (vehicles->empty()) return VehicleFilter();
  std::set<std::string, std::less<>> uids;
  for (const auto& v : *vehicles) {
    if (!v.is_string()) return Status(StatusCode::kInvalidArgument, "\"vehicles\" must hold strings");
    uids.insert(v.get<std::string>());
  }
  return VehicleFilter(std::move(uids));
}

}  // namespace fleetd::api

