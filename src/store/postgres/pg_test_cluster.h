// PgTestCluster: a throwaway PostgreSQL 15 server for tests and benchmarks.
//
// initdb into a fresh temp directory (as user postgres when we are root:
// PostgreSQL refuses to run as root), then postgres on a free loopback port
// with fsync off, password (SCRAM) authentication and its socket in the same
// directory, so parallel test binaries never share anything. One cluster
// serves a whole test binary; each test takes a fresh database from it.
//
// The server is stopped by PID when the cluster is destroyed. If the test
// process dies without that (a crash, a ctest timeout's SIGKILL), a watchdog
// child notices its pipe close, kills the server's process group and
// removes the directory, so no postgres (nor its files) outlives its test.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fleetd/status.h"
#include "servers/server_process.h"

namespace fleetd::pgtest {

class PgTestCluster {
 public:
  static constexpr const char* kSuperuser = "postgres";
  static constexpr const char* kSuperuserPassword = "fleetd-test-superuser";

  // kNotFound when initdb or postgres is not installed (a test failure: the
  // servers come from scripts/install-deps.sh); kIoError with the server's
  // log when it does not start within 30 s.
  static Result<std::unique_ptr<PgTestCluster>> Start();
  ~PgTestCluster();
  PgTestCluster(const PgTestCluster&) = delete;
  PgTestCluster& operator=(const PgTestCluster&) = delete;

  uint16_t port() const { return port_; }
  // postgresql://user:password@127.0.0.1:port/database
  std::string Url(const std::string& user, const std::string& password, const std::string& database) const;
  std::string SuperuserUrl(const std::string& database) const { return Url(kSuperuser, kSuperuserPassword, database); }

  // A new empty database with a unique name (owned by `owner` if given).
  Result<std::string> CreateDatabase(const std::string& owner = "");
  // Drops it, closing any sessions still connected to it.
  Status DropDatabase(const std::string& name);
  // Runs `sql` (one or more statements) as the superuser in `database`.
  Status Exec(const std::string& database, const std::string& sql);

  // The server's log so far (for failure messages).
  std::string Log() const;

 private:
  PgTestCluster() = default;
  Status StartServer(const std::string& postgres, const std::string& user);
  void ArmWatchdog();

  std::string dir_;
  uint16_t port_ = 0;
  std::unique_ptr<test::ServerProcess> server_;
  int watchdog_fd_ = -1;
  pid_t watchdog_pid_ = -1;
  std::mutex mu_;
  int databases_ = 0;
};

// A plain libpq session for tests that speak SQL directly (as a given role),
// with text results. Not thread-safe.
class SqlSession {
 public:
  struct Outcome {
    bool ok = false;
    std::string sqlstate;  // of the error, when !ok
    std::string error;
    int64_t affected = 0;                        // rows an INSERT/UPDATE/DELETE touched
    std::vector<std::vector<std::string>> rows;  // NULL reads as "NULL"
  };

  // kIoError (libpq's message) when the connection fails.
  static Result<std::unique_ptr<SqlSession>> Connect(const std::string& url);
  ~SqlSession();
  SqlSession(const SqlSession&) = delete;
  SqlSession& operator=(const SqlSession&) = delete;

  Outcome Run(const std::string& sql);
  // The first column of the first row, or "ERROR <sqlstate>: <message>".
  std::string Scalar(const std::string& sql);

 private:
  explicit SqlSession(PGconn* conn) : conn_(conn) {}
  PGconn* conn_;
};

}  // namespace fleetd::pgtest
