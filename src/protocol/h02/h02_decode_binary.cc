// The binary `$` position: BCD id, time, date and coordinates, a battery
// byte, a flags nibble (valid, N, E), BCD speed and course, the status word.
// Offsets come from the layout in h02_wire.h; extra bytes of the 45/48-byte
// variants are not decoded (docs/protocols/h02.md).
#include "core/time_util.h"
#include "fleetd/attribute_keys.h"
#include "protocol/h02/h02_handlers.h"
#include "protocol/h02/h02_wire.h"

namespace fleetd::h02 {
namespace {

Status OutOfRange(const char* why) { return Status(StatusCode::kOutOfRange, why); }

// The k-th BCD nibble from `at` (FitsLayout has checked they are digits).
int Nibble(std::span<const uint8_t> f, size_t at, size_t k) {
  const uint8_t b = f[at + k / 2];
  return k % 2 == 0 ? b >> 4 : b & 0x0F;
}

int Digits(std::span<const uint8_t> f, size_t at, size_t first, size_t count) {
  int value = 0;
  for (size_t k = first; k < first + count; ++k) value = value * 10 + Nibble(f, at, k);
  return value;
}

// The battery byte: 1..6 is a level step, 7..100 a percentage, 0 unknown.
std::optional<int64_t> BatteryPercent(uint8_t value) {
  if (value == 0 || value > 100) return std::nullopt;
  if (value <= 3) return (value - 1) * 10;
  if (value <= 6) return (value - 1) * 20;
  return value;
}

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

Status DecodeBinary(std::span<const uint8_t> frame, bool lenient, Message& msg) {
  Fit fit;
  const BinaryLayout* layout = DetectLayout(frame, fit);
  if (layout == nullptr || fit != Fit::kYes) {
    return Status(StatusCode::kMalformed, "binary frame does not follow the layout");
  }
  bool known_size = false;
  for (size_t size : layout->sizes) known_size |= frame.size() == size;
  if (!known_size && !lenient) return Status(StatusCode::kBadLength, "binary frame of an unknown size");

  char id[16];
  for (size_t i = 0; i < layout->id_bytes; ++i) {
    id[2 * i] = kHex[frame[1 + i] >> 4];
    id[2 * i + 1] = kHex[frame[1 + i] & 0x0F];
  }
  const size_t id_length = layout->id_bytes == kLongId.id_bytes ? 15 : 2 * layout->id_bytes;

  const size_t t = layout->time_at;
  const int day = Bcd(frame[t + 3]), month = Bcd(frame[t + 4]), year = Bcd(frame[t + 5]);
  if (day != 0 || month != 0 || year != 0) {
    msg.ts = MakeTimestamp(2000 + year, month, day, Bcd(frame[t]), Bcd(frame[t + 1]), Bcd(frame[t + 2]));
    if (!msg.ts) return OutOfRange("impossible date");
  }

  const int lat_degrees = Digits(frame, layout->lat_at, 0, 2);
  const double lat_minutes = Digits(frame, layout->lat_at, 2, 6) / 10000.0;
  const int lng_degrees = Digits(frame, layout->lon_at, 0, 3);
  const double lng_minutes = Digits(frame, layout->lon_at, 3, 6) / 10000.0;
  const int flags = Nibble(frame, layout->lon_at, 9);
  if (lat_minutes >= 60 || lng_minutes >= 60) return OutOfRange("coordinate minutes >= 60");
  const double lat = lat_degrees + lat_minutes / 60.0, lng = lng_degrees + lng_minutes / 60.0;
  if (lat > 90 || lng > 180) return OutOfRange("coordinate beyond +-90/180 degrees");
  msg.valid = (flags & 0x2) != 0;
  if (lat != 0 || lng != 0) {  // (0, 0): no fix yet
    msg.lat = (flags & 0x4) != 0 ? lat : -lat;
    msg.lng = (flags & 0x8) != 0 ? lng : -lng;
  }

  const int course = Digits(frame, layout->speed_at, 3, 3);
  if (course > 360) return OutOfRange("course outside 0..360");
  msg.speed_kmh = Digits(frame, layout->speed_at, 0, 3) * kKnotsToKmh;
  msg.heading = course == 360 ? 0 : course;

  if (auto battery = BatteryPercent(frame[layout->battery_at])) msg.attributes.Set(attr::kBatteryLevel, *battery);
  const size_t s = layout->status_at;
  ApplyStatus(static_cast<uint32_t>(frame[s]) << 24 | static_cast<uint32_t>(frame[s + 1]) << 16 |
                  static_cast<uint32_t>(frame[s + 2]) << 8 | frame[s + 3],
              msg);
  msg.device_uid.assign(id, id_length);
  return Status::Ok();
}

}  // namespace fleetd::h02
