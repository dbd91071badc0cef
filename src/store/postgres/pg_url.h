// Store URLs for PostgreSQL: libpq connection URIs,
//
//   postgresql://user:password@host:port/database?connect_timeout=5&sslmode=require
//   postgres://...   (the same)
//
// checked before the first connection so a typo is an immediate, specific
// error rather than a connection failure, and redacted so no error message
// or log line ever shows the password.
//
// Two query parameters are fleetd's, not libpq's, and are removed before the
// URL reaches libpq (ParseStoreUrl):
//   role=writer|api   writer (default): ingest, process, admin, migrate — the
//                     schema owner; api: every session runs SET ROLE
//                     fleetd_api, confined by row-level security
//                     (docs/postgres.md).
//   migrate=true|false  whether opening the store applies pending migrations
//                     (OpenStore's default: false; `fleetd migrate` does it).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "fleetd/status.h"

namespace fleetd::pg {

// True for "postgresql://..." and "postgres://...".
bool IsPostgresUrl(std::string_view url);

// kInvalidArgument (message names the redacted URL and the problem) for: a
// scheme other than the two above, anything libpq's URI parser rejects
// (unknown query parameter, bad percent-encoding, unclosed IPv6 bracket), a
// port that is not a number in 1..65535, a connect_timeout that is not a
// number of seconds in 1..3600 (libpq would wait forever on 0).
Status ValidateUrl(const std::string& url);

enum class StoreRole { kWriter, kApi };

struct StoreUrl {
  std::string libpq_url;          // the URL without fleetd's parameters
  std::optional<StoreRole> role;  // role=, if given
  std::optional<bool> migrate;    // migrate=, if given
};

// Splits role= and migrate= off `url`, then ValidateUrl()s the rest.
// kInvalidArgument (naming the redacted URL) for a value other than the
// listed ones (exact, lower case, not percent-encoded), an empty value, a
// parameter without '=', or one given twice.
Result<StoreUrl> ParseStoreUrl(const std::string& url);

// The URL with the password (in the user info or a password= parameter)
// replaced by "***".
std::string RedactUrl(std::string_view url);

}  // namespace fleetd::pg
