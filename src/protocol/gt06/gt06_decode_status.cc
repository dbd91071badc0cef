// GT06 handlers for status, heartbeat and alarm messages. The common status
// block is: terminal information, voltage level, GSM signal, alarm, language.
#include <algorithm>
#include <string>

#include "core/hex.h"
#include "fleetd/attribute_keys.h"
#include "protocol/gt06/gt06_alarms.h"
#include "protocol/gt06/gt06_handlers.h"

namespace fleetd::gt06 {
namespace {

Status Done(const ByteReader& r) { return r.ok() ? Status::Ok() : Truncated(); }

bool IsCellBlockSize(size_t n) { return n == 8 || n == 9 || n == 10 || n == 16 || n == 17; }

// Terminal info, voltage level, GSM signal, alarm (+ language high nibble).
void ReadStatusBlock(ByteReader& r, Context& c, bool vxt01, bool extended_code) {
  ApplyTerminalInfo(r.U8(), c.msg, vxt01);
  ApplyBatteryLevel(r.U8(), c.msg);
  SetAttr(c.msg, attr::kGsmSignal, int64_t{r.U8()});
  uint16_t code = r.U8();
  const uint8_t language = r.U8();
  if (extended_code) code = static_cast<uint16_t>(code | (language >> 4) << 8);
  if (!vxt01) ApplyStatusAlarm(code, c.model, c.msg);
}

// 0x13 with 14 content bytes: satellites and supply voltage (OBD units).
Status DecodeStatusObd(ByteReader& r, Context& c) {
  Message& m = c.msg;
  ApplyTerminalInfo(r.U8(), m);
  const uint16_t signal = r.U16();
  m.satellites = (signal >> 10 & 0x1F) + (signal >> 5 & 0x1F);
  SetAttr(m, attr::kGsmSignal, int64_t{signal & 0x1F});
  ApplyStatusAlarm(r.U8(), c.model, m);
  r.U8();  // language
  if (const uint8_t level = r.U8(); level <= 100) SetAttr(m, attr::kBatteryLevel, int64_t{level});
  const uint8_t mode = r.U8();
  m.power_v = r.U16() / 100.0;
  r.U8();   // reserved
  r.U16();  // working time
  if (mode == 4) SetAttr(m, attr::kTemperatureC, r.I16() / 10.0);
  return Done(r);
}

// 0x13 with 16 content bytes: battery percentage and temperature.
Status DecodeStatusLong(ByteReader& r, Context& c) {
  Message& m = c.msg;
  r.U8();   // information content
  r.U16();  // satellites
  ApplyStatusAlarm(r.U8(), c.model, m);
  r.U8();  // language
  if (const uint8_t level = r.U8(); level <= 100) SetAttr(m, attr::kBatteryLevel, int64_t{level});
  r.Skip(1 + 2 + 1 + 2 + 2);  // mode, working voltage, reserved, working times, working time
  const uint16_t t = r.U16();  // bit 15 set = above zero
  SetAttr(m, attr::kTemperatureC, (t & 0x8000 ? 1 : -1) * (t & 0x7FFF) / 10.0);
  return Done(r);
}

}  // namespace

Status DecodeStatus(Context& c) {
  Message& m = c.msg;
  ByteReader r(c.packet.content);
  const size_t n = c.packet.content.size();
  if (n == 14) return DecodeStatusObd(r, c);
  if (n == 16) return DecodeStatusLong(r, c);
  if (n < 4) return Truncated();
  ApplyTerminalInfo(r.U8(), m);
  if (c.model.r11) {  // supply voltage instead of the voltage level
    m.power_v = r.U16() / 100.0;
    SetAttr(m, attr::kGsmSignal, int64_t{r.U8()});
    ApplyStatusAlarm(r.U8(), c.model, m);
    return Done(r);
  }
  ApplyBatteryLevel(r.U8(), m);
  SetAttr(m, attr::kGsmSignal, int64_t{r.U8()});
  if (c.model.lw) {
    m.power_v = (r.U16() & 0x0FFF) / 10.0;
  } else if (c.model.seeworld) {
    m.power_v = r.U8();  // whole volts in the alarm byte
  } else {
    ApplyStatusAlarm(r.U8(), c.model, m);
  }
  return Done(r);
}

Status DecodeHeartbeat(Context& c) {
  ByteReader r(c.packet.content);
  const uint8_t info = r.U8();
  SetAttr(c.msg, attr::kArmed, (info & 0x01) != 0);
  c.msg.ignition = (info & 0x02) != 0;
  SetAttr(c.msg, attr::kCharging, (info & 0x04) != 0);
  if (r.remaining() >= 2) c.msg.battery_v = r.U16() / 100.0;
  if (r.remaining() >= 1) SetAttr(c.msg, attr::kGsmSignal, int64_t{r.U8()});
  return Done(r);
}

Status DecodeGpsLbsStatus(Context& c) {
  const bool geofence = c.packet.type == 0x27 || c.packet.type == 0xA4;
  const size_t fixed = 18 + 5 + (geofence ? 1 : 0);
  const size_t n = c.packet.content.size();
  if (n < fixed + 8) return Truncated();
  size_t cell = n - fixed;
  size_t driver = 0;
  if (c.model.vl && cell > 16 && IsCellBlockSize(cell - 8)) driver = 8, cell -= 8;
  ByteReader r(c.packet.content);
  if (Status s = ReadGps(r, c.msg); !s.ok()) return s;
  DecodeCellBlock(r.Bytes(cell), c.msg);
  ReadStatusBlock(r, c, /*vxt01=*/cell == 8, geofence);
  if (geofence) SetAttr(c.msg, attr::kGeofenceId, int64_t{r.U8()});
  if (driver > 0) {
    const auto id = r.Bytes(driver);
    if (std::any_of(id.begin(), id.end(), [](uint8_t b) { return b != 0; })) {
      SetAttr(c.msg, attr::kDriverId, ToHex(id));
    }
  }
  return Done(r);
}

Status DecodeLbsStatus(Context& c) {
  if (c.packet.content.size() != 8 + 5) return Status::Ok();  // a multi-cell variant: layout unknown
  ByteReader r(c.packet.content);
  DecodeCellBlock(r.Bytes(8), c.msg);
  ReadStatusBlock(r, c, false, false);
  return Done(r);
}

Status DecodeLbsAddress(Context& c) {
  ByteReader r(c.packet.content);
  DecodeCellBlock(r.Bytes(8), c.msg);  // then the phone number asking for the address
  return Done(r);
}

Status DecodeLbsAlarm(Context& c) {
  ByteReader r(c.packet.content);
  const uint16_t mcc = r.U16();
  const uint32_t mnc = (mcc & 0x8000) ? r.U16() : r.U8();
  const uint32_t lac = r.U32();
  const uint64_t cid = r.U64();
  if (r.ok()) SetCell(c.msg, mcc & 0x7FFF, mnc, lac, cid);
  ReadStatusBlock(r, c, false, false);
  return Done(r);
}

Status DecodeAlarmEvent(Context& c) {
  Message& m = c.msg;
  const auto content = c.packet.content;
  ByteReader r(content);
  const bool with_fix = content.size() > 7;
  if (content.size() >= 2 && content[0] == 0xFF && content[1] == 0xFF) {  // dash cam: marker, version
    r.Skip(3);
    GpsLayout layout{.satellites = true, .speed = true, .long_speed = true, .flags_before_speed = true};
    if (Status s = ReadGps(r, m, layout); !s.ok()) return s;
    m.power_v = r.U16() / 10.0;
  } else if (with_fix) {
    if (Status s = ReadGps(r, m, GpsLayout{.satellites = false, .speed = false}); !s.ok()) return s;
  } else {
    TimestampMs device_time = 0;
    if (Status s = ReadDate(r, device_time); !s.ok()) return s;
    SetDeviceTime(m, device_time);
  }
  const uint8_t event = r.U8();
  if (!r.ok()) return Truncated();
  SetAttr(m, attr::kAlarmCode, int64_t{event});
  if (auto alarm = EventAlarm(event, with_fix)) SetAlarm(m, *alarm);
  if (r.remaining() >= 2) r.U16();  // event data
  if (r.remaining() > 0) {
    const auto files = r.Bytes(r.remaining());
    SetAttr(m, attr::kEventFiles, std::string(files.begin(), files.end()));
  }
  return Done(r);
}

Status DecodeStatus2(Context& c) {
  if (c.packet.extended) return Status(StatusCode::kUnsupported, "photo data is not handled");
  Message& m = c.msg;
  ByteReader r(c.packet.content);
  if (c.model.vl) {  // GPS, cell, ACC, counters, battery voltage, driver
    if (Status s = ReadGps(r, m); !s.ok()) return s;
    const uint16_t mcc = r.U16();
    const uint8_t mnc = r.U8();
    const uint16_t lac = r.U16();
    SetCell(m, mcc & 0x7FFF, mnc, lac, r.U32());
    m.ignition = r.U8() > 0;
    r.Skip(8);
    m.battery_v = r.U8() / 10.0;
    r.Skip(3);
    const auto id = r.Bytes(8);
    if (std::any_of(id.begin(), id.end(), [](uint8_t b) { return b != 0; })) {
      SetAttr(m, attr::kDriverId, ToHex(id));
    }
    return Done(r);
  }
  ApplyTerminalInfo(r.U8(), m);
  ApplyBatteryLevel(r.U8(), m);
  SetAttr(m, attr::kGsmSignal, int64_t{r.U8()});
  ApplyStatusAlarm(r.U8(), c.model, m);
  r.U8();  // language
  while (r.ok() && r.remaining() >= 3) {  // modules: id:2 length:1 data
    const uint16_t id = r.U16();
    ByteReader data(r.Bytes(r.U8()));
    if (id == 0x0018) m.battery_v = data.U16() / 100.0;
    if (id == 0x006A) SetAttr(m, attr::kBatteryLevel, int64_t{data.U8()});
  }
  return Done(r);
}

Status DecodeFenceSingle(Context& c) {
  // The long form starts with a fix; the short status variants with the
  // terminal information byte (what follows differs by unit and is left alone).
  ByteReader r(c.packet.content);
  if (c.packet.content.size() >= 18 + 8) return ReadGps(r, c.msg);
  ApplyTerminalInfo(r.U8(), c.msg);
  return Done(r);
}

Status DecodeDeviceStatus(Context& c) {
  Message& m = c.msg;
  ByteReader r(c.packet.content);
  SetDeviceTime(m, int64_t{r.U32()} * 1000);
  while (r.ok() && r.remaining() >= 3) {  // entries: id:2 length:1 data
    const uint16_t id = r.U16();
    ByteReader data(r.Bytes(r.U8()));
    switch (id) {
      case 0x0001: {
        const uint8_t motion = data.U8();
        SetAttr(m, attr::kMotion, motion == 0x02 || motion == 0x04);
        break;
      }
      case 0x0002: SetAttr(m, attr::kArmed, data.U8() > 0); break;
      case 0x0004: m.ignition = data.U8() > 0; break;
      case 0x0005: m.power_v = data.U16() / 100.0; break;
      case 0x0007: SetAttr(m, attr::kCharging, data.U8() > 0); break;
      default: break;
    }
  }
  return Done(r);
}

Status DecodePeripheral(Context& c) {
  ByteReader r(c.packet.content);
  SetDeviceTime(c.msg, int64_t{r.U32()} * 1000);
  return Done(r);  // peripheral entries (BLE sensors, batteries) are not decoded yet
}

}  // namespace fleetd::gt06
