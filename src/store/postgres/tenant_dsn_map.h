// The tenant -> DSN map (issue 5, docs/postgres.md): which tenants keep their
// time series (positions, events, rollups) in a database of their own, or in
// a schema of their own (options=-csearch_path%3D<schema>), instead of the
// shared store's tables. The shared store stays the directory: tenants,
// users, devices, pending devices.
//
// Checked here once, for the config (app/config.cc), `fleetd migrate` and
// RoutedPostgresStore alike, so a bad entry is the same clear error
// wherever it is met.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "fleetd/status.h"

namespace fleetd::pg {

// Tenant name -> postgresql:// URL (pg_url.h; role= and migrate= allowed).
using TenantDsnMap = std::map<std::string, std::string>;

// kInvalidArgument, naming the tenant (and the URL, redacted), for an empty
// name, an empty URL, a URL that is not postgresql:// or postgres://, or one
// ParseStoreUrl refuses.
Status ValidateTenantDsn(const std::string& tenant, const std::string& url);

// One database (or schema) of the map and the tenants placed in it.
struct TenantDsnGroup {
  std::string url;                   // as written in the map
  std::vector<std::string> tenants;  // in name order
};

// The map's distinct URLs, compared as written, each with its tenants, in
// the order of their first tenant's name. A tenant whose URL is exactly
// `shared_url` stays in the shared store and is in no group. Validates every
// entry (ValidateTenantDsn), and `shared_url` when the map is not empty.
Result<std::vector<TenantDsnGroup>> GroupTenantDsns(const std::string& shared_url, const TenantDsnMap& tenants);

}  // namespace fleetd::pg
