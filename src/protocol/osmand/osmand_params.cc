// OsmAnd query parameters -> Report, through one table of names. Units
// follow OsmAnd and Traccar Client: speed in knots, odometer in metres,
// batt in percent. Unknown parameters are kept as "extra_<name>".
#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <string>

#include "fleetd/attribute_keys.h"
#include "protocol/osmand/osmand_report.h"

namespace fleetd::osmand {
namespace {

enum class Param : uint8_t {
  kId, kLat, kLon, kLocation, kTimestamp, kSpeedKnots, kHeading, kAltitude, kAccuracy, kVerticalAccuracy,
  kHdop, kSatellites, kBatteryPercent, kCharge, kIgnition, kMotion, kValid, kOdometerM, kRpm, kDriver,
  kAlarm, kEvent, kCell, kWifi,
};

struct Row {
  std::string_view name;
  Param param;
};

constexpr std::array<Row, 29> kParams = {{
    {"id", Param::kId},                 {"deviceid", Param::kId},
    {"lat", Param::kLat},               {"lon", Param::kLon},
    {"lng", Param::kLon},               {"location", Param::kLocation},
    {"timestamp", Param::kTimestamp},   {"speed", Param::kSpeedKnots},
    {"bearing", Param::kHeading},       {"heading", Param::kHeading},
    {"altitude", Param::kAltitude},     {"accuracy", Param::kAccuracy},
    {"hacc", Param::kAccuracy},         {"vacc", Param::kVerticalAccuracy},
    {"hdop", Param::kHdop},             {"sat", Param::kSatellites},
    {"batt", Param::kBatteryPercent},   {"battery", Param::kBatteryPercent},
    {"charge", Param::kCharge},         {"ignition", Param::kIgnition},
    {"motion", Param::kMotion},         {"valid", Param::kValid},
    {"odometer", Param::kOdometerM},    {"rpm", Param::kRpm},
    {"driverUniqueId", Param::kDriver}, {"alarm", Param::kAlarm},
    {"cell", Param::kCell},             {"wifi", Param::kWifi},
    {"event", Param::kEvent},
}};

Status Bad(std::string_view name) { return Status(StatusCode::kMalformed, "bad value for " + std::string(name)); }

// "a,b,c" -> up to `max` parts; nullopt when there are more.
template <size_t N>
size_t Split(std::string_view s, std::array<std::string_view, N>& parts) {
  size_t n = 0;
  while (n < N) {
    const size_t comma = s.find(',');
    parts[n++] = s.substr(0, comma);
    if (comma == std::string_view::npos) return n;
    s.remove_prefix(comma + 1);
  }
  return N + 1;
}

std::optional<int64_t> Integer(std::string_view s) {
  auto v = ParseNumber(s);
  if (!v || *v != std::floor(*v) || std::fabs(*v) > 1e15) return std::nullopt;
  return static_cast<int64_t>(*v);
}

// "mcc,mnc,lac,cid[,rssi]"
Status ApplyCell(std::string_view value, Report& r) {
  std::array<std::string_view, 5> p;
  const size_t n = Split(value, p);
  if (n < 4 || n > 5) return Bad("cell");
  std::array<int64_t, 5> v{};
  for (size_t i = 0; i < n; ++i) {
    auto x = Integer(p[i]);
    if (!x) return Bad("cell");
    v[i] = *x;
  }
  if (!r.msg.cell) r.msg.cell = CellTower{v[0], v[1], v[2], v[3]};
  if (!r.cell_towers.empty()) r.cell_towers += ';';
  r.cell_towers += std::to_string(v[0]) + "-" + std::to_string(v[1]) + "-" + std::to_string(v[2]) + "-" +
                   std::to_string(v[3]);
  if (n == 5) r.cell_towers += "/" + std::to_string(v[4]);
  return Status::Ok();
}

// "00-14-22-01-23-45,-80" (or ':' separators) -> "00:14:22:01:23:45/-80"
Status ApplyWifi(std::string_view value, Report& r) {
  std::array<std::string_view, 2> p;
  if (Split(value, p) != 2 || p[0].size() != 17) return Bad("wifi");
  std::string mac;
  for (size_t i = 0; i < 17; ++i) {
    const char c = p[0][i];
    if (i % 3 == 2) {
      if (c != ':' && c != '-') return Bad("wifi");
      mac += ':';
    } else if (std::isxdigit(static_cast<unsigned char>(c))) {
      mac += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      return Bad("wifi");
    }
  }
  auto rssi = Integer(p[1]);
  if (!rssi) return Bad("wifi");
  if (!r.wifi_aps.empty()) r.wifi_aps += ';';
  r.wifi_aps += mac + "/" + std::to_string(*rssi);
  return Status::Ok();
}

// An unknown parameter keeps the type its text looks like.
AttributeValue Guess(std::string_view value) {
  if (value == "true" || value == "false") return value == "true";
  if (auto i = Integer(value); i && value.find_first_of(".eE") == std::string_view::npos) return *i;
  if (auto d = ParseNumber(value)) return *d;
  return Printable(value);
}

}  // namespace

Status ApplyParam(std::string_view name, std::string_view value, Report& r) {
  const auto row = std::find_if(kParams.begin(), kParams.end(), [&](const Row& x) { return x.name == name; });
  if (row == kParams.end()) {
    SetExtra(r, name, Guess(value));
    return Status::Ok();
  }
  Message& m = r.msg;
  auto number = [&]() -> std::optional<double> { return ParseNumber(value); };
  auto flag = [&](auto&& apply) -> Status {
    auto b = ParseBool(value);
    if (!b) return Bad(name);
    apply(*b);
    return Status::Ok();
  };
  std::optional<double> v;
  switch (row->param) {
    case Param::kId: r.id = std::string(value); return Status::Ok();
    case Param::kLat: r.lat = number(); return r.lat ? Status::Ok() : Bad(name);
    case Param::kLon: r.lng = number(); return r.lng ? Status::Ok() : Bad(name);
    case Param::kLocation: {
      std::array<std::string_view, 2> p;
      if (Split(value, p) != 2) return Bad(name);
      r.lat = ParseNumber(p[0]);
      r.lng = ParseNumber(p[1]);
      return r.lat && r.lng ? Status::Ok() : Bad(name);
    }
    case Param::kTimestamp: r.time = ParseTime(value); return r.time ? Status::Ok() : Bad(name);
    case Param::kEvent: m.attributes.Set(attr::kAppEvent, Printable(value)); return Status::Ok();
    case Param::kDriver: m.attributes.Set(attr::kDriverId, Printable(value)); return Status::Ok();
    case Param::kAlarm:
      m.alarm = ParseAlarm(value);
      if (!m.alarm) {
        m.alarm = Alarm::kGeneral;
        m.attributes.Set(attr::kAlarmType, Printable(value));
      }
      return Status::Ok();
    case Param::kCell: return ApplyCell(value, r);
    case Param::kWifi: return ApplyWifi(value, r);
    case Param::kCharge: return flag([&](bool b) { m.attributes.Set(attr::kCharging, b); });
    case Param::kIgnition: return flag([&](bool b) { m.ignition = b; });
    case Param::kMotion: return flag([&](bool b) { m.attributes.Set(attr::kMotion, b); });
    case Param::kValid: return flag([&](bool b) { m.valid = b; });
    default: break;
  }
  // The rest are plain numbers.
  v = number();
  if (!v) return Bad(name);
  switch (row->param) {
    case Param::kSpeedKnots: if (*v >= 0) m.speed_kmh = *v * 1.852; break;
    case Param::kHeading: if (*v >= 0) m.heading = std::fmod(*v, 360.0); break;
    case Param::kAltitude: m.altitude_m = *v; break;
    case Param::kAccuracy: if (*v >= 0) m.attributes.Set(attr::kAccuracyM, *v); break;
    case Param::kVerticalAccuracy: if (*v >= 0) m.attributes.Set(attr::kVerticalAccuracyM, *v); break;
    case Param::kHdop: if (*v >= 0) m.hdop = *v; break;
    case Param::kSatellites: if (*v >= 0 && *v < 1000) m.satellites = static_cast<int>(*v); break;
    case Param::kBatteryPercent:
      if (*v >= 0 && *v <= 100) m.attributes.Set(attr::kBatteryLevel, static_cast<int64_t>(std::lround(*v)));
      break;
    case Param::kOdometerM: if (*v >= 0) m.odometer_km = *v / 1000; break;
    case Param::kRpm: if (*v >= 0) m.rpm = *v; break;
    default: break;
  }
  return Status::Ok();
}

}  // namespace fleetd::osmand
