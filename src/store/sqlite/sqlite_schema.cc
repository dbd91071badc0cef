// Schema v1 and the migration runner. Times are INTEGER ms since the epoch
// (UTC); `body` is the whole schema-v1 message as JSON (core/message_json.h),
// with the columns the queries filter on copied out beside it.
#include "store/sqlite/sqlite_schema.h"

#include <string>

#include "store/sqlite/sqlite_statement.h"

namespace fleetd::sqlite {
namespace {

constexpr const char* kMigrations[] = {
    // 1: initial schema.
    R"sql(
CREATE TABLE tenants (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);
CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  tenant_id     INTEGER NOT NULL REFERENCES tenants(id),
  email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('admin', 'viewer'))
);
CREATE INDEX users_tenant ON users(tenant_id);
CREATE TABLE devices (
  id         INTEGER PRIMARY KEY,
  tenant_id  INTEGER NOT NULL REFERENCES tenants(id),
  uid        TEXT NOT NULL UNIQUE,
  name       TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX devices_tenant ON devices(tenant_id);
-- No foreign key to devices: the hot insert path stays one B-tree write, and
-- the listener only publishes messages of devices it resolved.
CREATE TABLE positions (
  device_id   INTEGER NOT NULL,
  ts          INTEGER NOT NULL,
  tenant_id   INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  lat         REAL,
  lng         REAL,
  speed_kmh   REAL,
  body        TEXT NOT NULL,
  PRIMARY KEY (device_id, ts)
) WITHOUT ROWID;
CREATE TABLE events (
  id        INTEGER PRIMARY KEY,
  tenant_id INTEGER NOT NULL,
  device_id INTEGER NOT NULL,
  ts        INTEGER NOT NULL,
  type      TEXT NOT NULL,
  body      TEXT NOT NULL,
  UNIQUE (device_id, ts, type)
);
CREATE INDEX events_tenant_ts ON events(tenant_id, ts);
CREATE TABLE pending_devices (
  uid            TEXT PRIMARY KEY,
  protocol       TEXT NOT NULL,
  remote_address TEXT NOT NULL,
  first_seen     INTEGER NOT NULL,
  last_seen      INTEGER NOT NULL,
  attempts       INTEGER NOT NULL
);
)sql",
    // 2: per-device decoding settings.
    R"sql(
ALTER TABLE devices ADD COLUMN model TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN lenient INTEGER NOT NULL DEFAULT 0;
)sql",
    // 3: removed devices are kept (their history stays theirs) and their uid
    // may be registered again, so uid is unique only among active devices.
    // SQLite cannot drop a column constraint: the table is rebuilt.
    R"sql(
CREATE TABLE devices_v3 (
  id         INTEGER PRIMARY KEY,
  tenant_id  INTEGER NOT NULL REFERENCES tenants(id),
  uid        TEXT NOT NULL,
  name       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  model      TEXT NOT NULL DEFAULT '',
  lenient    INTEGER NOT NULL DEFAULT 0,
  removed_at INTEGER
);
INSERT INTO devices_v3 (id, tenant_id, uid, name, created_at, model, lenient)
  SELECT id, tenant_id, uid, name, created_at, model, lenient FROM devices;
DROP TABLE devices;
ALTER TABLE devices_v3 RENAME TO devices;
CREATE UNIQUE INDEX devices_active_uid ON devices(uid) WHERE removed_at IS NULL;
CREATE INDEX devices_tenant ON devices(tenant_id);
)sql",
    // 4: the operator role (runs the platform). A CHECK cannot be altered in
    // SQLite: the table is rebuilt, ids kept. Nothing references users.
    R"sql(
CREATE TABLE users_v4 (
  id            INTEGER PRIMARY KEY,
  tenant_id     INTEGER NOT NULL REFERENCES tenants(id),
  email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('admin', 'viewer', 'operator'))
);
INSERT INTO users_v4 (id, tenant_id, email, password_hash, role)
  SELECT id, tenant_id, email, password_hash, role FROM users;
DROP TABLE users;
ALTER TABLE users_v4 RENAME TO users;
CREATE INDEX users_tenant ON users(tenant_id);
)sql",
};

constexpr int kVersion = static_cast<int>(sizeof(kMigrations) / sizeof(kMigrations[0]));

Status Exec(sqlite3* db, const std::string& sql, const char* what) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) == SQLITE_OK) return Status::Ok();
  std::string message = std::string(what) + ": " + (err ? err : sqlite3_errmsg(db));
  sqlite3_free(err);
  return Status(StatusCode::kIoError, std::move(message));
}

Result<int> UserVersion(sqlite3* db) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &raw, nullptr) != SQLITE_OK) {
    return Error(db, "read user_version");
  }
  Statement stmt(db, raw);
  if (stmt.Step() != SQLITE_ROW) return Error(db, "read user_version");
  return static_cast<int>(stmt.Int64(0));
}

Status MigrateLocked(sqlite3* db, int target) {
  auto version = UserVersion(db);
  if (!version.ok()) return version.status();
  if (*version > kVersion) {
    return Status(StatusCode::kInternal, "database schema version " + std::to_string(*version) +
                                             " is newer than this build's " + std::to_string(kVersion));
  }
  for (int v = *version; v < target; ++v) {
    Status s = Exec(db, kMigrations[v], "migration");
    if (!s.ok()) return s;
    s = Exec(db, "PRAGMA user_version = " + std::to_string(v + 1), "set user_version");
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace

int SchemaVersion() { return kVersion; }

Status Migrate(sqlite3* db, int target) {
  if (target < 0 || target > kVersion) {
    return Status(StatusCode::kInvalidArgument, "no schema version " + std::to_string(target));
  }
  // Fast path without the write lock: an admin command opening the file while
  // the server writes should not queue behind it just to learn nothing changed.
  if (auto version = UserVersion(db); version.ok() && *version == target) return Status::Ok();
  Status s = Exec(db, "BEGIN IMMEDIATE", "begin migration");
  if (!s.ok()) return s;
  s = MigrateLocked(db, target);
  if (!s.ok()) {
    Exec(db, "ROLLBACK", "rollback migration");
    return s;
  }
  return Exec(db, "COMMIT", "commit migration");
}

}  // namespace fleetd::sqlite
