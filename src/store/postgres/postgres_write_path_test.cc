// WriteBatch's two paths give the same result: the direct COPY into
// positions (writer role) and the staging path it falls back to when a batch
// meets a stored key. The same sequence of batches — fresh rows, in-batch
// repeats, alarms, redeliveries, partly stored batches — goes to a store of
// each kind; every WriteStats, every stored row and every rollup must match.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/postgres/pg_test_environment.h"
#include "store/postgres/pg_test_messages.h"
#include "store/postgres/postgres_store.h"

namespace fleetd {
namespace {

using pgtest::Cluster;
using pgtest::EnvelopeFor;
using pgtest::kBaseTs;
using pgtest::OpenFreshStore;
using pgtest::PositionMessage;
using pgtest::SqlSession;

struct Side {
  std::shared_ptr<PostgresStore> store;
  std::string url;
  std::vector<Device> devices;
};

Side MakeSide(bool direct) {
  PostgresStoreOptions options;
  options.direct_copy = direct;
  Side side;
  side.store = OpenFreshStore(options, &side.url);
  if (!side.store) return side;
  auto t = side.store->AddTenant("t");
  EXPECT_TRUE(t.ok());
  for (int i = 0; i < 3 && t.ok(); ++i) {
    auto d = side.store->AddDevice(t->id, "dev-" + std::to_string(i), "d");
    EXPECT_TRUE(d.ok());
    if (d.ok()) side.devices.push_back(*d);
  }
  return side;
}

// Batch n of the sequence, for `side`'s devices (ids differ per database).
std::vector<Envelope> BatchFor(const Side& side, int n) {
  std::vector<Envelope> batch;
  auto add = [&](int device, TimestampMs ts, std::optional<Alarm> alarm = std::nullopt, double lat = 23.8) {
    Message m = PositionMessage(side.devices[static_cast<size_t>(device)].uid, ts, lat, 90.4 + ts % 1000 * 1e-5);
    m.alarm = alarm;
    batch.push_back(EnvelopeFor(side.devices[static_cast<size_t>(device)], std::move(m)));
  };
  const TimestampMs base = kBaseTs + n * 600'000LL;  // each batch 10 minutes on
  switch (n % 4) {
    case 0:  // fresh rows on every device, one alarm
      for (int i = 0; i < 30; ++i) add(i % 3, base + i * 1000, i == 7 ? std::optional(Alarm::kSos) : std::nullopt);
      break;
    case 1:  // fresh rows with in-batch repeats (the first counts) and two alarms on one key
      for (int i = 0; i < 10; ++i) add(0, base + i * 1000, std::nullopt, 10 + i);
      add(0, base + 3000, Alarm::kSos, 99);  // repeat of a key: a duplicate, but its alarm is an event
      add(0, base + 3000, Alarm::kSos, 98);  // and again: nothing new
      add(1, base, Alarm::kPowerCut);
      add(1, base, Alarm::kSos);
      break;
    case 2:  // a redelivery of the previous batch, whole
      return BatchFor(side, n - 1);
    case 3:  // half stored already (batch n - 3), half new
      batch = BatchFor(side, n - 3);
      batch.resize(15);
      for (int i = 0; i < 15; ++i) add(2, base + i * 1000);
      break;
  }
  return batch;
}

std::string Rows(const std::string& url, const std::string& sql) {
  auto s = SqlSession::Connect(url);
  EXPECT_TRUE(s.ok());
  return s.ok() ? (*s)->Scalar(sql) : "";
}

TEST(PostgresWritePathTest, TheOwnerAndTheSuperuserCopyDirectly) {
  Side direct = MakeSide(true);
  ASSERT_TRUE(direct.store);
  EXPECT_TRUE(direct.store->direct_copy());
  Side staged = MakeSide(false);
  ASSERT_TRUE(staged.store);
  EXPECT_FALSE(staged.store->direct_copy());
}

TEST(PostgresWritePathTest, DirectAndStagedPathsAgreeOnEveryBatch) {
  Side direct = MakeSide(true), staged = MakeSide(false);
  ASSERT_TRUE(direct.store && staged.store);
  ASSERT_EQ(direct.devices.size(), 3u);
  ASSERT_EQ(staged.devices.size(), 3u);
  // 40 batches: enough that direct writes resume after each run of staged ones.
  int64_t new_rows = 0, duplicates = 0;
  for (int n = 0; n < 40; ++n) {
    auto a = direct.store->WriteBatch(BatchFor(direct, n));
    auto b = staged.store->WriteBatch(BatchFor(staged, n));
    ASSERT_TRUE(a.ok()) << n << ": " << a.status().ToString();
    ASSERT_TRUE(b.ok()) << n << ": " << b.status().ToString();
    EXPECT_EQ(a->positions_written, b->positions_written) << "batch " << n;
    EXPECT_EQ(a->duplicates, b->duplicates) << "batch " << n;
    EXPECT_EQ(a->events_written, b->events_written) << "batch " << n;
    new_rows += a->positions_written;
    duplicates += a->duplicates;
  }
  EXPECT_GT(duplicates, 0);
  // Redeliveries wrote nothing, events included.
  auto again = direct.store->WriteBatch(BatchFor(direct, 1));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->positions_written, 0);
  EXPECT_EQ(again->events_written, 0);
  const char* kSummary =
      "SELECT count(*) || ':' || md5(string_agg(ts || '/' || lat || '/' || body, ',' ORDER BY device_id, ts))"
      " FROM positions";
  EXPECT_EQ(Rows(direct.url, "SELECT count(*) FROM positions"), std::to_string(new_rows));
  // Device ids are the same in both databases (created in the same order).
  EXPECT_EQ(Rows(direct.url, kSummary), Rows(staged.url, kSummary));
  const char* kEvents = "SELECT count(*) || ':' || md5(string_agg(device_id || type || ts || body, ',' ORDER BY 1))"
                        " FROM events";
  EXPECT_EQ(Rows(direct.url, kEvents), Rows(staged.url, kEvents));
  EXPECT_NE(Rows(direct.url, "SELECT count(*) FROM events"), "0");
  // The client's rollup marks equal the server's: the same rollups.
  auto ma = direct.store->RunMaintenance(kBaseTs);
  auto mb = staged.store->RunMaintenance(kBaseTs);
  ASSERT_TRUE(ma.ok() && mb.ok());
  EXPECT_GT(ma->rollup_hours_updated, 0);
  EXPECT_EQ(ma->rollup_hours_updated, mb->rollup_hours_updated);
  for (size_t d = 0; d < 3; ++d) {
    auto ra = direct.store->QueryRollups(RollupQuery{direct.devices[d].tenant_id, direct.devices[d].uid, {}, {}});
    auto rb = staged.store->QueryRollups(RollupQuery{staged.devices[d].tenant_id, staged.devices[d].uid, {}, {}});
    ASSERT_TRUE(ra.ok() && rb.ok());
    EXPECT_FALSE(ra->empty());
    EXPECT_EQ(*ra, *rb) << "device " << d;
  }
}

TEST(PostgresWritePathTest, ADirectBatchThatFailsLeavesNothing) {
  Side direct = MakeSide(true);
  ASSERT_TRUE(direct.store);
  auto first = direct.store->WriteBatch(BatchFor(direct, 0));
  ASSERT_TRUE(first.ok());
  // New rows plus one stored row: the direct COPY fails on the stored key;
  // the batch must still land exactly once, none of its new rows twice.
  std::vector<Envelope> mixed = BatchFor(direct, 4);
  mixed.push_back(BatchFor(direct, 0)[5]);
  auto stats = direct.store->WriteBatch(mixed);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->positions_written, 30);
  EXPECT_EQ(stats->duplicates, 1);
  EXPECT_EQ(Rows(direct.url, "SELECT count(*) FROM positions"), "60");
  EXPECT_EQ(Rows(direct.url, "SELECT count(*) FROM rollup_dirty"),
            Rows(direct.url, "SELECT count(DISTINCT (device_id, ts - ts % 3600000)) FROM positions"));
}

}  // namespace
}  // namespace fleetd
