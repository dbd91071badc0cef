#include "listen/mqtt/mosquitto_config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>
#include <cstdio>
#include <fstream>
#include <vector>

namespace fleetd {
namespace {

// Starts a program without a shell (no quoting of user-chosen passwords),
// its output appended to `log_path`; -1 if it cannot fork. With
// `die_with_parent` the child gets SIGTERM when fleetd dies.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& log_path, bool die_with_parent) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid != 0) return pid;
  FILE* log = std::fopen(log_path.c_str(), "a");
  if (log) {
    dup2(fileno(log), 1);
    dup2(fileno(log), 2);
  }
  if (die_with_parent) prctl(PR_SET_PDEATHSIG, SIGTERM);
  execvp(args[0], args.data());
  _exit(127);
}

// Runs a program to completion; its exit status, or -1.
int Run(const std::vector<std::string>& argv, const std::string& log_path) {
  pid_t pid = Spawn(argv, log_path, /*die_with_parent=*/false);
  if (pid < 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

std::string DynsecPluginPath() {
  for (const char* p : {"/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so",
                        "/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so",
                        "/usr/lib/mosquitto_dynamic_security.so"}) {
    if (access(p, R_OK) == 0) return p;
  }
  return "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so";
}

Result<std::string> WriteMosquittoConfig(const MosquittoSetup& s) {
  std::error_code ec;
  std::filesystem::create_directories(s.dir, ec);
  if (ec) return Status(StatusCode::kIoError, "cannot create " + s.dir + ": " + ec.message());
  const std::string conf_path = s.dir + "/mosquitto.conf";
  const std::string dynsec_path = s.dir + "/dynamic-security.json";
  if (s.dynamic_security) {
    if (s.admin_user.empty() || s.admin_password.empty()) {
      return Status(StatusCode::kInvalidArgument, "mosquitto: dynamic security needs an admin user and password");
    }
    if (!std::filesystem::exists(dynsec_path)) {
      int rc = Run({"mosquitto_ctrl", "dynsec", "init", dynsec_path, s.admin_user, s.admin_password},
                   s.dir + "/mosquitto_ctrl.log");
      if (rc != 0) {
        return Status(StatusCode::kIoError, "mosquitto_ctrl dynsec init failed (exit " + std::to_string(rc) +
                                                "; see " + s.dir + "/mosquitto_ctrl.log)");
      }
    }
  }
  std::ofstream out(conf_path, std::ios::trunc);
  if (!out) return Status(StatusCode::kIoError, "cannot write " + conf_path);
  out << "# Written by fleetd (src/listen/mqtt/mosquitto_config.cc); docs/mqtt.md explains it.\n";
  if (s.run_as_root) out << "user root\n";
  out << "per_listener_settings false\n"
      << "listener " << s.port << " " << s.bind << "\n"
      << (s.certfile.empty() || s.keyfile.empty() ? std::string()
                                                  : "certfile " + s.certfile + "\nkeyfile " + s.keyfile + "\n")
      << "persistence true\n"
      << "persistence_location " << s.dir << "/\n"
      << "autosave_interval 1\n"
      // Keep what an offline persistent session (a restarting fleetd) is owed.
      << "max_queued_messages " << s.max_queued_messages << "\n"
      << "max_queued_bytes 0\n"
      // In-flight QoS 1 towards fleetd is bounded by fleetd's receive maximum.
      << "max_inflight_messages 0\n"
      << "max_inflight_bytes 0\n"
      << "persistent_client_expiration 7d\n"
      << "log_dest stdout\n"
      << "log_type error\nlog_type warning\nlog_type notice\n"
      << "connection_messages false\n";
  if (s.dynamic_security) {
    out << "allow_anonymous false\n"
        << "plugin " << DynsecPluginPath() << "\n"
        << "plugin_opt_config_file " << dynsec_path << "\n";
  } else {
    out << "allow_anonymous true\n";
  }
  if (!out.flush()) return Status(StatusCode::kIoError, "cannot write " + conf_path);
  return conf_path;
}

std::string FindMosquitto() {
  for (const char* p : {"/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"}) {
    if (access(p, X_OK) == 0) return p;
  }
  return "";
}

namespace {
bool Accepts(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}
}  // namespace

Result<std::unique_ptr<MosquittoProcess>> MosquittoProcess::Start(const std::string& conf_path,
                                                                 const std::string& log_path, uint16_t port) {
  const std::string binary = FindMosquitto();
  if (binary.empty()) return Status(StatusCode::kNotFound, "mosquitto is not installed (apt-get install mosquitto)");
  pid_t pid = Spawn({binary, "-c", conf_path}, log_path, /*die_with_parent=*/true);
  if (pid < 0) return Status(StatusCode::kIoError, "fork failed");
  std::unique_ptr<MosquittoProcess> process(new MosquittoProcess(pid));
  for (int i = 0; i < 200; ++i) {
    if (Accepts(port)) return process;
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      process->pid_ = 0;
      return Status(StatusCode::kIoError, "mosquitto exited at start (see " + log_path + ")");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return Status(StatusCode::kIoError, "mosquitto did not listen on port " + std::to_string(port) + " within 5 s");
}

MosquittoProcess::~MosquittoProcess() { Stop(); }

void MosquittoProcess::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 200; ++i) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = 0;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = 0;
}

}  // namespace fleetd
