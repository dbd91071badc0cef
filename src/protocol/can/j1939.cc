// J1939 decoding (see j1939.h): one table row per parameter (SPN), so adding
// a parameter is adding a row, and the N/A rule is written once.
#include "protocol/can/j1939.h"

#include <algorithm>
#include <string>
#include <string_view>

#include "fleetd/attribute_keys.h"

namespace fleetd {
namespace {

// Where a decoded value goes.
enum class Target : uint8_t {
  kField,       // a Message field (`field`)
  kAttrDouble,  // attribute `key`, double
  kAttrInt,     // attribute `key`, int64: raw * scale, the scale a whole number
};

struct SpnRule {
  uint32_t pgn;
  uint16_t spn;
  uint8_t start;  // 1-based byte position, as J1939-71 numbers them
  uint8_t size;   // bytes: 1, 2 or 4, little-endian
  double scale;   // per bit
  double offset;
  Target target;
  std::optional<double> Message::*field;
  std::string_view key;
};

constexpr SpnRule kRules[] = {
    // SPN 190 engine speed: 0.125 rpm/bit.
    {kPgnEec1, 190, 4, 2, 0.125, 0, Target::kField, &Message::rpm, {}},
    // SPN 917 high resolution total vehicle distance: 5 m/bit.
    {kPgnVdhr, 917, 1, 4, 0.005, 0, Target::kField, &Message::odometer_km, {}},
    // SPN 245 total vehicle distance: 0.125 km/bit (bytes 1-4 are SPN 244, trip).
    {kPgnVd, 245, 5, 4, 0.125, 0, Target::kField, &Message::odometer_km, {}},
    // SPN 247 engine total hours of operation: 0.05 h/bit = 180 s/bit.
    {kPgnHours, 247, 1, 4, 180, 0, Target::kAttrInt, nullptr, attr::kEngineHoursS},
    // SPN 250 engine total fuel used: 0.5 L/bit (bytes 1-4 are SPN 182, trip).
    {kPgnLfc, 250, 5, 4, 0.5, 0, Target::kAttrDouble, nullptr, attr::kFuelUsedL},
    // SPN 110 engine coolant temperature: 1 degC/bit, -40 offset.
    {kPgnEt1, 110, 1, 1, 1, -40, Target::kField, &Message::engine_temp_c, {}},
    // SPN 84 wheel-based vehicle speed: 1/256 km/h per bit.
    {kPgnCcvs, 84, 2, 2, 1.0 / 256, 0, Target::kField, &Message::speed_kmh, {}},
    // SPN 96 fuel level 1: 0.4 %/bit.
    {kPgnDd, 96, 2, 1, 0.4, 0, Target::kField, &Message::fuel_pct, {}},
};

// Largest valid raw value per size: above it are J1939's reserved range,
// then 0xFE.. "error" and 0xFF.. "not available" (J1939-71 parameter ranges).
uint32_t MaxValid(uint8_t size) {
  switch (size) {
    case 1:
      return 0xFA;
    case 2:
      return 0xFAFF;
    default:
      return 0xFAFFFFFF;
  }
}

uint32_t ReadLittleEndian(std::span<const uint8_t> data, size_t at, uint8_t size) {
  uint32_t v = 0;
  for (size_t i = size; i > 0; --i) v = v << 8 | data[at + i - 1];
  return v;
}

void Put(const SpnRule& rule, uint32_t raw, Message& out) {
  const double value = raw * rule.scale + rule.offset;
  switch (rule.target) {
    case Target::kField:
      out.*rule.field = value;
      break;
    case Target::kAttrDouble:
      out.attributes.Set(rule.key, value);
      break;
    case Target::kAttrInt:
      out.attributes.Set(rule.key, static_cast<int64_t>(raw) * static_cast<int64_t>(rule.scale));
      break;
  }
}

}  // namespace

uint32_t J1939Pgn(uint32_t can_id) {
  const uint32_t pgn = (can_id >> 8) & 0x3FFFF;  // EDP, DP, PF, PS
  const uint32_t pdu_format = (pgn >> 8) & 0xFF;
  return pdu_format < 240 ? (pgn & 0x3FF00) : pgn;
}

Status ApplyJ1939(uint32_t pgn, std::span<const uint8_t> data, Message& out) {
  size_t needed = 0;
  bool known = false;
  for (const auto& rule : kRules) {
    if (rule.pgn != pgn) continue;
    known = true;
    needed = std::max<size_t>(needed, rule.start - 1 + rule.size);
  }
  if (!known) return Status(StatusCode::kUnsupported, "J1939 PGN " + std::to_string(pgn) + " not decoded");
  if (data.size() < needed) {
    return Status(StatusCode::kMalformed, "J1939 PGN " + std::to_string(pgn) + " needs " + std::to_string(needed) +
                                              " bytes, got " + std::to_string(data.size()));
  }
  for (const auto& rule : kRules) {
    if (rule.pgn != pgn) continue;
    const uint32_t raw = ReadLittleEndian(data, rule.start - 1, rule.size);
    if (raw <= MaxValid(rule.size)) Put(rule, raw, out);
  }
  return Status::Ok();
}

Status ApplyJ1939Frame(uint32_t can_id, std::span<const uint8_t> data, Message& out) {
  return ApplyJ1939(J1939Pgn(can_id), data, out);
}

}  // namespace fleetd
