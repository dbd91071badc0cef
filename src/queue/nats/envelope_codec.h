// EnvelopeCodec: the compact binary form of an Envelope in a JetStream message.
//
// Why not message_json: JSON drops non-finite doubles, rewrites invalid UTF-8
// device text, folds four integer attributes into the cell tower and costs
// several times the bytes and CPU of a fixed layout. The queue must hand the
// consumer exactly what the listener published, so it carries this instead.
//
// Layout (big-endian, every length checked against the bytes that remain
// before anything is allocated):
//
//   u8  version (1)
//   i64 received_at                    } kHashOffset: everything after these
//   i64 tenant_id, i64 device_id       } first 9 bytes feeds the dedup hash
//   str device_uid, str protocol       (str = u16 length + bytes)
//   u8  kind
//   u32 presence bits (kHas* below), then each present field in bit order:
//       ts i64, valid u8, doubles as IEEE-754 bits u64, satellites i32,
//       ignition u8, alarm u8, cell 4 x i64
//   u16 attribute count, then per attribute (strictly ascending keys):
//       str key, u8 type (0 bool u8, 1 int i64, 2 double u64, 3 string u32 len + bytes)
//
// Nothing may follow the last attribute.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "fleetd/queue.h"
#include "fleetd/status.h"

namespace fleetd::nats {

inline constexpr uint8_t kEnvelopeVersion = 1;
// Bytes before the part of an encoded envelope that identifies the message
// (version and received_at: a retransmit is read again at another time).
inline constexpr size_t kHashOffset = 9;

// Appends the encoding of `envelope` to `out`. kInvalidArgument when a string
// is too long for its length field (65535 bytes for uid, protocol and keys).
Status EncodeEnvelope(const Envelope& envelope, std::string& out);

// Parses exactly one encoded envelope. kMalformed / kBadLength on anything
// that EncodeEnvelope would not have produced.
Result<Envelope> DecodeEnvelope(std::span<const uint8_t> data);

}  // namespace fleetd::nats
