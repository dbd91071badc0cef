// Test helpers: wrap a vector's URI or body into a full HTTP request.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fleetd::osmand {

inline std::vector<uint8_t> Bytes(std::string_view s) { return std::vector<uint8_t>(s.begin(), s.end()); }

inline std::string Get(std::string_view uri) { return "GET " + std::string(uri) + " HTTP/1.1\r\nHost: fleetd\r\n\r\n"; }

inline std::string Post(std::string_view uri, std::string_view body,
                        std::string_view type = "application/json") {
  return "POST " + std::string(uri) + " HTTP/1.1\r\nHost: fleetd\r\nContent-Type: " + std::string(type) +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

}  // namespace fleetd::osmand
