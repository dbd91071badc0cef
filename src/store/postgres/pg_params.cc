// Binary parameter encodings: big-endian integers and IEEE doubles, one byte
// for bool, raw bytes for text and bytea.
#include "store/postgres/pg_params.h"

#include <bit>

#include "store/postgres/pg_result.h"

namespace fleetd::pg {
namespace {

std::string BigEndian(uint64_t v, int length) {
  std::string out(static_cast<size_t>(length), '\0');
  for (int i = length - 1; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

}  // namespace

Params& Params::Add(Oid type, std::string bytes, bool null) {
  types_.push_back(type);
  lengths_.push_back(static_cast<int>(bytes.size()));
  formats_.push_back(1);
  nulls_.push_back(null);
  bytes_.push_back(std::move(bytes));
  return *this;
}

Params& Params::Int64(int64_t value) { return Add(kInt8Oid, BigEndian(static_cast<uint64_t>(value), 8)); }
Params& Params::Double(double value) { return Add(kFloat8Oid, BigEndian(std::bit_cast<uint64_t>(value), 8)); }
Params& Params::Bool(bool value) { return Add(kBoolOid, std::string(1, value ? '\1' : '\0')); }
Params& Params::Text(std::string_view value) { return Add(kTextOid, std::string(value)); }
Params& Params::Bytea(std::string_view value) { return Add(kByteaOid, std::string(value)); }
Params& Params::Null(Oid type) { return Add(type, std::string(), true); }

Params& Params::OptionalInt64(const std::optional<int64_t>& value) { return value ? Int64(*value) : Null(kInt8Oid); }
Params& Params::OptionalText(const std::optional<std::string>& value) { return value ? Text(*value) : Null(kTextOid); }
Params& Params::OptionalBool(const std::optional<bool>& value) { return value ? Bool(*value) : Null(kBoolOid); }

std::vector<const char*> Params::values() const {
  std::vector<const char*> out;
  out.reserve(bytes_.size());
  for (size_t i = 0; i < bytes_.size(); ++i) out.push_back(nulls_[i] ? nullptr : bytes_[i].data());
  return out;
}

}  // namespace fleetd::pg
