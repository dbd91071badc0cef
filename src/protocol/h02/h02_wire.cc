// Binary layout checks (see h02_wire.h). Every offset is checked against the span.
#include "protocol/h02/h02_wire.h"

namespace fleetd::h02 {

bool IsMarker(uint8_t b) { return b == kAsciiStart || b == kBinaryStart || b == kAltBinaryStart; }
bool IsLineBreak(uint8_t b) { return b == '\r' || b == '\n'; }

namespace {

// Upper bounds of hh mm ss DD MM YY.
constexpr std::array<int, 6> kTimeLimits = {23, 59, 59, 31, 12, 99};

bool BcdAt(std::span<const uint8_t> buf, size_t at) { return at >= buf.size() || Bcd(buf[at]) >= 0; }

}  // namespace

Fit FitsLayout(std::span<const uint8_t> buf, const BinaryLayout& layout) {
  if (buf.empty() || (buf[0] != kBinaryStart && buf[0] != kAltBinaryStart)) return Fit::kNo;
  for (size_t i = 1; i < layout.battery_at; ++i) {  // id, time, date, latitude
    // A 15-digit IMEI in 8 bytes ends in a pad nibble of any value.
    const bool pad = i == layout.id_bytes && layout.id_bytes == kLongId.id_bytes;
    if (i < buf.size() && (pad ? (buf[i] >> 4) > 9 : Bcd(buf[i]) < 0)) return Fit::kNo;
  }
  for (size_t i = 0; i < 6; ++i) {
    const size_t at = layout.time_at + i;
    if (at < buf.size() && Bcd(buf[at]) > kTimeLimits[i]) return Fit::kNo;
  }
  for (size_t i = layout.lon_at; i < layout.lon_at + 4; ++i) {
    if (!BcdAt(buf, i)) return Fit::kNo;
  }
  if (layout.lon_at + 4 < buf.size() && (buf[layout.lon_at + 4] >> 4) > 9) return Fit::kNo;
  for (size_t i = layout.speed_at; i < layout.speed_at + 3; ++i) {
    if (!BcdAt(buf, i)) return Fit::kNo;
  }
  return buf.size() >= layout.min_size() ? Fit::kYes : Fit::kPartial;
}

const BinaryLayout* DetectLayout(std::span<const uint8_t> buf, Fit& fit) {
  fit = Fit::kNo;
  if (buf.empty()) return nullptr;
  fit = FitsLayout(buf, kShortId);
  if (fit != Fit::kNo) return &kShortId;
  if (buf[0] == kAltBinaryStart) return nullptr;  // `X` frames only come with the short id
  fit = FitsLayout(buf, kLongId);
  return fit == Fit::kNo ? nullptr : &kLongId;
}

}  // namespace fleetd::h02
