// Report helpers and Finish (see osmand_report.h).
#include "protocol/osmand/osmand_report.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/time_util.h"
#include "fleetd/attribute_keys.h"

namespace fleetd::osmand {
namespace {

// Year 3000: anything later is not a time a phone reports.
constexpr TimestampMs kLatestTime = 32503680000000;

}  // namespace

std::optional<double> ParseNumber(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double v = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || r.ec != std::errc() || r.ptr != text.data() + text.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

std::optional<bool> ParseBool(std::string_view text) {
  if (text == "true" || text == "1") return true;
  if (text == "false" || text == "0") return false;
  return std::nullopt;
}

std::optional<TimestampMs> ParseTime(std::string_view text) {
  std::optional<TimestampMs> ts;
  if (auto n = ParseNumber(text)) {
    if (*n < 0 || *n >= 1e15) return std::nullopt;
    // Seconds until 2286; anything from 1e12 on is milliseconds.
    ts = static_cast<TimestampMs>(std::llround(*n >= 1e12 ? *n : *n * 1000));
  } else {
    ts = ParseIso8601(text);
  }
  if (!ts || *ts < 0 || *ts > kLatestTime) return std::nullopt;
  return ts;
}

std::string Printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, kMaxTextLength)) out += (c >= 0x20 && c < 0x7F) ? c : '?';
  return out;
}

void SetExtra(Report& r, std::string_view name, AttributeValue value) {
  if (name.empty() || name.size() > 64 || r.extras == kMaxExtras) return;
  const bool ok = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
  });
  if (!ok) return;
  std::string key(attr::kExtraPrefix);
  key += name;
  if (!r.msg.attributes.contains(key)) ++r.extras;
  r.msg.attributes.Set(key, std::move(value));
}

Status Finish(Report& r, TimestampMs received_at, Message& out) {
  if (r.id.empty()) return Status(StatusCode::kNoSession, "no id or deviceid");
  if (r.id.size() > kMaxIdLength ||
      !std::all_of(r.id.begin(), r.id.end(), [](char c) { return c > 0x20 && c < 0x7F; })) {
    return Status(StatusCode::kMalformed, "id must be 1..64 printable characters");
  }
  if (r.lat.has_value() != r.lng.has_value()) return Status(StatusCode::kMalformed, "lat without lon or lon without lat");
  out = std::move(r.msg);
  out.device_uid = r.id;
  out.protocol = "osmand";
  out.received_at = received_at;
  if (r.lat) {
    if (std::fabs(*r.lat) > 90 || std::fabs(*r.lng) > 180) return Status(StatusCode::kOutOfRange, "lat/lon out of range");
    out.lat = r.lat;
    out.lng = r.lng;
    out.ts = r.time.value_or(received_at);
  } else if (r.time) {
    out.attributes.Set(attr::kDeviceTime, int64_t{*r.time});
  }
  if (!r.cell_towers.empty()) out.attributes.Set(attr::kCellTowers, r.cell_towers);
  if (!r.wifi_aps.empty()) out.attributes.Set(attr::kWifiAccessPoints, r.wifi_aps);
  if (out.alarm) {
    out.kind = MessageKind::kAlarm;
  } else if (out.has_position()) {
    out.kind = MessageKind::kPosition;
  } else {
    out.kind = out.attributes.empty() && !out.cell ? MessageKind::kHeartbeat : MessageKind::kStatus;
  }
  return Status::Ok();
}

}  // namespace fleetd::osmand
