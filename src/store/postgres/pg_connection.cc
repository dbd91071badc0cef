// libpq in blocking mode: each call waits for the server's answer. Notices
// (e.g. "relation already exists, skipping" from IF NOT EXISTS) are dropped
// instead of going to stderr.
#include "store/postgres/pg_connection.h"

#include <algorithm>
#include <string>
#include <vector>

#include "store/postgres/pg_error.h"

namespace fleetd::pg {
namespace {

void IgnoreNotice(void*, const char*) {}

// PQputCopyData takes an int length: hand the buffer over in slices.
bool PutCopyData(PGconn* conn, std::string_view data) {
  constexpr size_t kSlice = 1 << 20;
  for (size_t offset = 0; offset < data.size(); offset += kSlice) {
    size_t n = std::min(kSlice, data.size() - offset);
    if (PQputCopyData(conn, data.data() + offset, static_cast<int>(n)) != 1) return false;
  }
  return true;
}

bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

Result<std::unique_ptr<Connection>> Connection::Connect(const std::string& url, int connect_timeout_s,
                                                        const std::string& display_url) {
  // Keywords are applied in order, so the URL (expanded from dbname) overrides
  // the defaults listed before it. Keepalives notice a server that vanished
  // without closing the connection within about a minute, not hours.
  const std::string timeout = std::to_string(connect_timeout_s);
  const char* keywords[] = {"connect_timeout",     "application_name", "keepalives", "keepalives_idle",
                            "keepalives_interval", "keepalives_count", "dbname",     nullptr};
  const char* values[] = {timeout.c_str(), "fleetd", "1", "30", "10", "3", url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (!conn) return Status(StatusCode::kIoError, "cannot connect to " + display_url + ": out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = ConnectionMessage(conn);
    PQfinish(conn);
    StatusCode code = Contains(message, "password authentication failed") || Contains(message, "no password supplied")
                          ? StatusCode::kUnauthenticated
                          : StatusCode::kIoError;
    return Status(code, "cannot connect to " + display_url + ": " + message);
  }
  PQsetNoticeProcessor(conn, IgnoreNotice, nullptr);
  return std::unique_ptr<Connection>(new Connection(conn));
}

Connection::~Connection() { PQfinish(conn_); }

Status Connection::Fail(const PGresult* result, std::string_view what) {
  last_sqlstate_ = std::string(SqlState(result));
  return ResultError(conn_, result, what);
}

Result<QueryResult> Connection::Exec(const char* sql, const Params& params, std::string_view what) {
  std::vector<const char*> values = params.values();
  QueryResult result(PQexecParams(conn_, sql, params.size(), params.types(), values.data(), params.lengths(),
                                  params.formats(), /*resultFormat=*/1));
  PGresult* raw = result.raw();
  ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    last_sqlstate_.clear();
    return result;
  }
  return Fail(raw, what);
}

Status Connection::Script(const char* sql, std::string_view what) {
  QueryResult result(PQexec(conn_, sql));
  PGresult* raw = result.raw();
  ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    last_sqlstate_.clear();
    return Status::Ok();
  }
  return Fail(raw, what);
}

Result<std::vector<QueryResult>> Connection::CopyScript(const char* script,
                                                        const std::function<std::string_view()>& next_copy_data,
                                                        std::string_view what) {
  if (PQsendQuery(conn_, script) != 1) return Fail(nullptr, what);
  std::vector<QueryResult> rows;
  Status status;
  bool copy_failed = false;
  // Every result up to the null that ends the script, even after an error,
  // so the connection is ready for the next command.
  while (PGresult* raw = PQgetResult(conn_)) {
    QueryResult result(raw);
    switch (PQresultStatus(raw)) {
      case PGRES_COMMAND_OK:
        break;
      case PGRES_TUPLES_OK:
        rows.push_back(std::move(result));
        break;
      case PGRES_COPY_IN: {
        bool sent = true;
        for (std::string_view slice = next_copy_data(); sent && !slice.empty(); slice = next_copy_data()) {
          sent = PutCopyData(conn_, slice);
        }
        // A refusal here usually means the server already reported an error:
        // the next result carries it (and its SQLSTATE).
        copy_failed = PQputCopyEnd(conn_, sent ? nullptr : "fleetd could not send the COPY data") != 1 || !sent;
        break;
      }
      default:
        if (status.ok()) status = Fail(raw, what);
        break;
    }
    if (PQstatus(conn_) != CONNECTION_OK) break;
  }
  if (!status.ok()) return status;
  if (copy_failed || PQstatus(conn_) != CONNECTION_OK) return Fail(nullptr, what);
  last_sqlstate_.clear();
  return rows;
}

Status Connection::CopyIn(const char* copy_sql, std::string_view data, std::string_view what) {
  {
    QueryResult start(PQexec(conn_, copy_sql));
    if (!start.raw() || PQresultStatus(start.raw()) != PGRES_COPY_IN) return Fail(start.raw(), what);
  }
  bool sent = PutCopyData(conn_, data);
  if (PQputCopyEnd(conn_, sent ? nullptr : "fleetd could not send the COPY data") != 1) {
    return Fail(nullptr, what);
  }
  // The COPY's own result, then null. Read them all so the connection is ready again.
  Status status;
  bool first = true;
  while (PGresult* raw = PQgetResult(conn_)) {
    QueryResult result(raw);
    if (first && PQresultStatus(raw) != PGRES_COMMAND_OK) status = Fail(raw, what);
    first = false;
  }
  if (first) return Fail(nullptr, what);
  if (status.ok()) last_sqlstate_.clear();
  return status;
}

}  // namespace fleetd::pg
