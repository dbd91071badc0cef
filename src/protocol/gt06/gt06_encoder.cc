// GT06 frame building (see gt06_encoder.h). Field layouts mirror the decoder's.
#include "protocol/gt06/gt06_encoder.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <ctime>

#include "protocol/gt06/gt06_wire.h"

namespace fleetd::gt06 {
namespace {

void Put16(std::vector<uint8_t>& out, uint32_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

void Put32(std::vector<uint8_t>& out, uint32_t v) {
  Put16(out, v >> 16);
  Put16(out, v & 0xFFFF);
}

void PutDate(std::vector<uint8_t>& out, TimestampMs ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&secs, &utc);
  for (int v : {utc.tm_year - 100, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec}) {
    out.push_back(static_cast<uint8_t>(v));
  }
}

// Date, GPS info (satellites), latitude, longitude, speed, course/status.
void PutGps(std::vector<uint8_t>& out, const PositionFix& fix) {
  PutDate(out, fix.time_ms);
  out.push_back(static_cast<uint8_t>(0xC0 | std::clamp(fix.satellites, 0, 15)));  // 12 bytes of GPS info
  Put32(out, static_cast<uint32_t>(std::llround(std::min(std::fabs(fix.lat), 90.0) * 1800000.0)));
  Put32(out, static_cast<uint32_t>(std::llround(std::min(std::fabs(fix.lng), 180.0) * 1800000.0)));
  out.push_back(static_cast<uint8_t>(std::clamp(std::lround(fix.speed_kmh), 0L, 255L)));
  uint32_t word = static_cast<uint32_t>(std::clamp(std::lround(fix.heading), 0L, 359L));
  if (fix.lat >= 0) word |= 0x0400;
  if (fix.lng < 0) word |= 0x0800;
  if (fix.valid) word |= 0x1000;
  if (fix.ignition) word |= 0x4000 | (*fix.ignition ? 0x8000 : 0);
  Put16(out, word);
}

void PutEmptyCell(std::vector<uint8_t>& out) { out.insert(out.end(), 8, 0); }

std::vector<uint8_t> Frame(uint8_t type, const std::vector<uint8_t>& content, uint16_t serial) {
  std::vector<uint8_t> out;
  out.reserve(content.size() + 10);
  AppendFrame(out, false, type, content, serial);
  return out;
}

}  // namespace

std::vector<uint8_t> EncodeReply(uint8_t type, uint16_t serial) { return Frame(type, {}, serial); }

std::vector<uint8_t> EncodeLogin(std::string_view imei, uint16_t serial) {
  assert(imei.size() <= 16 && std::all_of(imei.begin(), imei.end(), [](char ch) { return ch >= '0' && ch <= '9'; }));
  std::string digits(16 - std::min<size_t>(imei.size(), 16), '0');
  digits.append(imei.substr(0, 16));
  std::vector<uint8_t> content;
  for (size_t i = 0; i < 16; i += 2) {
    content.push_back(static_cast<uint8_t>((digits[i] - '0') << 4 | (digits[i + 1] - '0')));
  }
  return Frame(0x01, content, serial);
}

std::vector<uint8_t> EncodePosition(const PositionFix& fix, uint16_t serial, PositionLayout layout) {
  std::vector<uint8_t> content;
  PutGps(content, fix);
  PutEmptyCell(content);
  if (layout == PositionLayout::kGpsLbs1) return Frame(0x12, content, serial);
  content.push_back(fix.ignition.value_or(false) ? 1 : 0);  // ACC
  content.push_back(0x00);                                  // upload mode: fixed interval
  content.push_back(0x00);                                  // real time, not re-uploaded
  return Frame(0x22, content, serial);
}

std::vector<uint8_t> EncodeHeartbeat(bool ignition, int voltage_level, int gsm_signal, uint16_t serial) {
  const std::vector<uint8_t> content = {
      static_cast<uint8_t>(0x40 | (ignition ? 0x02 : 0)),  // GPS tracking on, ACC
      static_cast<uint8_t>(std::clamp(voltage_level, 0, 6)),
      static_cast<uint8_t>(std::clamp(gsm_signal, 0, 4)),
      0x00,  // no alarm
      0x02,  // language: English
  };
  return Frame(0x13, content, serial);
}

std::vector<uint8_t> EncodeAlarm(const PositionFix& fix, uint8_t alarm_code, int voltage_level, int gsm_signal,
                                 uint16_t serial) {
  std::vector<uint8_t> content;
  PutGps(content, fix);
  content.push_back(0x09);  // cell block length, then an all-zero cell
  PutEmptyCell(content);
  content.push_back(static_cast<uint8_t>(0x40 | (fix.ignition.value_or(false) ? 0x02 : 0)));
  content.push_back(static_cast<uint8_t>(std::clamp(voltage_level, 0, 6)));
  content.push_back(static_cast<uint8_t>(std::clamp(gsm_signal, 0, 4)));
  content.push_back(alarm_code);
  content.push_back(0x02);  // language: English
  return Frame(0x16, content, serial);
}

std::vector<uint8_t> EncodeTimeReply(TimestampMs now, uint16_t serial) {
  std::vector<uint8_t> content;
  PutDate(content, now);
  return Frame(0x8A, content, serial);
}

}  // namespace fleetd::gt06
