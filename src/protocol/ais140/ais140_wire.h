// AIS-140 sentence envelope: where a sentence starts and ends, its fields and
// the checksums vendors put on it. Internal to src/protocol/ais140.
//
// A sentence is `$` + comma-separated fields, ended by `*` (optionally
// followed by a hex checksum), by a line end, or by the next `$`. The
// standard leaves the checksum to the vendor; the schemes seen on real
// devices are listed in docs/protocols/ais140.md and implemented here.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "fleetd/status.h"

namespace fleetd::ais140 {

// Longest sentence accepted. Real ones are 60..350 bytes.
inline constexpr size_t kMaxFrameSize = 1024;
// Most fields a sentence may have (the longest dialect has 57).
inline constexpr size_t kMaxFields = 96;

struct Sentence {
  // From the `$` up to, not including, the `*` or the line end: the bytes
  // in-field checksums cover.
  std::string_view text;
  // After the `*`, line end removed; empty when there is none. A hex
  // trailer is a checksum; anything else is ignored.
  std::string_view trailer;
  bool starred = false;  // the sentence ended with `*`
  // The fields after `$` (or `$,`): fields[0] is the header ("NRM", "LGN", "" ...).
  std::array<std::string_view, kMaxFields> fields{};
  size_t count = 0;

  std::span<const std::string_view> Fields() const { return std::span(fields).first(count); }
  // Offset of field `i` inside `text` (for checksums that cover a prefix).
  size_t OffsetOf(size_t i) const { return static_cast<size_t>(fields[i].data() - text.data()); }
};

// Splits a frame as cut by Ais140Framer (leading and trailing line-end bytes
// allowed). kMalformed without a leading `$`, with control bytes inside the
// sentence, or with more than kMaxFields fields; kBadLength beyond kMaxFrameSize.
Status ParseSentence(std::span<const uint8_t> frame, Sentence& out);

uint8_t Xor8(std::string_view bytes);
uint8_t Sum8(std::string_view bytes);
// CRC-32/ISO-HDLC (zlib's crc32): poly 0x04C11DB7 reflected, init and final xor 0xFFFFFFFF.
uint32_t Crc32(std::string_view bytes);

bool IsLineEnd(uint8_t b);
bool IsHex(std::string_view text);
// Parses 1..8 hex digits.
bool ParseHexValue(std::string_view text, uint32_t& out);

}  // namespace fleetd::ais140
