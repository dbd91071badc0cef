// A Mosquitto configuration fit for fleetd: the demo's local broker, the
// tests' broker, and the reference for operators (docs/mqtt.md explains each
// line). What matters for "nothing lost" is here: persistence on, the queue
// for an offline persistent session large enough that the broker does not
// drop messages while fleetd restarts, and no cap on QoS 1 messages in
// flight beyond the receive maximum fleetd announces.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "fleetd/status.h"

namespace fleetd {

struct MosquittoSetup {
  std::string dir;                  // config, persistence and dynsec file go here
  std::string bind = "127.0.0.1";
  uint16_t port = 1883;
  bool dynamic_security = true;     // devices authenticate; false: anonymous (tests of the bridge alone)
  std::string admin_user = "fleetd";  // fleetd's own broker account (dynsec admin)
  std::string admin_password;
  bool run_as_root = false;         // "user root": keep root's rights on the test's files
  int64_t max_queued_messages = 1000000;  // per offline session
  // TLS on the listener when both are set (mqtts://); PEM files.
  std::string certfile;
  std::string keyfile;
};

// Writes <dir>/mosquitto.conf (and, with dynamic security, initialises
// <dir>/dynamic-security.json by running `mosquitto_ctrl dynsec init` when
// the file does not exist yet). Returns the config file's path.
Result<std::string> WriteMosquittoConfig(const MosquittoSetup& setup);

// The dynamic-security plugin shipped by Debian's mosquitto package.
std::string DynsecPluginPath();

// The mosquitto binary, or "" when the package is not installed.
std::string FindMosquitto();

// A broker fleetd started itself (the demo's). Stopped by PID on Stop() or
// destruction, and killed with fleetd if fleetd dies.
class MosquittoProcess {
 public:
  static Result<std::unique_ptr<MosquittoProcess>> Start(const std::string& conf_path, const std::string& log_path,
                                                        uint16_t port);
  ~MosquittoProcess();
  void Stop();
  int pid() const { return pid_; }

 private:
  explicit MosquittoProcess(int pid) : pid_(pid) {}
  int pid_;
};

}  // namespace fleetd
