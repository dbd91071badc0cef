#include "protocol/mqtt/mqtt_payload_decoder.h"

#include <cmath>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/hex.h"
#include "core/time_util.h"
#include "fleetd/attribute_keys.h"
#include "protocol/can/j1939.h"
#include "protocol/can/obd.h"

namespace fleetd {
namespace {

using Json = nlohmann::json;

Status Malformed(const std::string& why) { return Status(StatusCode::kMalformed, why); }

// Known number fields: payload name -> where it goes.
struct NumberField {
  std::string_view name;
  std::optional<double> Message::*field;
  double scale;
};
constexpr NumberField kNumbers[] = {
    {"altitude", &Message::altitude_m, 1},   {"speed", &Message::speed_kmh, 1},
    {"heading", &Message::heading, 1},       {"hdop", &Message::hdop, 1},
    {"odometer", &Message::odometer_km, 1},  {"battery_v", &Message::battery_v, 1},
    {"power_v", &Message::power_v, 1},       {"fuel_level", &Message::fuel_pct, 1},
    {"engine_temp", &Message::engine_temp_c, 1}, {"rpm", &Message::rpm, 1},
};

Status ApplyCanFrame(const Json& frame, Message& m) {
  if (!frame.is_object()) return Malformed("can[] entries must be objects");
  if (auto obd = frame.find("obd"); obd != frame.end()) {
    if (!obd->is_string()) return Malformed("can[].obd must be a hex string");
    auto bytes = ParseHex(obd->get<std::string>());
    if (!bytes) return Malformed("can[].obd is not hex");
    Status s = ApplyObdResponse(*bytes, m);
    return s.code() == StatusCode::kUnsupported ? Status::Ok() : s;  // unknown PIDs are skipped
  }
  auto id = frame.find("id");
  auto data = frame.find("data");
  if (id == frame.end() || data == frame.end() || !data->is_string()) {
    return Malformed("can[] entries need \"id\" and \"data\" (or \"obd\")");
  }
  uint32_t can_id = 0;
  if (id->is_number_unsigned()) {
    if (id->get<uint64_t>() > 0x1FFFFFFF) return Malformed("can[].id is not a 29-bit identifier");
    can_id = static_cast<uint32_t>(id->get<uint64_t>());
  } else if (id->is_string()) {
    auto bytes = ParseHex(id->get<std::string>());
    if (!bytes || bytes->empty() || bytes->size() > 4) return Malformed("can[].id is not hex");
    for (uint8_t b : *bytes) can_id = can_id << 8 | b;
    if (can_id > 0x1FFFFFFF) return Malformed("can[].id is not a 29-bit identifier");
  } else {
    return Malformed("can[].id must be a number or a hex string");
  }
  auto payload = ParseHex(data->get<std::string>());
  if (!payload || payload->size() > 8) return Malformed("can[].data must be up to 8 bytes of hex");
  Status s = ApplyJ1939Frame(can_id, *payload, m);
  return s.code() == StatusCode::kUnsupported ? Status::Ok() : s;  // other PGNs are skipped
}

}  // namespace

Status MqttPayloadDecoder::Decode(std::span<const uint8_t> frame, DecodeSession& session, TimestampMs received_at,
                                  DecodeOutput& out) const {
  if (session.device_uid.empty()) return Status(StatusCode::kNoSession, "no device uid from the topic");
  if (frame.size() > kMaxMqttPayload) return Status(StatusCode::kBadLength, "payload larger than 64 KiB");
  Json j = Json::parse(frame.begin(), frame.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Malformed("payload is not JSON");
  if (!j.is_object()) return Malformed("payload must be a JSON object");
  auto v = j.find("v");
  if (v == j.end() || !v->is_number_integer() || v->get<int64_t>() != 1) {
    return Status(StatusCode::kUnsupported, "unknown payload version (want \"v\":1)");
  }

  Message m;
  m.device_uid = session.device_uid;
  m.protocol = "mqtt";
  m.received_at = received_at;
  for (const auto& [key, value] : j.items()) {
    if (key == "v" || key == "can") continue;
    if (key == "ts") {
      if (!value.is_string()) return Malformed("ts must be an ISO-8601 string");
      auto ts = ParseIso8601(value.get<std::string>());
      if (!ts || *ts < 0 || *ts > kMaxTimestampMs) return Status(StatusCode::kOutOfRange, "ts is not a valid time");
      m.ts = ts;
      continue;
    }
    if (key == "lat" || key == "lng") {
      if (!value.is_number()) return Malformed(key + " must be a number");
      const double d = value.get<double>();
      const double limit = key == "lat" ? 90 : 180;
      if (!std::isfinite(d) || std::fabs(d) > limit) return Status(StatusCode::kOutOfRange, key + " out of range");
      (key == "lat" ? m.lat : m.lng) = d;
      continue;
    }
    if (key == "ignition") {
      if (!value.is_boolean()) return Malformed("ignition must be a boolean");
      m.ignition = value.get<bool>();
      continue;
    }
    if (key == "satellites") {
      if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > 255) {
        return Malformed("satellites must be an integer 0..255");
      }
      m.satellites = static_cast<int>(value.get<int64_t>());
      continue;
    }
    bool known = false;
    for (const auto& f : kNumbers) {
      if (key != f.name) continue;
      known = true;
      if (!value.is_number() || !std::isfinite(value.get<double>())) return Malformed(key + " must be a number");
      m.*(f.field) = value.get<double>() * f.scale;
    }
    if (known) continue;
    // Unknown scalars are kept, under a prefix so they can never shadow a documented key.
    if (key.size() > 64) continue;  // not a field name anyone meant
    const std::string name = std::string(attr::kExtraPrefix) + key;
    if (value.is_boolean()) m.attributes.Set(name, value.get<bool>());
    else if (value.is_number_integer()) m.attributes.Set(name, value.get<int64_t>());
    else if (value.is_number()) m.attributes.Set(name, value.get<double>());
    else if (value.is_string()) m.attributes.Set(name, value.get<std::string>());
    // nested objects and arrays are not attributes: dropped
  }
  if (m.lat.has_value() != m.lng.has_value()) return Malformed("lat and lng come together");
  if (auto can = j.find("can"); can != j.end()) {
    if (!can->is_array()) return Malformed("can must be an array");
    if (can->size() > 256) return Malformed("more than 256 CAN frames");
    for (const auto& f : *can) {
      if (Status s = ApplyCanFrame(f, m); !s.ok()) return s;
    }
  }
  if (!m.ts) m.ts = received_at;  // the gateway sent no time: when we got it
  m.kind = m.has_position() ? MessageKind::kPosition : MessageKind::kTelemetry;
  out.messages.push_back(std::move(m));
  return Status::Ok();
}

}  // namespace fleetd
