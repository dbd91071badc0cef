// SQLSTATE classes are in the PostgreSQL manual, appendix A.
#include "store/postgres/pg_error.h"

namespace fleetd::pg {
namespace {

std::string Trimmed(const char* text) {
  std::string s = text ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

std::string_view SqlState(const PGresult* result) {
  if (!result) return {};
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  return state ? std::string_view(state) : std::string_view();
}

StatusCode CodeForSqlState(std::string_view sqlstate) {
  if (sqlstate == "23505") return StatusCode::kAlreadyExists;     // unique_violation
  if (sqlstate == "23503") return StatusCode::kNotFound;          // foreign_key_violation
  if (sqlstate == "42501") return StatusCode::kPermissionDenied;  // insufficient_privilege, RLS WITH CHECK
  if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03") return StatusCode::kBusy;
  if (sqlstate.starts_with("28")) return StatusCode::kUnauthenticated;  // invalid authorization
  if (sqlstate.starts_with("22")) return StatusCode::kInvalidArgument;  // data exception
  return StatusCode::kIoError;
}

std::string ConnectionMessage(const PGconn* conn) { return Trimmed(conn ? PQerrorMessage(conn) : "no connection"); }

Status ResultError(PGconn* conn, const PGresult* result, std::string_view what) {
  std::string_view state = SqlState(result);
  std::string message = std::string(what) + ": ";
  const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  message += primary ? Trimmed(primary) : ConnectionMessage(conn);
  if (!state.empty()) message += " (SQLSTATE " + std::string(state) + ")";
  return Status(state.empty() ? StatusCode::kIoError : CodeForSqlState(state), std::move(message));
}

}  // namespace fleetd::pg
