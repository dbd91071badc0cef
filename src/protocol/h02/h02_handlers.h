// H02 message handlers: one function per ASCII message type (or family of
// types sharing a layout), plus the binary position. The dispatch table in
// h02_decoder.cc picks the handler by the type field; a handler reads
// Context::body and fills Context::msg. Internal to h02.
#pragma once

#include <span>
#include <string_view>

#include "fleetd/decoder.h"
#include "protocol/h02/h02_fields.h"

namespace fleetd::h02 {

struct Context {
  std::string_view type;  // "V1", "NBR", ...
  std::string_view body;  // after "<type>," up to (not including) '#'; may be empty
  Fields& fields;         // scratch space for SplitFields(body)
  Message& msg;           // pre-filled with device, protocol, time received
};

using Handler = Status (*)(Context&);

// h02_decode_position.cc: messages built around a fix.
Status DecodePosition(Context& c);         // V1, V2, V5, V6, V8, VI1, V19 ... (any other V*)
Status DecodeCommandReply(Context& c);     // V4: <command echo...>,<fix>
Status DecodeVp1(Context& c);              // VP1: a fix, or cell towers

// h02_decode_network.cc: cell-tower reports without a fix.
Status DecodeNeighbours(Context& c);       // NBR
Status DecodeCells(Context& c);            // V3

// h02_decode_status.cc: heartbeats and text.
Status DecodeHeartbeat(Context& c);        // HTBT, V0
Status DecodeLink(Context& c);             // LINK
Status DecodeSms(Context& c);              // SMS

// h02_decode_binary.cc: the `$` position. Sets device_uid from the frame.
Status DecodeBinary(std::span<const uint8_t> frame, bool lenient, Message& msg);

// Shared: the fix fields starting at fields[at] (time, validity, lat, N/S,
// lon, E/W, speed, course, [battery,] date, [sim info,] [status, extras]).
Status DecodeFixFrom(Context& c, size_t at);

}  // namespace fleetd::h02
