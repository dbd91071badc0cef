// What one OsmAnd request reports, gathered from query parameters
// (osmand_params.cc) or a Traccar Client JSON body (osmand_json.cc), then
// turned into one schema message. Internal to src/protocol/osmand.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fleetd/message.h"
#include "fleetd/status.h"

namespace fleetd::osmand {

inline constexpr size_t kMaxExtras = 32;     // app-defined attributes kept per request
inline constexpr size_t kMaxIdLength = 64;
inline constexpr size_t kMaxTextLength = 256;

struct Report {
  std::string id;                      // id / deviceid / device_id
  std::optional<double> lat, lng;      // as sent; range-checked by Finish
  std::optional<TimestampMs> time;
  std::string cell_towers;             // "mcc-mnc-lac-cid[/rssi];..."
  std::string wifi_aps;                // "mac/rssi;..."
  size_t extras = 0;
  Message msg;                         // everything else, already in schema units
};

// Applies one query or form parameter (names are case-sensitive, as the apps
// send them). Errors: kMalformed for a value of a known parameter that does
// not convert (number, bool, time, cell, wifi), NaN and infinities included.
Status ApplyParam(std::string_view name, std::string_view value, Report& r);

// Applies a Traccar Client / background-geolocation JSON body. Errors:
// kMalformed when the body is not an object or a coordinate is not a number.
Status ApplyJson(const nlohmann::json& body, Report& r);

// Builds the message: kNoSession without an id, kMalformed for a bad id or
// only one coordinate, kOutOfRange for coordinates beyond +-90/+-180. A
// position without a time gets `received_at` (phones send "now").
Status Finish(Report& r, TimestampMs received_at, Message& out);

// ---- value helpers shared by the two front ends ----
std::optional<double> ParseNumber(std::string_view text);  // finite only
std::optional<bool> ParseBool(std::string_view text);      // true/false/1/0
std::optional<TimestampMs> ParseTime(std::string_view text);  // unix s, unix ms or ISO-8601
std::string Printable(std::string_view text);              // printable ASCII, bounded
// Stores an app-defined value under attr::kExtraPrefix + name; silently
// skips names with characters other than [A-Za-z0-9_.-] and values past kMaxExtras.
void SetExtra(Report& r, std::string_view name, AttributeValue value);

}  // namespace fleetd::osmand
