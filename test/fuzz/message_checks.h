// Invariants every decoded Message must hold, whatever bytes it came from;
// shared by the fuzz targets (test/fuzz only).
#pragma once

#include <cmath>
#include <optional>

#include "core/message_json.h"
#include "fleetd/message.h"
#include "fuzz_check.h"

namespace fleetd::fuzz {

inline bool FiniteOrAbsent(const std::optional<double>& v) { return !v || std::isfinite(*v); }

// Fields are finite, coordinates are on the globe (out-of-range values are a
// decoder's kOutOfRange, never a message), and the message survives JSON
// (the store and the API serialize every message; an invalid UTF-8 string
// attribute would throw there).
inline void CheckMessage(const Message& m) {
  for (const auto* v : {&m.lat, &m.lng, &m.altitude_m, &m.speed_kmh, &m.heading, &m.hdop, &m.odometer_km, &m.battery_v,
                        &m.power_v, &m.fuel_pct, &m.engine_temp_c, &m.rpm}) {
    FUZZ_CHECK(FiniteOrAbsent(*v), "a decoded number is NaN or infinite");
  }
  for (const auto& [key, value] : m.attributes) {
    if (const double* d = std::get_if<double>(&value)) FUZZ_CHECK(std::isfinite(*d), "attribute is NaN or infinite");
  }
  FUZZ_CHECK(!m.lat || (*m.lat >= -90 && *m.lat <= 90), "latitude out of range");
  FUZZ_CHECK(!m.lng || (*m.lng >= -180 && *m.lng <= 180), "longitude out of range");
  const std::string text = MessageToJsonText(m);  // throws on invalid UTF-8: a crash here
  FUZZ_CHECK(MessageFromJsonText(text).ok(), "a decoded message does not read back from its JSON");
}

}  // namespace fleetd::fuzz
