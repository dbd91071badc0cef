// PostgresStore: the server Store, on PostgreSQL 15 through libpq.
//
// Durability: WriteBatch returns ok after COMMIT, i.e. after the server has
// flushed the transaction's WAL (synchronous_commit on, the default).
//
// Writes: the batch is encoded (JSON bodies, binary COPY data) while it is
// streamed, so the server parses one slice as the next is encoded
// (pg_batch_encoder.h), COPYed into a per-connection temporary staging table
// and moved into positions and events by one INSERT ... SELECT that skips
// keys already stored, in one transaction sent as one round trip. COPY
// alone would abort the whole batch on the first redelivered row; the
// INSERT skips duplicates and its RETURNING rows are the exact count of new
// ones. (The skip is a NOT EXISTS probe, with ON CONFLICT DO NOTHING as the
// fallback when a concurrent writer races it; see postgres_store.cc.)
//
// Time partitions: positions and events are partitioned by day. Partitions
// are created ahead (today + partitions_ahead_days) by Open and
// RunMaintenance, and on demand by WriteBatch for any other day a batch
// touches, so a write never fails for lack of a partition; if another
// process dropped a partition this one believed in, the write creates it and
// retries once. Create-on-demand rather than a catch-all DEFAULT partition:
// rows parked in a default partition would have to be moved out before their
// day's partition could be created, and every CREATE would scan it.
//
// Retention and rollups: RunMaintenance drops whole day partitions of
// positions older than raw_retention and of events older than
// event_retention, and keeps hourly rollups per device (count, distance,
// max/avg speed, first/last fix) for rollup_retention. Rollups are maintained
// in maintenance, not on write: WriteBatch only marks the (device, hour)
// pairs that received new rows (the RETURNING rows, so a redelivered
// duplicate marks nothing), and maintenance recomputes each marked hour, plus
// the next hour with data (whose first segment starts at the marked hour's
// last fix), from the raw rows. Recomputing from raw rows is exact for fixes
// that arrive late or out of order, which incremental sums on write are not,
// and it keeps neighbour lookups for distances off the write path. Rollups
// are therefore as fresh as the last maintenance run. A fix that arrives
// after its hour's raw partition was dropped is stored raw (until the next
// maintenance) but no longer changes that hour's rollup
// (MaintenanceStats::late_hours_skipped).
//
// Tenancy: every method that takes a tenant sets it for its transaction
// (pg_transaction.h), so the same store works connected as the API role,
// which row-level security confines to that tenant, or as the schema owner
// (ingest, process, admin), which sees every tenant; see pg_schema.cc. Under
// the API role the cross-tenant methods (FindDeviceByUid, FindUserByEmail,
// LatestPositions(nullopt), WriteBatch, device settings) see nothing.
//
// Concurrency: a pool of up to pool_size connections; every method is
// thread-safe and calls run in parallel on separate connections.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fleetd/store.h"
#include "store/postgres/pg_pool.h"
#include "store/postgres/pg_schema.h"

namespace fleetd {

struct PostgresStoreOptions {
  bool migrate = true;             // Open applies pending migrations; false: Open fails unless the schema is current
  int pool_size = 4;               // 1..1000 connections
  int connect_timeout_s = 5;       // 1..3600, unless the URL sets connect_timeout
  int ddl_lock_timeout_ms = 5000;  // partition DDL gives up after waiting this long for its lock
  int partitions_ahead_days = 2;   // 0..366: partitions exist from today through today + this
  int64_t raw_retention_ms = 7 * 86'400'000LL;       // >= 1 day: positions partitions older than this are dropped
  int64_t event_retention_ms = 365 * 86'400'000LL;   // >= 1 day: likewise for events
  int64_t rollup_retention_ms = 365 * 86'400'000LL;  // >= 1 hour: rollup hours older than this are deleted
};

// One device-hour of history, kept after the raw rows are gone.
struct HourlyRollup {
  TimestampMs hour = 0;   // first millisecond of the hour (UTC)
  int64_t positions = 0;  // stored fixes in the hour
  // Haversine sum over consecutive located fixes; a segment counts in the
  // hour of its later fix (so the hours of a trip add up to the trip).
  double distance_km = 0;
  std::optional<double> max_speed_kmh;  // over fixes that reported a speed; absent if none did
  std::optional<double> avg_speed_kmh;
  TimestampMs first_fix = 0;
  TimestampMs last_fix = 0;

  bool operator==(const HourlyRollup&) const = default;
};

struct RollupQuery {
  int64_t tenant_id = 0;
  std::string device_uid;
  std::optional<TimestampMs> from;  // inclusive, compared with HourlyRollup::hour
  std::optional<TimestampMs> to;    // exclusive
};

struct MaintenanceStats {
  int partitions_created = 0;
  int partitions_dropped = 0;
  int64_t rollup_hours_updated = 0;
  int64_t late_hours_skipped = 0;  // marked hours whose raw rows had already been dropped
  int64_t rollup_hours_deleted = 0;
};

class PostgresStore final : public Store {
 public:
  // Connects to `url` (pg_url.h), then migrates (options.migrate) or checks
  // that the schema is current, and creates the partitions ahead.
  // kInvalidArgument for a bad URL or option; Connection::Connect's errors
  // (kIoError, kUnauthenticated) when the server cannot be reached or
  // refuses; kInternal if the schema is newer than this build or (migrate
  // off) older.
  static Result<std::unique_ptr<PostgresStore>> Open(const std::string& url, PostgresStoreOptions options = {});
  ~PostgresStore() override;
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

  // Applies pending migrations (what `fleetd migrate` runs); a no-op
  // returning from == to when the schema is current.
  Result<pg::MigrationReport> Migrate();

  // Once, in this order: creates the partitions ahead of `now`, recomputes
  // the rollups of marked hours, drops expired positions and events
  // partitions, deletes expired rollups. Meant to run every few minutes from
  // one process; kBusy when another process's maintenance is running.
  Result<MaintenanceStats> RunMaintenance(TimestampMs now);

  // Hourly rollups of a device of the tenant, in hour order (at most 10000).
  // kNotFound like QueryPositions. Removed devices stay queryable.
  Result<std::vector<HourlyRollup>> QueryRollups(const RollupQuery& query);

  // Messages with a fix time become positions; those with an alarm also
  // events, idempotent on (device, fix time, alarm). One transaction. A fix
  // or receive time outside [1970, 9999] is skipped like a missing fix time:
  // schema v1 (the stored JSON) cannot carry it, so the row could never be
  // read back, and no decoder or listener produces one.
  Result<WriteStats> WriteBatch(std::span<const Envelope> batch) override;
  // Like WriteBatch, replacing stored rows of the same key (postgres_store_rewrite.cc).
  Result<WriteStats> RewriteBatch(std::span<const Envelope> batch) override;
  // kNotFound when the uid is not a device of query.tenant_id (a removed
  // device still is: its history stays queryable; if the uid is registered
  // to the tenant again, the current device wins). limit is clamped to
  // [1, 10000]; `next` is set when the page is full.
  Result<PositionPage> QueryPositions(const PositionQuery& query) override;
  // Per registered (not removed) device, its latest stored located message.
  Result<std::vector<Envelope>> LatestPositions(std::optional<int64_t> tenant_id) override;

  // Names, uids and emails must be non-empty (kInvalidArgument), and text
  // other than uids must be UTF-8 without NUL bytes (kInvalidArgument from
  // the server); duplicates are kAlreadyExists; an unknown tenant is
  // kNotFound. Emails compare case-insensitively (ASCII). Uids are bytes.
  Result<Tenant> AddTenant(const std::string& name) override;
  Result<Tenant> FindTenant(const std::string& name) override;
  Result<Tenant> FindTenantById(int64_t id) override;
  // Also removes the uid from pending. A removed device's uid is free again.
  Result<Device> AddDevice(int64_t tenant_id, const std::string& uid, const std::string& name) override;
  Result<Device> FindDeviceByUid(const std::string& uid) override;
  Result<std::vector<Device>> ListDevices(int64_t tenant_id) override;
  Result<Device> UpdateDeviceSettings(const std::string& uid, const DeviceSettings& settings) override;
  // Soft delete: sets removed_at; the row and its history stay.
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
  PostgresStore(const std::string& url, const std::string& display_url, const PostgresStoreOptions& options);

  // Creates the partitions of `days` this process has not seen yet (all of
  // them when `recheck`), remembering them.
  Status EnsureDays(pg::Connection& conn, const std::vector<int64_t>& days, bool recheck);
  // The COPY + INSERT ... SELECT transaction of WriteBatch, in its fast or
  // safe form (postgres_store.cc); on failure `failed_sqlstate` is the
  // server's SQLSTATE.
  Result<WriteStats> WriteStaged(pg::Connection& conn, const std::function<std::string_view()>& copy_data, int64_t rows,
                                 bool safe, std::string& failed_sqlstate);
  // The id of `uid`'s device in `tenant_id` (inside `conn`'s open transaction),
  // preferring a current one over removed ones; kNotFound if none.
  Result<int64_t> DeviceIdForHistory(pg::Connection& conn, int64_t tenant_id, const std::string& uid);
  // Recomputes marked rollup hours; part of RunMaintenance.
  Status RollUp(pg::Connection& conn, MaintenanceStats& stats);
  Status DropExpired(pg::Connection& conn, TimestampMs now, MaintenanceStats& stats);

  const PostgresStoreOptions options_;
  pg::ConnectionPool pool_;
  std::mutex days_mu_;
  std::set<int64_t> known_days_;  // days whose partitions this process created or saw
};

}  // namespace fleetd
