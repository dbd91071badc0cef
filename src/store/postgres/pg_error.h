// How PostgreSQL failures become fleetd Status values.
//
// Callers branch on codes, never on message text: the SQLSTATE of a failed
// statement picks the code (unique violation -> kAlreadyExists, foreign key ->
// kNotFound, bad text or number -> kInvalidArgument, RLS or grant refusal ->
// kPermissionDenied, lock timeout, deadlock or serialization failure -> kBusy,
// anything else, including a lost connection -> kIoError).
#pragma once

#include <libpq-fe.h>

#include <string>
#include <string_view>

#include "fleetd/status.h"

namespace fleetd::pg {

// The five-character SQLSTATE of a failed result ("" when there is none,
// e.g. the connection broke before the server answered).
std::string_view SqlState(const PGresult* result);

// The code a SQLSTATE maps to (see the file comment).
StatusCode CodeForSqlState(std::string_view sqlstate);

// "<what>: <server message> (SQLSTATE xxxxx)", coded by CodeForSqlState.
// `result` may be null (then the connection's error message is used).
Status ResultError(PGconn* conn, const PGresult* result, std::string_view what);

// libpq's last error message for the connection, without the trailing newline.
std::string ConnectionMessage(const PGconn* conn);

}  // namespace fleetd::pg
