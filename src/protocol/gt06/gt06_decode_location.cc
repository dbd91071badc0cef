// GT06 handlers for messages built around a GPS block: login and the
// position types. Layouts are in docs/protocols/gt06.md; optional trailing
// fields are recognised by the number of bytes left, never by guessing.
#include <string>

#include "core/hex.h"
#include "fleetd/attribute_keys.h"
#include "protocol/gt06/gt06_alarms.h"
#include "protocol/gt06/gt06_handlers.h"

namespace fleetd::gt06 {
namespace {

Status Done(const ByteReader& r) { return r.ok() ? Status::Ok() : Truncated(); }

void SetOdometerMetres(Message& msg, uint32_t metres) { msg.odometer_km = metres / 1000.0; }

// The 3-byte trailer of 0x22-style messages: ACC, upload mode, re-upload flag.
void ReadAccTrailer(ByteReader& r, Message& msg) {
  msg.ignition = r.U8() > 0;
  r.U8();  // upload mode
  SetAttr(msg, attr::kGpsRealtime, r.U8() == 0);
}

std::string Trimmed(std::span<const uint8_t> bytes) {
  std::string s(bytes.begin(), bytes.end());
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

// 0x12 trailers after GPS + cell, told apart by their size (see the doc).
Status ReadGpsLbs1Trailer(ByteReader& r, Context& c) {
  Message& m = c.msg;
  const size_t t = r.remaining();
  if (t == 2) {  // I/O mask
    m.ignition = (r.U16() & 0x8000) != 0;
  } else if (t == 4) {
    SetOdometerMetres(m, r.U32());
  } else if (t == 5) {  // status, supply voltage, GSM, alarm extension (not used)
    ApplyTerminalInfo(r.U8(), m, /*vxt01=*/true);
    m.power_v = r.U16() / 100.0;
    SetAttr(m, attr::kGsmSignal, int64_t{r.U8()});
  } else if (t == 12) {  // status, voltage, GSM, alarm, oil, temperature, odometer
    ApplyTerminalInfo(r.U8(), m);
    m.power_v = r.U16() / 100.0;
    SetAttr(m, attr::kGsmSignal, int64_t{r.U8()});
    ApplyStatusAlarm(r.U8(), c.model, m);
    r.U16();  // oil
    const uint8_t t_raw = r.U8();
    SetAttr(m, attr::kTemperatureC, static_cast<double>(t_raw & 0x80 ? -(t_raw & 0x7F) : t_raw));
    SetOdometerMetres(m, r.U32() * 10);
  } else if (t >= 7) {  // odometer, card; "driving time" when 2 more bytes follow
    const uint32_t odometer = r.U32();
    const size_t card_size = r.U8();
    if (t != 7 + card_size && t != 9 + card_size) return Status::Ok();
    SetOdometerMetres(m, odometer);
    if (std::string card = Trimmed(r.Bytes(card_size)); !card.empty()) SetAttr(m, attr::kDriverId, card);
    const uint8_t alarm = r.U8();
    r.U8();  // card status / swiped
    if (t == 9 + card_size) {
      if (alarm > 0) m.alarm = Alarm::kGeneral;
      SetAttr(m, attr::kDrivingTimeS, int64_t{r.U16()});
    }
  }
  return Done(r);
}

// NT-family 0x22/0x25: source, IMEI, device time, GPS, cell, status, counters.
Status DecodeNt(Context& c) {
  Message& m = c.msg;
  ByteReader r(c.packet.content);
  r.Skip(1 + 8);  // location source, IMEI
  TimestampMs device_time = 0;
  if (Status s = ReadDate(r, device_time); !s.ok()) return s;
  SetDeviceTime(m, device_time);
  if (Status s = ReadGps(r, m); !s.ok()) return s;
  // Cell: length, mcc, mnc, lac, cid (4 bytes in 0x25); a length above 9
  // announces that many extra bytes after the cell.
  const uint8_t cell_len = r.U8();
  const uint16_t mcc = r.U16();
  const uint32_t mnc = (mcc & 0x8000) ? r.U16() : r.U8();
  const uint16_t lac = r.U16();
  const uint32_t cid = c.packet.type == 0x25 ? r.U32() : r.U24();
  if (r.ok()) SetCell(m, mcc & 0x7FFF, mnc, lac, cid);
  if (cell_len > 9) r.Skip(cell_len - 9);
  ApplyTerminalInfo(r.U8(), m);
  m.power_v = r.U16() / 100.0;
  m.battery_v = r.U8() / 10.0;
  SetAttr(m, attr::kGsmSignal, int64_t{r.U8()});
  ApplyStatusAlarm(r.U8(), c.model, m);
  r.U8();  // language
  SetOdometerMetres(m, r.U24());
  SetAttr(m, attr::kEngineHoursS, int64_t{r.U24()} * 60);
  if (c.packet.type == 0x25 && r.remaining() >= 1) {  // driver: length, identifier type, id
    const size_t n = r.U8();
    if (n > 1) {
      r.U8();
      SetAttr(m, attr::kDriverId, ToHex(r.Bytes(n - 1)));
    }
  }
  return Done(r);
}

// 0x7979 0x32/0x33 (AZ735): GPS and cell each behind a length byte, then
// skipped neighbour and Wi-Fi lists, a status byte and a reserved block.
Status DecodeAz735(Context& c) {
  Message& m = c.msg;
  ByteReader r(c.packet.content);
  TimestampMs time = 0;
  if (Status s = ReadDate(r, time); !s.ok()) return s;
  const size_t gps_len = r.U8();
  if (gps_len >= 12) {  // GPS info, latitude, longitude, speed, course/status
    const uint8_t gps_info = r.U8();
    const uint32_t lat = r.U32();
    const uint32_t lng = r.U32();
    const uint8_t speed = r.U8();
    if (Status s = ApplyFix(lat, lng, r.U16(), m); !s.ok()) return s;
    m.ts = time;
    m.satellites = gps_info & 0x0F;
    m.speed_kmh = speed;
    r.Skip(gps_len - 12);
  } else {
    r.Skip(gps_len);
    SetDeviceTime(m, time);
  }
  if (const size_t cell_len = r.PeekU8(); cell_len > 0) {
    DecodeCellBlock(r.Bytes(cell_len), m);
    SetAttr(m, attr::kRssi, int64_t{r.U8()});
  } else {
    r.U8();
  }
  r.Skip(r.U8());  // neighbour cells
  r.Skip(r.U8());  // Wi-Fi access points
  const uint8_t status = r.U8();
  if (c.packet.type == 0x33) {
    if (status == 0xA0 || status == 0xA1) SetAttr(m, attr::kArmed, status == 0xA0);
    if (auto alarm = Az735Alarm(status)) SetAlarm(m, *alarm);
  }
  r.Skip(r.U8());  // reserved
  return Done(r);
}

}  // namespace

Status DecodeLogin(Context& c) {
  ByteReader r(c.packet.content);
  const auto bcd = r.Bytes(8);
  if (bcd.empty()) return Truncated();
  std::string imei;
  for (uint8_t b : bcd) {
    if ((b >> 4) > 9 || (b & 0x0F) > 9) return Status(StatusCode::kMalformed, "IMEI is not BCD");
    imei.push_back(static_cast<char>('0' + (b >> 4)));
    imei.push_back(static_cast<char>('0' + (b & 0x0F)));
  }
  if (imei[0] == '0') imei.erase(0, 1);  // 15-digit IMEIs are sent with a leading zero
  c.session.device_uid = imei;
  c.msg.device_uid = imei;
  if (r.remaining() >= 2) SetAttr(c.msg, attr::kDeviceType, int64_t{r.U16()});
  if (r.remaining() >= 2) {  // time zone: bits 15..4 = hhmm, bit 3 = west
    const uint16_t zone = r.U16();
    const int hhmm = zone >> 4;
    const int minutes = hhmm / 100 * 60 + hhmm % 100;
    SetAttr(c.msg, attr::kTimezoneOffsetMin, int64_t{(zone & 0x08) ? -minutes : minutes});
  }
  return Status::Ok();
}

Status DecodeGpsOnly(Context& c) {
  ByteReader r(c.packet.content);
  return ReadGps(r, c.msg);
}

Status DecodeGpsLbs6(Context& c) {
  ByteReader r(c.packet.content);
  if (Status s = ReadGps(r, c.msg); !s.ok()) return s;
  if (r.remaining() >= 10) {  // mcc:2 mnc:2 lac:2 cid:4
    const uint16_t mcc = r.U16();
    const uint16_t mnc = r.U16();
    const uint16_t lac = r.U16();
    SetCell(c.msg, mcc & 0x7FFF, mnc, lac, r.U32());
  }
  return Done(r);
}

Status DecodeGpsLbs1(Context& c) {
  ByteReader r(c.packet.content);
  if (c.model.qh302r) r.Skip(8);  // IMEI
  if (Status s = ReadGps(r, c.msg); !s.ok()) return s;
  if (r.remaining() < 8) return Done(r);
  DecodeCellBlock(r.Bytes(8), c.msg);
  return ReadGpsLbs1Trailer(r, c);
}

Status DecodeGpsLbs2(Context& c) {
  if (c.model.nt) return DecodeNt(c);
  Message& m = c.msg;
  ByteReader r(c.packet.content);
  if (Status s = ReadGps(r, m); !s.ok()) return s;
  if (r.remaining() == 24) {  // cell with a 4-byte id, ACC, modes, odometer, climate
    const uint16_t mcc = r.U16();
    const uint8_t mnc = r.U8();
    const uint16_t lac = r.U16();
    SetCell(m, mcc & 0x7FFF, mnc, lac, r.U32());
    ReadAccTrailer(r, m);
    SetOdometerMetres(m, r.U32());
    r.U32();  // travel time
    const uint16_t t_raw = r.U16();
    SetAttr(m, attr::kTemperatureC, (t_raw & 0x8000 ? -(t_raw & 0x7FFF) : t_raw) / 100.0);
    SetAttr(m, attr::kHumidityPct, r.U16() / 100.0);
    return Done(r);
  }
  if (r.remaining() >= 8) DecodeCellBlock(r.Bytes(8), m);
  if (r.remaining() >= 3) ReadAccTrailer(r, m);
  if (r.remaining() == 4) SetOdometerMetres(m, r.U32());
  return Done(r);
}

Status DecodeGpsLbsRfid(Context& c) {
  if (c.packet.salvaged) return DecodeWifi(c);  // the count-framed Wi-Fi report
  ByteReader r(c.packet.content);
  if (Status s = ReadGps(r, c.msg); !s.ok()) return s;
  DecodeCellBlock(r.Bytes(8), c.msg);
  const auto id = r.Bytes(8);
  if (!id.empty()) SetAttr(c.msg, attr::kDriverId, ToHex(id));
  return Done(r);
}

Status DecodeLbsMultiple3(Context& c) {
  const size_t n = c.packet.content.size();
  if (n != 18 + 8 + 5 && n != 18 + 8 + 5 + 10) return DecodeLbsMultiple(c);
  // GPS, cell, ACC, supply and battery voltage (+ the IMEI on some units).
  ByteReader r(c.packet.content);
  if (Status s = ReadGps(r, c.msg); !s.ok()) return s;
  DecodeCellBlock(r.Bytes(8), c.msg);
  c.msg.ignition = r.U8() > 0;
  c.msg.power_v = r.U16() / 100.0;
  c.msg.battery_v = r.U16() / 100.0;
  return Done(r);
}

Status DecodeGpsLbs5(Context& c) {
  Message& m = c.msg;
  ByteReader r(c.packet.content);
  if (Status s = ReadGps(r, m); !s.ok()) return s;
  const size_t t = r.remaining();
  if (t == 19 || t == 23) {  // 4G cell, ACC trailer, [odometer], altitude
    const uint16_t mcc = r.U16();
    const uint16_t mnc = r.U16();
    const uint16_t lac = r.U16();
    SetCell(m, mcc & 0x7FFF, mnc, lac, r.U64());
    ReadAccTrailer(r, m);
    if (t == 23) SetOdometerMetres(m, r.U32());
    m.altitude_m = r.I16();
  } else if (t >= 8) {
    DecodeCellBlock(r.Bytes(8), m);
    if (r.remaining() >= 3) ReadAccTrailer(r, m);
  }
  return Done(r);
}

Status DecodeGpsLbsStatus4(Context& c) {
  if (c.packet.extended) return DecodeAz735(c);
  if (c.packet.type == 0x33) return DecodeLbsMultiple(c);  // 0x7878 0x33: six cells and Wi-Fi
  // 0x7878 0x32: GPS, then a 4G cell behind a length byte; what follows varies by unit.
  ByteReader r(c.packet.content);
  if (Status s = ReadGps(r, c.msg); !s.ok()) return s;
  if (r.remaining() >= 15 && r.PeekU8() != 0) {
    r.U8();
    const uint16_t mcc = r.U16();
    const uint16_t mnc = r.U16();
    const uint16_t lac = r.U16();
    SetCell(c.msg, mcc & 0x7FFF, mnc, lac, r.U64());
  }
  return Done(r);
}

Status DecodeX1Gps(Context& c) {
  Message& m = c.msg;
  ByteReader r(c.packet.content);
  r.U32();  // data and alarm flags
  if (Status s = ReadGps(r, m); !s.ok()) return s;
  r.U16();  // terminal information
  SetOdometerMetres(m, r.U32());
  const uint16_t mcc = r.U16();
  const uint8_t mnc = r.U8();
  const uint16_t lac = r.U16();
  SetCell(m, mcc, mnc, lac, r.U32());
  if (const uint32_t driver = r.U32(); driver > 0) SetAttr(m, attr::kDriverId, std::to_string(driver));
  m.battery_v = r.U16() / 100.0;
  m.power_v = r.U16() / 100.0;
  const uint32_t ports = r.U32();
  r.U8();  // inputs
  r.U8();  // outputs
  const int adc_count = static_cast<int>(ports >> 20 & 0x0F);
  for (int i = 0; i < adc_count && r.remaining() >= 2; ++i) {
    const double volts = r.U16() / 100.0;
    if (i == 0) SetAttr(m, attr::kAdc1V, volts);
    if (i == 1) SetAttr(m, attr::kAdc2V, volts);
  }
  return Done(r);
}

Status DecodeGpsLbs3(Context& c) {
  Message& m = c.msg;
  ByteReader r(c.packet.content);
  if (Status s = ReadGps(r, m); !s.ok()) return s;
  DecodeCellBlock(r.Bytes(8), m);
  if (r.remaining() >= 3) ReadAccTrailer(r, m);
  while (r.ok() && r.remaining() >= 3) {  // modules: id:2 length:1 data
    const uint16_t id = r.U16();
    ByteReader data(r.Bytes(r.U8()));
    if (id == 0x0027) m.power_v = data.U16() / 100.0;
    if (id == 0x002E) SetOdometerMetres(m, data.U32());
  }
  return Done(r);
}

Status DecodeGpsLbs8(Context& c) {
  ByteReader r(c.packet.content);
  if (Status s = ReadGps(r, c.msg); !s.ok()) return s;
  r.U8();  // upload mode
  r.U8();  // re-upload
  const bool wide = r.U8() >= 3;  // cell type: 4G cells have wide fields
  const uint16_t mcc = r.U16();
  const uint32_t mnc = (mcc & 0x8000) ? r.U16() : r.U8();
  const uint64_t lac = wide ? r.U32() : r.U16();
  const uint64_t cid = wide ? r.U64() : r.U24();
  if (r.ok()) SetCell(c.msg, mcc & 0x7FFF, mnc, lac, cid);
  return Done(r);
}

Status DecodeIButton(Context& c) {
  ByteReader r(c.packet.content);
  r.Skip(8);  // IMEI
  if (Status s = ReadGps(r, c.msg); !s.ok()) return s;
  const uint16_t mcc = r.U16();
  const uint8_t mnc = r.U8();
  const uint16_t lac = r.U16();
  SetCell(c.msg, mcc & 0x7FFF, mnc, lac, r.U32());
  const uint64_t high = r.U32();
  const uint64_t id = high << 16 | r.U16();
  if (r.ok()) SetAttr(c.msg, attr::kDriverId, std::to_string(id));
  return Done(r);
}

Status DecodeGpsLbs7(Context& c) {
  ByteReader r(c.packet.content);
  if (Status s = ReadGps(r, c.msg); !s.ok()) return s;
  const uint16_t mcc = r.U16();
  const uint32_t mnc = (mcc & 0x8000) ? r.U16() : r.U8();
  const uint32_t lac = r.U32();
  const uint64_t cid = r.U64();
  if (r.ok()) SetCell(c.msg, mcc & 0x7FFF, mnc, lac, cid);
  if (r.remaining() >= 3) ReadAccTrailer(r, c.msg);
  if (r.remaining() == 4) SetOdometerMetres(c.msg, r.U32());
  return Done(r);
}

}  // namespace fleetd::gt06
