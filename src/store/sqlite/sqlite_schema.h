// The SQLite schema as an ordered list of migrations, applied by
// PRAGMA user_version: migration i moves a database from version i to i + 1.
// Migrations are append-only: a released migration is never edited, a change
// is a new entry.
#pragma once

#include <sqlite3.h>

#include "fleetd/status.h"

namespace fleetd::sqlite {

// The user_version this build writes.
int SchemaVersion();

// Brings the database up to `target` (SchemaVersion(); lower only in tests
// that build an older file to upgrade) inside one IMMEDIATE transaction, so
// two processes opening a new file at once migrate it once. kInternal if
// the file is newer than this build; kIoError on SQLite failures.
Status Migrate(sqlite3* db, int target = SchemaVersion());

}  // namespace fleetd::sqlite
