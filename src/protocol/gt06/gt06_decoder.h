// Gt06Decoder: one GT06 / Concox frame -> schema messages + reply bytes.
//
// Pure: no I/O, no clock (received_at is passed in), no state of its own; the
// per-connection DecodeSession holds the IMEI learned from the login. Strict
// by default (length and CRC-ITU checked); DecodeSession::lenient accepts the
// malformed frames some models send. DecodeSession::model selects the
// model-specific layouts. Message types, layouts and the attribute names are
// listed in docs/protocols/gt06.md.
#pragma once

#include "fleetd/decoder.h"

namespace fleetd {

class Gt06Decoder : public Decoder {
 public:
  // Errors: kBadLength, kBadChecksum, kMalformed (envelope or layout),
  // kUnsupported (a message type fleetd does not handle), kNoSession (any
  // message but a login before the login), kOutOfRange (impossible date or
  // coordinates). A login sets session.device_uid. On success at most one
  // message is appended, and the reply the device expects, if any.
  Status Decode(std::span<const uint8_t> frame, DecodeSession& session, TimestampMs received_at,
                DecodeOutput& out) const override;
};

}  // namespace fleetd
