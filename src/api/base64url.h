// Base64url (RFC 4648 section 5) without padding: the JWT encoding, also
// used for salts, hashes and generated secrets so they are safe in URLs,
// headers and config files alike.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fleetd::api {

std::string Base64UrlEncode(std::string_view bytes);

// Strict: rejects '=' padding, characters outside the url alphabet, a length
// that no encoding produces (len % 4 == 1) and non-zero trailing bits, so
// every byte string has exactly one accepted encoding.
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace fleetd::api
