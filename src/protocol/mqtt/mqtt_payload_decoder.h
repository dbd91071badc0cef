// MqttPayloadDecoder: the JSON a vehicle gateway publishes to
// fleet/{uid}/telemetry, into schema v1 (issue 4's device payload, v1).
//
// {"v":1,"ts":"2026-05-21T10:30:00Z","lat":23.8103,"lng":90.4125,"speed":45.2,
//  "heading":180,"ignition":true,"odometer":123456.7,"battery_v":12.4,
//  "engine_temp":88,"fuel_level":61.5,"can":[{"id":"18FEF100","data":"..."},
//  {"obd":"410C1AF8"}]}
//
// The uid comes from the topic, so the bridge puts it in the session before
// decoding; the payload never names its own device (a device cannot publish
// as another). Unknown fields become attributes "extra_<name>"; a missing ts
// takes the receive time; raw CAN frames go through the J1939 and OBD-II
// decoders. Pure: no broker, no clock.
#pragma once

#include "fleetd/decoder.h"

namespace fleetd {

class MqttPayloadDecoder : public Decoder {
 public:
  // Errors: kNoSession (no uid from the topic), kMalformed (not JSON, not an
  // object, wrong types, bad CAN hex), kUnsupported (unknown "v"),
  // kOutOfRange (lat/lng/ts impossible). Nothing is appended on error.
  Status Decode(std::span<const uint8_t> frame, DecodeSession& session, TimestampMs received_at,
                DecodeOutput& out) const override;
};

// Largest payload accepted; the bridge drops larger ones unread.
inline constexpr size_t kMaxMqttPayload = 64 * 1024;

}  // namespace fleetd
