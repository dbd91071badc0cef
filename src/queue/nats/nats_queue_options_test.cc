// The nats:// queue URL: defaults, every key, and a clear refusal for each
// kind of bad value an operator could type.
#include "queue/nats/nats_queue_options.h"

#include <gtest/gtest.h>

#include <string>

namespace fleetd::nats {
namespace {

TEST(NatsQueueOptionsTest, Defaults) {
  auto o = ParseNatsQueueUrl("nats://127.0.0.1:4222");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->servers, std::vector<std::string>{"nats://127.0.0.1:4222"});
  EXPECT_EQ(o->stream, "FLEETD");
  EXPECT_EQ(o->prefix, "fleetd");
  EXPECT_EQ(o->partitions, 16u);
  EXPECT_EQ(o->window, 4096u);
  EXPECT_EQ(o->max_age, std::chrono::hours(24 * 7));
  EXPECT_EQ(o->max_bytes, 10LL << 30);
  EXPECT_EQ(o->ConsumedPartitions().size(), 16u);
  EXPECT_EQ(o->consume_mode, NatsQueueOptions::ConsumeMode::kAuto) << "two copies on the default must not overlap";
  EXPECT_TRUE(o->leased());
  EXPECT_EQ(o->lease, std::chrono::seconds(10));
}

TEST(NatsQueueOptionsTest, ConsumeModesAndLease) {
  auto a = ParseNatsQueueUrl("nats://h?consume=auto&lease=3s");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_TRUE(a->leased());
  EXPECT_EQ(a->lease, std::chrono::seconds(3));
  auto all = ParseNatsQueueUrl("nats://h?consume=all&partitions=4");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_FALSE(all->leased());
  EXPECT_EQ(all->ConsumedPartitions(), (std::vector<size_t>{0, 1, 2, 3}));
  auto list = ParseNatsQueueUrl("nats://h?consume=1-2");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_FALSE(list->leased()) << "an explicit list is static, whatever the mode";
  EXPECT_EQ(list->ConsumedPartitions(), (std::vector<size_t>{1, 2}));
  EXPECT_EQ(ParseNatsQueueUrl("nats://h?lease=1h")->lease, std::chrono::hours(1));
  EXPECT_EQ(ParseNatsQueueUrl("nats://h?lease=2000ms")->lease, std::chrono::seconds(2));
}

TEST(NatsQueueOptionsTest, EveryKey) {
  auto o = ParseNatsQueueUrl(
      "nats://a.example:4222,b.example,[::1]:4333/?stream=S_1&prefix=acme.prod&partitions=8&durable=w-1&"
      "consume=0-2,5&window=100&publish_timeout=750ms&max_age=3d&max_bytes=512MiB&dedup_window=30s&"
      "replicas=3&ack_wait=2s&fetch_batch=64&max_ack_pending=1000&connect_timeout=1s&group=8&linger=5ms");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->servers,
            (std::vector<std::string>{"nats://a.example:4222", "nats://b.example:4222", "nats://[::1]:4333"}));
  EXPECT_EQ(o->stream, "S_1");
  EXPECT_EQ(o->prefix, "acme.prod");
  EXPECT_EQ(o->partitions, 8u);
  EXPECT_EQ(o->durable, "w-1");
  EXPECT_EQ(o->consume, (std::vector<size_t>{0, 1, 2, 5}));
  EXPECT_EQ(o->ConsumedPartitions(), (std::vector<size_t>{0, 1, 2, 5}));
  EXPECT_EQ(o->window, 100u);
  EXPECT_EQ(o->publish_timeout, std::chrono::milliseconds(750));
  EXPECT_EQ(o->max_age, std::chrono::hours(72));
  EXPECT_EQ(o->max_bytes, 512LL << 20);
  EXPECT_EQ(o->dedup_window, std::chrono::seconds(30));
  EXPECT_EQ(o->replicas, 3);
  EXPECT_EQ(o->ack_wait, std::chrono::seconds(2));
  EXPECT_EQ(o->fetch_batch, 64u);
  EXPECT_EQ(o->max_ack_pending, 1000);
  EXPECT_EQ(o->connect_timeout, std::chrono::seconds(1));
  EXPECT_EQ(o->group, 8u);
  EXPECT_EQ(o->linger, std::chrono::milliseconds(5));
  auto off = ParseNatsQueueUrl("nats://h?linger=0ms");
  ASSERT_TRUE(off.ok()) << off.status().ToString();
  EXPECT_EQ(off->linger, std::chrono::milliseconds(0));
}

// Each bad URL must be refused with kInvalidArgument and a message that
// contains the given fragment (so the operator sees what to fix).
struct BadUrl {
  const char* url;
  const char* fragment;
};

TEST(NatsQueueOptionsTest, BadUrlsAreRefusedClearly) {
  const BadUrl cases[] = {
      {"nat://127.0.0.1", "does not start with nats://"},
      {"nats://", "empty server address"},
      {"nats://127.0.0.1:0", "invalid port '0'"},
      {"nats://127.0.0.1:65536", "invalid port '65536'"},
      {"nats://127.0.0.1:42x", "invalid port '42x'"},
      {"nats://127.0.0.1:", "invalid port ''"},
      {"nats://:4222", "missing host"},
      {"nats://bad host:4222", "invalid host"},
      {"nats://user:pw@127.0.0.1", "credentials"},
      {"nats://[::1:4222", "unterminated IPv6"},
      {"nats://a,,b", "empty server address"},
      {"nats://h/path", "unexpected path"},
      {"nats://h?partitions=0", "'partitions' must be an integer in 1..1024, got '0'"},
      {"nats://h?partitions=1025", "1..1024"},
      {"nats://h?partitions=-1", "got '-1'"},
      {"nats://h?partitions=99999999999999999999", "1..1024"},
      {"nats://h?window=0", "'window'"},
      {"nats://h?window=abc", "got 'abc'"},
      {"nats://h?group=0", "'group'"},
      {"nats://h?group=1001", "'group'"},
      {"nats://h?linger=2s", "'linger' must be at most 1s"},
      {"nats://h?linger=5", "needs a unit"},
      {"nats://h?fetch_batch=0", "'fetch_batch'"},
      {"nats://h?replicas=6", "'replicas'"},
      {"nats://h?max_age=7", "needs a unit"},
      {"nats://h?max_age=7w", "needs a unit"},
      {"nats://h?max_age=", "expected a duration"},
      {"nats://h?max_age=500ms", "'max_age' must be at least"},
      {"nats://h?max_age=99999999999d", "too long"},
      {"nats://h?ack_wait=10ms", "'ack_wait' must be at least"},
      {"nats://h?publish_timeout=0ms", "'publish_timeout' must be at least"},
      {"nats://h?max_bytes=10GB", "unknown unit"},
      {"nats://h?max_bytes=1KiB", "at least 1MiB"},
      {"nats://h?max_bytes=99999999999TiB", "too large"},
      {"nats://h?stream=a.b", "'stream' must be"},
      {"nats://h?stream=", "'stream' must be"},
      {"nats://h?durable=x*", "'durable' must be"},
      {"nats://h?prefix=a..b", "'prefix' must be"},
      {"nats://h?prefix=a.>", "'prefix' must be"},
      {"nats://h?consume=3-1", "'consume' expects"},
      {"nats://h?consume=16", "names partition 16 but partitions=16"},
      {"nats://h?partitions=4&consume=0-4", "partitions=4"},
      {"nats://h?consume=a", "'consume' expects"},
      {"nats://h?consume=", "'consume' expects"},
      {"nats://h?consume=AUTO", "'consume' expects auto, all, or partitions"},
      {"nats://h?consume=auto,1", "'consume' expects"},
      {"nats://h?consume=all-3", "'consume' expects"},
      {"nats://h?consume=auto&consume=all", "given twice"},
      {"nats://h?lease=10", "needs a unit"},
      {"nats://h?lease=", "expected a duration"},
      {"nats://h?lease=-5s", "expected a duration"},
      {"nats://h?lease=1s", "'lease' must be at least 2000ms"},
      {"nats://h?lease=0s", "'lease' must be at least"},
      {"nats://h?lease=61m", "'lease' must be at most 1h"},
      {"nats://h?lease=99999999999d", "too long"},
      {"nats://h?consume=all&lease=5s", "'lease' applies only to consume=auto, not to consume=all"},
      {"nats://h?lease=5s&consume=0-1", "'lease' applies only to consume=auto"},
      {"nats://h?bogus=1", "unknown parameter 'bogus'"},
      {"nats://h?window", "expected key=value"},
      {"nats://h?window=1&window=2", "given twice"},
      {"nats://h?max_age=1m&dedup_window=2m", "cannot exceed"},
  };
  for (const auto& c : cases) {
    auto o = ParseNatsQueueUrl(c.url);
    ASSERT_FALSE(o.ok()) << c.url << " was accepted";
    EXPECT_EQ(o.status().code(), StatusCode::kInvalidArgument) << c.url;
    EXPECT_NE(o.status().message().find(c.fragment), std::string::npos)
        << c.url << " -> " << o.status().message() << " (wanted '" << c.fragment << "')";
  }
}

TEST(NatsQueueOptionsTest, DurationsAndSizes) {
  EXPECT_EQ(*ParseDuration("0ms"), std::chrono::milliseconds(0));
  EXPECT_EQ(*ParseDuration("90s"), std::chrono::seconds(90));
  EXPECT_EQ(*ParseDuration("2h"), std::chrono::hours(2));
  EXPECT_FALSE(ParseDuration("1.5s").ok());
  EXPECT_FALSE(ParseDuration("s").ok());
  EXPECT_FALSE(ParseDuration(" 1s").ok());
  EXPECT_EQ(*ParseByteSize("4096"), 4096);
  EXPECT_EQ(*ParseByteSize("4096B"), 4096);
  EXPECT_EQ(*ParseByteSize("1TiB"), 1LL << 40);
  EXPECT_FALSE(ParseByteSize("-1").ok());
  EXPECT_FALSE(ParseByteSize("1 GiB").ok());
}

}  // namespace
}  // namespace fleetd::nats
