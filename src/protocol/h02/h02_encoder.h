// Building H02 messages: the replies the decoder sends, and the ASCII V1 /
// HTBT messages and binary `$` positions that the device simulator, tests
// and benchmark send.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "fleetd/message.h"

namespace fleetd::h02 {

// The all-clear status word: no alarm bit active (negative logic), ACC off.
inline constexpr uint32_t kStatusIdle = 0xFFFFFBFF;
inline constexpr uint32_t kStatusAccOn = 1u << 10;

struct PositionFix {
  TimestampMs time_ms = 0;  // UTC; H02 carries whole seconds
  double lat = 0;           // degrees, [-90, 90]
  double lng = 0;           // degrees, [-180, 180]
  double speed_kmh = 0;     // sent in knots (binary: whole knots, clamped to 999)
  double heading = 0;       // degrees, [0, 360)
  bool valid = true;
  uint32_t status = kStatusIdle;
};

// *HQ,<id>,V1,hhmmss,A,ddmm.mmmm,N,dddmm.mmmm,E,speed,course,ddmmyy,status#
std::vector<uint8_t> EncodeV1(std::string_view id, const PositionFix& fix);
// *HQ,<id>,HTBT[,<battery>]#
std::vector<uint8_t> EncodeHeartbeat(std::string_view id, std::optional<int> battery_level = std::nullopt);
// The 32-byte `$` position. `id`: 10 decimal digits. `battery_level`:
// 7..100 percent (0 = unknown).
std::vector<uint8_t> EncodeBinary(std::string_view id, const PositionFix& fix, int battery_level = 0);

// Replies. *HQ,<id>,V4,<type>,<yyyyMMddHHmmss>#: acknowledges V1 and NBR
// with the server's UTC time.
void AppendTimeAck(std::vector<uint8_t>& out, std::string_view id, std::string_view type, TimestampMs now);
// *XX,<id>,<type>#: echoes a heartbeat (HTBT, V0) with the header it came with.
void AppendEcho(std::vector<uint8_t>& out, std::string_view header, std::string_view id, std::string_view type);

}  // namespace fleetd::h02
