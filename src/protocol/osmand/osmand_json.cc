// Traccar Client (background-geolocation) JSON body -> Report:
//   {"device_id": "...", "location": {"timestamp": ISO, "coords": {latitude,
//    longitude, speed (m/s), heading, altitude, accuracy, altitude_accuracy},
//    "is_moving", "odometer" (m), "event", "mock", "battery": {level (0..1),
//    is_charging}, "activity": {type}, "extras": {...}}}
// Negative speed, heading, accuracy and battery level mean "unknown".
// Never calls a throwing accessor: every value's type is checked first.
#include <cmath>

#include "fleetd/attribute_keys.h"
#include "protocol/osmand/osmand_report.h"

namespace fleetd::osmand {
namespace {

using nlohmann::json;

const json* Member(const json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::optional<double> Number(const json& object, std::string_view key) {
  const json* v = Member(object, key);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  const double d = v->get<double>();
  return std::isfinite(d) ? std::optional<double>(d) : std::nullopt;
}

std::optional<double> NonNegative(const json& object, std::string_view key) {
  auto v = Number(object, key);
  return v && *v >= 0 ? v : std::nullopt;
}

std::optional<bool> Bool(const json& object, std::string_view key) {
  const json* v = Member(object, key);
  return v != nullptr && v->is_boolean() ? std::optional<bool>(v->get<bool>()) : std::nullopt;
}

std::optional<std::string> String(const json& object, std::string_view key) {
  const json* v = Member(object, key);
  return v != nullptr && v->is_string() ? std::optional<std::string>(v->get_ref<const std::string&>()) : std::nullopt;
}

void ApplyExtras(const json& extras, Report& r) {
  if (!extras.is_object()) return;
  for (const auto& [key, v] : extras.items()) {
    if (v.is_boolean()) {
      SetExtra(r, key, v.get<bool>());
    } else if (v.is_number_integer() && !(v.is_number_unsigned() && v.get<uint64_t>() > INT64_MAX)) {
      SetExtra(r, key, v.get<int64_t>());
    } else if (v.is_number()) {
      SetExtra(r, key, v.get<double>());
    } else if (v.is_string()) {
      SetExtra(r, key, Printable(v.get_ref<const std::string&>()));
    }  // nested values are not kept
  }
}

}  // namespace

Status ApplyJson(const json& body, Report& r) {
  if (!body.is_object()) return Status(StatusCode::kMalformed, "JSON body is not an object");
  if (const json* id = Member(body, "device_id")) {
    if (id->is_string()) r.id = id->get<std::string>();
    if (id->is_number_integer()) r.id = id->dump();
  }
  const json* location = Member(body, "location");
  if (location == nullptr) return Status::Ok();
  if (!location->is_object()) return Status(StatusCode::kUnsupported, "location must be one object");
  const json& loc = *location;
  Message& m = r.msg;

  if (auto ts = String(loc, "timestamp")) {
    r.time = ParseTime(*ts);
    if (!r.time) return Status(StatusCode::kMalformed, "bad location.timestamp");
  }
  if (const json* coords = Member(loc, "coords")) {
    const json* lat = Member(*coords, "latitude");
    const json* lng = Member(*coords, "longitude");
    if ((lat != nullptr && !lat->is_number()) || (lng != nullptr && !lng->is_number())) {
      return Status(StatusCode::kMalformed, "coordinates must be numbers");
    }
    r.lat = Number(*coords, "latitude");
    r.lng = Number(*coords, "longitude");
    if (auto v = NonNegative(*coords, "speed")) m.speed_kmh = *v * 3.6;
    if (auto v = NonNegative(*coords, "heading")) m.heading = std::fmod(*v, 360.0);
    m.altitude_m = Number(*coords, "altitude");
    if (auto v = NonNegative(*coords, "accuracy")) m.attributes.Set(attr::kAccuracyM, *v);
    if (auto v = NonNegative(*coords, "altitude_accuracy")) m.attributes.Set(attr::kVerticalAccuracyM, *v);
  }
  if (auto v = Bool(loc, "is_moving")) m.attributes.Set(attr::kMotion, *v);
  if (auto v = Bool(loc, "mock")) m.attributes.Set(attr::kMockLocation, *v);
  if (auto v = NonNegative(loc, "odometer")) m.odometer_km = *v / 1000;
  if (auto v = String(loc, "event")) m.attributes.Set(attr::kAppEvent, Printable(*v));
  if (const json* battery = Member(loc, "battery")) {
    if (auto level = NonNegative(*battery, "level"); level && *level <= 1) {
      m.attributes.Set(attr::kBatteryLevel, static_cast<int64_t>(std::lround(*level * 100)));
    }
    if (auto v = Bool(*battery, "is_charging")) m.attributes.Set(attr::kCharging, *v);
  }
  if (const json* activity = Member(loc, "activity")) {
    if (auto type = String(*activity, "type")) m.attributes.Set(attr::kActivity, Printable(*type));
  }
  if (const json* extras = Member(loc, "extras")) ApplyExtras(*extras, r);
  return Status::Ok();
}

}  // namespace fleetd::osmand
