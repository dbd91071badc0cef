// Error text and column helpers for sqlite_statement.h.
#include "store/sqlite/sqlite_statement.h"

namespace fleetd::sqlite {

Status Error(sqlite3* db, std::string_view what) {
  std::string message(what);
  message += ": ";
  message += db ? sqlite3_errmsg(db) : "out of memory";
  return Status(StatusCode::kIoError, std::move(message));
}

Status Statement::Run(std::string_view what) {
  int rc = Step();
  Status status = rc == SQLITE_DONE ? Status::Ok() : Error(db_, what);
  Reset();
  return status;
}

std::string Statement::Text(int column) const { return std::string(TextView(column)); }

std::string_view Statement::TextView(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (!text) return {};
  return std::string_view(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

}  // namespace fleetd::sqlite
