// ReplayStream against a real nats-server that this binary starts on a free
// loopback port: windows by stored time, per-device order, the device
// filter, bounded batches, empty windows, errors, and the durable consumers
// left exactly as they were.
#include "queue/nats/nats_replay.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "contract/queue_envelope.h"
#include "queue/nats/nats_queue.h"
#include "queue/nats/nats_session.h"
#include "queue/nats/nats_subjects.h"
#include "queue/nats/nats_test_server.h"
#include "queue/nats/nats_test_support.h"
#include "servers/server_process.h"

namespace fleetd::nats {
namespace {

using contract::QueueEnvelope;
using test::Boundary;
using test::OpenOrFail;
using test::WaitFor;
using namespace std::chrono_literals;

test::NatsTestServer* g_server = nullptr;

NatsQueueOptions FreshOptions() {
  NatsQueueOptions o = test::FreshStream(g_server->url(), 'R');
  o.partitions = 4;
  return o;
}

// Publishes `per_device` messages of each uid, interleaved, fix times
// first_ts + i seconds, and waits until JetStream stored them.
void PublishTrack(NatsQueue& q, const std::vector<std::string>& uids, TimestampMs first_ts, int per_device) {
  std::vector<Envelope> batch;
  for (int i = 0; i < per_device; ++i) {
    for (size_t d = 0; d < uids.size(); ++d) {
      batch.push_back(QueueEnvelope(uids[d], first_ts + i * 1000LL, static_cast<int64_t>(d + 1)));
    }
  }
  std::atomic<int> calls{0};
  std::atomic<bool> ok{false};
  ASSERT_TRUE(q.Publish(std::move(batch), [&](const Status& s) {
                 ok = s.ok();
                 ++calls;
               }).ok());
  ASSERT_TRUE(WaitFor([&] { return calls == 1; }, 10s)) << "JetStream never acknowledged";
  ASSERT_TRUE(ok);
}

struct Collected {
  std::vector<Envelope> envelopes;
  std::vector<size_t> batch_sizes;
};

Result<ReplayStats> Replay(const NatsQueueOptions& o, const ReplayWindow& w, Collected& out) {
  return ReplayStream(o, w, [&](std::span<const Envelope> batch) {
    out.batch_sizes.push_back(batch.size());
    out.envelopes.insert(out.envelopes.end(), batch.begin(), batch.end());
    return Status::Ok();
  });
}

// Fix times per device, in the order replayed.
std::map<std::string, std::vector<TimestampMs>> ByDevice(const std::vector<Envelope>& envelopes) {
  std::map<std::string, std::vector<TimestampMs>> out;
  for (const auto& e : envelopes) out[e.message.device_uid].push_back(*e.message.ts);
  return out;
}

std::vector<TimestampMs> Track(TimestampMs first_ts, int n) {
  std::vector<TimestampMs> out;
  for (int i = 0; i < n; ++i) out.push_back(first_ts + i * 1000LL);
  return out;
}

TEST(NatsReplayTest, ReadsTheWindowByStoredTimeInDeviceOrder) {
  NatsQueueOptions o = FreshOptions();
  auto q = OpenOrFail(o);
  ASSERT_NE(q, nullptr);
  const TimestampMs start = Boundary();
  PublishTrack(*q, {"A", "B", "C"}, 1000000, 10);
  const TimestampMs t1 = Boundary();
  PublishTrack(*q, {"A", "B", "C"}, 2000000, 7);
  const TimestampMs t2 = Boundary();
  PublishTrack(*q, {"A", "B"}, 3000000, 5);

  Collected mid;
  ReplayWindow w;
  w.from = t1;
  w.to = t2;
  auto stats = Replay(o, w, mid);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->read, 21u);
  EXPECT_EQ(stats->delivered, 21u);
  EXPECT_EQ(stats->skipped_other_devices, 0u);
  EXPECT_EQ(stats->undecodable, 0u);
  auto by_device = ByDevice(mid.envelopes);
  ASSERT_EQ(by_device.size(), 3u);
  for (const auto& uid : {"A", "B", "C"}) EXPECT_EQ(by_device[uid], Track(2000000, 7)) << uid;

  Collected tail;
  w.to.reset();  // up to the end
  stats = Replay(o, w, tail);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->read, 31u);
  by_device = ByDevice(tail.envelopes);
  std::vector<TimestampMs> a = Track(2000000, 7);
  for (TimestampMs ts : Track(3000000, 5)) a.push_back(ts);
  EXPECT_EQ(by_device["A"], a);
  EXPECT_EQ(by_device["C"], Track(2000000, 7));

  Collected all;
  w.from = start;
  stats = Replay(o, w, all);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->read, 30u + 21u + 10u);
  w.from = 0;  // the epoch: everything the stream holds
  Collected everything;
  stats = Replay(o, w, everything);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->read, 61u);
}

TEST(NatsReplayTest, DeviceFilterAndBoundedBatches) {
  NatsQueueOptions o = FreshOptions();
  auto q = OpenOrFail(o);
  ASSERT_NE(q, nullptr);
  const TimestampMs start = Boundary();
  PublishTrack(*q, {"A", "B", "C"}, 1000000, 20);

  Collected only_b;
  ReplayWindow w;
  w.from = start;
  w.device_uid = "B";
  w.batch_size = 7;
  auto stats = Replay(o, w, only_b);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->read, 60u);
  EXPECT_EQ(stats->delivered, 20u);
  EXPECT_EQ(stats->skipped_other_devices, 40u);
  EXPECT_EQ(only_b.batch_sizes, (std::vector<size_t>{7, 7, 6}));
  EXPECT_EQ(ByDevice(only_b.envelopes)["B"], Track(1000000, 20));

  w.device_uid = "nobody";
  Collected none;
  stats = Replay(o, w, none);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->read, 60u);
  EXPECT_EQ(stats->delivered, 0u);
  EXPECT_TRUE(none.batch_sizes.empty());

  // A failing callback stops the replay with its status.
  w.device_uid.clear();
  int calls = 0;
  auto failed = ReplayStream(o, w, [&](std::span<const Envelope>) {
    ++calls;
    return Status(StatusCode::kIoError, "store is down");
  });
  EXPECT_EQ(failed.status().code(), StatusCode::kIoError);
  EXPECT_EQ(failed.status().message(), "store is down");
  EXPECT_EQ(calls, 1);
}

TEST(NatsReplayTest, EmptyWindowsReportZero) {
  NatsQueueOptions o = FreshOptions();
  auto q = OpenOrFail(o);
  ASSERT_NE(q, nullptr);
  Collected c;
  ReplayWindow w;
  auto stats = Replay(o, w, c);  // a stream with no messages at all
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->read, 0u);

  const TimestampMs before = Boundary();
  PublishTrack(*q, {"A"}, 1000000, 5);
  const TimestampMs after = Boundary();
  w.from = after;  // after the last message
  stats = Replay(o, w, c);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->read, 0u);
  w.from = before - 60000;  // ends before the first message
  w.to = before;
  stats = Replay(o, w, c);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->read, 0u);
  w.from = before;  // empty by definition
  w.to = before;
  stats = Replay(o, w, c);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->read, 0u);
  w.from = kMaxTimestampMs;  // far future (beyond JetStream's nanosecond range)
  w.to.reset();
  stats = Replay(o, w, c);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->read, 0u);
  EXPECT_TRUE(c.envelopes.empty());
}

TEST(NatsReplayTest, ClearErrors) {
  NatsQueueOptions o = FreshOptions();
  auto ok = [](std::span<const Envelope>) { return Status::Ok(); };
  ReplayWindow w;
  auto missing = ReplayStream(o, w, ok);  // never opened: no stream
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("'" + o.stream + "' does not exist"), std::string::npos)
      << missing.status().message();

  NatsQueueOptions nowhere = o;
  nowhere.servers = {"nats://127.0.0.1:" + std::to_string(fleetd::test::PickFreePort())};
  nowhere.connect_timeout = 500ms;
  auto unreachable = ReplayStream(nowhere, w, ok);
  EXPECT_EQ(unreachable.status().code(), StatusCode::kIoError);
  EXPECT_NE(unreachable.status().message().find("cannot connect to NATS at " + nowhere.servers[0]), std::string::npos)
      << unreachable.status().message();

  w.from = 2000;
  w.to = 1000;
  EXPECT_EQ(ReplayStream(o, w, ok).status().code(), StatusCode::kInvalidArgument);
  w.to.reset();
  w.batch_size = 0;
  EXPECT_EQ(ReplayStream(o, w, ok).status().code(), StatusCode::kInvalidArgument);
  w.batch_size = 100001;
  EXPECT_EQ(ReplayStream(o, w, ok).status().code(), StatusCode::kInvalidArgument);
}

// Reads a durable consumer's counters (delivered, ack floor, pending).
struct DurableState {
  uint64_t delivered = 0, ack_floor = 0, num_pending = 0;
  int64_t ack_pending = 0;
  bool operator==(const DurableState&) const = default;
};

std::map<std::string, DurableState> Durables(const NatsQueueOptions& o) {
  std::map<std::string, DurableState> out;
  auto session = NatsSession::Connect(o, nullptr, nullptr);
  EXPECT_TRUE(session.ok());
  if (!session.ok()) return out;
  for (size_t p = 0; p < o.partitions; ++p) {
    const std::string name = ConsumerName(o.durable, p);
    jsConsumerInfo* ci = nullptr;
    EXPECT_EQ(js_GetConsumerInfo(&ci, (*session)->js(), o.stream.c_str(), name.c_str(), nullptr, nullptr), NATS_OK);
    if (ci == nullptr) continue;
    out[name] = DurableState{ci->Delivered.Stream, ci->AckFloor.Stream, ci->NumPending, ci->NumAckPending};
    jsConsumerInfo_Destroy(ci);
  }
  return out;
}

int64_t ConsumerCount(const NatsQueueOptions& o) {
  auto session = NatsSession::Connect(o, nullptr, nullptr);
  if (!session.ok()) return -1;
  jsStreamInfo* si = nullptr;
  if (js_GetStreamInfo(&si, (*session)->js(), o.stream.c_str(), nullptr, nullptr) != NATS_OK) return -1;
  int64_t n = si->State.Consumers;
  jsStreamInfo_Destroy(si);
  return n;
}

TEST(NatsReplayTest, DurableConsumersAreLeftAsTheyWere) {
  NatsQueueOptions o = FreshOptions();
  auto q = OpenOrFail(o);
  ASSERT_NE(q, nullptr);
  const TimestampMs start = Boundary();
  PublishTrack(*q, {"A", "B", "C", "D"}, 1000000, 25);
  size_t consumed = 0;
  for (int guard = 0; guard < 100 && consumed < 100; ++guard) {
    auto d = q->Fetch(1000, 2s);
    if (!d) continue;
    consumed += d->envelopes().size();
    d->Ack();
  }
  ASSERT_EQ(consumed, 100u);
  const auto before = Durables(o);
  ASSERT_EQ(before.size(), 4u);
  ASSERT_EQ(ConsumerCount(o), 4);

  Collected c;
  ReplayWindow w;
  w.from = start;
  auto stats = Replay(o, w, c);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->read, 100u);

  EXPECT_EQ(Durables(o), before) << "replay must not move the durable consumers";
  EXPECT_TRUE(WaitFor([&] { return ConsumerCount(o) == 4; }, 5s)) << "the replay consumer is gone, no durable added";
  EXPECT_EQ(q->Fetch(1000, 500ms), nullptr) << "nothing new for the durable consumers";

  PublishTrack(*q, {"A", "B"}, 5000000, 3);
  std::vector<Envelope> after;
  for (int guard = 0; guard < 50 && after.size() < 6; ++guard) {
    auto d = q->Fetch(1000, 1s);
    if (!d) continue;
    after.insert(after.end(), d->envelopes().begin(), d->envelopes().end());
    d->Ack();
  }
  ASSERT_EQ(after.size(), 6u);
  EXPECT_EQ(ByDevice(after)["A"], Track(5000000, 3));
  EXPECT_EQ(q->Fetch(1000, 500ms), nullptr) << "delivered once";
}

TEST(NatsReplayTest, EndsWhileDevicesKeepPublishing) {
  NatsQueueOptions o = FreshOptions();
  auto q = OpenOrFail(o);
  ASSERT_NE(q, nullptr);
  const TimestampMs start = Boundary();
  PublishTrack(*q, {"A", "B"}, 1000000, 500);
  std::atomic<bool> stop{false};
  std::atomic<int> published{0};
  std::thread publisher([&] {
    for (int i = 0; !stop && i < 2000; ++i) {
      if (q->Publish({QueueEnvelope("C", 9000000 + i)}, [](const Status&) {}).ok()) ++published;
      std::this_thread::sleep_for(1ms);
    }
  });
  ASSERT_TRUE(WaitFor([&] { return published > 20; }, 5s));
  Collected c;
  ReplayWindow w;
  w.from = start;
  auto began = std::chrono::steady_clock::now();
  auto stats = Replay(o, w, c);
  auto took = std::chrono::steady_clock::now() - began;
  stop = true;
  publisher.join();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_GE(stats->read, 1000u);
  EXPECT_LT(stats->read, 1000u + static_cast<uint64_t>(published.load()) + 1);
  EXPECT_LT(took, 10s);
  auto by_device = ByDevice(c.envelopes);
  EXPECT_EQ(by_device["A"], Track(1000000, 500));
  for (size_t i = 1; i < by_device["C"].size(); ++i) ASSERT_LT(by_device["C"][i - 1], by_device["C"][i]);
}

}  // namespace
}  // namespace fleetd::nats

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  return fleetd::nats::test::RunAllTestsWithServer(&fleetd::nats::g_server);
}
