// Gt06Framer (see gt06_framer.h). All offsets are checked against the span.
#include "protocol/gt06/gt06_framer.h"

#include <algorithm>

#include "protocol/gt06/gt06_wire.h"

namespace fleetd {
namespace {

using gt06::kLongStart;
using gt06::kMaxFrameSize;
using gt06::kShortStart;

bool IsMarkerByte(uint8_t b) { return b == kShortStart || b == kLongStart; }

bool MarkerAt(std::span<const uint8_t> buf, size_t i) {
  return i + 1 < buf.size() && IsMarkerByte(buf[i]) && buf[i + 1] == buf[i];
}

// Bytes to drop so that the buffer starts at the next candidate marker found
// at or after `from`. A lone trailing 0x78/0x79 is kept: it may start a frame.
size_t SkipToMarker(std::span<const uint8_t> buf, size_t from) {
  for (size_t i = std::max<size_t>(from, 1); i < buf.size(); ++i) {
    if (MarkerAt(buf, i)) return i;
  }
  return buf.size() > 1 && IsMarkerByte(buf.back()) ? buf.size() - 1 : buf.size();
}

FrameResult Error(size_t consumed, std::string why) {
  return FrameResult{FrameResult::Kind::kError, consumed, Status(StatusCode::kMalformed, std::move(why))};
}

FrameResult Frame(size_t size) { return FrameResult{FrameResult::Kind::kFrame, size, Status::Ok()}; }

bool EndsAt(std::span<const uint8_t> buf, size_t end) {
  return end >= 2 && end <= buf.size() && buf[end - 2] == 0x0D && buf[end - 1] == 0x0A;
}

}  // namespace

size_t Gt06Framer::max_frame_size() const { return kMaxFrameSize; }

FrameResult Gt06Framer::Next(std::span<const uint8_t> buf) const {
  if (buf.empty()) return {};
  if (!IsMarkerByte(buf[0]) || (buf.size() >= 2 && buf[1] != buf[0])) {
    return Error(SkipToMarker(buf, 1), "no 7878/7979 start marker");
  }
  const bool extended = buf[0] == kLongStart;
  const size_t header = extended ? 4 : 3;
  if (buf.size() < header + 1) return {};
  const size_t length = extended ? (size_t{buf[2]} << 8 | buf[3]) : buf[2];
  const size_t declared = header + length + 2;
  if (declared > kMaxFrameSize) return Error(SkipToMarker(buf, 2), "length exceeds the maximum frame size");

  if (declared <= buf.size() && length >= 1 && EndsAt(buf, declared)) {  // the decoder checks the rest
    return Frame(declared);
  }
  // Count-framed Wi-Fi: wait for the counts, then cut exactly.
  const uint8_t type = buf[header];
  if (!extended && (type == 0x69 || type == 0x17)) {
    const size_t count_at = 10 + 7 * size_t{buf[2]};
    if (count_at < kMaxFrameSize) {
      if (count_at >= buf.size()) return {};
      const size_t wifi = count_at + 1 + 3 + 5 * size_t{buf[count_at]} + 2;
      if (wifi <= kMaxFrameSize) {
        if (wifi > buf.size()) return {};
        if (EndsAt(buf, wifi)) return Frame(wifi);
      }
    }
  }
  if (declared > buf.size()) return {};
  if (!lenient_) return Error(SkipToMarker(buf, 2), "frame does not end in 0D0A where its length says");

  // Lenient: the first 0D0A followed by a start marker or the end of the bytes.
  const size_t limit = std::min(buf.size(), kMaxFrameSize);
  for (size_t end = header + 3; end <= limit; ++end) {
    if (EndsAt(buf, end) && (end == buf.size() || MarkerAt(buf, end))) return Frame(end);
  }
  if (buf.size() < kMaxFrameSize) return {};
  return Error(SkipToMarker(buf, 2), "no 0D0A within the maximum frame size");
}

}  // namespace fleetd
