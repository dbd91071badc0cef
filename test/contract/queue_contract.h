// Queue contract suite: the behaviour every fleetd::Queue must show, whether
// it is the in-process MemoryQueue or a NATS JetStream adapter.
//
// Header-only, value-parameterized. An implementation's test file includes
// this header (in exactly one translation unit) and instantiates it:
//
//   INSTANTIATE_TEST_SUITE_P(Memory, QueueContractTest,
//       testing::Values(QueueContractParam{"Memory", [](size_t cap) { ... }}),
//       QueueContractParamName);
//
// `make(capacity)` returns a new, empty queue that refuses (kBusy) a publish
// that would take more than `capacity` un-acked messages.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "contract/queue_envelope.h"
#include "fleetd/queue.h"

namespace fleetd::contract {

struct QueueContractParam {
  std::string name;
  std::function<std::unique_ptr<Queue>(size_t capacity)> make;
};
inline void PrintTo(const QueueContractParam& p, std::ostream* os) { *os << p.name; }
inline std::string QueueContractParamName(const testing::TestParamInfo<QueueContractParam>& info) {
  return info.param.name;
}

// Counts callback invocations and remembers the last status.
struct CallbackProbe {
  std::atomic<int> calls{0};
  std::atomic<bool> last_ok{false};
  DurableCallback Callback() {
    return [this](const Status& s) {
      last_ok = s.ok();
      ++calls;
    };
  }
};

class QueueContractTest : public testing::TestWithParam<QueueContractParam> {
 protected:
  std::unique_ptr<Queue> Make(size_t capacity) { return GetParam().make(capacity); }
  static constexpr std::chrono::milliseconds kShort{20};
  static constexpr std::chrono::milliseconds kLong{2000};
};

TEST_P(QueueContractTest, AckCompletesCallbackExactlyOnce) {
  auto q = Make(100);
  CallbackProbe probe;
  ASSERT_TRUE(
      q->Publish({QueueEnvelope("A", 1), QueueEnvelope("A", 2), QueueEnvelope("A", 3)}, probe.Callback())
          .ok());
  EXPECT_EQ(q->depth(), 3u);
  auto d = q->Fetch(10, kLong);
  ASSERT_NE(d, nullptr);
  ASSERT_EQ(d->envelopes().size(), 3u);
  EXPECT_EQ(d->envelopes()[0].message.ts, 1);
  EXPECT_EQ(d->envelopes()[2].message.ts, 3);
  EXPECT_EQ(probe.calls, 0) << "durable before the consumer acked";
  EXPECT_EQ(q->depth(), 3u) << "fetched but un-acked messages still count";
  d->Ack();
  EXPECT_EQ(probe.calls, 1);
  EXPECT_TRUE(probe.last_ok);
  EXPECT_EQ(q->depth(), 0u);
  d->Ack();  // a second ack is harmless
  d.reset();
  EXPECT_EQ(probe.calls, 1);
  EXPECT_EQ(q->Fetch(10, kShort), nullptr);
}

TEST_P(QueueContractTest, CallbackWaitsForEveryMessageOfTheBatch) {
  auto q = Make(100);
  CallbackProbe probe;
  std::vector<Envelope> batch;
  for (int i = 0; i < 6; ++i) batch.push_back(QueueEnvelope("dev" + std::to_string(i), 100 + i, i));
  ASSERT_TRUE(q->Publish(std::move(batch), probe.Callback()).ok());
  size_t acked = 0;
  while (acked < 6) {
    auto d = q->Fetch(2, kLong);
    ASSERT_NE(d, nullptr);
    ASSERT_LE(d->envelopes().size(), 2u);
    acked += d->envelopes().size();
    d->Ack();
    EXPECT_EQ(probe.calls, acked == 6 ? 1 : 0) << "after " << acked << " acked";
  }
  EXPECT_TRUE(probe.last_ok);
}

TEST_P(QueueContractTest, FullQueueRefusesWithBusyAndKeepsNothing) {
  auto q = Make(5);
  CallbackProbe first, refused, later;
  ASSERT_TRUE(
      q->Publish({QueueEnvelope("A", 1), QueueEnvelope("A", 2), QueueEnvelope("A", 3)}, first.Callback())
          .ok());
  Status s =
      q->Publish({QueueEnvelope("B", 1), QueueEnvelope("B", 2), QueueEnvelope("B", 3)}, refused.Callback());
  EXPECT_EQ(s.code(), StatusCode::kBusy);
  EXPECT_EQ(q->depth(), 3u);
  ASSERT_TRUE(q->Publish({QueueEnvelope("C", 1), QueueEnvelope("C", 2)}, later.Callback()).ok());
  EXPECT_EQ(q->depth(), 5u);
  EXPECT_EQ(q->Publish({QueueEnvelope("D", 1)}, nullptr).code(), StatusCode::kBusy);

  // Capacity counts un-acked, not un-fetched: fetching alone frees nothing.
  auto d = q->Fetch(10, kLong);
  ASSERT_NE(d, nullptr);
  std::set<std::string> seen;
  size_t fetched = d->envelopes().size();
  for (const auto& e : d->envelopes()) seen.insert(e.message.device_uid);
  EXPECT_FALSE(seen.count("B")) << "a refused batch was enqueued";
  EXPECT_EQ(q->Publish({QueueEnvelope("D", 1)}, nullptr).code(), StatusCode::kBusy);
  d->Ack();
  EXPECT_EQ(q->depth(), 5u - fetched);
  EXPECT_TRUE(q->Publish({QueueEnvelope("D", 1)}, nullptr).ok());
  EXPECT_EQ(refused.calls, 0) << "a refused batch's callback must never run";
}

TEST_P(QueueContractTest, RefusedBatchIsLeftUntouchedForRetry) {
  auto q = Make(2);
  ASSERT_TRUE(q->Publish({QueueEnvelope("A", 1), QueueEnvelope("A", 2)}, nullptr).ok());
  std::vector<Envelope> batch = {QueueEnvelope("B", 10), QueueEnvelope("B", 11)};
  CallbackProbe probe;
  ASSERT_EQ(q->Publish(std::move(batch), probe.Callback()).code(), StatusCode::kBusy);
  ASSERT_EQ(batch.size(), 2u);  // NOLINT(bugprone-use-after-move): the contract says untouched
  EXPECT_EQ(batch[0].message.device_uid, "B");
  EXPECT_EQ(batch[1].message.ts, 11);
  auto d = q->Fetch(10, kLong);
  ASSERT_NE(d, nullptr);
  d->Ack();
  ASSERT_TRUE(q->Publish(std::move(batch), probe.Callback()).ok());
  d = q->Fetch(10, kLong);
  ASSERT_NE(d, nullptr);
  ASSERT_EQ(d->envelopes().size(), 2u);
  EXPECT_EQ(d->envelopes()[0].message.ts, 10);
  d->Ack();
  EXPECT_EQ(probe.calls, 1);
}

TEST_P(QueueContractTest, NackRedeliversFromTheFrontInOrder) {
  auto q = Make(100);
  CallbackProbe probe;
  std::vector<Envelope> batch;
  for (int i = 1; i <= 5; ++i) batch.push_back(QueueEnvelope("A", i));
  ASSERT_TRUE(q->Publish(std::move(batch), probe.Callback()).ok());
  ASSERT_TRUE(q->Publish({QueueEnvelope("A", 6)}, nullptr).ok());

  auto d = q->Fetch(3, kLong);
  ASSERT_NE(d, nullptr);
  ASSERT_EQ(d->envelopes().size(), 3u);
  EXPECT_EQ(d->envelopes()[0].message.ts, 1);
  d->Nack();
  EXPECT_EQ(probe.calls, 0);
  EXPECT_EQ(q->depth(), 6u);

  std::vector<TimestampMs> order;
  while (order.size() < 6) {
    auto again = q->Fetch(10, kLong);
    ASSERT_NE(again, nullptr);
    for (const auto& e : again->envelopes()) order.push_back(*e.message.ts);
    again->Ack();
  }
  EXPECT_EQ(order, (std::vector<TimestampMs>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(probe.calls, 1);
  EXPECT_TRUE(probe.last_ok);
}

// The processor's pipelining: once a batch is written, Stored() lets the
// next messages of the same device be fetched before the ack.
TEST_P(QueueContractTest, StoredReleasesTheDevicesBeforeTheAck) {
  auto q = Make(100);
  ASSERT_TRUE(q->Publish({QueueEnvelope("A", 1)}, nullptr).ok());
  auto first = q->Fetch(10, kLong);
  ASSERT_NE(first, nullptr);
  ASSERT_EQ(first->envelopes().size(), 1u);
  ASSERT_TRUE(q->Publish({QueueEnvelope("A", 2)}, nullptr).ok());
  EXPECT_EQ(q->Fetch(10, kShort * 10), nullptr) << "A is held by the outstanding delivery";
  first->Stored();
  auto second = q->Fetch(10, kLong);
  ASSERT_NE(second, nullptr) << "Stored() released A";
  ASSERT_EQ(second->envelopes().size(), 1u);
  EXPECT_EQ(second->envelopes()[0].message.ts, 2);
  EXPECT_EQ(q->depth(), 2u) << "neither is acked yet";
  second->Ack();
  first->Ack();  // acks may complete out of fetch order
  EXPECT_EQ(q->depth(), 0u);
  first->Stored();  // after the ack: harmless
  EXPECT_EQ(q->Fetch(10, kShort), nullptr);
}

// The timestamps of a delivery's envelopes, after taking more from its held
// partitions until it has `want` (a networked queue buffers what arrives in
// the background, so this polls) or `patience` passed.
inline std::vector<TimestampMs> TakeMoreUntil(Delivery& d, size_t want, std::chrono::milliseconds patience,
                                              std::chrono::milliseconds poll) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (d.envelopes().size() < want && std::chrono::steady_clock::now() < deadline) {
    if (d.TakeMore(want - d.envelopes().size()) == 0) std::this_thread::sleep_for(poll);
  }
  std::vector<TimestampMs> ts;
  for (const auto& e : d.envelopes()) ts.push_back(e.message.ts.value_or(-1));
  return ts;
}

// TakeMore: what arrives on a held partition joins the delivery, in order;
// given back, the whole delivery comes again in order.
TEST_P(QueueContractTest, TakeMoreAddsWhatArrivedOnTheHeldDevices) {
  auto q = Make(100);
  ASSERT_TRUE(q->Publish({QueueEnvelope("A", 1)}, nullptr).ok());
  {
    auto d = q->Fetch(10, kLong);
    ASSERT_NE(d, nullptr);
    ASSERT_EQ(d->envelopes().size(), 1u);
    EXPECT_EQ(d->TakeMore(10), 0u) << "nothing new yet";
    ASSERT_TRUE(q->Publish({QueueEnvelope("A", 2), QueueEnvelope("A", 3)}, nullptr).ok());
    EXPECT_EQ(d->TakeMore(0), 0u);
    EXPECT_EQ(TakeMoreUntil(*d, 3, kLong, kShort), (std::vector<TimestampMs>{1, 2, 3}));
    EXPECT_EQ(q->Fetch(10, kShort), nullptr) << "A is still held";
    ASSERT_TRUE(q->Publish({QueueEnvelope("A", 4)}, nullptr).ok());
  }  // dropped: A 1-3 go back ahead of A 4
  auto again = q->Fetch(10, kLong);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(TakeMoreUntil(*again, 4, kLong, kShort), (std::vector<TimestampMs>{1, 2, 3, 4}));
  again->Stored();
  ASSERT_TRUE(q->Publish({QueueEnvelope("A", 5)}, nullptr).ok());
  std::this_thread::sleep_for(kShort * 5);
  EXPECT_EQ(again->TakeMore(10), 0u) << "after Stored() the partitions are no longer held";
  again->Ack();
  auto last = q->Fetch(10, kLong);
  ASSERT_NE(last, nullptr);
  ASSERT_EQ(last->envelopes().size(), 1u);
  EXPECT_EQ(last->envelopes()[0].message.ts, 5);
  last->Ack();
  EXPECT_EQ(q->depth(), 0u);
}

TEST_P(QueueContractTest, DroppedDeliveryIsRedelivered) {
  auto q = Make(100);
  ASSERT_TRUE(q->Publish({QueueEnvelope("A", 1), QueueEnvelope("A", 2)}, nullptr).ok());
  {
    auto d = q->Fetch(10, kLong);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->envelopes().size(), 2u);
  }  // destroyed without Ack
  auto d = q->Fetch(10, kLong);
  ASSERT_NE(d, nullptr);
  ASSERT_EQ(d->envelopes().size(), 2u);
  EXPECT_EQ(d->envelopes()[0].message.ts, 1);
  EXPECT_EQ(d->envelopes()[1].message.ts, 2);
  d->Ack();
  EXPECT_EQ(q->depth(), 0u);
}

TEST_P(QueueContractTest, FetchOnEmptyQueueTimesOut) {
  auto q = Make(10);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(q->Fetch(10, std::chrono::milliseconds(50)), nullptr);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(45));
}

TEST_P(QueueContractTest, FetchWakesWhenSomethingIsPublished) {
  auto q = Make(10);
  std::thread producer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    EXPECT_TRUE(q->Publish({QueueEnvelope("A", 7)}, nullptr).ok());
  });
  auto d = q->Fetch(10, std::chrono::seconds(10));
  producer.join();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->envelopes().at(0).message.ts, 7);
  d->Ack();
}

TEST_P(QueueContractTest, CloseWakesWaitersAndFailsLaterPublishes) {
  auto q = Make(10);
  std::atomic<bool> returned{false};
  std::unique_ptr<Delivery> got;
  std::thread fetcher([&] {
    got = q->Fetch(10, std::chrono::seconds(30));
    returned = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(returned);
  auto start = std::chrono::steady_clock::now();
  q->Close();
  fetcher.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(got, nullptr);
  CallbackProbe probe;
  Status s = q->Publish({QueueEnvelope("A", 1)}, probe.Callback());
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.code(), StatusCode::kBusy) << "closed is not a retry-later condition";
  EXPECT_EQ(probe.calls, 0);
  EXPECT_EQ(q->Fetch(10, kShort), nullptr);
}

TEST_P(QueueContractTest, CloseFailsBatchesThatCanNoLongerComplete) {
  auto q = Make(10);
  CallbackProbe probe;
  ASSERT_TRUE(q->Publish({QueueEnvelope("A", 1), QueueEnvelope("A", 2)}, probe.Callback()).ok());
  q->Close();
  EXPECT_EQ(probe.calls, 1) << "a pending callback must not hang after Close";
  EXPECT_FALSE(probe.last_ok);
  q->Close();
  q.reset();
  EXPECT_EQ(probe.calls, 1);
}

// Two consumers, many devices, random nacks, a producer pushing against a
// small capacity: every device's messages must be committed exactly in
// publish order and never be in two outstanding deliveries at once.
TEST_P(QueueContractTest, PerDeviceOrderWithTwoConsumers) {
  constexpr int kDevices = 8;
  constexpr int kPerDevice = 150;
  auto q = Make(64);
  std::mutex mu;
  std::map<std::string, std::vector<TimestampMs>> committed;
  std::map<std::string, int> in_flight;  // device -> outstanding deliveries holding it
  std::atomic<int> overlap{0};
  std::atomic<int> total_acked{0};
  std::atomic<int> callbacks{0};
  std::atomic<int> failed_callbacks{0};
  std::atomic<int> accepted{0};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);

  std::thread producer([&] {
    int next[kDevices] = {};
    int device = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      std::vector<Envelope> batch;
      for (int k = 0; k < 5; ++k) {  // a few devices per batch, interleaved
        int d = (device + k) % kDevices;
        if (next[d] < kPerDevice) batch.push_back(QueueEnvelope("dev" + std::to_string(d), next[d], d));
      }
      if (batch.empty()) return;
      auto copy = batch;  // ids are read below; Publish moves from its argument
      Status s = q->Publish(std::move(copy), [&](const Status& st) {
        ++callbacks;
        if (!st.ok()) ++failed_callbacks;
      });
      if (s.code() == StatusCode::kBusy) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        continue;
      }
      ASSERT_TRUE(s.ok()) << s.ToString();
      ++accepted;
      for (const auto& e : batch) ++next[e.device_id];
      device = (device + 3) % kDevices;
    }
  });

  auto consume = [&](unsigned seed) {
    std::mt19937 rng(seed);
    while (total_acked < kDevices * kPerDevice && std::chrono::steady_clock::now() < deadline) {
      auto d = q->Fetch(1 + rng() % 9, std::chrono::milliseconds(10));
      if (!d) continue;
      std::set<std::string> devices;
      for (const auto& e : d->envelopes()) devices.insert(e.message.device_uid);
      {
        std::lock_guard lock(mu);
        for (const auto& uid : devices) {
          if (in_flight[uid]++ > 0) ++overlap;
        }
      }
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 300));
      bool nack = rng() % 10 == 0;
      // Half the committed deliveries release their devices (Stored) and
      // ack only later, as the processor does.
      const bool stored_first = !nack && rng() % 2 == 0;
      {
        std::lock_guard lock(mu);
        if (!nack) {
          for (const auto& e : d->envelopes()) committed[e.message.device_uid].push_back(*e.message.ts);
        }
        for (const auto& uid : devices) --in_flight[uid];
        if (stored_first) d->Stored();  // under the lock: nobody commits A's next before this is recorded
      }
      if (stored_first) std::this_thread::sleep_for(std::chrono::microseconds(rng() % 300));
      if (nack) {
        d->Nack();
      } else {
        total_acked += static_cast<int>(d->envelopes().size());
        d->Ack();
      }
    }
  };
  std::thread c1(consume, 1u), c2(consume, 2u);
  producer.join();
  c1.join();
  c2.join();

  ASSERT_EQ(total_acked, kDevices * kPerDevice) << "did not finish before the deadline";
  EXPECT_EQ(overlap, 0) << "a device was in two outstanding deliveries";
  for (int d = 0; d < kDevices; ++d) {
    const auto& got = committed["dev" + std::to_string(d)];
    ASSERT_EQ(got.size(), static_cast<size_t>(kPerDevice)) << "device " << d;
    for (int i = 0; i < kPerDevice; ++i) {
      ASSERT_EQ(got[i], i) << "device " << d << " out of order at " << i;
    }
  }
  EXPECT_EQ(q->depth(), 0u);
  EXPECT_EQ(failed_callbacks, 0);
  EXPECT_EQ(callbacks, accepted) << "every accepted batch completes exactly once";
}

}  // namespace fleetd::contract
