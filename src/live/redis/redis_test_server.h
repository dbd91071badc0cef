// A real redis-server for tests: started on a free loopback port with no
// persistence, killed (SIGKILL) and restarted on the same port on demand, and
// stopped by PID when the object goes away. A missing redis-server binary is
// a failure, never a skip (scripts/install-deps.sh installs it).
#pragma once

#include <signal.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "servers/server_process.h"

namespace fleetd::testing {

class RedisTestServer {
 public:
  // Starts it, retrying on another port if the picked one was taken
  // meanwhile. nullptr (and `error` says why) on failure.
  static std::unique_ptr<RedisTestServer> Start(std::string* error) {
    auto program = test::FindProgram("redis-server");
    if (!program) {
      *error = "redis-server not found: run scripts/install-deps.sh (package redis-server)";
      return nullptr;
    }
    std::unique_ptr<RedisTestServer> server(new RedisTestServer(*program, test::MakeTempDir("fleetd-redis-")));
    for (int attempt = 0; attempt < 5; ++attempt) {
      server->port_ = test::PickFreePort();
      if (server->Launch()) return server;
    }
    *error = "redis-server did not start: " + server->last_log_;
    return nullptr;
  }

  ~RedisTestServer() {
    process_.reset();
    test::RemoveTree(dir_);
  }

  uint16_t port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

  // A crash: SIGKILL, and wait until it is gone.
  void Kill() {
    if (!process_) return;
    process_->Signal(SIGKILL);
    process_->WaitExit(std::chrono::seconds(10));
    process_.reset();
  }

  // Starts a new server (empty: no persistence) on the same port.
  bool Restart() {
    Kill();
    return Launch();
  }

  std::string Log() const { return process_ ? process_->Log() : std::string(); }

 private:
  RedisTestServer(std::string program, std::string dir) : program_(std::move(program)), dir_(std::move(dir)) {}

  bool Launch() {
    process_ = test::ServerProcess::Start({program_, "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save",
                                           "", "--appendonly", "no", "--dir", dir_},
                                          dir_ + "/redis-" + std::to_string(port_) + ".log");
    if (process_ && test::WaitForPort(port_, std::chrono::seconds(10)) && process_->running()) return true;
    last_log_ = process_ ? process_->Log() : "cannot start " + program_;
    process_.reset();
    return false;
  }

  std::string program_;
  std::string dir_;
  uint16_t port_ = 0;
  std::string last_log_;  // of the last failed start
  std::unique_ptr<test::ServerProcess> process_;
};

}  // namespace fleetd::testing
