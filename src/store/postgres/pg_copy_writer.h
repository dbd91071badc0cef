// CopyWriter: builds the data of a COPY ... FROM STDIN (FORMAT binary).
//
// Binary COPY because the server then decodes no text: integers and doubles
// arrive in their wire form (exact, no float printing or parsing), strings
// need no escaping. The layout (PostgreSQL manual, "COPY", binary format): an
// 11-byte signature, flags and header-extension length (int32 each); per row
// an int16 field count, then per field an int32 length (-1 for NULL) and the
// value's bytes; an int16 -1 as trailer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fleetd::pg {

class CopyWriter {
 public:
  CopyWriter();

  // Starts a row of `fields` values; exactly that many Add calls follow.
  void BeginRow(int16_t fields);
  void Int64(int64_t value);
  void Double(double value);
  void Bool(bool value);
  void OptionalDouble(const std::optional<double>& value);
  void Text(std::string_view value);  // also bytea: both are their bytes
  void OptionalText(const std::optional<std::string_view>& value);
  void Null();

  int64_t rows() const { return rows_; }
  size_t size() const { return buffer_.size(); }
  // Everything written so far (the data can be streamed as it grows).
  std::string_view data() const { return buffer_; }
  // Appends the trailer; nothing may be added after it.
  void End();
  // End(), then hands the buffer over; the writer is spent.
  std::string Finish();

 private:
  void Put16(uint16_t v);
  void Put32(uint32_t v);
  void Put64(uint64_t v);

  std::string buffer_;
  int64_t rows_ = 0;
};

}  // namespace fleetd::pg
