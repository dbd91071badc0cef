// The WebSocket feed's message shapes (docs/openapi.yaml describes them),
// kept apart from the session so they are plain, testable functions.
//
// Server -> client:
//   {"type":"snapshot","positions":[<v1 message>...]}
//   {"type":"telemetry_update","vehicle_id":"<uid>","data":{lat,lng,speed,heading,ts,...v1 fields}}
//   {"type":"error","error":"..."}
// Client -> server:
//   {"type":"subscribe","vehicles":["uid",...]}   ([] or "*" = every vehicle)
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fleetd/message.h"
#include "fleetd/status.h"

namespace fleetd::api {

// A vehicle filter: nullopt means every vehicle of the tenant.
using VehicleFilter = std::optional<std::set<std::string, std::less<>>>;

bool FilterAllows(const VehicleFilter& filter, std::string_view uid);

// One snapshot message holding every message the filter allows.
std::string SnapshotJson(const std::vector<Message>& latest, const VehicleFilter& filter);

// `data` has lat, lng, speed (= speed_kmh), heading and ts first, when
// known, followed by every other v1 field (speed_kmh included).
std::string TelemetryUpdateJson(const Message& message);

std::string StreamErrorJson(std::string_view message);

// Parses a client message. Only "subscribe" exists; at most kMaxSubscribed
// uids. kInvalidArgument with a reason otherwise.
inline constexpr size_t kMaxSubscribed = 10000;
Result<VehicleFilter> ParseSubscribe(std::string_view text);

}  // namespace fleetd::api
