// Percent-decoding (RFC 3986 %XX escapes), shared by the HTTP API's query
// strings, the OsmAnd protocol's request parameters and MQTT broker URLs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fleetd {

// Decodes %XX escapes (and '+' as space when `plus_is_space`). nullopt on a
// truncated or non-hex escape. Decoded bytes are not checked: callers that
// must refuse control characters use HasControlCharacter.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);

// True if `text` holds a byte below 0x20 or 0x7f.
bool HasControlCharacter(std::string_view text);

}  // namespace fleetd
