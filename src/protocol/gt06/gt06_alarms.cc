// GT06 alarm tables (see gt06_alarms.h). Code values are protocol facts from
// the Concox documents and the real packets in the shared vectors.
#include "protocol/gt06/gt06_alarms.h"

#include <span>
#include <string>

#include "fleetd/attribute_keys.h"

namespace fleetd::gt06 {
namespace {

struct Entry {
  uint16_t code;
  AlarmInfo info;
};

constexpr AlarmInfo kSos{Alarm::kSos, ""};
constexpr AlarmInfo kPowerCut{Alarm::kPowerCut, ""};
constexpr AlarmInfo kVibration{Alarm::kVibration, ""};
constexpr AlarmInfo kLowBattery{Alarm::kLowBattery, ""};
constexpr AlarmInfo kTampering{Alarm::kTampering, ""};
constexpr AlarmInfo kAccident{Alarm::kAccident, ""};
constexpr AlarmInfo kPowerOff{Alarm::kPowerOff, ""};
constexpr AlarmInfo kOverspeed{Alarm::kOverspeed, ""};
constexpr AlarmInfo kRemoving{Alarm::kTampering, "removing"};
constexpr AlarmInfo kAcceleration{Alarm::kGeneral, "hard_acceleration"};
constexpr AlarmInfo kBraking{Alarm::kGeneral, "hard_braking"};
constexpr AlarmInfo kCornering{Alarm::kGeneral, "hard_cornering"};
constexpr AlarmInfo kTemperature{Alarm::kGeneral, "temperature"};

// The status-block alarm byte (Concox "alarm/language" high byte).
constexpr Entry kStandard[] = {
    {0x01, kSos},
    {0x02, kPowerCut},
    {0x03, kVibration},
    {0x04, {Alarm::kGeofenceEnter, ""}},
    {0x05, {Alarm::kGeofenceExit, ""}},
    {0x06, kOverspeed},
    {0x09, kVibration},
    {0x0C, kTampering},
    {0x0E, kLowBattery},
    {0x0F, kLowBattery},
    {0x11, kPowerOff},
    {0x13, kTampering},
    {0x14, {Alarm::kDoor, ""}},
    {0x18, kRemoving},
    {0x19, kLowBattery},
    {0x1A, kBraking},
    {0x1B, kCornering},
    {0x23, {Alarm::kFall, ""}},
    {0x25, kTampering},
    {0x26, kAcceleration},
    {0x27, kBraking},
    {0x28, kBraking},
    {0x29, kAcceleration},
    {0x2A, kCornering},
    {0x2B, kCornering},
    {0x2C, kAccident},
    {0x2E, kCornering},
    {0x30, {Alarm::kJamming, ""}},
    {0x32, kTampering},
    {0x33, {Alarm::kGeneral, "lock"}},
    {0x34, {Alarm::kGeneral, "unlock"}},
    {0x53, {Alarm::kGeneral, "fuel_leak"}},
    {0x5B, kTemperature},
    {0x5C, kTemperature},
    {0xC9, {Alarm::kGeneral, "idle"}},
    {0x0107, {Alarm::kJamming, ""}},  // 0x27/0xA4: high nibble of the language byte extends the code
    {0x010B, {Alarm::kJamming, ""}},
};
// Model families override a few codes; their tables are searched first.
constexpr Entry kLwOverrides[] = {{0x18, kAccident}, {0x19, kAcceleration}};
constexpr Entry kSeeworldOverrides[] = {{0x28, kCornering}, {0x29, kAccident}};
constexpr Entry kVlOverrides[] = {
    {0x09, {Alarm::kMovement, "tow"}}, {0x28, kPowerOff}, {0x30, kBraking}};

constexpr std::optional<AlarmInfo> kNone = std::nullopt;
constexpr std::optional<AlarmInfo> kTerminalInfo[8] = {
    kNone, kVibration, kPowerCut, kLowBattery, kSos, kNone, AlarmInfo{Alarm::kGeneral, "geofence"}, kRemoving};

constexpr Entry kEvents[] = {
    {0x0E, {Alarm::kLowPower, ""}}, {0x76, kTemperature}, {0x80, kVibration}, {0x87, kOverspeed},
    {0x88, kPowerCut}, {0x90, kAcceleration}, {0x91, kBraking}, {0x92, kCornering}, {0x93, kAccident},
};

constexpr Entry kModular[] = {
    {0x10, {Alarm::kDoor, ""}}, {0x12, kRemoving}, {0x14, {Alarm::kGeofenceEnter, ""}},
    {0x15, {Alarm::kGeofenceExit, ""}}, {0x16, kTemperature}, {0x1A, kLowBattery}, {0x1B, kOverspeed},
    {0x1C, {Alarm::kPowerOn, ""}}, {0x1D, kPowerOff}, {0x20, kVibration}, {0x21, kPowerCut},
    {0x23, kTampering},
};

constexpr Entry kAz735[] = {
    {0xA2, kLowBattery}, {0xA3, kLowBattery}, {0xA4, {Alarm::kGeneral, ""}}, {0xA5, {Alarm::kDoor, ""}},
};

std::optional<AlarmInfo> Find(std::span<const Entry> table, uint16_t code) {
  for (const Entry& e : table) {
    if (e.code == code) return e.info;
  }
  return std::nullopt;
}

std::span<const Entry> Overrides(AlarmFamily family) {
  switch (family) {
    case AlarmFamily::kLw: return kLwOverrides;
    case AlarmFamily::kSeeworld: return kSeeworldOverrides;
    case AlarmFamily::kVl: return kVlOverrides;
    case AlarmFamily::kStandard: break;
  }
  return {};
}

}  // namespace

std::optional<AlarmInfo> StatusAlarm(uint16_t code, AlarmFamily family) {
  if (auto hit = Find(Overrides(family), code)) return hit;
  return Find(kStandard, code);
}

std::optional<AlarmInfo> TerminalInfoAlarm(uint8_t value, bool vxt01) {
  if (value == 7 && vxt01) return kOverspeed;
  return kTerminalInfo[value & 7];
}

std::optional<AlarmInfo> EventAlarm(uint8_t code, bool with_fix) {
  if (code == 0x01) return with_fix ? kSos : AlarmInfo{Alarm::kGeneral, ""};
  return Find(kEvents, code);
}

std::optional<AlarmInfo> ModularAlarm(uint8_t code) { return Find(kModular, code); }

std::optional<AlarmInfo> Az735Alarm(uint8_t status) { return Find(kAz735, status); }

void SetAlarm(Message& msg, const AlarmInfo& info) {
  msg.alarm = info.alarm;
  if (info.type.empty()) {
    if (auto it = msg.attributes.find(attr::kAlarmType); it != msg.attributes.end()) msg.attributes.erase(it);
  } else {
    msg.attributes.insert_or_assign(std::string(attr::kAlarmType), std::string(info.type));
  }
}

}  // namespace fleetd::gt06
