// Partition names and day arithmetic, without a server.
#include "store/postgres/pg_partitions.h"

#include <gtest/gtest.h>

#include "core/time_util.h"

namespace fleetd::pg {
namespace {

TEST(PgPartitionsTest, NamesRoundTrip) {
  const TimestampMs may21 = 1779321600000;  // 2026-05-21T00:00:00Z
  EXPECT_EQ(PartitionName("positions", DayOf(may21)), "positions_p20260521");
  EXPECT_EQ(PartitionName("events", DayOf(may21 + kDayMs - 1)), "events_p20260521");
  EXPECT_EQ(PartitionName("positions", DayOf(may21 + kDayMs)), "positions_p20260522");
  EXPECT_EQ(PartitionName("positions", 0), "positions_p19700101");
  EXPECT_EQ(PartitionName("positions", DayOf(kMaxTimestampMs)), "positions_p99991231");
  for (int64_t day : {int64_t{0}, DayOf(may21), DayOf(kMaxTimestampMs)}) {
    EXPECT_EQ(PartitionDay("positions", PartitionName("positions", day)), day);
  }
}

TEST(PgPartitionsTest, ForeignNamesAreNotDays) {
  for (const char* name :
       {"positions_default", "positions_p2026052", "positions_p202605211", "positions_p20260230", "positions_p20261301",
        "events_p20260521", "positions_x20260521", "positions_p2026-5-21", "positionsp20260521", ""}) {
    EXPECT_FALSE(PartitionDay("positions", name).has_value()) << name;
  }
}

TEST(PgPartitionsTest, OnlyPossibleDaysHavePartitions) {
  EXPECT_TRUE(HasDayPartition(0));
  EXPECT_TRUE(HasDayPartition(kMaxTimestampMs));
  EXPECT_FALSE(HasDayPartition(-1));
  EXPECT_FALSE(HasDayPartition(kMaxTimestampMs + 1));
  EXPECT_FALSE(HasDayPartition(INT64_MIN));
  EXPECT_FALSE(HasDayPartition(INT64_MAX));
}

TEST(PgPartitionsTest, DaysAheadStartAtTodayAndStopAtYear9999) {
  const TimestampMs noon = 1779321600000 + 12 * kHourMs;
  std::vector<int64_t> expected = {DayOf(noon), DayOf(noon) + 1, DayOf(noon) + 2};
  EXPECT_EQ(DaysAhead(noon, 2), expected);
  EXPECT_EQ(DaysAhead(noon, 0), std::vector<int64_t>{DayOf(noon)});
  EXPECT_EQ(DaysAhead(kMaxTimestampMs, 5), std::vector<int64_t>{DayOf(kMaxTimestampMs)});
  EXPECT_TRUE(DaysAhead(-5, 2).empty());
}

}  // namespace
}  // namespace fleetd::pg
