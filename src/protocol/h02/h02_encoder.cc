// H02 message building (see h02_encoder.h). Fixed-width fields are written
// with snprintf into stack buffers; this is not on the decode hot path
// except for the V1/NBR acknowledgement, which formats digits by hand.
#include "protocol/h02/h02_encoder.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "protocol/h02/h02_fields.h"

namespace fleetd::h02 {
namespace {

struct Civil {
  int year, month, day, hour, minute, second;
};

// Days since 1970-01-01 -> y/m/d (the inverse of DaysFromCivil, same era arithmetic).
Civil ToCivil(TimestampMs ts) {
  int64_t secs = ts >= 0 ? ts / 1000 : (ts - 999) / 1000;
  int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  const int64_t sod = secs - days * 86400;
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return Civil{static_cast<int>(year), static_cast<int>(month), static_cast<int>(day),
               static_cast<int>(sod / 3600), static_cast<int>(sod / 60 % 60), static_cast<int>(sod % 60)};
}

void Append(std::vector<uint8_t>& out, std::string_view text) { out.insert(out.end(), text.begin(), text.end()); }

void AppendDigits(std::vector<uint8_t>& out, int value, int width) {
  char digits[8];
  for (int i = width - 1; i >= 0; --i, value /= 10) digits[i] = static_cast<char>('0' + value % 10);
  out.insert(out.end(), digits, digits + width);
}

// Degrees -> (ddmm.mmmm or dddmm.mmmm, hemisphere).
void AppendCoordinate(std::vector<uint8_t>& out, double degrees, bool longitude) {
  const double magnitude = std::fabs(degrees);
  int whole = static_cast<int>(magnitude);
  double minutes = std::round((magnitude - whole) * 60.0 * 10000.0) / 10000.0;
  if (minutes >= 60) {
    ++whole;
    minutes = 0;
  }
  char buf[32];
  const int n = std::snprintf(buf, sizeof(buf), longitude ? "%03d%07.4f," : "%02d%07.4f,", whole, minutes);
  out.insert(out.end(), buf, buf + n);
  out.push_back(static_cast<uint8_t>(degrees < 0 ? (longitude ? 'W' : 'S') : (longitude ? 'E' : 'N')));
  out.push_back(',');
}

uint8_t BcdByte(int value) { return static_cast<uint8_t>((value / 10 % 10) << 4 | value % 10); }

}  // namespace

std::vector<uint8_t> EncodeV1(std::string_view id, const PositionFix& fix) {
  const Civil c = ToCivil(fix.time_ms);
  std::vector<uint8_t> out;
  out.reserve(96);
  Append(out, "*HQ,");
  Append(out, id);
  Append(out, ",V1,");
  AppendDigits(out, c.hour, 2);
  AppendDigits(out, c.minute, 2);
  AppendDigits(out, c.second, 2);
  Append(out, fix.valid ? ",A," : ",V,");
  AppendCoordinate(out, fix.lat, false);
  AppendCoordinate(out, fix.lng, true);
  char buf[48];
  const int n = std::snprintf(buf, sizeof(buf), "%.2f,%d,", fix.speed_kmh / kKnotsToKmh,
                              static_cast<int>(std::lround(fix.heading)) % 360);
  out.insert(out.end(), buf, buf + n);
  AppendDigits(out, c.day, 2);
  AppendDigits(out, c.month, 2);
  AppendDigits(out, c.year % 100, 2);
  const int m = std::snprintf(buf, sizeof(buf), ",%08X#", fix.status);
  out.insert(out.end(), buf, buf + m);
  return out;
}

std::vector<uint8_t> EncodeHeartbeat(std::string_view id, std::optional<int> battery_level) {
  std::vector<uint8_t> out;
  Append(out, "*HQ,");
  Append(out, id);
  Append(out, ",HTBT");
  if (battery_level) {
    out.push_back(',');
    const std::string digits = std::to_string(*battery_level);
    Append(out, digits);
  }
  out.push_back('#');
  return out;
}

std::vector<uint8_t> EncodeBinary(std::string_view id, const PositionFix& fix, int battery_level) {
  std::vector<uint8_t> out;
  out.reserve(32);
  out.push_back('$');
  for (size_t i = 0; i < 10; i += 2) {
    const int hi = i < id.size() ? id[i] - '0' : 0, lo = i + 1 < id.size() ? id[i + 1] - '0' : 0;
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  const Civil c = ToCivil(fix.time_ms);
  for (int v : {c.hour, c.minute, c.second, c.day, c.month, c.year % 100}) out.push_back(BcdByte(v));
  // ddmm.mmmm and dddmm.mmmm as 8 and 9 digits (degrees, then minutes x 10^4), then the flags nibble.
  auto digits = [](double degrees) {
    const double magnitude = std::fabs(degrees);
    const int64_t whole = static_cast<int64_t>(magnitude);
    return whole * 1000000 + std::min<int64_t>(std::llround((magnitude - static_cast<double>(whole)) * 600000.0), 599999);
  };
  const int64_t lat = digits(fix.lat), lng = digits(fix.lng);
  for (int shift = 6; shift >= 0; shift -= 2) {  // 8 digits, two per byte
    int64_t p = 1;
    for (int i = 0; i < shift; ++i) p *= 10;
    out.push_back(BcdByte(static_cast<int>(lat / p % 100)));
  }
  out.push_back(static_cast<uint8_t>(std::clamp(battery_level, 0, 100)));
  const int flags = (fix.valid ? 0x2 : 0) | (fix.lat >= 0 ? 0x4 : 0) | (fix.lng >= 0 ? 0x8 : 0);
  int64_t p = 100000000;  // 9 digits of longitude, then the flags nibble
  for (int i = 0; i < 5; ++i) {
    const int hi = static_cast<int>(lng / p % 10);
    p /= 10;
    const int lo = i < 4 ? static_cast<int>(lng / p % 10) : flags;
    p /= 10;
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  const int knots = std::clamp(static_cast<int>(std::lround(fix.speed_kmh / kKnotsToKmh)), 0, 999);
  const int course = static_cast<int>(std::lround(fix.heading)) % 360;
  out.push_back(static_cast<uint8_t>((knots / 100) << 4 | (knots / 10 % 10)));
  out.push_back(static_cast<uint8_t>((knots % 10) << 4 | (course / 100)));
  out.push_back(BcdByte(course % 100));
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(fix.status >> shift));
  out.push_back(0xFF);  // user alarm flag: none
  out.push_back(0x00);  // reserved
  out.push_back(0x00);  // record number
  return out;
}

void AppendTimeAck(std::vector<uint8_t>& out, std::string_view id, std::string_view type, TimestampMs now) {
  const Civil c = ToCivil(now);
  Append(out, "*HQ,");
  Append(out, id);
  Append(out, ",V4,");
  Append(out, type);
  out.push_back(',');
  AppendDigits(out, c.year, 4);
  for (int v : {c.month, c.day, c.hour, c.minute, c.second}) AppendDigits(out, v, 2);
  out.push_back('#');
}

void AppendEcho(std::vector<uint8_t>& out, std::string_view header, std::string_view id, std::string_view type) {
  Append(out, header);
  out.push_back(',');
  Append(out, id);
  out.push_back(',');
  Append(out, type);
  out.push_back('#');
}

}  // namespace fleetd::h02
