// EnvelopeCodec: the compact binary form of an Envelope, carried between
// fleetd nodes: in a JetStream message (queue/nats) and in a Redis live feed
// payload (live/redis/live_feed_codec.h).
//
// Why not message_json: JSON drops non-finite doubles, rewrites invalid UTF-8
// device text, folds four integer attributes into the cell tower and costs
// several times the bytes and CPU of a fixed layout. The queue must hand the
// consumer exactly what the listener published, and an API node decodes
// every other node's live batch, so both carry this instead.
//
// Layout (big-endian, every length checked against the bytes that remain
// before anything is allocated):
//
//   u8  version (1)
//   i64 received_at                    } kHashOffset: everything after these
//   i64 tenant_id, i64 device_id       } first 9 bytes feeds the queue's dedup hash
//   str device_uid, str protocol       (str = u16 length + bytes)
//   u8  kind
//   u32 presence bits (kHas* below), then each present field in bit order:
//       ts i64, valid u8, doubles as IEEE-754 bits u64, satellites i32,
//       ignition u8, alarm u8, cell 4 x i64
//   u16 attribute count, then per attribute (strictly ascending keys):
//       str key, u8 type (0 bool u8, 1 int i64, 2 double u64, 3 string u32 len + bytes)
//
// Nothing may follow the last attribute.
//
// A body (a JetStream message, a live feed payload after its text header)
// carries one envelope in that form, or several in the list form. The queue
// groups envelopes of one partition so (per-message costs — storage, acks,
// delivery — dominated its CPU when every fix was its own message):
//
//   u8  version (2)
//   u16 count (2..65535)
//   count x (u32 length + one envelope in the form above)
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fleetd/queue.h"
#include "fleetd/status.h"

namespace fleetd {

inline constexpr uint8_t kEnvelopeVersion = 1;
inline constexpr uint8_t kEnvelopeListVersion = 2;
// The most envelopes one list can hold (its count is a u16).
inline constexpr size_t kMaxEnvelopesPerList = 65535;
// Bytes before the part of an encoded envelope that identifies the message
// (version and received_at: a retransmit is read again at another time).
inline constexpr size_t kHashOffset = 9;

// Appends the encoding of `envelope` to `out`. kInvalidArgument when a string
// is too long for its length field (65535 bytes for uid, protocol and keys).
Status EncodeEnvelope(const Envelope& envelope, std::string& out);

// Parses exactly one encoded envelope. kMalformed / kBadLength on anything
// that EncodeEnvelope would not have produced.
Result<Envelope> DecodeEnvelope(std::span<const uint8_t> data);

// Appends the list form of `envelopes` (2 to 65535 of them) to `out`.
Status EncodeEnvelopeList(std::span<const Envelope> envelopes, std::string& out);
// The same from envelopes already encoded by EncodeEnvelope (2 to 65535),
// for a publisher that encoded them earlier.
void FrameEnvelopeList(std::span<const std::string_view> encoded, std::string& out);

// Decodes a body: one envelope or a list. Each is checked
// as DecodeEnvelope checks it; a count or length that the remaining bytes
// cannot hold is rejected before anything is reserved.
Result<std::vector<Envelope>> DecodeEnvelopes(std::span<const uint8_t> data);

}  // namespace fleetd
