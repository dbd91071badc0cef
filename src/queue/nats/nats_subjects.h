// Where an envelope goes in JetStream and what identifies it there.
//
// A device always maps to the same partition (FNV-1a of its uid, mod P), and
// each partition is one subject consumed in order, so per-device order holds
// however many processes publish. The message id (the Nats-Msg-Id header)
// names a message independently of when fleetd read it, so a device's
// retransmission after a crash is dropped by the stream's duplicate window
// instead of being stored twice.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "fleetd/queue.h"

namespace fleetd::nats {

// 32-bit FNV-1a; stable across builds and platforms (never std::hash).
uint32_t Fnv1a32(std::string_view bytes);
// 64-bit FNV-1a.
uint64_t Fnv1a64(std::string_view bytes);

// Partition of a device: Fnv1a32(uid) % partitions. Precondition: partitions > 0.
size_t PartitionOf(std::string_view device_uid, size_t partitions);

// "<prefix>.msg.<partition>"; the stream holds "<prefix>.msg.*".
std::string PartitionSubject(std::string_view prefix, size_t partition);
std::string StreamSubjects(std::string_view prefix);

// Durable consumer of one partition: "<durable>_p<partition>".
std::string ConsumerName(std::string_view durable, size_t partition);

// "<uid>-t<fix time>-<hash>" (or "-r<received_at>" without a fix time),
// hash = Fnv1a64 of the encoded envelope after kHashOffset, so two messages
// with the same uid and time but different content keep distinct ids. A uid
// that is not plain [A-Za-z0-9._:-]{1,64} is replaced by "h" + its hash, so
// device bytes never reach a header line.
std::string MessageId(const Envelope& envelope, std::string_view encoded);

// The id of a list message whose first envelope is `first` and whose
// entries are `encoded` (each as EncodeEnvelope wrote it):
// "<uid>-n<count>-t<fix time>-<hash>", hash over every entry's bytes after
// kHashOffset, so a list sent again with new receive times keeps its id.
std::string ListMessageId(const Envelope& first, std::span<const std::string_view> encoded);

// Events (nats_event_sink.h) --------------------------------------------
//
// "<prefix>.events.<tenant_id>.<type token>"; the events stream holds
// "<prefix>.events.>", named "<stream>_EVENTS".
std::string EventSubject(std::string_view prefix, int64_t tenant_id, std::string_view type);
std::string EventStreamSubjects(std::string_view prefix);
std::string EventStreamName(std::string_view stream);

// An event type as one subject token: [A-Za-z0-9_-] kept, every other byte
// (space, '.', '*', '>', '%', control bytes, UTF-8) as %HH (upper-case
// hex), and "" as "%": never empty, never a wildcard, never a separator,
// and distinct types stay distinct. "sos" stays "sos", "door open" becomes
// "door%20open".
std::string EventTypeToken(std::string_view type);

// Nats-Msg-Id of an event: "<uid>-t<ts>-<type token>", the uid shortened
// as in MessageId, so a batch published again is dropped by the events
// stream's duplicate window.
std::string EventMessageId(std::string_view device_uid, int64_t ts, std::string_view type);

}  // namespace fleetd::nats
