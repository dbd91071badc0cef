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
// Message::cell is written as these four keys in JSON (and read back from them).
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

// GT06 / Concox (src/protocol/gt06).
inline constexpr std::string_view kAlarmType = "alarm_type";          // string, finer alarm name when Alarm has no exact value ("removing", "hard_braking", ...)
inline constexpr std::string_view kEventFiles = "event_files";        // string, dash-cam files recorded for an alarm
inline constexpr std::string_view kCommandResult = "command_result";  // string, a device's text answer or report
inline constexpr std::string_view kSerialData = "serial_data";        // string, text from a serial-port peripheral (RFID reader, ...)
inline constexpr std::string_view kNetworkTechnology = "network_technology";  // string, "2G" / "4G"
inline constexpr std::string_view kTemperatureC = "temperature_c";    // double, first temperature sensor, Celsius
inline constexpr std::string_view kHumidityPct = "humidity_pct";      // double, relative humidity, percent
inline constexpr std::string_view kTagTemperatureC = "tag_temperature_c";  // double, BLE tag sensor, Celsius
inline constexpr std::string_view kSteps = "steps";                   // int, pedometer count
inline constexpr std::string_view kDrivingTimeS = "driving_time_s";   // int, seconds
inline constexpr std::string_view kEngineHoursS = "engine_hours_s";   // int, seconds of engine running time
inline constexpr std::string_view kAdc1V = "adc1_v";                  // double, analog input 1, volts
inline constexpr std::string_view kAdc2V = "adc2_v";                  // double, analog input 2, volts
inline constexpr std::string_view kGeofenceId = "geofence_id";        // int, device-side geofence number
inline constexpr std::string_view kWifiAccessPoints = "wifi_aps";     // string, "mac/rssi;..." (rssi dBm, negative)
inline constexpr std::string_view kCellTowers = "cell_towers";        // string, "mcc-mnc-lac-cid/rssi;..." neighbours included
inline constexpr std::string_view kVin = "vin";                       // string, vehicle identification number

// CAN bus: J1939 and OBD-II (src/protocol/can, docs/protocols/can.md).
inline constexpr std::string_view kFuelUsedL = "fuel_used_l";        // double, total fuel used over the engine's life, litres
inline constexpr std::string_view kFuelRateLph = "fuel_rate_lph";    // double, engine fuel rate, litres per hour
inline constexpr std::string_view kAmbientTempC = "ambient_temp_c";  // double, ambient air temperature, Celsius
inline constexpr std::string_view kDtcClearedDistanceKm = "dtc_cleared_distance_km";  // int, km driven since trouble codes were cleared
inline constexpr std::string_view kDtcs = "dtcs";                    // string, OBD trouble codes "P0123 C0456"
// Speed the vehicle itself reports (OBD PID 0x0D, CAN bus); speed_kmh stays the tracker's GNSS speed.
inline constexpr std::string_view kVehicleSpeedKmh = "vehicle_speed_kmh";  // double, km/h
inline constexpr std::string_view kEngineLoadPct = "engine_load_pct";  // double, calculated engine load, % (OBD PID 0x04)
inline constexpr std::string_view kThrottlePct = "throttle_pct";      // double, throttle / pedal position, % (PID 0x11, CAN)
inline constexpr std::string_view kFuelLevelL = "fuel_level_l";       // double, fuel in the tank, litres (CAN)
inline constexpr std::string_view kDtcCount = "dtc_count";            // int, number of stored OBD trouble codes
inline constexpr std::string_view kMilDistanceKm = "mil_distance_km";  // int, km driven with the MIL on (OBD PID 0x21)

// Teltonika (src/protocol/teltonika). Also uses kPdop (declared with AIS-140 below).
inline constexpr std::string_view kPriority = "priority";            // int, record priority: 0 low, 1 high, 2 panic
inline constexpr std::string_view kEventIoId = "event_io_id";        // int, IO id that triggered the record (absent = periodic)
inline constexpr std::string_view kGenerationType = "generation_type";  // int, Teltonika codec 16 generation type 0..7
inline constexpr std::string_view kDigitalInput1 = "din1";           // bool, digital input 1
inline constexpr std::string_view kDigitalInput2 = "din2";           // bool, digital input 2
inline constexpr std::string_view kDigitalInput3 = "din3";           // bool, digital input 3
inline constexpr std::string_view kDigitalOutput1 = "dout1";         // bool, digital output 1
inline constexpr std::string_view kDigitalOutput2 = "dout2";         // bool, digital output 2
inline constexpr std::string_view kTripOdometerM = "trip_odometer_m";  // int, metres since the trip started
inline constexpr std::string_view kTagBatteryMv = "tag_battery_mv";  // int, first BLE tag's battery voltage, mV
// Prefix of vendor IO elements fleetd does not map: "io" + decimal id ("io200").
inline constexpr std::string_view kIoPrefix = "io";                  // int (fixed-size IO) or string (hex, variable-size IO)

// H02 / Sinotrack (src/protocol/h02).
inline constexpr std::string_view kStatusWord = "status_word";        // int, raw vendor status bitmask as sent (H02: 32 bits, negative logic)
inline constexpr std::string_view kExtraFields = "extra_fields";      // string, trailing vendor fields not interpreted, comma-separated as sent
inline constexpr std::string_view kBatteryRaw = "battery_raw";        // int, battery reading in the device's own unit (H02 V3: 4 hex digits)
inline constexpr std::string_view kTurnovers = "turnovers";           // int, wearable roll-over counter

// AIS-140 (src/protocol/ais140).
inline constexpr std::string_view kVehicleReg = "vehicle_reg";        // string, registration plate the device reports
inline constexpr std::string_view kFirmwareVersion = "firmware_version";  // string
inline constexpr std::string_view kPacketStatus = "packet_status";    // string, AIS-140 packet status (NR, EA, TA, BD, ...)
inline constexpr std::string_view kEventId = "event_id";              // int, AIS-140 alert id
inline constexpr std::string_view kPdop = "pdop";                     // double, position dilution of precision
inline constexpr std::string_view kNetworkOperator = "network_operator";  // string, mobile network name
inline constexpr std::string_view kExternalPower = "external_power";  // bool, vehicle battery connected
inline constexpr std::string_view kEmergency = "emergency";           // bool, emergency (panic) button state
inline constexpr std::string_view kTamper = "tamper";                 // bool, enclosure open
inline constexpr std::string_view kDigitalInputs = "digital_inputs";  // string, one 0/1 per input, input 1 first
inline constexpr std::string_view kDigitalOutputs = "digital_outputs";  // string, one 0/1 per output, output 1 first

// OsmAnd / Traccar Client (src/protocol/osmand).
inline constexpr std::string_view kAccuracyM = "accuracy_m";          // double, horizontal accuracy, metres
inline constexpr std::string_view kVerticalAccuracyM = "vertical_accuracy_m";  // double, metres
inline constexpr std::string_view kActivity = "activity";             // string, phone activity ("still", "in_vehicle", ...)
inline constexpr std::string_view kAppEvent = "app_event";            // string, app event ("motionchange", "heartbeat", ...)
inline constexpr std::string_view kMockLocation = "mock_location";    // bool, the phone reports a simulated location
// Prefix for app-defined extras that have no key of their own: "extra_<name>".
inline constexpr std::string_view kExtraPrefix = "extra_";

}  // namespace fleetd::attr
