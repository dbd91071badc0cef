// PostgresStore against a real PostgreSQL 15 started by this binary: the
// shared Store contract, then what only this store has — migrations, URL and
// connection errors, text the server refuses, day partitions made on demand,
// reconnecting after the server dropped its connections.
#include "store/postgres/postgres_store.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <limits>
#include <thread>

#include "contract/store_contract.h"
#include "core/time_util.h"
#include "servers/server_process.h"
#include "store/postgres/pg_partitions.h"
#include "store/postgres/pg_test_environment.h"

namespace fleetd {
namespace {

using contract::EnvelopeFor;
using contract::kBaseTs;
using contract::PositionMessage;
using contract::StoreContractParam;
using contract::StoreContractTest;
using pgtest::Cluster;
using pgtest::OpenFreshStore;
using pgtest::SqlSession;

INSTANTIATE_TEST_SUITE_P(
    Postgres, StoreContractTest,
    testing::Values(StoreContractParam{"Pooled", []() -> std::shared_ptr<Store> { return OpenFreshStore(); }},
                    StoreContractParam{"OneConnection",
                                       []() -> std::shared_ptr<Store> {
                                         PostgresStoreOptions options;
                                         options.pool_size = 1;
                                         return OpenFreshStore(options);
                                       }},
                    // The staging path only (the others COPY directly first).
                    StoreContractParam{"Staged",
                                       []() -> std::shared_ptr<Store> {
                                         PostgresStoreOptions options;
                                         options.direct_copy = false;
                                         return OpenFreshStore(options);
                                       }}),
    contract::StoreContractParamName);

// A fresh database with nothing in it, and its superuser URL.
std::string FreshDatabaseUrl() {
  auto db = Cluster()->CreateDatabase();
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return Cluster()->SuperuserUrl(db.ok() ? *db : "postgres");
}

std::unique_ptr<SqlSession> Superuser(const std::string& url) {
  auto session = SqlSession::Connect(url);
  EXPECT_TRUE(session.ok()) << session.status().ToString();
  return session.ok() ? std::move(*session) : nullptr;
}

// The database name at the end of a test URL.
std::string DatabaseOf(const std::string& url) { return url.substr(url.rfind('/') + 1); }

TEST(PostgresMigrationTest, MigrateTwiceIsANoOp) {
  const std::string url = FreshDatabaseUrl();
  auto store = PostgresStore::Open(url);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto sql = Superuser(url);
  ASSERT_TRUE(sql);
  const std::string before = sql->Scalar("SELECT string_agg(version || ':' || applied_at, ',') FROM schema_migrations");
  ASSERT_FALSE(before.empty());
  auto again = (*store)->Migrate();
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->from, pg::SchemaVersion());
  EXPECT_EQ(again->to, pg::SchemaVersion());
  auto reopened = PostgresStore::Open(url);  // migrate on open, again
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ(sql->Scalar("SELECT string_agg(version || ':' || applied_at, ',') FROM schema_migrations"), before);
  EXPECT_EQ(sql->Scalar("SELECT count(*) FROM schema_migrations"), std::to_string(pg::SchemaVersion()));
}

TEST(PostgresMigrationTest, ProcessesStartingTogetherMigrateOnce) {
  const std::string url = FreshDatabaseUrl();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto store = PostgresStore::Open(url);
      EXPECT_TRUE(store.ok()) << store.status().ToString();
      if (store.ok()) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 4);
  auto sql = Superuser(url);
  ASSERT_TRUE(sql);
  EXPECT_EQ(sql->Scalar("SELECT count(*) FROM schema_migrations"), std::to_string(pg::SchemaVersion()));
}

TEST(PostgresMigrationTest, WithoutMigrateAnUnmigratedDatabaseIsRefused) {
  const std::string url = FreshDatabaseUrl();
  PostgresStoreOptions no_migrate;
  no_migrate.migrate = false;
  auto refused = PostgresStore::Open(url, no_migrate);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInternal);
  EXPECT_NE(refused.status().message().find("run fleetd migrate"), std::string::npos) << refused.status().message();
  ASSERT_TRUE(PostgresStore::Open(url).ok());
  EXPECT_TRUE(PostgresStore::Open(url, no_migrate).ok());
}

TEST(PostgresMigrationTest, RefusesASchemaFromANewerBuild) {
  const std::string url = FreshDatabaseUrl();
  ASSERT_TRUE(PostgresStore::Open(url).ok());
  auto sql = Superuser(url);
  ASSERT_TRUE(sql);
  ASSERT_TRUE(sql->Run("INSERT INTO schema_migrations (version, name) VALUES (" +
                       std::to_string(pg::SchemaVersion() + 1) + ", 'from the future')")
                  .ok);
  for (bool migrate : {true, false}) {
    PostgresStoreOptions options;
    options.migrate = migrate;
    auto store = PostgresStore::Open(url, options);
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.status().code(), StatusCode::kInternal);
    EXPECT_NE(store.status().message().find("newer"), std::string::npos) << store.status().message();
  }
}

TEST(PostgresOpenTest, BadOptionsAreRejectedByName) {
  struct Case {
    const char* name;
    void (*set)(PostgresStoreOptions&);
  };
  const Case cases[] = {
      {"pool_size", [](PostgresStoreOptions& o) { o.pool_size = 0; }},
      {"pool_size", [](PostgresStoreOptions& o) { o.pool_size = 100000; }},
      {"connect_timeout_s", [](PostgresStoreOptions& o) { o.connect_timeout_s = 0; }},
      {"ddl_lock_timeout_ms", [](PostgresStoreOptions& o) { o.ddl_lock_timeout_ms = 0; }},
      {"partitions_ahead_days", [](PostgresStoreOptions& o) { o.partitions_ahead_days = -1; }},
      {"partitions_ahead_days", [](PostgresStoreOptions& o) { o.partitions_ahead_days = 1000; }},
      {"raw_retention_ms", [](PostgresStoreOptions& o) { o.raw_retention_ms = 3600000; }},
      {"event_retention_ms", [](PostgresStoreOptions& o) { o.event_retention_ms = 0; }},
      {"rollup_retention_ms", [](PostgresStoreOptions& o) { o.rollup_retention_ms = -1; }},
  };
  for (const Case& c : cases) {
    PostgresStoreOptions options;
    c.set(options);
    auto store = PostgresStore::Open(Cluster()->SuperuserUrl("postgres"), options);
    ASSERT_FALSE(store.ok()) << c.name;
    EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(store.status().message().find(c.name), std::string::npos) << store.status().message();
  }
}

TEST(PostgresOpenTest, BadUrlsFailBeforeConnecting) {
  const std::string port = std::to_string(Cluster()->port());
  for (const std::string& url : {std::string("postgresql://postgres:hunter2@127.0.0.1:notaport/db"),
                                 std::string("postgresql://postgres:hunter2@127.0.0.1:70000/db"),
                                 "postgresql://postgres:hunter2@127.0.0.1:" + port + "/db?bogus=1",
                                 std::string("mysql://postgres:hunter2@127.0.0.1/db")}) {
    auto store = PostgresStore::Open(url);
    ASSERT_FALSE(store.ok()) << url;
    EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument) << url;
    EXPECT_EQ(store.status().message().find("hunter2"), std::string::npos) << store.status().message();
  }
}

TEST(PostgresOpenTest, WrongPasswordIsUnauthenticatedAndNotEchoed) {
  const std::string url = Cluster()->Url(pgtest::PgTestCluster::kSuperuser, "wrong-hunter2", "postgres");
  auto store = PostgresStore::Open(url);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnauthenticated) << store.status().ToString();
  EXPECT_NE(store.status().message().find("password authentication failed"), std::string::npos)
      << store.status().message();
  EXPECT_NE(store.status().message().find("postgresql://postgres:***@127.0.0.1"), std::string::npos)
      << store.status().message();
  EXPECT_EQ(store.status().message().find("wrong-hunter2"), std::string::npos) << store.status().message();
}

TEST(PostgresOpenTest, UnknownDatabaseIsAnIoErrorNamingIt) {
  auto store = PostgresStore::Open(Cluster()->SuperuserUrl("no_such_database"));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kIoError);
  EXPECT_NE(store.status().message().find("no_such_database"), std::string::npos) << store.status().message();
}

TEST(PostgresOpenTest, NothingListeningIsAQuickIoError) {
  const uint16_t closed = test::PickFreePort();
  auto start = std::chrono::steady_clock::now();
  auto store = PostgresStore::Open("postgresql://u:p@127.0.0.1:" + std::to_string(closed) + "/db");
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kIoError);
  EXPECT_NE(store.status().message().find("127.0.0.1"), std::string::npos) << store.status().message();
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(PostgresOpenTest, ServerThatNeverAnswersTimesOutInBoundedTime) {
  // A socket that completes TCP handshakes (the kernel does) but never speaks.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 16), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string port = std::to_string(ntohs(addr.sin_port));

  for (const std::string& url :
       {"postgresql://u:p@127.0.0.1:" + port + "/db?connect_timeout=2", "postgresql://u:p@127.0.0.1:" + port + "/db"}) {
    PostgresStoreOptions options;
    options.connect_timeout_s = 2;  // the second URL relies on the option
    auto start = std::chrono::steady_clock::now();
    auto store = PostgresStore::Open(url, options);
    auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(store.ok()) << url;
    EXPECT_EQ(store.status().code(), StatusCode::kIoError) << store.status().ToString();
    EXPECT_NE(store.status().message().find("timeout"), std::string::npos) << store.status().message();
    EXPECT_GE(took, std::chrono::milliseconds(1500)) << "it did wait for the server";
    EXPECT_LT(took, std::chrono::seconds(10)) << url;
  }
  close(fd);
}

TEST(PostgresOpenTest, BothSchemesOpen) {
  const std::string url = FreshDatabaseUrl();
  ASSERT_TRUE(url.starts_with("postgresql://"));
  auto a = PostgresStore::Open(url);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = PostgresStore::Open("postgres://" + url.substr(std::string("postgresql://").size()));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_TRUE((*a)->AddTenant("seen-by-both").ok());
  EXPECT_TRUE((*b)->FindTenant("seen-by-both").ok());
}

TEST(PostgresTextTest, TextTheServerCannotHoldIsRefusedNotTruncated) {
  auto store = OpenFreshStore();
  ASSERT_TRUE(store);
  const std::string nul("ab\0cd", 5);
  EXPECT_EQ(store->AddTenant(nul).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->AddTenant("\xff\xfe not utf-8").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->FindTenant("ab").status().code(), StatusCode::kNotFound) << "nothing stored cut at the NUL";
  EXPECT_EQ(store->FindTenant(nul).status().code(), StatusCode::kNotFound);
  auto t = store->AddTenant("t");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(store->AddDevice(t->id, "uid-1", nul).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->FindDeviceByUid("uid-1").status().code(), StatusCode::kNotFound) << "the failed add left nothing";
  // Uids are bytes: NUL and non-UTF-8 are fine there.
  const std::string binary_uid("\x00\xff\x01", 3);
  auto d = store->AddDevice(t->id, binary_uid, "binary");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(store->FindDeviceByUid(binary_uid)->uid, binary_uid);
  User nul_user{0, t->id, "a\0b@example.com", "h", Role::kAdmin};
  nul_user.email = std::string("a\0b@example.com", 15);
  EXPECT_EQ(store->AddUser(nul_user).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->FindUserByEmail(nul_user.email).status().code(), StatusCode::kNotFound);
}

TEST(PostgresTextTest, EmailsCompareCaseInsensitivelyInAsciiOnly) {
  auto store = OpenFreshStore();
  ASSERT_TRUE(store);
  auto t = store->AddTenant("t");
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(store->AddUser(User{0, t->id, "Ops@Example.COM", "h", Role::kAdmin}).ok());
  auto found = store->FindUserByEmail("ops@example.com");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->email, "Ops@Example.COM") << "stored as given";
  EXPECT_EQ(store->AddUser(User{0, t->id, "OPS@example.com", "h", Role::kViewer}).status().code(),
            StatusCode::kAlreadyExists);
  ASSERT_TRUE(store->AddUser(User{0, t->id, "ÄRGER@example.com", "h", Role::kViewer}).ok());
  EXPECT_EQ(store->FindUserByEmail("äRGER@example.com").status().code(), StatusCode::kNotFound)
      << "non-ASCII letters are not folded (same as SQLite NOCASE)";
  EXPECT_TRUE(store->FindUserByEmail("ÄrGER@EXAMPLE.com").ok());
}

class PostgresWriteTest : public testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenFreshStore({}, &url_);
    ASSERT_TRUE(store_);
    auto t = store_->AddTenant("t");
    ASSERT_TRUE(t.ok());
    auto d = store_->AddDevice(t->id, "862000000000001", "truck");
    ASSERT_TRUE(d.ok());
    device_ = *d;
  }
  void WriteTrack() {
    std::vector<Envelope> batch;
    for (int i = 0; i < 3; ++i) batch.push_back(EnvelopeFor(device_, PositionMessage(device_.uid, kBaseTs + i * 1000)));
    auto stats = store_->WriteBatch(batch);
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  }
  PositionQuery All() {
    PositionQuery q;
    q.tenant_id = device_.tenant_id;
    q.device_uid = device_.uid;
    q.limit = 10000;
    return q;
  }

  std::shared_ptr<PostgresStore> store_;
  Device device_;
  std::string url_;
};

TEST_F(PostgresWriteTest, DaysOutsideThePreparedOnesGetPartitionsOnDemand) {
  const TimestampMs y2001 = 978307200000;   // 2001-01-01
  const TimestampMs y2031 = 1924992000000;  // 2031-01-01
  Message old_alarm = PositionMessage(device_.uid, y2001 + 5000);
  old_alarm.alarm = Alarm::kSos;
  std::vector<Envelope> batch = {EnvelopeFor(device_, old_alarm),
                                 EnvelopeFor(device_, PositionMessage(device_.uid, y2031)),
                                 EnvelopeFor(device_, PositionMessage(device_.uid, y2031 + pg::kDayMs))};
  auto stats = store_->WriteBatch(batch);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->positions_written, 3);
  EXPECT_EQ(stats->events_written, 1);
  auto sql = Superuser(url_);
  ASSERT_TRUE(sql);
  for (const char* table : {"positions_p20010101", "events_p20010101", "positions_p20310101", "positions_p20310102"}) {
    EXPECT_EQ(sql->Scalar(std::string("SELECT to_regclass('") + table + "') IS NOT NULL"), "t") << table;
  }
  EXPECT_EQ(sql->Scalar("SELECT count(*) FROM positions_p20310101"), "1");
  auto page = store_->QueryPositions(All());
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->positions.size(), 3u);
  EXPECT_EQ(page->positions[0], old_alarm);
}

TEST_F(PostgresWriteTest, FixTimesSchemaV1CannotCarryAreSkipped) {
  // No decoder emits these; stored, they would poison the device's history
  // (the JSON body could not be read back).
  std::vector<Envelope> batch = {
      EnvelopeFor(device_, PositionMessage(device_.uid, -86'400'000LL * 400)),
      EnvelopeFor(device_, PositionMessage(device_.uid, kMaxTimestampMs + 1)),
      EnvelopeFor(device_, PositionMessage(device_.uid, std::numeric_limits<int64_t>::min())),
      EnvelopeFor(device_, PositionMessage(device_.uid, std::numeric_limits<int64_t>::max())),
      EnvelopeFor(device_, PositionMessage(device_.uid, kMaxTimestampMs)),
      EnvelopeFor(device_, PositionMessage(device_.uid, 0)),
      EnvelopeFor(device_, PositionMessage(device_.uid, kBaseTs))};
  batch[4].message.received_at = kMaxTimestampMs;
  batch[6].message.received_at = -1;  // a receive time schema v1 cannot carry either
  auto stats = store_->WriteBatch(batch);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->positions_written, 2);
  EXPECT_EQ(stats->duplicates, 0);
  auto page = store_->QueryPositions(All());
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->positions.size(), 2u);
  EXPECT_EQ(page->positions[0].ts, 0);
  EXPECT_EQ(page->positions[1].ts, kMaxTimestampMs);
  auto sql = Superuser(url_);
  ASSERT_TRUE(sql);
  EXPECT_EQ(sql->Scalar("SELECT count(*) FROM positions_p19700101"), "1");
  EXPECT_EQ(sql->Scalar("SELECT count(*) FROM positions_p99991231"), "1");
}

TEST_F(PostgresWriteTest, APartitionDroppedBehindTheStoresBackIsMadeAgain) {
  std::vector<Envelope> first = {EnvelopeFor(device_, PositionMessage(device_.uid, kBaseTs))};
  ASSERT_TRUE(store_->WriteBatch(first).ok());
  auto sql = Superuser(url_);
  ASSERT_TRUE(sql);
  // Another process's maintenance drops the day this store believes exists.
  ASSERT_TRUE(sql->Run("DROP TABLE " + pg::PartitionName("positions", pg::DayOf(kBaseTs))).ok);
  std::vector<Envelope> second = {EnvelopeFor(device_, PositionMessage(device_.uid, kBaseTs + 1000)),
                                  EnvelopeFor(device_, PositionMessage(device_.uid, kBaseTs + 2000))};
  auto stats = store_->WriteBatch(second);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->positions_written, 2);
  EXPECT_EQ(store_->QueryPositions(All())->positions.size(), 2u);
}

TEST_F(PostgresWriteTest, DuplicatesWithinOneBatchKeepTheFirst) {
  Message first = PositionMessage(device_.uid, kBaseTs, 10, 20);
  Message second = PositionMessage(device_.uid, kBaseTs, 11, 21);
  std::vector<Envelope> batch = {EnvelopeFor(device_, first), EnvelopeFor(device_, second),
                                 EnvelopeFor(device_, PositionMessage(device_.uid, kBaseTs + 1))};
  auto stats = store_->WriteBatch(batch);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->positions_written, 2);
  EXPECT_EQ(stats->duplicates, 1);
  auto page = store_->QueryPositions(All());
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->positions.size(), 2u);
  EXPECT_EQ(page->positions[0], first);
}

TEST_F(PostgresWriteTest, ConcurrentRedeliveriesStoreEveryRowOnce) {
  std::vector<Envelope> batch;
  for (int i = 0; i < 2000; ++i) batch.push_back(EnvelopeFor(device_, PositionMessage(device_.uid, kBaseTs + i * 10)));
  auto other = PostgresStore::Open(url_);  // a second process worker
  ASSERT_TRUE(other.ok());
  std::atomic<int64_t> written{0}, duplicates{0};
  auto write = [&](PostgresStore* s) {
    for (int round = 0; round < 3; ++round) {
      auto stats = s->WriteBatch(batch);
      ASSERT_TRUE(stats.ok()) << stats.status().ToString();
      written += stats->positions_written;
      duplicates += stats->duplicates;
    }
  };
  std::thread a(write, store_.get()), b(write, other->get());
  a.join();
  b.join();
  EXPECT_EQ(written, 2000);
  EXPECT_EQ(duplicates, 5 * 2000);
  auto sql = Superuser(url_);
  ASSERT_TRUE(sql);
  EXPECT_EQ(sql->Scalar("SELECT count(*) FROM positions"), "2000");
}

TEST_F(PostgresWriteTest, AWriterRacingOnAKeyIsOutwaitedAndCountedOnce) {
  // Another writer has inserted (not yet committed) one of the batch's keys:
  // the fast path's probe cannot see it, its insert waits and then hits the
  // unique key, and the batch is redone with ON CONFLICT DO NOTHING.
  std::vector<Envelope> earlier = {EnvelopeFor(device_, PositionMessage(device_.uid, kBaseTs + 5000))};
  ASSERT_TRUE(store_->WriteBatch(earlier).ok());  // the day's partition exists now
  auto other = Superuser(url_);
  ASSERT_TRUE(other);
  ASSERT_TRUE(other->Run("BEGIN").ok);
  auto held = other->Run("INSERT INTO positions (tenant_id, device_id, ts, received_at, body) VALUES (" +
                         std::to_string(device_.tenant_id) + ", " + std::to_string(device_.id) + ", " +
                         std::to_string(kBaseTs + 1000) + ", 0, '{}')");
  ASSERT_TRUE(held.ok) << held.error;
  std::vector<Envelope> batch;
  for (int i = 0; i < 3; ++i) batch.push_back(EnvelopeFor(device_, PositionMessage(device_.uid, kBaseTs + i * 1000)));
  Result<WriteStats> stats = Status(StatusCode::kInternal, "not run");
  std::thread writer([&] { stats = store_->WriteBatch(batch); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(other->Run("COMMIT").ok);
  writer.join();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->positions_written, 2);
  EXPECT_EQ(stats->duplicates, 1);
  EXPECT_EQ(other->Scalar("SELECT count(*) FROM positions"), "4");
  EXPECT_EQ(other->Scalar("SELECT count(*) FROM rollup_dirty"), "1") << "one hour marked, once";
}

TEST_F(PostgresWriteTest, ReconnectsAfterTheServerDroppedItsConnections) {
  PostgresStoreOptions one;
  one.pool_size = 1;
  auto store = PostgresStore::Open(url_, one);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->ListDevices(device_.tenant_id).ok());
  auto sql = Superuser(url_);
  ASSERT_TRUE(sql);
  const std::string db = DatabaseOf(url_);
  const std::string mine = "application_name = 'fleetd' AND datname = '" + db + "'";
  ASSERT_TRUE(sql->Run("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE " + mine).ok);
  for (int i = 0; i < 100 && sql->Scalar("SELECT count(*) FROM pg_stat_activity WHERE " + mine) != "0"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto failed = (*store)->ListDevices(device_.tenant_id);
  ASSERT_FALSE(failed.ok()) << "the pooled connection was cut";
  EXPECT_EQ(failed.status().code(), StatusCode::kIoError) << failed.status().ToString();
  auto devices = (*store)->ListDevices(device_.tenant_id);
  ASSERT_TRUE(devices.ok()) << devices.status().ToString();
  EXPECT_EQ(devices->size(), 1u);
  std::vector<Envelope> batch = {EnvelopeFor(device_, PositionMessage(device_.uid, kBaseTs))};
  EXPECT_TRUE((*store)->WriteBatch(batch).ok()) << "the new connection made its own staging table";
}

TEST_F(PostgresWriteTest, RemovedDeviceHistoryStaysWithItsTenantWhenTheUidMoves) {
  WriteTrack();
  ASSERT_TRUE(store_->RemoveDevice(device_.uid).ok());
  auto b = store_->AddTenant("bravo");
  ASSERT_TRUE(b.ok());
  auto moved = store_->AddDevice(b->id, device_.uid, "resold");
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_NE(moved->id, device_.id);
  EXPECT_EQ(store_->FindDeviceByUid(device_.uid)->tenant_id, b->id);
  EXPECT_EQ(store_->QueryPositions(All())->positions.size(), 3u) << "the old tenant still sees its history";
  PositionQuery for_b = All();
  for_b.tenant_id = b->id;
  auto page_b = store_->QueryPositions(for_b);
  ASSERT_TRUE(page_b.ok());
  EXPECT_TRUE(page_b->positions.empty()) << "the new owner sees none of it";
  auto latest = store_->LatestPositions(std::nullopt);
  ASSERT_TRUE(latest.ok());
  EXPECT_TRUE(latest->empty()) << "a removed device has no live position";
}

}  // namespace
}  // namespace fleetd
