// The Teltonika IO element table: one row per IO id fleetd maps to a schema
// field, an attribute or an alarm (Traccar's register(...) idea, written as
// data). IO ids not in the table are kept as the attribute "io<id>".
//
// Ids mean the same on every current Teltonika tracker for the rows marked
// `all`; rows marked `fmb` follow the FMB/FMC/FMM/FMU/FMT/FMP table and apply
// when the device's model is one of those families or is not configured.
// Codec 7 (GH3000 personal trackers) numbers its IO differently and has its
// own small table. The table is listed in docs/protocols/teltonika.md.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "fleetd/message.h"

namespace fleetd::teltonika {

enum class IoTarget : uint8_t {
  // Schema fields: value * scale. kVehicleOdometerKm (the vehicle's own
  // odometer, read from its CAN bus) wins over kOdometerKm (the device's
  // GNSS odometer) whatever their order in the record.
  kIgnition, kPowerV, kBatteryV, kOdometerKm, kVehicleOdometerKm, kFuelPct, kEngineTempC, kRpm, kHdop,
  // Attributes under `key`.
  kBool,    // value != 0
  kInt,     // the (sign-extended when `is_signed`) value
  kDouble,  // value * scale
  kAlarm,   // value != 0 raises `alarm`, with alarm_type `key` when not empty
  kGreenDriving,  // 1/2/3: hard acceleration / braking / cornering
  kDriverId,      // iButton: the 8 bytes little-endian, as 16 hex digits
  // Parts of Message::cell, combined after the record.
  kCellId, kLac, kOperator,
};

enum class Family : uint8_t { kAll, kFmb };

// The first 8 bytes of an attribute key as a big-endian integer, zero
// padded: comparing two prefixes orders keys as their strings compare,
// exactly so for keys of up to 8 bytes (every "io<id>" key).
constexpr uint64_t KeyPrefix(std::string_view key) {
  uint64_t prefix = 0;
  for (size_t i = 0; i < 8; ++i) prefix = prefix << 8 | (i < key.size() ? static_cast<unsigned char>(key[i]) : 0u);
  return prefix;
}

struct IoRow {
  uint16_t id;
  std::string_view name;  // Teltonika's name, for the docs and tests
  IoTarget target;
  Family family = Family::kAll;
  double scale = 1;
  bool is_signed = false;
  std::string_view key = {};  // attribute key, or alarm_type for kAlarm
  Alarm alarm = Alarm::kGeneral;
  uint64_t key_prefix = KeyPrefix(key);  // computed at compile time: the decoder sorts by it
};

// The rows for codecs 8, 8E and 16, sorted by id.
std::span<const IoRow> AvlIoTable();
// The rows for codec 7 (GH3000), sorted by id.
std::span<const IoRow> Gh3000IoTable();

// The row for `id` that applies (family-checked), or nullptr.
const IoRow* FindIo(std::span<const IoRow> table, uint16_t id, bool fmb);

// For ids below 256: the index + 1 of the row that applies, 0 for none
// (FindIo without a search, for the decoder's hot path). All zeros for a
// table that is not one of the two above.
using SmallIoIndex = std::array<uint8_t, 256>;
const SmallIoIndex& SmallIndexOf(std::span<const IoRow> table, bool fmb);

// True when the model names an FMB-style device (or is empty).
bool IsFmbFamily(std::string_view model);

}  // namespace fleetd::teltonika
