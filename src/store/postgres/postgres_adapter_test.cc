// OpenStore picks the PostgreSQL store for postgresql:// and postgres://
// URLs, and answers bad URLs and unreachable servers with clear errors.
#include <gtest/gtest.h>

#include <chrono>

#include "app/adapters.h"
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
