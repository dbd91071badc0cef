#include "api/live_hub.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/test_fakes.h"

namespace fleetd::api {
namespace {

class RecordingSink : public LiveSink {
 public:
  void Deliver(const Update&, std::shared_ptr<const std::string> text) override { received.push_back(*text); }
  void Close() override { closed = true; }
  std::vector<std::string> received;
  bool closed = false;
};

Envelope Update(int64_t tenant, const std::string& uid) {
  return Envelope{tenant, 1, testing::TestMessage(uid, 1000, 1, 2, 3)};
}

TEST(LiveHubTest, RoutesByTenantAndFilter) {
  testing::FakeLive live;
  Metrics metrics;
  LiveHub hub(live, metrics);
  hub.Start();
  EXPECT_EQ(live.listener_count(), 1u);
  auto a = std::make_shared<RecordingSink>();
  auto b = std::make_shared<RecordingSink>();
  auto other = std::make_shared<RecordingSink>();
  auto id_a = hub.Add(1, a);
  auto id_b = hub.Add(1, b);
  ASSERT_TRUE(hub.Add(2, other));
  ASSERT_TRUE(id_a && id_b);
  hub.SetFilter(*id_b, testing::Only({"y"}));

  std::vector<Envelope> batch = {Update(1, "x"), Update(1, "y")};
  live.Update(batch);
  ASSERT_EQ(a->received.size(), 2u);
  ASSERT_EQ(b->received.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(b->received[0])["vehicle_id"], "y");
  EXPECT_TRUE(other->received.empty());
  EXPECT_EQ(metrics.CounterValue("fleetd_ws_updates_total"), 3);

  hub.SetFilter(*id_b, std::nullopt);
  hub.Remove(*id_a);
  hub.OnUpdate(Update(1, "x"));
  EXPECT_EQ(a->received.size(), 2u);
  EXPECT_EQ(b->received.size(), 2u);
  EXPECT_EQ(hub.size(), 2u);
}

// Every session of a tenant gets the same serialized text: an update is
// written to JSON once, however many clients watch it.
TEST(LiveHubTest, SerializesEachUpdateOnceForAllSessions) {
  class PointerSink : public LiveSink {
   public:
    void Deliver(const Update&, std::shared_ptr<const std::string> text) override { received.push_back(std::move(text)); }
    void Close() override {}
    std::vector<std::shared_ptr<const std::string>> received;
  };
  testing::FakeLive live;
  Metrics metrics;
  LiveHub hub(live, metrics);
  hub.Start();
  auto a = std::make_shared<PointerSink>();
  auto b = std::make_shared<PointerSink>();
  ASSERT_TRUE(hub.Add(1, a) && hub.Add(1, b));
  hub.OnUpdate(Update(1, "x"));
  ASSERT_EQ(a->received.size(), 1u);
  ASSERT_EQ(b->received.size(), 1u);
  EXPECT_EQ(a->received[0].get(), b->received[0].get());
}

TEST(LiveHubTest, ExpiredSinksAreSkippedAndStopClosesTheRest) {
  testing::FakeLive live;
  Metrics metrics;
  LiveHub hub(live, metrics);
  hub.Start();
  auto kept = std::make_shared<RecordingSink>();
  hub.Add(1, kept);
  {
    auto gone = std::make_shared<RecordingSink>();
    hub.Add(1, gone);
  }
  hub.OnUpdate(Update(1, "x"));
  EXPECT_EQ(kept->received.size(), 1u);
  hub.Stop();
  EXPECT_TRUE(kept->closed);
  EXPECT_EQ(live.listener_count(), 0u);
  EXPECT_FALSE(hub.Add(1, kept));
  EXPECT_EQ(hub.size(), 0u);
}

}  // namespace
}  // namespace fleetd::api
