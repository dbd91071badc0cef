// See pg_copy_writer.h for the format.
#include "store/postgres/pg_copy_writer.h"

#include <bit>
#include <utility>

namespace fleetd::pg {

CopyWriter::CopyWriter() {
  static constexpr char kSignature[] = "PGCOPY\n\377\r\n";  // 11 bytes with the NUL
  buffer_.append(kSignature, 11);
  Put32(0);  // flags: no OIDs
  Put32(0);  // header extension length
}

void CopyWriter::Put16(uint16_t v) {
  buffer_.push_back(static_cast<char>(v >> 8));
  buffer_.push_back(static_cast<char>(v));
}

void CopyWriter::Put32(uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) buffer_.push_back(static_cast<char>(v >> shift));
}

void CopyWriter::Put64(uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) buffer_.push_back(static_cast<char>(v >> shift));
}

void CopyWriter::BeginRow(int16_t fields) {
  Put16(static_cast<uint16_t>(fields));
  ++rows_;
}

void CopyWriter::Int64(int64_t value) {
  Put32(8);
  Put64(static_cast<uint64_t>(value));
}

void CopyWriter::Bool(bool value) {
  Put32(1);
  buffer_.push_back(value ? '\1' : '\0');
}

void CopyWriter::Double(double value) {
  Put32(8);
  Put64(std::bit_cast<uint64_t>(value));
}

void CopyWriter::OptionalDouble(const std::optional<double>& value) {
  if (value) {
    Double(*value);
  } else {
    Null();
  }
}

void CopyWriter::Text(std::string_view value) {
  Put32(static_cast<uint32_t>(value.size()));
  buffer_.append(value);
}

void CopyWriter::OptionalText(const std::optional<std::string_view>& value) {
  if (value) {
    Text(*value);
  } else {
    Null();
  }
}

void CopyWriter::Null() { Put32(0xffffffffu); }

void CopyWriter::End() { Put16(0xffff); }

std::string CopyWriter::Finish() {
  End();
  return std::move(buffer_);
}

}  // namespace fleetd::pg
