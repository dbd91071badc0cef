// TeltonikaFramer (see teltonika_framer.h). All offsets are checked against the span.
#include "protocol/teltonika/teltonika_framer.h"

#include "protocol/teltonika/teltonika_wire.h"

namespace fleetd {
namespace {

using teltonika::kCrcSize;
using teltonika::kHeaderSize;
using teltonika::kMaxFrameSize;

// Bytes to drop so that the buffer starts at the next byte that could begin
// a frame: 0x00 (a data packet, or an IMEI length's high byte) or 0xFF.
size_t SkipToCandidate(std::span<const uint8_t> buf) {
  for (size_t i = 1; i < buf.size(); ++i) {
    if (buf[i] == 0x00 || buf[i] == teltonika::kPing) return i;
  }
  return buf.size();
}

FrameResult Error(std::span<const uint8_t> buf, StatusCode code, std::string why) {
  return FrameResult{FrameResult::Kind::kError, SkipToCandidate(buf), Status(code, std::move(why))};
}

FrameResult Frame(size_t size) { return FrameResult{FrameResult::Kind::kFrame, size, Status::Ok()}; }

// Frame of `data_size` data bytes, once that many plus the CRC have arrived.
FrameResult DataFrame(std::span<const uint8_t> buf, size_t data_size) {
  const size_t total = kHeaderSize + data_size + kCrcSize;
  return total <= buf.size() ? Frame(total) : FrameResult{};
}

uint32_t ReadU32(std::span<const uint8_t> b, size_t at) {
  return uint32_t{b[at]} << 24 | uint32_t{b[at + 1]} << 16 | uint32_t{b[at + 2]} << 8 | b[at + 3];
}

}  // namespace

size_t TeltonikaFramer::max_frame_size() const { return kMaxFrameSize; }

FrameResult TeltonikaFramer::Next(std::span<const uint8_t> buf) const {
  if (buf.empty()) return {};
  if (buf[0] == teltonika::kPing) return Frame(1);
  if (buf.size() < 2) return {};
  if (buf[0] == 0 && buf[1] == 0) return NextData(buf);

  // IMEI handshake: a plausible length, then that many digits.
  const size_t length = size_t{buf[0]} << 8 | buf[1];
  if (length > teltonika::kMaxImeiLength) return Error(buf, StatusCode::kBadLength, "IMEI length out of range");
  for (size_t i = 2; i < buf.size() && i < 2 + length; ++i) {
    if (!teltonika::IsDigit(buf[i])) return Error(buf, StatusCode::kMalformed, "IMEI handshake with a non-digit");
  }
  return 2 + length <= buf.size() ? Frame(2 + length) : FrameResult{};
}

FrameResult TeltonikaFramer::NextData(std::span<const uint8_t> buf) const {
  if (buf.size() < kHeaderSize) {
    for (size_t i = 2; i < buf.size() && i < 4; ++i) {
      if (buf[i] != 0) return Error(buf, StatusCode::kMalformed, "no 00000000 preamble");
    }
    return {};
  }
  if (buf[2] != 0 || buf[3] != 0) return Error(buf, StatusCode::kMalformed, "no 00000000 preamble");
  const uint32_t declared = ReadU32(buf, 4);
  const bool declared_fits = declared >= teltonika::kMinDataSize && declared <= kMaxFrameSize - kHeaderSize - kCrcSize;

  if (lenient_) {
    // Measure the data field from its contents; trust the length field only
    // where a walk confirms it, or where no walk can be made (unknown codec).
    const auto data = buf.subspan(kHeaderSize);
    size_t sizes[2] = {0, 0};
    teltonika::WalkResult results[2] = {teltonika::WalkResult::kBad, teltonika::WalkResult::kBad};
    results[0] = teltonika::WalkData(data, false, &sizes[0]);
    if (!data.empty() && teltonika::MayBeExtended(data[0])) results[1] = teltonika::WalkData(data, true, &sizes[1]);
    for (int i = 0; i < 2; ++i) {
      if (results[i] == teltonika::WalkResult::kOk && sizes[i] == declared) return DataFrame(buf, declared);
    }
    for (int i = 0; i < 2; ++i) {
      if (results[i] == teltonika::WalkResult::kOk && sizes[i] <= kMaxFrameSize - kHeaderSize - kCrcSize) {
        return DataFrame(buf, sizes[i]);
      }
    }
    if (results[0] == teltonika::WalkResult::kNeedMore || results[1] == teltonika::WalkResult::kNeedMore) {
      // Contents that do not fit their own length: cut as declared and let
      // the decoder say what is wrong.
      if (declared_fits && kHeaderSize + declared + kCrcSize <= buf.size()) return DataFrame(buf, declared);
      if (buf.size() < kMaxFrameSize) return {};
      return Error(buf, StatusCode::kBadLength, "no complete data field within the maximum frame size");
    }
  }
  if (!declared_fits) return Error(buf, StatusCode::kBadLength, "data length out of range");
  return DataFrame(buf, declared);
}

}  // namespace fleetd
