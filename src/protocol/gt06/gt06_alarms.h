// GT06 alarm codes -> schema alarms, as tables (one per code space and
// model family). Codes with no exact schema value map to the closest Alarm
// plus a finer name in the "alarm_type" attribute.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "fleetd/message.h"

namespace fleetd::gt06 {

struct AlarmInfo {
  Alarm alarm;
  std::string_view type;  // finer name for attr::kAlarmType; empty when `alarm` is exact
};

enum class AlarmFamily { kStandard, kLw, kSeeworld, kVl };

// The alarm/extension byte of status blocks (0x13, 0x16, 0x19, 0x26, 0x27, 0xA4, 0xA5).
std::optional<AlarmInfo> StatusAlarm(uint16_t code, AlarmFamily family);
// Bits 3-5 of the terminal information byte.
std::optional<AlarmInfo> TerminalInfoAlarm(uint8_t value, bool vxt01);
// The event byte of 0x95 alarm packets; `with_fix` for the long forms.
std::optional<AlarmInfo> EventAlarm(uint8_t code, bool with_fix);
// The event byte of module 0x0034 in 0x70 modular packets.
std::optional<AlarmInfo> ModularAlarm(uint8_t code);
// The status byte of 0x7979 0x33 (AZ735) alarm packets.
std::optional<AlarmInfo> Az735Alarm(uint8_t status);

// Sets msg.alarm and, for inexact mappings, attr::kAlarmType.
void SetAlarm(Message& msg, const AlarmInfo& info);

}  // namespace fleetd::gt06
