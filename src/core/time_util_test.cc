#include "core/time_util.h"

#include <gtest/gtest.h>

namespace fleetd {
namespace {

TEST(TimeUtilTest, MakeAndFormat) {
  auto ts = MakeTimestamp(2026, 5, 21, 10, 30, 0);
  ASSERT_TRUE(ts);
  EXPECT_EQ(*ts, 1779359400000);
  EXPECT_EQ(FormatIso8601(*ts), "2026-05-21T10:30:00Z");
  EXPECT_EQ(FormatIso8601(*ts + 250), "2026-05-21T10:30:00.250Z");
  EXPECT_EQ(FormatIso8601(0), "1970-01-01T00:00:00Z");
}

TEST(TimeUtilTest, RejectsImpossibleDates) {
  EXPECT_FALSE(MakeTimestamp(2026, 13, 1, 0, 0, 0));
  EXPECT_FALSE(MakeTimestamp(2026, 2, 29, 0, 0, 0));
  EXPECT_TRUE(MakeTimestamp(2024, 2, 29, 0, 0, 0));
  EXPECT_FALSE(MakeTimestamp(2026, 1, 1, 24, 0, 0));
}

TEST(TimeUtilTest, ParsesIsoForms) {
  EXPECT_EQ(ParseIso8601("2026-05-21T10:30:00Z"), 1779359400000);
  EXPECT_EQ(ParseIso8601("2026-05-21 10:30:00"), 1779359400000);
  EXPECT_EQ(ParseIso8601("2026-05-21T10:30:00.5Z"), 1779359400500);
  EXPECT_EQ(ParseIso8601("2026-05-21T12:30:00+02:00"), 1779359400000);
  EXPECT_EQ(ParseIso8601("1779359400"), 1779359400000);
}

TEST(TimeUtilTest, RejectsHostileText) {
  EXPECT_FALSE(ParseIso8601(""));
  EXPECT_FALSE(ParseIso8601("yesterday"));
  EXPECT_FALSE(ParseIso8601("2026-05-21T10:30:00Zjunk"));
  EXPECT_FALSE(ParseIso8601("2026-05-21T10:30"));
  EXPECT_FALSE(ParseIso8601("99999999999999999999999"));
  EXPECT_FALSE(ParseIso8601("2026-02-30T00:00:00Z"));
}

}  // namespace
}  // namespace fleetd
