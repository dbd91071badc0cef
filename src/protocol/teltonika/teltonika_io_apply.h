// IoApplier: applies a record's IO elements to its Message through an IO
// table (teltonika_io_table.h). Unmapped ids become "io<id>" attributes.
//
// This is the decoder's hot path (a record carries 5 to 30 elements), so
// nothing is set as it arrives: schema fields are written at once, and every
// attribute is collected and set by Finish() in key order, each one
// appending to the message's sorted attribute vector instead of shifting
// it. Keys "io0".."io255" (most unmapped elements) are ordered by a
// precomputed rank, without comparisons; the few other keys are sorted by
// their 8-byte prefix (precomputed for table keys), and the two sequences
// merged. Variable-length values are kept as views into the frame until
// then. The cell tower parts (cell id, LAC, operator) are combined in
// Finish() too. Internal to teltonika.
#pragma once

#include <cassert>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

#include "fleetd/message.h"
#include "protocol/teltonika/teltonika_io_keys.h"
#include "protocol/teltonika/teltonika_io_table.h"

namespace fleetd::teltonika {

class IoApplier {
 public:
  IoApplier(Message& msg, std::span<const IoRow> table, bool fmb)
      : msg_(msg), table_(table), small_index_(SmallIndexOf(table, fmb)), fmb_(fmb) {}

  // An integer attribute from the record header (priority, event id, ...);
  // `prefix` is KeyPrefix(key), computed at compile time by the caller.
  void HeaderInt(std::string_view key, uint64_t prefix, int64_t value);
  // A fixed-size element: `raw` holds `size` (1, 2, 4 or 8) big-endian bytes.
  void Fixed(uint16_t id, uint64_t raw, uint8_t size);
  // A 16-byte (extended) or variable-length (codec 8E) element. `value`
  // must stay valid until Finish() (it points into the frame).
  void Bytes(uint16_t id, std::span<const uint8_t> value);
  // Sets the collected attributes in key order, and Message::cell when a
  // cell id, LAC and operator were all reported (otherwise the parts that
  // were stay io<id> attributes). Of two values for one key the later
  // wins, except that a variable-length value loses to a fixed one and,
  // past kMaxPending elements (set at once), a collected value wins.
  void Finish();

 private:
  static constexpr size_t kMaxPending = 48;  // more elements than this are set directly

  enum class Kind : uint8_t {
    kInt,     // `raw` is the attribute's integer value
    kBool,    // `raw` is 0 or 1
    kDouble,  // `raw` holds the double's bits
    kRow,     // `raw` is converted by `row` (alarms, iButton)
    kHex,     // `bytes` as hex digits
    kText,    // `bytes` as text (VIN)
    kDtcs,    // `bytes` as comma-separated codes, written space-separated
  };
  // Ties between equal keys: the lower phase is set first, so loses.
  enum Phase : uint8_t { kVariable = 0, kFixed = 1, kCellPart = 2 };

  // Plain pointers and sizes rather than string_view and span, so that the
  // array of them needs no initialisation per record.
  struct Pending {
    uint64_t prefix;  // KeyPrefix(key()): orders keys without a memcmp
    const char* key_data;
    const uint8_t* bytes_data;
    const IoRow* row;
    uint64_t raw;
    uint32_t bytes_size;
    uint8_t key_size;  // attribute keys are short (asserted)
    uint8_t size;
    Kind kind;
    Phase phase;
    std::string_view key() const { return {key_data, key_size}; }
    std::span<const uint8_t> bytes() const { return {bytes_data, bytes_size}; }
  };
  static_assert(std::is_trivially_default_constructible_v<Pending>);
  static constexpr std::span<const uint8_t> kNoBytes = {};

  static Pending MakePending(uint64_t prefix, std::string_view key, const IoRow* row, uint64_t raw,
                             std::span<const uint8_t> bytes, uint8_t size, Kind kind, Phase phase) {
    assert(key.size() <= 255);
    return Pending{prefix, key.data(), bytes.data(), row, raw, static_cast<uint32_t>(bytes.size()),
                   static_cast<uint8_t>(key.size()), size, kind, phase};
  }

  // A key that is not "io0".."io255", with its prefix, for sorting.
  struct Other {
    uint64_t prefix;
    uint8_t slot;  // in pending_
  };

  void FixedRow(const IoRow& row, uint16_t id, uint64_t raw, uint8_t size);
  void Apply(const Pending& p);
  void Defer(const Pending& p);
  void DeferSmallIo(uint16_t id, const Pending& p);
  void DeferInt(std::string_view key, uint64_t prefix, uint64_t value, Phase phase);
  void DeferIoInt(uint16_t id, uint64_t value, Phase phase);
  void BleTags(std::span<const uint8_t> value);
  bool OtherLess(const Other& a, const Other& b) const;

  Message& msg_;
  std::span<const IoRow> table_;
  const SmallIoIndex& small_index_;
  bool fmb_;
  std::optional<uint32_t> cell_id_, lac_, operator_;
  uint16_t cell_id_io_ = 0;
  bool vehicle_odometer_ = false;  // odometer_km came from the vehicle (CAN): the GNSS odometer no longer applies
  Pending pending_[kMaxPending];  // trivially constructible: no per-record initialisation
  size_t n_pending_ = 0;
  // "io0".."io255" need no sorting: a bit per key in key order (rank from
  // kSmallIoOrder), and the pending_ slot of each key whose bit is set.
  uint64_t small_present_[4] = {};
  uint8_t small_slot_[256];
  size_t n_small_ = 0;  // bits set in small_present_
  // Every other key, sorted by Finish().
  Other others_[kMaxPending];
  size_t n_others_ = 0;
  char io_keys_[kMaxPending][8];  // "io<id>" text for ids above 255
};

// "io<id>" into `buf` (at least 8 bytes); returns the view.
std::string_view IoKey(uint16_t id, char* buf);

// The per-element calls, inline: a record has dozens of elements.

inline void IoApplier::Defer(const Pending& p) {
  if (n_pending_ == kMaxPending) {
    Apply(p);
    return;
  }
  pending_[n_pending_] = p;
  others_[n_others_++] = Other{p.prefix, static_cast<uint8_t>(n_pending_++)};
}

// "io<id>" for id < 256. Of two values for one key, the one of the higher
// phase wins, or the later of one phase: the value a sorted stable
// application would leave. Past kMaxPending elements values are set at
// once, so a pending value for the same key overrides them.
inline void IoApplier::DeferSmallIo(uint16_t id, const Pending& p) {
  const uint8_t rank = kSmallIoOrder.rank[id];
  uint64_t& word = small_present_[rank >> 6];
  const uint64_t bit = uint64_t{1} << (rank & 63);
  if (word & bit && n_pending_ < kMaxPending) {
    Pending& old = pending_[small_slot_[rank]];
    if (p.phase >= old.phase) old = p;
    return;
  }
  if (n_pending_ == kMaxPending) {
    Apply(p);
    return;
  }
  word |= bit;
  ++n_small_;
  small_slot_[rank] = static_cast<uint8_t>(n_pending_);
  pending_[n_pending_++] = p;
}

inline void IoApplier::DeferInt(std::string_view key, uint64_t prefix, uint64_t value, Phase phase) {
  Defer(MakePending(prefix, key, nullptr, value, kNoBytes, 8, Kind::kInt, phase));
}

inline void IoApplier::HeaderInt(std::string_view key, uint64_t prefix, int64_t value) {
  assert(prefix == KeyPrefix(key));
  DeferInt(key, prefix, static_cast<uint64_t>(value), kFixed);
}

inline void IoApplier::DeferIoInt(uint16_t id, uint64_t value, Phase phase) {
  if (id < kSmallIoKeys.size()) {
    const SmallIoKey& k = kSmallIoKeys[id];
    DeferSmallIo(id, MakePending(k.prefix, k.view(), nullptr, value, kNoBytes, 8, Kind::kInt, phase));
    return;
  }
  char local[8];
  const std::string_view key = IoKey(id, n_pending_ < kMaxPending ? io_keys_[n_pending_] : local);
  DeferInt(key, KeyPrefix(key), value, phase);  // set at once (from `local`) when the list is full
}

inline void IoApplier::Fixed(uint16_t id, uint64_t raw, uint8_t size) {
  const IoRow* row;
  if (id < small_index_.size()) {
    const uint8_t at = small_index_[id];
    row = at == 0 ? nullptr : &table_[at - 1];
  } else {
    row = FindIo(table_, id, fmb_);
  }
  if (row == nullptr) {
    DeferIoInt(id, raw, kFixed);
  } else {
    FixedRow(*row, id, raw, size);
  }
}

}  // namespace fleetd::teltonika
