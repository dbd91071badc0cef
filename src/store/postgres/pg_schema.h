// The PostgreSQL schema as numbered migrations, recorded in schema_migrations.
//
// Migration n is applied once, in one transaction with its row in
// schema_migrations, under an advisory lock: two processes starting together
// migrate once, and running Migrate again is a no-op. Migrations are
// append-only: a released one is never edited, a change is a new entry.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "fleetd/status.h"
#include "store/postgres/pg_connection.h"

namespace fleetd::pg {

// The schema version this build writes and expects.
int SchemaVersion();

// The database's version: 0 before the first migration. kIoError when it
// cannot be read.
Result<int> CurrentSchemaVersion(Connection& conn);

struct AppliedMigration {
  int version = 0;
  std::string name;
};

struct MigrationReport {
  int from = 0;  // the version found
  int to = 0;    // the version left (from == to: nothing to do)
  std::vector<AppliedMigration> applied;  // what this call applied, in order
};

// Brings the database to SchemaVersion(). kInternal if it is newer than this
// build (a newer fleetd migrated it); the server's error, coded by pg_error.h,
// if a migration fails (then nothing of that migration stays).
// `create_search_path_schema`: first creates the schema SearchPathSchema
// names, if any and missing (a tenant DSN that places the tables in a schema
// of their own; needs CREATE on the database).
Result<MigrationReport> Migrate(Connection& conn, bool create_search_path_schema = false);

// The first schema the session's search_path names (parsed as an
// identifier: unquoted names fold to lower case), or nullopt when that is
// "$user" or nothing, i.e. the server's default choice stands.
// kInvalidArgument when the entry is not a plain schema name.
Result<std::optional<std::string>> SearchPathSchema(Connection& conn);
// kInternal (naming the schema, the database and `fleetd migrate`) when
// SearchPathSchema names a schema that does not exist, so unqualified names
// would resolve in a later entry of search_path (often public, the shared
// tables). Ok when search_path names none.
Status CheckSearchPathSchema(Connection& conn);

}  // namespace fleetd::pg
