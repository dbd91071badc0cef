// Field readers shared by the GT06 message handlers: dates, the GPS block,
// cell (LBS) blocks, the status block and model families. Internal to gt06.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "core/byte_reader.h"
#include "fleetd/message.h"
#include "fleetd/status.h"

namespace fleetd::gt06 {

// Model families whose layouts differ, from DecodeSession::model (case-insensitive).
struct Model {
  bool lw = false;        // LW4G-4B and other "LW*" models
  bool seeworld = false;  // SEEWORLD
  bool nt = false;        // NT11 NT20 NT26 NT40 NT46 VL100 XT40: IMEI + device time prefix
  bool vl = false;        // VL103 LL303 VL512 G18
  bool r11 = false;       // R11: 0x13 carries a supply voltage
  bool qh302r = false;    // QH302R: 0x12 carries the IMEI before the GPS block
};
Model ClassifyModel(std::string_view model);

// Attribute helpers: keys come from fleetd/attribute_keys.h.
void SetAttr(Message& msg, std::string_view key, AttributeValue value);

// YY MM DD hh mm ss, binary, UTC. kOutOfRange for impossible dates.
Status ReadDate(ByteReader& r, TimestampMs& out);
// The same six fields in BCD (0x69/0x17 Wi-Fi messages).
Status ReadBcdDate(ByteReader& r, TimestampMs& out);

struct GpsLayout {
  bool satellites = true;          // a GPS-info byte (low nibble = satellites) precedes latitude
  bool speed = true;               // a speed field follows longitude
  bool long_speed = false;         // speed is 2 bytes
  bool flags_before_speed = false; // course/status word comes before the speed
};
// Date + fix: sets ts, lat, lng, valid, heading, speed_kmh, satellites and
// ignition when the course/status word says ACC is reported. kOutOfRange for
// impossible dates or coordinates, kMalformed when bytes are missing.
Status ReadGps(ByteReader& r, Message& msg, GpsLayout layout = {});
// The course/status word plus unsigned coordinates in 1/1800000 degree.
Status ApplyFix(uint32_t lat_raw, uint32_t lng_raw, uint16_t course_status, Message& msg);

// Records a serving cell (mcc, mnc, lac, cell id) when it is not all zero.
void SetCell(Message& msg, uint32_t mcc, uint32_t mnc, uint64_t lac, uint64_t cid);
// Decodes a cell block whose size the caller computed from the message
// layout. Size 8: mcc:2 mnc:1 lac:2 cid:3 without a length byte. Otherwise a
// length byte, mcc:2, mnc:1 (2 when mcc bit 15 is set) and lac/cid of 2/3,
// 2/4 or 4/8 bytes as the size implies; a zero length byte means no cell.
void DecodeCellBlock(std::span<const uint8_t> block, Message& msg);

// Terminal information byte: armed, ACC, charging, alarm bits 3-5, GPS, fuel cut.
// `vxt01`: the alarm value 7 means overspeed instead of removal.
void ApplyTerminalInfo(uint8_t info, Message& msg, bool vxt01 = false);
// Voltage level byte: 0..6 is GT06's scale, 7..100 a percentage.
void ApplyBatteryLevel(uint8_t level, Message& msg);
// The alarm/extension byte of status blocks, through the model's table.
void ApplyStatusAlarm(uint16_t code, const Model& model, Message& msg);

}  // namespace fleetd::gt06
