// Envelope parsing and building for GT06 frames (see gt06_wire.h).
#include "protocol/gt06/gt06_wire.h"

#include "core/crc.h"

namespace fleetd::gt06 {
namespace {

uint16_t Be16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}

bool EndsAt(std::span<const uint8_t> b, size_t end) {
  return end >= 2 && end <= b.size() && b[end - 2] == 0x0D && b[end - 1] == 0x0A;
}

// The standard layout: content up to the serial, serial, CRC, 0D0A.
void SplitStandard(std::span<const uint8_t> frame, size_t header, size_t size, Packet& out) {
  out.content = frame.subspan(header + 1, size - header - 1 - 6);
  out.serial = Be16(frame, size - 6);
}

}  // namespace

Status ParsePacket(std::span<const uint8_t> frame, bool lenient, Packet& out) {
  out = Packet{};
  if (frame.size() < 2 || frame[0] != frame[1] || (frame[0] != kShortStart && frame[0] != kLongStart)) {
    return Status(StatusCode::kMalformed, "no 7878/7979 start marker");
  }
  out.extended = frame[0] == kLongStart;
  const size_t header = out.extended ? 4 : 3;  // marker + length field
  if (frame.size() < header + 1) return Status(StatusCode::kBadLength, "frame shorter than its header");
  const size_t length = out.extended ? Be16(frame, 2) : frame[2];
  out.length_field = static_cast<uint16_t>(length);
  out.type = frame[header];
  const size_t declared = header + length + 2;  // marker+length, length bytes, 0D0A
  const bool has_room = length >= kMinLengthField;

  if (!lenient) {
    if (!has_room || frame.size() != declared) {
      return Status(StatusCode::kBadLength, "length field disagrees with the frame size");
    }
    if (!EndsAt(frame, declared)) return Status(StatusCode::kMalformed, "frame does not end in 0D0A");
    const uint16_t crc = Crc16X25(frame.subspan(2, declared - 6));
    if (crc != Be16(frame, declared - 4)) return Status(StatusCode::kBadChecksum, "CRC-ITU mismatch");
    SplitStandard(frame, header, declared, out);
    return Status::Ok();
  }

  // Lenient: the rules are tried in order; docs/protocols/gt06.md explains each.
  const size_t size = frame.size();
  if (has_room && size == declared) {  // 1. consistent (CRC not checked)
    SplitStandard(frame, header, size, out);
  } else if (size == header + 1 + length + 2 && EndsAt(frame, size)) {
    // 2. length counts the content only and there is no serial or CRC.
    out.content = frame.subspan(header + 1, length);
  } else if (has_room && declared < size && EndsAt(frame, declared)) {
    SplitStandard(frame, header, declared, out);  // 3. trailing bytes after a whole frame
  } else if (has_room && size < declared && size + 2 >= declared) {
    // 4. only the trailer is cut short: content and serial are intact.
    out.content = frame.subspan(header + 1, declared - header - 1 - 6);
    out.serial = Be16(frame, declared - 6);
  } else {
    // 5. salvage: everything between the type and the final 0D0A (or 0D).
    size_t end = size;
    if (EndsAt(frame, size)) {
      end -= 2;
    } else if (frame[size - 1] == 0x0D) {
      end -= 1;
    }
    out.content = frame.subspan(header + 1, end > header + 1 ? end - header - 1 : 0);
    out.salvaged = true;
  }
  return Status::Ok();
}

void AppendFrame(std::vector<uint8_t>& out, bool extended, uint8_t type,
                 std::span<const uint8_t> content, uint16_t serial) {
  const size_t start = out.size();
  const size_t length = content.size() + kMinLengthField;
  const uint8_t marker = extended ? kLongStart : kShortStart;
  out.push_back(marker);
  out.push_back(marker);
  if (extended) out.push_back(static_cast<uint8_t>(length >> 8));
  out.push_back(static_cast<uint8_t>(length));
  out.push_back(type);
  out.insert(out.end(), content.begin(), content.end());
  out.push_back(static_cast<uint8_t>(serial >> 8));
  out.push_back(static_cast<uint8_t>(serial));
  const uint16_t crc = Crc16X25(std::span<const uint8_t>(out).subspan(start + 2));
  out.push_back(static_cast<uint8_t>(crc >> 8));
  out.push_back(static_cast<uint8_t>(crc));
  out.push_back(0x0D);
  out.push_back(0x0A);
}

}  // namespace fleetd::gt06
