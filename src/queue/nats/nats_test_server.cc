// NatsTestServer: start, crash and restart a JetStream nats-server.
#include "queue/nats/nats_test_server.h"

#include <csignal>

namespace fleetd::nats::test {

using fleetd::test::FindProgram;
using fleetd::test::MakeTempDir;
using fleetd::test::PickFreePort;
using fleetd::test::RemoveTree;
using fleetd::test::ServerProcess;
using fleetd::test::WaitForPort;

NatsTestServer::NatsTestServer() : port_(PickFreePort()), dir_(MakeTempDir("fleetd-nats-")) {}

NatsTestServer::~NatsTestServer() {
  process_.reset();
  RemoveTree(dir_);
}

std::string NatsTestServer::Start() {
  auto program = FindProgram("nats-server");
  if (!program) return "nats-server not found (scripts/install-deps.sh installs the nats-server package)";
  process_.reset();
  const std::string log = dir_ + "/nats-server." + std::to_string(++starts_) + ".log";
  process_ = ServerProcess::Start(
      {*program, "-js", "-sd", dir_ + "/store", "-p", std::to_string(port_), "-a", "127.0.0.1"}, log);
  if (!process_) return "could not start " + *program;
  if (!WaitForPort(port_, std::chrono::seconds(20))) {
    return "nats-server did not listen on port " + std::to_string(port_) + ": " + process_->Log();
  }
  return "";
}

void NatsTestServer::Kill() {
  if (!process_) return;
  process_->Signal(SIGKILL);
  process_->WaitExit(std::chrono::seconds(10));
}

}  // namespace fleetd::nats::test
