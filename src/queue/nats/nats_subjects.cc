// Partition hashing, subject and consumer names, message ids.
#include "queue/nats/nats_subjects.h"

#include <cstdio>

#include "core/envelope_codec.h"

namespace fleetd::nats {
namespace {

bool PlainUid(std::string_view uid) {
  if (uid.empty() || uid.size() > 64) return false;
  for (char c : uid) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string Hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

uint32_t Fnv1a32(std::string_view bytes) {
  uint32_t h = 2166136261u;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

uint64_t Fnv1a64(std::string_view bytes) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

size_t PartitionOf(std::string_view device_uid, size_t partitions) { return Fnv1a32(device_uid) % partitions; }

std::string PartitionSubject(std::string_view prefix, size_t partition) {
  return std::string(prefix) + ".msg." + std::to_string(partition);
}

std::string StreamSubjects(std::string_view prefix) { return std::string(prefix) + ".msg.*"; }

std::string ConsumerName(std::string_view durable, size_t partition) {
  return std::string(durable) + "_p" + std::to_string(partition);
}

std::string ListMessageId(const Envelope& first, std::span<const std::string_view> encoded) {
  const Message& m = first.message;
  std::string id = PlainUid(m.device_uid) ? m.device_uid : "h" + Hex64(Fnv1a64(m.device_uid));
  id += "-n" + std::to_string(encoded.size());
  id += m.ts ? "-t" + std::to_string(*m.ts) : "-r" + std::to_string(m.received_at);
  std::string tails;
  for (std::string_view e : encoded) {
    if (e.size() > kHashOffset) tails.append(e.substr(kHashOffset));
  }
  id += "-" + Hex64(Fnv1a64(tails));
  return id;
}

std::string MessageId(const Envelope& envelope, std::string_view encoded) {
  const Message& m = envelope.message;
  std::string id = PlainUid(m.device_uid) ? m.device_uid : "h" + Hex64(Fnv1a64(m.device_uid));
  if (m.ts) {
    id += "-t" + std::to_string(*m.ts);
  } else {
    id += "-r" + std::to_string(m.received_at);
  }
  std::string_view tail = encoded.size() > kHashOffset ? encoded.substr(kHashOffset) : std::string_view();
  id += "-" + Hex64(Fnv1a64(tail));
  return id;
}

std::string EventSubject(std::string_view prefix, int64_t tenant_id, std::string_view type) {
  return std::string(prefix) + ".events." + std::to_string(tenant_id) + "." + EventTypeToken(type);
}

std::string EventStreamSubjects(std::string_view prefix) { return std::string(prefix) + ".events.>"; }

std::string EventStreamName(std::string_view stream) { return std::string(stream) + "_EVENTS"; }

std::string EventTypeToken(std::string_view type) {
  if (type.empty()) return "%";
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string token;
  token.reserve(type.size());
  for (char c : type) {
    const bool plain =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (plain) {
      token += c;
    } else {
      const auto b = static_cast<unsigned char>(c);
      token += '%';
      token += kHex[b >> 4];
      token += kHex[b & 0xf];
    }
  }
  return token;
}

std::string EventMessageId(std::string_view device_uid, int64_t ts, std::string_view type) {
  std::string id = PlainUid(device_uid) ? std::string(device_uid) : "h" + Hex64(Fnv1a64(device_uid));
  id += "-t" + std::to_string(ts) + "-" + EventTypeToken(type);
  return id;
}

}  // namespace fleetd::nats
