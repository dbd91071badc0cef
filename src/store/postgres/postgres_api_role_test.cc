// The store as `fleetd api` opens it (role=api): every session SET ROLE
// fleetd_api, so even a login that could do more (here the schema owner,
// granted membership in fleetd_api) is confined by row-level security to the
// transaction's tenant. Checked through the Store methods the API uses and,
// for what the store must not reach, with plain SQL as the API login.
#include <gtest/gtest.h>

#include <memory>
#include <string>

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

constexpr const char* kOwner = "fleetd_apitest_owner";
constexpr const char* kApiLogin = "fleetd_apitest_api";
constexpr const char* kOutsider = "fleetd_apitest_outsider";  // a login that is not a member of fleetd_api
constexpr const char* kPassword = "pw";

class PostgresApiRoleTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    Status roles =
        Cluster()->Exec("postgres", std::string(pgtest::kCreateApiGroupRole) + "CREATE ROLE " + kOwner +
                                        " LOGIN PASSWORD 'pw';" + "GRANT fleetd_api TO " + kOwner + ";" +
                                        "CREATE ROLE " + kApiLogin + " LOGIN PASSWORD 'pw' IN ROLE fleetd_api;" +
                                        "CREATE ROLE " + kOutsider + " LOGIN PASSWORD 'pw';");
    ASSERT_TRUE(roles.ok()) << roles.ToString();
    writer_ = pgtest::OpenOwnedStore(kOwner, kPassword, &database_);
    if (!writer_) return;  // the failure is recorded; every test's SetUp fails
    for (const char* name : {"alpha", "bravo"}) {
      auto t = writer_->AddTenant(name);
      ASSERT_TRUE(t.ok()) << t.status().ToString();
      auto d = writer_->AddDevice(t->id, std::string("uid-") + name, std::string("truck-") + name);
      ASSERT_TRUE(d.ok()) << d.status().ToString();
      ASSERT_TRUE(writer_->AddUser(User{0, t->id, std::string("ops@") + name, std::string("hash-") + name,
                                        Role::kAdmin})
                      .ok());
      std::vector<Envelope> batch;
      for (int i = 0; i < 3; ++i) batch.push_back(EnvelopeFor(*d, PositionMessage(d->uid, kBaseTs + i * 60000)));
      ASSERT_TRUE(writer_->WriteBatch(batch).ok());
      (name[0] == 'a' ? tenant_a_ : tenant_b_) = t->id;
    }
    ASSERT_TRUE(writer_->RunMaintenance(kBaseTs).ok());
  }
  static void TearDownTestSuite() {
    writer_.reset();  // closes the store and drops its database
  }
  void SetUp() override { ASSERT_NE(writer_, nullptr) << "the suite's setup failed"; }

  static std::string Url(const char* login, const std::string& query = "role=api") {
    return Cluster()->Url(login, kPassword, database_) + (query.empty() ? "" : "?" + query);
  }
  // The owner's own login, confined by role=api: the strongest test of SET ROLE.
  static std::unique_ptr<PostgresStore> ApiStore(const char* login = kOwner) {
    auto store = PostgresStore::Open(Url(login));
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }

  static inline std::string database_;
  static inline std::shared_ptr<PostgresStore> writer_;
  static inline int64_t tenant_a_ = 0;
  static inline int64_t tenant_b_ = 0;
};

TEST_F(PostgresApiRoleTest, TenantScopedMethodsWorkForTheirTenantOnly) {
  for (const char* login : {kOwner, kApiLogin}) {
    SCOPED_TRACE(login);
    auto api = ApiStore(login);
    ASSERT_TRUE(api);
    EXPECT_EQ(api->role(), pg::StoreRole::kApi);
    EXPECT_FALSE(api->direct_copy());
    auto devices = api->ListDevices(tenant_a_);
    ASSERT_TRUE(devices.ok()) << devices.status().ToString();
    ASSERT_EQ(devices->size(), 1u);
    EXPECT_EQ((*devices)[0].uid, "uid-alpha");
    auto page = api->QueryPositions(PositionQuery{tenant_a_, "uid-alpha", {}, {}, {}, 100});
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    EXPECT_EQ(page->positions.size(), 3u);
    EXPECT_EQ(api->QueryPositions(PositionQuery{tenant_a_, "uid-bravo", {}, {}, {}, 100}).status().code(),
              StatusCode::kNotFound);
    auto latest = api->LatestPositions(tenant_a_);
    ASSERT_TRUE(latest.ok()) << latest.status().ToString();
    ASSERT_EQ(latest->size(), 1u);
    EXPECT_EQ((*latest)[0].tenant_id, tenant_a_);
    auto rollups = api->QueryRollups(RollupQuery{tenant_a_, "uid-alpha", {}, {}});
    ASSERT_TRUE(rollups.ok()) << rollups.status().ToString();
    EXPECT_EQ(rollups->size(), 1u);
    auto tenant = api->FindTenantById(tenant_a_);
    ASSERT_TRUE(tenant.ok()) << tenant.status().ToString();
    EXPECT_EQ(tenant->name, "alpha");
    // What needs every tenant finds nothing, or is refused.
    auto everyone = api->LatestPositions(std::nullopt);
    ASSERT_TRUE(everyone.ok()) << everyone.status().ToString();
    EXPECT_TRUE(everyone->empty());
    EXPECT_EQ(api->FindTenant("bravo").status().code(), StatusCode::kNotFound);
    std::vector<Envelope> batch = {Envelope{tenant_b_, 1, PositionMessage("uid-bravo", kBaseTs + 7)}};
    EXPECT_EQ(api->WriteBatch(batch).status().code(), StatusCode::kPermissionDenied);
    EXPECT_EQ(api->Migrate().status().code(), StatusCode::kPermissionDenied);
    EXPECT_FALSE(api->RemoveDevice("uid-bravo").ok());
    EXPECT_FALSE(api->UpdateDeviceSettings("uid-bravo", DeviceSettings{std::string("evil"), true}).ok());
    EXPECT_FALSE(api->RunMaintenance(kBaseTs).ok());
  }
  // Nothing of bravo's changed.
  auto bravo = writer_->FindDeviceByUid("uid-bravo");
  ASSERT_TRUE(bravo.ok()) << bravo.status().ToString();
  EXPECT_EQ(bravo->model, "");
  EXPECT_FALSE(bravo->lenient);
}

TEST_F(PostgresApiRoleTest, AddsDevicesAndUsersToTheGivenTenant) {
  auto api = ApiStore();
  ASSERT_TRUE(api);
  auto d = api->AddDevice(tenant_a_, "uid-alpha-2", "van");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->tenant_id, tenant_a_);
  auto listed = api->ListDevices(tenant_a_);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 2u);
  auto b = api->ListDevices(tenant_b_);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->size(), 1u);
  // A uid another tenant holds is taken (globally unique), and stays theirs.
  EXPECT_EQ(api->AddDevice(tenant_a_, "uid-bravo", "steal").status().code(), StatusCode::kAlreadyExists);
  auto u = api->AddUser(User{0, tenant_a_, "viewer@alpha", "hash-v", Role::kViewer});
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  auto found = api->FindUserByEmail("VIEWER@alpha");
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->tenant_id, tenant_a_);
  EXPECT_EQ(found->password_hash, "hash-v");
  ASSERT_TRUE(writer_->RemoveDevice("uid-alpha-2").ok());
}

TEST_F(PostgresApiRoleTest, LoginAndUidLookupsReturnOneExactRow) {
  auto api = ApiStore();
  ASSERT_TRUE(api);
  auto user = api->FindUserByEmail("Ops@Bravo");
  ASSERT_TRUE(user.ok()) << user.status().ToString();
  EXPECT_EQ(user->tenant_id, tenant_b_);
  EXPECT_EQ(user->password_hash, "hash-bravo");
  EXPECT_EQ(user->role, Role::kAdmin);
  auto device = api->FindDeviceByUid("uid-bravo");
  ASSERT_TRUE(device.ok()) << device.status().ToString();
  EXPECT_EQ(device->tenant_id, tenant_b_);  // the API compares it with the caller's tenant
  EXPECT_EQ(device->name, "truck-bravo");
  EXPECT_EQ(api->FindUserByEmail("nobody@alpha").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(api->FindDeviceByUid("uid-nobody").status().code(), StatusCode::kNotFound);
}

TEST_F(PostgresApiRoleTest, InjectionAttemptsInEmailsAndUidsAreInert) {
  auto api = ApiStore();
  ASSERT_TRUE(api);
  for (const std::string& email :
       {std::string("' OR '1'='1"), std::string("ops@alpha' --"), std::string("%"), std::string("ops@%"),
        std::string("ops@alpha'); DROP TABLE users; --"), std::string("x\\' OR 1=1 --"), std::string("*"),
        std::string("ops@alpha\n"), std::string("\xff\xfe")}) {
    auto r = api->FindUserByEmail(email);
    EXPECT_EQ(r.status().code(), StatusCode::kNotFound) << email;
  }
  for (const std::string& uid :
       {std::string("' OR '1'='1"), std::string("uid-alpha' --"), std::string("%"), std::string("uid-%"),
        std::string("uid-alpha'); DROP TABLE devices; --"), std::string("uid-alpha\0", 10), std::string("\\x00")}) {
    EXPECT_EQ(api->FindDeviceByUid(uid).status().code(), StatusCode::kNotFound) << uid;
  }
  const std::string evil = "x'); DELETE FROM devices; --";
  auto added = api->AddDevice(tenant_a_, evil, evil);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  auto found = api->FindDeviceByUid(evil);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->name, evil);
  EXPECT_TRUE(writer_->FindDeviceByUid("uid-bravo").ok()) << "the tables are intact";
  EXPECT_TRUE(writer_->FindUserByEmail("ops@alpha").ok());
  ASSERT_TRUE(writer_->RemoveDevice(evil).ok());
}

TEST_F(PostgresApiRoleTest, PasswordHashesAreReadableOnlyThroughTheLoginFunction) {
  auto s = SqlSession::Connect(Url(kApiLogin, ""));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  SqlSession& sql = **s;
  ASSERT_TRUE(sql.Run("BEGIN").ok);
  ASSERT_TRUE(sql.Run("SELECT set_config('fleetd.tenant_id', '" + std::to_string(tenant_a_) + "', true)").ok);
  auto direct = sql.Run("SELECT password_hash FROM users");
  EXPECT_FALSE(direct.ok) << "the API role read password_hash directly";
  EXPECT_EQ(direct.sqlstate, "42501") << direct.error;
  ASSERT_TRUE(sql.Run("ROLLBACK").ok);
  EXPECT_EQ(sql.Scalar("SELECT count(*) FROM users"), "0") << "no tenant set: nothing";
  EXPECT_EQ(sql.Scalar("SELECT password_hash FROM fleetd_login_lookup('ops@alpha')"), "hash-alpha");
  for (const char* pattern : {"%", "ops@%", "_ps@alpha", ""}) {
    EXPECT_EQ(sql.Scalar(std::string("SELECT count(*) FROM fleetd_login_lookup('") + pattern + "')"), "0") << pattern;
  }
  EXPECT_EQ(sql.Scalar("SELECT count(*) FROM fleetd_find_device('%'::bytea)"), "0");
  // The functions resolve names in the schema, not in one the caller sets up.
  EXPECT_EQ(sql.Scalar("SELECT count(*) FROM pg_proc WHERE proname IN ('fleetd_login_lookup', 'fleetd_find_device')"
                       " AND prosecdef AND array_to_string(proconfig, ',') LIKE 'search_path=public, pg_temp'"),
            "2");
  // Someone who is not fleetd_api cannot call them.
  auto outsider = SqlSession::Connect(Url(kOutsider, ""));
  ASSERT_TRUE(outsider.ok());
  auto call = (*outsider)->Run("SELECT * FROM fleetd_login_lookup('ops@alpha')");
  EXPECT_FALSE(call.ok);
  EXPECT_EQ(call.sqlstate, "42501") << call.error;
}

TEST_F(PostgresApiRoleTest, OpeningAsTheApiRoleIsRefusedWhenItCannotBeConfined) {
  auto outsider = PostgresStore::Open(Url(kOutsider));
  ASSERT_FALSE(outsider.ok());
  EXPECT_EQ(outsider.status().code(), StatusCode::kPermissionDenied) << outsider.status().ToString();
  EXPECT_NE(outsider.status().message().find("GRANT fleetd_api TO"), std::string::npos) << outsider.status().message();
  auto migrate = PostgresStore::Open(Url(kOwner, "role=api&migrate=true"));
  ASSERT_FALSE(migrate.ok());
  EXPECT_EQ(migrate.status().code(), StatusCode::kInvalidArgument) << migrate.status().ToString();
  // A database nobody migrated: the API does not, and says what to run.
  auto empty = Cluster()->CreateDatabase(kOwner);
  ASSERT_TRUE(empty.ok());
  auto fresh = PostgresStore::Open(Cluster()->Url(kOwner, kPassword, *empty) + "?role=api");
  ASSERT_FALSE(fresh.ok());
  EXPECT_NE(fresh.status().message().find("fleetd migrate"), std::string::npos) << fresh.status().message();
  (void)Cluster()->DropDatabase(*empty);
}

}  // namespace
}  // namespace fleetd
