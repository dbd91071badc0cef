// TeltonikaDecoder: one Teltonika TCP frame -> schema messages + reply bytes.
//
// Pure: no I/O, no clock, no state of its own; the IMEI learned from the
// handshake lives in DecodeSession::device_uid. Strict by default (length
// field, CRC-16/IBM and record counts checked); DecodeSession::lenient
// accepts the lying lengths and bad CRCs some devices send.
// DecodeSession::model selects the FMB-family IO rows (empty = FMB). Frame
// layouts, replies and the IO table: docs/protocols/teltonika.md.
#pragma once

#include "fleetd/decoder.h"

namespace fleetd {

class TeltonikaDecoder : public Decoder {
 public:
  // Frames, as TeltonikaFramer cuts them:
  // * IMEI handshake: sets session.device_uid, appends a kLogin message and
  //   the reply 0x01 (the listener sends it only for registered devices).
  // * 0xFF ping: a kHeartbeat message once the IMEI is known; no reply.
  // * Data packet: one message per record; the reply is the record count as
  //   4 bytes big-endian for AVL codecs (7, 8, 8E, 16), none for command
  //   answers (12, 13); the listener sends it once the records are durable.
  // Errors: kBadLength, kBadChecksum, kMalformed, kUnsupported (unknown
  // codec, camera transfer), kNoSession (data before the IMEI), kOutOfRange.
  Status Decode(std::span<const uint8_t> frame, DecodeSession& session, TimestampMs received_at,
                DecodeOutput& out) const override;
};

}  // namespace fleetd
