// OsmandFramer (see osmand_framer.h).
#include "protocol/osmand/osmand_framer.h"

#include <charconv>

#include "protocol/osmand/osmand_http.h"

namespace fleetd {
namespace {

using osmand::kMaxBodySize;
using osmand::kMaxHeaderSize;

FrameResult Error(size_t consumed, StatusCode code, std::string why) {
  return FrameResult{FrameResult::Kind::kError, consumed, Status(code, std::move(why))};
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

size_t OsmandFramer::max_frame_size() const { return kMaxHeaderSize + kMaxBodySize; }

FrameResult OsmandFramer::Next(std::span<const uint8_t> buf) const {
  const std::string_view bytes(reinterpret_cast<const char*>(buf.data()), buf.size());
  size_t start = 0;
  while (start < bytes.size() && (bytes[start] == '\r' || bytes[start] == '\n')) ++start;
  if (start >= kMaxHeaderSize) return Error(buf.size(), StatusCode::kMalformed, "empty lines without a request");
  if (start == bytes.size()) return {};
  if (bytes[start] < 'A' || bytes[start] > 'Z') {
    return Error(buf.size(), StatusCode::kMalformed, "not an HTTP request line");
  }

  const std::string_view window = bytes.substr(0, start + kMaxHeaderSize);
  const auto header_end = osmand::HeaderEnd(window, start, lenient_);
  if (!header_end) {
    if (bytes.size() - start >= kMaxHeaderSize) {
      return Error(buf.size(), StatusCode::kBadLength, "request headers beyond 8 KiB");
    }
    return {};
  }

  // Content-Length and Transfer-Encoding, line by line (header names are case-insensitive).
  std::optional<size_t> length;
  std::string_view head = bytes.substr(start, *header_end - start);
  head.remove_prefix(std::min(head.size(), head.find('\n') + 1));  // the request line
  while (!head.empty()) {
    const size_t nl = head.find('\n');
    const std::string_view line = head.substr(0, nl);
    head.remove_prefix(nl == std::string_view::npos ? head.size() : nl + 1);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = TrimOws(line.substr(colon + 1));
    if (osmand::EqualsIgnoreCase(name, "transfer-encoding")) {
      return Error(buf.size(), StatusCode::kUnsupported, "Transfer-Encoding is not supported; send Content-Length");
    }
    if (!osmand::EqualsIgnoreCase(name, "content-length")) continue;
    size_t n = 0;
    const auto r = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || r.ec != std::errc() || r.ptr != value.data() + value.size()) {
      return Error(buf.size(), r.ec == std::errc::result_out_of_range ? StatusCode::kBadLength : StatusCode::kMalformed,
                   "bad Content-Length");
    }
    if (length && *length != n) return Error(buf.size(), StatusCode::kMalformed, "conflicting Content-Length");
    length = n;
  }
  if (length && *length > kMaxBodySize) return Error(buf.size(), StatusCode::kBadLength, "body beyond 64 KiB");

  const size_t total = *header_end + length.value_or(0);
  if (total > buf.size()) return {};
  return FrameResult{FrameResult::Kind::kFrame, total, Status::Ok()};
}

}  // namespace fleetd
