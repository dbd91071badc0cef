// Redis crashes mid-run (SIGKILL) and comes back empty on the same port: the
// adapter counts what it could not write, keeps feeding local listeners,
// reconnects by itself and writes and publishes again.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "contract/live_envelope.h"
#include "live/redis/redis_live_state.h"
#include "live/redis/redis_test_server.h"

namespace fleetd {
namespace {

using contract::LiveEnvelope;

template <typename F>
bool Eventually(F done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

TEST(RedisOutageTest, ReconnectsAfterRedisIsKilledAndRestarted) {
  std::string error;
  auto server = testing::RedisTestServer::Start(&error);  // this test's own: it gets killed
  ASSERT_NE(server, nullptr) << error;
  RedisLiveStateOptions o;
  o.endpoint.host = "127.0.0.1";
  o.endpoint.port = server->port();
  std::mutex mu;  // before the live states: their threads use it until they are gone
  std::vector<std::string> local, remote;
  auto writer = RedisLiveState::Open(o);
  auto reader = RedisLiveState::Open(o);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  (*writer)->Subscribe([&](const Envelope& e) {
    std::lock_guard lock(mu);
    local.push_back(e.message.device_uid);
  });
  (*reader)->Subscribe([&](const Envelope& e) {
    std::lock_guard lock(mu);
    remote.push_back(e.message.device_uid);
  });
  auto remote_has = [&](const std::string& uid) {
    std::lock_guard lock(mu);
    return std::find(remote.begin(), remote.end(), uid) != remote.end();
  };

  std::vector<Envelope> before = {LiveEnvelope(1, "before", 1000)};
  (*writer)->Update(before);
  ASSERT_TRUE(Eventually([&] { return remote_has("before"); }, std::chrono::seconds(5)));
  ASSERT_TRUE((*reader)->Get(1, "before").has_value());

  server->Kill();
  auto started = std::chrono::steady_clock::now();
  std::vector<Envelope> during = {LiveEnvelope(1, "during", 2000)};
  (*writer)->Update(during);
  (*writer)->Update(during);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2))
      << "an outage must not stall Update() for a timeout per call";
  EXPECT_EQ((*writer)->stats().update_failures, 2u);
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(std::count(local.begin(), local.end(), "during"), 2) << "local listeners are fed during an outage";
  }
  Status forgot = (*writer)->Forget(1, "before");
  EXPECT_EQ(forgot.code(), StatusCode::kIoError) << "an outage is reported, not a forgotten device";
  EXPECT_FALSE((*reader)->Get(1, "before").has_value()) << "nothing to read from";
  EXPECT_TRUE((*reader)->Snapshot(1).empty());
  EXPECT_GE((*reader)->stats().read_failures, 2u);

  ASSERT_TRUE(server->Restart()) << server->Log();
  // Updates go through again within the backoff (at most 2 s); the restarted
  // server is empty (no persistence), so what was written before is gone and
  // what failed during the outage was never written.
  int attempts = 0;
  std::vector<Envelope> after = {LiveEnvelope(1, "after", 3000, 5, 6)};
  ASSERT_TRUE(Eventually(
      [&] {
        ++attempts;
        (*writer)->Update(after);
        return (*reader)->Get(1, "after").has_value();
      },
      std::chrono::seconds(15)))
      << "writer never reconnected; failures " << (*writer)->stats().update_failures;
  EXPECT_EQ((*reader)->Get(1, "after")->lat, 5);
  EXPECT_FALSE((*reader)->Get(1, "during").has_value());
  EXPECT_EQ((*reader)->Near(1, 5, 6, 10, 10).size(), 1u) << "the GEO index is rebuilt by new updates";
  // The reader's subscriber re-subscribes too, and the feed flows again.
  ASSERT_TRUE((*reader)->WaitSubscribed(std::chrono::seconds(10)));
  ASSERT_TRUE(Eventually(
      [&] {
        (*writer)->Update(after);
        return remote_has("after");
      },
      std::chrono::seconds(10)));
  EXPECT_GE((*writer)->stats().reconnects, 1u);
  EXPECT_GE((*reader)->stats().reconnects, 1u);
  EXPECT_GE((*writer)->stats().update_failures, 2u);
  std::printf("reconnected after %d attempts; writer failures %llu\n", attempts,
              static_cast<unsigned long long>((*writer)->stats().update_failures));
}

TEST(RedisOutageTest, ScriptCacheFlushIsRecovered) {
  std::string error;
  auto server = testing::RedisTestServer::Start(&error);
  ASSERT_NE(server, nullptr) << error;
  RedisLiveStateOptions o;
  o.endpoint.host = "127.0.0.1";
  o.endpoint.port = server->port();
  auto live = RedisLiveState::Open(o);
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  RedisConnection raw(RedisConnection::Options{.endpoint = o.endpoint});
  auto flushed = raw.Command({"SCRIPT", "FLUSH"});
  ASSERT_TRUE(flushed.ok());
  std::vector<Envelope> batch = {LiveEnvelope(1, "A", 2000, 1, 1), LiveEnvelope(1, "A", 1000, 2, 2)};
  (*live)->Update(batch);
  ASSERT_TRUE((*live)->Get(1, "A").has_value());
  EXPECT_EQ((*live)->Get(1, "A")->lat, 1) << "re-run in order after reloading the script";
  EXPECT_EQ((*live)->stats().update_failures, 0u);
}

}  // namespace
}  // namespace fleetd
