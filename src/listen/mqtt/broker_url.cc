#include "listen/mqtt/broker_url.h"

#include <cctype>

#include "core/percent.h"

namespace fleetd::mqtt {
namespace {

Status Bad(const std::string& url, const std::string& why) {
  return Status(StatusCode::kInvalidArgument, "MQTT URL '" + url + "': " + why);
}

// User names and passwords: %-escapes decoded, control characters refused.
bool DecodeUserinfo(std::string_view in, std::string& out) {
  auto decoded = PercentDecode(in, /*plus_is_space=*/false);
  if (!decoded || HasControlCharacter(*decoded)) return false;
  out = std::move(*decoded);
  return true;
}

}  // namespace

Result<ClientOptions> ParseBrokerUrl(const std::string& url) {
  ClientOptions o;
  std::string_view rest(url);
  if (rest.rfind("mqtt://", 0) == 0) {
    rest.remove_prefix(7);
    o.port = 1883;
  } else if (rest.rfind("mqtts://", 0) == 0) {
    rest.remove_prefix(8);
    o.tls = true;
    o.port = 8883;
  } else {
    return Bad(url, "must start with mqtt:// or mqtts://");
  }
  if (rest.find_first_of("?#") != std::string_view::npos) return Bad(url, "query strings and fragments are not accepted");
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) return Bad(url, "a path is not accepted");
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest.remove_prefix(at + 1);
    size_t colon = userinfo.find(':');
    if (!DecodeUserinfo(userinfo.substr(0, colon), o.connect.username)) return Bad(url, "bad percent-encoding in user");
    if (colon != std::string_view::npos &&
        !DecodeUserinfo(userinfo.substr(colon + 1), o.connect.password)) {
      return Bad(url, "bad percent-encoding in password");
    }
    if (o.connect.username.empty()) return Bad(url, "empty user name");
  }
  std::string_view host = rest;
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return Bad(url, "unclosed [ in host");
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Bad(url, "junk after ]");
      port = after.substr(1);
    }
  } else if (size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty()) return Bad(url, "no host");
  for (char c : host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' && c != '_') {
      return Bad(url, "bad character in host");
    }
  }
  o.host = std::string(host);
  if (!port.empty() || (!rest.empty() && rest.back() == ':')) {
    if (port.empty() || port.size() > 5) return Bad(url, "bad port");
    uint32_t value = 0;
    for (char c : port) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return Bad(url, "bad port");
      value = value * 10 + static_cast<uint32_t>(c - '0');
    }
    if (value == 0 || value > 65535) return Bad(url, "port out of range");
    o.port = static_cast<uint16_t>(value);
  }
  return o;
}

}  // namespace fleetd::mqtt
