// SqliteStore: the shared Store contract (in memory and on disk) plus what
// only a file-backed store promises: a second process sees committed writes,
// data survives reopen and a crash right after WriteBatch returns, schema
// versions are checked.
#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "contract/store_contract.h"
#include "store/sqlite/sqlite_schema.h"

namespace fleetd {
namespace {

namespace fs = std::filesystem;
using contract::EnvelopeFor;
using contract::kBaseTs;
using contract::PositionMessage;
using contract::StoreContractParam;
using contract::StoreContractTest;

// A fresh path in a shared temp folder (pid + counter: safe under ctest -j);
// the caller removes the files it made.
std::string TempDbPath() {
  static std::atomic<int> counter{0};
  fs::path dir = fs::temp_directory_path() / "fleetd_store_test";
  fs::create_directories(dir);
  return (dir / (std::to_string(getpid()) + "_" + std::to_string(counter++) + ".sqlite")).string();
}

void RemoveDb(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);
}

std::unique_ptr<SqliteStore> MustOpen(const std::string& path, SqliteStoreOptions options = {}) {
  auto store = SqliteStore::Open(path, options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(*store) : nullptr;
}

INSTANTIATE_TEST_SUITE_P(
    Sqlite, StoreContractTest,
    testing::Values(StoreContractParam{"InMemory",
                                       []() -> std::shared_ptr<Store> { return MustOpen(":memory:"); }},
                    StoreContractParam{"File",
                                       []() -> std::shared_ptr<Store> {
                                         std::string path = TempDbPath();
                                         auto store = MustOpen(path);
                                         if (!store) return nullptr;
                                         return std::shared_ptr<Store>(store.release(), [path](Store* s) {
                                           delete s;
                                           RemoveDb(path);
                                         });
                                       }}),
    contract::StoreContractParamName);

class SqliteFileTest : public testing::Test {
 protected:
  void TearDown() override { RemoveDb(path_); }
  std::string path_ = TempDbPath();
};

TEST_F(SqliteFileTest, SecondConnectionSeesWritesOfTheFirst) {
  auto server = MustOpen(path_);
  auto admin = MustOpen(path_);  // the admin CLI, while the server runs
  ASSERT_TRUE(server && admin);
  auto t = admin->AddTenant("acme");
  ASSERT_TRUE(t.ok());
  auto d = admin->AddDevice(t->id, "862000000000009", "van");
  ASSERT_TRUE(d.ok());
  auto seen = server->FindDeviceByUid("862000000000009");
  ASSERT_TRUE(seen.ok()) << "the server must see a device the CLI just added";
  EXPECT_EQ(seen->id, d->id);

  std::vector<Envelope> batch = {EnvelopeFor(*seen, PositionMessage(seen->uid, kBaseTs))};
  ASSERT_TRUE(server->WriteBatch(batch).ok());
  PositionQuery q{t->id, seen->uid, {}, {}, {}, 100};
  auto page = admin->QueryPositions(q);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->positions.size(), 1u);
  // Writes from both sides interleave without SQLITE_BUSY errors.
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(
        admin->RecordPending({"p" + std::to_string(i), "gt06", "1.2.3.4:5", kBaseTs, kBaseTs, 1}).ok());
    std::vector<Envelope> one = {EnvelopeFor(*seen, PositionMessage(seen->uid, kBaseTs + 1 + i))};
    ASSERT_TRUE(server->WriteBatch(one).ok());
  }
  EXPECT_EQ(server->ListPending()->size(), 20u);
}

TEST_F(SqliteFileTest, ReopenKeepsDataAndUsesWal) {
  int64_t device_id = 0;
  {
    auto store = MustOpen(path_);
    ASSERT_TRUE(store);
    auto t = store->AddTenant("acme");
    auto d = store->AddDevice(t->id, "dev", "dev");
    device_id = d->id;
    std::vector<Envelope> batch = {EnvelopeFor(*d, PositionMessage("dev", kBaseTs))};
    ASSERT_TRUE(store->WriteBatch(batch).ok());
  }
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  ASSERT_EQ(sqlite3_prepare_v2(raw, "PRAGMA user_version", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), sqlite::SchemaVersion());
  sqlite3_finalize(stmt);
  sqlite3_close(raw);

  auto store = MustOpen(path_);
  ASSERT_TRUE(store);
  auto d = store->FindDeviceByUid("dev");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->id, device_id);
  auto latest = store->LatestPositions(std::nullopt);
  ASSERT_TRUE(latest.ok());
  ASSERT_EQ(latest->size(), 1u);
  EXPECT_EQ((*latest)[0].message, PositionMessage("dev", kBaseTs));
}

TEST_F(SqliteFileTest, RowsSurviveACrashRightAfterWriteBatch) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The "server": commit, then die without closing anything.
    auto opened = SqliteStore::Open(path_);
    if (!opened.ok()) _exit(2);
    auto& store = *opened;
    auto t = store->AddTenant("acme");
    auto d = store->AddDevice(t->id, "crash", "crash");
    std::vector<Envelope> batch;
    for (int i = 0; i < 500; ++i) batch.push_back(EnvelopeFor(*d, PositionMessage("crash", kBaseTs + i)));
    if (!store->WriteBatch(batch).ok()) _exit(3);
    _exit(0);  // no destructors: the connection is never closed
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  auto store = MustOpen(path_);
  ASSERT_TRUE(store);
  auto t = store->FindTenant("acme");
  ASSERT_TRUE(t.ok());
  PositionQuery q{t->id, "crash", {}, {}, {}, 10000};
  auto page = store->QueryPositions(q);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->positions.size(), 500u);
}

// Migration 4 rebuilds users to admit the operator role: a file written by
// the build before keeps every user, id and role, and takes operators after.
TEST_F(SqliteFileTest, UsersSurviveTheOperatorRoleMigration) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
  ASSERT_TRUE(sqlite::Migrate(raw, 3).ok());
  ASSERT_EQ(sqlite3_exec(raw, "INSERT INTO tenants VALUES (7, 'acme')", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(raw, "INSERT INTO users VALUES (41, 7, 'x@acme.test', 'h', 'operator')", nullptr, nullptr,
                         nullptr),
            SQLITE_CONSTRAINT)
      << "version 3 must not admit operators, or this test proves nothing";
  ASSERT_EQ(sqlite3_exec(raw, "INSERT INTO users VALUES (41, 7, 'Boss@Acme.test', 'hash-a', 'admin');"
                              "INSERT INTO users VALUES (42, 7, 'eyes@acme.test', 'hash-v', 'viewer')",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);

  auto store = MustOpen(path_);
  ASSERT_TRUE(store);
  auto boss = store->FindUserByEmail("boss@acme.test");  // still case-insensitive
  ASSERT_TRUE(boss.ok()) << boss.status().ToString();
  EXPECT_EQ(boss->id, 41);
  EXPECT_EQ(boss->tenant_id, 7);
  EXPECT_EQ(boss->password_hash, "hash-a");
  EXPECT_EQ(boss->role, Role::kAdmin);
  auto eyes = store->FindUserByEmail("eyes@acme.test");
  ASSERT_TRUE(eyes.ok());
  EXPECT_EQ(eyes->id, 42);
  EXPECT_EQ(eyes->role, Role::kViewer);
  auto platform = store->AddUser(User{0, 7, "ops@acme.test", "h", Role::kOperator});
  ASSERT_TRUE(platform.ok()) << platform.status().ToString();
  EXPECT_EQ(platform->id, 43);
  EXPECT_EQ(store->AddUser(User{0, 7, "EYES@acme.test", "h", Role::kViewer}).status().code(),
            StatusCode::kAlreadyExists);
}

TEST_F(SqliteFileTest, RefusesADatabaseFromANewerBuild) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
  std::string sql = "PRAGMA user_version = " + std::to_string(sqlite::SchemaVersion() + 1);
  ASSERT_EQ(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  auto store = SqliteStore::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInternal);
}

TEST_F(SqliteFileTest, UnopenablePathIsAnIoError) {
  auto store = SqliteStore::Open("/nonexistent-dir-fleetd/sub/x.db");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kIoError);
  EXPECT_NE(store.status().message().find("x.db"), std::string::npos);
}

TEST_F(SqliteFileTest, NotADatabaseIsAnIoError) {
  {
    FILE* f = fopen(path_.c_str(), "w");
    ASSERT_NE(f, nullptr);
    fputs("this is not an sqlite file, just some bytes that are long enough to matter......", f);
    fclose(f);
  }
  auto store = SqliteStore::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kIoError);
}

// Not a benchmark: a guard that WriteBatch stays batched (one transaction,
// prepared statements). The e2e target is 50k/s; the bound here is loose
// because the test machine is shared.
TEST_F(SqliteFileTest, WriteBatchThroughputIsBatchedNotPerRow) {
  auto store = MustOpen(path_);
  ASSERT_TRUE(store);
  auto t = store->AddTenant("acme");
  std::vector<Device> devices;
  for (int i = 0; i < 50; ++i) {
    std::string uid = std::to_string(i);  // not "d" + to_string(i): GCC 12 -O3 -Wrestrict false positive
    devices.push_back(*store->AddDevice(t->id, uid, "d"));
  }
  constexpr int kBatches = 40;
  constexpr int kBatchSize = 1000;
  std::vector<std::vector<Envelope>> batches(kBatches);
  for (int b = 0; b < kBatches; ++b) {
    for (int i = 0; i < kBatchSize; ++i) {
      const Device& d = devices[i % devices.size()];
      batches[b].push_back(EnvelopeFor(d, PositionMessage(d.uid, kBaseTs + (b * kBatchSize + i) * 10LL)));
    }
  }
  auto start = std::chrono::steady_clock::now();
  for (const auto& batch : batches) {
    auto stats = store->WriteBatch(batch);
    ASSERT_TRUE(stats.ok());
    ASSERT_EQ(stats->positions_written, kBatchSize);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double rate = kBatches * kBatchSize / seconds;
  RecordProperty("positions_per_second", static_cast<int>(rate));
  std::printf("WriteBatch: %.0f positions/s (synchronous=FULL)\n", rate);
  EXPECT_GT(rate, 5000.0);
}

}  // namespace
}  // namespace fleetd
