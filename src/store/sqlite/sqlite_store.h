// SqliteStore: the embedded Store, one SQLite file in WAL mode.
//
// Durability: WriteBatch commits one transaction per batch with
// synchronous=FULL by default, so when it returns ok the rows survive a
// process crash *and* a power loss (the WAL is fsynced at every commit).
// synchronous=NORMAL (option) skips that fsync: rows still survive a process
// crash, but the last commits can be lost on power failure — only choose it
// when devices re-sending a few seconds of data after an outage is acceptable.
//
// Concurrency: one connection guarded by one mutex, so the consumer thread and
// API threads may call any method at once (calls run one at a time; JSON is
// encoded outside the lock). Other processes (the admin CLI while the server
// runs) open the same file with their own SqliteStore; WAL lets readers
// proceed during writes and busy_timeout makes writers wait for each other.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "fleetd/store.h"
#include "store/sqlite/sqlite_statement.h"

namespace fleetd {

struct SqliteStoreOptions {
  bool synchronous_full = true;  // false: synchronous=NORMAL (see the file comment)
  int busy_timeout_ms = 5000;    // how long a write waits for another process's lock
};

class SqliteStore final : public Store {
 public:
  // Opens or creates the database at `path` (":memory:" for a private,
  // non-durable database) and migrates it to the current schema. kIoError if
  // the file cannot be opened; kInternal if it is newer than this build.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path, SqliteStoreOptions options = {});
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // One IMMEDIATE transaction; INSERT OR IGNORE on (device_id, ts) so a
  // replayed message counts as a duplicate; alarms also insert into events,
  // idempotent on (device_id, ts, type). Messages without ts are skipped.
  Result<WriteStats> WriteBatch(std::span<const Envelope> batch) override;
  // The same transaction with INSERT ... ON CONFLICT DO UPDATE (an upsert
  // keeps the WITHOUT ROWID key and an event's id); repeats of a key within
  // the batch after the first are skipped (counted as duplicates).
  Result<WriteStats> RewriteBatch(std::span<const Envelope> batch) override;
  // kNotFound when the uid is not a device of query.tenant_id (including a
  // device of another tenant). limit is clamped to [1, 10000]; `next` is set
  // when the page is full. A ts of INT64_MAX is never returned.
  Result<PositionPage> QueryPositions(const PositionQuery& query) override;
  // Per registered device, its latest stored message that has a position.
  Result<std::vector<Envelope>> LatestPositions(std::optional<int64_t> tenant_id) override;

  // Names, uids and emails must be non-empty (kInvalidArgument); duplicates
  // are kAlreadyExists; an unknown tenant is kNotFound. Emails compare
  // case-insensitively (ASCII). AddDevice also removes the uid from pending.
  Result<Tenant> AddTenant(const std::string& name) override;
  Result<Tenant> FindTenant(const std::string& name) override;
  Result<Tenant> FindTenantById(int64_t id) override;
  Result<Device> AddDevice(int64_t tenant_id, const std::string& uid, const std::string& name) override;
  Result<Device> FindDeviceByUid(const std::string& uid) override;
  Result<std::vector<Device>> ListDevices(int64_t tenant_id) override;
  Result<Device> UpdateDeviceSettings(const std::string& uid, const DeviceSettings& settings) override;
  Status RemoveDevice(const std::string& uid) override;
  Result<User> AddUser(const User& user) override;
  Result<User> FindUserByEmail(const std::string& email) override;

  // Upsert: a new uid starts with seen.attempts (at least 1); a known one gets
  // attempts + 1, the newer last_seen, and the latest protocol and address.
  Status RecordPending(const PendingDevice& seen) override;
  // Most recently seen first.
  Result<std::vector<PendingDevice>> ListPending() override;
  Status RemovePending(const std::string& uid) override;

 private:
  explicit SqliteStore(sqlite3* db) : db_(db) {}

  // The cached prepared statement for `sql` (prepared on first use). Caller
  // holds mu_ and resets it after use (ResetOnExit).
  Result<sqlite::Statement*> Prepare(const char* sql);
  // Prepares (cached) and runs a statement that returns no rows.
  Status Exec(const char* sql);
  // WriteBatch (replace false) and RewriteBatch (replace true).
  Result<WriteStats> Write(std::span<const Envelope> batch, bool replace);
  Status WriteLocked(std::span<const Envelope> batch, const std::vector<std::string>& bodies, bool replace,
                     WriteStats& stats);
  Status WritePosition(sqlite::Statement& p, const Envelope& env, const std::string& body, WriteStats& stats);

  std::mutex mu_;
  sqlite3* db_;
  std::unordered_map<std::string, std::unique_ptr<sqlite::Statement>> statements_;
};

}  // namespace fleetd
