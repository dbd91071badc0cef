// Parses the `--live redis://host:port[/db]` URL into where to connect.
//
// Kept apart from the adapter so that every hostile URL is unit-tested
// without a server, and so the error messages name the part that is wrong.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "fleetd/status.h"

namespace fleetd {

struct RedisEndpoint {
  std::string host;  // a name, an IPv4 address, or an IPv6 address without brackets
  uint16_t port = 6379;
  int db = 0;  // SELECTed on every connection
};

// Accepts "redis://host[:port][/db]" with db 0-15 and port 1-65535 (default
// 6379); IPv6 hosts go in brackets ("redis://[::1]:6380/2"). kInvalidArgument,
// with the URL and the offending part in the message, for anything else:
// another scheme, user info or passwords (not supported: use a private
// network or a local socket proxy), a query string, an empty host.
Result<RedisEndpoint> ParseRedisUrl(std::string_view url);

}  // namespace fleetd
