// `fleetd migrate` through the real binary (FLEETD_BINARY) against a
// PostgreSQL started by this test, and the processes' refusal to start on a
// database nobody migrated.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "app/adapters.h"
#include "servers/server_process.h"
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
