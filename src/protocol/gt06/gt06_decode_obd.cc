// GT06 handlers for the Concox OBD messages (FM08ABC-style OBD trackers, 0x7979
// framing): 0x8C, OBD data under Concox's own item ids, and 0x66, PID data
// under OBD-II mode 01 PIDs, whose values go through the shared OBD table
// (src/protocol/can/obd.h) so that a PID lands in the same field whichever
// tracker sent it. Both carry device time, one status byte, "key=value,"
// ASCII pairs with hex values in hundredths of the unit, and a 12-byte block
// fleetd does not use. Layouts: docs/protocols/gt06.md.
#include <charconv>
#include <string>
#include <string_view>

#include "fleetd/attribute_keys.h"
#include "protocol/can/obd.h"
#include "protocol/gt06/gt06_handlers.h"

namespace fleetd::gt06 {
namespace {

constexpr size_t kTrailerSize = 12;  // after the pairs: a GPS block fleetd does not use
constexpr uint8_t kPidKeyPrefix = 0x21;  // 0x66 keys are 21<PID> ("2105": coolant temperature)

// Calls on_pair(key, value) for each "key=value" of a comma-separated list;
// empty or malformed pairs are skipped. The loop ends with the text.
template <typename F>
void ForEachPair(std::string_view text, F on_pair) {
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view pair = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    on_pair(pair.substr(0, eq), pair.substr(eq + 1));
  }
}

template <typename T>
bool ParseHex(std::string_view s, T& out) {
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 16);
  return ec == std::errc() && end == s.data() + s.size();
}

// 0x8C items: the first two hex digits of the key are Concox's item id.
void ApplyObdItem(std::string_view key, std::string_view value, Message& m) {
  unsigned item = 0;
  if (key.size() < 2 || !ParseHex(key.substr(0, 2), item)) return;
  if (item == 0x4A) {
    if (!value.empty()) m.attributes.Set(attr::kVin, std::string(value));
    return;
  }
  uint64_t raw = 0;
  if (!ParseHex(value, raw)) return;
  const double v = static_cast<double>(raw) / 100;
  switch (item) {
    case 0x2B: m.fuel_pct = v; break;
    case 0x2D: m.engine_temp_c = v; break;
    case 0x35: m.attributes.Set(attr::kVehicleSpeedKmh, v); break;
    case 0x36: m.rpm = v; break;
    case 0x47: m.attributes.Set(attr::kFuelUsedL, v); break;
    default: break;  // ids whose unit is not established (0x28, 0x49, ...) are not kept
  }
}

// 0x66 PIDs: key 21<PID>, the value already in the PID's unit (x100).
void ApplyPidItem(std::string_view key, std::string_view value, Message& m) {
  uint16_t id = 0;
  uint64_t raw = 0;
  if (key.size() != 4 || !ParseHex(key, id) || (id >> 8) != kPidKeyPrefix || !ParseHex(value, raw)) return;
  // A PID the shared table does not decode (MAF, intake pressure, ...) is left out.
  (void)ApplyObdPidValue(static_cast<uint8_t>(id & 0xFF), static_cast<double>(raw) / 100, m);
}

// Device time, the status byte, then the pairs; `ignition_byte`: the status
// byte is the ignition (0x8C).
template <typename F>
Status DecodePairs(Context& c, bool ignition_byte, F on_pair) {
  ByteReader r(c.packet.content);
  TimestampMs device_time = 0;
  if (Status s = ReadDate(r, device_time); !s.ok()) return s;
  SetDeviceTime(c.msg, device_time);
  const uint8_t status = r.U8();
  if (!r.ok()) return Truncated();
  if (ignition_byte) c.msg.ignition = status > 0;
  if (r.remaining() < kTrailerSize) return Status::Ok();
  const auto text = r.Bytes(r.remaining() - kTrailerSize);
  ForEachPair(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()),
              [&](std::string_view key, std::string_view value) { on_pair(key, value, c.msg); });
  return r.ok() ? Status::Ok() : Truncated();
}

}  // namespace

Status DecodeObd(Context& c) { return DecodePairs(c, true, ApplyObdItem); }

Status DecodePid(Context& c) { return DecodePairs(c, false, ApplyPidItem); }

}  // namespace fleetd::gt06
