#include "api/stream_messages.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/test_fakes.h"

namespace fleetd::api {
namespace {

using nlohmann::json;

TEST(StreamMessagesTest, TelemetryUpdateShape) {
  Message m = testing::TestMessage("359", 1'700'000'000'000, 52.5, 13.4, 42.5);
  m.ignition = true;
  json j = json::parse(TelemetryUpdateJson(m));
  EXPECT_EQ(j["type"], "telemetry_update");
  EXPECT_EQ(j["vehicle_id"], "359");
  EXPECT_EQ(j["data"]["lat"], 52.5);
  EXPECT_EQ(j["data"]["lng"], 13.4);
  EXPECT_EQ(j["data"]["speed"], 42.5);
  EXPECT_EQ(j["data"]["speed_kmh"], 42.5);
  EXPECT_EQ(j["data"]["heading"], 90);
  EXPECT_EQ(j["data"]["ts"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(j["data"]["ignition"], true);
  EXPECT_EQ(j["data"]["device_uid"], "359");
}

TEST(StreamMessagesTest, SnapshotFilters) {
  std::vector<Message> latest = {testing::TestMessage("a", 1000, 1, 2, 3), testing::TestMessage("b", 1000, 1, 2, 3)};
  json all = json::parse(SnapshotJson(latest, std::nullopt));
  EXPECT_EQ(all["type"], "snapshot");
  EXPECT_EQ(all["positions"].size(), 2u);
  json only_b = json::parse(SnapshotJson(latest, testing::Only({"b"})));
  ASSERT_EQ(only_b["positions"].size(), 1u);
  EXPECT_EQ(only_b["positions"][0]["device_uid"], "b");
}

TEST(StreamMessagesTest, ParsesSubscribe) {
  auto some = ParseSubscribe(R"({"type":"subscribe","vehicles":["a","b"]})");
  ASSERT_TRUE(some.ok());
  ASSERT_TRUE(some->has_value());
  EXPECT_EQ((*some)->size(), 2u);
  for (const char* all : {R"({"type":"subscribe","vehicles":[]})", R"({"type":"subscribe","vehicles":"*"})",
                          R"({"type":"subscribe"})"}) {
    auto r = ParseSubscribe(all);
    ASSERT_TRUE(r.ok()) << all;
    EXPECT_FALSE(r->has_value()) << all;
  }
  for (const char* bad : {"", "nope", "[]", R"({"type":"unsubscribe"})", R"({"vehicles":[]})",
                          R"({"type":"subscribe","vehicles":[1]})", R"({"type":"subscribe","vehicles":"a"})",
                          R"({"type":"subscribe","vehicles":{}})"}) {
    EXPECT_FALSE(ParseSubscribe(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace fleetd::api
