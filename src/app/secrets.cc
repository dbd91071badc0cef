#include "app/secrets.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/password.h"

namespace fleetd {

Result<std::string> LoadOrCreateJwtSecret(const Config& config) {
  if (!config.jwt_secret.empty()) return config.jwt_secret;
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(config.data_dir, ec);
  if (ec) return Status(StatusCode::kIoError, "cannot create data dir " + config.data_dir + ": " + ec.message());
  std::string path = config.data_dir + "/jwt.secret";
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::ifstream in(path);
    if (in) {
      std::stringstream text;
      text << in.rdbuf();
      std::string secret = text.str();
      while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
      if (secret.size() < 32) return Status(StatusCode::kInvalidArgument, path + " holds a secret shorter than 32 characters");
      return secret;
    }
    auto secret = api::GenerateSecret(48);
    if (!secret.ok()) return secret.status();
    // O_EXCL: if another fleetd process creates it first, read theirs instead.
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) continue;
    std::string line = *secret + "\n";
    bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) return Status(StatusCode::kIoError, "cannot write " + path);
    return *secret;
  }
  return Status(StatusCode::kIoError, "cannot read or create " + path);
}

}  // namespace fleetd
