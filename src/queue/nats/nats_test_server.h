// NatsTestServer: a real nats-server with JetStream for tests and the
// benchmark, on a free loopback port with its own store directory, stopped
// by PID when the object goes (test/servers/server_process.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "servers/server_process.h"

namespace fleetd::nats::test {

class NatsTestServer {
 public:
  NatsTestServer();   // picks a port and a store dir; does not start
  ~NatsTestServer();  // stops the server, removes the store dir

  // Starts nats-server -js -sd <dir> -p <port> -a 127.0.0.1 and waits until
  // it accepts connections. An empty string on success, else why not (a
  // missing binary included: that is a test failure, never a skip).
  std::string Start();
  // SIGKILL and reap (a crash); Start() again reuses the port and the store.
  void Kill();

  fleetd::test::ServerProcess* process() { return process_.get(); }
  uint16_t port() const { return port_; }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  const std::string& store_dir() const { return dir_; }

 private:
  uint16_t port_;
  std::string dir_;
  int starts_ = 0;
  std::unique_ptr<fleetd::test::ServerProcess> process_;
};

}  // namespace fleetd::nats::test
