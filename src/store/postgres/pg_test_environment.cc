// Registration of the shared cluster and the fresh-store helpers.
#include "store/postgres/pg_test_environment.h"

namespace fleetd::pgtest {
namespace {

std::unique_ptr<PgTestCluster> g_cluster;

class PgEnvironment : public testing::Environment {
 public:
  void SetUp() override {
    auto cluster = PgTestCluster::Start();
    ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
    g_cluster = std::move(*cluster);
  }
  void TearDown() override { g_cluster.reset(); }
};

[[maybe_unused]] testing::Environment* const kEnvironment = testing::AddGlobalTestEnvironment(new PgEnvironment);

}  // namespace

PgTestCluster* Cluster() { return g_cluster.get(); }

std::shared_ptr<PostgresStore> OpenFreshStore(PostgresStoreOptions options, std::string* url) {
  PgTestCluster* cluster = Cluster();
  if (!cluster) {
    ADD_FAILURE() << "no PostgreSQL test cluster";
    return nullptr;
  }
  auto db = cluster->CreateDatabase();
  if (!db.ok()) {
    ADD_FAILURE() << db.status().ToString();
    return nullptr;
  }
  auto store = PostgresStore::Open(cluster->SuperuserUrl(*db), options);
  if (!store.ok()) {
    ADD_FAILURE() << store.status().ToString();
    return nullptr;
  }
  std::string name = *db;
  if (url) *url = cluster->SuperuserUrl(name);
  return std::shared_ptr<PostgresStore>(store->release(), [cluster, name](PostgresStore* s) {
    delete s;
    (void)cluster->DropDatabase(name);
  });
}

std::shared_ptr<PostgresStore> OpenOwnedStore(const std::string& owner, const std::string& password,
                                              std::string* database) {
  PgTestCluster* cluster = Cluster();
  if (!cluster) {
    ADD_FAILURE() << "no PostgreSQL test cluster";
    return nullptr;
  }
  auto db = cluster->CreateDatabase(owner);
  if (!db.ok()) {
    ADD_FAILURE() << db.status().ToString();
    return nullptr;
  }
  std::string name = *db;
  auto store = PostgresStore::Open(cluster->Url(owner, password, name));
  if (!store.ok()) {
    ADD_FAILURE() << store.status().ToString();
    (void)cluster->DropDatabase(name);
    return nullptr;
  }
  if (database) *database = name;
  return std::shared_ptr<PostgresStore>(store->release(), [cluster, name](PostgresStore* s) {
    delete s;
    (void)cluster->DropDatabase(name);
  });
}

}  // namespace fleetd::pgtest
