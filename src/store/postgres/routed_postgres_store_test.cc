// RoutedPostgresStore against the binary's own PostgreSQL: the tenant -> DSN
// map with one tenant in a database of its own ("acme"), one in a schema of
// its own inside the shared database ("globex"), and one in the map's
// absence ("initech", the shared tables). Where rows land is checked with
// plain SQL on each database and schema, not only through the store; the
// Store contract runs through a routed store whose tenants alternate
// between the three placements.
#include "store/postgres/routed_postgres_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "contract/store_contract.h"
#include "store/postgres/pg_partitions.h"
#include "store/postgres/pg_schema.h"
#include "store/postgres/pg_test_environment.h"
#include "store/postgres/pg_test_messages.h"

namespace fleetd {
namespace {

using pgtest::Cluster;
using pgtest::EnvelopeFor;
using pgtest::kBaseTs;
using pgtest::PositionMessage;
using pgtest::SqlSession;

constexpr const char* kSchema = "globex_ts";

// A database of the cluster, dropped with the object.
class Database {
 public:
  Database() {
    auto db = Cluster()->CreateDatabase();
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    if (db.ok()) name_ = *db;
  }
  ~Database() {
    if (!name_.empty()) (void)Cluster()->DropDatabase(name_);
  }
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  const std::string& name() const { return name_; }
  std::string url() const { return Cluster()->SuperuserUrl(name_); }
  // The same database, with its tables in `schema` (libpq options).
  std::string SchemaUrl(const std::string& schema) const { return url() + "?options=-csearch_path%3D" + schema; }
  // The first column of the first row of `sql`, run here as the superuser.
  std::string Scalar(const std::string& sql) const {
    auto session = SqlSession::Connect(url());
    if (!session.ok()) return "cannot connect: " + session.status().ToString();
    return (*session)->Scalar(sql);
  }

 private:
  std::string name_;
};

class RoutedPostgresStoreTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(Cluster(), nullptr);
    // The directory first, as in production: migrate, then `tenant add`.
    auto directory = PostgresStore::Open(shared_.url());
    ASSERT_TRUE(directory.ok()) << directory.status().ToString();
    for (const char* name : {"acme", "globex", "initech"}) {
      auto t = (*directory)->AddTenant(name);
      ASSERT_TRUE(t.ok()) << t.status().ToString();
      auto d = (*directory)->AddDevice(t->id, std::string("uid-") + name, std::string("truck-") + name);
      ASSERT_TRUE(d.ok()) << d.status().ToString();
      devices_.push_back(*d);
    }
    map_ = {{"acme", acme_db_.url()}, {"globex", shared_.SchemaUrl(kSchema)}};
  }

  std::unique_ptr<RoutedPostgresStore> Open(PostgresStoreOptions options = {}) {
    auto store = RoutedPostgresStore::Open(shared_.url(), map_, options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }
  const Device& acme() const { return devices_[0]; }
  const Device& globex() const { return devices_[1]; }
  const Device& initech() const { return devices_[2]; }
  // `count` fixes of each device, a minute apart, all in one batch, tenants interleaved.
  std::vector<Envelope> MixedBatch(int count, double lat = 23.5) const {
    std::vector<Envelope> batch;
    for (int i = 0; i < count; ++i) {
      for (const Device& d : devices_) {
        batch.push_back(EnvelopeFor(d, PositionMessage(d.uid, kBaseTs + i * 60000LL, lat + i * 1e-3, 90.25)));
      }
    }
    return batch;
  }
  static std::string Id(const Device& d) { return std::to_string(d.tenant_id); }

  Database shared_;
  Database acme_db_;
  std::vector<Device> devices_;  // acme, globex, initech
  pg::TenantDsnMap map_;
};

TEST_F(RoutedPostgresStoreTest, MixedBatchLandsInEachTenantsDatabaseOrSchema) {
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->tenant_store_count(), 2u);
  std::vector<Envelope> batch = MixedBatch(3);
  Message sos = PositionMessage(acme().uid, kBaseTs + 10 * 60000LL);
  sos.alarm = Alarm::kSos;
  batch.push_back(EnvelopeFor(acme(), sos));
  batch.push_back(EnvelopeFor(globex(), PositionMessage(globex().uid, kBaseTs)));  // an in-batch repeat
  auto stats = store->WriteBatch(batch);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->positions_written, 10);  // 3 per tenant and the alarm's fix
  EXPECT_EQ(stats->duplicates, 1);
  EXPECT_EQ(stats->events_written, 1);

  // Each tenant's rows are where the map says, and nowhere else.
  EXPECT_EQ(acme_db_.Scalar("SELECT count(*) FROM public.positions WHERE tenant_id = " + Id(acme())), "4");
  EXPECT_EQ(acme_db_.Scalar("SELECT count(*) FROM public.positions"), "4");
  EXPECT_EQ(acme_db_.Scalar("SELECT count(*) FROM public.events WHERE type = 'sos'"), "1");
  EXPECT_EQ(
      shared_.Scalar(std::string("SELECT count(*) FROM ") + kSchema + ".positions WHERE tenant_id = " + Id(globex())),
      "3");
  EXPECT_EQ(shared_.Scalar(std::string("SELECT count(*) FROM ") + kSchema + ".positions"), "3");
  EXPECT_EQ(shared_.Scalar("SELECT count(*) FROM public.positions WHERE tenant_id = " + Id(initech())), "3");
  EXPECT_EQ(shared_.Scalar("SELECT count(*) FROM public.positions"), "3") << "only the unmapped tenant's rows";
  EXPECT_EQ(shared_.Scalar("SELECT count(*) FROM public.events"), "0");
  // The directory stays in the shared database only.
  EXPECT_EQ(acme_db_.Scalar("SELECT count(*) FROM public.devices"), "0");
  EXPECT_EQ(shared_.Scalar(std::string("SELECT count(*) FROM ") + kSchema + ".devices"), "0");
  EXPECT_EQ(shared_.Scalar("SELECT count(*) FROM public.devices"), "3");

  // And the routed store reads them back from there.
  for (const Device& d : devices_) {
    SCOPED_TRACE(d.uid);
    PositionQuery q;
    q.tenant_id = d.tenant_id;
    q.device_uid = d.uid;
    q.limit = 2;
    auto page = store->QueryPositions(q);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    ASSERT_EQ(page->positions.size(), 2u);
    EXPECT_EQ(page->positions[0].ts, kBaseTs);
    EXPECT_EQ(page->positions[1].ts, kBaseTs + 60000);
    EXPECT_NEAR(*page->positions[1].lat, 23.501, 1e-9);
    ASSERT_TRUE(page->next.has_value());
    q.after = page->next;
    auto rest = store->QueryPositions(q);
    ASSERT_TRUE(rest.ok());
    const size_t expected = &d == &acme() ? 2u : 1u;  // acme also has the alarm's fix
    ASSERT_EQ(rest->positions.size(), expected);
    EXPECT_EQ(rest->positions[0].ts, kBaseTs + 2 * 60000);
    auto latest = store->LatestPositions(d.tenant_id);
    ASSERT_TRUE(latest.ok()) << latest.status().ToString();
    ASSERT_EQ(latest->size(), 1u);
    EXPECT_EQ((*latest)[0].tenant_id, d.tenant_id);
    EXPECT_EQ((*latest)[0].device_id, d.id);
    EXPECT_EQ((*latest)[0].message.ts, &d == &acme() ? kBaseTs + 10 * 60000 : kBaseTs + 2 * 60000);
  }
  // A device of another tenant is no device at all, whichever store is asked.
  PositionQuery cross;
  cross.tenant_id = globex().tenant_id;
  cross.device_uid = acme().uid;
  EXPECT_EQ(store->QueryPositions(cross).status().code(), StatusCode::kNotFound);
  cross.tenant_id = acme().tenant_id;
  cross.device_uid = "no-such-device";
  EXPECT_EQ(store->QueryPositions(cross).status().code(), StatusCode::kNotFound);

  auto everyone = store->LatestPositions(std::nullopt);
  ASSERT_TRUE(everyone.ok()) << everyone.status().ToString();
  ASSERT_EQ(everyone->size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*everyone)[i].device_id, devices_[i].id) << "in device id order";
    EXPECT_EQ((*everyone)[i].tenant_id, devices_[i].tenant_id);
    EXPECT_EQ((*everyone)[i].message.device_uid, devices_[i].uid);
  }
}

TEST_F(RoutedPostgresStoreTest, RedeliveredAndRewrittenBatchesChangeEachPartOnce) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->WriteBatch(MixedBatch(2)).ok());
  auto again = store->WriteBatch(MixedBatch(2));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->positions_written, 0);
  EXPECT_EQ(again->duplicates, 6);
  EXPECT_EQ(acme_db_.Scalar("SELECT count(*) FROM positions"), "2");
  EXPECT_EQ(shared_.Scalar(std::string("SELECT count(*) FROM ") + kSchema + ".positions"), "2");
  EXPECT_EQ(shared_.Scalar("SELECT count(*) FROM public.positions"), "2");

  auto rewritten = store->RewriteBatch(MixedBatch(2, 40.0));
  ASSERT_TRUE(rewritten.ok()) << rewritten.status().ToString();
  EXPECT_EQ(rewritten->positions_written, 6);
  EXPECT_EQ(acme_db_.Scalar("SELECT min(lat) FROM positions"), "40");
  EXPECT_EQ(shared_.Scalar(std::string("SELECT min(lat) FROM ") + kSchema + ".positions"), "40");
  EXPECT_EQ(shared_.Scalar("SELECT min(lat) FROM public.positions"), "40");
  EXPECT_EQ(shared_.Scalar("SELECT count(*) FROM public.positions"), "2");
}

TEST_F(RoutedPostgresStoreTest, AFailedPartFailsTheCallAndTheOthersAreStillWritten) {
  auto store = Open();
  ASSERT_TRUE(store);
  // acme's database loses its positions table: its part fails, the others commit.
  ASSERT_TRUE(acme_db_.Scalar("ALTER TABLE positions RENAME TO positions_gone; SELECT 1") == "1");
  auto stats = store->WriteBatch(MixedBatch(1));
  ASSERT_FALSE(stats.ok());
  EXPECT_NE(stats.status().message().find("/" + acme_db_.name()), std::string::npos)
      << "names the failing store: " << stats.status().message();
  EXPECT_EQ(stats.status().message().find(pgtest::PgTestCluster::kSuperuserPassword), std::string::npos);
  EXPECT_EQ(shared_.Scalar("SELECT count(*) FROM public.positions"), "1");
  EXPECT_EQ(shared_.Scalar(std::string("SELECT count(*) FROM ") + kSchema + ".positions"), "1");
  // The queue redelivers the whole batch once the database is back.
  ASSERT_TRUE(acme_db_.Scalar("ALTER TABLE positions_gone RENAME TO positions; SELECT 1") == "1");
  auto retry = store->WriteBatch(MixedBatch(1));
  ASSERT_TRUE(retry.ok()) << retry.status().ToString();
  EXPECT_EQ(retry->positions_written, 1);
  EXPECT_EQ(retry->duplicates, 2);
  EXPECT_EQ(acme_db_.Scalar("SELECT count(*) FROM positions"), "1");
}

TEST_F(RoutedPostgresStoreTest, MigrateCreatesTheSchemaInEveryStore) {
  const std::string version = std::to_string(pg::SchemaVersion());
  EXPECT_EQ(shared_.Scalar(std::string("SELECT to_regnamespace('") + kSchema + "') IS NULL"), "t");
  EXPECT_EQ(acme_db_.Scalar("SELECT to_regclass('schema_migrations') IS NULL"), "t");
  {
    // A process does not migrate: the missing schema is named, nothing lands in public.
    PostgresStoreOptions no_migrate;
    no_migrate.migrate = false;
    auto refused = RoutedPostgresStore::Open(shared_.url(), {{"globex", shared_.SchemaUrl(kSchema)}}, no_migrate);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.status().message().find(std::string("schema '") + kSchema + "'"), std::string::npos)
        << refused.status().message();
    EXPECT_NE(refused.status().message().find("fleetd migrate"), std::string::npos) << refused.status().message();
    EXPECT_NE(refused.status().message().find("globex"), std::string::npos) << refused.status().message();
  }
  auto store = Open();  // migrate on: every store
  ASSERT_TRUE(store);
  EXPECT_EQ(shared_.Scalar("SELECT count(*) FROM public.schema_migrations"), version);
  EXPECT_EQ(shared_.Scalar(std::string("SELECT count(*) FROM ") + kSchema + ".schema_migrations"), version);
  EXPECT_EQ(acme_db_.Scalar("SELECT count(*) FROM public.schema_migrations"), version);
  // The schema's SECURITY DEFINER functions resolve in the schema itself.
  EXPECT_EQ(shared_.Scalar("SELECT array_to_string(proconfig, ',') FROM pg_proc p JOIN pg_namespace n"
                           " ON n.oid = p.pronamespace WHERE n.nspname = '" +
                           std::string(kSchema) + "' AND p.proname = 'fleetd_find_device'"),
            std::string("search_path=") + kSchema + ", pg_temp");
  auto reports = store->Migrate();
  ASSERT_TRUE(reports.ok()) << reports.status().ToString();
  ASSERT_EQ(reports->size(), 3u);
  EXPECT_TRUE((*reports)[0].tenants.empty()) << "the shared store first";
  for (const DsnMigration& m : *reports) {
    EXPECT_EQ(m.report.from, pg::SchemaVersion()) << m.url;
    EXPECT_EQ(m.report.to, pg::SchemaVersion()) << m.url;
    EXPECT_TRUE(m.report.applied.empty()) << m.url;
    EXPECT_EQ(m.url.find(pgtest::PgTestCluster::kSuperuserPassword), std::string::npos);
  }
  EXPECT_EQ((*reports)[1].tenants, std::vector<std::string>{"acme"});
  EXPECT_EQ((*reports)[2].tenants, std::vector<std::string>{"globex"});
  // Once migrated, the processes open it without migrating.
  PostgresStoreOptions no_migrate;
  no_migrate.migrate = false;
  auto process = RoutedPostgresStore::Open(shared_.url(), map_, no_migrate);
  EXPECT_TRUE(process.ok()) << process.status().ToString();
}

TEST_F(RoutedPostgresStoreTest, MaintenanceRunsOnEveryStore) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->WriteBatch(MixedBatch(4)).ok());
  // A day far ahead: each store makes its own partitions for it.
  const TimestampMs later = kBaseTs + 30 * pg::kDayMs;
  const std::string partition = pg::PartitionName("positions", pg::DayOf(later));
  const std::string expired = pg::PartitionName("positions", pg::DayOf(kBaseTs));
  for (const std::string& table : {"public." + expired, std::string(kSchema) + "." + expired}) {
    EXPECT_EQ(shared_.Scalar("SELECT to_regclass('" + table + "') IS NOT NULL"), "t") << table;
  }
  auto stats = store->RunMaintenance(later);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->rollup_hours_updated, 3) << "one device-hour in each store";
  // Each store made the partitions ahead of `later`, and dropped kBaseTs's
  // positions (past the 7 days of raw retention) after rolling them up.
  EXPECT_EQ(acme_db_.Scalar("SELECT to_regclass('public." + partition + "') IS NOT NULL"), "t");
  EXPECT_EQ(shared_.Scalar("SELECT to_regclass('public." + partition + "') IS NOT NULL"), "t");
  EXPECT_EQ(shared_.Scalar(std::string("SELECT to_regclass('") + kSchema + "." + partition + "') IS NOT NULL"), "t");
  EXPECT_EQ(acme_db_.Scalar("SELECT to_regclass('public." + expired + "') IS NULL"), "t");
  EXPECT_EQ(shared_.Scalar("SELECT to_regclass('public." + expired + "') IS NULL"), "t");
  EXPECT_EQ(shared_.Scalar(std::string("SELECT to_regclass('") + kSchema + "." + expired + "') IS NULL"), "t");
  EXPECT_GE(stats->partitions_dropped, 3);
  EXPECT_EQ(acme_db_.Scalar("SELECT positions FROM position_rollups_hourly WHERE tenant_id = " + Id(acme())), "4");
  EXPECT_EQ(shared_.Scalar(std::string("SELECT positions FROM ") + kSchema +
                           ".position_rollups_hourly WHERE tenant_id = " + Id(globex())),
            "4");
  EXPECT_EQ(shared_.Scalar("SELECT positions FROM public.position_rollups_hourly WHERE tenant_id = " + Id(initech())),
            "4");
  EXPECT_EQ(shared_.Scalar("SELECT count(*) FROM public.position_rollups_hourly"), "1");
  for (const Device& d : devices_) {
    auto rollups = store->QueryRollups(RollupQuery{d.tenant_id, d.uid, {}, {}});
    ASSERT_TRUE(rollups.ok()) << rollups.status().ToString();
    ASSERT_EQ(rollups->size(), 1u) << d.uid;
    EXPECT_EQ((*rollups)[0].hour, kBaseTs);
    EXPECT_EQ((*rollups)[0].positions, 4);
    EXPECT_EQ((*rollups)[0].last_fix, kBaseTs + 3 * 60000);
    EXPECT_GT((*rollups)[0].distance_km, 0.3);
  }
  EXPECT_EQ(store->QueryRollups(RollupQuery{globex().tenant_id, acme().uid, {}, {}}).status().code(),
            StatusCode::kNotFound);
}

TEST_F(RoutedPostgresStoreTest, ApiRoleIsConfinedInEveryStore) {
  {
    auto writer = Open();
    ASSERT_TRUE(writer);
    ASSERT_TRUE(writer->WriteBatch(MixedBatch(2)).ok());
    ASSERT_TRUE(writer->RunMaintenance(kBaseTs).ok());
  }
  PostgresStoreOptions api;
  api.role = pg::StoreRole::kApi;
  api.migrate = false;
  auto store = Open(api);  // the superuser's login, SET ROLE fleetd_api in every store
  ASSERT_TRUE(store);
  for (const Device& d : devices_) {
    PositionQuery q;
    q.tenant_id = d.tenant_id;
    q.device_uid = d.uid;
    auto page = store->QueryPositions(q);
    ASSERT_TRUE(page.ok()) << d.uid << ": " << page.status().ToString();
    EXPECT_EQ(page->positions.size(), 2u) << d.uid;
    auto latest = store->LatestPositions(d.tenant_id);
    ASSERT_TRUE(latest.ok()) << latest.status().ToString();
    EXPECT_EQ(latest->size(), 1u) << d.uid;
    auto rollups = store->QueryRollups(RollupQuery{d.tenant_id, d.uid, {}, {}});
    ASSERT_TRUE(rollups.ok()) << rollups.status().ToString();
    EXPECT_EQ(rollups->size(), 1u) << d.uid;
  }
  auto everyone = store->LatestPositions(std::nullopt);
  ASSERT_TRUE(everyone.ok());
  EXPECT_TRUE(everyone->empty()) << "the API role lists no tenant's rows without naming the tenant";
  EXPECT_FALSE(store->WriteBatch(MixedBatch(1)).ok());
  // Row-level security in the tenant's own database, as the API role would meet it.
  auto sql = SqlSession::Connect(acme_db_.url());
  ASSERT_TRUE(sql.ok());
  ASSERT_TRUE((*sql)->Run("SET ROLE fleetd_api").ok);
  ASSERT_TRUE((*sql)->Run("SELECT set_config('fleetd.tenant_id', '" + Id(globex()) + "', false)").ok);
  EXPECT_EQ((*sql)->Scalar("SELECT count(*) FROM positions"), "0");
  ASSERT_TRUE((*sql)->Run("SELECT set_config('fleetd.tenant_id', '" + Id(acme()) + "', false)").ok);
  EXPECT_EQ((*sql)->Scalar("SELECT count(*) FROM positions"), "2");
}

TEST_F(RoutedPostgresStoreTest, HostileMapsAreRefusedWithClearErrors) {
  struct Case {
    pg::TenantDsnMap map;
    StatusCode code;
    std::string says;
  };
  const std::string with_password = "postgresql://u:hunter2@127.0.0.1:1/db";
  for (const Case& c : std::vector<Case>{
           {{{"nosuch", acme_db_.url()}}, StatusCode::kNotFound, "tenant 'nosuch' is not in the directory"},
           {{{"acme", ""}}, StatusCode::kInvalidArgument, "tenant 'acme': the DSN is empty"},
           {{{"", acme_db_.url()}}, StatusCode::kInvalidArgument, "a tenant name is empty"},
           {{{"acme", "mysql://u:hunter2@h/db"}}, StatusCode::kInvalidArgument, "is not a postgresql://"},
           {{{"acme", "sqlite:/tmp/acme.db"}}, StatusCode::kInvalidArgument, "is not a postgresql://"},
           {{{"acme", with_password + "?role=boss"}}, StatusCode::kInvalidArgument, "is not writer or api"},
           {{{"acme", with_password + "?bogus=1"}}, StatusCode::kInvalidArgument, "tenant 'acme'"},
       }) {
    auto store = RoutedPostgresStore::Open(shared_.url(), c.map);
    ASSERT_FALSE(store.ok()) << c.says;
    EXPECT_EQ(store.status().code(), c.code) << store.status().ToString();
    EXPECT_NE(store.status().message().find(c.says), std::string::npos) << store.status().message();
    EXPECT_EQ(store.status().message().find("hunter2"), std::string::npos) << store.status().message();
  }
  // The shared store must be PostgreSQL: it is the directory.
  auto sqlite = RoutedPostgresStore::Open("sqlite:/tmp/x.db", map_);
  ASSERT_FALSE(sqlite.ok());
  EXPECT_EQ(sqlite.status().code(), StatusCode::kInvalidArgument);
  // An unreachable tenant database fails the open, naming the tenant.
  auto unreachable = RoutedPostgresStore::Open(shared_.url(), {{"acme", with_password}});
  ASSERT_FALSE(unreachable.ok());
  EXPECT_NE(unreachable.status().message().find("store of tenant acme"), std::string::npos)
      << unreachable.status().message();
  EXPECT_EQ(unreachable.status().message().find("hunter2"), std::string::npos) << unreachable.status().message();
}

TEST_F(RoutedPostgresStoreTest, TenantsOfOneUrlShareOneStoreAndTheSharedUrlIsTheSharedStore) {
  map_ = {{"acme", acme_db_.url()}, {"globex", acme_db_.url()}, {"initech", shared_.url()}};
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->tenant_store_count(), 1u);
  EXPECT_EQ(&store->StoreFor(acme().tenant_id), &store->StoreFor(globex().tenant_id));
  EXPECT_EQ(&store->StoreFor(initech().tenant_id), &store->shared());
  ASSERT_TRUE(store->WriteBatch(MixedBatch(1)).ok());
  EXPECT_EQ(acme_db_.Scalar("SELECT count(DISTINCT tenant_id) FROM positions"), "2");
  EXPECT_EQ(shared_.Scalar("SELECT count(*) FROM public.positions WHERE tenant_id = " + Id(initech())), "1");
}

// The Store contract through a routed store. The contract adds its tenants
// as it goes, and the map is fixed at open, so this store reopens the routed
// store after every AddTenant, with the new tenant placed in turn in a
// schema of its own, the shared tables or another schema of its own. To
// keep the suite quick every store here is a schema of one database (a
// database per test costs several times as much); the fixture above has the
// database of its own.
class RemappingStore final : public Store {
 public:
  RemappingStore() : prefix_("contract" + std::to_string(++created_)) {
    // The shared store's schema exists already, as public does.
    EXPECT_TRUE(Cluster()->Exec(Db().name(), "CREATE SCHEMA " + prefix_).ok());
    Reopen();
  }
  ~RemappingStore() override {
    store_.reset();
    (void)Cluster()->Exec(Db().name(),
                          "DROP SCHEMA IF EXISTS " + prefix_ + ", " + prefix_ + "_own, " + prefix_ + "_other CASCADE");
  }

  Result<Tenant> AddTenant(const std::string& name) override {
    auto t = store_->AddTenant(name);
    if (!t.ok()) return t;
    switch (added_++ % 3) {
      case 0:
        map_[name] = Db().SchemaUrl(prefix_ + "_own");
        break;
      case 1:
        break;  // stays in the shared tables
      case 2:
        map_[name] = Db().SchemaUrl(prefix_ + "_other");
        break;
    }
    Reopen();
    return t;
  }
  Result<WriteStats> WriteBatch(std::span<const Envelope> b) override { return store_->WriteBatch(b); }
  Result<WriteStats> RewriteBatch(std::span<const Envelope> b) override { return store_->RewriteBatch(b); }
  Result<PositionPage> QueryPositions(const PositionQuery& q) override { return store_->QueryPositions(q); }
  Result<std::vector<Envelope>> LatestPositions(std::optional<int64_t> t) override {
    return store_->LatestPositions(t);
  }
  Result<Tenant> FindTenant(const std::string& n) override { return store_->FindTenant(n); }
  Result<Tenant> FindTenantById(int64_t id) override { return store_->FindTenantById(id); }
  Result<Device> AddDevice(int64_t t, const std::string& u, const std::string& n) override {
    return store_->AddDevice(t, u, n);
  }
  Result<Device> FindDeviceByUid(const std::string& u) override { return store_->FindDeviceByUid(u); }
  Result<std::vector<Device>> ListDevices(int64_t t) override { return store_->ListDevices(t); }
  Result<Device> UpdateDeviceSettings(const std::string& u, const DeviceSettings& s) override {
    return store_->UpdateDeviceSettings(u, s);
  }
  Status RemoveDevice(const std::string& u) override { return store_->RemoveDevice(u); }
  Result<User> AddUser(const User& u) override { return store_->AddUser(u); }
  Result<User> FindUserByEmail(const std::string& e) override { return store_->FindUserByEmail(e); }
  Status RecordPending(const PendingDevice& p) override { return store_->RecordPending(p); }
  Result<std::vector<PendingDevice>> ListPending() override { return store_->ListPending(); }
  Status RemovePending(const std::string& u) override { return store_->RemovePending(u); }

 private:
  // One database for the whole suite; the cluster's teardown removes it.
  static Database& Db() {
    static Database* db = new Database();
    return *db;
  }
  void Reopen() {
    store_.reset();
    auto store = RoutedPostgresStore::Open(Db().SchemaUrl(prefix_), map_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (store.ok()) store_ = std::move(*store);
  }

  static inline int created_ = 0;
  const std::string prefix_;
  pg::TenantDsnMap map_;
  int added_ = 0;
  std::unique_ptr<RoutedPostgresStore> store_;
};

using contract::StoreContractParam;
using contract::StoreContractTest;

INSTANTIATE_TEST_SUITE_P(Postgres, StoreContractTest,
                         testing::Values(StoreContractParam{
                             "Routed", []() -> std::shared_ptr<Store> { return std::make_shared<RemappingStore>(); }}),
                         contract::StoreContractParamName);

}  // namespace
}  // namespace fleetd
