// The internal message schema, v1: one normalized message for every protocol.
//
// Every decoder produces these, the queue carries them, the store keeps them
// and the API returns them as JSON (names in docs/schema.md). A quantity the
// device did not report is an empty optional: unknown is absent, never 0.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace fleetd {

enum class MessageKind { kPosition, kLogin, kHeartbeat, kAlarm, kStatus, kTelemetry, kOther };
std::string_view MessageKindName(MessageKind kind);
std::optional<MessageKind> ParseMessageKind(std::string_view name);

enum class Alarm {
  kSos,
  kOverspeed,
  kPowerCut,
  kLowBattery,
  kVibration,
  kGeofenceEnter,
  kGeofenceExit,
  kMovement,
  kTampering,
  kAccident,
  kLowPower,
  kFall,
  kDoor,
  kPowerOff,
  kPowerOn,
  kJamming,
  kGeneral,
};
std::string_view AlarmName(Alarm alarm);
std::optional<Alarm> ParseAlarm(std::string_view name);

// Protocol extras. Keys are declared in attribute_keys.h, never made up inline.
using AttributeValue = std::variant<bool, int64_t, double, std::string>;

// A small sorted map of attributes. A message has a handful of them, set by
// one decoder mostly in key order, so a sorted vector beats a node-based map:
// one allocation per message instead of one per key, and short keys stay in
// the string's inline buffer. The interface is the subset of std::map that
// fleetd uses.
class Attributes {
 public:
  using value_type = std::pair<std::string, AttributeValue>;
  using iterator = std::vector<value_type>::iterator;
  using const_iterator = std::vector<value_type>::const_iterator;

  iterator begin() { return items_.begin(); }
  iterator end() { return items_.end(); }
  const_iterator begin() const { return items_.begin(); }
  const_iterator end() const { return items_.end(); }
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  void clear() { items_.clear(); }
  void reserve(size_t n) { items_.reserve(n); }

  iterator find(std::string_view key) {
    auto it = LowerBound(key);
    return it != items_.end() && it->first == key ? it : items_.end();
  }
  const_iterator find(std::string_view key) const {
    auto it = const_cast<Attributes*>(this)->LowerBound(key);
    return it != items_.end() && it->first == key ? const_iterator(it) : items_.end();
  }
  bool contains(std::string_view key) const { return find(key) != end(); }
  size_t count(std::string_view key) const { return contains(key) ? 1 : 0; }

  // Precondition: the key is present (checked by assert, like std::map::at's throw).
  const AttributeValue& at(std::string_view key) const {
    auto it = find(key);
    assert(it != end());
    return it->second;
  }

  AttributeValue& operator[](std::string_view key) {
    auto it = LowerBound(key);
    if (it == items_.end() || it->first != key) {
      if (items_.capacity() == 0) {
        items_.reserve(kTypicalCount);
        it = items_.end();
      }
      it = items_.emplace(it, std::string(key), AttributeValue{});
    }
    return it->second;
  }

  // Sets key to value; the decoders' hot path (no temporary key string).
  void Set(std::string_view key, AttributeValue value) {
    if (items_.capacity() == 0) items_.reserve(kTypicalCount);
    auto it = LowerBound(key);
    if (it != items_.end() && it->first == key) {
      it->second = std::move(value);
      return;
    }
    items_.emplace(it, std::piecewise_construct, std::forward_as_tuple(key),
                   std::forward_as_tuple(std::move(value)));
  }

  // Sets key to value, fastest when key sorts after every key present (as
  // when a decoder produces its attributes in key order): then it is
  // appended without a search. Any other key is set as by Set().
  template <typename V>
    requires std::is_constructible_v<AttributeValue, V&&>
  void Append(std::string_view key, V&& value) {
    if (!items_.empty() && !Less(items_.back().first, key)) {
      Set(key, AttributeValue(std::forward<V>(value)));
      return;
    }
    if (items_.capacity() == 0) items_.reserve(kTypicalCount);
    items_.emplace_back(std::piecewise_construct, std::forward_as_tuple(key),
                        std::forward_as_tuple(std::forward<V>(value)));
  }

  std::pair<iterator, bool> insert_or_assign(std::string key, AttributeValue value) {
    if (items_.capacity() == 0) items_.reserve(kTypicalCount);
    auto it = LowerBound(key);
    if (it != items_.end() && it->first == key) {
      it->second = std::move(value);
      return {it, false};
    }
    return {items_.emplace(it, std::move(key), std::move(value)), true};
  }
  // The hint is ignored; appending in key order is the fast path anyway.
  iterator insert_or_assign(const_iterator, std::string key, AttributeValue value) {
    return insert_or_assign(std::move(key), std::move(value)).first;
  }

  iterator erase(const_iterator it) { return items_.erase(it); }
  size_t erase(std::string_view key) {
    auto it = find(key);
    if (it == items_.end()) return 0;
    items_.erase(it);
    return 1;
  }

  bool operator==(const Attributes&) const = default;

 private:
  static constexpr size_t kTypicalCount = 8;  // one allocation for most messages

  // Lexicographic order (as std::string_view's), compared inline: keys are
  // short and mostly differ in their first byte, which is checked first;
  // a loop over the rest beats a memcmp call.
  static bool Less(std::string_view a, std::string_view b) {
    if (!a.empty() && !b.empty() && a[0] != b[0]) return static_cast<unsigned char>(a[0]) < static_cast<unsigned char>(b[0]);
    const size_t n = std::min(a.size(), b.size());
    for (size_t i = 1; i < n; ++i) {
      if (a[i] != b[i]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]);
    }
    return a.size() < b.size();
  }

  iterator LowerBound(std::string_view key) {
    // Decoders append in key order: check the end first.
    if (items_.empty() || Less(items_.back().first, key)) return items_.end();
    return std::lower_bound(items_.begin(), items_.end(), key,
                            [](const value_type& item, std::string_view k) { return Less(item.first, k); });
  }

  std::vector<value_type> items_;
};

// The serving cell tower (LBS). Typed rather than four attributes because
// most tracker protocols report it, it feeds cell-based location, and it is
// on the hot path of every GT06 position. In JSON it appears as the
// attributes mcc, mnc, lac and cell_id (docs/schema.md).
struct CellTower {
  int64_t mcc = 0;
  int64_t mnc = 0;
  int64_t lac = 0;
  int64_t cell_id = 0;
  bool operator==(const CellTower&) const = default;
};

// Milliseconds since the Unix epoch, UTC.
using TimestampMs = int64_t;

struct Message {
  // User-provided, so that value-initialization (Message{}, emplace_back())
  // does not zero the whole object before the members' own initializers.
  Message() noexcept {}

  std::string device_uid;   // what the device calls itself: IMEI for trackers
  std::string protocol;     // registry name of the protocol that decoded it
  MessageKind kind = MessageKind::kPosition;
  std::optional<TimestampMs> ts;  // fix time
  TimestampMs received_at = 0;    // when fleetd read the frame
  std::optional<bool> valid;      // the device's own fix-validity flag
  std::optional<double> lat;
  std::optional<double> lng;
  std::optional<double> altitude_m;
  std::optional<double> speed_kmh;
  std::optional<double> heading;  // degrees clockwise from north, [0, 360)
  std::optional<int> satellites;
  std::optional<double> hdop;
  std::optional<bool> ignition;
  std::optional<double> odometer_km;
  std::optional<double> battery_v;
  std::optional<double> power_v;
  std::optional<double> fuel_pct;
  std::optional<double> engine_temp_c;
  std::optional<double> rpm;
  std::optional<Alarm> alarm;
  std::optional<CellTower> cell;
  Attributes attributes;

  bool has_position() const { return lat.has_value() && lng.has_value(); }
  bool operator==(const Message&) const = default;
};

// The event a message raises: its alarm, when it has one and a fix time
// (the time is the event's identity — dedup in the stores, and the order
// subscribers see). The one rule for the event stream and the stores'
// event rows.
inline std::optional<Alarm> EventAlarm(const Message& m) { return m.ts ? m.alarm : std::nullopt; }

}  // namespace fleetd
