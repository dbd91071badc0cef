// IoApplier: applies a record's IO elements to its Message through an IO
// table (teltonika_io_table.h). Unmapped ids become "io<id>" attributes,
// built in a small buffer. Attributes are collected and set by Finish() in
// key order, so that each one appends to the message's sorted attribute
// vector instead of shifting it (the decoder's hot path). The cell tower
// parts (cell id, LAC, operator) are combined there too. Internal to teltonika.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "fleetd/message.h"
#include "protocol/teltonika/teltonika_io_table.h"

namespace fleetd::teltonika {

class IoApplier {
 public:
  IoApplier(Message& msg, std::span<const IoRow> table, bool fmb) : msg_(msg), table_(table), fmb_(fmb) {}

  // An integer attribute from the record header (priority, event id, ...).
  void HeaderInt(std::string_view key, int64_t value);
  // A fixed-size element: `raw` holds `size` (1, 2, 4 or 8) big-endian bytes.
  void Fixed(uint16_t id, uint64_t raw, uint8_t size);
  // A 16-byte (extended) or variable-length (codec 8E) element.
  void Bytes(uint16_t id, std::span<const uint8_t> value);
  // Sets the collected attributes in key order, and Message::cell when a
  // cell id, LAC and operator were all reported (otherwise the parts that
  // were stay io<id> attributes).
  void Finish();

 private:
  static constexpr size_t kMaxPending = 48;  // more elements than this are set directly
  struct Pending {
    uint64_t prefix;   // the key's first 8 bytes, big-endian: orders most keys without memcmp
    std::string_view key;
    const IoRow* row;  // nullptr: `raw` is the attribute's integer value
    uint64_t raw;
    uint8_t size;
  };

  void SetRaw(uint16_t id, int64_t value);
  void Apply(const Pending& p);
  void Defer(std::string_view key, const IoRow* row, uint64_t raw, uint8_t size);
  void BleTags(std::span<const uint8_t> value);

  Message& msg_;
  std::span<const IoRow> table_;
  bool fmb_;
  std::optional<uint32_t> cell_id_, lac_, operator_;
  uint16_t cell_id_io_ = 0;
  Pending pending_[kMaxPending];  // trivially constructible: no per-record initialisation
  char io_keys_[kMaxPending][8];
  uint8_t order_[kMaxPending];
  size_t n_pending_ = 0;
};

// "io<id>" into `buf` (at least 8 bytes); returns the view.
std::string_view IoKey(uint16_t id, char* buf);

}  // namespace fleetd::teltonika
