// Password hashing for User.password_hash, and random secrets.
//
// scrypt (memory-hard, in OpenSSL) with a random salt; the parameters travel
// inside the stored string — "scrypt$<log2 N>$<r>$<p>$<salt>$<hash>", salt
// and hash in base64url without padding — so the cost can be raised later
// while old hashes still verify.
#pragma once

#include <string>
#include <string_view>

#include "fleetd/status.h"

namespace fleetd::api {

struct ScryptParams {
  int log2_n = 15;  // N = 2^15: ~32 MiB and ~100 ms per hash
  int r = 8;
  int p = 1;
};

// Cheap parameters for tests only (N = 2^10).
inline constexpr ScryptParams kTestScryptParams{10, 8, 1};

// Encodes a new hash with a fresh 16-byte salt. kInvalidArgument when the
// parameters are outside the accepted range (log2_n 10..20, r 1..32, p 1..4),
// kInternal when OpenSSL fails.
Result<std::string> HashPassword(std::string_view password, const ScryptParams& params = {});

// True when `encoded` was made by HashPassword from `password`. A malformed
// string or parameters outside the accepted range give false. The final
// comparison is constant time. Takes as long as hashing.
bool VerifyPassword(std::string_view password, std::string_view encoded);

// `bytes` random bytes from the OpenSSL CSPRNG, base64url-encoded (the JWT
// signing key file). kInternal when the generator fails.
Result<std::string> GenerateSecret(size_t bytes = 32);

}  // namespace fleetd::api
