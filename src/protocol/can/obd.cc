// OBD-II decoding (see obd.h): one table row per PID, each with its length
// and formula, so adding a PID is adding a row.
#include "protocol/can/obd.h"

#include <cmath>
#include <string_view>

#include "fleetd/attribute_keys.h"

namespace fleetd {
namespace {

using Bytes = std::span<const uint8_t>;

// A is data[0], B is data[1]; the formulas are SAE J1979's.
struct PidRule {
  uint8_t pid;
  uint8_t size;  // data bytes
  double (*value)(Bytes d);
  std::optional<double> Message::*field;  // or nullptr: attribute `key`
  std::string_view key;
  bool as_int;  // attribute stored as int64 (the formula yields whole numbers)
};

double Ab(Bytes d) { return d[0] * 256.0 + d[1]; }

constexpr PidRule kPids[] = {
    {0x04, 1, [](Bytes d) { return d[0] * 100.0 / 255; }, nullptr, attr::kEngineLoadPct, false},
    {0x05, 1, [](Bytes d) { return d[0] - 40.0; }, &Message::engine_temp_c, {}, false},
    {0x0C, 2, [](Bytes d) { return Ab(d) / 4; }, &Message::rpm, {}, false},
    {0x0D, 1, [](Bytes d) { return static_cast<double>(d[0]); }, &Message::speed_kmh, {}, false},
    {0x11, 1, [](Bytes d) { return d[0] * 100.0 / 255; }, nullptr, attr::kThrottlePct, false},
    {0x21, 2, [](Bytes d) { return Ab(d); }, nullptr, attr::kMilDistanceKm, true},
    {0x2F, 1, [](Bytes d) { return d[0] * 100.0 / 255; }, &Message::fuel_pct, {}, false},
    {0x31, 2, [](Bytes d) { return Ab(d); }, nullptr, attr::kDtcClearedDistanceKm, true},
    {0x46, 1, [](Bytes d) { return d[0] - 40.0; }, nullptr, attr::kAmbientTempC, false},
    {0x5E, 2, [](Bytes d) { return Ab(d) / 20; }, nullptr, attr::kFuelRateLph, false},
};

const PidRule* FindPid(uint8_t pid) {
  for (const auto& rule : kPids) {
    if (rule.pid == pid) return &rule;
  }
  return nullptr;
}

void Apply(const PidRule& rule, double value, Message& out) {
  if (rule.field != nullptr) {
    out.*rule.field = value;
  } else if (rule.as_int) {
    out.attributes.Set(rule.key, static_cast<int64_t>(value));
  } else {
    out.attributes.Set(rule.key, value);
  }
}

std::string PidName(uint8_t pid) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  return std::string("OBD PID 0x") + kHex[pid >> 4] + kHex[pid & 0xF];
}

}  // namespace

Status ApplyObdPid(uint8_t pid, std::span<const uint8_t> data, Message& out) {
  const PidRule* rule = FindPid(pid);
  if (rule == nullptr) return Status(StatusCode::kUnsupported, PidName(pid) + " not decoded");
  if (data.size() < rule->size) {
    return Status(StatusCode::kMalformed, PidName(pid) + " needs " + std::to_string(rule->size) + " data bytes");
  }
  Apply(*rule, rule->value(data.first(rule->size)), out);
  return Status::Ok();
}

Status ApplyObdPidValue(uint8_t pid, double value, Message& out) {
  const PidRule* rule = FindPid(pid);
  if (rule == nullptr) return Status(StatusCode::kUnsupported, PidName(pid) + " not decoded");
  if (!std::isfinite(value)) return Status(StatusCode::kMalformed, PidName(pid) + " value is not a number");
  if (pid == kObdPidVehicleSpeed) {
    out.attributes.Set(attr::kVehicleSpeedKmh, value);  // speed_kmh stays the tracker's GNSS speed
    return Status::Ok();
  }
  Apply(*rule, value, out);
  return Status::Ok();
}

Status ApplyObdResponse(std::span<const uint8_t> response, Message& out) {
  if (response.empty() || response[0] != kObdResponseCurrentData) {
    return Status(StatusCode::kUnsupported, "not a positive OBD mode 01 answer");
  }
  if (response.size() < 2) return Status(StatusCode::kMalformed, "OBD mode 01 answer without a PID");
  return ApplyObdPid(response[1], response.subspan(2), out);
}

std::string DecodeDtc(uint8_t a, uint8_t b) {
  static constexpr char kSystems[] = "PCBU";
  static constexpr char kHex[] = "0123456789ABCDEF";
  return {kSystems[a >> 6], kHex[(a >> 4) & 0x3], kHex[a & 0xF], kHex[b >> 4], kHex[b & 0xF]};
}

Status ApplyObdDtcs(std::span<const uint8_t> pairs, Message& out) {
  if (pairs.size() % 2 != 0) return Status(StatusCode::kMalformed, "OBD trouble codes: odd byte count");
  std::string codes;
  for (size_t i = 0; i < pairs.size(); i += 2) {
    if (pairs[i] == 0 && pairs[i + 1] == 0) continue;
    if (!codes.empty()) codes += ' ';
    codes += DecodeDtc(pairs[i], pairs[i + 1]);
  }
  if (!codes.empty()) out.attributes.Set(attr::kDtcs, std::move(codes));
  return Status::Ok();
}

}  // namespace fleetd
