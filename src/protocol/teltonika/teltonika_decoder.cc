// TeltonikaDecoder: frame type by its first bytes, then the handshake, the
// ping or the data packet envelope (length, CRC) around DecodeDataField.
#include "protocol/teltonika/teltonika_decoder.h"

#include "core/crc.h"
#include "protocol/teltonika/teltonika_data.h"
#include "protocol/teltonika/teltonika_io_table.h"
#include "protocol/teltonika/teltonika_wire.h"

namespace fleetd {
namespace {

using namespace teltonika;

Message BareMessage(const DecodeSession& session, MessageKind kind, TimestampMs received_at) {
  Message msg;
  msg.device_uid = session.device_uid;
  msg.protocol = "teltonika";
  msg.kind = kind;
  msg.received_at = received_at;
  return msg;
}

uint32_t ReadU32(std::span<const uint8_t> b, size_t at) {
  return uint32_t{b[at]} << 24 | uint32_t{b[at + 1]} << 16 | uint32_t{b[at + 2]} << 8 | b[at + 3];
}

Status DecodeImei(std::span<const uint8_t> frame, DecodeSession& session, TimestampMs received_at,
                  DecodeOutput& out) {
  const size_t length = size_t{frame[0]} << 8 | frame[1];
  if (length == 0 || length > kMaxImeiLength || length != frame.size() - 2) {
    return Status(StatusCode::kBadLength, "IMEI length does not match the handshake");
  }
  for (uint8_t b : frame.subspan(2)) {
    if (!IsDigit(b)) return Status(StatusCode::kMalformed, "IMEI with a non-digit");
  }
  session.device_uid.assign(frame.begin() + 2, frame.end());
  out.messages.push_back(BareMessage(session, MessageKind::kLogin, received_at));
  out.reply.push_back(0x01);
  return Status::Ok();
}

Status DecodePacket(std::span<const uint8_t> frame, DecodeSession& session, TimestampMs received_at,
                    DecodeOutput& out) {
  if (frame.size() < kHeaderSize + kMinDataSize || ReadU32(frame, 0) != 0) {
    return Status(StatusCode::kMalformed, "no 00000000 preamble and length");
  }
  const uint32_t declared = ReadU32(frame, 4);
  const bool length_ok = declared >= kMinDataSize && size_t{declared} + kHeaderSize + kCrcSize == frame.size();
  std::span<const uint8_t> data;
  if (length_ok) {
    data = frame.subspan(kHeaderSize, declared);
    const uint32_t crc = ReadU32(frame, kHeaderSize + declared);
    if (crc != Crc16Ibm(data) && !session.lenient) return Status(StatusCode::kBadChecksum, "CRC-16/IBM mismatch");
  } else if (session.lenient) {
    data = frame.subspan(kHeaderSize);  // measured by its records; a CRC may follow
  } else {
    return Status(StatusCode::kBadLength, "data length does not match the frame");
  }
  if (session.device_uid.empty()) return Status(StatusCode::kNoSession, "data before the IMEI handshake");

  RecordContext ctx{session.device_uid, received_at, session.lenient, IsFmbFamily(session.model)};
  DataResult result;
  if (Status s = DecodeDataField(data, ctx, out, result); !s.ok()) return s;
  if (IsAvlCodec(result.codec)) {
    for (int shift = 24; shift >= 0; shift -= 8) out.reply.push_back(static_cast<uint8_t>(result.records >> shift));
  }
  return Status::Ok();
}

}  // namespace

Status TeltonikaDecoder::Decode(std::span<const uint8_t> frame, DecodeSession& session, TimestampMs received_at,
                                DecodeOutput& out) const {
  if (frame.empty()) return Status(StatusCode::kMalformed, "empty frame");
  if (frame.size() == 1 && frame[0] == kPing) {
    if (!session.device_uid.empty()) out.messages.push_back(BareMessage(session, MessageKind::kHeartbeat, received_at));
    return Status::Ok();
  }
  if (frame.size() < 2) return Status(StatusCode::kMalformed, "one byte that is not a ping");
  if (frame[0] == 0 && frame[1] == 0) return DecodePacket(frame, session, received_at, out);
  return DecodeImei(frame, session, received_at, out);
}

}  // namespace fleetd
