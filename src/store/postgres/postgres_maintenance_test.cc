// Retention and rollups: maintenance drops whole expired partitions, and the
// hourly rollups equal what the raw rows they summarize say — after
// out-of-order writes, redelivered duplicates, late fixes inside and at the
// edge of an hour, and after the raw rows themselves are gone.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>
#include <random>
#include <string>

#include "store/postgres/pg_partitions.h"
#include "store/postgres/pg_test_environment.h"
#include "store/postgres/pg_test_messages.h"
#include "store/postgres/postgres_store.h"

namespace fleetd {
namespace {

using pg::kDayMs;
using pg::kHourMs;
using pgtest::EnvelopeFor;
using pgtest::kBaseTs;
using pgtest::OpenFreshStore;
using pgtest::PositionMessage;
using pgtest::SqlSession;

// The rollups the raw rows imply, computed independently of the SQL: one
// entry per hour with fixes; a segment between consecutive located fixes
// counts in the hour of its later fix.
std::map<TimestampMs, HourlyRollup> ExpectedRollups(std::vector<Message> fixes) {
  std::sort(fixes.begin(), fixes.end(), [](const Message& a, const Message& b) { return *a.ts < *b.ts; });
  auto radians = [](double d) { return d * std::numbers::pi / 180.0; };
  auto haversine_km = [&](double lat1, double lng1, double lat2, double lng2) {
    double u = std::sin((radians(lat2) - radians(lat1)) / 2);
    double v = std::sin((radians(lng2) - radians(lng1)) / 2);
    return 2 * 6372.797560856 *
           std::asin(std::min(1.0, std::sqrt(u * u + std::cos(radians(lat1)) * std::cos(radians(lat2)) * v * v)));
  };
  std::map<TimestampMs, HourlyRollup> out;
  std::map<TimestampMs, std::pair<double, int>> speed_sums;
  const Message* previous_located = nullptr;
  for (const Message& m : fixes) {
    const TimestampMs hour = *m.ts - *m.ts % kHourMs;
    HourlyRollup& r = out[hour];
    if (r.positions == 0) {
      r.hour = hour;
      r.first_fix = *m.ts;
    }
    ++r.positions;
    r.last_fix = *m.ts;
    if (m.speed_kmh) {
      r.max_speed_kmh = std::max(r.max_speed_kmh.value_or(-1e300), *m.speed_kmh);
      speed_sums[hour].first += *m.speed_kmh;
      speed_sums[hour].second += 1;
    }
    if (m.lat && m.lng) {
      if (previous_located)
        r.distance_km += haversine_km(*previous_located->lat, *previous_located->lng, *m.lat, *m.lng);
      previous_located = &m;
    }
  }
  for (auto& [hour, sums] : speed_sums) out[hour].avg_speed_kmh = sums.first / sums.second;
  return out;
}

void ExpectRollupsEqual(const std::vector<HourlyRollup>& actual, const std::map<TimestampMs, HourlyRollup>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  auto it = expected.begin();
  for (const HourlyRollup& a : actual) {
    const HourlyRollup& e = (it++)->second;
    SCOPED_TRACE("hour " + std::to_string(e.hour));
    EXPECT_EQ(a.hour, e.hour);
    EXPECT_EQ(a.positions, e.positions);
    EXPECT_EQ(a.first_fix, e.first_fix);
    EXPECT_EQ(a.last_fix, e.last_fix);
    EXPECT_NEAR(a.distance_km, e.distance_km, 1e-9);
    ASSERT_EQ(a.max_speed_kmh.has_value(), e.max_speed_kmh.has_value());
    if (e.max_speed_kmh) {
      EXPECT_DOUBLE_EQ(*a.max_speed_kmh, *e.max_speed_kmh);
    }
    ASSERT_EQ(a.avg_speed_kmh.has_value(), e.avg_speed_kmh.has_value());
    if (e.avg_speed_kmh) {
      EXPECT_NEAR(*a.avg_speed_kmh, *e.avg_speed_kmh, 1e-9);
    }
  }
}

class PostgresMaintenanceTest : public testing::Test {
 protected:
  void Open(PostgresStoreOptions options = {}) {
    store_ = OpenFreshStore(options, &url_);
    ASSERT_TRUE(store_);
    auto t = store_->AddTenant("t");
    ASSERT_TRUE(t.ok());
    for (const char* uid : {"car-1", "car-2"}) {
      auto d = store_->AddDevice(t->id, uid, uid);
      ASSERT_TRUE(d.ok());
      devices_.push_back(*d);
    }
  }
  // A fix of device i at ts: moving north-east, speed and location
  // sometimes missing.
  Message Fix(size_t device, TimestampMs ts) {
    const double step = static_cast<double>((ts - kBaseTs) / 60000);
    Message m =
        PositionMessage(devices_[device].uid, ts, 23.7 + step * 1e-3 + static_cast<double>(device), 90.3 + step * 2e-3);
    m.speed_kmh = 20.0 + std::fmod(step * 7.3, 60.0);
    if (static_cast<int64_t>(step) % 5 == 0) m.speed_kmh.reset();
    if (static_cast<int64_t>(step) % 7 == 3) {
      m.lat.reset();
      m.lng.reset();
    }
    return m;
  }
  void Write(std::vector<Message> messages, size_t device, uint32_t seed) {
    std::mt19937 rng(seed);
    std::shuffle(messages.begin(), messages.end(), rng);  // arrival order is not fix order
    std::vector<Envelope> batch;
    for (size_t i = 0; i < messages.size(); ++i) {
      batch.push_back(EnvelopeFor(devices_[device], messages[i]));
      if (batch.size() == 10 || i + 1 == messages.size()) {
        auto stats = store_->WriteBatch(batch);
        ASSERT_TRUE(stats.ok()) << stats.status().ToString();
        batch.clear();
      }
    }
  }
  std::vector<HourlyRollup> Rollups(size_t device) {
    auto r = store_->QueryRollups(RollupQuery{devices_[device].tenant_id, devices_[device].uid, {}, {}});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<HourlyRollup>{};
  }
  MaintenanceStats Maintain(TimestampMs now) {
    auto stats = store_->RunMaintenance(now);
    EXPECT_TRUE(stats.ok()) << stats.status().ToString();
    return stats.ok() ? *stats : MaintenanceStats{};
  }
  std::unique_ptr<SqlSession> Sql() {
    auto s = SqlSession::Connect(url_);
    EXPECT_TRUE(s.ok());
    return s.ok() ? std::move(*s) : nullptr;
  }
  std::vector<int64_t> PartitionDays(const char* table) {
    auto sql = Sql();
    std::vector<int64_t> days;
    auto r = sql->Run(std::string("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                                  " WHERE i.inhparent = '") +
                      table + "'::regclass");
    for (const auto& row : r.rows) {
      if (auto day = pg::PartitionDay(table, row[0])) days.push_back(*day);
    }
    std::sort(days.begin(), days.end());
    return days;
  }

  std::shared_ptr<PostgresStore> store_;
  std::string url_;
  std::vector<Device> devices_;
};

TEST_F(PostgresMaintenanceTest, RollupsEqualTheRawRowsThroughLateAndDuplicateWrites) {
  Open();
  // Three hours of fixes every 6 minutes, per device, written out of order.
  std::vector<std::vector<Message>> stored(2);
  for (size_t d = 0; d < 2; ++d) {
    for (TimestampMs ts = kBaseTs + 60000; ts < kBaseTs + 3 * kHourMs; ts += 6 * 60000) stored[d].push_back(Fix(d, ts));
    Write(stored[d], d, 17 + static_cast<uint32_t>(d));
    Write(stored[d], d, 99);  // redelivered: every row a duplicate
  }
  const TimestampMs now = kBaseTs + 4 * kHourMs;
  MaintenanceStats first = Maintain(now);
  EXPECT_EQ(first.rollup_hours_updated, 6);
  EXPECT_EQ(first.late_hours_skipped, 0);
  for (size_t d = 0; d < 2; ++d) ExpectRollupsEqual(Rollups(d), ExpectedRollups(stored[d]));
  auto hours = Rollups(0);
  ASSERT_EQ(hours.size(), 3u);
  EXPECT_GT(hours[1].distance_km, 0.5);
  EXPECT_EQ(Maintain(now).rollup_hours_updated, 0) << "nothing new, nothing recomputed";

  // Late fixes for device 0: one between two stored fixes of hour 0, one
  // after the last fix of hour 1 (it changes hour 2's first segment).
  std::vector<Message> late = {Fix(0, kBaseTs + 10 * 60000 + 30000), Fix(0, kBaseTs + 2 * kHourMs - 1000)};
  late[0].lat = 24.5;  // a detour, so the distance really changes
  late[0].lng = 90.3;
  late[1].lat = 25.0;
  late[1].lng = 91.0;
  Write(late, 0, 5);
  stored[0].insert(stored[0].end(), late.begin(), late.end());
  MaintenanceStats second = Maintain(now);
  EXPECT_EQ(second.rollup_hours_updated, 3) << "hours 0 and 1, and hour 2 after them";
  ExpectRollupsEqual(Rollups(0), ExpectedRollups(stored[0]));
  ExpectRollupsEqual(Rollups(1), ExpectedRollups(stored[1]));
  EXPECT_GT(Rollups(0)[2].distance_km, hours[2].distance_km + 50) << "hour 2 starts from the late fix now";

  // A redelivery of the late fixes changes nothing and marks nothing.
  Write(late, 0, 6);
  EXPECT_EQ(Maintain(now).rollup_hours_updated, 0);
  ExpectRollupsEqual(Rollups(0), ExpectedRollups(stored[0]));

  auto window =
      store_->QueryRollups(RollupQuery{devices_[0].tenant_id, "car-1", kBaseTs + kHourMs, kBaseTs + 2 * kHourMs});
  ASSERT_TRUE(window.ok());
  ASSERT_EQ(window->size(), 1u);
  EXPECT_EQ((*window)[0].hour, kBaseTs + kHourMs);
  EXPECT_EQ(store_->QueryRollups(RollupQuery{devices_[0].tenant_id + 1000, "car-1", {}, {}}).status().code(),
            StatusCode::kNotFound);
}

TEST_F(PostgresMaintenanceTest, RetentionDropsWholePartitionsAndRollupsOutliveThem) {
  Open();
  const int64_t day0 = pg::DayOf(kBaseTs);
  std::vector<Message> old_fixes, new_fixes;
  for (TimestampMs ts = kBaseTs; ts < kBaseTs + 2 * kHourMs; ts += 4 * 60000) old_fixes.push_back(Fix(0, ts));
  Message alarm = Fix(0, kBaseTs + 30 * 60000 + 1);
  alarm.alarm = Alarm::kOverspeed;
  old_fixes.push_back(alarm);
  const TimestampMs recent = kBaseTs + 8 * kDayMs;
  for (TimestampMs ts = recent; ts < recent + kHourMs; ts += 4 * 60000) new_fixes.push_back(Fix(0, ts));
  Write(old_fixes, 0, 1);
  Write(new_fixes, 0, 2);
  ASSERT_EQ(PartitionDays("positions").front(), day0) << "the old day was made on demand";

  const TimestampMs now = recent + 12 * kHourMs;  // day0 ends 7.5 days before now
  MaintenanceStats stats = Maintain(now);
  EXPECT_GE(stats.partitions_dropped, 1);
  std::vector<int64_t> days = PartitionDays("positions");
  EXPECT_TRUE(std::find(days.begin(), days.end(), day0) == days.end()) << "day0 was dropped";
  for (int64_t d : days) EXPECT_GT((d + 1) * kDayMs, now - 7 * kDayMs) << "only unexpired days remain: " << d;
  for (int64_t d = pg::DayOf(now); d <= pg::DayOf(now) + 2; ++d) {
    EXPECT_TRUE(std::find(days.begin(), days.end(), d) != days.end()) << "made ahead: " << d;
  }
  std::vector<int64_t> event_days = PartitionDays("events");
  EXPECT_TRUE(std::find(event_days.begin(), event_days.end(), day0) != event_days.end()) << "events are kept longer";

  PositionQuery old_window{devices_[0].tenant_id, "car-1", kBaseTs, kBaseTs + kDayMs, {}, 10000};
  auto raw = store_->QueryPositions(old_window);
  ASSERT_TRUE(raw.ok());
  EXPECT_TRUE(raw->positions.empty()) << "the raw rows are gone";
  std::vector<Message> all = old_fixes;
  all.insert(all.end(), new_fixes.begin(), new_fixes.end());
  ExpectRollupsEqual(Rollups(0), ExpectedRollups(all));

  // A fix for the dropped day still arrives: stored raw (the partition comes
  // back on demand), but the finished hour's rollup is not rebuilt from it.
  const auto before = Rollups(0);
  Write({Fix(0, kBaseTs + 2 * 60000)}, 0, 3);
  MaintenanceStats late = Maintain(now);
  EXPECT_EQ(late.late_hours_skipped, 1);
  EXPECT_EQ(late.rollup_hours_updated, 0);
  EXPECT_EQ(Rollups(0), before);
  days = PartitionDays("positions");
  EXPECT_TRUE(std::find(days.begin(), days.end(), day0) == days.end()) << "dropped again";
}

TEST_F(PostgresMaintenanceTest, RollupsAndEventsExpireOnTheirOwnClocks) {
  PostgresStoreOptions options;
  options.rollup_retention_ms = 2 * kDayMs;
  options.event_retention_ms = 3 * kDayMs;
  Open(options);
  std::vector<Message> fixes;
  for (TimestampMs ts = kBaseTs; ts < kBaseTs + 3 * kHourMs; ts += 20 * 60000) fixes.push_back(Fix(1, ts));
  fixes.back().alarm = Alarm::kSos;
  Write(fixes, 1, 4);
  ASSERT_EQ(Maintain(kBaseTs + 3 * kHourMs).rollup_hours_updated, 3);
  ASSERT_EQ(Rollups(1).size(), 3u);

  MaintenanceStats stats = Maintain(kBaseTs + 2 * kDayMs + 2 * kHourMs);  // hours 0 and 1 are older than 2 days
  EXPECT_EQ(stats.rollup_hours_deleted, 2);
  auto kept = Rollups(1);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].hour, kBaseTs + 2 * kHourMs);
  std::vector<int64_t> event_days = PartitionDays("events");
  EXPECT_TRUE(std::find(event_days.begin(), event_days.end(), pg::DayOf(kBaseTs)) != event_days.end());
  Maintain(kBaseTs + 4 * kDayMs + 1);
  event_days = PartitionDays("events");
  EXPECT_TRUE(std::find(event_days.begin(), event_days.end(), pg::DayOf(kBaseTs)) == event_days.end());
  EXPECT_TRUE(Rollups(1).empty());
}

TEST_F(PostgresMaintenanceTest, OneMaintenanceAtATime) {
  Open();
  auto other = Sql();
  ASSERT_TRUE(other);
  const std::string key = std::to_string(0x666c656574646d74LL);
  ASSERT_TRUE(other->Run("SELECT pg_advisory_lock(" + key + ")").ok);
  auto busy = store_->RunMaintenance(kBaseTs);
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.status().code(), StatusCode::kBusy);
  ASSERT_TRUE(other->Run("SELECT pg_advisory_unlock(" + key + ")").ok);
  EXPECT_TRUE(store_->RunMaintenance(kBaseTs).ok());
  EXPECT_TRUE(store_->RunMaintenance(kBaseTs).ok()) << "the lock was released after the first run";
}

TEST_F(PostgresMaintenanceTest, PartitionsAheadFollowTheOption) {
  PostgresStoreOptions options;
  options.partitions_ahead_days = 0;
  Open(options);
  const TimestampMs now = kBaseTs + 30 * kDayMs + 5;
  MaintenanceStats stats = Maintain(now);
  EXPECT_EQ(stats.partitions_created, 2) << "today's positions and events";
  std::vector<int64_t> days = PartitionDays("positions");
  EXPECT_TRUE(std::find(days.begin(), days.end(), pg::DayOf(now)) != days.end());
  EXPECT_TRUE(std::find(days.begin(), days.end(), pg::DayOf(now) + 1) == days.end());
  EXPECT_EQ(Maintain(now).partitions_created, 0);
}

}  // namespace
}  // namespace fleetd
