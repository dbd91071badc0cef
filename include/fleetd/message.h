// The internal message schema, v1: one normalized message for every protocol.
//
// Every decoder produces these, the queue carries them, the store keeps them
// and the API returns them as JSON (names in docs/schema.md). A quantity the
// device did not report is an empty optional: unknown is absent, never 0.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace fleetd {

enum class MessageKind { kPosition, kLogin, kHeartbeat, kAlarm, kStatus, kTelemetry, kOther };
std::string_view MessageKindName(MessageKind kind);
std::optional<MessageKind> ParseMessageKind(std::string_view name);

enum class Alarm {
  kSos,
  kOverspeed,
  kPowerCut,
  kLowBattery,
  kVibration,
  kGeofenceEnter,
  kGeofenceExit,
  kMovement,
  kTampering,
  kAccident,
  kLowPower,
  kFall,
  kDoor,
  kPowerOff,
  kPowerOn,
  kJamming,
  kGeneral,
};
std::string_view AlarmName(Alarm alarm);
std::optional<Alarm> ParseAlarm(std::string_view name);

// Protocol extras. Keys are declared in attribute_keys.h, never made up inline.
using AttributeValue = std::variant<bool, int64_t, double, std::string>;
using Attributes = std::map<std::string, AttributeValue, std::less<>>;

// Milliseconds since the Unix epoch, UTC.
using TimestampMs = int64_t;

struct Message {
  std::string device_uid;   // what the device calls itself: IMEI for trackers
  std::string protocol;     // registry name of the protocol that decoded it
  MessageKind kind = MessageKind::kPosition;
  std::optional<TimestampMs> ts;  // fix time
  TimestampMs received_at = 0;    // when fleetd read the frame
  std::optional<bool> valid;      // the device's own fix-validity flag
  std::optional<double> lat;
  std::optional<double> lng;
  std::optional<double> altitude_m;
  std::optional<double> speed_kmh;
  std::optional<double> heading;  // degrees clockwise from north, [0, 360)
  std::optional<int> satellites;
  std::optional<double> hdop;
  std::optional<bool> ignition;
  std::optional<double> odometer_km;
  std::optional<double> battery_v;
  std::optional<double> power_v;
  std::optional<double> fuel_pct;
  std::optional<double> engine_temp_c;
  std::optional<double> rpm;
  std::optional<Alarm> alarm;
  Attributes attributes;

  bool has_position() const { return lat.has_value() && lng.has_value(); }
  bool operator==(const Message&) const = default;
};

}  // namespace fleetd
