// Row-level security, tested the way an attacker with the API's database
// login would try it: plain SQL as a member of fleetd_api, with tenant A set
// for the transaction, asking for tenant B's rows by name. The schema owner
// here is an ordinary login role (not a superuser, not BYPASSRLS), as in
// production, so FORCE ROW LEVEL SECURITY applies to it too.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/postgres/pg_partitions.h"
#include "store/postgres/pg_test_environment.h"
#include "store/postgres/pg_test_messages.h"
#include "store/postgres/postgres_store.h"

namespace fleetd {
namespace {

using pgtest::Cluster;
using pgtest::EnvelopeFor;
using pgtest::kBaseTs;
using pgtest::PositionMessage;
using pgtest::SqlSession;

constexpr const char* kOwner = "fleetd_rls_owner";
constexpr const char* kOwnerPassword = "owner-secret";
constexpr const char* kApiLogin = "fleetd_rls_api";
constexpr const char* kApiPassword = "api-secret";

// The tables tenant policies guard, with a column an UPDATE can touch.
struct TenantTable {
  const char* name;
  const char* tenant_column;
  const char* update;  // SET clause
};
constexpr TenantTable kTables[] = {
    {"positions", "tenant_id", "lat = 0"},
    {"events", "tenant_id", "body = '{}'"},
    {"devices", "tenant_id", "name = 'pwned'"},
    {"users", "tenant_id", "password_hash = 'pwned'"},
    {"position_rollups_hourly", "tenant_id", "distance_km = 0"},
    {"tenants", "id", "name = 'pwned'"},
};

class PostgresRlsTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    // What a DBA does once per cluster: the owner needs no CREATEROLE then.
    MustSucceed(PgTestCluster()->Exec("postgres", std::string(pgtest::kCreateApiGroupRole) + "CREATE ROLE " + kOwner +
                                                      " LOGIN PASSWORD '" + kOwnerPassword + "';" + "CREATE ROLE " +
                                                      kApiLogin + " LOGIN PASSWORD '" + kApiPassword +
                                                      "' IN ROLE fleetd_api;"));
    owner_store_ = pgtest::OpenOwnedStore(kOwner, kOwnerPassword, &database_);
    if (!owner_store_) return;  // the failure is recorded; every test's SetUp fails
    Seed();
  }
  static void TearDownTestSuite() {
    owner_store_.reset();  // closes the store and drops its database
  }

  void SetUp() override { ASSERT_NE(owner_store_, nullptr) << "the suite's setup failed"; }

  static pgtest::PgTestCluster* PgTestCluster() { return Cluster(); }
  static void MustSucceed(const Status& s) { ASSERT_TRUE(s.ok()) << s.ToString(); }

  // Tenants A and B, each with a device, positions (one an alarm), a user and rollups.
  static void Seed() {
    for (const char* name : {"alpha", "bravo"}) {
      auto t = owner_store_->AddTenant(name);
      ASSERT_TRUE(t.ok()) << t.status().ToString();
      auto d = owner_store_->AddDevice(t->id, std::string("uid-") + name, "truck");
      ASSERT_TRUE(d.ok()) << d.status().ToString();
      ASSERT_TRUE(owner_store_->AddUser(User{0, t->id, std::string("ops@") + name, "hash", Role::kAdmin}).ok());
      std::vector<Envelope> batch;
      for (int i = 0; i < 5; ++i) batch.push_back(EnvelopeFor(*d, PositionMessage(d->uid, kBaseTs + i * 60000)));
      batch.back().message.alarm = Alarm::kSos;
      auto stats = owner_store_->WriteBatch(batch);
      ASSERT_TRUE(stats.ok()) << stats.status().ToString();
      ASSERT_EQ(stats->positions_written, 5);
      (name[0] == 'a' ? tenant_a_ : tenant_b_) = t->id;
      (name[0] == 'a' ? device_a_ : device_b_) = *d;
    }
    auto m = owner_store_->RunMaintenance(kBaseTs);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    ASSERT_EQ(m->rollup_hours_updated, 2);
  }

  std::unique_ptr<SqlSession> Api() {
    auto s = SqlSession::Connect(Cluster()->Url(kApiLogin, kApiPassword, database_));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  std::unique_ptr<SqlSession> Superuser() {
    auto s = SqlSession::Connect(Cluster()->SuperuserUrl(database_));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  static std::string TenantText(int64_t id) { return std::to_string(id); }
  // BEGIN and set the tenant the way the store does (SET LOCAL semantics).
  static void BeginAs(SqlSession& s, int64_t tenant) {
    ASSERT_TRUE(s.Run("BEGIN").ok);
    auto set = s.Run("SELECT set_config('fleetd.tenant_id', '" + TenantText(tenant) + "', true)");
    ASSERT_TRUE(set.ok) << set.error;
  }
  // Every row of every tenant table, as the superuser sees it (to prove nothing changed).
  std::string Snapshot() {
    auto su = Superuser();
    std::string out;
    for (const TenantTable& t : kTables) {
      out += su->Scalar(std::string("SELECT md5(string_agg(x::text, ',' ORDER BY x::text)) FROM ") + t.name + " x");
      out += ";";
    }
    return out;
  }

  static inline std::string database_;
  static inline std::shared_ptr<PostgresStore> owner_store_;
  static inline int64_t tenant_a_ = 0;
  static inline int64_t tenant_b_ = 0;
  static inline Device device_a_;
  static inline Device device_b_;
};

TEST_F(PostgresRlsTest, TheApiRoleCannotBypassRowLevelSecurity) {
  auto su = Superuser();
  ASSERT_TRUE(su);
  EXPECT_EQ(su->Scalar("SELECT rolsuper::text || rolbypassrls::text FROM pg_roles WHERE rolname = 'fleetd_api'"),
            "falsefalse");
  EXPECT_EQ(su->Scalar(std::string("SELECT rolsuper::text || rolbypassrls::text FROM pg_roles WHERE rolname = '") +
                       kApiLogin + "'"),
            "falsefalse");
  for (const TenantTable& t : kTables) {
    // positions and events without FORCE: their owner (the writer) COPYs
    // into them; every other role is still subject to the policies.
    const bool owner_exempt = std::string(t.name) == "positions" || std::string(t.name) == "events";
    EXPECT_EQ(su->Scalar(std::string("SELECT relrowsecurity::text || relforcerowsecurity::text FROM pg_class"
                                     " WHERE oid = '") +
                         t.name + "'::regclass"),
              owner_exempt ? "truefalse" : "truetrue")
        << t.name;
  }
  auto api = Api();
  ASSERT_TRUE(api);
  auto off = api->Run("SET row_security = off");
  ASSERT_TRUE(off.ok) << off.error;
  auto read = api->Run("SELECT count(*) FROM positions");
  EXPECT_FALSE(read.ok) << "row_security = off must make the query fail, not show rows";
  EXPECT_EQ(read.sqlstate, "42501") << read.error;
  ASSERT_TRUE(api->Run("RESET row_security").ok);
  auto disable = api->Run("ALTER TABLE positions DISABLE ROW LEVEL SECURITY");
  EXPECT_FALSE(disable.ok);
  EXPECT_EQ(disable.sqlstate, "42501") << disable.error;
  auto policy = api->Run("DROP POLICY tenant_isolation ON devices");
  EXPECT_FALSE(policy.ok);
}

TEST_F(PostgresRlsTest, WithoutATenantNothingIsVisible) {
  auto api = Api();
  ASSERT_TRUE(api);
  for (const TenantTable& t : kTables) {
    EXPECT_EQ(api->Scalar(std::string("SELECT count(*) FROM ") + t.name), "0") << t.name;
  }
}

TEST_F(PostgresRlsTest, UnderTenantAOnlyAsRowsAreVisibleEvenWhenBsAreAskedFor) {
  auto api = Api();
  ASSERT_TRUE(api);
  BeginAs(*api, tenant_a_);
  const std::string a = TenantText(tenant_a_), b = TenantText(tenant_b_);
  for (const TenantTable& t : kTables) {
    const std::string table = t.name, col = t.tenant_column;
    EXPECT_NE(api->Scalar("SELECT count(*) FROM " + table), "0") << table << ": tenant A's own rows are visible";
    EXPECT_EQ(api->Scalar("SELECT count(*) FROM " + table + " WHERE " + col + " <> " + a), "0") << table;
    EXPECT_EQ(api->Scalar("SELECT count(*) FROM " + table + " WHERE " + col + " = " + b), "0") << table;
  }
  EXPECT_EQ(api->Scalar("SELECT count(*) FROM positions"), "5");
  EXPECT_EQ(api->Scalar("SELECT count(*) FROM devices WHERE uid = 'uid-bravo'::bytea"), "0");
  EXPECT_EQ(api->Scalar("SELECT count(*) FROM users WHERE email = 'ops@bravo'"), "0");
  EXPECT_EQ(api->Scalar("SELECT count(*) FROM positions WHERE device_id = " + std::to_string(device_b_.id)), "0");
  // A join or subquery does not open a side door either.
  EXPECT_EQ(
      api->Scalar("SELECT count(*) FROM devices d JOIN positions p ON p.device_id = d.id WHERE d.tenant_id = " + b),
      "0");
  ASSERT_TRUE(api->Run("COMMIT").ok);
  // The setting was for that transaction only.
  EXPECT_EQ(api->Scalar("SELECT count(*) FROM positions"), "0");
}

TEST_F(PostgresRlsTest, UnderTenantAWritesToBsRowsFailOrTouchNothing) {
  const std::string before = Snapshot();
  auto api = Api();
  ASSERT_TRUE(api);
  const std::string a = TenantText(tenant_a_), b = TenantText(tenant_b_);
  for (const TenantTable& t : kTables) {
    const std::string table = t.name, col = t.tenant_column;
    BeginAs(*api, tenant_a_);
    // The policy hides B's rows (0 affected); tenants grants no UPDATE or
    // DELETE at all (42501).
    for (const std::string& sql : {"UPDATE " + table + " SET " + t.update + " WHERE " + col + " = " + b,
                                   "DELETE FROM " + table + " WHERE " + col + " = " + b}) {
      auto r = api->Run(sql);
      if (r.ok) {
        EXPECT_EQ(r.affected, 0) << sql;
        EXPECT_NE(table, "tenants") << sql;
      } else {
        EXPECT_EQ(r.sqlstate, "42501") << sql << ": " << r.error;
      }
      ASSERT_TRUE(api->Run("ROLLBACK").ok);
      BeginAs(*api, tenant_a_);
    }
    ASSERT_TRUE(api->Run("ROLLBACK").ok);
  }
  struct Insert {
    const char* what;
    std::string sql;
  };
  const std::string dev_b = std::to_string(device_b_.id);
  const Insert inserts[] = {
      {"position", "INSERT INTO positions (tenant_id, device_id, ts, received_at, body) VALUES (" + b + ", " + dev_b +
                       ", " + std::to_string(kBaseTs) + ", 1, '{}')"},
      {"event", "INSERT INTO events (tenant_id, device_id, ts, type, body) VALUES (" + b + ", " + dev_b + ", " +
                    std::to_string(kBaseTs) + ", 'sos', '{}')"},
      {"device", "INSERT INTO devices (tenant_id, uid, name, created_at) VALUES (" + b + ", 'x'::bytea, 'x', 0)"},
      {"user", "INSERT INTO users (tenant_id, email, password_hash, role) VALUES (" + b + ", 'evil@x', 'h', 'admin')"},
      {"rollup", "INSERT INTO position_rollups_hourly VALUES (" + b + ", " + dev_b + ", 0, 1, 0, NULL, NULL, 0, 0)"},
      {"move A's device to B", "UPDATE devices SET tenant_id = " + b + " WHERE tenant_id = " + a},
      {"move A's positions to B", "UPDATE positions SET tenant_id = " + b},
  };
  for (const Insert& insert : inserts) {
    BeginAs(*api, tenant_a_);
    auto r = api->Run(insert.sql);
    EXPECT_FALSE(r.ok) << insert.what << " was allowed";
    EXPECT_EQ(r.sqlstate, "42501") << insert.what << ": " << r.error;
    ASSERT_TRUE(api->Run("ROLLBACK").ok);
  }
  EXPECT_EQ(Snapshot(), before) << "no row of either tenant changed";
}

TEST_F(PostgresRlsTest, PartitionsAndInternalTablesAreOutOfReach) {
  auto api = Api();
  ASSERT_TRUE(api);
  BeginAs(*api, tenant_a_);
  for (std::string table :
       {pg::PartitionName("positions", pg::DayOf(kBaseTs)), pg::PartitionName("events", pg::DayOf(kBaseTs)),
        std::string("rollup_dirty"), std::string("rollup_claimed"), std::string("maintenance_state")}) {
    auto r = api->Run("SELECT count(*) FROM " + table);
    EXPECT_FALSE(r.ok) << table << " is readable by the API role";
    EXPECT_EQ(r.sqlstate, "42501") << table << ": " << r.error;
    ASSERT_TRUE(api->Run("ROLLBACK").ok);
    BeginAs(*api, tenant_a_);
  }
  ASSERT_TRUE(api->Run("ROLLBACK").ok);
}

TEST_F(PostgresRlsTest, AStoreConnectedAsTheApiRoleServesOneTenantPerCall) {
  PostgresStoreOptions options;
  options.migrate = false;  // the API role cannot (and need not) migrate
  auto store = PostgresStore::Open(Cluster()->Url(kApiLogin, kApiPassword, database_), options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto devices = (*store)->ListDevices(tenant_a_);
  ASSERT_TRUE(devices.ok()) << devices.status().ToString();
  ASSERT_EQ(devices->size(), 1u);
  EXPECT_EQ((*devices)[0].uid, "uid-alpha");
  PositionQuery q{tenant_a_, "uid-alpha", {}, {}, {}, 100};
  auto page = (*store)->QueryPositions(q);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->positions.size(), 5u);
  PositionQuery cross{tenant_a_, "uid-bravo", {}, {}, {}, 100};
  EXPECT_EQ((*store)->QueryPositions(cross).status().code(), StatusCode::kNotFound);
  auto latest = (*store)->LatestPositions(tenant_a_);
  ASSERT_TRUE(latest.ok());
  ASSERT_EQ(latest->size(), 1u);
  EXPECT_EQ((*latest)[0].tenant_id, tenant_a_);
  auto rollups = (*store)->QueryRollups(RollupQuery{tenant_a_, "uid-alpha", {}, {}});
  ASSERT_TRUE(rollups.ok()) << rollups.status().ToString();
  EXPECT_EQ(rollups->size(), 1u);
  // Cross-tenant lookups see nothing under this role.
  EXPECT_EQ((*store)->FindDeviceByUid("uid-alpha").status().code(), StatusCode::kNotFound);
  // Without role=api the store reads users directly, and password_hash is
  // not the API role's to read (only fleetd_login_lookup returns it).
  EXPECT_EQ((*store)->FindUserByEmail("ops@alpha").status().code(), StatusCode::kPermissionDenied);
  auto everyone = (*store)->LatestPositions(std::nullopt);
  ASSERT_TRUE(everyone.ok());
  EXPECT_TRUE(everyone->empty());
  // And it cannot write positions at all.
  std::vector<Envelope> batch = {EnvelopeFor(device_a_, PositionMessage(device_a_.uid, kBaseTs + 999))};
  auto write = (*store)->WriteBatch(batch);
  ASSERT_FALSE(write.ok());
  EXPECT_EQ(write.status().code(), StatusCode::kPermissionDenied) << write.status().ToString();
}

TEST_F(PostgresRlsTest, TheOwnerRoleSeesEveryTenantThroughItsPolicy) {
  auto latest = owner_store_->LatestPositions(std::nullopt);
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(latest->size(), 2u);
  EXPECT_TRUE(owner_store_->FindDeviceByUid("uid-bravo").ok());
  auto su = Superuser();
  ASSERT_TRUE(su);
  EXPECT_EQ(su->Scalar(std::string("SELECT rolsuper::text || rolbypassrls::text FROM pg_roles WHERE rolname = '") +
                       kOwner + "'"),
            "falsefalse");
  EXPECT_EQ(su->Scalar("SELECT count(*) FROM pg_policies WHERE policyname = 'fleetd_owner_all'"), "6");
  // Not a superuser, not BYPASSRLS, and still it may COPY into positions
  // and events (their owner, without FORCE); the API login may not.
  EXPECT_TRUE(owner_store_->direct_copy());
  PostgresStoreOptions options;
  options.migrate = false;
  auto api = PostgresStore::Open(Cluster()->Url(kApiLogin, kApiPassword, database_), options);
  ASSERT_TRUE(api.ok()) << api.status().ToString();
  EXPECT_FALSE((*api)->direct_copy());
}

}  // namespace
}  // namespace fleetd
