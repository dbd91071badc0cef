// IoApplier (see teltonika_io_apply.h).
#include "protocol/teltonika/teltonika_io_apply.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>

#include "core/hex.h"
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

}  // namespace

std::string_view IoKey(uint16_t id, char* buf) {
  buf[0] = 'i';
  buf[1] = 'o';
  auto [end, ec] = std::to_chars(buf + 2, buf + 8, id);
  (void)ec;  // a uint16_t always fits in 5 digits
  return std::string_view(buf, static_cast<size_t>(end - buf));
}

void IoApplier::SetRaw(uint16_t id, int64_t value) {
  char buf[8];
  msg_.attributes.Set(IoKey(id, buf), value);
}

void IoApplier::HeaderInt(std::string_view key, int64_t value) {
  Defer(key, nullptr, static_cast<uint64_t>(value), 8);
}

void IoApplier::Defer(std::string_view key, const IoRow* row, uint64_t raw, uint8_t size) {
  unsigned char bytes[8] = {};
  std::memcpy(bytes, key.data(), std::min<size_t>(key.size(), 8));
  uint64_t prefix = 0;
  for (unsigned char b : bytes) prefix = prefix << 8 | b;  // compiles to a byte swap
  Pending p{prefix, key, row, raw, size};
  if (n_pending_ == kMaxPending) {
    Apply(p);
    return;
  }
  pending_[n_pending_] = p;
  order_[n_pending_] = static_cast<uint8_t>(n_pending_);
  ++n_pending_;
}

void IoApplier::Fixed(uint16_t id, uint64_t raw, uint8_t size) {
  const IoRow* row = FindIo(table_, id, fmb_);
  if (row == nullptr) {
    if (n_pending_ < kMaxPending) {
      Defer(IoKey(id, io_keys_[n_pending_]), nullptr, raw, size);
    } else {
      SetRaw(id, static_cast<int64_t>(raw));
    }
    return;
  }
  const int64_t value = row->is_signed ? SignExtend(raw, size) : static_cast<int64_t>(raw);
  const double scaled = static_cast<double>(value) * row->scale;
  switch (row->target) {
    case IoTarget::kIgnition: msg_.ignition = value != 0; break;
    case IoTarget::kPowerV: msg_.power_v = scaled; break;
    case IoTarget::kBatteryV: msg_.battery_v = scaled; break;
    case IoTarget::kOdometerKm: msg_.odometer_km = scaled; break;
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
    case IoTarget::kGreenDriving: Defer(attr::kAlarmType, row, raw, size); break;
    case IoTarget::kDriverId: Defer(attr::kDriverId, row, raw, size); break;
    default: Defer(row->key, row, raw, size); break;
  }
}

void IoApplier::Apply(const Pending& p) {
  const IoRow* row = p.row;
  if (row == nullptr) {
    msg_.attributes.Set(p.key, static_cast<int64_t>(p.raw));
    return;
  }
  const int64_t value = row->is_signed ? SignExtend(p.raw, p.size) : static_cast<int64_t>(p.raw);
  switch (row->target) {
    case IoTarget::kBool: msg_.attributes.Set(row->key, value != 0); break;
    case IoTarget::kInt: msg_.attributes.Set(row->key, value); break;
    case IoTarget::kDouble: msg_.attributes.Set(row->key, static_cast<double>(value) * row->scale); break;
    case IoTarget::kAlarm:
      if (value != 0) {
        msg_.alarm = row->alarm;
        if (!row->key.empty()) msg_.attributes.Set(attr::kAlarmType, std::string(row->key));
      }
      break;
    case IoTarget::kGreenDriving: {
      static constexpr std::string_view kTypes[] = {"hard_acceleration", "hard_braking", "hard_cornering"};
      if (value >= 1 && value <= 3) {
        msg_.alarm = Alarm::kGeneral;
        msg_.attributes.Set(attr::kAlarmType, std::string(kTypes[value - 1]));
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
        msg_.attributes.Set(attr::kDriverId, std::string(text, 16));
      }
      break;
    default: break;  // schema fields and cell parts are applied by Fixed()
  }
}

void IoApplier::Bytes(uint16_t id, std::span<const uint8_t> value) {
  if (id == kVinIo) {
    msg_.attributes.Set(attr::kVin, std::string(value.begin(), value.end()));
    return;
  }
  if (id == kDtcIo) {
    std::string codes(value.begin(), value.end());
    std::replace(codes.begin(), codes.end(), ',', ' ');
    msg_.attributes.Set(attr::kDtcs, std::move(codes));
    return;
  }
  if (std::find(std::begin(kBleTagIos), std::end(kBleTagIos), id) != std::end(kBleTagIos)) {
    BleTags(value);
    return;
  }
  char buf[8];
  msg_.attributes.Set(IoKey(id, buf), ToHex(value));
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
  while (at + 2 <= tag.size()) {
    const uint8_t param = tag[at];
    const size_t len = tag[at + 1];
    at += 2;
    if (at + len > tag.size()) break;
    auto v = tag.subspan(at, len);
    if (param == 2 && len >= 2 && (v[0] & 0x80)) {
      msg_.attributes.Set(attr::kTagBatteryMv, int64_t{2000 + 10 * v[1]});
    } else if (param == 14 && len == 2) {
      msg_.attributes.Set(attr::kTagBatteryMv, int64_t{v[0] << 8 | v[1]});
    }
    at += len;
  }
}

void IoApplier::Finish() {
  // Key order, stable so that a repeated key keeps its last value as direct
  // sets would. Insertion sort: a record has a few dozen elements at most.
  auto less = [this](uint8_t a, uint8_t b) {
    const Pending& x = pending_[a];
    const Pending& y = pending_[b];
    return x.prefix != y.prefix ? x.prefix < y.prefix : x.key < y.key;
  };
  for (size_t i = 1; i < n_pending_; ++i) {
    const uint8_t v = order_[i];
    size_t j = i;
    for (; j > 0 && less(v, order_[j - 1]); --j) order_[j] = order_[j - 1];
    order_[j] = v;
  }
  for (size_t i = 0; i < n_pending_; ++i) Apply(pending_[order_[i]]);
  n_pending_ = 0;
  if (cell_id_ && lac_ && operator_ && *operator_ >= 1000) {
    // The operator code is MCC followed by a 2- or 3-digit MNC.
    const uint32_t op = *operator_;
    const uint32_t divisor = op >= 100000 ? 1000 : 100;
    msg_.cell = CellTower{op / divisor, op % divisor, *lac_, *cell_id_};
    return;
  }
  if (cell_id_) SetRaw(cell_id_io_, *cell_id_);
  if (lac_) SetRaw(206, *lac_);
  if (operator_) SetRaw(241, *operator_);
}

}  // namespace fleetd::teltonika
