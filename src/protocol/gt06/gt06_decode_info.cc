// GT06 handlers for text, information and multi-module messages, and
// the time request (answered with the server's time, taken from received_at).
#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>

#include "core/hex.h"
#include "core/time_util.h"
#include "fleetd/attribute_keys.h"
#include "protocol/gt06/gt06_alarms.h"
#include "protocol/gt06/gt06_encoder.h"
#include "protocol/gt06/gt06_handlers.h"

namespace fleetd::gt06 {
namespace {

Status Done(const ByteReader& r) { return r.ok() ? Status::Ok() : Truncated(); }

std::string Ascii(std::span<const uint8_t> bytes) { return std::string(bytes.begin(), bytes.end()); }

std::string Trim(std::string s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

bool Printable(std::span<const uint8_t> bytes) {
  for (uint8_t b : bytes) {
    if ((b < 0x20 || b > 0x7E) && b != '\r' && b != '\n' && b != '\t') return false;
  }
  return true;
}

// UTF-16BE (basic plane) to UTF-8; anything else becomes '?'.
std::string Utf16ToUtf8(std::span<const uint8_t> bytes) {
  std::string out;
  for (size_t i = 0; i + 1 < bytes.size(); i += 2) {
    const unsigned cp = unsigned{bytes[i]} << 8 | bytes[i + 1];
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | cp >> 6));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp >= 0xD800 && cp < 0xE000) {
      out.push_back('?');
    } else {
      out.push_back(static_cast<char>(0xE0 | cp >> 12));
      out.push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  return out;
}

// The number after `key` in `text` ("Lat:N54.7,"), with an optional N/S/E/W sign.
std::optional<double> NumberAfter(std::string_view text, std::string_view key) {
  const auto at = text.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = text.substr(at + key.size());
  double sign = 1;
  if (!rest.empty() && (rest[0] == 'N' || rest[0] == 'S' || rest[0] == 'E' || rest[0] == 'W')) {
    sign = rest[0] == 'S' || rest[0] == 'W' ? -1 : 1;
    rest.remove_prefix(1);
  }
  double v = 0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v);
  if (ec != std::errc()) return std::nullopt;
  return sign * v;
}

// "Current position!Lat:N54.739332,Lon:E25.273270,Course:126.53,Speed:0.0000,DateTime:2017-05-26  10:27:47"
bool ParseLocationText(std::string_view text, Message& m) {
  if (text.substr(0, 17) != "Current position!") return false;
  const auto lat = NumberAfter(text, "Lat:");
  const auto lng = NumberAfter(text, "Lon:");
  const auto course = NumberAfter(text, "Course:");
  const auto speed = NumberAfter(text, "Speed:");
  const auto at = text.find("DateTime:");
  int y, mo, d, h, mi, s;
  if (!lat || !lng || at == std::string_view::npos || std::abs(*lat) > 90 || std::abs(*lng) > 180) return false;
  const std::string when(text.substr(at + 9));
  if (std::sscanf(when.c_str(), "%d-%d-%d %d:%d:%d", &y, &mo, &d, &h, &mi, &s) != 6) return false;
  const auto ts = MakeTimestamp(y, mo, d, h, mi, s);
  if (!ts) return false;
  m.ts = ts;
  m.lat = lat;
  m.lng = lng;
  m.valid = true;
  if (course && *course >= 0 && *course < 360) m.heading = course;
  if (speed && *speed >= 0) m.speed_kmh = speed;
  return true;
}

void DecodeModule(uint16_t id, ByteReader& d, Message& m) {
  switch (id) {
    case 0x0003: SetAttr(m, attr::kIccid, ToHex(d.Bytes(10))); break;
    case 0x0009: m.satellites = d.U8(); break;
    case 0x0011: {  // mcc:2 mnc:2 lac:2 cid:3 rssi:1
      const uint16_t mcc = d.U16();
      const uint16_t mnc = d.U16();
      const uint16_t lac = d.U16();
      const uint32_t cid = d.U24();
      if (d.ok() && cid > 0) SetCell(m, mcc, mnc, lac, cid);
      break;
    }
    case 0x0018: m.battery_v = d.U16() / 100.0; break;
    case 0x0028: m.hdop = d.U8() / 10.0; break;
    case 0x002A: SetAttr(m, attr::kDoor, (d.U8() & 0x0F) > 0); break;
    case 0x002E: {  // odometer, metres (big-endian: consecutive real packets only increase that way)
      const uint32_t metres = d.U32();
      if (d.ok()) m.odometer_km = metres / 1000.0;
      break;
    }
    case 0x0033: {  // time, satellites, altitude, fix
      const uint32_t time = d.U32();
      const uint8_t satellites = d.U8();
      const int16_t altitude = d.I16();
      const uint32_t lat = d.U32();
      const uint32_t lng = d.U32();
      const uint8_t speed = d.U8();
      const uint16_t course_status = d.U16();
      if (!d.ok() || time == 0 || !ApplyFix(lat, lng, course_status, m).ok()) break;  // 0: no fix yet
      m.ts = int64_t{time} * 1000;
      m.satellites = satellites;
      m.altitude_m = altitude;
      m.speed_kmh = speed;
      break;
    }
    case 0x0034: {  // event, time, content
      const uint8_t event = d.U8();
      SetAttr(m, attr::kAlarmCode, int64_t{event});
      if (auto alarm = ModularAlarm(event)) SetAlarm(m, *alarm);
      break;
    }
    case 0x007F: {  // BLE tag: id:6 battery:2 level:1 temperature:2 ...
      d.Skip(6 + 2 + 1);
      const int16_t t = d.I16();
      if (d.ok()) SetAttr(m, attr::kTagTemperatureC, t / 10.0);
      break;
    }
    default: break;
  }
}

}  // namespace

Status DecodeString(Context& c) {
  ByteReader r(c.packet.content);
  const size_t size = r.U8();
  if (size < 4) return Done(r);
  r.U32();  // server flag
  const auto text = r.Bytes(size - 4);
  if (!r.ok()) return Truncated();
  const std::string s = Ascii(text);
  if (s.rfind("<ICCID:", 0) == 0 && s.size() >= 27) {
    SetAttr(c.msg, attr::kIccid, s.substr(7, 20));
  } else {
    SetAttr(c.msg, attr::kCommandResult, s);
  }
  return Status::Ok();
}

Status DecodeStringInfo(Context& c) {
  ByteReader r(c.packet.content);
  r.U32();  // server flag
  const bool ascii = r.U8() == 1;
  const auto text = r.Bytes(r.remaining());
  if (!r.ok()) return Truncated();
  const std::string s = ascii ? Ascii(text) : Utf16ToUtf8(text);
  if (!ParseLocationText(s, c.msg)) SetAttr(c.msg, attr::kCommandResult, s);
  return Status::Ok();
}

Status DecodeModular(Context& c) {
  ByteReader r(c.packet.content);
  while (r.ok() && r.remaining() >= 4) {  // modules: id:2 length:2 data
    const uint16_t id = r.U16();
    const auto data = r.Bytes(r.U16());
    if (!r.ok()) return Truncated();
    ByteReader d(data);
    DecodeModule(id, d, c.msg);
  }
  return Done(r);
}

Status DecodeTimeRequest(Context& c) {
  c.emit = false;
  const auto reply = EncodeTimeReply(c.received_at, c.packet.serial.value_or(0));
  c.reply.insert(c.reply.end(), reply.begin(), reply.end());
  return Status::Ok();
}

Status DecodeInfo(Context& c) {
  Message& m = c.msg;
  ByteReader r(c.packet.content);
  if (!c.packet.extended) {  // 0x7878 form: supply voltage only
    m.power_v = r.I16() / 100.0;
    return Done(r);
  }
  const uint8_t sub = r.U8();
  switch (sub) {
    case 0x00: SetAttr(m, attr::kAdc1V, r.U16() / 100.0); break;
    case 0x04:  // "ALM1=..;STA1=..;..." settings report
    case 0x0D:  // fuel sensor sentence
      SetAttr(m, attr::kCommandResult, Trim(Ascii(r.Bytes(r.remaining()))));
      break;
    case 0x05: {
      if (r.remaining() >= 7) {
        TimestampMs device_time = 0;
        if (Status s = ReadDate(r, device_time); !s.ok()) return s;
        SetDeviceTime(m, device_time);
      }
      SetAttr(m, attr::kDoor, (r.U8() & 0x01) != 0);
      break;
    }
    case 0x0A: {  // IMEI:8 IMSI:8 ICCID:10 (BCD, F-padded)
      r.Skip(16);
      std::string iccid = ToHex(r.Bytes(10));
      std::erase(iccid, 'f');
      if (r.ok()) SetAttr(m, attr::kIccid, iccid);
      break;
    }
    case 0x0B:
      if (r.remaining() == 1) SetAttr(m, attr::kNetworkTechnology, std::string(r.U8() > 0 ? "4G" : "2G"));
      if (r.remaining() == 2) m.power_v = r.U16() / 100.0;
      break;
    case 0x1B: {  // serial peripheral: text, or an RFID frame header:1 type:1 id:4 checksum:1 footer:1
      const uint8_t first = r.PeekU8();
      if ((first >= 'A' && first <= 'Z') || (first >= 'a' && first <= 'z')) {
        SetAttr(m, attr::kSerialData, Trim(Ascii(r.Bytes(r.remaining()))));
      } else {
        r.Skip(2);
        const auto id = r.Bytes(4);
        if (r.ok()) SetAttr(m, attr::kDriverId, ToHex(id));
      }
      break;
    }
    case 0x1E:
      SetAttr(m, attr::kTemperatureC, r.I32() / 10.0);
      SetAttr(m, attr::kHumidityPct, r.I32() / 10.0);
      break;
    default: break;  // other sub-types: the message keeps its type only
  }
  return Done(r);
}

Status DecodeSerialData(Context& c) {
  ByteReader r(c.packet.content);
  r.U8();  // peripheral type
  const auto data = r.Bytes(r.remaining());
  if (!r.ok()) return Truncated();
  SetAttr(c.msg, attr::kCommandResult, Printable(data) ? Trim(Ascii(data)) : ToHex(data));
  return Status::Ok();
}

}  // namespace fleetd::gt06
