// redis:// URL parsing: strict, so a typo fails at start-up with a message
// that says what is wrong instead of connecting somewhere unexpected.
#include "live/redis/redis_url.h"

#include <charconv>

namespace fleetd {
namespace {

constexpr std::string_view kScheme = "redis://";
constexpr int kMaxDb = 15;  // redis.conf's default `databases 16`

Status Bad(std::string_view url, std::string_view why) {
  return Status(StatusCode::kInvalidArgument,
                "live URL '" + std::string(url) + "': " + std::string(why) + " (expected redis://host:port[/db])");
}

// A whole-string decimal integer in [lo, hi]; -1 otherwise.
int64_t ParseBounded(std::string_view text, int64_t lo, int64_t hi) {
  if (text.empty() || text.size() > 6) return -1;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v < lo || v > hi) return -1;
  return v;
}

bool ValidHostChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '.' || c == '_';
}

}  // namespace

Result<RedisEndpoint> ParseRedisUrl(std::string_view url) {
  if (!url.starts_with(kScheme)) return Bad(url, "the scheme must be redis://");
  std::string_view rest = url.substr(kScheme.size());
  if (rest.find_first_of("?#") != std::string_view::npos) return Bad(url, "query strings are not supported");
  if (rest.find('@') != std::string_view::npos) return Bad(url, "user names and passwords are not supported");

  std::string_view authority = rest.substr(0, rest.find('/'));
  std::string_view path = rest.substr(authority.size());
  RedisEndpoint out;

  std::string_view port_text;
  bool has_port = false;
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Bad(url, "unterminated '[' in the host");
    out.host = std::string(authority.substr(1, close - 1));
    if (out.host.empty()) return Bad(url, "the host is empty");
    for (char c : out.host) {
      bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      if (!hex && c != ':' && c != '.') return Bad(url, "the IPv6 address has a bad character");
    }
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Bad(url, "expected ':port' after the IPv6 address");
      port_text = after.substr(1);
      has_port = true;
    }
  } else {
    size_t colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      has_port = true;
    }
    if (out.host.empty()) return Bad(url, "the host is empty");
    for (char c : out.host) {
      if (!ValidHostChar(c)) return Bad(url, "the host has a bad character");
    }
  }
  if (out.host.size() > 253) return Bad(url, "the host is longer than 253 characters");
  if (has_port) {
    int64_t port = ParseBounded(port_text, 1, 65535);
    if (port < 0) return Bad(url, "the port must be a number from 1 to 65535");
    out.port = static_cast<uint16_t>(port);
  }

  if (!path.empty()) {
    path.remove_prefix(1);  // the '/'
    if (!path.empty()) {
      int64_t db = ParseBounded(path, 0, kMaxDb);
      if (db < 0) return Bad(url, "the database must be a number from 0 to 15");
      out.db = static_cast<int>(db);
    }
  }
  return out;
}

}  // namespace fleetd
