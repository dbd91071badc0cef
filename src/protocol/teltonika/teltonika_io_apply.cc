// IoApplier (see teltonika_io_apply.h).
#include "protocol/teltonika/teltonika_io_apply.h"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstdio>
#include <string>

#include "fleetd/attribute_keys.h"

namespace fleetd::teltonika {
namespace {

int64_t SignExtend(uint64_t raw, uint8_t size) {
  if (size >= 8) return static_cast<int64_t>(raw);
  const unsigned shift = 64 - 8u * size;
  return static_cast<int64_t>(raw << shift) >> shift;
}

// Variable-length ids with a known layout.
constexpr uint16_t kVinIo = 256;
constexpr uint16_t kDtcIo = 281;
constexpr uint16_t kBleTagIos[] = {548, 10829, 10831};

// Lower-case hex digits, as ToHex writes them, into a string sized once.
std::string Hex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * bytes.size(), '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0xF];
  }
  return out;
}

constexpr uint64_t kAlarmTypePrefix = KeyPrefix(attr::kAlarmType);
constexpr uint64_t kDriverIdPrefix = KeyPrefix(attr::kDriverId);

}  // namespace

std::string_view IoKey(uint16_t id, char* buf) {
  buf[0] = 'i';
  buf[1] = 'o';
  auto [end, ec] = std::to_chars(buf + 2, buf + 8, id);
  (void)ec;  // a uint16_t always fits in 5 digits
  return std::string_view(buf, static_cast<size_t>(end - buf));
}

void IoApplier::FixedRow(const IoRow& r, uint16_t id, uint64_t raw, uint8_t size) {
  const IoRow* row = &r;
  const int64_t value = row->is_signed ? SignExtend(raw, size) : static_cast<int64_t>(raw);
  const double scaled = static_cast<double>(value) * row->scale;
  switch (row->target) {
    case IoTarget::kIgnition: msg_.ignition = value != 0; break;
    case IoTarget::kPowerV: msg_.power_v = scaled; break;
    case IoTarget::kBatteryV: msg_.battery_v = scaled; break;
    case IoTarget::kOdometerKm:
      if (!vehicle_odometer_) msg_.odometer_km = scaled;
      break;
    case IoTarget::kVehicleOdometerKm:
      msg_.odometer_km = scaled;
      vehicle_odometer_ = true;
      break;
    case IoTarget::kFuelPct: msg_.fuel_pct = scaled; break;
    case IoTarget::kEngineTempC: msg_.engine_temp_c = scaled; break;
    case IoTarget::kRpm: msg_.rpm = scaled; break;
    case IoTarget::kHdop: msg_.hdop = scaled; break;
    case IoTarget::kCellId:
      cell_id_ = static_cast<uint32_t>(raw);
      cell_id_io_ = id;
      break;
    case IoTarget::kLac: lac_ = static_cast<uint32_t>(raw); break;
    case IoTarget::kOperator: operator_ = static_cast<uint32_t>(raw); break;
    case IoTarget::kAlarm:
    case IoTarget::kGreenDriving:
      Defer(MakePending(kAlarmTypePrefix, attr::kAlarmType, row, raw, kNoBytes, size, Kind::kRow, kFixed));
      break;
    case IoTarget::kDriverId:
      Defer(MakePending(kDriverIdPrefix, attr::kDriverId, row, raw, kNoBytes, size, Kind::kRow, kFixed));
      break;
    case IoTarget::kBool:
      Defer(MakePending(row->key_prefix, row->key, row, value != 0, kNoBytes, size, Kind::kBool, kFixed));
      break;
    case IoTarget::kInt:
      Defer(MakePending(row->key_prefix, row->key, row, static_cast<uint64_t>(value), kNoBytes, size, Kind::kInt,
                        kFixed));
      break;
    case IoTarget::kDouble:
      Defer(MakePending(row->key_prefix, row->key, row, std::bit_cast<uint64_t>(scaled), kNoBytes, size,
                        Kind::kDouble, kFixed));
      break;
  }
}

void IoApplier::Apply(const Pending& p) {
  switch (p.kind) {
    case Kind::kInt: msg_.attributes.Append(p.key(), static_cast<int64_t>(p.raw)); return;
    case Kind::kBool: msg_.attributes.Append(p.key(), p.raw != 0); return;
    case Kind::kDouble: msg_.attributes.Append(p.key(), std::bit_cast<double>(p.raw)); return;
    case Kind::kHex: msg_.attributes.Append(p.key(), Hex(p.bytes())); return;
    case Kind::kText: msg_.attributes.Append(p.key(), std::string(p.bytes_data, p.bytes_data + p.bytes_size)); return;
    case Kind::kDtcs: {
      std::string codes(p.bytes_data, p.bytes_data + p.bytes_size);
      std::replace(codes.begin(), codes.end(), ',', ' ');
      msg_.attributes.Append(p.key(), std::move(codes));
      return;
    }
    case Kind::kRow: break;
  }
  const IoRow* row = p.row;
  const int64_t value = row->is_signed ? SignExtend(p.raw, p.size) : static_cast<int64_t>(p.raw);
  switch (row->target) {
    case IoTarget::kAlarm:
      if (value != 0) {
        msg_.alarm = row->alarm;
        if (!row->key.empty()) msg_.attributes.Append(attr::kAlarmType, std::string(row->key));
      }
      break;
    case IoTarget::kGreenDriving: {
      static constexpr std::string_view kTypes[] = {"hard_acceleration", "hard_braking", "hard_cornering"};
      if (value >= 1 && value <= 3) {
        msg_.alarm = Alarm::kGeneral;
        msg_.attributes.Append(attr::kAlarmType, std::string(kTypes[value - 1]));
      }
      break;
    }
    case IoTarget::kDriverId:
      if (p.raw != 0) {
        // The iButton id travels least significant byte first.
        uint64_t swapped = 0;
        for (int i = 0; i < 8; ++i) swapped = swapped << 8 | ((p.raw >> (8 * i)) & 0xFF);
        char text[17];
        std::snprintf(text, sizeof text, "%016llX", static_cast<unsigned long long>(swapped));
        msg_.attributes.Append(attr::kDriverId, std::string(text, 16));
      }
      break;
    default: break;  // schema fields and cell parts are applied by Fixed(), values by kind
  }
}

void IoApplier::Bytes(uint16_t id, std::span<const uint8_t> value) {
  if (id == kVinIo) {
    Defer(MakePending(KeyPrefix(attr::kVin), attr::kVin, nullptr, 0, value, 0, Kind::kText, kVariable));
    return;
  }
  if (id == kDtcIo) {
    Defer(MakePending(KeyPrefix(attr::kDtcs), attr::kDtcs, nullptr, 0, value, 0, Kind::kDtcs, kVariable));
    return;
  }
  if (std::find(std::begin(kBleTagIos), std::end(kBleTagIos), id) != std::end(kBleTagIos)) {
    BleTags(value);
    return;
  }
  if (id < kSmallIoKeys.size()) {
    const SmallIoKey& k = kSmallIoKeys[id];
    DeferSmallIo(id, MakePending(k.prefix, k.view(), nullptr, 0, value, 0, Kind::kHex, kVariable));
    return;
  }
  char local[8];
  const std::string_view key = IoKey(id, n_pending_ < kMaxPending ? io_keys_[n_pending_] : local);
  Defer(MakePending(KeyPrefix(key), key, nullptr, 0, value, 0, Kind::kHex, kVariable));
}

// BLE sensor list: a header byte, then per tag <len:1> and that many bytes of
// (parameter id:1, length:1, value) triples. fleetd keeps the first tag's
// battery voltage: parameter 2 (flags; bit 7 = a voltage byte follows, 2000 +
// 10 * v mV) or parameter 14 (mV, 2 bytes).
void IoApplier::BleTags(std::span<const uint8_t> value) {
  if (value.size() < 2) return;
  const size_t tag_len = value[1];
  auto tag = value.subspan(2, std::min(tag_len, value.size() - 2));
  size_t at = 0;
  constexpr uint64_t kPrefix = KeyPrefix(attr::kTagBatteryMv);
  while (at + 2 <= tag.size()) {
    const uint8_t param = tag[at];
    const size_t len = tag[at + 1];
    at += 2;
    if (at + len > tag.size()) break;
    auto v = tag.subspan(at, len);
    if (param == 2 && len >= 2 && (v[0] & 0x80)) {
      DeferInt(attr::kTagBatteryMv, kPrefix, uint64_t{2000} + 10 * v[1], kVariable);
    } else if (param == 14 && len == 2) {
      DeferInt(attr::kTagBatteryMv, kPrefix, uint64_t{v[0]} << 8 | v[1], kVariable);
    }
    at += len;
  }
}

bool IoApplier::OtherLess(const Other& a, const Other& b) const {
  if (a.prefix != b.prefix) return a.prefix < b.prefix;
  const Pending& x = pending_[a.slot];
  const Pending& y = pending_[b.slot];
  if (x.key() != y.key()) return x.key() < y.key();
  return x.phase < y.phase;
}

void IoApplier::Finish() {
  if (cell_id_ && lac_ && operator_ && *operator_ >= 1000) {
    // The operator code is MCC followed by a 2- or 3-digit MNC.
    const uint32_t op = *operator_;
    const uint32_t divisor = op >= 100000 ? 1000 : 100;
    msg_.cell = CellTower{op / divisor, op % divisor, *lac_, *cell_id_};
  } else {
    if (cell_id_) DeferIoInt(cell_id_io_, *cell_id_, kCellPart);
    if (lac_) DeferIoInt(206, *lac_, kCellPart);
    if (operator_) DeferIoInt(241, *operator_, kCellPart);
  }
  // One allocation of the exact size (small enough, it comes from the
  // allocator's per-thread cache).
  msg_.attributes.reserve(msg_.attributes.size() + n_others_ + n_small_);
  // The other keys in key order, then phase; stable, so that of two equal
  // keys in one phase the later is set last and wins. Insertion sort: they
  // are few (named attributes, ids above 255).
  for (size_t i = 1; i < n_others_; ++i) {
    const Other v = others_[i];
    size_t j = i;
    for (; j > 0 && OtherLess(v, others_[j - 1]); --j) others_[j] = others_[j - 1];
    others_[j] = v;
  }
  // Merge with the small io keys, taken from the bitmap in rank order. No
  // other key equals a small io key, so prefixes alone decide.
  size_t next_other = 0;
  for (size_t w = 0; w < 4; ++w) {
    for (uint64_t bits = small_present_[w]; bits != 0; bits &= bits - 1) {
      const size_t rank = w * 64 + static_cast<size_t>(std::countr_zero(bits));
      const Pending& small = pending_[small_slot_[rank]];
      while (next_other < n_others_ && others_[next_other].prefix < small.prefix) {
        Apply(pending_[others_[next_other++].slot]);
      }
      Apply(small);
    }
  }
  while (next_other < n_others_) Apply(pending_[others_[next_other++].slot]);
  n_pending_ = n_others_ = n_small_ = 0;
  std::fill(std::begin(small_present_), std::end(small_present_), 0);
}

}  // namespace fleetd::teltonika
