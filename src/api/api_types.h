// The Beast-free request and response the router works on. The HTTP session
// translates to and from Beast's types, so routing and auth are plain code
// that unit tests drive without sockets.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace fleetd::api {

struct ApiRequest {
  std::string method;         // "GET", "POST", ...
  std::string target;         // origin-form: "/api/v1/devices?x=1"
  std::string authorization;  // the Authorization header value, if any
  std::string content_type;
  std::string body;
  std::string remote_address;  // peer IP, the login rate-limit key
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

}  // namespace fleetd::api
