#include "api/base64url.h"

#include <gtest/gtest.h>

namespace fleetd::api {
namespace {

TEST(Base64UrlTest, Rfc4648Vectors) {
  EXPECT_EQ(Base64UrlEncode(""), "");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(Base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(Base64UrlEncode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
}

TEST(Base64UrlTest, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t n = 0; n <= all.size(); n += 37) {
    auto back = Base64UrlDecode(Base64UrlEncode(all.substr(0, n)));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, all.substr(0, n));
  }
}

TEST(Base64UrlTest, RejectsNonCanonicalInput) {
  EXPECT_FALSE(Base64UrlDecode("Zg=="));   // padding
  EXPECT_FALSE(Base64UrlDecode("Z"));      // impossible length
  EXPECT_FALSE(Base64UrlDecode("Zh"));     // non-zero trailing bits
  EXPECT_FALSE(Base64UrlDecode("Zm9+"));   // standard alphabet
  EXPECT_FALSE(Base64UrlDecode("Zm 9v"));  // whitespace
  EXPECT_TRUE(Base64UrlDecode("Zg"));
}

}  // namespace
}  // namespace fleetd::api
