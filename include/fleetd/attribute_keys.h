// Names of the protocol extras kept in Message::attributes.
//
// One list, so that two protocols reporting the same quantity use the same
// key and docs/schema.md can document every key. Add keys here, not inline.
#pragma once

#include <string_view>

namespace fleetd::attr {

inline constexpr std::string_view kGsmSignal = "gsm_signal";          // int, protocol's own scale
inline constexpr std::string_view kBatteryLevel = "battery_level";    // int, percent 0..100
inline constexpr std::string_view kBatteryLevelStep = "battery_level_step";  // int, GT06 0..6 scale
inline constexpr std::string_view kCharging = "charging";             // bool
inline constexpr std::string_view kArmed = "armed";                   // bool (GT06 "defence")
inline constexpr std::string_view kMotion = "motion";                 // bool
inline constexpr std::string_view kMcc = "mcc";                       // int, cell tower
inline constexpr std::string_view kMnc = "mnc";                       // int
inline constexpr std::string_view kLac = "lac";                       // int
inline constexpr std::string_view kCellId = "cell_id";                // int
inline constexpr std::string_view kSerial = "serial";                 // int, packet serial number
inline constexpr std::string_view kMessageType = "message_type";      // int, protocol's type code
inline constexpr std::string_view kGpsRealtime = "gps_realtime";      // bool, false = buffered
inline constexpr std::string_view kDeviceTime = "device_time";        // int, ms, for messages without a fix
inline constexpr std::string_view kFuelCut = "fuel_cut";              // bool, relay state
inline constexpr std::string_view kDeviceType = "device_type";        // int, GT06 login type id
inline constexpr std::string_view kTimezoneOffsetMin = "timezone_offset_min";  // int
inline constexpr std::string_view kAlarmCode = "alarm_code";          // int, raw vendor alarm code
inline constexpr std::string_view kIccid = "iccid";                   // string
inline constexpr std::string_view kDriverId = "driver_id";            // string
inline constexpr std::string_view kRssi = "rssi";                     // int
inline constexpr std::string_view kDoor = "door";                     // bool

}  // namespace fleetd::attr
