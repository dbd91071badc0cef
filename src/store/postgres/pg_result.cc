// Binary wire formats: int2/int4/int8 and float8 are big-endian, bool is one
// byte, text and bytea are their bytes (PostgreSQL protocol documentation).
#include "store/postgres/pg_result.h"

#include <bit>
#include <cassert>
#include <charconv>
#include <cstring>

namespace fleetd::pg {
namespace {

uint64_t BigEndian(const char* p, int length) {
  uint64_t v = 0;
  for (int i = 0; i < length; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

}  // namespace

int64_t QueryResult::Int64(int row, int col) const {
  const char* p = PQgetvalue(result_.get(), row, col);
  [[maybe_unused]] int length = PQgetlength(result_.get(), row, col);
  switch (PQftype(result_.get(), col)) {
    case kInt8Oid:
      assert(length == 8);
      return static_cast<int64_t>(BigEndian(p, 8));
    case kInt4Oid:
      assert(length == 4);
      return static_cast<int32_t>(BigEndian(p, 4));
    case kInt2Oid:
      assert(length == 2);
      return static_cast<int16_t>(BigEndian(p, 2));
    default:
      assert(false && "not an integer column");
      return 0;
  }
}

double QueryResult::Double(int row, int col) const {
  assert(PQftype(result_.get(), col) == kFloat8Oid);
  assert(PQgetlength(result_.get(), row, col) == 8);
  return std::bit_cast<double>(BigEndian(PQgetvalue(result_.get(), row, col), 8));
}

bool QueryResult::Bool(int row, int col) const {
  assert(PQftype(result_.get(), col) == kBoolOid);
  return PQgetlength(result_.get(), row, col) == 1 && PQgetvalue(result_.get(), row, col)[0] != 0;
}

std::string_view QueryResult::Bytes(int row, int col) const {
  assert(PQftype(result_.get(), col) == kTextOid || PQftype(result_.get(), col) == kByteaOid);
  return std::string_view(PQgetvalue(result_.get(), row, col),
                          static_cast<size_t>(PQgetlength(result_.get(), row, col)));
}

std::optional<double> QueryResult::OptionalDouble(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return Double(row, col);
}

std::optional<int64_t> QueryResult::OptionalInt64(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return Int64(row, col);
}

int64_t QueryResult::affected() const {
  const char* text = PQcmdTuples(result_.get());
  int64_t n = 0;
  if (text) std::from_chars(text, text + std::strlen(text), n);
  return n;
}

}  // namespace fleetd::pg
