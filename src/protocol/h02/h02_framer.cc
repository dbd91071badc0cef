// H02Framer (see h02_framer.h). All offsets are checked against the span.
#include "protocol/h02/h02_framer.h"

#include <algorithm>
#include <cctype>

#include "protocol/h02/h02_wire.h"

namespace fleetd {
namespace {

using h02::Fit;

bool IsAlnum(uint8_t b) { return std::isalnum(b) != 0; }

// `*XX,` as far as the bytes go: the start of an ASCII frame.
Fit AsciiHeaderAt(std::span<const uint8_t> buf, size_t at) {
  if (at >= buf.size() || buf[at] != h02::kAsciiStart) return Fit::kNo;
  for (size_t i = 1; i <= 3; ++i) {
    if (at + i >= buf.size()) return Fit::kPartial;
    if (i < 3 ? !IsAlnum(buf[at + i]) : buf[at + i] != ',') return Fit::kNo;
  }
  return Fit::kYes;
}

// Whether a frame may begin at `at` (bytes missing count as "may").
bool FrameMayStartAt(std::span<const uint8_t> buf, size_t at) {
  if (at >= buf.size()) return true;
  const uint8_t b = buf[at];
  if (b == h02::kAsciiStart) return AsciiHeaderAt(buf, at) != Fit::kNo;
  if (b == h02::kBinaryStart || b == h02::kAltBinaryStart) {
    Fit fit;
    return h02::DetectLayout(buf.subspan(at), fit) != nullptr;
  }
  return false;
}

// Bytes to drop so that the buffer starts at the next marker at or after `from`.
size_t SkipToMarker(std::span<const uint8_t> buf, size_t from) {
  for (size_t i = std::max<size_t>(from, 1); i < buf.size(); ++i) {
    if (h02::IsMarker(buf[i])) return i;
  }
  return buf.size();
}

FrameResult Error(size_t consumed, std::string why) {
  return FrameResult{FrameResult::Kind::kError, consumed, Status(StatusCode::kMalformed, std::move(why))};
}

FrameResult Frame(size_t size) { return FrameResult{FrameResult::Kind::kFrame, size, Status::Ok()}; }

// `*XX,...#` starting at `at` (after `lead` line breaks).
FrameResult NextAscii(std::span<const uint8_t> buf, size_t at) {
  const Fit header = AsciiHeaderAt(buf, at);
  if (header == Fit::kNo) return Error(SkipToMarker(buf, at + 1), "no *XX, header");
  if (header == Fit::kPartial) return {};
  const size_t limit = std::min(buf.size(), h02::kMaxFrameSize);  // line breaks in front count
  for (size_t i = at + 4; i < limit; ++i) {
    if (buf[i] == h02::kAsciiEnd) return Frame(i + 1);
    // A new header before `#`: the message before it was cut short.
    if (buf[i] == h02::kAsciiStart && AsciiHeaderAt(buf, i) == Fit::kYes) {
      return Error(i, "ASCII message without # before the next one");
    }
  }
  if (buf.size() < h02::kMaxFrameSize) return {};
  return Error(SkipToMarker(buf, at + 1), "no # within the maximum frame size");
}

// `$`/`X` binary position starting at `at`.
FrameResult NextBinary(std::span<const uint8_t> buf, size_t at) {
  const auto frame = buf.subspan(at);
  Fit fit;
  const h02::BinaryLayout* layout = h02::DetectLayout(frame, fit);
  if (layout == nullptr) return Error(SkipToMarker(buf, at + 1), "bytes after $ do not follow the binary layout");
  if (fit == Fit::kPartial) return {};
  // `X` frames are only known in the 32-byte size.
  const auto sizes = frame[0] == h02::kAltBinaryStart ? layout->sizes.first(1) : layout->sizes;
  for (size_t size : sizes) {
    if (frame.size() < size) return {};
    if (frame.size() == size || FrameMayStartAt(frame, size)) return Frame(at + size);
  }
  // Past every known size with no next frame in sight: keep the base frame,
  // the rest will be reported as garbage.
  return Frame(at + sizes.front());
}

}  // namespace

size_t H02Framer::max_frame_size() const { return h02::kMaxFrameSize; }

FrameResult H02Framer::Next(std::span<const uint8_t> buf) const {
  size_t lead = 0;
  while (lead < buf.size() && h02::IsLineBreak(buf[lead])) ++lead;
  if (lead > h02::kMaxLineBreaks) return Error(lead, "line breaks outside a frame");
  if (lead == buf.size()) return {};
  switch (buf[lead]) {
    case h02::kAsciiStart:
      return NextAscii(buf, lead);
    case h02::kBinaryStart:
    case h02::kAltBinaryStart:
      return NextBinary(buf, lead);
    default:
      return Error(SkipToMarker(buf, lead + 1), "no *, $ or X start marker");
  }
}

}  // namespace fleetd
