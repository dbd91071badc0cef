// QueryResult: owns a PGresult whose columns arrived in binary format.
//
// Every query fleetd sends asks for binary results, so values are decoded
// from their wire form (big-endian integers and IEEE doubles, text and bytea
// as raw bytes) instead of parsed from text, and bytea needs no unescaping.
// The accessors check the column's type in debug builds: the SQL that
// produced the result is ours, so a mismatch is a bug, not bad input.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace fleetd::pg {

// Type OIDs from the server's catalog/pg_type.h (stable across versions;
// the server headers are not part of libpq-dev).
inline constexpr Oid kBoolOid = 16;
inline constexpr Oid kByteaOid = 17;
inline constexpr Oid kInt8Oid = 20;
inline constexpr Oid kInt2Oid = 21;
inline constexpr Oid kInt4Oid = 23;
inline constexpr Oid kTextOid = 25;
inline constexpr Oid kFloat8Oid = 701;

class QueryResult {
 public:
  explicit QueryResult(PGresult* result) : result_(result) {}

  int rows() const { return PQntuples(result_.get()); }
  bool IsNull(int row, int col) const { return PQgetisnull(result_.get(), row, col) != 0; }
  // int2, int4 or int8 columns.
  int64_t Int64(int row, int col) const;
  double Double(int row, int col) const;  // float8
  bool Bool(int row, int col) const;
  // The raw bytes of a text or bytea value; valid while this result lives.
  std::string_view Bytes(int row, int col) const;
  // A value of a text-format result (Connection::CopyScript), any type.
  std::string_view Text(int row, int col) const {
    return std::string_view(PQgetvalue(result_.get(), row, col),
                            static_cast<size_t>(PQgetlength(result_.get(), row, col)));
  }
  std::string String(int row, int col) const { return std::string(Bytes(row, col)); }
  std::optional<double> OptionalDouble(int row, int col) const;
  std::optional<int64_t> OptionalInt64(int row, int col) const;
  // Rows an INSERT/UPDATE/DELETE/COPY affected (PQcmdTuples), 0 if none.
  int64_t affected() const;
  // The libpq result (null if libpq ran out of memory).
  PGresult* raw() const { return result_.get(); }

 private:
  struct Clear {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  std::unique_ptr<PGresult, Clear> result_;
};

}  // namespace fleetd::pg
