// HS256 JSON Web Tokens: the bearer credential of the HTTP and WebSocket API.
//
// Only HS256 is produced or accepted; the header's "alg" is checked before
// anything else so "none" or an asymmetric alg can never be smuggled in.
// Time is passed in (seconds since the epoch) so tests need no clock.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "fleetd/status.h"
#include "fleetd/store.h"

namespace fleetd::api {

// Tokens longer than this are rejected unread (a header is not a data sink).
inline constexpr size_t kMaxJwtLength = 8192;
// Secrets shorter than this are a configuration error.
inline constexpr size_t kMinJwtSecretLength = 16;

struct JwtClaims {
  std::string subject;      // "sub": user id as decimal text, or "token"
  int64_t tenant_id = 0;    // "tenant_id"
  std::string tenant_name;  // "tenant"; may be empty
  Role role = Role::kViewer;
  int64_t issued_at = 0;    // "iat", seconds since the epoch
  int64_t expires_at = 0;   // "exp", seconds since the epoch
};


// Returns "<header>.<payload>.<signature>". kInvalidArgument when the secret
// is shorter than kMinJwtSecretLength.
Result<std::string> SignJwt(const JwtClaims& claims, std::string_view secret);

// Checks shape, alg == HS256, the signature (constant time), then the claims'
// types and that now_seconds < exp. Every failure is kUnauthenticated with a
// short reason safe to return to the client.
Result<JwtClaims> VerifyJwt(std::string_view token, std::string_view secret, int64_t now_seconds);

}  // namespace fleetd::api
