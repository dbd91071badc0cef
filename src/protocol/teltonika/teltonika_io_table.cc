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
    {32, "Coolant Temperature (OBD)", T::kEngineTempC, kFmb, 1, true},
    {36, "Engine RPM (OBD)", T::kRpm, kFmb},
    {48, "Fuel Level (OBD)", T::kFuelPct, kFmb},
    {66, "External Voltage", T::kPowerV, kAll, 0.001},
    {67, "Battery Voltage", T::kBatteryV, kAll, 0.001},
    {72, "Dallas Temperature 1", T::kDouble, kFmb, 0.1, true, attr::kTemperatureC},
    {78, "iButton", T::kDriverId, kAll},
    {83, "Fuel Consumed (CAN)", T::kDouble, kFmb, 0.1, false, attr::kFuelUsedL},
    {85, "Engine RPM (CAN)", T::kRpm, kFmb},
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

// Row index + 1 for ids below 256 (0 = no row): most elements are found
// without a search.
using SmallIndex = std::array<uint8_t, 256>;

template <size_t N>
constexpr SmallIndex MakeSmallIndex(const IoRow (&rows)[N]) {
  static_assert(N < 255);
  SmallIndex index{};
  for (size_t i = 0; i < N; ++i) {
    if (rows[i].id < 256) index[rows[i].id] = static_cast<uint8_t>(i + 1);
  }
  return index;
}

constexpr SmallIndex kAvlSmall = MakeSmallIndex(kAvlRows);
constexpr SmallIndex kGh3000Small = MakeSmallIndex(kGh3000Rows);

}  // namespace

const IoRow* FindIo(std::span<const IoRow> table, uint16_t id, bool fmb) {
  const IoRow* row = nullptr;
  const SmallIndex* small = table.data() == kAvlRows ? &kAvlSmall : table.data() == kGh3000Rows ? &kGh3000Small : nullptr;
  if (small != nullptr && id < 256) {
    const uint8_t at = (*small)[id];
    row = at == 0 ? nullptr : &table[at - 1];
  } else {
    auto it = std::lower_bound(table.begin(), table.end(), id, [](const IoRow& r, uint16_t v) { return r.id < v; });
    if (it != table.end() && it->id == id) row = &*it;
  }
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
