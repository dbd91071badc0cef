// Ais140Framer (see ais140_framer.h). All offsets are checked against the span.
#include "protocol/ais140/ais140_framer.h"

#include <algorithm>

#include "protocol/ais140/ais140_wire.h"

namespace fleetd {
namespace {

using ais140::IsLineEnd;
using ais140::kMaxFrameSize;

bool IsHexByte(uint8_t b) { return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F'); }

// Bytes to drop so that the buffer starts at the next `$` at or after `from`.
size_t SkipToDollar(std::span<const uint8_t> buf, size_t from) {
  for (size_t i = std::max<size_t>(from, 1); i < buf.size(); ++i) {
    if (buf[i] == '$') return i;
  }
  return buf.size();
}

FrameResult Error(size_t consumed, std::string why) {
  return FrameResult{FrameResult::Kind::kError, consumed, Status(StatusCode::kMalformed, std::move(why))};
}

FrameResult Frame(size_t size) { return FrameResult{FrameResult::Kind::kFrame, size, Status::Ok()}; }

size_t SkipLineEnds(std::span<const uint8_t> buf, size_t at) {
  while (at < buf.size() && IsLineEnd(buf[at])) ++at;
  return at;
}

}  // namespace

size_t Ais140Framer::max_frame_size() const { return kMaxFrameSize; }

FrameResult Ais140Framer::Next(std::span<const uint8_t> buf) const {
  const size_t start = SkipLineEnds(buf, 0);
  if (start == buf.size()) {
    return start < kMaxFrameSize ? FrameResult{} : Error(buf.size(), "line ends without a sentence");
  }
  if (buf[start] != '$') return Error(SkipToDollar(buf, start + 1), "no $ at the start of a sentence");

  const size_t limit = std::min(buf.size(), start + kMaxFrameSize);
  for (size_t i = start + 1; i < limit; ++i) {
    const uint8_t c = buf[i];
    if (c == '$') return Frame(i);
    if (IsLineEnd(c)) return Frame(std::min(SkipLineEnds(buf, i), start + kMaxFrameSize));
    if (c == '*') {
      size_t end = i + 1;
      while (end < buf.size() && end - (i + 1) < 8 && IsHexByte(buf[end])) ++end;
      return Frame(std::min(SkipLineEnds(buf, end), start + kMaxFrameSize));
    }
  }
  if (buf.size() - start < kMaxFrameSize) return {};
  return Error(SkipToDollar(buf, start + 1), "no sentence end within the maximum frame size");
}

}  // namespace fleetd
