// Decoder: a pure function from one frame to messages and reply bytes.
//
// No sockets, no database, no clock: the listener passes the receive time in,
// resolves the device and sends the reply. Session holds what a protocol
// learns over a connection (GT06 learns the IMEI from its login packet).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fleetd/message.h"
#include "fleetd/status.h"

namespace fleetd {

// Per-connection state owned by the listener and handed to every Decode().
struct DecodeSession {
  std::string device_uid;  // empty until the device identifies itself
  bool lenient = false;    // accept bad checksums / odd lengths (per protocol or device setting)
  std::string model;       // device model override for model-specific layouts; empty = default
};

struct DecodeOutput {
  std::vector<Message> messages;  // appended to; may stay empty (e.g. a bare ack request)
  std::vector<uint8_t> reply;     // bytes the device expects back; appended to
};

class Decoder {
 public:
  virtual ~Decoder() = default;

  // Decodes one frame (as cut by this protocol's framer). On error no message
  // is appended and the Status code is the rejection reason that gets
  // counted; `out.reply` may then hold an error answer the device expects at
  // once (an HTTP 400 for HTTP protocols), which the listener sends without
  // waiting for durability. Otherwise nothing is appended on error. `received_at` stamps the messages. Thread: an instance may be
  // shared by connections; it must keep no state of its own.
  virtual Status Decode(std::span<const uint8_t> frame, DecodeSession& session,
                        TimestampMs received_at, DecodeOutput& out) const = 0;
};

}  // namespace fleetd
