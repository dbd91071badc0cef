// RoutedPostgresStore: the PostgreSQL Store with a tenant -> DSN map (issue
// 5, docs/postgres.md): tenants of the map keep their time series in a
// database or schema of their own; the rest of the store is shared.
//
// It holds the shared PostgresStore (the directory: tenants, users, devices,
// pending devices, and the time series of every tenant not in the map) and
// one PostgresStore per distinct tenant URL. Every store runs the whole
// schema, so row-level security and maintenance work there unchanged; a
// tenant database's directory tables simply stay empty.
//
// Routing, by tenant id (the map's names are resolved once, at Open):
//  - directory methods (tenants, devices, users, pending) go to the shared
//    store. Device ids are the shared store's, in every database.
//  - QueryPositions and QueryRollups of a mapped tenant find the device in
//    the directory (HistoryDeviceId), then read the tenant's store by that
//    id. LatestPositions(tenant) reads the directory's current devices of the
//    tenant, then their latest rows in the tenant's store. The two reads are
//    not one snapshot: a device added or removed between them is listed or
//    left out as if the call had come a moment earlier or later.
//  - LatestPositions(nullopt) merges every store, in device id order; rows a
//    mapped tenant left in the shared tables before it was mapped are not
//    listed (the map, not history, says where a tenant's rows are).
//  - WriteBatch and RewriteBatch split the batch by Envelope::tenant_id,
//    one part per store, and write each part in that store's transaction. So
//    a batch is no longer atomic across stores: a call that fails may have
//    committed some parts. That is safe because both writes are idempotent
//    (a key already stored is skipped, or replaced by the same row): the
//    queue acks a batch only after the call returned ok, and redelivers it
//    whole otherwise, which stores the missing parts and changes nothing in
//    the others.
//
// A tenant moved into the map later keeps its older rows where they were:
// copy them into the tenant's store before mapping it (pg_dump of its rows),
// or they are no longer read.
//
// Concurrency: as PostgresStore. The routes are fixed at Open; every method
// is thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "fleetd/store.h"
#include "store/postgres/postgres_store.h"
#include "store/postgres/tenant_dsn_map.h"

namespace fleetd {

// What Migrate did in one database (or schema).
struct DsnMigration {
  std::string url;                   // redacted
  std::vector<std::string> tenants;  // the mapped tenants it holds; empty for the shared store
  pg::MigrationReport report;
};

class RoutedPostgresStore final : public Store {
 public:
  // Opens the shared store on `shared_url`, resolves every tenant name of
  // `tenants` in its directory, then opens one PostgresStore per distinct
  // tenant URL (GroupTenantDsns; a tenant whose URL is `shared_url` stays
  // shared), all with `options`; each URL's own role= and migrate= override
  // them, as in PostgresStore::Open. Tenant stores get search_path_schema, so
  // a URL that places the tables in a schema of their own is migrated into
  // it, or refused when it does not exist. kInvalidArgument for a bad entry;
  // kNotFound naming the tenant when a name is not in the directory (add
  // the tenant first: `fleetd tenant add`, which opens the shared store
  // alone); otherwise PostgresStore::Open's errors, prefixed with the
  // redacted URL and its tenants.
  static Result<std::unique_ptr<RoutedPostgresStore>> Open(const std::string& shared_url,
                                                           const pg::TenantDsnMap& tenants,
                                                           PostgresStoreOptions options = {});
  ~RoutedPostgresStore() override;
  RoutedPostgresStore(const RoutedPostgresStore&) = delete;
  RoutedPostgresStore& operator=(const RoutedPostgresStore&) = delete;

  PostgresStore& shared() { return *shared_; }
  // The store that holds the tenant's time series: its own, or shared().
  PostgresStore& StoreFor(int64_t tenant_id);
  // The number of tenant stores (distinct URLs other than the shared one).
  size_t tenant_store_count() const { return tenant_stores_.size(); }

  // PostgresStore::Migrate on the shared store, then on every tenant store.
  // Stops at the first error, which names the store's redacted URL.
  Result<std::vector<DsnMigration>> Migrate();
  // PostgresStore::RunMaintenance on every store, the shared one first, each
  // under its own database's lock; the stats are summed. A store whose
  // maintenance is running elsewhere (kBusy) is skipped this round. Every
  // store is tried; the first error other than kBusy is returned (naming the
  // store), and kBusy only when every store was busy.
  Result<MaintenanceStats> RunMaintenance(TimestampMs now);
  // PostgresStore::QueryRollups, of the tenant's store.
  Result<std::vector<HourlyRollup>> QueryRollups(const RollupQuery& query);

  // The sum of every part's WriteStats; see the file comment for failures.
  Result<WriteStats> WriteBatch(std::span<const Envelope> batch) override;
  Result<WriteStats> RewriteBatch(std::span<const Envelope> batch) override;
  Result<PositionPage> QueryPositions(const PositionQuery& query) override;
  Result<std::vector<Envelope>> LatestPositions(std::optional<int64_t> tenant_id) override;

  // The directory: the shared store's.
  Result<Tenant> AddTenant(const std::string& name) override { return shared_->AddTenant(name); }
  Result<Tenant> FindTenant(const std::string& name) override { return shared_->FindTenant(name); }
  Result<Tenant> FindTenantById(int64_t id) override { return shared_->FindTenantById(id); }
  Result<Device> AddDevice(int64_t tenant_id, const std::string& uid, const std::string& name) override {
    return shared_->AddDevice(tenant_id, uid, name);
  }
  Result<Device> FindDeviceByUid(const std::string& uid) override { return shared_->FindDeviceByUid(uid); }
  Result<std::vector<Device>> ListDevices(int64_t tenant_id) override { return shared_->ListDevices(tenant_id); }
  Result<Device> UpdateDeviceSettings(const std::string& uid, const DeviceSettings& settings) override {
    return shared_->UpdateDeviceSettings(uid, settings);
  }
  Status RemoveDevice(const std::string& uid) override { return shared_->RemoveDevice(uid); }
  Result<User> AddUser(const User& user) override { return shared_->AddUser(user); }
  Result<User> FindUserByEmail(const std::string& email) override { return shared_->FindUserByEmail(email); }
  Status RecordPending(const PendingDevice& seen) override { return shared_->RecordPending(seen); }
  Result<std::vector<PendingDevice>> ListPending() override { return shared_->ListPending(); }
  Status RemovePending(const std::string& uid) override { return shared_->RemovePending(uid); }

 private:
  struct TenantStore {
    std::unique_ptr<PostgresStore> store;
    std::string url;                   // redacted, for error messages
    std::vector<int64_t> tenant_ids;   // ascending
    std::vector<std::string> tenants;  // their names, in name order
  };
  RoutedPostgresStore() = default;

  // The tenant's store, or null when its rows are in the shared store.
  TenantStore* Route(int64_t tenant_id);
  // WriteBatch and RewriteBatch: `write` on each store's part.
  template <typename Write>
  Result<WriteStats> WriteParts(std::span<const Envelope> batch, Write write);

  std::unique_ptr<PostgresStore> shared_;
  std::string shared_url_;  // redacted
  std::vector<TenantStore> tenant_stores_;
  std::unordered_map<int64_t, size_t> routes_;  // tenant id -> index in tenant_stores_
};

}  // namespace fleetd
