#include "core/message_json.h"

#include <algorithm>
#include <cmath>

#include "core/json_text.h"

#include "core/time_util.h"

namespace fleetd {
namespace {

using Json = nlohmann::ordered_json;

template <typename T>
void PutOptional(Json& j, const char* name, const std::optional<T>& v) {
  if (v) j[name] = *v;
}

void PutDouble(Json& j, const char* name, const std::optional<double>& v) {
  if (v && std::isfinite(*v)) j[name] = *v;
}

Status TypeError(const char* name, const char* want) {
  return Status(StatusCode::kInvalidArgument, std::string("field '") + name + "' must be " + want);
}

Status ReadDouble(const Json& j, const char* name, std::optional<double>& out) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return Status::Ok();
  if (!it->is_number()) return TypeError(name, "a number");
  double v = it->get<double>();
  if (!std::isfinite(v)) return TypeError(name, "finite");
  out = v;
  return Status::Ok();
}

Status ReadBool(const Json& j, const char* name, std::optional<bool>& out) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return Status::Ok();
  if (!it->is_boolean()) return TypeError(name, "a boolean");
  out = it->get<bool>();
  return Status::Ok();
}

Status ReadTime(const Json& j, const char* name, std::optional<TimestampMs>& out) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return Status::Ok();
  if (!it->is_string()) return TypeError(name, "an ISO-8601 string");
  auto ts = ParseIso8601(it->get_ref<const std::string&>());
  if (!ts) return TypeError(name, "an ISO-8601 time");
  out = ts;
  return Status::Ok();
}

}  // namespace

Json MessageToJson(const Message& m) {
  Json j = Json::object();
  j["device_uid"] = m.device_uid;
  j["protocol"] = m.protocol;
  j["kind"] = std::string(MessageKindName(m.kind));
  if (m.ts) j["ts"] = FormatIso8601(*m.ts);
  j["received_at"] = FormatIso8601(m.received_at);
  PutOptional(j, "valid", m.valid);
  PutDouble(j, "lat", m.lat);
  PutDouble(j, "lng", m.lng);
  PutDouble(j, "altitude_m", m.altitude_m);
  PutDouble(j, "speed_kmh", m.speed_kmh);
  PutDouble(j, "heading", m.heading);
  PutOptional(j, "satellites", m.satellites);
  PutDouble(j, "hdop", m.hdop);
  PutOptional(j, "ignition", m.ignition);
  PutDouble(j, "odometer_km", m.odometer_km);
  PutDouble(j, "battery_v", m.battery_v);
  PutDouble(j, "power_v", m.power_v);
  PutDouble(j, "fuel_pct", m.fuel_pct);
  PutDouble(j, "engine_temp_c", m.engine_temp_c);
  PutDouble(j, "rpm", m.rpm);
  if (m.alarm) j["alarm"] = std::string(AlarmName(*m.alarm));
  if (!m.attributes.empty() || m.cell) {
    Json attrs = Json::object();
    if (m.cell) {
      attrs["cell_id"] = m.cell->cell_id;
      attrs["lac"] = m.cell->lac;
      attrs["mcc"] = m.cell->mcc;
      attrs["mnc"] = m.cell->mnc;
    }
    for (const auto& item : m.attributes) {
      const std::string& key = item.first;
      const AttributeValue& value = item.second;
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, double>) {
              if (std::isfinite(v)) attrs[key] = v;
            } else {
              attrs[key] = v;
            }
          },
          value);
    }
    j["attributes"] = std::move(attrs);
  }
  return j;
}

namespace {

void PutString(JsonTextWriter& w, std::string_view key, std::string_view v) {
  w.Key(key);
  w.String(v);
}

void PutTime(JsonTextWriter& w, std::string_view key, TimestampMs ts) {
  w.Key(key);
  std::string& raw = w.RawValue();
  raw.push_back('"');
  AppendIso8601(raw, ts);
  raw.push_back('"');
}

void PutDouble(JsonTextWriter& w, std::string_view key, const std::optional<double>& v) {
  if (v && std::isfinite(*v)) {
    w.Key(key);
    w.Double(*v);
  }
}

void PutBool(JsonTextWriter& w, std::string_view key, const std::optional<bool>& v) {
  if (v) {
    w.Key(key);
    w.Bool(*v);
  }
}

void PutAttribute(JsonTextWriter& w, std::string_view key, const AttributeValue& value) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, double>) {
          if (!std::isfinite(v)) return;
          w.Key(key);
          w.Double(v);
        } else if constexpr (std::is_same_v<T, bool>) {
          w.Key(key);
          w.Bool(v);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          w.Key(key);
          w.Int(v);
        } else {
          w.Key(key);
          w.String(v);
        }
      },
      value);
}

void PutAttributes(JsonTextWriter& w, std::string_view key, const Message& m) {
  if (m.attributes.empty() && !m.cell) return;
  w.Key(key);
  w.BeginObject();
  static constexpr std::string_view kCellKeys[] = {"cell_id", "lac", "mcc", "mnc"};
  if (m.cell) {
    // The typed cell first, as MessageToJson inserts it; an attribute with
    // one of its names takes its place (the tree would overwrite it there).
    const int64_t parts[] = {m.cell->cell_id, m.cell->lac, m.cell->mcc, m.cell->mnc};
    for (size_t k = 0; k < 4; ++k) {
      if (auto it = m.attributes.find(kCellKeys[k]); it != m.attributes.end()) {
        if (const double* d = std::get_if<double>(&it->second); d && !std::isfinite(*d)) {
          w.Key(kCellKeys[k]);
          w.Int(parts[k]);  // the tree keeps the cell's value when the attribute is skipped
        } else {
          PutAttribute(w, kCellKeys[k], it->second);
        }
      } else {
        w.Key(kCellKeys[k]);
        w.Int(parts[k]);
      }
    }
  }
  for (const auto& [attribute, value] : m.attributes) {
    if (m.cell && std::find(std::begin(kCellKeys), std::end(kCellKeys), attribute) != std::end(kCellKeys)) continue;
    PutAttribute(w, attribute, value);
  }
  w.EndObject();
}

// Indexed by MessageMember.
constexpr std::string_view kMemberNames[kMessageMemberCount] = {
    "device_uid", "protocol", "kind", "ts", "received_at", "valid", "lat", "lng", "altitude_m", "speed_kmh",
    "heading", "satellites", "hdop", "ignition", "odometer_km", "battery_v", "power_v", "fuel_pct",
    "engine_temp_c", "rpm", "alarm", "attributes",
};

// One member. Always inlined, and AppendMessageMembers' loop unrolled, so
// that the store's path compiles to the straight run of writes it was
// written as before; a call and a switch per member cost it 6% more
// instructions (api_benchmark's BM_MessageToJsonText under callgrind).
[[gnu::always_inline]] inline void WriteMember(JsonTextWriter& w, const Message& m, MessageMember member,
                                               std::string_view key) {
  switch (member) {
    case MessageMember::kDeviceUid: return PutString(w, key, m.device_uid);
    case MessageMember::kProtocol: return PutString(w, key, m.protocol);
    case MessageMember::kKind: return PutString(w, key, MessageKindName(m.kind));
    case MessageMember::kTs:
      if (m.ts) PutTime(w, key, *m.ts);
      return;
    case MessageMember::kReceivedAt: return PutTime(w, key, m.received_at);
    case MessageMember::kValid: return PutBool(w, key, m.valid);
    case MessageMember::kLat: return PutDouble(w, key, m.lat);
    case MessageMember::kLng: return PutDouble(w, key, m.lng);
    case MessageMember::kAltitudeM: return PutDouble(w, key, m.altitude_m);
    case MessageMember::kSpeedKmh: return PutDouble(w, key, m.speed_kmh);
    case MessageMember::kHeading: return PutDouble(w, key, m.heading);
    case MessageMember::kSatellites:
      if (m.satellites) {
        w.Key(key);
        w.Int(*m.satellites);
      }
      return;
    case MessageMember::kHdop: return PutDouble(w, key, m.hdop);
    case MessageMember::kIgnition: return PutBool(w, key, m.ignition);
    case MessageMember::kOdometerKm: return PutDouble(w, key, m.odometer_km);
    case MessageMember::kBatteryV: return PutDouble(w, key, m.battery_v);
    case MessageMember::kPowerV: return PutDouble(w, key, m.power_v);
    case MessageMember::kFuelPct: return PutDouble(w, key, m.fuel_pct);
    case MessageMember::kEngineTempC: return PutDouble(w, key, m.engine_temp_c);
    case MessageMember::kRpm: return PutDouble(w, key, m.rpm);
    case MessageMember::kAlarm:
      if (m.alarm) PutString(w, key, AlarmName(*m.alarm));
      return;
    case MessageMember::kAttributes: return PutAttributes(w, key, m);
  }
}

}  // namespace

// Each member is written directly with MessageToJson's exact text
// (json_text_test compares the two, conformance_test on every vector
// message). Device text (a GT06 0x15 answer, an H02 field) may hold
// invalid UTF-8; it is written with U+FFFD in its place rather than failing.
void AppendMessageMember(JsonTextWriter& w, const Message& m, MessageMember member, std::string_view key) {
  WriteMember(w, m, member, key);
}

void AppendMessageMembers(JsonTextWriter& w, const Message& m, MessageMemberSet leave_out) {
#pragma GCC unroll 32
  for (size_t i = 0; i < kMessageMemberCount; ++i) {
    const auto member = static_cast<MessageMember>(i);
    if (!leave_out.contains(member)) WriteMember(w, m, member, kMemberNames[i]);
  }
}

void AppendMessageJson(std::string& out, const Message& m) {
  JsonTextWriter w(out);
  w.BeginObject();
  AppendMessageMembers(w, m);
  w.EndObject();
}

std::string MessageToJsonText(const Message& message) {
  std::string out;
  out.reserve(384);
  AppendMessageJson(out, message);
  return out;
}

Result<Message> MessageFromJson(const Json& j) {
  if (!j.is_object()) return Status(StatusCode::kInvalidArgument, "message must be a JSON object");
  Message m;
  auto str = [&](const char* name, std::string& out) -> Status {
    auto it = j.find(name);
    if (it == j.end()) return Status::Ok();
    if (!it->is_string()) return TypeError(name, "a string");
    out = it->get<std::string>();
    return Status::Ok();
  };
  Status s;
  std::string kind = "position";
  std::optional<TimestampMs> received;
  std::optional<double> sats;
  if (!(s = str("device_uid", m.device_uid)).ok() || !(s = str("protocol", m.protocol)).ok() ||
      !(s = str("kind", kind)).ok() || !(s = ReadTime(j, "ts", m.ts)).ok() ||
      !(s = ReadTime(j, "received_at", received)).ok() || !(s = ReadBool(j, "valid", m.valid)).ok() ||
      !(s = ReadDouble(j, "lat", m.lat)).ok() || !(s = ReadDouble(j, "lng", m.lng)).ok() ||
      !(s = ReadDouble(j, "altitude_m", m.altitude_m)).ok() ||
      !(s = ReadDouble(j, "speed_kmh", m.speed_kmh)).ok() ||
      !(s = ReadDouble(j, "heading", m.heading)).ok() || !(s = ReadDouble(j, "satellites", sats)).ok() ||
      !(s = ReadDouble(j, "hdop", m.hdop)).ok() || !(s = ReadBool(j, "ignition", m.ignition)).ok() ||
      !(s = ReadDouble(j, "odometer_km", m.odometer_km)).ok() ||
      !(s = ReadDouble(j, "battery_v", m.battery_v)).ok() ||
      !(s = ReadDouble(j, "power_v", m.power_v)).ok() || !(s = ReadDouble(j, "fuel_pct", m.fuel_pct)).ok() ||
      !(s = ReadDouble(j, "engine_temp_c", m.engine_temp_c)).ok() ||
      !(s = ReadDouble(j, "rpm", m.rpm)).ok()) {
    return s;
  }
  auto k = ParseMessageKind(kind);
  if (!k) return Status(StatusCode::kInvalidArgument, "unknown kind '" + kind + "'");
  m.kind = *k;
  if (received) m.received_at = *received;
  if (sats) {
    if (*sats < 0 || *sats > 1000) return Status(StatusCode::kOutOfRange, "satellites out of range");
    m.satellites = static_cast<int>(*sats);
  }
  if (m.lat && (*m.lat < -90 || *m.lat > 90)) return Status(StatusCode::kOutOfRange, "lat out of range");
  if (m.lng && (*m.lng < -180 || *m.lng > 180)) return Status(StatusCode::kOutOfRange, "lng out of range");
  if (auto it = j.find("alarm"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return TypeError("alarm", "a string");
    auto a = ParseAlarm(it->get_ref<const std::string&>());
    if (!a) return Status(StatusCode::kInvalidArgument, "unknown alarm '" + it->get<std::string>() + "'");
    m.alarm = a;
  }
  if (auto it = j.find("attributes"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return TypeError("attributes", "an object");
    for (const auto& [key, v] : it->items()) {
      if (v.is_boolean()) {
        m.attributes[key] = v.get<bool>();
      } else if (v.is_number_integer()) {
        m.attributes[key] = v.get<int64_t>();
      } else if (v.is_number()) {
        m.attributes[key] = v.get<double>();
      } else if (v.is_string()) {
        m.attributes[key] = v.get<std::string>();
      } else {
        return Status(StatusCode::kInvalidArgument, "attribute '" + key + "' must be a scalar");
      }
    }
  }
  // The cell tower travels as four attributes; it is a typed field inside.
  auto cell_part = [&](std::string_view key) -> std::optional<int64_t> {
    auto it = m.attributes.find(key);
    if (it == m.attributes.end() || !std::holds_alternative<int64_t>(it->second)) return std::nullopt;
    return std::get<int64_t>(it->second);
  };
  auto mcc = cell_part("mcc"), mnc = cell_part("mnc"), lac = cell_part("lac"), cid = cell_part("cell_id");
  if (mcc && mnc && lac && cid) {
    m.cell = CellTower{*mcc, *mnc, *lac, *cid};
    for (auto key : {"mcc", "mnc", "lac", "cell_id"}) m.attributes.erase(key);
  }
  return m;
}

Result<Message> MessageFromJsonText(std::string_view text) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status(StatusCode::kMalformed, "not valid JSON");
  return MessageFromJson(j);
}

}  // namespace fleetd
