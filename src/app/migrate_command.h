// `fleetd migrate --store URL`: brings the store's schema to this build's
// version and prints what it did as one JSON line, so deploy scripts run it
// before starting (or upgrading) the processes, which do not migrate unless
// their store URL says migrate=true.
#pragma once

#include <ostream>
#include <string>

#include "store/postgres/tenant_dsn_map.h"

namespace fleetd {

// PostgreSQL: applies the pending versioned migrations (idempotent: a second
// run applies nothing) as the writer, then creates the partitions ahead;
// prints {"store":<redacted URL>,"from":N,"to":M,"applied":[{"version":..,
// "name":..}]}. With a tenant -> DSN map, every distinct tenant URL is
// migrated too, after the shared one (creating the schema its search_path
// names, if missing), and listed in "tenant_stores":[{"store":..,"tenants":
// [..],"from":..,"to":..,"applied":[..]}]. SQLite (which migrates on open):
// {"store":..,"version":N}. Returns 0, or 2 with the error on `err` (bad
// URL, unreachable server, role=api, a database newer than this build, a
// map beside a store that is not PostgreSQL), printing nothing on `out`.
int RunMigrate(const std::string& store_url, const pg::TenantDsnMap& tenants, std::ostream& out, std::ostream& err);

}  // namespace fleetd
