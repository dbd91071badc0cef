// AIS-140 sentence envelope and checksums (see ais140_wire.h).
#include "protocol/ais140/ais140_wire.h"

#include <charconv>

namespace fleetd::ais140 {
namespace {

constexpr std::array<uint32_t, 256> MakeCrc32Table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrc32Table = MakeCrc32Table();

}  // namespace

bool IsLineEnd(uint8_t b) { return b == '\r' || b == '\n'; }

bool IsHex(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

bool ParseHexValue(std::string_view text, uint32_t& out) {
  if (text.size() > 8 || !IsHex(text)) return false;
  return std::from_chars(text.data(), text.data() + text.size(), out, 16).ec == std::errc();
}

uint8_t Xor8(std::string_view bytes) {
  uint8_t x = 0;
  for (char c : bytes) x ^= static_cast<uint8_t>(c);
  return x;
}

uint8_t Sum8(std::string_view bytes) {
  uint8_t s = 0;
  for (char c : bytes) s = static_cast<uint8_t>(s + static_cast<uint8_t>(c));
  return s;
}

uint32_t Crc32(std::string_view bytes) {
  uint32_t crc = 0xFFFFFFFFu;
  for (char c : bytes) crc = kCrc32Table[(crc ^ static_cast<uint8_t>(c)) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

Status ParseSentence(std::span<const uint8_t> frame, Sentence& out) {
  if (frame.size() > kMaxFrameSize) return Status(StatusCode::kBadLength, "sentence longer than the maximum");
  std::string_view all(reinterpret_cast<const char*>(frame.data()), frame.size());
  while (!all.empty() && IsLineEnd(static_cast<uint8_t>(all.front()))) all.remove_prefix(1);
  while (!all.empty() && IsLineEnd(static_cast<uint8_t>(all.back()))) all.remove_suffix(1);
  if (all.empty() || all.front() != '$') return Status(StatusCode::kMalformed, "no leading $");

  const size_t star = all.find('*');
  out.starred = star != std::string_view::npos;
  out.text = all.substr(0, star);
  out.trailer = out.starred ? all.substr(star + 1) : std::string_view();
  // Control bytes never occur inside a sentence; a raw checksum byte may be
  // >= 0x80, so only bytes below 0x20 are rejected.
  for (char c : out.text) {
    if (static_cast<uint8_t>(c) < 0x20) return Status(StatusCode::kMalformed, "control byte inside the sentence");
  }

  std::string_view rest = out.text.substr(1);
  if (!rest.empty() && rest.front() == ',') rest.remove_prefix(1);
  out.count = 0;
  for (;;) {
    if (out.count == kMaxFields) return Status(StatusCode::kMalformed, "too many fields");
    const size_t comma = rest.find(',');
    out.fields[out.count++] = rest.substr(0, comma);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return Status::Ok();
}

}  // namespace fleetd::ais140
