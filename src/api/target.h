// Splits an HTTP request target into its path and decoded query parameters.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace fleetd::api {

struct Target {
  std::string path;                          // still percent-encoded
  std::map<std::string, std::string> query;  // decoded; a repeated key keeps the last value
};

// nullopt when the target is not origin-form ("/..."), or a query component
// has a bad %-escape or decodes to a control character.
std::optional<Target> ParseTarget(std::string_view target);

// Decodes %XX escapes (and '+' as space when `plus_is_space`). nullopt on a
// truncated or non-hex escape, or a decoded control character (< 0x20, 0x7f).
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);

}  // namespace fleetd::api
