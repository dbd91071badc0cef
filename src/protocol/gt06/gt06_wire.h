// GT06 wire envelope: start marker, length, type, content, serial, CRC, 0D0A.
//
// Shared by the framer, the decoder and the encoder so that the three agree on
// one definition of a frame. Layouts are documented in docs/protocols/gt06.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "fleetd/status.h"

namespace fleetd::gt06 {

inline constexpr uint8_t kShortStart = 0x78;  // 0x7878: 1-byte length
inline constexpr uint8_t kLongStart = 0x79;   // 0x7979: 2-byte length
// Serial (2) + CRC (2) + type (1): the smallest value a length field can hold.
inline constexpr size_t kMinLengthField = 5;
// The largest frames devices send are 0x7979 photo chunks: 1024 data bytes
// plus 21 bytes of header and trailer. Round up; longer is garbage.
inline constexpr size_t kMaxFrameSize = 1024 + 64;

// One frame split into its parts. Spans point into the decoded frame.
struct Packet {
  bool extended = false;                // 0x7979
  uint8_t type = 0;                     // protocol number
  uint16_t length_field = 0;            // as sent (0x69/0x17 Wi-Fi: the access point count)
  std::span<const uint8_t> content;     // bytes between the type and the serial
  std::optional<uint16_t> serial;       // absent when the frame carries none
  bool salvaged = false;                // lenient mode cut the content without the length field
};

// Checks the envelope and splits the frame. Strict: the length field must
// match the frame size exactly, the frame must end in 0D0A and the CRC-ITU
// must match (kBadLength / kMalformed / kBadChecksum). Lenient: no CRC check,
// and frames whose length field disagrees with their size are still split by
// the rules documented in docs/protocols/gt06.md ("Lenient mode").
Status ParsePacket(std::span<const uint8_t> frame, bool lenient, Packet& out);

// Appends one complete frame (header, length, type, content, serial, CRC, 0D0A).
void AppendFrame(std::vector<uint8_t>& out, bool extended, uint8_t type,
                 std::span<const uint8_t> content, uint16_t serial);

}  // namespace fleetd::gt06
