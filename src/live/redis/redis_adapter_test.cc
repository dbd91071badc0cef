// `--live redis://...` through OpenLiveState, the app's adapter registry:
// a real server is selected and works; bad URLs and unreachable servers fail
// at start-up with messages that say what is wrong.
#include <gtest/gtest.h>

#include "app/adapters.h"
#include "contract/live_envelope.h"
#include "live/redis/redis_test_server.h"

namespace fleetd {
namespace {

using contract::LiveEnvelope;

TEST(RedisAdapterTest, RedisUrlSelectsTheRedisLiveState) {
  std::string error;
  auto server = testing::RedisTestServer::Start(&error);
  ASSERT_NE(server, nullptr) << error;
  auto a = OpenLiveState(server->url() + "/2");
  auto b = OpenLiveState(server->url() + "/2");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  std::vector<Envelope> batch = {LiveEnvelope(1, "A", 1000, 3, 4)};
  (*a)->Update(batch);
  auto got = (*b)->Get(1, "A");
  ASSERT_TRUE(got.has_value()) << "two opens of one redis:// URL share the state";
  EXPECT_EQ(got->lat, 3);
  auto other_db = OpenLiveState(server->url() + "/3");
  ASSERT_TRUE(other_db.ok());
  EXPECT_FALSE((*other_db)->Get(1, "A").has_value());
}

TEST(RedisAdapterTest, BadOrUnreachableUrlsFailClearly) {
  auto bad = OpenLiveState("redis://localhost:notaport");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("port"), std::string::npos) << bad.status().message();

  auto db = OpenLiveState("redis://localhost/99");
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find("database"), std::string::npos) << db.status().message();

  uint16_t port = test::PickFreePort();  // nothing listens there
  auto down = OpenLiveState("redis://127.0.0.1:" + std::to_string(port));
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.status().code(), StatusCode::kIoError);
  EXPECT_NE(down.status().message().find("127.0.0.1:" + std::to_string(port)), std::string::npos)
      << down.status().message();

  auto unknown = OpenLiveState("rediss://localhost");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("redis://host:port[/db]"), std::string::npos) << unknown.status().message();
}

}  // namespace
}  // namespace fleetd
