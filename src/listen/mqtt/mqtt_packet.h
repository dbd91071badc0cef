// MQTT 5 packets: the subset a subscribing and publishing client needs.
//
// fleetd speaks MQTT itself rather than through libmosquitto or Paho because
// both of those send PUBACK for a QoS 1 message before the application has
// seen it; fleetd must acknowledge only after the message is durable, so that
// a crash between receipt and storage makes the broker redeliver. This file
// is the pure half: bytes to packets and back, no sockets (docs/mqtt.md has
// the wire layout references). Lengths from the wire are checked against the
// packet before anything is read, and a packet longer than the limit we
// advertise in CONNECT is an error, never an allocation.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fleetd/status.h"

namespace fleetd::mqtt {

enum class PacketType : uint8_t {
  kConnect = 1,
  kConnack = 2,
  kPublish = 3,
  kPuback = 4,
  kSubscribe = 8,
  kSuback = 9,
  kUnsubscribe = 10,
  kUnsuback = 11,
  kPingreq = 12,
  kPingresp = 13,
  kDisconnect = 14,
  kAuth = 15,
};

// Splits a byte stream into whole packets. Returns the packet length (fixed
// header included) when `buf` starts with a whole packet, 0 when more bytes
// are needed, or an error (kBadLength: remaining length over `max_packet` or
// a varint longer than 4 bytes).
Result<size_t> FramePacket(std::span<const uint8_t> buf, size_t max_packet);

struct ConnectOptions {
  std::string client_id;
  std::string username;  // empty: none sent
  std::string password;  // sent only with a username
  uint16_t keep_alive_s = 30;
  bool clean_start = false;             // false: resume the broker-side session
  uint32_t session_expiry_s = 0;        // how long the broker keeps the session offline
  uint16_t receive_maximum = 65535;     // QoS 1 messages in flight towards us
  uint32_t maximum_packet_size = 0;     // 0: not sent (no limit announced)
};

struct Connack {
  bool session_present = false;
  uint8_t reason = 0;                   // 0 success; >= 0x80 refused
  uint16_t receive_maximum = 65535;     // how many QoS 1 publishes we may have in flight
  uint32_t maximum_packet_size = 0;     // 0: no limit
  std::string assigned_client_id;
  std::string reason_string;
};

struct Publish {
  std::string topic;
  std::span<const uint8_t> payload;  // points into the packet bytes
  uint8_t qos = 0;
  bool retain = false;
  bool dup = false;
  uint16_t packet_id = 0;            // QoS > 0 only
};

struct Suback {
  uint16_t packet_id = 0;
  std::vector<uint8_t> reasons;      // one per filter: granted QoS, or >= 0x80
  std::string reason_string;
};

struct Puback {
  uint16_t packet_id = 0;
  uint8_t reason = 0;
};

struct Disconnect {
  uint8_t reason = 0;
  std::string reason_string;
};

// Encoders append one whole packet to `out`.
void EncodeConnect(const ConnectOptions& options, std::vector<uint8_t>& out);
// `qos` 0 or 1; `packet_id` is used for QoS 1 only.
void EncodePublish(std::string_view topic, std::span<const uint8_t> payload, uint8_t qos, bool retain,
                   uint16_t packet_id, std::vector<uint8_t>& out);
void EncodePuback(uint16_t packet_id, std::vector<uint8_t>& out);
// One filter per SUBSCRIBE, at `max_qos`, retain-as-published off.
void EncodeSubscribe(uint16_t packet_id, std::string_view filter, uint8_t max_qos, std::vector<uint8_t>& out);
void EncodePingreq(std::vector<uint8_t>& out);
void EncodeDisconnect(uint8_t reason, std::vector<uint8_t>& out);

// The type of a framed packet (the high nibble of its first byte).
PacketType TypeOf(std::span<const uint8_t> packet);

// Decoders take one framed packet (as cut by FramePacket) and fail with
// kMalformed when its contents disagree with its type or its length.
Result<Connack> DecodeConnack(std::span<const uint8_t> packet);
// The result's payload points into `packet`.
Result<Publish> DecodePublish(std::span<const uint8_t> packet);
Result<Puback> DecodePuback(std::span<const uint8_t> packet);
Result<Suback> DecodeSuback(std::span<const uint8_t> packet);
Result<Disconnect> DecodeDisconnect(std::span<const uint8_t> packet);

// A short English name for a CONNACK/DISCONNECT/SUBACK reason code.
std::string_view ReasonName(uint8_t reason);

}  // namespace fleetd::mqtt
