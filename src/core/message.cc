// Stable names for message kinds and alarms: they are part of schema v1.
#include "fleetd/message.h"

#include <array>
#include <utility>

namespace fleetd {
namespace {

constexpr std::array<std::pair<MessageKind, std::string_view>, 7> kKindNames{{
    {MessageKind::kPosition, "position"},
    {MessageKind::kLogin, "login"},
    {MessageKind::kHeartbeat, "heartbeat"},
    {MessageKind::kAlarm, "alarm"},
    {MessageKind::kStatus, "status"},
    {MessageKind::kTelemetry, "telemetry"},
    {MessageKind::kOther, "other"},
}};

constexpr std::array<std::pair<Alarm, std::string_view>, 17> kAlarmNames{{
    {Alarm::kSos, "sos"},
    {Alarm::kOverspeed, "overspeed"},
    {Alarm::kPowerCut, "power_cut"},
    {Alarm::kLowBattery, "low_battery"},
    {Alarm::kVibration, "vibration"},
    {Alarm::kGeofenceEnter, "geofence_enter"},
    {Alarm::kGeofenceExit, "geofence_exit"},
    {Alarm::kMovement, "movement"},
    {Alarm::kTampering, "tampering"},
    {Alarm::kAccident, "accident"},
    {Alarm::kLowPower, "low_power"},
    {Alarm::kFall, "fall"},
    {Alarm::kDoor, "door"},
    {Alarm::kPowerOff, "power_off"},
    {Alarm::kPowerOn, "power_on"},
    {Alarm::kJamming, "jamming"},
    {Alarm::kGeneral, "general"},
}};

}  // namespace

std::string_view MessageKindName(MessageKind kind) {
  for (const auto& [k, name] : kKindNames) {
    if (k == kind) return name;
  }
  return "other";
}

std::optional<MessageKind> ParseMessageKind(std::string_view name) {
  for (const auto& [k, n] : kKindNames) {
    if (n == name) return k;
  }
  return std::nullopt;
}

std::string_view AlarmName(Alarm alarm) {
  for (const auto& [a, name] : kAlarmNames) {
    if (a == alarm) return name;
  }
  return "general";
}

std::optional<Alarm> ParseAlarm(std::string_view name) {
  for (const auto& [a, n] : kAlarmNames) {
    if (n == name) return a;
  }
  return std::nullopt;
}

}  // namespace fleetd
