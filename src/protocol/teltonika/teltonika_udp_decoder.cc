// TeltonikaUdpDecoder (see teltonika_udp_decoder.h): the UDP header, then
// DecodeDataField, then the acknowledgement.
#include "protocol/teltonika/teltonika_udp_decoder.h"

#include "core/byte_reader.h"
#include "protocol/teltonika/teltonika_data.h"
#include "protocol/teltonika/teltonika_io_table.h"
#include "protocol/teltonika/teltonika_wire.h"

namespace fleetd {

using namespace teltonika;

Status TeltonikaUdpDecoder::Decode(std::span<const uint8_t> datagram, DecodeSession& session,
                                   TimestampMs received_at, DecodeOutput& out) const {
  ByteReader r(datagram);
  const uint16_t length = r.U16();
  const uint16_t packet_id = r.U16();
  r.U8();  // "not usable byte", 0x01
  const uint8_t avl_packet_id = r.U8();
  const uint16_t imei_length = r.U16();
  const auto imei = r.Bytes(imei_length);
  if (!r.ok()) return Status(StatusCode::kMalformed, "UDP header cut short");
  if (length + size_t{2} != datagram.size() && !session.lenient) {
    return Status(StatusCode::kBadLength, "UDP length field does not match the datagram");
  }
  if (imei.empty() || imei.size() > kMaxImeiLength) return Status(StatusCode::kMalformed, "IMEI length out of range");
  for (uint8_t b : imei) {
    if (!IsDigit(b)) return Status(StatusCode::kMalformed, "IMEI with a non-digit");
  }
  const auto data = datagram.subspan(r.position());
  if (!data.empty() && !IsAvlCodec(data[0])) return Status(StatusCode::kUnsupported, "codec not sent over UDP");

  session.device_uid.assign(imei.begin(), imei.end());
  RecordContext ctx{session.device_uid, received_at, session.lenient, IsFmbFamily(session.model)};
  DataResult result;
  if (Status s = DecodeDataField(data, ctx, out, result); !s.ok()) return s;
  const uint8_t ack[] = {0x00, 0x05, static_cast<uint8_t>(packet_id >> 8), static_cast<uint8_t>(packet_id), 0x01,
                         avl_packet_id, result.records};
  out.reply.insert(out.reply.end(), std::begin(ack), std::end(ack));
  return Status::Ok();
}

}  // namespace fleetd
