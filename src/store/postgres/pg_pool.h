// ConnectionPool: up to `max_size` connections shared by the store's callers.
//
// A caller leases a connection for one operation and the lease gives it back
// on destruction. Connections open lazily and are replaced after a failure: a
// connection returned broken, or still inside a transaction, is closed rather
// than reused, so a server restart costs the calls in flight an error and the
// next calls a reconnect, never a stuck pool. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fleetd/status.h"
#include "store/postgres/pg_connection.h"

namespace fleetd::pg {

class ConnectionPool {
 public:
  struct Options {
    int max_size = 4;
    int connect_timeout_s = 5;
    std::chrono::milliseconds acquire_timeout{30000};  // waiting for a busy pool's free connection
    // Run on every new connection before its first use (e.g. SET ROLE); its
    // failure is the Acquire's error and the connection is closed.
    std::string session_setup;
  };

  // `url` is what libpq gets; `display_url` (password redacted) is what errors show.
  ConnectionPool(std::string url, std::string display_url, Options options);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<Connection> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection& operator*() const { return *conn_; }
    Connection* operator->() const { return conn_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  // An idle connection, a new one if fewer than max_size are open, or the
  // next one returned within acquire_timeout (else kBusy). Connect errors are
  // Connection::Connect's, then session_setup's.
  Result<Lease> Acquire();

 private:
  void Return(std::unique_ptr<Connection> conn);

  const std::string url_;
  const std::string display_url_;
  const Options options_;
  std::mutex mu_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;  // idle + leased
};

}  // namespace fleetd::pg
