// PostgresStore: the server Store, on PostgreSQL 15 through libpq.
//
// Durability: WriteBatch returns ok after COMMIT, i.e. after the server has
// flushed the transaction's WAL (synchronous_commit on, the default).
//
// Writes: when the session may COPY into positions (the writer role, see
// PostgresStoreOptions::direct_copy), a batch is first COPYed straight into
// positions and events, the client having dropped in-batch repeats and
// computed the rollup marks; that is exact when no key is stored yet, the
// common case. A redelivered batch makes the COPY fail on the primary key
// (nothing of it stays) and is then written the careful way below, as are
// the next few batches. Otherwise the batch is encoded (JSON bodies, binary COPY data) while it is
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
// (pg_transaction.h), so the same store works under the API role (role=api:
// SET ROLE fleetd_api per session, confined by row-level security to the
// transaction's tenant) or as the schema owner (ingest, process, admin),
// which sees every tenant; see pg_schema.cc. Under the API role
// FindUserByEmail and FindDeviceByUid go through SECURITY DEFINER functions
// that return one row for one exact key, FindTenantById reads under that
// tenant's own setting, and the other cross-tenant methods (FindTenant,
// LatestPositions(nullopt), WriteBatch, RewriteBatch, device settings and
// removal, RecordPending, maintenance) find nothing or are refused
// (kPermissionDenied).
//
// Concurrency: a pool of up to pool_size connections; every method is
// thread-safe and calls run in parallel on separate connections.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fleetd/store.h"
#include "store/postgres/pg_batch_encoder.h"
#include "store/postgres/pg_pool.h"
#include "store/postgres/pg_schema.h"
#include "store/postgres/pg_url.h"

namespace fleetd {

struct PostgresStoreOptions {
  // Open applies pending migrations; false: Open fails unless the schema is
  // current. The URL's migrate= overrides it. Never under the API role.
  bool migrate = true;
  // kWriter: the schema owner (ingest, process, admin). kApi: every session
  // runs SET ROLE fleetd_api, so row-level security confines each call to
  // its tenant; the lookups made before the tenant is known (FindUserByEmail,
  // FindDeviceByUid) go through the schema's SECURITY DEFINER functions. The
  // URL's role= overrides it.
  pg::StoreRole role = pg::StoreRole::kWriter;
  // WriteBatch COPYs straight into positions when this session may (RLS does
  // not apply to it there: the owner after migration 2, a BYPASSRLS role or
  // a superuser), falling back to the staging path for a batch that meets a
  // stored key. false: always the staging path.
  bool direct_copy = true;
  // The session's search_path places the schema (a tenant DSN of the tenant
  // -> DSN map, options=-csearch_path%3D<schema>): migrating creates the
  // first schema search_path names if it is missing, and Open refuses a
  // session where that schema does not exist, since unqualified names would
  // then resolve in a later entry, usually the shared tables in public
  // (pg_schema.h, CheckSearchPathSchema).
  bool search_path_schema = false;
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
  // returning from == to when the schema is current. kPermissionDenied
  // under the API role.
  Result<pg::MigrationReport> Migrate();
  // What Open's migration applied (from == to when nothing, or migrate off).
  const pg::MigrationReport& opened_migration() const { return opened_migration_; }
  // Whether WriteBatch tries the direct COPY (options.direct_copy and the
  // session may COPY into positions and events).
  bool direct_copy() const { return direct_copy_; }
  pg::StoreRole role() const { return options_.role; }

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

  // --- for RoutedPostgresStore (routed_postgres_store.h): the directory in
  // one database, a tenant's history in another ---
  // The id of the tenant with exactly this name, also under the API role
  // (through the schema's SECURITY DEFINER fleetd_tenant_id). kNotFound.
  Result<int64_t> TenantIdByName(const std::string& name);
  // The device whose history QueryPositions and QueryRollups read for
  // (tenant_id, uid): the current device with the uid, else the one removed
  // last. kNotFound like QueryPositions.
  Result<int64_t> HistoryDeviceId(int64_t tenant_id, const std::string& uid);
  // QueryPositions and QueryRollups of the device `device_id` (found by
  // HistoryDeviceId in the directory), read here without a device lookup:
  // this database holds the tenant's rows, not its devices. query.device_uid
  // is not used; rows must also carry query.tenant_id.
  Result<PositionPage> QueryDevicePositions(int64_t device_id, const PositionQuery& query);
  Result<std::vector<HourlyRollup>> QueryDeviceRollups(int64_t device_id, const RollupQuery& query);
  // LatestPositions(tenant_id) for the given devices (the directory's current
  // devices of the tenant), in device id order.
  Result<std::vector<Envelope>> LatestDevicePositions(int64_t tenant_id, std::span<const int64_t> device_ids);

  // Upsert: a new uid starts with seen.attempts (at least 1); a known one gets
  // attempts + 1, the newer last_seen, and the latest protocol and address.
  Status RecordPending(const PendingDevice& seen) override;
  // Most recently seen first.
  Result<std::vector<PendingDevice>> ListPending() override;
  Status RemovePending(const std::string& uid) override;

 private:
  PostgresStore(const std::string& url, const std::string& display_url, const PostgresStoreOptions& options);
  // Open's checks once connected: the migration or version check, the API
  // role's confinement, the writer's COPY permission.
  Status Prepare(pg::Connection& conn);
  // WriteBatch's first try when direct_copy_: COPY into positions (and
  // events), marks from the client. kAlreadyExists (23505) when a key is
  // already stored; the caller then takes the staging path.
  // `resend`: the encoder's data was streamed once already.
  Result<WriteStats> WriteDirect(pg::Connection& conn, pg::BatchEncoder& encoder, bool resend,
                                 std::string& failed_sqlstate);
  // The staging path, with its retries (postgres_store.cc).
  Result<WriteStats> WriteViaStage(pg::Connection& conn, std::span<const Envelope> batch);

  // Creates the partitions of `days` this process has not seen yet (all of
  // them when `recheck`), remembering them.
  Status EnsureDays(pg::Connection& conn, const std::vector<int64_t>& days, bool recheck);
  // The COPY + INSERT ... SELECT transaction of WriteBatch, in its fast or
  // safe form (postgres_store.cc); on failure `failed_sqlstate` is the
  // server's SQLSTATE.
  Result<WriteStats> WriteStaged(pg::Connection& conn, const std::function<std::string_view()>& copy_data, int64_t rows,
                                 bool safe, std::string& failed_sqlstate);
  // Runs `read` in a read-only transaction, confined to `tenant_id` by
  // row-level security when one is given, and returns its rows once
  // committed. The connection is back in the pool on return, so callers
  // decode the rows (JSON bodies) without holding it.
  Result<pg::QueryResult> ReadAsTenant(std::optional<int64_t> tenant_id,
                                       const std::function<Result<pg::QueryResult>(pg::Connection&)>& read);
  // The id of `uid`'s device in `tenant_id` (inside `conn`'s open transaction),
  // preferring a current one over removed ones; kNotFound if none.
  Result<int64_t> DeviceIdForHistory(pg::Connection& conn, int64_t tenant_id, const std::string& uid);
  // QueryPositions and QueryDevicePositions: `device_id` found already, or
  // nullopt to look query.device_uid up in this database.
  Result<PositionPage> ReadPositions(const PositionQuery& query, std::optional<int64_t> device_id);
  Result<std::vector<HourlyRollup>> ReadRollups(const RollupQuery& query, std::optional<int64_t> device_id);
  // Recomputes marked rollup hours; part of RunMaintenance.
  Status RollUp(pg::Connection& conn, MaintenanceStats& stats);
  Status DropExpired(pg::Connection& conn, TimestampMs now, MaintenanceStats& stats);

  PostgresStoreOptions options_;
  pg::ConnectionPool pool_;
  pg::MigrationReport opened_migration_;
  bool direct_copy_ = false;
  // Batches left to send through the staging path after a direct COPY met a
  // stored key: redeliveries come in runs (a consumer restarting), and each
  // failed direct try costs a round trip.
  std::atomic<int> staged_after_conflict_{0};
  std::mutex days_mu_;
  std::set<int64_t> known_days_;  // days whose partitions this process created or saw
};

}  // namespace fleetd
