// Field conversion for AIS-140 rows: one switch over Field, the packet-status
// alarm table, and the checksum schemes of ais140_layouts.h.
#include "protocol/ais140/ais140_fields.h"

#include <array>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>

#include "core/time_util.h"
#include "fleetd/attribute_keys.h"

namespace fleetd::ais140 {
namespace {

using enum Field;

// Packet status codes that are alerts. IN/IF (ignition on/off) are carried by
// the ignition field; NR, HP, DT, PC, ... are ordinary packets.
struct StatusAlarm {
  std::string_view status;
  Alarm alarm;
  std::string_view alarm_type;  // attr::kAlarmType when Alarm has no exact value
};
constexpr std::array<StatusAlarm, 10> kStatusAlarms = {{
    {"EA", Alarm::kSos, ""},
    {"TA", Alarm::kTampering, ""},
    {"WD", Alarm::kTampering, "wire_disconnect"},
    {"BD", Alarm::kPowerCut, ""},
    {"BR", Alarm::kPowerOn, "power_restored"},
    {"BL", Alarm::kLowBattery, ""},
    {"HB", Alarm::kGeneral, "hard_braking"},
    {"HA", Alarm::kGeneral, "hard_acceleration"},
    {"RT", Alarm::kGeneral, "hard_cornering"},
    {"OS", Alarm::kOverspeed, ""},
}};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  return s;
}

std::optional<double> ToDouble(std::string_view s) {
  s = Trim(s);
  double v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<int64_t> ToInt(std::string_view s, int base = 10) {
  s = Trim(s);
  int64_t v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// Text from the wire as a printable-ASCII attribute (JSON-safe, bounded).
std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 64)) out += (c >= 0x20 && c < 0x7F) ? c : '?';
  return out;
}

void SetText(Message& msg, std::string_view key, std::string_view value) {
  if (!value.empty()) msg.attributes.Set(key, Printable(value));
}

// The date and time fields, gathered before the timestamp is built.
struct DateParts {
  int64_t day = 0, month = 0, year = 0, hour = 0, minute = 0, second = 0;
  bool present = false;
};

Status Malformed(std::string_view what) { return Status(StatusCode::kMalformed, std::string(what) + " does not convert"); }

// "ddmmyyyy", "ddmmyy" or "ddmmyyyyhhmmss" into parts.
void SplitDate(std::string_view s, DateParts& d) {
  s = Trim(s);
  d.present = true;
  d.day = *ToInt(s.substr(0, 2));
  d.month = *ToInt(s.substr(2, 2));
  d.year = s.size() == 6 ? 2000 + *ToInt(s.substr(4, 2)) : *ToInt(s.substr(4, 4));
  if (s.size() == 14) {
    d.hour = *ToInt(s.substr(8, 2));
    d.minute = *ToInt(s.substr(10, 2));
    d.second = *ToInt(s.substr(12, 2));
  }
}

void SplitTime(std::string_view s, DateParts& d) {
  s = Trim(s);
  d.hour = *ToInt(s.substr(0, 2));
  d.minute = *ToInt(s.substr(2, 2));
  d.second = *ToInt(s.substr(4, 2));
}

struct Scratch {
  DateParts date;
  std::optional<double> lat, lng;
  bool south = false, west = false;
  std::optional<int64_t> mcc, mnc, lac, cid;
};

// One field into msg or scratch. The syntax was checked by FindLayout, so
// conversions fail only on values beyond the number types.
Status ApplyField(Field field, std::string_view s, Message& msg, Scratch& x, std::string_view& imei) {
  auto number = [&](std::optional<double>& into) -> Status {
    into = ToDouble(s);
    return into ? Status::Ok() : Malformed("number");
  };
  switch (field) {
    case kSkip: case kEmpty: case kVendor: case kChecksum: return Status::Ok();
    case kFirmware: SetText(msg, attr::kFirmwareVersion, s); return Status::Ok();
    case kVehicleReg: SetText(msg, attr::kVehicleReg, s); return Status::Ok();
    case kOperator: SetText(msg, attr::kNetworkOperator, s); return Status::Ok();
    case kStatus:
      msg.attributes.Set(attr::kPacketStatus, std::string(s));
      for (const StatusAlarm& row : kStatusAlarms) {
        if (row.status != s) continue;
        msg.alarm = row.alarm;
        if (!row.alarm_type.empty()) msg.attributes.Set(attr::kAlarmType, std::string(row.alarm_type));
      }
      return Status::Ok();
    case kEvent: msg.attributes.Set(attr::kEventId, *ToInt(s)); return Status::Ok();
    case kLive: msg.attributes.Set(attr::kGpsRealtime, s == "L"); return Status::Ok();
    case kImei: imei = s; return Status::Ok();
    case kFix: msg.valid = s == "1" || s == "A"; return Status::Ok();
    case kDate: case kDateTime: SplitDate(s, x.date); return Status::Ok();
    case kTime: SplitTime(s, x.date); return Status::Ok();
    case kDay: x.date.present = true; x.date.day = *ToInt(s); return Status::Ok();
    case kMonth: x.date.month = *ToInt(s); return Status::Ok();
    case kYear: x.date.year = *ToInt(s) + (Trim(s).size() == 2 ? 2000 : 0); return Status::Ok();
    case kHour: x.date.hour = *ToInt(s); return Status::Ok();
    case kMinute: x.date.minute = *ToInt(s); return Status::Ok();
    case kSecond: x.date.second = *ToInt(s); return Status::Ok();
    case kLat: return number(x.lat);
    case kLng: return number(x.lng);
    case kLatHemi: x.south = s == "S"; return Status::Ok();
    case kLngHemi: x.west = s == "W"; return Status::Ok();
    case kSpeed: return number(msg.speed_kmh);
    case kHeading: {
      std::optional<double> h;
      if (Status st = number(h); !st.ok()) return st;
      if (*h >= 0 && *h <= 360) msg.heading = *h == 360 ? 0 : *h;
      return Status::Ok();
    }
    case kSatellites: {
      auto n = ToInt(s);
      if (n && *n < 100) msg.satellites = static_cast<int>(*n);
      return Status::Ok();
    }
    case kAltitude: return number(msg.altitude_m);
    case kPdop: {
      std::optional<double> v;
      if (Status st = number(v); !st.ok()) return st;
      msg.attributes.Set(attr::kPdop, *v);
      return Status::Ok();
    }
    case kHdop: return number(msg.hdop);
    case kIgnition: msg.ignition = s == "1"; return Status::Ok();
    case kMainPower: msg.attributes.Set(attr::kExternalPower, s == "1"); return Status::Ok();
    case kMainVoltage: return number(msg.power_v);
    case kBatteryVoltage: return number(msg.battery_v);
    case kEmergency: msg.attributes.Set(attr::kEmergency, s == "1"); return Status::Ok();
    case kTamper:
      if (s == "O" || s == "C") msg.attributes.Set(attr::kTamper, s == "O");
      return Status::Ok();
    case kGsm: msg.attributes.Set(attr::kGsmSignal, *ToInt(s)); return Status::Ok();
    case kMcc: x.mcc = ToInt(s); return Status::Ok();
    case kMnc: x.mnc = ToInt(s); return Status::Ok();
    case kLac: x.lac = ToInt(s, 16); return Status::Ok();
    case kCellId: x.cid = ToInt(s, 16); return Status::Ok();
    case kInputs: msg.attributes.Set(attr::kDigitalInputs, std::string(s)); return Status::Ok();
    case kOutputs: msg.attributes.Set(attr::kDigitalOutputs, std::string(s)); return Status::Ok();
    case kAdc1: case kAdc2: {
      std::optional<double> v;
      if (Status st = number(v); !st.ok()) return st;
      msg.attributes.Set(field == kAdc1 ? attr::kAdc1V : attr::kAdc2V, *v);
      return Status::Ok();
    }
    case kFrameNumber: msg.attributes.Set(attr::kSerial, *ToInt(s)); return Status::Ok();
    case kOdometer: return number(msg.odometer_km);
    case kEmergencyType:
      if (s == "EMR") msg.alarm = Alarm::kSos;
      return Status::Ok();
    case kBatteryLevel: {
      auto n = ToInt(s);
      if (n && *n <= 100) msg.attributes.Set(attr::kBatteryLevel, *n);
      return Status::Ok();
    }
  }
  return Status::Ok();
}

Status Finish(const Scratch& x, Message& msg) {
  const DateParts& d = x.date;
  const bool zero_date = d.day == 0 && d.month == 0 && (d.year == 0 || d.year == 2000) && d.hour == 0 &&
                         d.minute == 0 && d.second == 0;
  if (d.present && !zero_date) {
    msg.ts = MakeTimestamp(static_cast<int>(d.year), static_cast<int>(d.month), static_cast<int>(d.day),
                           static_cast<int>(d.hour), static_cast<int>(d.minute), static_cast<int>(d.second));
    if (!msg.ts) return Status(StatusCode::kOutOfRange, "impossible date or time");
  }
  if (x.lat && x.lng) {
    const double lat = x.south ? -*x.lat : *x.lat;
    const double lng = x.west ? -*x.lng : *x.lng;
    if (std::fabs(lat) > 90 || std::fabs(lng) > 180) return Status(StatusCode::kOutOfRange, "coordinates out of range");
    // 0,0 without a fix is "no position", not a point in the Gulf of Guinea.
    if (!(lat == 0 && lng == 0 && msg.valid != true)) {
      msg.lat = lat;
      msg.lng = lng;
    }
  }
  if (x.mcc && x.mnc && x.lac && x.cid && (*x.mcc != 0 || *x.lac != 0 || *x.cid != 0)) {
    msg.cell = CellTower{*x.mcc, *x.mnc, *x.lac, *x.cid};
  }
  return Status::Ok();
}

Status Bad(std::string_view what) { return Status(StatusCode::kBadChecksum, std::string(what) + " does not match"); }

Status VerifyField(ChecksumScheme scheme, const Sentence& s, size_t index) {
  const std::string_view field = s.fields[index];
  const size_t offset = s.OffsetOf(index);        // just past the comma before the field
  const std::string_view covered = s.text.substr(0, offset);
  uint32_t value = 0;
  switch (scheme) {
    case ChecksumScheme::kXorHex:
      return ParseHexValue(field, value) && Xor8(covered) == value ? Status::Ok() : Bad("XOR checksum");
    case ChecksumScheme::kCrc32Hex:
      return ParseHexValue(field, value) && Crc32(covered) == value ? Status::Ok() : Bad("CRC-32");
    case ChecksumScheme::kSumDecimal: {
      auto v = ToInt(field);
      return v && Sum8(covered) == *v ? Status::Ok() : Bad("sum checksum");
    }
    case ChecksumScheme::kSumRawByte:
      if (field.empty()) return Status::Ok();
      return Sum8(covered.substr(0, offset - 1)) == static_cast<uint8_t>(field[0]) ? Status::Ok() : Bad("sum byte");
    case ChecksumScheme::kNone: case ChecksumScheme::kUnverified: return Status::Ok();
  }
  return Status::Ok();
}

}  // namespace

Status ApplyLayout(const Layout& layout, const Sentence& sentence, Message& msg, std::string_view& imei) {
  Scratch x;
  for (size_t i = 0; i < layout.fields.size(); ++i) {
    if (Status s = ApplyField(layout.fields[i], sentence.fields[i], msg, x, imei); !s.ok()) return s;
  }
  return Finish(x, msg);
}

Status VerifyChecksums(const Layout& layout, const Sentence& sentence) {
  for (size_t i = 0; i < layout.fields.size(); ++i) {
    if (layout.fields[i] != kChecksum) continue;
    if (Status s = VerifyField(layout.checksum, sentence, i); !s.ok()) return s;
  }
  // A hex trailer: XOR over `$` .. `*` (with or without the `*`: vendors
  // differ) or CRC-32 over `$` .. before `*`. Other trailers are not checksums.
  uint32_t value = 0;
  if (sentence.trailer.size() == 2 && ParseHexValue(sentence.trailer, value)) {
    const uint8_t x = Xor8(sentence.text);
    if (x != value && (x ^ '*') != value) return Bad("XOR checksum after *");
  } else if (sentence.trailer.size() == 8 && ParseHexValue(sentence.trailer, value)) {
    if (Crc32(sentence.text) != value) return Bad("CRC-32 after *");
  }
  return Status::Ok();
}

}  // namespace fleetd::ais140
