// TeltonikaUdpDecoder: one Teltonika UDP datagram -> messages + the UDP
// acknowledgement.
//
// A datagram carries its own identity, so no handshake precedes it:
// <len:2> <packet id:2> <0x01> <AVL packet id:1> <IMEI len:2> <IMEI> then
// the same data field as TCP (codec, count, records, count) and no CRC.
// Pure and stateless like TeltonikaDecoder; layouts in
// docs/protocols/teltonika.md.
#pragma once

#include "fleetd/decoder.h"

namespace fleetd {

class TeltonikaUdpDecoder : public Decoder {
 public:
  // Sets session.device_uid from every datagram. On success appends one
  // message per record and the acknowledgement 0005 <packet id> 01 <AVL
  // packet id> <record count>, which the listener sends once the records
  // are durable. Strict: the length field must match the datagram
  // (kBadLength). Errors as TeltonikaDecoder, plus kMalformed for a bad
  // IMEI; kUnsupported for command codecs (12, 13) over UDP.
  Status Decode(std::span<const uint8_t> datagram, DecodeSession& session, TimestampMs received_at,
                DecodeOutput& out) const override;
};

}  // namespace fleetd
