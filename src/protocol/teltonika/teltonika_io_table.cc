// The IO element tables (see teltonika_io_table.h). Facts from Teltonika's
// published "Data Sending Parameters ID" lists; scales turn the wire unit
// into the schema unit (mV -> V, m -> km, 0.1 degC -> degC).
#include "protocol/teltonika/teltonika_io_table.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "fleetd/attribute_keys.h"

namespace fleetd::teltonika {
namespace {

using T = IoTarget;
constexpr Family kFmb = Family::kFmb;
constexpr Family kAll = Family::kAll;

constexpr IoRow kAvlRows[] = {
    {1, "Digital Input 1", T::kBool, kAll, 1, false, attr::kDigitalInput1},
    {2, "Digital Input 2", T::kBool, kAll, 1, false, attr::kDigitalInput2},
    {3, "Digital Input 3", T::kBool, kAll, 1, false, attr::kDigitalInput3},
    {9, "Analog Input 1", T::kDouble, kFmb, 0.001, false, attr::kAdc1V},
    {10, "Analog Input 2", T::kDouble, kFmb, 0.001, false, attr::kAdc2V},
    {16, "Total Odometer", T::kOdometerKm, kAll, 0.001},
    {21, "GSM Signal", T::kInt, kAll, 1, false, attr::kGsmSignal},
    {25, "BLE Temperature #1", T::kDouble, kAll, 0.01, true, attr::kTagTemperatureC},
    // OBD II elements (FMB Bluetooth OBD dongle, FMx001/FMx003 OBD trackers):
    // values arrive already in their unit.
    {30, "Number of DTC (OBD)", T::kInt, kFmb, 1, false, attr::kDtcCount},
    {31, "Engine Load (OBD)", T::kDouble, kFmb, 1, false, attr::kEngineLoadPct},
    {32, "Coolant Temperature (OBD)", T::kEngineTempC, kFmb, 1, true},
    {36, "Engine RPM (OBD)", T::kRpm, kFmb},
    {37, "Vehicle Speed (OBD)", T::kDouble, kFmb, 1, false, attr::kVehicleSpeedKmh},
    {41, "Throttle Position (OBD)", T::kDouble, kFmb, 1, false, attr::kThrottlePct},
    {43, "Distance Traveled MIL On (OBD)", T::kInt, kFmb, 1, false, attr::kMilDistanceKm},
    {48, "Fuel Level (OBD)", T::kFuelPct, kFmb},
    {49, "Distance Since Codes Clear (OBD)", T::kInt, kFmb, 1, false, attr::kDtcClearedDistanceKm},
    {66, "External Voltage", T::kPowerV, kAll, 0.001},
    {67, "Battery Voltage", T::kBatteryV, kAll, 0.001},
    {72, "Dallas Temperature 1", T::kDouble, kFmb, 0.1, true, attr::kTemperatureC},
    {78, "iButton", T::kDriverId, kAll},
    // CAN elements (LVCAN200/ALLCAN300/ECAN adapters, FMx150 CAN chip).
    {81, "Vehicle Speed (CAN)", T::kDouble, kFmb, 1, false, attr::kVehicleSpeedKmh},
    {82, "Throttle Position (CAN)", T::kDouble, kFmb, 1, false, attr::kThrottlePct},
    {83, "Fuel Consumed (CAN)", T::kDouble, kFmb, 0.1, false, attr::kFuelUsedL},
    {84, "Fuel Level (CAN)", T::kDouble, kFmb, 0.1, false, attr::kFuelLevelL},
    {85, "Engine RPM (CAN)", T::kRpm, kFmb},
    {87, "Total Mileage (CAN)", T::kVehicleOdometerKm, kFmb, 0.001},
    {89, "Fuel Level % (CAN)", T::kFuelPct, kFmb},
    {110, "Fuel Rate (CAN)", T::kDouble, kFmb, 0.1, false, attr::kFuelRateLph},
    {113, "Battery Level", T::kInt, kFmb, 1, false, attr::kBatteryLevel},
    {115, "Engine Temperature (CAN)", T::kEngineTempC, kFmb, 0.1, true},
    {179, "Digital Output 1", T::kBool, kAll, 1, false, attr::kDigitalOutput1},
    {180, "Digital Output 2", T::kBool, kAll, 1, false, attr::kDigitalOutput2},
    {181, "GNSS PDOP", T::kDouble, kAll, 0.1, false, attr::kPdop},
    {182, "GNSS HDOP", T::kHdop, kAll, 0.1},
    {199, "Trip Odometer", T::kInt, kAll, 1, false, attr::kTripOdometerM},
    {205, "GSM Cell ID", T::kCellId, kFmb},
    {206, "GSM Area Code", T::kLac, kFmb},
    {236, "Alarm", T::kAlarm, kAll, 1, false, {}, Alarm::kGeneral},
    {239, "Ignition", T::kIgnition, kAll},
    {240, "Movement", T::kBool, kAll, 1, false, attr::kMotion},
    {241, "Active GSM Operator", T::kOperator, kAll},
    {246, "Towing", T::kAlarm, kFmb, 1, false, "towing", Alarm::kGeneral},
    {247, "Crash Detection", T::kAlarm, kFmb, 1, false, {}, Alarm::kAccident},
    {249, "Jamming", T::kAlarm, kFmb, 1, false, {}, Alarm::kJamming},
    {251, "Idling", T::kAlarm, kFmb, 1, false, "idle", Alarm::kGeneral},
    {252, "Unplug", T::kAlarm, kFmb, 1, false, {}, Alarm::kPowerCut},
    {253, "Green Driving Type", T::kGreenDriving, kAll},
    {636, "UMTS/LTE Cell ID", T::kCellId, kFmb},
    {662, "Door Status", T::kBool, kFmb, 1, false, attr::kDoor},
    {10800, "EYE Temperature 1", T::kDouble, kFmb, 0.01, true, attr::kTagTemperatureC},
};

constexpr IoRow kGh3000Rows[] = {
    {1, "Battery Level", T::kInt, kAll, 1, false, attr::kBatteryLevel},
    {20, "HDOP", T::kHdop, kAll, 0.1},
    {22, "PDOP", T::kDouble, kAll, 0.1, false, attr::kPdop},
    {67, "Battery Voltage", T::kBatteryV, kAll, 0.001},
    {222, "Alarm button", T::kAlarm, kAll, 1, false, {}, Alarm::kSos},
    {240, "Movement", T::kBool, kAll, 1, false, attr::kMotion},
};

template <size_t N>
constexpr bool Sorted(const IoRow (&rows)[N]) {
  for (size_t i = 1; i < N; ++i) {
    if (rows[i - 1].id >= rows[i].id) return false;
  }
  return true;
}
static_assert(Sorted(kAvlRows), "kAvlRows must be sorted by id, without duplicates");
static_assert(Sorted(kGh3000Rows), "kGh3000Rows must be sorted by id, without duplicates");

}  // namespace

std::span<const IoRow> AvlIoTable() { return kAvlRows; }
std::span<const IoRow> Gh3000IoTable() { return kGh3000Rows; }

namespace {

// Row index + 1 for ids below 256 (0 = no row), per family setting: most
// elements are found without a search.
template <size_t N>
constexpr SmallIoIndex MakeSmallIndex(const IoRow (&rows)[N], bool fmb) {
  static_assert(N < 255);
  SmallIoIndex index{};
  for (size_t i = 0; i < N; ++i) {
    if (rows[i].id < 256 && (fmb || rows[i].family != Family::kFmb)) index[rows[i].id] = static_cast<uint8_t>(i + 1);
  }
  return index;
}

constexpr SmallIoIndex kAvlSmall[2] = {MakeSmallIndex(kAvlRows, false), MakeSmallIndex(kAvlRows, true)};
constexpr SmallIoIndex kGh3000Small[2] = {MakeSmallIndex(kGh3000Rows, false), MakeSmallIndex(kGh3000Rows, true)};
constexpr SmallIoIndex kNoSmall{};

}  // namespace

const SmallIoIndex& SmallIndexOf(std::span<const IoRow> table, bool fmb) {
  if (table.data() == kAvlRows) return kAvlSmall[fmb];
  if (table.data() == kGh3000Rows) return kGh3000Small[fmb];
  return kNoSmall;
}

const IoRow* FindIo(std::span<const IoRow> table, uint16_t id, bool fmb) {
  const IoRow* row = nullptr;
  const SmallIoIndex& small = SmallIndexOf(table, fmb);
  if (&small != &kNoSmall && id < 256) {
    const uint8_t at = small[id];
    return at == 0 ? nullptr : &table[at - 1];
  }
  auto it = std::lower_bound(table.begin(), table.end(), id, [](const IoRow& r, uint16_t v) { return r.id < v; });
  if (it != table.end() && it->id == id) row = &*it;
  if (row != nullptr && row->family == Family::kFmb && !fmb) return nullptr;
  return row;
}

bool IsFmbFamily(std::string_view model) {
  if (model.empty()) return true;
  static constexpr std::string_view kPrefixes[] = {"FMB", "FMC", "FMM", "FMU", "FMT", "FMP", "FTC", "MTB", "MSP", "FM3001"};
  for (std::string_view prefix : kPrefixes) {
    if (model.size() < prefix.size()) continue;
    bool match = true;
    for (size_t i = 0; i < prefix.size(); ++i) {
      match = match && std::toupper(static_cast<unsigned char>(model[i])) == prefix[i];
    }
    if (match) return true;
  }
  return false;
}

}  // namespace fleetd::teltonika
