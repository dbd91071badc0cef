// IoApplier: applies a record's IO elements to its Message through an IO
// table (teltonika_io_table.h). Unmapped ids become "io<id>" attributes,
// built in a small stack buffer. The cell tower parts (cell id, LAC,
// operator) are collected and combined by Finish(). Internal to teltonika.
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

  // A fixed-size element: `raw` holds `size` (1, 2, 4 or 8) big-endian bytes.
  void Fixed(uint16_t id, uint64_t raw, uint8_t size);
  // A 16-byte (extended) or variable-length (codec 8E) element.
  void Bytes(uint16_t id, std::span<const uint8_t> value);
  // Sets Message::cell when a cell id, LAC and operator were all reported;
  // otherwise keeps the parts that were as io<id> attributes.
  void Finish();

 private:
  void SetRaw(uint16_t id, int64_t value);
  void BleTags(std::span<const uint8_t> value);

  Message& msg_;
  std::span<const IoRow> table_;
  bool fmb_;
  std::optional<uint32_t> cell_id_, lac_, operator_;
  uint16_t cell_id_io_ = 0;
};

// "io<id>" into `buf` (at least 8 bytes); returns the view.
std::string_view IoKey(uint16_t id, char* buf);

}  // namespace fleetd::teltonika
