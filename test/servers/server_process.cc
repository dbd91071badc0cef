#include "servers/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace fleetd::test {
namespace {

// Drops root to `user` in a forked child; exits the child if that fails.
void BecomeUser(const std::string& user) {
  if (user.empty() || geteuid() != 0) return;
  passwd* pw = getpwnam(user.c_str());
  if (!pw) _exit(126);
  if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) _exit(126);
}

pid_t Spawn(const std::vector<std::string>& argv, const std::string& log_path, const std::string& run_as_user) {
  if (argv.empty()) return -1;
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid != 0) return pid;
  // Child: own process group, so a stray grandchild can be signalled with it.
  setpgid(0, 0);
  int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    close(fd);
  }
  int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd >= 0) dup2(null_fd, 0);
  BecomeUser(run_as_user);
  // Dies with the test process even when that one crashes (set after the
  // user change, which would clear it).
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  execv(args[0], args.data());
  _exit(127);
}

}  // namespace

uint16_t PickFreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  uint16_t port = 0;
  if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    socklen_t len = sizeof addr;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) port = ntohs(addr.sin_port);
  }
  if (fd >= 0) close(fd);
  return port;
}

bool WaitForPort(uint16_t port, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::string MakeTempDir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/" + prefix + "XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) return "";
  // Servers that drop root (postgres) must be able to enter their directory.
  chmod(buf.data(), 0777);
  return std::string(buf.data());
}

void RemoveTree(const std::string& path) {
  std::error_code ec;
  if (!path.empty()) std::filesystem::remove_all(path, ec);
}

std::optional<std::string> FindProgram(const std::string& name) {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    std::stringstream ss(path);
    for (std::string d; std::getline(ss, d, ':');) dirs.push_back(d);
  }
  for (const char* d : {"/usr/sbin", "/usr/bin", "/sbin", "/usr/lib/postgresql/15/bin"}) dirs.emplace_back(d);
  for (const auto& d : dirs) {
    std::string full = d + "/" + name;
    if (access(full.c_str(), X_OK) == 0) return full;
  }
  return std::nullopt;
}

std::unique_ptr<ServerProcess> ServerProcess::Start(const std::vector<std::string>& argv, const std::string& log_path,
                                                    const std::string& run_as_user) {
  pid_t pid = Spawn(argv, log_path, run_as_user);
  if (pid <= 0) return nullptr;
  return std::unique_ptr<ServerProcess>(new ServerProcess(pid, log_path));
}

ServerProcess::~ServerProcess() { Stop(); }

void ServerProcess::Signal(int signal) {
  if (!exited_) kill(pid_, signal);
}

bool ServerProcess::WaitExit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!exited_) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || r < 0) {
      exited_ = true;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

bool ServerProcess::running() { return !WaitExit(std::chrono::milliseconds(0)); }

void ServerProcess::Stop(std::chrono::milliseconds grace) {
  if (exited_) return;
  kill(pid_, SIGCONT);  // a frozen child cannot handle SIGTERM
  kill(pid_, SIGTERM);
  if (!WaitExit(grace)) {
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
    WaitExit(std::chrono::seconds(5));
  }
}

std::string ServerProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int RunCommand(const std::vector<std::string>& argv, const std::string& log_path, const std::string& run_as_user) {
  pid_t pid = Spawn(argv, log_path, run_as_user);
  if (pid <= 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace fleetd::test
