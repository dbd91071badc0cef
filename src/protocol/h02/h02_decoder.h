// H02Decoder: one H02 frame (ASCII `*XX,...#` or binary `$`) -> schema
// messages + reply bytes.
//
// Pure: no I/O, no clock (received_at is passed in and also stamps the
// replies that carry a time), no state of its own. H02 has no login: every
// message names its device, and the decoder copies that id into
// session.device_uid so the listener resolves the device on first sight. A
// message with an empty id keeps the session's. Message types, layouts,
// replies and attribute names are in docs/protocols/h02.md.
#pragma once

#include "fleetd/decoder.h"

namespace fleetd {

class H02Decoder : public Decoder {
 public:
  // Errors: kMalformed (envelope or field grammar), kUnsupported (a type
  // fleetd does not handle: XT, BS, BASE, `X` frames, ...), kOutOfRange
  // (impossible date or coordinates), kBadLength (a strict binary frame of
  // an unknown size), kNoSession (an empty id before any id was seen). On
  // success exactly one message is appended, and the reply the device
  // expects, if any; the session's device_uid is updated only then.
  Status Decode(std::span<const uint8_t> frame, DecodeSession& session, TimestampMs received_at,
                DecodeOutput& out) const override;
};

}  // namespace fleetd
