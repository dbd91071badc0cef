// The PostgreSQL store is opened with migrate on (the URL cannot turn it
// off here: migrate=false would make the command a version check that
// fails) and reports what Open applied; the SQLite store has migrated once
// opened, so its version is this build's.
#include "app/migrate_command.h"

#include <nlohmann/json.hpp>

#include "app/adapters.h"
#include "store/postgres/pg_url.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_schema.h"

namespace fleetd {
namespace {

int Fail(std::ostream& err, const Status& s) {
  err << "fleetd: migrate: " << s.ToString() << "\n";
  return 2;
}

std::string Dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

}  // namespace

int RunMigrate(const std::string& store_url, std::ostream& out, std::ostream& err) {
  if (pg::IsPostgresUrl(store_url)) {
    auto parsed = pg::ParseStoreUrl(store_url);
    if (!parsed.ok()) return Fail(err, parsed.status());
    if (parsed->role == pg::StoreRole::kApi) {
      return Fail(err, Status(StatusCode::kInvalidArgument,
                              "role=api cannot migrate: use the writer's URL (the schema owner)"));
    }
    if (parsed->migrate == false) {
      return Fail(err, Status(StatusCode::kInvalidArgument, "migrate=false in the URL of fleetd migrate"));
    }
    PostgresStoreOptions options;
    options.migrate = true;
    options.pool_size = 1;
    auto store = PostgresStore::Open(store_url, options);
    if (!store.ok()) return Fail(err, store.status());
    const pg::MigrationReport& report = (*store)->opened_migration();
    nlohmann::json applied = nlohmann::json::array();
    for (const pg::AppliedMigration& m : report.applied) {
      applied.push_back(nlohmann::json{{"version", m.version}, {"name", m.name}});
    }
    out << Dump(nlohmann::json{
               {"store", pg::RedactUrl(store_url)}, {"from", report.from}, {"to", report.to}, {"applied", applied}})
        << "\n";
    return 0;
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
