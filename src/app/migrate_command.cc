// The PostgreSQL store is opened with migrate on (the URL cannot turn it
// off here: migrate=false would make the command a version check that
// fails) and reports what Open applied, the shared store first, then every
// tenant store of the tenant -> DSN map; the SQLite store has migrated once
// opened, so its version is this build's. Migrating needs no tenant of the
// map to exist yet (a fresh deployment migrates before `tenant add`).
#include "app/migrate_command.h"

#include <nlohmann/json.hpp>

#include "app/adapters.h"
#include "store/postgres/pg_url.h"
#include "store/postgres/postgres_store.h"
#include "store/postgres/tenant_dsn_map.h"
#include "store/sqlite/sqlite_schema.h"

namespace fleetd {
namespace {

int Fail(std::ostream& err, const Status& s) {
  err << "fleetd: migrate: " << s.ToString() << "\n";
  return 2;
}

std::string Dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

// The refusals `fleetd migrate` adds to ParseStoreUrl's, for every URL it migrates.
Status CheckMigratable(const std::string& url) {
  auto parsed = pg::ParseStoreUrl(url);
  if (!parsed.ok()) return parsed.status();
  if (parsed->role == pg::StoreRole::kApi) {
    return Status(StatusCode::kInvalidArgument, "role=api cannot migrate: use the writer's URL (the schema owner)");
  }
  if (parsed->migrate == false) {
    return Status(StatusCode::kInvalidArgument, "migrate=false in the URL of fleetd migrate");
  }
  return Status::Ok();
}

nlohmann::json Report(const std::string& url, const pg::MigrationReport& report) {
  nlohmann::json applied = nlohmann::json::array();
  for (const pg::AppliedMigration& m : report.applied) {
    applied.push_back(nlohmann::json{{"version", m.version}, {"name", m.name}});
  }
  return nlohmann::json{{"store", pg::RedactUrl(url)}, {"from", report.from}, {"to", report.to}, {"applied", applied}};
}

// `s`, naming the tenant store it is about.
Status OfGroup(const pg::TenantDsnGroup& group, const Status& s) {
  std::string names;
  for (const auto& name : group.tenants) names += (names.empty() ? "" : ", ") + name;
  return Status(s.code(), "store of tenant " + names + " '" + pg::RedactUrl(group.url) + "': " + s.message());
}

Result<pg::MigrationReport> MigrateOne(const std::string& url, bool search_path_schema) {
  if (Status s = CheckMigratable(url); !s.ok()) return s;
  PostgresStoreOptions options;
  options.migrate = true;
  options.pool_size = 1;
  options.search_path_schema = search_path_schema;
  auto store = PostgresStore::Open(url, options);
  if (!store.ok()) return store.status();
  return (*store)->opened_migration();
}

}  // namespace

int RunMigrate(const std::string& store_url, const pg::TenantDsnMap& tenants, std::ostream& out, std::ostream& err) {
  if (pg::IsPostgresUrl(store_url)) {
    // Every URL is checked before the first is migrated.
    auto groups = pg::GroupTenantDsns(store_url, tenants);
    if (!groups.ok()) return Fail(err, groups.status());
    if (Status s = CheckMigratable(store_url); !s.ok()) return Fail(err, s);
    for (const pg::TenantDsnGroup& group : *groups) {
      if (Status s = CheckMigratable(group.url); !s.ok()) return Fail(err, OfGroup(group, s));
    }
    auto shared = MigrateOne(store_url, false);
    if (!shared.ok()) return Fail(err, shared.status());
    nlohmann::json result = Report(store_url, *shared);
    if (!groups->empty()) {
      nlohmann::json stores = nlohmann::json::array();
      for (const pg::TenantDsnGroup& group : *groups) {
        auto report = MigrateOne(group.url, true);
        if (!report.ok()) return Fail(err, OfGroup(group, report.status()));
        nlohmann::json entry = Report(group.url, *report);
        entry["tenants"] = group.tenants;
        stores.push_back(std::move(entry));
      }
      result["tenant_stores"] = std::move(stores);
    }
    out << Dump(result) << "\n";
    return 0;
  }
  if (!tenants.empty()) {
    return Fail(err, Status(StatusCode::kInvalidArgument,
                            "store_tenants needs a postgresql:// store (the directory), not '" + store_url + "'"));
  }
  if (store_url.rfind("sqlite:", 0) == 0) {
    auto store = OpenStore(store_url);
    if (!store.ok()) return Fail(err, store.status());
    out << Dump(nlohmann::json{{"store", store_url}, {"version", sqlite::SchemaVersion()}}) << "\n";
    return 0;
  }
  auto unknown = OpenStore(store_url);  // its error lists the supported schemes
  return Fail(err, unknown.ok() ? Status(StatusCode::kInvalidArgument, "not a migratable store") : unknown.status());
}

}  // namespace fleetd
