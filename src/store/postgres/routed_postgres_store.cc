// RoutedPostgresStore: opening, routing and the split writes. Parts of a
// batch are written one after another, not in parallel: a batch rarely
// holds more than a few stores' tenants, and one connection at a time per
// call keeps the pools' sizing what it is for a single store.
#include "store/postgres/routed_postgres_store.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "store/postgres/pg_url.h"

namespace fleetd {

namespace {

std::string Joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

// `s` with its code, its message prefixed by the store it came from.
Status From(const std::string& url, const Status& s) { return Status(s.code(), "store '" + url + "': " + s.message()); }

}  // namespace

RoutedPostgresStore::~RoutedPostgresStore() = default;

Result<std::unique_ptr<RoutedPostgresStore>> RoutedPostgresStore::Open(const std::string& shared_url,
                                                                       const pg::TenantDsnMap& tenants,
                                                                       PostgresStoreOptions options) {
  auto groups = pg::GroupTenantDsns(shared_url, tenants);
  if (!groups.ok()) return groups.status();
  std::unique_ptr<RoutedPostgresStore> routed(new RoutedPostgresStore());
  routed->shared_url_ = pg::RedactUrl(shared_url);
  auto shared = PostgresStore::Open(shared_url, options);
  if (!shared.ok()) return shared.status();
  routed->shared_ = std::move(*shared);

  // Names first: a typo in the map fails before any tenant store opens.
  std::vector<std::vector<int64_t>> ids(groups->size());
  for (size_t g = 0; g < groups->size(); ++g) {
    for (const std::string& name : (*groups)[g].tenants) {
      auto id = routed->shared_->TenantIdByName(name);
      if (!id.ok()) {
        if (id.status().code() != StatusCode::kNotFound) return From(routed->shared_url_, id.status());
        return Status(StatusCode::kNotFound, "store tenant map: tenant '" + name + "' is not in the directory of '" +
                                                 routed->shared_url_ + "' (add it first: fleetd tenant add)");
      }
      ids[g].push_back(*id);
    }
  }

  PostgresStoreOptions tenant_options = options;
  tenant_options.search_path_schema = true;
  for (size_t g = 0; g < groups->size(); ++g) {
    const pg::TenantDsnGroup& group = (*groups)[g];
    const std::string url = pg::RedactUrl(group.url);
    auto store = PostgresStore::Open(group.url, tenant_options);
    if (!store.ok()) {
      return Status(store.status().code(),
                    "store of tenant " + Joined(group.tenants) + " '" + url + "': " + store.status().message());
    }
    TenantStore entry{std::move(*store), url, ids[g], group.tenants};
    std::sort(entry.tenant_ids.begin(), entry.tenant_ids.end());
    for (int64_t id : entry.tenant_ids) routed->routes_[id] = routed->tenant_stores_.size();
    routed->tenant_stores_.push_back(std::move(entry));
  }
  return routed;
}

RoutedPostgresStore::TenantStore* RoutedPostgresStore::Route(int64_t tenant_id) {
  auto it = routes_.find(tenant_id);
  return it == routes_.end() ? nullptr : &tenant_stores_[it->second];
}

PostgresStore& RoutedPostgresStore::StoreFor(int64_t tenant_id) {
  TenantStore* t = Route(tenant_id);
  return t ? *t->store : *shared_;
}

Result<std::vector<DsnMigration>> RoutedPostgresStore::Migrate() {
  std::vector<DsnMigration> out;
  auto shared = shared_->Migrate();
  if (!shared.ok()) return From(shared_url_, shared.status());
  out.push_back(DsnMigration{shared_url_, {}, std::move(*shared)});
  for (TenantStore& t : tenant_stores_) {
    auto report = t.store->Migrate();
    if (!report.ok()) return From(t.url, report.status());
    out.push_back(DsnMigration{t.url, t.tenants, std::move(*report)});
  }
  return out;
}

Result<MaintenanceStats> RoutedPostgresStore::RunMaintenance(TimestampMs now) {
  MaintenanceStats total;
  Status first_error;
  size_t busy = 0;
  auto run = [&](PostgresStore& store, const std::string& url) {
    auto stats = store.RunMaintenance(now);
    if (!stats.ok()) {
      if (stats.status().code() == StatusCode::kBusy) {
        ++busy;
      } else if (first_error.ok()) {
        first_error = From(url, stats.status());
      }
      return;
    }
    total.partitions_created += stats->partitions_created;
    total.partitions_dropped += stats->partitions_dropped;
    total.rollup_hours_updated += stats->rollup_hours_updated;
    total.late_hours_skipped += stats->late_hours_skipped;
    total.rollup_hours_deleted += stats->rollup_hours_deleted;
  };
  // One after another: stores sharing a database (schemas) share its
  // maintenance lock, so running them together would make all but one busy.
  run(*shared_, shared_url_);
  for (TenantStore& t : tenant_stores_) run(*t.store, t.url);
  if (!first_error.ok()) return first_error;
  if (busy == 1 + tenant_stores_.size()) {
    return Status(StatusCode::kBusy, "maintenance is already running in another session for every store");
  }
  return total;
}

Result<std::vector<HourlyRollup>> RoutedPostgresStore::QueryRollups(const RollupQuery& query) {
  TenantStore* t = Route(query.tenant_id);
  if (!t) return shared_->QueryRollups(query);
  auto device_id = shared_->HistoryDeviceId(query.tenant_id, query.device_uid);
  if (!device_id.ok()) return device_id.status();
  return t->store->QueryDeviceRollups(*device_id, query);
}

Result<PositionPage> RoutedPostgresStore::QueryPositions(const PositionQuery& query) {
  TenantStore* t = Route(query.tenant_id);
  if (!t) return shared_->QueryPositions(query);
  auto device_id = shared_->HistoryDeviceId(query.tenant_id, query.device_uid);
  if (!device_id.ok()) return device_id.status();
  return t->store->QueryDevicePositions(*device_id, query);
}

Result<std::vector<Envelope>> RoutedPostgresStore::LatestPositions(std::optional<int64_t> tenant_id) {
  // One tenant of a tenant store: the directory's current devices, then their rows.
  auto of_tenant = [this](TenantStore& t, int64_t tenant) -> Result<std::vector<Envelope>> {
    auto devices = shared_->ListDevices(tenant);
    if (!devices.ok()) return devices.status();
    std::vector<int64_t> ids;
    ids.reserve(devices->size());
    for (const Device& d : *devices) ids.push_back(d.id);
    return t.store->LatestDevicePositions(tenant, ids);
  };
  if (tenant_id) {
    TenantStore* t = Route(*tenant_id);
    return t ? of_tenant(*t, *tenant_id) : shared_->LatestPositions(tenant_id);
  }
  auto all = shared_->LatestPositions(std::nullopt);
  if (!all.ok()) return all.status();
  std::erase_if(*all, [this](const Envelope& e) { return routes_.contains(e.tenant_id); });
  // The API role reads no tenant's rows without naming the tenant: the
  // shared store found none, and neither may the tenant stores.
  if (shared_->role() == pg::StoreRole::kApi) return all;
  for (TenantStore& t : tenant_stores_) {
    for (int64_t tenant : t.tenant_ids) {
      auto latest = of_tenant(t, tenant);
      if (!latest.ok()) return From(t.url, latest.status());
      std::move(latest->begin(), latest->end(), std::back_inserter(*all));
    }
  }
  std::sort(all->begin(), all->end(), [](const Envelope& a, const Envelope& b) { return a.device_id < b.device_id; });
  return all;
}

template <typename Write>
Result<WriteStats> RoutedPostgresStore::WriteParts(std::span<const Envelope> batch, Write write) {
  if (batch.empty()) return WriteStats{};
  // Usually every envelope goes to one store: the batch is passed on as it is.
  TenantStore* first = Route(batch.front().tenant_id);
  bool one_store =
      std::all_of(batch.begin(), batch.end(), [&](const Envelope& e) { return Route(e.tenant_id) == first; });
  if (one_store) {
    auto stats = write(first ? *first->store : *shared_, batch);
    if (!stats.ok()) return From(first ? first->url : shared_url_, stats.status());
    return stats;
  }
  // Parts keep the batch's order, so "the first of two envelopes with one
  // key counts" still holds: a key's envelopes share a device, so a tenant,
  // so a part. Index 0 is the shared store, i + 1 tenant store i.
  std::vector<std::vector<Envelope>> parts(1 + tenant_stores_.size());
  for (const Envelope& e : batch) {
    auto it = routes_.find(e.tenant_id);
    parts[it == routes_.end() ? 0 : it->second + 1].push_back(e);
  }
  // Every part is written even after one failed, so one unreachable
  // database does not hold back the other tenants' history; the failed call
  // is redelivered whole, and the parts already stored are skipped as
  // duplicates (or rewritten to the same rows) then.
  WriteStats total;
  Status first_error;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty()) continue;
    PostgresStore& store = i == 0 ? *shared_ : *tenant_stores_[i - 1].store;
    auto stats = write(store, std::span<const Envelope>(parts[i]));
    if (!stats.ok()) {
      if (first_error.ok()) first_error = From(i == 0 ? shared_url_ : tenant_stores_[i - 1].url, stats.status());
      continue;
    }
    total.positions_written += stats->positions_written;
    total.duplicates += stats->duplicates;
    total.events_written += stats->events_written;
  }
  if (!first_error.ok()) return first_error;
  return total;
}

Result<WriteStats> RoutedPostgresStore::WriteBatch(std::span<const Envelope> batch) {
  return WriteParts(batch, [](PostgresStore& store, std::span<const Envelope> part) { return store.WriteBatch(part); });
}

Result<WriteStats> RoutedPostgresStore::RewriteBatch(std::span<const Envelope> batch) {
  return WriteParts(batch,
                    [](PostgresStore& store, std::span<const Envelope> part) { return store.RewriteBatch(part); });
}

}  // namespace fleetd
