#include "core/percent.h"

#include <gtest/gtest.h>

namespace fleetd {
namespace {

TEST(PercentTest, DecodesEscapesAndOptionallyPlus) {
  EXPECT_EQ(PercentDecode("a%20b%2Fc", false), std::optional<std::string>("a b/c"));
  EXPECT_EQ(PercentDecode("a+b", false), std::optional<std::string>("a+b"));
  EXPECT_EQ(PercentDecode("a+b", true), std::optional<std::string>("a b"));
  EXPECT_EQ(PercentDecode("%e2%82%ac", false), std::optional<std::string>("\xe2\x82\xac"));
  EXPECT_EQ(PercentDecode("", true), std::optional<std::string>(""));
}

TEST(PercentTest, RefusesBrokenEscapes) {
  for (const char* bad : {"%", "%4", "abc%", "%zz", "%4g", "x%G0"}) {
    EXPECT_FALSE(PercentDecode(bad, false).has_value()) << bad;
  }
}

TEST(PercentTest, ControlCharactersAreReportedNotHidden) {
  auto nl = PercentDecode("a%0Ab", false);
  ASSERT_TRUE(nl.has_value());
  EXPECT_TRUE(HasControlCharacter(*nl));
  EXPECT_TRUE(HasControlCharacter(std::string("\x7f", 1)));
  EXPECT_TRUE(HasControlCharacter(std::string("\0", 1)));
  EXPECT_FALSE(HasControlCharacter("plain text ~!"));
}

}  // namespace
}  // namespace fleetd
