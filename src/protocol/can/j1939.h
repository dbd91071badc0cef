// J1939 (heavy-vehicle CAN) parameters -> Message fields.
//
// Trackers with a CAN or FMS interface (Teltonika, GT06 variants, MQTT
// gateways) forward raw J1939 parameter groups. Every protocol decodes them
// through these functions, so a PGN means the same thing whichever tracker
// carried it. What is decoded, with scales and byte positions:
// docs/protocols/can.md.
#pragma once

#include <cstdint>
#include <span>

#include "fleetd/message.h"
#include "fleetd/status.h"

namespace fleetd {

// J1939 parameter group numbers fleetd decodes.
inline constexpr uint32_t kPgnEec1 = 61444;   // electronic engine controller 1
inline constexpr uint32_t kPgnVdhr = 65217;   // high resolution vehicle distance
inline constexpr uint32_t kPgnVd = 65248;     // vehicle distance
inline constexpr uint32_t kPgnHours = 65253;  // engine hours, revolutions
inline constexpr uint32_t kPgnLfc = 65257;    // fuel consumption (liquid)
inline constexpr uint32_t kPgnEt1 = 65262;    // engine temperature 1
inline constexpr uint32_t kPgnCcvs = 65265;   // cruise control / vehicle speed
inline constexpr uint32_t kPgnDd = 65276;     // dash display

// The 18-bit PGN of a 29-bit J1939 CAN identifier (priority:3 | EDP:1 | DP:1 |
// PF:8 | PS:8 | SA:8). In PDU1 format (PF < 240) PS is the destination
// address, not part of the PGN, so it reads as 0. Bits above 28 are ignored.
uint32_t J1939Pgn(uint32_t can_id);

// Applies the parameters fleetd knows in group `pgn` (data bytes in wire
// order, multi-byte values little-endian) to `out`.
// kOk: applied; a value in J1939's reserved, error or not-available range
//   leaves its field as it was (absent), so ok may set nothing.
// kMalformed: `data` is shorter than the group's decoded parameters need.
// kUnsupported: a group fleetd does not decode (the caller may keep it raw).
// On error `out` is untouched. Pure; thread-safe.
Status ApplyJ1939(uint32_t pgn, std::span<const uint8_t> data, Message& out);

// ApplyJ1939(J1939Pgn(can_id), data, out): for trackers that forward whole
// CAN frames (29-bit identifier + up to 8 data bytes).
Status ApplyJ1939Frame(uint32_t can_id, std::span<const uint8_t> data, Message& out);

}  // namespace fleetd
