// GT06 handlers for cell (LBS) and Wi-Fi reports that carry no GPS fix. The
// serving cell goes to the mcc/mnc/lac/cell_id attributes, the full lists to
// cell_towers and wifi_aps, for a location service to resolve later.
#include <algorithm>
#include <cstdio>
#include <string>

#include "fleetd/attribute_keys.h"
#include "protocol/gt06/gt06_handlers.h"

namespace fleetd::gt06 {
namespace {

Status Done(const ByteReader& r) { return r.ok() ? Status::Ok() : Truncated(); }

uint64_t ReadN(ByteReader& r, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = v << 8 | r.U8();
  return v;
}

void AppendCell(std::string& out, uint32_t mcc, uint32_t mnc, uint64_t lac, uint64_t cid, int rssi) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s%u-%u-%llu-%llu/-%d", out.empty() ? "" : ";", mcc, mnc,
                static_cast<unsigned long long>(lac), static_cast<unsigned long long>(cid), rssi);
  out += buf;
}

void AppendWifi(std::string& out, std::span<const uint8_t> mac, int rssi) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%02x:%02x:%02x:%02x:%02x:%02x", out.empty() ? "" : ";", mac[0],
                mac[1], mac[2], mac[3], mac[4], mac[5]);
  out += buf;
  if (rssi >= 0) out += "/-" + std::to_string(rssi);
}

struct LbsLayout {
  int cells = 7;            // fixed cell count (unless count_byte)
  int lac = 2;              // bytes
  int cid = 3;              // bytes
  bool count_byte = false;  // a cell count precedes the cells
  bool ta_first = false;    // timing advance precedes mcc
  bool wifi = false;        // access points follow the timing advance
};

LbsLayout LayoutFor(uint8_t type) {
  switch (type) {
    case 0x24: return {.count_byte = true, .ta_first = true};
    case 0x18:
    case 0x2C: return {.wifi = true};
    case 0x33: return {.cells = 6, .cid = 4, .wifi = true};
    case 0xA1: return {.lac = 4, .cid = 8};
    case 0xA2: return {.lac = 4, .cid = 8, .wifi = true};
    default: return {};  // 0x28, 0x2E
  }
}

// Access points: mac:6 rssi:1, `count` times.
void ReadWifiList(ByteReader& r, size_t count, Message& msg) {
  std::string aps;
  for (size_t i = 0; i < count && r.remaining() >= 7; ++i) {
    const auto mac = r.Bytes(6);
    AppendWifi(aps, mac, r.U8());
  }
  if (!aps.empty()) SetAttr(msg, attr::kWifiAccessPoints, std::move(aps));
}

// The LW 4G status layout that shares protocol number 0xA2.
Status DecodeLwStatus(Context& c) {
  Message& m = c.msg;
  ByteReader r(c.packet.content);
  if (Status s = ReadGps(r, m); !s.ok()) return s;
  const uint16_t mcc = r.U16();
  const uint32_t mnc = (mcc & 0x8000) ? r.U16() : r.U8();
  const uint32_t lac = r.U32();
  SetCell(m, mcc & 0x7FFF, mnc, lac, r.U64());
  r.U8();  // network indicator
  ApplyTerminalInfo(r.U8(), m);
  m.power_v = r.U16() / 100.0;
  ApplyBatteryLevel(r.U8(), m);
  SetAttr(m, attr::kGsmSignal, int64_t{r.U8()});
  ApplyStatusAlarm(r.U8(), c.model, m);
  r.U8();  // language
  m.odometer_km = r.U32() / 1000.0;
  SetAttr(m, attr::kEngineHoursS, int64_t{r.U32()});
  r.Skip(8 + 2);  // terminal id, inputs
  return Done(r);
}

}  // namespace

Status DecodeLbsMultiple(Context& c) {
  Message& m = c.msg;
  const LbsLayout layout = LayoutFor(c.packet.type);
  ByteReader r(c.packet.content);
  TimestampMs device_time = 0;
  if (Status s = ReadDate(r, device_time); !s.ok()) return s;
  SetDeviceTime(m, device_time);
  if (layout.ta_first) r.U8();
  const uint16_t mcc_raw = r.U16();
  const uint16_t mcc = mcc_raw & 0x7FFF;
  const uint32_t mnc = (mcc_raw & 0x8000) ? r.U16() : r.U8();
  const int cells = layout.count_byte ? r.U8() : layout.cells;
  std::string towers;
  bool serving = false;
  for (int i = 0; i < cells && r.ok(); ++i) {
    const uint64_t lac = ReadN(r, layout.lac);
    const uint64_t cid = ReadN(r, layout.cid);
    const uint8_t rssi = r.U8();
    if (!r.ok() || lac == 0) continue;
    if (!serving) SetCell(m, mcc, mnc, lac, cid), serving = true;
    AppendCell(towers, mcc, mnc, lac, cid, rssi);
  }
  if (!towers.empty()) SetAttr(m, attr::kCellTowers, std::move(towers));
  if (!layout.ta_first) r.U8();  // timing advance
  if (layout.wifi && r.remaining() >= 1) ReadWifiList(r, r.U8(), m);
  return Done(r);
}

Status DecodeWifi(Context& c) {
  // Count-framed: the length byte is the access point count; no serial, no CRC.
  Message& m = c.msg;
  ByteReader r(c.packet.content);
  const auto time = c.packet.content.first(std::min<size_t>(6, c.packet.content.size()));
  TimestampMs device_time = 0;
  if (Status s = ReadBcdDate(r, device_time); !s.ok()) return s;
  SetDeviceTime(m, device_time);
  const size_t aps = c.packet.length_field & 0xFF;
  if (r.remaining() < aps * 7 + 4) return Truncated();
  ReadWifiList(r, aps, m);
  const uint8_t cells = r.U8();
  const uint16_t mcc = r.U16();
  const uint8_t mnc = r.U8();
  std::string towers;
  for (int i = 0; i < cells && r.remaining() >= 5; ++i) {
    const uint16_t lac = r.U16();
    const uint16_t cid = r.U16();
    const uint8_t rssi = r.U8();
    if (i == 0) SetCell(m, mcc, mnc, lac, cid);
    AppendCell(towers, mcc, mnc, lac, cid, rssi);
  }
  if (!towers.empty()) SetAttr(m, attr::kCellTowers, std::move(towers));
  // These devices expect 7878 00 <type> <the same BCD time> 0D0A back.
  c.reply.insert(c.reply.end(), {kShortStart, kShortStart, 0x00, c.packet.type});
  c.reply.insert(c.reply.end(), time.begin(), time.end());
  c.reply.insert(c.reply.end(), {0x0D, 0x0A});
  return Done(r);
}

Status DecodeWifi3(Context& c) {
  const auto content = c.packet.content;
  const size_t mnc_size = content.size() > 6 && (content[6] & 0x80) ? 2 : 1;
  const size_t ap_count_at = 6 + 2 + mnc_size + 7 * 13 + 1;
  if (content.size() > ap_count_at && content.size() == ap_count_at + 1 + 7 * size_t{content[ap_count_at]}) {
    return DecodeLbsMultiple(c);
  }
  if (content.size() == 59) return DecodeLwStatus(c);
  return Status(StatusCode::kMalformed, "0xA2 fits neither the Wi-Fi nor the 4G status layout");
}

Status DecodeWifi4(Context& c) {
  ByteReader r(c.packet.content);
  TimestampMs device_time = 0;
  if (Status s = ReadDate(r, device_time); !s.ok()) return s;
  SetDeviceTime(c.msg, device_time);
  const size_t count = r.U8();
  std::string aps;
  for (size_t i = 0; i < count && r.remaining() >= 8; ++i) {
    r.U16();  // reserved
    AppendWifi(aps, r.Bytes(6), -1);
  }
  if (!aps.empty()) SetAttr(c.msg, attr::kWifiAccessPoints, std::move(aps));
  return Done(r);
}

}  // namespace fleetd::gt06
