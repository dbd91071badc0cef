// OsmandDecoder: one HTTP request from a phone tracker app -> one message.
//
// Pure: no I/O, no clock, no state of its own. Reads the query of GET (and
// POST) requests, a form body, or the JSON body of Traccar Client. Every
// request names its device (id / deviceid / device_id), which sets
// DecodeSession::device_uid. The reply is a complete HTTP response; the
// listener sends a success reply once the message is durable and an error
// reply at once. Parameters and units: docs/protocols/osmand.md.
#pragma once

#include "fleetd/decoder.h"

namespace fleetd {

class OsmandDecoder : public Decoder {
 public:
  // On success: one message (kPosition with lat/lon, kAlarm with an alarm,
  // kStatus with other data, kHeartbeat with nothing) and "200 OK" in
  // out.reply. On error: no message, a "400 Bad Request" (with the reason as
  // text) in out.reply, and the Status: kMalformed (bad request line,
  // %-escape, JSON or value), kUnsupported (not HTTP/1.x, method other than
  // GET/POST, chunked or batched bodies), kNoSession (no id), kOutOfRange
  // (coordinates). Paths are ignored: apps post to "/" or to any path.
  Status Decode(std::span<const uint8_t> frame, DecodeSession& session, TimestampMs received_at,
                DecodeOutput& out) const override;
};

}  // namespace fleetd
