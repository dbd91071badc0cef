// Building GT06 frames: the replies the decoder sends and the packets the
// device simulator and tests send. Every frame carries a correct CRC-ITU.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "fleetd/message.h"

namespace fleetd::gt06 {

struct PositionFix {
  TimestampMs time_ms = 0;     // UTC; GT06 carries whole seconds (milliseconds are dropped)
  double lat = 0;              // degrees, [-90, 90]
  double lng = 0;              // degrees, [-180, 180]
  double speed_kmh = 0;        // clamped to [0, 255]
  double heading = 0;          // degrees, [0, 360)
  int satellites = 0;          // clamped to [0, 15]
  bool valid = true;           // GPS positioned
  std::optional<bool> ignition;  // sent in the course/status word when known
};

enum class PositionLayout {
  kGpsLbs2,  // 0x22: GPS, cell, ACC, upload mode, re-upload flag
  kGpsLbs1,  // 0x12: GPS, cell
};

// 7878 05 <type> <serial> <crc> 0D0A: the acknowledgement of login, status and alarm packets.
std::vector<uint8_t> EncodeReply(uint8_t type, uint16_t serial);
// 0x01 login. `imei`: up to 16 decimal digits (15-digit IMEIs get a leading 0).
std::vector<uint8_t> EncodeLogin(std::string_view imei, uint16_t serial);
// A position in the 0x22 (default) or 0x12 layout, with an all-zero cell.
std::vector<uint8_t> EncodePosition(const PositionFix& fix, uint16_t serial,
                                    PositionLayout layout = PositionLayout::kGpsLbs2);
// 0x13 status: ACC, voltage level 0..6, GSM signal 0..4, no alarm.
std::vector<uint8_t> EncodeHeartbeat(bool ignition, int voltage_level, int gsm_signal, uint16_t serial);
// 0x16 GPS + cell + status with an alarm code (0x01 SOS, 0x02 power cut, ...).
std::vector<uint8_t> EncodeAlarm(const PositionFix& fix, uint8_t alarm_code, int voltage_level,
                                 int gsm_signal, uint16_t serial);
// 0x8A answer: the server's UTC time as YY MM DD hh mm ss.
std::vector<uint8_t> EncodeTimeReply(TimestampMs now, uint16_t serial);

}  // namespace fleetd::gt06
