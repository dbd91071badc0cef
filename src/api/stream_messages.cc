// JSON encoding of the WebSocket feed; see stream_messages.h.
#include "api/stream_messages.h"

#include "api/json_util.h"
#include "core/message_json.h"

namespace fleetd::api {

bool FilterAllows(const VehicleFilter& filter, std::string_view uid) {
  return !filter || filter->find(uid) != filter->end();
}

std::string SnapshotJson(const std::vector<Message>& latest, const VehicleFilter& filter) {
  Json positions = Json::array();
  for (const Message& m : latest) {
    if (FilterAllows(filter, m.device_uid)) positions.push_back(MessageToJson(m));
  }
  Json j = Json::object();
  j["type"] = "snapshot";
  j["positions"] = std::move(positions);
  return DumpJson(j);
}

std::string TelemetryUpdateJson(const Message& message) {
  Json v1 = MessageToJson(message);
  Json data = Json::object();
  for (const char* key : {"lat", "lng"}) {
    if (auto it = v1.find(key); it != v1.end()) data[key] = *it;
  }
  if (auto it = v1.find("speed_kmh"); it != v1.end()) data["speed"] = *it;
  for (const char* key : {"heading", "ts"}) {
    if (auto it = v1.find(key); it != v1.end()) data[key] = *it;
  }
  for (auto& [key, value] : v1.items()) {
    if (!data.contains(key)) data[key] = value;
  }
  Json j = Json::object();
  j["type"] = "telemetry_update";
  j["vehicle_id"] = message.device_uid;
  j["data"] = std::move(data);
  return DumpJson(j);
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

