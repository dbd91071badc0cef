// H02 field readers (see h02_fields.h). No allocation: views and from_chars.
#include "protocol/h02/h02_fields.h"

#include <charconv>

#include "core/time_util.h"
#include "fleetd/attribute_keys.h"

namespace fleetd::h02 {

bool SplitFields(std::string_view body, Fields& out) {
  out.body = body;
  out.size = 0;
  if (body.size() > 0xFFFF) return false;
  size_t start = 0;
  for (;;) {
    if (out.size == Fields::kMax) return false;
    const size_t comma = body.find(',', start);
    const size_t end = comma == std::string_view::npos ? body.size() : comma;
    out.start[out.size] = static_cast<uint16_t>(start);
    out.length[out.size] = static_cast<uint16_t>(end - start);
    ++out.size;
    if (comma == std::string_view::npos) return true;
    start = comma + 1;
  }
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool IsHexWord(std::string_view s) {
  if (s.size() != 8) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

namespace {

template <typename T>
bool Whole(std::string_view s, T& out, int base = 10) {
  s = TrimSpaces(s);
  if (s.empty() || s.front() == '+') return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && end == s.data() + s.size();
}

Status Malformed(const char* why) { return Status(StatusCode::kMalformed, why); }
Status OutOfRange(const char* why) { return Status(StatusCode::kOutOfRange, why); }

int TwoDigits(std::string_view s, size_t at) { return (s[at] - '0') * 10 + (s[at + 1] - '0'); }

}  // namespace

bool ParseUint(std::string_view s, uint64_t& out) { return IsDigits(TrimSpaces(s)) && Whole(s, out); }
bool ParseInt(std::string_view s, int64_t& out) { return Whole(s, out); }
bool ParseHex(std::string_view s, uint64_t& out) {
  s = TrimSpaces(s);
  return !s.empty() && s.size() <= 16 && s.front() != '-' && Whole(s, out, 16);
}

// Exact fast path for plain decimals of at most 15 digits (every H02 number):
// the mantissa and the power of ten are both exact doubles, so one division
// rounds correctly, as from_chars would. libstdc++ 12's floating from_chars
// goes through strtod and was the largest item in the H02 profile.
static bool ParseSmallDecimal(std::string_view s, double& out) {
  static constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  size_t i = 0;
  const bool negative = s.front() == '-';
  if (negative) i = 1;
  uint64_t mantissa = 0;
  int digits = 0, fraction = -1;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= '0' && c <= '9') {
      mantissa = mantissa * 10 + static_cast<uint64_t>(c - '0');
      ++digits;
      if (fraction >= 0) ++fraction;
    } else if (c == '.' && fraction < 0) {
      fraction = 0;
    } else {
      return false;
    }
  }
  if (digits == 0 || digits > 15) return false;
  const double value = static_cast<double>(mantissa) / kPow10[fraction < 0 ? 0 : fraction];
  out = negative ? -value : value;
  return true;
}

bool ParseDouble(std::string_view s, double& out) {
  s = TrimSpaces(s);
  if (s.empty() || s.front() == '+') return false;
  if (ParseSmallDecimal(s, out)) return true;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, std::chars_format::fixed);
  return ec == std::errc() && end == s.data() + s.size();
}

Status ParseDateTime(std::string_view date, std::string_view time, std::optional<TimestampMs>& out) {
  out.reset();
  if (!date.empty() && (date.size() != 6 || !IsDigits(date))) return Malformed("date is not ddmmyy");
  if (!time.empty() && (time.size() != 6 || !IsDigits(time))) return Malformed("time is not hhmmss");
  if (date.empty() || date == "000000") return Status::Ok();
  const int hour = time.empty() ? 0 : TwoDigits(time, 0);
  const int minute = time.empty() ? 0 : TwoDigits(time, 2);
  const int second = time.empty() ? 0 : TwoDigits(time, 4);
  out = MakeTimestamp(2000 + TwoDigits(date, 4), TwoDigits(date, 2), TwoDigits(date, 0), hour, minute, second);
  if (!out) return OutOfRange("impossible date or time");
  return Status::Ok();
}

Status ParseCoordinate(std::string_view value, std::string_view hemisphere, bool longitude,
                       std::optional<double>& out) {
  out.reset();
  value = TrimSpaces(value);
  if (value.empty()) return Status::Ok();
  uint64_t degrees = 0;
  double minutes = 0;
  std::string_view degree_digits;
  if (value.front() == '-') {  // "-dd-m.mmmm"
    const size_t dash = value.find('-', 1);
    if (dash == std::string_view::npos) return Malformed("coordinate -d-m without its second dash");
    degree_digits = value.substr(1, dash - 1);
    const std::string_view min_text = value.substr(dash + 1);
    if (min_text.empty() || min_text.front() == '-' || !ParseDouble(min_text, minutes)) {
      return Malformed("coordinate minutes are not a number");
    }
  } else if (const size_t dot = value.find('.'); dot != std::string_view::npos) {  // "dddmm.mmmm"
    const size_t split = dot > 2 ? dot - 2 : 0;
    degree_digits = value.substr(0, split);
    if ((dot > 0 && !IsDigits(value.substr(0, dot))) || !ParseDouble(value.substr(split), minutes) || minutes < 0) {
      return Malformed("coordinate is not ddmm.mmmm");
    }
  } else {  // "dddmmmmmm": four implied decimals
    if (value.size() < 6 || !IsDigits(value)) return Malformed("coordinate is not a number");
    degree_digits = value.substr(0, value.size() - 6);
    uint64_t raw = 0;
    ParseUint(value.substr(value.size() - 6), raw);
    minutes = static_cast<double>(raw) / 10000.0;
  }
  if (!degree_digits.empty() && !ParseUint(degree_digits, degrees)) return Malformed("coordinate degrees");
  const double magnitude = static_cast<double>(degrees) + minutes / 60.0;

  const char positive = longitude ? 'E' : 'N';
  const char negative = longitude ? 'W' : 'S';
  hemisphere = TrimSpaces(hemisphere);
  if (hemisphere.size() != 1 || (hemisphere[0] != positive && hemisphere[0] != negative)) {
    // Devices that never had a fix send 0.0000 with a hemisphere of "0".
    if ((hemisphere.empty() || hemisphere == "0") && magnitude == 0) return Status::Ok();
    return Malformed("hemisphere is not N/S/E/W");
  }
  if (minutes >= 60) return OutOfRange("coordinate minutes >= 60");
  if (magnitude > (longitude ? 180.0 : 90.0)) return OutOfRange("coordinate beyond +-90/180 degrees");
  out = hemisphere[0] == negative ? -magnitude : magnitude;
  return Status::Ok();
}

void ApplyStatus(uint32_t status, Message& msg) {
  msg.attributes.Set(attr::kStatusWord, int64_t{status});
  msg.ignition = (status >> 10 & 1) != 0;  // the one positive-logic bit (ACC)
  auto active = [status](int bit) { return (status >> bit & 1) == 0; };
  if (active(0)) {
    msg.alarm = Alarm::kVibration;  // "theft" in vendor tables: the shock sensor
  } else if (active(1)) {
    // Not bit 18, which vendor tables also call SOS: three different devices
    // among the real packets clear it in routine positions (FFFBFFFF at
    // 57 km/h), and a false SOS on every fix is worse than none.
    msg.alarm = Alarm::kSos;
  } else if (active(2)) {
    msg.alarm = Alarm::kOverspeed;
  } else if (active(19)) {
    msg.alarm = Alarm::kPowerCut;  // running on the backup battery
  }
}

void AppendTower(std::string& towers, const CellTower& cell, std::optional<int64_t> rssi) {
  char buf[96];
  char* end = buf + sizeof(buf);
  char* p = buf;
  if (!towers.empty()) *p++ = ';';
  const int64_t parts[] = {cell.mcc, cell.mnc, cell.lac, cell.cell_id};
  for (size_t i = 0; i < 4; ++i) {
    if (i > 0) *p++ = '-';
    p = std::to_chars(p, end, parts[i]).ptr;
  }
  if (rssi) {
    *p++ = '/';
    p = std::to_chars(p, end, *rssi).ptr;
  }
  towers.append(buf, p);
}

void SetDeviceTime(Message& msg, TimestampMs ts) { msg.attributes.Set(attr::kDeviceTime, int64_t{ts}); }

Status ApplyDeviceClock(std::string_view date, std::string_view time, Message& msg) {
  std::optional<TimestampMs> clock;
  const Status s = ParseDateTime(date, time, clock);
  if (s.code() == StatusCode::kMalformed) return s;
  if (clock) SetDeviceTime(msg, *clock);
  return Status::Ok();
}

}  // namespace fleetd::h02
