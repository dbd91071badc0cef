// `fleetd migrate` through the real binary (FLEETD_BINARY) against a
// PostgreSQL started by this test, and the processes' refusal to start on a
// database nobody migrated.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "api/jwt.h"
#include "app/adapters.h"
#include "core/time_util.h"
#include "protocol/gt06/gt06_encoder.h"
#include "servers/server_process.h"
#include "test_client.h"
#include "store/postgres/pg_schema.h"
#include "store/postgres/pg_test_environment.h"
#include "store/sqlite/sqlite_schema.h"

namespace fleetd {
namespace {

using pgtest::Cluster;

struct CliResult {
  int exit = -1;
  std::string output;  // stdout and stderr
};

class MigrateCommandTest : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fleetd-migrate-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  CliResult Fleetd(std::vector<std::string> args) {
    const std::string log = dir_ + "/cli-" + std::to_string(++runs_) + ".log";
    args.insert(args.begin(), FLEETD_BINARY);
    CliResult r;
    r.exit = test::RunCommand(args, log);
    std::ifstream in(log);
    std::stringstream ss;
    ss << in.rdbuf();
    r.output = ss.str();
    return r;
  }
  std::string FreshUrl() {
    auto db = Cluster()->CreateDatabase();
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return Cluster()->SuperuserUrl(db.ok() ? *db : "postgres");
  }
  static nlohmann::json LastJsonLine(const std::string& output) {
    std::string line, last;
    std::istringstream in(output);
    while (std::getline(in, line)) {
      if (!line.empty() && line[0] == '{') last = line;
    }
    return nlohmann::json::parse(last, nullptr, false);
  }

  std::string dir_;
  int runs_ = 0;
};

TEST_F(MigrateCommandTest, MigratesOnceAndReportsWhatItApplied) {
  const std::string url = FreshUrl();
  CliResult first = Fleetd({"migrate", "--store", url, "--data-dir", dir_});
  ASSERT_EQ(first.exit, 0) << first.output;
  nlohmann::json report = LastJsonLine(first.output);
  ASSERT_TRUE(report.is_object()) << first.output;
  EXPECT_EQ(report["from"], 0);
  EXPECT_EQ(report["to"], pg::SchemaVersion());
  ASSERT_EQ(report["applied"].size(), static_cast<size_t>(pg::SchemaVersion()));
  EXPECT_EQ(report["applied"][0]["version"], 1);
  EXPECT_EQ(report["applied"][0]["name"], "initial schema");
  EXPECT_EQ(report["store"].get<std::string>().find(pgtest::PgTestCluster::kSuperuserPassword), std::string::npos)
      << "the password is redacted";
  CliResult second = Fleetd({"migrate", "--store", url, "--data-dir", dir_});
  ASSERT_EQ(second.exit, 0) << second.output;
  nlohmann::json again = LastJsonLine(second.output);
  EXPECT_EQ(again["from"], pg::SchemaVersion());
  EXPECT_EQ(again["to"], pg::SchemaVersion());
  EXPECT_TRUE(again["applied"].empty()) << second.output;
  auto sql = pgtest::SqlSession::Connect(url);
  ASSERT_TRUE(sql.ok());
  EXPECT_EQ((*sql)->Scalar("SELECT count(*) FROM schema_migrations"), std::to_string(pg::SchemaVersion()));
  // Now the processes start on it.
  auto store = OpenStore(url, StoreOpenOptions{false, false});
  EXPECT_TRUE(store.ok()) << store.status().ToString();
}

TEST_F(MigrateCommandTest, ProcessesRefuseAnUnmigratedDatabaseNamingFleetdMigrate) {
  const std::string url = FreshUrl();
  for (const char* role : {"process", "api", "ingest"}) {
    CliResult r = Fleetd({role, "--store", url, "--data-dir", dir_, "--queue", "memory:", "--api", "127.0.0.1:0",
                          "--listen", "gt06=127.0.0.1:0"});
    EXPECT_EQ(r.exit, 2) << role << ": " << r.output;
    EXPECT_NE(r.output.find("fleetd migrate"), std::string::npos) << role << ": " << r.output;
  }
  auto sql = pgtest::SqlSession::Connect(url);
  ASSERT_TRUE(sql.ok());
  EXPECT_EQ((*sql)->Scalar("SELECT to_regclass('schema_migrations') IS NULL"), "t") << "nothing was migrated";
  // Unless asked: migrate=true in the URL.
  auto refused = OpenStore(url, StoreOpenOptions{false, false});
  ASSERT_FALSE(refused.ok());
  auto asked = OpenStore(url + "?migrate=true", StoreOpenOptions{false, false});
  ASSERT_TRUE(asked.ok()) << asked.status().ToString();
  EXPECT_EQ((*sql)->Scalar("SELECT count(*) FROM schema_migrations"), std::to_string(pg::SchemaVersion()));
}

TEST_F(MigrateCommandTest, HostileStoreUrlsAreRefusedWithoutThePassword) {
  const std::string base = Cluster()->Url("postgres", "hunter2", "x");
  const std::string unreachable = "postgresql://u:hunter2@127.0.0.1:" + std::to_string(test::PickFreePort()) + "/db";
  struct Case {
    std::string url;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{{base + "?role=api", "role=api cannot migrate"},
                                         {base + "?migrate=false", "migrate=false"},
                                         {base + "?migrate=maybe", "is not true or false"},
                                         {base + "?role=root", "is not writer or api"},
                                         {base + "?role=api&role=writer", "twice"},
                                         {base + "?bogus=1", "store URL"},
                                         {"postgresql://u:hunter2@127.0.0.1:0/db", "port"},
                                         {unreachable, "cannot connect"},
                                         {"mysql://u:hunter2@h/db", "postgresql://"}}) {
    CliResult r = Fleetd({"migrate", "--store", c.url, "--data-dir", dir_});
    EXPECT_EQ(r.exit, 2) << c.url << ": " << r.output;
    EXPECT_NE(r.output.find(c.says), std::string::npos) << c.url << ": " << r.output;
    if (c.url.rfind("mysql", 0) != 0) {
      EXPECT_EQ(r.output.find("hunter2"), std::string::npos) << "password leaked: " << r.output;
    }
  }
}

// `fleetd migrate` walks the tenant -> DSN map: the shared store, a tenant
// database and a tenant schema (created by the migration), each reported;
// the map comes from the config file and from --store-tenant alike.
TEST_F(MigrateCommandTest, MigratesEveryDatabaseAndSchemaOfTheTenantMap) {
  const std::string shared = FreshUrl();
  const std::string acme = FreshUrl();
  const std::string globex = shared + "?options=-csearch_path%3Dglobex_ts";
  const std::string config = dir_ + "/fleetd.toml";
  std::ofstream(config) << "store = \"" << shared << "\"\n[store_tenants]\nacme = \"" << acme << "\"\n";
  CliResult first = Fleetd({"migrate", "--config", config, "--data-dir", dir_, "--store-tenant", "acme=" + acme,
                            "--store-tenant", "globex=" + globex});
  ASSERT_EQ(first.exit, 0) << first.output;
  nlohmann::json report = LastJsonLine(first.output);
  ASSERT_TRUE(report.is_object()) << first.output;
  EXPECT_EQ(report["from"], 0);
  EXPECT_EQ(report["to"], pg::SchemaVersion());
  ASSERT_EQ(report["tenant_stores"].size(), 2u) << first.output;
  EXPECT_EQ(report["tenant_stores"][0]["tenants"], nlohmann::json::array({"acme"}));
  EXPECT_EQ(report["tenant_stores"][1]["tenants"], nlohmann::json::array({"globex"}));
  for (const auto& store : report["tenant_stores"]) {
    EXPECT_EQ(store["from"], 0) << store;
    EXPECT_EQ(store["to"], pg::SchemaVersion()) << store;
    EXPECT_EQ(store["applied"].size(), static_cast<size_t>(pg::SchemaVersion())) << store;
    EXPECT_EQ(store["store"].get<std::string>().find(pgtest::PgTestCluster::kSuperuserPassword), std::string::npos);
  }
  auto in_shared = pgtest::SqlSession::Connect(shared);
  auto in_acme = pgtest::SqlSession::Connect(acme);
  ASSERT_TRUE(in_shared.ok() && in_acme.ok());
  const std::string version = std::to_string(pg::SchemaVersion());
  EXPECT_EQ((*in_shared)->Scalar("SELECT count(*) FROM public.schema_migrations"), version);
  EXPECT_EQ((*in_shared)->Scalar("SELECT count(*) FROM globex_ts.schema_migrations"), version);
  EXPECT_EQ((*in_acme)->Scalar("SELECT count(*) FROM public.schema_migrations"), version);

  // Again: nothing to do anywhere.
  CliResult second = Fleetd({"migrate", "--store", shared, "--data-dir", dir_, "--store-tenant", "acme=" + acme,
                             "--store-tenant", "globex=" + globex});
  ASSERT_EQ(second.exit, 0) << second.output;
  nlohmann::json again = LastJsonLine(second.output);
  ASSERT_EQ(again["tenant_stores"].size(), 2u) << second.output;
  for (const auto& store : again["tenant_stores"]) EXPECT_TRUE(store["applied"].empty()) << store;

  // The processes use the map too: a tenant it names must be in the directory.
  CliResult process = Fleetd({"process", "--store", shared, "--data-dir", dir_, "--store-tenant", "acme=" + acme,
                              "--queue", "memory:", "--api", "127.0.0.1:0"});
  EXPECT_EQ(process.exit, 2) << process.output;
  EXPECT_NE(process.output.find("tenant 'acme' is not in the directory"), std::string::npos) << process.output;
}

// The deployment sequence with a map, end to end through the real binary:
// migrate, add the tenants, run; a GT06 device of the mapped tenant and one
// of an unmapped tenant each land in their own database, and the API reads
// them back from there.
TEST_F(MigrateCommandTest, RunStoresEachTenantWhereTheMapSays) {
  const std::string shared = FreshUrl();
  const std::string acme = FreshUrl();
  const std::vector<std::string> map = {"--store", shared, "--store-tenant", "acme=" + acme, "--data-dir", dir_};
  auto with_map = [&](std::vector<std::string> args) {
    args.insert(args.end(), map.begin(), map.end());
    return Fleetd(args);
  };
  ASSERT_EQ(with_map({"migrate"}).exit, 0);
  CliResult added = Fleetd({"tenant", "add", "acme", "--store", shared, "--data-dir", dir_});
  ASSERT_EQ(added.exit, 0) << added.output;
  const int64_t acme_id = LastJsonLine(added.output)["id"].get<int64_t>();
  ASSERT_EQ(Fleetd({"tenant", "add", "initech", "--store", shared, "--data-dir", dir_}).exit, 0);
  const std::string kAcmeImei = "359710040000001", kInitechImei = "359710040000002";
  ASSERT_EQ(Fleetd({"device", "add", "--tenant", "acme", "--uid", kAcmeImei, "--store", shared, "--data-dir", dir_}).exit,
            0);
  ASSERT_EQ(
      Fleetd({"device", "add", "--tenant", "initech", "--uid", kInitechImei, "--store", shared, "--data-dir", dir_}).exit,
      0);

  const std::string secret(40, 's');
  const uint16_t gt06 = test::PickFreePort(), api = test::PickFreePort();
  std::vector<std::string> argv = {FLEETD_BINARY, "run", "--listen", "gt06=127.0.0.1:" + std::to_string(gt06),
                                   "--api", "127.0.0.1:" + std::to_string(api), "--jwt-secret", secret};
  argv.insert(argv.end(), map.begin(), map.end());
  auto run = test::ServerProcess::Start(argv, dir_ + "/run.log");
  ASSERT_TRUE(run);
  ASSERT_TRUE(test::WaitForPort(gt06, std::chrono::seconds(15))) << run->Log();
  ASSERT_TRUE(test::WaitForPort(api, std::chrono::seconds(15))) << run->Log();
  for (const std::string& imei : {kAcmeImei, kInitechImei}) {
    test::DeviceClient device(gt06);
    device.Send(gt06::EncodeLogin(imei, 1));
    ASSERT_EQ(device.Read(10), gt06::EncodeReply(0x01, 1)) << run->Log();
    gt06::PositionFix p;
    p.time_ms = 1779359400000;
    p.lat = imei == kAcmeImei ? 23.8103 : 51.5;
    p.lng = 90.4125;
    device.Send(gt06::EncodePosition(p, 2));
    device.Send(gt06::EncodeHeartbeat(true, 4, 3, 3));  // answered once the position is queued
    ASSERT_EQ(device.Read(10), gt06::EncodeReply(0x13, 3)) << run->Log();
  }
  auto in_shared = pgtest::SqlSession::Connect(shared);
  auto in_acme = pgtest::SqlSession::Connect(acme);
  ASSERT_TRUE(in_shared.ok() && in_acme.ok());
  std::string acme_rows, shared_rows;
  for (int i = 0; i < 200; ++i) {
    acme_rows = (*in_acme)->Scalar("SELECT string_agg(tenant_id || ':' || round(lat::numeric, 4), ',') FROM positions");
    shared_rows = (*in_shared)->Scalar("SELECT string_agg(tenant_id || ':' || round(lat::numeric, 4), ',') FROM positions");
    if (acme_rows != "NULL" && shared_rows != "NULL") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(acme_rows, std::to_string(acme_id) + ":23.8103") << run->Log();
  EXPECT_EQ(shared_rows.find("23.8103"), std::string::npos) << shared_rows;
  EXPECT_NE(shared_rows.find(":51.5000"), std::string::npos) << shared_rows;

  api::JwtClaims claims;
  claims.subject = "token";
  claims.tenant_id = acme_id;
  claims.tenant_name = "acme";
  claims.role = Role::kAdmin;
  claims.issued_at = NowMs() / 1000;
  claims.expires_at = claims.issued_at + 3600;
  auto r = test::Http(api, "GET", "/api/v1/devices/" + kAcmeImei + "/positions", "", *api::SignJwt(claims, secret));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.Json()["positions"].size(), 1u) << r.body;
  EXPECT_NEAR(r.Json()["positions"][0]["lat"].get<double>(), 23.8103, 1e-5);
  run->Stop();
}

TEST_F(MigrateCommandTest, HostileTenantMapsAreRefusedBeforeAnythingIsMigrated) {
  const std::string shared = FreshUrl();
  const std::string other = Cluster()->Url("postgres", "hunter2", "x");
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {{"--store-tenant", "acme=mysql://u:hunter2@h/db"}, "is not a postgresql://"},
           {{"--store-tenant", "acme="}, "empty DSN"},
           {{"--store-tenant", "=" + other}, "no tenant name"},
           {{"--store-tenant", "acme=" + other, "--store-tenant", "acme=" + other + "?sslmode=disable"}, "given twice"},
           {{"--store-tenant", "acme=" + other + "?role=api"}, "role=api cannot migrate"},
           {{"--store-tenant", "acme=" + other + "?migrate=false"}, "migrate=false"},
           {{"--store-tenant", "acme=" + other + "?bogus=1"}, "tenant 'acme'"},
       }) {
    std::vector<std::string> args = {"migrate", "--store", shared, "--data-dir", dir_};
    args.insert(args.end(), c.args.begin(), c.args.end());
    CliResult r = Fleetd(args);
    EXPECT_EQ(r.exit, 2) << c.says << ": " << r.output;
    EXPECT_NE(r.output.find(c.says), std::string::npos) << c.says << ": " << r.output;
    EXPECT_EQ(r.output.find("hunter2"), std::string::npos) << "password leaked: " << r.output;
  }
  auto sql = pgtest::SqlSession::Connect(shared);
  ASSERT_TRUE(sql.ok());
  EXPECT_EQ((*sql)->Scalar("SELECT to_regclass('schema_migrations') IS NULL"), "t") << "nothing was migrated";
  CliResult sqlite = Fleetd({"migrate", "--store", "sqlite:" + dir_ + "/f.db", "--data-dir", dir_,
                             "--store-tenant", "acme=" + other});
  EXPECT_EQ(sqlite.exit, 2) << sqlite.output;
  EXPECT_NE(sqlite.output.find("needs a postgresql:// store"), std::string::npos) << sqlite.output;
}

TEST_F(MigrateCommandTest, SqliteReportsItsVersion) {
  const std::string url = "sqlite:" + dir_ + "/db/fleetd.db";
  for (int i = 0; i < 2; ++i) {
    CliResult r = Fleetd({"migrate", "--store", url, "--data-dir", dir_});
    ASSERT_EQ(r.exit, 0) << r.output;
    nlohmann::json report = LastJsonLine(r.output);
    EXPECT_EQ(report["store"], url) << r.output;
    EXPECT_EQ(report["version"], sqlite::SchemaVersion()) << r.output;
  }
}

}  // namespace
}  // namespace fleetd
