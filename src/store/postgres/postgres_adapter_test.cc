// OpenStore picks the PostgreSQL store for postgresql:// and postgres://
// URLs, and answers bad URLs and unreachable servers with clear errors.
#include <gtest/gtest.h>

#include <chrono>

#include "app/adapters.h"
#include "core/time_util.h"
#include "servers/server_process.h"
#include "store/postgres/pg_test_environment.h"

namespace fleetd {
namespace {

using pgtest::Cluster;

TEST(PostgresAdapterTest, PostgresUrlsOpenAMigratedStore) {
  auto db = Cluster()->CreateDatabase();
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  const std::string url = Cluster()->SuperuserUrl(*db);
  auto store = OpenStore(url);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto tenant = (*store)->AddTenant("acme");
  ASSERT_TRUE(tenant.ok()) << tenant.status().ToString();
  auto other = OpenStore("postgres://" + url.substr(std::string("postgresql://").size()));
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  auto found = (*other)->FindTenant("acme");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->id, tenant->id);
}

TEST(PostgresAdapterTest, ProcessesOpenWithoutMigratingAndTheApiNodeIsConfined) {
  auto db = Cluster()->CreateDatabase();
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  const std::string url = Cluster()->SuperuserUrl(*db);
  auto refused = OpenStore(url, StoreOpenOptions{false, false});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("fleetd migrate"), std::string::npos) << refused.status().message();
  auto writer = OpenStore(url);  // admin commands migrate on open
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  auto t = (*writer)->AddTenant("acme");
  ASSERT_TRUE(t.ok());
  auto d = (*writer)->AddDevice(t->id, "uid-1", "truck");
  ASSERT_TRUE(d.ok());
  Message m;
  m.device_uid = "uid-1";
  m.ts = 1779321600000;
  m.received_at = *m.ts;
  m.lat = 1;
  m.lng = 2;
  std::vector<Envelope> batch = {Envelope{t->id, d->id, m}};
  ASSERT_TRUE((*writer)->WriteBatch(batch).ok());
  struct Case {
    std::string url;
    bool api_role;
    bool confined;
  };
  for (const Case& c : {Case{url, true, true}, Case{url + "?role=api", false, true},
                        Case{url + "?role=writer", true, false}, Case{url, false, false}}) {
    auto store = OpenStore(c.url, StoreOpenOptions{false, c.api_role});
    ASSERT_TRUE(store.ok()) << c.url << ": " << store.status().ToString();
    auto everyone = (*store)->LatestPositions(std::nullopt);
    ASSERT_TRUE(everyone.ok()) << everyone.status().ToString();
    // Even the superuser's login sees no tenant's rows once SET ROLE fleetd_api.
    EXPECT_EQ(everyone->size(), c.confined ? 0u : 1u) << c.url << " api_role=" << c.api_role;
    auto own = (*store)->LatestPositions(t->id);
    ASSERT_TRUE(own.ok());
    EXPECT_EQ(own->size(), 1u);
  }
}

// With a tenant -> DSN map OpenStore routes (routed_postgres_store_test.cc
// has the routing itself), for the processes and the API node alike, and
// StoreMaintenance maintains every database of the map.
TEST(PostgresAdapterTest, ATenantMapOpensARoutedStoreMaintainedInEveryDatabase) {
  auto shared_db = Cluster()->CreateDatabase();
  auto acme_db = Cluster()->CreateDatabase();
  ASSERT_TRUE(shared_db.ok() && acme_db.ok());
  const std::string shared = Cluster()->SuperuserUrl(*shared_db);
  const std::string acme = Cluster()->SuperuserUrl(*acme_db);
  StoreOpenOptions options;
  options.tenant_dsns = {{"acme", acme}};
  auto missing = OpenStore(shared, options);
  ASSERT_FALSE(missing.ok()) << "acme is not a tenant yet";
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("tenant 'acme'"), std::string::npos) << missing.status().message();

  auto directory = OpenStore(shared);  // what `fleetd tenant add` opens: the shared store alone
  ASSERT_TRUE(directory.ok());
  auto t = (*directory)->AddTenant("acme");
  ASSERT_TRUE(t.ok());
  auto d = (*directory)->AddDevice(t->id, "uid-acme", "truck");
  ASSERT_TRUE(d.ok());
  auto store = OpenStore(shared, options);  // migrates, as the admin commands' default does
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Message m;
  m.device_uid = "uid-acme";
  m.ts = NowMs() - 60000;  // maintenance runs at the real time: within the raw retention
  m.received_at = *m.ts;
  m.lat = 1;
  m.lng = 2;
  std::vector<Envelope> batch = {Envelope{t->id, d->id, m}};
  ASSERT_TRUE((*store)->WriteBatch(batch).ok());
  auto in_acme = pgtest::SqlSession::Connect(acme);
  auto in_shared = pgtest::SqlSession::Connect(shared);
  ASSERT_TRUE(in_acme.ok() && in_shared.ok());
  EXPECT_EQ((*in_acme)->Scalar("SELECT count(*) FROM positions"), "1");
  EXPECT_EQ((*in_shared)->Scalar("SELECT count(*) FROM positions"), "0");

  auto maintain = StoreMaintenance(**store);
  ASSERT_TRUE(maintain);
  Status ran = maintain();
  ASSERT_TRUE(ran.ok()) << ran.ToString();
  EXPECT_EQ((*in_acme)->Scalar("SELECT count(*) FROM position_rollups_hourly"), "1") << "maintained in acme's database";

  StoreOpenOptions api = options;
  api.migrate = false;
  api.api_role = true;
  auto node = OpenStore(shared, api);
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  auto own = (*node)->LatestPositions(t->id);
  ASSERT_TRUE(own.ok()) << own.status().ToString();
  ASSERT_EQ(own->size(), 1u);
  EXPECT_EQ((*own)[0].device_id, d->id);

  auto sqlite = OpenStore("sqlite:/tmp/fleetd-adapter-test-never-created.db", options);
  ASSERT_FALSE(sqlite.ok());
  EXPECT_EQ(sqlite.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(sqlite.status().message().find("needs a postgresql:// store"), std::string::npos);
  store->reset();
  node->reset();
  directory->reset();
  (void)Cluster()->DropDatabase(*shared_db);
  (void)Cluster()->DropDatabase(*acme_db);
}

TEST(PostgresAdapterTest, BadUrlsAreInvalidArgumentsWithoutThePassword) {
  for (const char* url : {"postgresql://u:hunter2@127.0.0.1:port/db", "postgresql://u:hunter2@127.0.0.1:0/db",
                          "postgres://u:hunter2@[::1/db", "postgresql://u:hunter2@h/db?nonsense=1",
                          "postgresql://u:hunter2@h/db?role=owner", "postgresql://u:hunter2@h/db?migrate=on",
                          "postgresql://u:hunter2@h/db?role=api&migrate=true"}) {
    auto store = OpenStore(url);
    ASSERT_FALSE(store.ok()) << url;
    EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument) << url;
    EXPECT_NE(store.status().message().find("store URL"), std::string::npos) << store.status().message();
    EXPECT_EQ(store.status().message().find("hunter2"), std::string::npos) << store.status().message();
  }
  auto unknown = OpenStore("postgresq://u@h/db");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("postgresql://"), std::string::npos)
      << "the supported schemes are listed: " << unknown.status().message();
}

TEST(PostgresAdapterTest, UnreachableServerFailsFast) {
  const std::string url = "postgresql://u:p@127.0.0.1:" + std::to_string(test::PickFreePort()) + "/db";
  auto start = std::chrono::steady_clock::now();
  auto store = OpenStore(url);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kIoError);
  EXPECT_NE(store.status().message().find("cannot connect"), std::string::npos) << store.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

}  // namespace
}  // namespace fleetd
