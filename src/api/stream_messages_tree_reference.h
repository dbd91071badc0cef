// The live feed's messages as stream_messages.cc built them before it wrote
// text directly: MessageToJson's tree, reordered into "data", then dumped.
// Kept, unused by the server, as the reference the text must equal byte for
// byte (stream_messages_json_test) and the baseline it is timed against
// (stream_messages_benchmark).
#pragma once

#include <string>
#include <vector>

#include "api/json_util.h"
#include "api/stream_messages.h"
#include "core/message_json.h"

namespace fleetd::api::reference {

inline std::string TreeSnapshotJson(const std::vector<Message>& latest, const VehicleFilter& filter) {
  Json positions = Json::array();
  for (const Message& m : latest) {
    if (FilterAllows(filter, m.device_uid)) positions.push_back(MessageToJson(m));
  }
  Json j = Json::object();
  j["type"] = "snapshot";
  j["positions"] = std::move(positions);
  return DumpJson(j);
}

inline std::string TreeTelemetryUpdateJson(const Message& message) {
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

}  // namespace fleetd::api::reference
