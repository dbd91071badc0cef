// H02 messages built around a fix: the V1 layout (shared by V2, V5, V6, V8,
// VI1, V19 and other V* types), V4 command replies and VP1.
#include <cmath>

#include "fleetd/attribute_keys.h"
#include "protocol/h02/h02_handlers.h"

namespace fleetd::h02 {
namespace {

constexpr double kMaxKnots = 1000;  // beyond any vehicle; the vectors' maximum is 57.78
constexpr size_t kFixFields = 8;    // time, validity, lat, N/S, lon, E/W, speed, course

Status Malformed(const char* why) { return Status(StatusCode::kMalformed, why); }
Status OutOfRange(const char* why) { return Status(StatusCode::kOutOfRange, why); }

bool IsHemisphere(std::string_view s, char a, char b) { return s.size() == 1 && (s[0] == a || s[0] == b); }

// Latitude and longitude; a (0, 0) pair is a device without a fix.
Status ApplyCoordinates(std::string_view lat, std::string_view ns, std::string_view lng, std::string_view ew,
                        Message& msg) {
  std::optional<double> latitude, longitude;
  if (Status s = ParseCoordinate(lat, ns, false, latitude); !s.ok()) return s;
  if (Status s = ParseCoordinate(lng, ew, true, longitude); !s.ok()) return s;
  if (latitude.has_value() != longitude.has_value()) return Malformed("latitude without longitude");
  if (latitude && (*latitude != 0 || *longitude != 0)) {
    msg.lat = latitude;
    msg.lng = longitude;
  }
  return Status::Ok();
}

Status ApplySpeedCourse(std::string_view speed, std::string_view course, Message& msg) {
  double value = 0;
  if (!TrimSpaces(speed).empty()) {
    if (!ParseDouble(speed, value)) return Malformed("speed is not a number");
    if (value < 0 || value > kMaxKnots) return OutOfRange("impossible speed");
    msg.speed_kmh = value * kKnotsToKmh;
  }
  if (!TrimSpaces(course).empty()) {
    if (!ParseDouble(course, value)) return Malformed("course is not a number");
    if (value < 0 || value > 360) return OutOfRange("course outside 0..360");
    msg.heading = value == 360 ? 0 : value;
  }
  return Status::Ok();
}

// The six-field tail some firmwares append after the status word:
// odometer (m), temperature (C), fuel (%), altitude (m), lac, cid (hex).
bool ApplySensorTail(const Fields& f, size_t i, std::string_view body, Message& msg) {
  uint64_t odometer = 0, lac = 0, cid = 0;
  int64_t temperature = 0, altitude = 0;
  double fuel = 0;
  if (f.size - i != 6 || !ParseUint(f[i], odometer) || !ParseInt(f[i + 1], temperature) ||
      f[i + 2].find('.') == std::string_view::npos || !ParseDouble(f[i + 2], fuel) || !ParseInt(f[i + 3], altitude) ||
      !ParseHex(f[i + 4], lac) || !ParseHex(f[i + 5], cid)) {
    return false;
  }
  msg.odometer_km = static_cast<double>(odometer) / 1000.0;
  msg.fuel_pct = fuel;
  msg.altitude_m = static_cast<double>(altitude);
  // Without an mcc/mnc the cell cannot be a CellTower; kept as sent.
  msg.attributes.Set(attr::kExtraFields, std::string(f.From(i + 4, body)));
  msg.attributes.Set(attr::kTemperatureC, static_cast<double>(temperature));
  return true;
}

}  // namespace

Status DecodeFixFrom(Context& c, size_t k) {
  const Fields& f = c.fields;
  Message& msg = c.msg;
  if (f.size < k + kFixFields) return Malformed("position shorter than its layout");

  const std::string_view validity = TrimSpaces(f[k + 1]);
  if (validity == "A") {
    msg.valid = true;
  } else if (validity.empty() || validity == "V" || validity == "B") {
    msg.valid = false;  // only A asserts a valid fix
  } else if (!IsDigits(validity)) {  // digits: a "coding scheme" (V2, VI1); validity unknown
    return Malformed("validity is not A/V");
  }
  if (Status s = ApplyCoordinates(f[k + 2], f[k + 3], f[k + 4], f[k + 5], msg); !s.ok()) return s;
  if (Status s = ApplySpeedCourse(f[k + 6], f[k + 7], msg); !s.ok()) return s;

  size_t i = k + kFixFields;
  // Some firmwares put a battery figure (scale unknown) before the date.
  if (i + 1 < f.size && f[i].size() <= 3 && IsDigits(f[i]) && (f[i + 1].empty() || (f[i + 1].size() == 6 && IsDigits(f[i + 1])))) {
    ++i;
  }
  const std::string_view date = f[i];
  if (i < f.size) ++i;
  if (Status s = ParseDateTime(date, f[k], msg.ts); !s.ok()) return s;

  // V19: three SIM fields (empty, phone or IP, ICCID) before the status word.
  if (i < f.size && !IsHexWord(f[i]) && i + 3 < f.size && IsHexWord(f[i + 3])) {
    if (const std::string_view iccid = TrimSpaces(f[i + 2]); !iccid.empty()) {
      msg.attributes.Set(attr::kIccid, std::string(iccid));
    }
    i += 3;
  }
  if (i < f.size && IsHexWord(f[i])) {
    uint64_t status = 0;
    ParseHex(f[i], status);
    ApplyStatus(static_cast<uint32_t>(status), msg);
    ++i;
  }
  if (i < f.size && !ApplySensorTail(f, i, c.body, msg)) {
    msg.attributes.Set(attr::kExtraFields, std::string(f.From(i, c.body)));
  }
  return Status::Ok();
}

Status DecodePosition(Context& c) {
  if (!SplitFields(c.body, c.fields)) return Malformed("too many fields");
  return DecodeFixFrom(c, 0);
}

Status DecodeCommandReply(Context& c) {
  // V4,<command echo: one or more fields>,hhmmss,A,lat,N,lon,E,...: the fix
  // starts three fields before the first N/S that has an E/W two later.
  if (!SplitFields(c.body, c.fields)) return Malformed("too many fields");
  const Fields& f = c.fields;
  for (size_t j = 4; j + 2 < f.size; ++j) {
    if (!IsHemisphere(f[j], 'N', 'S') || !IsHemisphere(f[j + 2], 'E', 'W')) continue;
    const size_t fix = j - 3;
    const std::string_view echo = c.body.substr(0, f.start[fix - 1] + f.length[fix - 1]);
    if (Status s = DecodeFixFrom(c, fix); !s.ok()) return s;
    c.msg.attributes.Set(attr::kCommandResult, std::string(echo));
    return Status::Ok();
  }
  return Malformed("V4 without a fix after the command echo");
}

Status DecodeVp1(Context& c) {
  if (!SplitFields(c.body, c.fields)) return Malformed("too many fields");
  const Fields& f = c.fields;
  Message& msg = c.msg;
  if (f[0] == "V") {  // V,mcc,mnc,lac,cid,rssiYlac,cid,rssiY...
    uint64_t mcc = 0, mnc = 0;
    if (f.size < 6 || !ParseUint(f[1], mcc) || !ParseUint(f[2], mnc) || mcc > 999 || mnc > 999) {
      return Malformed("VP1 cell header");
    }
    std::string towers;
    std::string_view cells = f.From(3, c.body);
    while (!cells.empty()) {
      const size_t y = cells.find('Y');
      const std::string_view cell = cells.substr(0, y);
      cells = y == std::string_view::npos ? std::string_view() : cells.substr(y + 1);
      const size_t a = cell.find(','), b = a == std::string_view::npos ? a : cell.find(',', a + 1);
      uint64_t lac = 0, cid = 0;
      int64_t rssi = 0;
      if (b == std::string_view::npos || !ParseUint(cell.substr(0, a), lac) ||
          !ParseUint(cell.substr(a + 1, b - a - 1), cid) || !ParseInt(cell.substr(b + 1), rssi)) {
        return Malformed("VP1 cell is not lac,cid,rssi");
      }
      const CellTower tower{static_cast<int64_t>(mcc), static_cast<int64_t>(mnc), static_cast<int64_t>(lac),
                            static_cast<int64_t>(cid)};
      if (!msg.cell) msg.cell = tower;
      AppendTower(towers, tower, rssi);
    }
    msg.attributes.Set(attr::kCellTowers, std::move(towers));
    return Status::Ok();
  }
  // A|B,lat,N/S,lon,E/W,speed,course,ddmmyy (no time of day).
  if (f.size < 8 || (f[0] != "A" && f[0] != "B")) return Malformed("VP1 is neither cells (V) nor a fix (A/B)");
  msg.valid = true;
  if (Status s = ApplyCoordinates(f[1], f[2], f[3], f[4], msg); !s.ok()) return s;
  if (Status s = ApplySpeedCourse(f[5], f[6], msg); !s.ok()) return s;
  return ParseDateTime(f[7], {}, msg.ts);
}

}  // namespace fleetd::h02
