// EnvelopeCodec: writer and bounds-checked reader for the layout documented
// in envelope_codec.h. The reader goes through ByteReader, so a lying length
// fails the read instead of sizing an allocation.
#include "core/envelope_codec.h"

#include <bit>
#include <cassert>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "core/byte_reader.h"

namespace fleetd {
namespace {

enum Presence : uint32_t {
  kHasTs = 1u << 0,
  kHasValid = 1u << 1,
  kHasLat = 1u << 2,
  kHasLng = 1u << 3,
  kHasAltitude = 1u << 4,
  kHasSpeed = 1u << 5,
  kHasHeading = 1u << 6,
  kHasSatellites = 1u << 7,
  kHasHdop = 1u << 8,
  kHasIgnition = 1u << 9,
  kHasOdometer = 1u << 10,
  kHasBattery = 1u << 11,
  kHasPower = 1u << 12,
  kHasFuel = 1u << 13,
  kHasEngineTemp = 1u << 14,
  kHasRpm = 1u << 15,
  kHasAlarm = 1u << 16,
  kHasCell = 1u << 17,
  kAllPresence = (1u << 18) - 1,
};

enum AttributeType : uint8_t { kBool = 0, kInt = 1, kDouble = 2, kString = 3 };

constexpr auto kLastKind = static_cast<uint8_t>(MessageKind::kOther);
constexpr auto kLastAlarm = static_cast<uint8_t>(Alarm::kGeneral);

void PutBE(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutI64(std::string& out, int64_t v) { PutBE(out, static_cast<uint64_t>(v), 8); }
void PutDouble(std::string& out, double v) { PutBE(out, std::bit_cast<uint64_t>(v), 8); }

bool PutShortString(std::string& out, std::string_view s) {
  if (s.size() > std::numeric_limits<uint16_t>::max()) return false;
  PutBE(out, s.size(), 2);
  out.append(s);
  return true;
}

Status TooLong(const char* what) {
  return Status(StatusCode::kInvalidArgument, std::string(what) + " longer than 65535 bytes cannot be encoded");
}

// Reads a u16-length string; false (and a failed reader) when truncated.
bool ReadShortString(ByteReader& r, std::string& out) {
  size_t n = r.U16();
  auto bytes = r.Bytes(n);
  if (!r.ok()) return false;
  out.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return true;
}

double ReadDouble(ByteReader& r) { return std::bit_cast<double>(r.U64()); }

void ReadOptionalDouble(ByteReader& r, uint32_t bits, uint32_t bit, std::optional<double>& out) {
  if (bits & bit) out = ReadDouble(r);
}

Status Malformed(const std::string& why) { return Status(StatusCode::kMalformed, "envelope: " + why); }
Status Truncated() { return Status(StatusCode::kBadLength, "envelope: truncated or lying length"); }

}  // namespace

Status EncodeEnvelope(const Envelope& e, std::string& out) {
  const Message& m = e.message;
  out.reserve(out.size() + 128);
  out.push_back(static_cast<char>(kEnvelopeVersion));
  PutI64(out, m.received_at);
  PutI64(out, e.tenant_id);
  PutI64(out, e.device_id);
  if (!PutShortString(out, m.device_uid)) return TooLong("device uid");
  if (!PutShortString(out, m.protocol)) return TooLong("protocol name");
  out.push_back(static_cast<char>(m.kind));

  uint32_t bits = 0;
  if (m.ts) bits |= kHasTs;
  if (m.valid) bits |= kHasValid;
  if (m.lat) bits |= kHasLat;
  if (m.lng) bits |= kHasLng;
  if (m.altitude_m) bits |= kHasAltitude;
  if (m.speed_kmh) bits |= kHasSpeed;
  if (m.heading) bits |= kHasHeading;
  if (m.satellites) bits |= kHasSatellites;
  if (m.hdop) bits |= kHasHdop;
  if (m.ignition) bits |= kHasIgnition;
  if (m.odometer_km) bits |= kHasOdometer;
  if (m.battery_v) bits |= kHasBattery;
  if (m.power_v) bits |= kHasPower;
  if (m.fuel_pct) bits |= kHasFuel;
  if (m.engine_temp_c) bits |= kHasEngineTemp;
  if (m.rpm) bits |= kHasRpm;
  if (m.alarm) bits |= kHasAlarm;
  if (m.cell) bits |= kHasCell;
  PutBE(out, bits, 4);

  if (m.ts) PutI64(out, *m.ts);
  if (m.valid) out.push_back(*m.valid ? 1 : 0);
  if (m.lat) PutDouble(out, *m.lat);
  if (m.lng) PutDouble(out, *m.lng);
  if (m.altitude_m) PutDouble(out, *m.altitude_m);
  if (m.speed_kmh) PutDouble(out, *m.speed_kmh);
  if (m.heading) PutDouble(out, *m.heading);
  if (m.satellites) PutBE(out, static_cast<uint32_t>(*m.satellites), 4);
  if (m.hdop) PutDouble(out, *m.hdop);
  if (m.ignition) out.push_back(*m.ignition ? 1 : 0);
  if (m.odometer_km) PutDouble(out, *m.odometer_km);
  if (m.battery_v) PutDouble(out, *m.battery_v);
  if (m.power_v) PutDouble(out, *m.power_v);
  if (m.fuel_pct) PutDouble(out, *m.fuel_pct);
  if (m.engine_temp_c) PutDouble(out, *m.engine_temp_c);
  if (m.rpm) PutDouble(out, *m.rpm);
  if (m.alarm) out.push_back(static_cast<char>(*m.alarm));
  if (m.cell) {
    PutI64(out, m.cell->mcc);
    PutI64(out, m.cell->mnc);
    PutI64(out, m.cell->lac);
    PutI64(out, m.cell->cell_id);
  }

  if (m.attributes.size() > std::numeric_limits<uint16_t>::max()) {
    return Status(StatusCode::kInvalidArgument, "more than 65535 attributes cannot be encoded");
  }
  PutBE(out, m.attributes.size(), 2);
  for (const auto& [key, value] : m.attributes) {
    if (!PutShortString(out, key)) return TooLong("attribute key");
    if (const auto* b = std::get_if<bool>(&value)) {
      out.push_back(kBool);
      out.push_back(*b ? 1 : 0);
    } else if (const auto* i = std::get_if<int64_t>(&value)) {
      out.push_back(kInt);
      PutI64(out, *i);
    } else if (const auto* d = std::get_if<double>(&value)) {
      out.push_back(kDouble);
      PutDouble(out, *d);
    } else {
      const auto& s = std::get<std::string>(value);
      if (s.size() > std::numeric_limits<uint32_t>::max()) return TooLong("attribute value");
      out.push_back(kString);
      PutBE(out, s.size(), 4);
      out.append(s);
    }
  }
  return Status::Ok();
}

Result<Envelope> DecodeEnvelope(std::span<const uint8_t> data) {
  ByteReader r(data);
  uint8_t version = r.U8();
  if (!r.ok()) return Truncated();
  if (version != kEnvelopeVersion) return Malformed("unknown version " + std::to_string(version));

  Envelope e;
  Message& m = e.message;
  m.received_at = static_cast<int64_t>(r.U64());
  e.tenant_id = static_cast<int64_t>(r.U64());
  e.device_id = static_cast<int64_t>(r.U64());
  if (!ReadShortString(r, m.device_uid) || !ReadShortString(r, m.protocol)) return Truncated();
  uint8_t kind = r.U8();
  uint32_t bits = r.U32();
  if (!r.ok()) return Truncated();
  if (kind > kLastKind) return Malformed("unknown kind " + std::to_string(kind));
  if (bits & ~static_cast<uint32_t>(kAllPresence)) return Malformed("unknown field bits");
  m.kind = static_cast<MessageKind>(kind);

  auto read_bool = [&r]() -> std::optional<bool> {
    uint8_t v = r.U8();
    if (v > 1) return std::nullopt;
    return v == 1;
  };
  if (bits & kHasTs) m.ts = static_cast<int64_t>(r.U64());
  if (bits & kHasValid) {
    m.valid = read_bool();
    if (!m.valid && r.ok()) return Malformed("valid is not 0 or 1");
  }
  ReadOptionalDouble(r, bits, kHasLat, m.lat);
  ReadOptionalDouble(r, bits, kHasLng, m.lng);
  ReadOptionalDouble(r, bits, kHasAltitude, m.altitude_m);
  ReadOptionalDouble(r, bits, kHasSpeed, m.speed_kmh);
  ReadOptionalDouble(r, bits, kHasHeading, m.heading);
  if (bits & kHasSatellites) m.satellites = static_cast<int>(r.I32());
  ReadOptionalDouble(r, bits, kHasHdop, m.hdop);
  if (bits & kHasIgnition) {
    m.ignition = read_bool();
    if (!m.ignition && r.ok()) return Malformed("ignition is not 0 or 1");
  }
  ReadOptionalDouble(r, bits, kHasOdometer, m.odometer_km);
  ReadOptionalDouble(r, bits, kHasBattery, m.battery_v);
  ReadOptionalDouble(r, bits, kHasPower, m.power_v);
  ReadOptionalDouble(r, bits, kHasFuel, m.fuel_pct);
  ReadOptionalDouble(r, bits, kHasEngineTemp, m.engine_temp_c);
  ReadOptionalDouble(r, bits, kHasRpm, m.rpm);
  if (bits & kHasAlarm) {
    uint8_t alarm = r.U8();
    if (r.ok() && alarm > kLastAlarm) return Malformed("unknown alarm " + std::to_string(alarm));
    m.alarm = static_cast<Alarm>(alarm);
  }
  if (bits & kHasCell) {
    CellTower cell;
    cell.mcc = static_cast<int64_t>(r.U64());
    cell.mnc = static_cast<int64_t>(r.U64());
    cell.lac = static_cast<int64_t>(r.U64());
    cell.cell_id = static_cast<int64_t>(r.U64());
    m.cell = cell;
  }

  size_t count = r.U16();
  if (!r.ok()) return Truncated();
  // The smallest attribute takes 4 bytes (empty key, type, bool): a count
  // the remaining bytes cannot hold is a lie, rejected before reserving.
  if (count > r.remaining() / 4) return Truncated();
  m.attributes.reserve(count);
  std::string key;
  for (size_t i = 0; i < count; ++i) {
    if (!ReadShortString(r, key)) return Truncated();
    if (!m.attributes.empty() && !(m.attributes.end()[-1].first < key)) {
      return Malformed("attribute keys not strictly ascending at '" + key + "'");
    }
    uint8_t type = r.U8();
    AttributeValue value;
    switch (type) {
      case kBool: {
        auto b = read_bool();
        if (!b && r.ok()) return Malformed("attribute '" + key + "' bool is not 0 or 1");
        value = b.value_or(false);
        break;
      }
      case kInt:
        value = static_cast<int64_t>(r.U64());
        break;
      case kDouble:
        value = ReadDouble(r);
        break;
      case kString: {
        size_t n = r.U32();
        auto bytes = r.Bytes(n);
        if (!r.ok()) return Truncated();
        value = std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        break;
      }
      default:
        if (!r.ok()) return Truncated();
        return Malformed("attribute '" + key + "' has unknown type " + std::to_string(type));
    }
    if (!r.ok()) return Truncated();
    m.attributes.Set(key, std::move(value));
  }
  if (!r.ok()) return Truncated();
  if (r.remaining() != 0) return Malformed(std::to_string(r.remaining()) + " trailing bytes");
  return e;
}

Status EncodeEnvelopeList(std::span<const Envelope> envelopes, std::string& out) {
  if (envelopes.size() < 2 || envelopes.size() > kMaxEnvelopesPerList) {
    return Status(StatusCode::kInvalidArgument, "an envelope list holds 2 to 65535 envelopes");
  }
  std::vector<std::string> encoded(envelopes.size());
  std::vector<std::string_view> views(envelopes.size());
  for (size_t i = 0; i < envelopes.size(); ++i) {
    if (Status s = EncodeEnvelope(envelopes[i], encoded[i]); !s.ok()) return s;
    views[i] = encoded[i];
  }
  FrameEnvelopeList(views, out);
  return Status::Ok();
}

void FrameEnvelopeList(std::span<const std::string_view> encoded, std::string& out) {
  assert(encoded.size() >= 2 && encoded.size() <= kMaxEnvelopesPerList);
  out.push_back(static_cast<char>(kEnvelopeListVersion));
  PutBE(out, encoded.size(), 2);
  for (std::string_view e : encoded) {
    PutBE(out, e.size(), 4);
    out.append(e);
  }
}

Result<std::vector<Envelope>> DecodeEnvelopes(std::span<const uint8_t> data) {
  std::vector<Envelope> out;
  if (data.empty()) return Truncated();
  if (data[0] != kEnvelopeListVersion) {
    auto one = DecodeEnvelope(data);
    if (!one.ok()) return one.status();
    out.push_back(std::move(*one));
    return out;
  }
  ByteReader r(data);
  r.U8();
  const size_t count = r.U16();
  if (!r.ok()) return Truncated();
  if (count < 2) return Malformed("an envelope list of " + std::to_string(count));
  // An envelope takes at least 4 length bytes + 31 (version, three i64, two
  // empty strings, kind, presence bits, attribute count): a count the bytes
  // cannot hold is a lie.
  constexpr size_t kSmallestEntry = 4 + 1 + 24 + 4 + 1 + 4 + 2;
  if (count > r.remaining() / kSmallestEntry) return Truncated();
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const size_t n = r.U32();
    auto bytes = r.Bytes(n);
    if (!r.ok()) return Truncated();
    auto one = DecodeEnvelope(bytes);
    if (!one.ok()) return one.status();
    out.push_back(std::move(*one));
  }
  if (r.remaining() != 0) return Malformed(std::to_string(r.remaining()) + " trailing bytes after the list");
  return out;
}

}  // namespace fleetd
