// Connection: one libpq connection, used by one thread at a time.
//
// Thin on purpose: run a statement with binary parameters and results, run a
// multi-statement script (migrations, DDL), stream a binary COPY. Errors come
// back as Status (pg_error.h); a connection that broke stays broken and the
// pool (pg_pool.h) replaces it. Not thread-safe: the pool hands each
// connection to one caller at a time.
#pragma once

#include <libpq-fe.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fleetd/status.h"
#include "store/postgres/pg_params.h"
#include "store/postgres/pg_result.h"

namespace fleetd::pg {

class Connection {
 public:
  // Connects to the libpq URI `url`. `connect_timeout_s` applies unless the
  // URL sets its own connect_timeout. Errors name `display_url` (the URL with
  // its password redacted): kUnauthenticated for a refused password, kIoError
  // for everything else (unreachable, refused, timed out, no such database).
  static Result<std::unique_ptr<Connection>> Connect(const std::string& url, int connect_timeout_s,
                                                     const std::string& display_url);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // One statement with `params`; rows come back in binary format. `what`
  // names the operation in error messages.
  Result<QueryResult> Exec(const char* sql, const Params& params, std::string_view what);
  Result<QueryResult> Exec(const char* sql, std::string_view what) { return Exec(sql, Params(), what); }
  // One or more statements without parameters or rows (BEGIN, DDL scripts).
  Status Script(const char* sql, std::string_view what);
  // Runs `copy_sql` (a COPY ... FROM STDIN) and streams `data` into it.
  Status CopyIn(const char* copy_sql, std::string_view data, std::string_view what);
  // Runs `script`, several statements in one round trip (simple query
  // protocol), one of which may be a COPY ... FROM STDIN that receives the
  // slices `next_copy_data` returns until it returns an empty one (so the
  // caller can produce data while the server already parses). Returns the row-returning statements' results, in TEXT
  // format (read them with QueryResult::Text). The first failing statement
  // ends the script; a transaction the script opened is then left aborted
  // for the caller to roll back.
  Result<std::vector<QueryResult>> CopyScript(const char* script,
                                              const std::function<std::string_view()>& next_copy_data,
                                              std::string_view what);

  // False once the connection to the server is lost.
  bool healthy() const { return PQstatus(conn_) == CONNECTION_OK; }
  // True when no transaction is open (the state a pooled connection must be returned in).
  bool idle() const { return PQtransactionStatus(conn_) == PQTRANS_IDLE; }
  // The SQLSTATE of the last failed call ("" after a success or when the
  // server never answered), for callers that react to one specific error.
  const std::string& last_sqlstate() const { return last_sqlstate_; }

  // Per-connection state the store keeps: whether its temporary staging
  // table exists in this session yet.
  bool staging_ready = false;

 private:
  explicit Connection(PGconn* conn) : conn_(conn) {}
  // Records the SQLSTATE of `result` and builds the error.
  Status Fail(const PGresult* result, std::string_view what);

  PGconn* conn_;
  std::string last_sqlstate_;
};

}  // namespace fleetd::pg
