// H02 wire facts shared by the framer, the decoder and the encoder: frame
// markers, size limits, and the fixed layouts of the binary `$` position.
//
// H02 has two forms on one port. ASCII: `*XX,<id>,<type>,...#`. Binary: `$`
// (or `X`) + a BCD device id + fixed BCD fields, no length, no terminator,
// no checksum, so its size is known only from the layout (a 5-byte id gives
// 32, 45, 46 or 48 bytes by firmware; an 8-byte id 42). Layouts and their
// sources are in docs/protocols/h02.md. Internal to h02.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace fleetd::h02 {

inline constexpr uint8_t kAsciiStart = '*';
inline constexpr uint8_t kBinaryStart = '$';
inline constexpr uint8_t kAltBinaryStart = 'X';  // same layout as `$`; no decoder knows its meaning
inline constexpr uint8_t kAsciiEnd = '#';

// The longest ASCII message seen from H02 devices is an SMS-command answer
// of a few hundred bytes (configuration dumps); positions are < 200. 1024
// leaves room for long answers while bounding what a connection can make us
// buffer (the listener keeps 2x this).
inline constexpr size_t kMaxFrameSize = 1024;

// CR/LF that some firmwares send after `#`. They are kept in front of the
// next frame (the framer is stateless) and the decoder skips them; more than
// this many in a row is garbage.
inline constexpr size_t kMaxLineBreaks = 4;

bool IsMarker(uint8_t b);
bool IsLineBreak(uint8_t b);

// A BCD byte's value 0..99, or -1 when a nibble is above 9.
inline int Bcd(uint8_t b) { return (b >> 4) > 9 || (b & 0x0F) > 9 ? -1 : (b >> 4) * 10 + (b & 0x0F); }

// Field offsets of a binary position; everything before status_at is BCD
// except the battery byte and the flags nibble (low half of lon_at + 4).
struct BinaryLayout {
  size_t id_bytes;
  size_t time_at;     // hh mm ss DD MM YY, BCD
  size_t lat_at;      // 4 bytes: dd mm.mmmm
  size_t battery_at;  // 1 byte
  size_t lon_at;      // 5 bytes: ddd mm.mmmm + flags nibble
  size_t speed_at;    // 3 bytes: speed (3 digits, knots) + course (3 digits)
  size_t status_at;   // 4 bytes, big-endian
  std::span<const size_t> sizes;  // known whole-frame sizes, ascending
  size_t min_size() const { return status_at + 4; }
};

inline constexpr std::array<size_t, 4> kShortIdSizes = {32, 45, 46, 48};
inline constexpr std::array<size_t, 1> kLongIdSizes = {42};
inline constexpr BinaryLayout kShortId{5, 6, 12, 16, 17, 22, 25, kShortIdSizes};
inline constexpr BinaryLayout kLongId{8, 9, 15, 19, 20, 25, 28, kLongIdSizes};  // IMEI + pad nibble

enum class Fit { kNo, kPartial, kYes };

// Whether `buf` (a frame prefix or a whole frame, marker included) follows
// `layout` up to its status word: BCD where BCD is due, a time of day and
// a calendar-shaped date (zeros allowed: devices without a fix send them).
// kPartial: no contradiction in the bytes present, but not all present.
Fit FitsLayout(std::span<const uint8_t> buf, const BinaryLayout& layout);

// The layout of a binary frame: the 5-byte id unless that contradicts the
// bytes and the 8-byte one does not. nullptr with fit kNo when neither fits.
const BinaryLayout* DetectLayout(std::span<const uint8_t> buf, Fit& fit);

}  // namespace fleetd::h02
