// Params: the bound parameters of one statement, all sent in binary format.
//
// Binary parameters carry their length, so a string with an embedded NUL
// reaches the server whole (text-format parameters are C strings and would be
// cut at the NUL): a bytea column stores it, a text column rejects it with a
// data exception instead of storing a silently truncated value. Each value
// carries its type OID, so the server never has to guess.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fleetd::pg {

class Params {
 public:
  Params& Int64(int64_t value);
  Params& Double(double value);
  Params& Bool(bool value);
  Params& Text(std::string_view value);   // must be valid UTF-8 without NUL, or the server refuses it
  Params& Bytea(std::string_view value);  // any bytes
  Params& OptionalInt64(const std::optional<int64_t>& value);
  Params& OptionalText(const std::optional<std::string>& value);
  Params& OptionalBool(const std::optional<bool>& value);
  Params& Null(Oid type);

  int size() const { return static_cast<int>(types_.size()); }
  const Oid* types() const { return types_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }
  // Pointers into the stored values; valid until the next Add.
  std::vector<const char*> values() const;

 private:
  Params& Add(Oid type, std::string bytes, bool null = false);

  std::vector<Oid> types_;
  std::vector<std::string> bytes_;
  std::vector<bool> nulls_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

}  // namespace fleetd::pg
