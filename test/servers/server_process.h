// Real servers for tests: start a Debian-packaged server (mosquitto,
// nats-server, postgres, redis-server, haproxy) on a free loopback port,
// wait until it accepts connections, and stop it by PID when the test ends.
//
// Tests that need a server fail (never skip) when its binary is missing:
// scripts/install-deps.sh installs them, so a missing one is a broken setup.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fleetd::test {

// A TCP port on 127.0.0.1 that was free a moment ago (bind to 0, read, close).
uint16_t PickFreePort();

// True once something accepts TCP connections on 127.0.0.1:port.
bool WaitForPort(uint16_t port, std::chrono::milliseconds timeout);

// A new empty directory under $TMPDIR (or /tmp), removed by the caller or by
// RemoveTree. The name starts with `prefix`.
std::string MakeTempDir(const std::string& prefix);
void RemoveTree(const std::string& path);

// Full path of `name`, looked up in PATH, /usr/sbin, /usr/bin and
// /usr/lib/postgresql/15/bin; nullopt if none is executable.
std::optional<std::string> FindProgram(const std::string& name);

// A child process whose stdout and stderr go to `log_path`. The destructor
// sends SIGTERM, waits up to 10 s, then SIGKILLs; it never leaves the child
// behind. When `run_as_user` is set and we are root, the child drops to that
// user first (PostgreSQL refuses to run as root).
class ServerProcess {
 public:
  static std::unique_ptr<ServerProcess> Start(const std::vector<std::string>& argv, const std::string& log_path,
                                              const std::string& run_as_user = "");
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Sends `signal` (SIGKILL for crash tests, SIGSTOP/SIGCONT to freeze).
  void Signal(int signal);
  // Waits for the child to exit; true if it did within `timeout`.
  bool WaitExit(std::chrono::milliseconds timeout);
  bool running();
  // Stops now (SIGTERM, then SIGKILL after `grace`).
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  // Everything the child wrote so far (for failure messages).
  std::string Log() const;

 private:
  ServerProcess(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}
  pid_t pid_;
  std::string log_path_;
  bool exited_ = false;
};

// Runs a command to completion (as `run_as_user` when root), output to
// `log_path`; returns its exit status, or -1 if it could not start.
int RunCommand(const std::vector<std::string>& argv, const std::string& log_path, const std::string& run_as_user = "");

}  // namespace fleetd::test
