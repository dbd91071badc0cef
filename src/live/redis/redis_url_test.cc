// redis:// URLs: what is accepted, and a clear message for everything else.
#include "live/redis/redis_url.h"

#include <gtest/gtest.h>

namespace fleetd {
namespace {

TEST(RedisUrlTest, AcceptsHostPortAndDatabase) {
  auto e = ParseRedisUrl("redis://127.0.0.1:6380/3");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 6380);
  EXPECT_EQ(e->db, 3);

  e = ParseRedisUrl("redis://cache.internal");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "cache.internal");
  EXPECT_EQ(e->port, 6379);
  EXPECT_EQ(e->db, 0);

  e = ParseRedisUrl("redis://localhost:1/");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->port, 1);
  EXPECT_EQ(e->db, 0);

  e = ParseRedisUrl("redis://[::1]:7000/15");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->port, 7000);
  EXPECT_EQ(e->db, 15);

  e = ParseRedisUrl("redis://[::1]");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->port, 6379);
}

TEST(RedisUrlTest, RejectsBadUrlsSayingWhy) {
  struct Case {
    const char* url;
    const char* says;
  };
  for (const Case& c : {
           Case{"", "scheme"},
           Case{"redis:", "scheme"},
           Case{"rediss://h:6379", "scheme"},
           Case{"REDIS://h", "scheme"},
           Case{"http://h:6379", "scheme"},
           Case{"redis://", "host is empty"},
           Case{"redis://:6379", "host is empty"},
           Case{"redis:///0", "host is empty"},
           Case{"redis://h:", "port"},
           Case{"redis://h:0", "port"},
           Case{"redis://h:65536", "port"},
           Case{"redis://h:99999999999", "port"},
           Case{"redis://h:-1", "port"},
           Case{"redis://h:+80", "port"},
           Case{"redis://h:80x", "port"},
           Case{"redis://h:6379:1", "port"},
           Case{"redis://h/16", "database"},
           Case{"redis://h/-1", "database"},
           Case{"redis://h/db1", "database"},
           Case{"redis://h/1/2", "database"},
           Case{"redis://h/ 1", "database"},
           Case{"redis://user:pw@h:6379", "passwords"},
           Case{"redis://h:6379?timeout=1", "query"},
           Case{"redis://h#x", "query"},
           Case{"redis://h o:6379", "bad character"},
           Case{"redis://h%20:6379", "bad character"},
           Case{"redis://[::1", "unterminated"},
           Case{"redis://[]:1", "host is empty"},
           Case{"redis://[::1]x", "':port'"},
           Case{"redis://[::g]:1", "IPv6"},
       }) {
    auto e = ParseRedisUrl(c.url);
    ASSERT_FALSE(e.ok()) << c.url;
    EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument) << c.url;
    EXPECT_NE(e.status().message().find(c.says), std::string::npos) << c.url << ": " << e.status().message();
    EXPECT_NE(e.status().message().find("redis://host:port[/db]"), std::string::npos) << e.status().message();
  }
  std::string long_host = "redis://" + std::string(254, 'a');
  EXPECT_NE(ParseRedisUrl(long_host).status().message().find("253"), std::string::npos);
}

}  // namespace
}  // namespace fleetd
