// See pg_test_cluster.h. The watchdog is a forked child blocked in read() on
// a pipe whose only write end this process holds (close-on-exec, so servers
// started later do not inherit it): EOF means we died, one byte means we
// stop the server ourselves.
#include "store/postgres/pg_test_cluster.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace fleetd::pgtest {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// True once `url` accepts a connection.
bool CanConnect(const std::string& url) {
  PGconn* conn = PQconnectdb(url.c_str());
  bool ok = PQstatus(conn) == CONNECTION_OK;
  PQfinish(conn);
  return ok;
}

}  // namespace

Result<std::unique_ptr<PgTestCluster>> PgTestCluster::Start() {
  auto initdb = test::FindProgram("initdb");
  auto postgres = test::FindProgram("postgres");
  if (!initdb || !postgres) {
    return Status(StatusCode::kNotFound,
                  "initdb/postgres not found (looked in PATH and /usr/lib/postgresql/15/bin): "
                  "install postgresql-15 (scripts/install-deps.sh)");
  }
  std::unique_ptr<PgTestCluster> cluster(new PgTestCluster());
  cluster->dir_ = test::MakeTempDir("fleetd_pg_");
  if (cluster->dir_.empty()) return Status(StatusCode::kIoError, "cannot create a temp directory");
  const std::string user = geteuid() == 0 ? "postgres" : "";
  const std::string pwfile = cluster->dir_ + "/pw";
  {
    std::ofstream out(pwfile);
    out << kSuperuserPassword << "\n";
  }
  chmod(pwfile.c_str(), 0644);
  const std::string data = cluster->dir_ + "/data";
  const std::string initdb_log = cluster->dir_ + "/initdb.log";
  int rc = test::RunCommand({*initdb, "-D", data, "-U", kSuperuser, "--pwfile=" + pwfile, "-A", "scram-sha-256",
                             "--no-sync", "--no-instructions", "-E", "UTF8", "--locale=C"},
                            initdb_log, user);
  if (rc != 0) {
    return Status(StatusCode::kIoError, "initdb exited with " + std::to_string(rc) + ": " + ReadFile(initdb_log));
  }
  if (Status s = cluster->StartServer(*postgres, user); !s.ok()) return s;
  cluster->ArmWatchdog();
  return cluster;
}

Status PgTestCluster::StartServer(const std::string& postgres, const std::string& user) {
  // A port picked free can be taken before postgres binds it: try a few.
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = test::PickFreePort();
    server_ = test::ServerProcess::Start(
        {postgres, "-D", dir_ + "/data", "-p", std::to_string(port_), "-k", dir_, "-c", "listen_addresses=127.0.0.1",
         "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "max_connections=200"},
        dir_ + "/postgres.log", user);
    if (!server_) return Status(StatusCode::kIoError, "cannot start " + postgres);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline && server_->running()) {
      if (CanConnect(SuperuserUrl("postgres") + "?connect_timeout=2")) return Status::Ok();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (server_->running()) break;  // up but never accepting: not a port clash
  }
  std::string log = Log();
  server_.reset();
  return Status(StatusCode::kIoError, "postgres did not start: " + log);
}

void PgTestCluster::ArmWatchdog() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return;
  const pid_t server = server_->pid();
  const std::string rm = test::FindProgram("rm").value_or("/bin/rm");
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[1]);
    char byte = 0;
    ssize_t n;
    do {
      n = read(fds[0], &byte, 1);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {  // our test process is gone: so go the server and its files
      kill(-server, SIGKILL);
      kill(server, SIGKILL);
      execl(rm.c_str(), "rm", "-rf", dir_.c_str(), static_cast<char*>(nullptr));
    }
    _exit(0);
  }
  close(fds[0]);
  if (pid < 0) {
    close(fds[1]);
    return;
  }
  watchdog_fd_ = fds[1];
  watchdog_pid_ = pid;
}

PgTestCluster::~PgTestCluster() {
  if (watchdog_fd_ >= 0) {
    (void)!write(watchdog_fd_, "x", 1);  // disarm: we stop the server ourselves
    close(watchdog_fd_);
    waitpid(watchdog_pid_, nullptr, 0);
  }
  if (server_) {
    server_->Signal(SIGINT);  // fast shutdown: do not wait for clients to disconnect
    if (!server_->WaitExit(std::chrono::seconds(15))) server_->Stop(std::chrono::seconds(1));
    server_.reset();
  }
  test::RemoveTree(dir_);
}

std::string PgTestCluster::Url(const std::string& user, const std::string& password,
                               const std::string& database) const {
  return "postgresql://" + user + ":" + password + "@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

Status PgTestCluster::Exec(const std::string& database, const std::string& sql) {
  PGconn* conn = PQconnectdb((SuperuserUrl(database) + "?connect_timeout=10").c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    Status s(StatusCode::kIoError, std::string("connect: ") + PQerrorMessage(conn));
    PQfinish(conn);
    return s;
  }
  PGresult* r = PQexec(conn, sql.c_str());
  ExecStatusType status = PQresultStatus(r);
  Status s = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK
                 ? Status::Ok()
                 : Status(StatusCode::kIoError, sql + ": " + PQresultErrorMessage(r));
  PQclear(r);
  PQfinish(conn);
  return s;
}

Result<std::string> PgTestCluster::CreateDatabase(const std::string& owner) {
  std::string name;
  {
    std::lock_guard lock(mu_);
    name = "fleetd_" + std::to_string(++databases_);
  }
  std::string sql = "CREATE DATABASE " + name;
  if (!owner.empty()) sql += " OWNER " + owner;
  if (Status s = Exec("postgres", sql); !s.ok()) return s;
  return name;
}

Status PgTestCluster::DropDatabase(const std::string& name) {
  return Exec("postgres", "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
}

std::string PgTestCluster::Log() const { return ReadFile(dir_ + "/postgres.log"); }

Result<std::unique_ptr<SqlSession>> SqlSession::Connect(const std::string& url) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    Status s(StatusCode::kIoError, PQerrorMessage(conn));
    PQfinish(conn);
    return s;
  }
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<SqlSession>(new SqlSession(conn));
}

SqlSession::~SqlSession() { PQfinish(conn_); }

SqlSession::Outcome SqlSession::Run(const std::string& sql) {
  Outcome out;
  PGresult* r = PQexec(conn_, sql.c_str());
  ExecStatusType status = PQresultStatus(r);
  out.ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
  if (!out.ok) {
    const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    out.sqlstate = state ? state : "";
    out.error = PQresultErrorMessage(r);
  }
  const char* affected = PQcmdTuples(r);
  if (affected && *affected) out.affected = std::stoll(affected);
  for (int row = 0; row < PQntuples(r); ++row) {
    std::vector<std::string> cells;
    for (int col = 0; col < PQnfields(r); ++col) {
      cells.push_back(PQgetisnull(r, row, col) ? "NULL" : PQgetvalue(r, row, col));
    }
    out.rows.push_back(std::move(cells));
  }
  PQclear(r);
  return out;
}

std::string SqlSession::Scalar(const std::string& sql) {
  Outcome out = Run(sql);
  if (!out.ok) return "ERROR " + out.sqlstate + ": " + out.error;
  if (out.rows.empty() || out.rows[0].empty()) return "";
  return out.rows[0][0];
}

}  // namespace fleetd::pgtest
