// Ais140Decoder: one AIS-140 sentence -> one schema message.
//
// Pure: no I/O, no clock, no state of its own. Every AIS-140 sentence carries
// the IMEI, so no login is needed before data; a login sets
// DecodeSession::device_uid. The sentence is read through the dialect table
// (ais140_layouts.h). Strict by default: checksums of known schemes are
// verified; DecodeSession::lenient accepts mismatches. AIS-140 devices expect
// no replies. Dialects, fields and attributes: docs/protocols/ais140.md.
#pragma once

#include "fleetd/decoder.h"

namespace fleetd {

class Ais140Decoder : public Decoder {
 public:
  // Errors: kMalformed (no `$`, control bytes, no dialect matches the
  // fields), kBadLength (longer than the maximum), kBadChecksum (strict
  // only), kOutOfRange (impossible date or coordinates). On success exactly
  // one message is appended: kLogin (no position), kHeartbeat (health),
  // kAlarm (an alert status or EMR), kPosition, or kStatus (no fix). The
  // message's device_uid is the sentence's IMEI; a login, or the first
  // sentence of a connection, sets session.device_uid.
  Status Decode(std::span<const uint8_t> frame, DecodeSession& session, TimestampMs received_at,
                DecodeOutput& out) const override;
};

}  // namespace fleetd
