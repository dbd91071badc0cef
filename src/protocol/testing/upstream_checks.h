// The checks the vector README says upstream applies to every decoded
// position (verifyPosition), once for all protocol suites.
#pragma once

#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include <nlohmann/json.hpp>

#include "core/time_util.h"
#include "fleetd/message.h"

namespace fleetd::vectors {

// nullopt when `m` passes; otherwise what is wrong. Speeds are km/h here
// (upstream's 869 knots limit times 1.852).
inline std::optional<std::string> PositionProblem(const Message& m, TimestampMs now, std::string_view protocol,
                                                  bool check_altitude = true) {
  if (!m.has_position()) return "no position";
  if (std::fabs(*m.lat) > 90 || std::fabs(*m.lng) > 180) return "coordinates out of range";
  if (!m.ts || *m.ts < *MakeTimestamp(2000, 1, 1, 0, 0, 0) || *m.ts > now + 25 * 3600 * 1000) return "bad fix time";
  if (check_altitude && m.altitude_m && (*m.altitude_m < -12262 || *m.altitude_m > 18000)) {
    return "altitude out of range";
  }
  if (m.speed_kmh && (*m.speed_kmh < 0 || *m.speed_kmh > 869 * 1.852)) return "speed out of range";
  if (m.heading && (*m.heading < 0 || *m.heading >= 360)) return "heading out of range";
  if (m.device_uid.empty() || m.protocol != protocol) return "missing identity";
  return std::nullopt;
}

// An attribute as JSON for comparing with upstream's value (numbers times
// `scale` when upstream uses another unit), or nullopt when absent. The typed
// cell tower answers for its four attribute names, as it does in JSON.
inline std::optional<nlohmann::json> AttributeJson(const Message& m, std::string_view key, double scale = 1) {
  if (m.cell) {
    if (key == "mcc") return nlohmann::json(m.cell->mcc);
    if (key == "mnc") return nlohmann::json(m.cell->mnc);
    if (key == "lac") return nlohmann::json(m.cell->lac);
    if (key == "cell_id") return nlohmann::json(m.cell->cell_id);
  }
  auto it = m.attributes.find(key);
  if (it == m.attributes.end()) return std::nullopt;
  return std::visit(
      [scale](const auto& v) -> nlohmann::json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, double>) {
          if (scale != 1) return static_cast<double>(v) * scale;
        }
        return v;
      },
      it->second);
}

// Upstream compares with Java equals; numbers here may differ in the last bits.
inline bool SameValue(const nlohmann::json& a, const nlohmann::json& b) {
  if (a.is_number() && b.is_number()) return std::fabs(a.get<double>() - b.get<double>()) < 1e-6;
  return a == b;
}

}  // namespace fleetd::vectors
