// Thin RAII helpers over the SQLite C API, so the store's queries read as
// bind/step/column without repeating error plumbing. Nothing here throws:
// failures become Status kIoError carrying sqlite3_errmsg.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fleetd/status.h"

namespace fleetd::sqlite {

// kIoError "<what>: <sqlite message>" for the connection's last error.
Status Error(sqlite3* db, std::string_view what);

// A prepared statement, finalized on destruction. Bind indexes are 1-based,
// column indexes 0-based (as in SQLite). Not thread-safe: the owner serializes.
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  void Bind(int index, int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
  void Bind(int index, std::string_view text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  void Bind(int index, const std::optional<double>& value) {
    if (value)
      sqlite3_bind_double(stmt_, index, *value);
    else
      sqlite3_bind_null(stmt_, index);
  }
  void BindOptionalText(int index, const std::optional<std::string>& value) {
    if (value)
      Bind(index, std::string_view(*value));
    else
      sqlite3_bind_null(stmt_, index);
  }
  void Bind(int index, const std::optional<int64_t>& value) {
    if (value)
      sqlite3_bind_int64(stmt_, index, *value);
    else
      sqlite3_bind_null(stmt_, index);
  }

  // SQLITE_ROW, SQLITE_DONE or an error code (see Error()).
  int Step() { return sqlite3_step(stmt_); }
  // Steps a statement that returns no rows; ok on SQLITE_DONE.
  Status Run(std::string_view what);

  int64_t Int64(int column) const { return sqlite3_column_int64(stmt_, column); }
  double Double(int column) const { return sqlite3_column_double(stmt_, column); }
  bool IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  std::string Text(int column) const;
  std::string_view TextView(int column) const;  // valid until the next Step/Reset

  // Ends any running step (releasing its read snapshot) and clears bindings.
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// Resets a (cached) statement when the scope ends, so a half-read SELECT never
// keeps a WAL read snapshot open or leaks bindings into the next use.
class ResetOnExit {
 public:
  explicit ResetOnExit(Statement& s) : s_(s) {}
  ~ResetOnExit() { s_.Reset(); }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  Statement& s_;
};

}  // namespace fleetd::sqlite
