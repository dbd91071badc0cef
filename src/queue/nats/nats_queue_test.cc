// NatsQueue against a real nats-server (JetStream, file storage) that this
// binary starts on a free loopback port: the shared Queue contract, plus
// what only a networked, durable queue promises (redelivery after a crash,
// surviving a server restart, dedup, stable partitions, on_durable only
// after JetStream acknowledged).
//
// Contract tests that do not apply. Six shared contract tests assume that
// "durable" means "acked by the consumer" and that capacity counts
// un-consumed messages, which is what MemoryQueue (a queue that is not
// itself durable) promises. For JetStream the batch is durable once the
// stream stored it, so on_durable fires before any Fetch, and the capacity
// is the window of un-acknowledged publishes. Those six are filtered out by
// default in main() below and replaced here by tests of the JetStream
// meaning (named NatsInsteadOf*); run with --gtest_filter='*' to see them fail.
#include "queue/nats/nats_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "contract/queue_contract.h"
#include "core/envelope_codec.h"
#include "queue/nats/jetstream_setup.h"
#include "queue/nats/nats_session.h"
#include "queue/nats/nats_subjects.h"
#include "queue/nats/nats_test_server.h"
#include "queue/nats/nats_test_support.h"

namespace fleetd::nats {
namespace {

using contract::CallbackProbe;
using contract::QueueContractParam;
using contract::QueueContractTest;
using contract::QueueEnvelope;
using test::OpenOrFail;
using test::WaitFor;
using namespace std::chrono_literals;

test::NatsTestServer* g_server = nullptr;

// A fresh stream (and subject prefix) per queue, so tests sharing the server
// never see each other's messages.
NatsQueueOptions FreshOptions(size_t window = 4096) {
  NatsQueueOptions o = test::FreshStream(g_server->url(), 'T');
  o.window = window;
  o.ack_wait = 30s;
  return o;
}

// The state letter in /proc/<pid>/stat ('T' once a SIGSTOP took effect).
char ProcessState(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() ? line[paren + 2] : '?';
}

// Freezes the server for the scope (SIGSTOP), thawing it on exit. kill()
// returns before the stop takes effect, so wait until the kernel says so.
class Frozen {
 public:
  Frozen() {
    g_server->process()->Signal(SIGSTOP);
    bool stopped = WaitFor([] { return ProcessState(g_server->process()->pid()) == 'T'; }, 5s);
    EXPECT_TRUE(stopped) << "nats-server did not stop";
  }
  ~Frozen() { Thaw(); }
  void Thaw() {
    if (!thawed_) g_server->process()->Signal(SIGCONT);
    thawed_ = true;
  }

 private:
  bool thawed_ = false;
};

INSTANTIATE_TEST_SUITE_P(Nats, QueueContractTest,
                         testing::Values(QueueContractParam{"Nats",
                                                            [](size_t capacity) -> std::unique_ptr<Queue> {
                                                              return OpenOrFail(FreshOptions(capacity));
                                                            }}),
                         contract::QueueContractParamName);

// --- The JetStream meaning of the six contract tests filtered out ---

// FreshOptions with one envelope per JetStream message, for the tests whose
// depth() counts are per message.
NatsQueueOptions Ungrouped() {
  NatsQueueOptions o = FreshOptions();
  o.group = 1;
  return o;
}

TEST(NatsQueueTest, NatsInsteadOfAckCompletesCallback_DurableWhenStoredThenAckedOnce) {
  auto q = OpenOrFail(Ungrouped());
  ASSERT_NE(q, nullptr);
  CallbackProbe probe;
  ASSERT_TRUE(q->Publish({QueueEnvelope("A", 1), QueueEnvelope("A", 2), QueueEnvelope("A", 3)}, probe.Callback()).ok());
  ASSERT_TRUE(WaitFor([&] { return probe.calls == 1; }, 5s)) << "JetStream never acknowledged";
  EXPECT_TRUE(probe.last_ok);
  EXPECT_EQ(q->depth(), 3u) << "stored, not yet consumed";
  auto d = q->Fetch(10, 2s);
  ASSERT_NE(d, nullptr);
  ASSERT_EQ(d->envelopes().size(), 3u);
  EXPECT_EQ(d->envelopes()[0].message.ts, 1);
  EXPECT_EQ(d->envelopes()[2].message.ts, 3);
  EXPECT_EQ(q->depth(), 3u) << "fetched but un-acked messages still count";
  d->Ack();
  EXPECT_EQ(q->depth(), 0u) << "Ack() returns once JetStream recorded it";
  d->Ack();
  d.reset();
  EXPECT_EQ(probe.calls, 1);
  EXPECT_EQ(q->Fetch(10, 50ms), nullptr);
}

TEST(NatsQueueTest, NatsInsteadOfCallbackWaits_NoCallbackUntilJetStreamAckedEveryMessage) {
  auto q = OpenOrFail(FreshOptions());
  ASSERT_NE(q, nullptr);
  CallbackProbe probe;
  std::vector<Envelope> batch;
  for (int i = 0; i < 6; ++i) batch.push_back(QueueEnvelope("dev" + std::to_string(i), 100 + i, i));
  {
    Frozen frozen;
    ASSERT_TRUE(q->Publish(std::move(batch), probe.Callback()).ok());
    std::this_thread::sleep_for(500ms);
    EXPECT_EQ(probe.calls, 0) << "on_durable before JetStream could have acknowledged";
  }
  ASSERT_TRUE(WaitFor([&] { return probe.calls == 1; }, 5s));
  EXPECT_TRUE(probe.last_ok);
  size_t got = 0;
  while (got < 6) {
    auto d = q->Fetch(10, 2s);
    ASSERT_NE(d, nullptr) << "after " << got;
    got += d->envelopes().size();
    d->Ack();
  }
  EXPECT_EQ(got, 6u);
  EXPECT_EQ(probe.calls, 1);
}

TEST(NatsQueueTest, NatsInsteadOfFullQueue_FullWindowRefusesWithBusyAndKeepsNothing) {
  auto q = OpenOrFail(FreshOptions(/*window=*/5));
  ASSERT_NE(q, nullptr);
  CallbackProbe first, refused, later;
  std::vector<Envelope> refused_batch = {QueueEnvelope("B", 1), QueueEnvelope("B", 2), QueueEnvelope("B", 3)};
  {
    Frozen frozen;  // no acks come back: the window fills
    ASSERT_TRUE(
        q->Publish({QueueEnvelope("A", 1), QueueEnvelope("A", 2), QueueEnvelope("A", 3)}, first.Callback()).ok());
    EXPECT_EQ(q->Publish(std::move(refused_batch), refused.Callback()).code(), StatusCode::kBusy);
    ASSERT_EQ(refused_batch.size(), 3u) << "a refused batch is left untouched";  // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(refused_batch[2].message.ts, 3);
    ASSERT_TRUE(q->Publish({QueueEnvelope("C", 1), QueueEnvelope("C", 2)}, later.Callback()).ok());
    EXPECT_EQ(q->Publish({QueueEnvelope("D", 1)}, nullptr).code(), StatusCode::kBusy);
    EXPECT_EQ(q->Publish(std::vector<Envelope>(6, QueueEnvelope("E", 1)), nullptr).code(), StatusCode::kInvalidArgument)
        << "a batch larger than the window could never fit: not kBusy";
  }
  ASSERT_TRUE(WaitFor([&] { return first.calls == 1 && later.calls == 1; }, 5s));
  EXPECT_EQ(refused.calls, 0) << "a refused batch's callback must never run";
  ASSERT_TRUE(q->Publish(std::move(refused_batch), refused.Callback()).ok()) << "the window has room again";
  ASSERT_TRUE(WaitFor([&] { return refused.calls == 1; }, 5s));

  std::map<std::string, std::vector<TimestampMs>> got;
  size_t total = 0;
  while (total < 8) {
    auto d = q->Fetch(10, 2s);
    ASSERT_NE(d, nullptr) << "after " << total;
    for (const auto& e : d->envelopes()) got[e.message.device_uid].push_back(*e.message.ts);
    total += d->envelopes().size();
    d->Ack();
  }
  EXPECT_EQ(got["B"], (std::vector<TimestampMs>{1, 2, 3})) << "the refused batch is stored once, after its retry";
  EXPECT_EQ(got.count("D"), 0u);
  EXPECT_EQ(q->Fetch(10, 100ms), nullptr);
}

TEST(NatsQueueTest, NatsInsteadOfNackRedelivers_NackRedeliversFromTheFrontInOrder) {
  auto q = OpenOrFail(Ungrouped());
  ASSERT_NE(q, nullptr);
  CallbackProbe probe;
  std::vector<Envelope> batch;
  for (int i = 1; i <= 5; ++i) batch.push_back(QueueEnvelope("A", i));
  ASSERT_TRUE(q->Publish(std::move(batch), probe.Callback()).ok());
  ASSERT_TRUE(q->Publish({QueueEnvelope("A", 6)}, nullptr).ok());
  ASSERT_TRUE(WaitFor([&] { return probe.calls == 1 && q->depth() == 6; }, 5s));

  auto d = q->Fetch(3, 2s);
  ASSERT_NE(d, nullptr);
  ASSERT_EQ(d->envelopes().size(), 3u);
  EXPECT_EQ(d->envelopes()[0].message.ts, 1);
  d->Nack();
  EXPECT_EQ(q->depth(), 6u);
  std::vector<TimestampMs> order;
  while (order.size() < 6) {
    auto again = q->Fetch(10, 2s);
    ASSERT_NE(again, nullptr);
    for (const auto& e : again->envelopes()) order.push_back(*e.message.ts);
    again->Ack();
  }
  EXPECT_EQ(order, (std::vector<TimestampMs>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(q->depth(), 0u);
}

// Drains the queue, acking each delivery; returns the fix times seen.
std::vector<TimestampMs> DrainAcking(Queue& q, size_t want) {
  std::vector<TimestampMs> seen;
  while (seen.size() < want) {
    auto d = q.Fetch(100, 5s);
    if (!d) break;
    for (const auto& e : d->envelopes()) seen.push_back(*e.message.ts);
    d->Ack();
  }
  return seen;
}

jsAckPolicy ConsumerPolicy(const NatsQueueOptions& o, size_t partition) {
  auto session = NatsSession::Connect(o, nullptr, nullptr);
  if (!session.ok()) return static_cast<jsAckPolicy>(-1);
  jsConsumerInfo* ci = nullptr;
  jsErrCode jerr{};
  const std::string name = ConsumerName(o.durable, partition);
  if (js_GetConsumerInfo(&ci, (*session)->js(), o.stream.c_str(), name.c_str(), nullptr, &jerr) != NATS_OK) {
    return static_cast<jsAckPolicy>(-1);
  }
  const jsAckPolicy policy = ci->Config->AckPolicy;
  jsConsumerInfo_Destroy(ci);
  return policy;
}

// A durable consumer with explicit acks, as an earlier fleetd (or an
// operator by hand) made it; ack_wait_ns 0 keeps the server's default.
bool AddExplicitConsumer(NatsSession& session, const std::string& stream, const std::string& name,
                         const std::string& filter, int64_t ack_wait_ns, const char* deliver_subject = nullptr) {
  jsConsumerConfig cfg;
  jsConsumerConfig_Init(&cfg);
  cfg.Durable = name.c_str();
  cfg.FilterSubject = filter.c_str();
  cfg.AckPolicy = js_AckExplicit;
  if (ack_wait_ns > 0) cfg.AckWait = ack_wait_ns;
  cfg.DeliverSubject = deliver_subject;
  jsConsumerInfo* ci = nullptr;
  if (js_AddConsumer(&ci, session.js(), stream.c_str(), &cfg, nullptr, nullptr) != NATS_OK) return false;
  jsConsumerInfo_Destroy(ci);
  return true;
}

// New consumers ack with AckAll (one ack per partition and batch); every
// message of a batch is then acked (depth 0, nothing redelivered), and a
// consumer an earlier fleetd created with explicit acks keeps working.
TEST(NatsQueueTest, AckAllConsumersAndLegacyExplicitOnes) {
  NatsQueueOptions o = FreshOptions();
  o.ack_wait = 1s;  // anything left un-acked would come back quickly
  {
    auto q = OpenOrFail(o);
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(ConsumerPolicy(o, 0), js_AckAll);
    std::vector<Envelope> batch;
    for (int i = 1; i <= 50; ++i) batch.push_back(QueueEnvelope("dev" + std::to_string(i % 7), i, i % 7));
    CallbackProbe probe;
    ASSERT_TRUE(q->Publish(std::move(batch), probe.Callback()).ok());
    ASSERT_TRUE(WaitFor([&] { return probe.calls == 1; }, 5s));
    EXPECT_EQ(DrainAcking(*q, 50).size(), 50u);
    EXPECT_EQ(q->depth(), 0u);
    std::this_thread::sleep_for(1500ms);  // past ack_wait: an un-acked message would be redelivered
    EXPECT_EQ(q->Fetch(100, 200ms), nullptr) << "a message was not covered by the acks";
  }
  // Legacy: the consumers exist with explicit acks before fleetd opens them.
  NatsQueueOptions legacy = FreshOptions();
  legacy.ack_wait = 1s;
  {
    auto first = OpenOrFail(legacy);  // creates stream and (AckAll) consumers
    ASSERT_NE(first, nullptr);
  }
  {
    auto session = NatsSession::Connect(legacy, nullptr, nullptr);
    ASSERT_TRUE(session.ok());
    for (size_t p = 0; p < legacy.partitions; ++p) {
      const std::string name = ConsumerName(legacy.durable, p);
      const std::string filter = PartitionSubject(legacy.prefix, p);
      ASSERT_EQ(js_DeleteConsumer((*session)->js(), legacy.stream.c_str(), name.c_str(), nullptr, nullptr), NATS_OK);
      ASSERT_TRUE(AddExplicitConsumer(**session, legacy.stream, name, filter, /*ack_wait_ns=*/1000000000LL));
    }
  }
  auto q = OpenOrFail(legacy);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(ConsumerPolicy(legacy, 0), js_AckExplicit);
  std::vector<Envelope> batch;
  for (int i = 1; i <= 30; ++i) batch.push_back(QueueEnvelope("dev" + std::to_string(i % 5), i, i % 5));
  CallbackProbe probe;
  ASSERT_TRUE(q->Publish(std::move(batch), probe.Callback()).ok());
  ASSERT_TRUE(WaitFor([&] { return probe.calls == 1; }, 5s));
  EXPECT_EQ(DrainAcking(*q, 30).size(), 30u);
  EXPECT_EQ(q->depth(), 0u);
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(q->Fetch(100, 200ms), nullptr) << "an explicit consumer's message was not acked";
}

// The fetchers pull by hand on their own inboxes, so the consumer each one
// pulls from is checked as the server reports it: one that filters another
// partition or pushes would deliver the wrong messages, and is named.
TEST(NatsQueueTest, APartitionsConsumerIsCheckedBeforeItIsPulled) {
  NatsQueueOptions o = FreshOptions();
  { ASSERT_NE(OpenOrFail(o), nullptr); }  // stream and consumers
  auto session = NatsSession::Connect(o, nullptr, nullptr);
  ASSERT_TRUE(session.ok());
  auto check = [&](size_t p) -> Result<PartitionConsumer> {
    jsConsumerInfo* ci = nullptr;
    const std::string consumer = ConsumerName(o.durable, p);
    if (js_GetConsumerInfo(&ci, (*session)->js(), o.stream.c_str(), consumer.c_str(), nullptr, nullptr) != NATS_OK) {
      return Status(StatusCode::kNotFound, "no consumer " + consumer);
    }
    auto checked = CheckPartitionConsumer(*ci, o, p);
    jsConsumerInfo_Destroy(ci);
    return checked;
  };
  auto good = check(0);
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_TRUE(good->ack_all);

  const std::string name = ConsumerName(o.durable, 1);
  auto replace = [&](const std::string& filter, const char* deliver_subject) {
    js_DeleteConsumer((*session)->js(), o.stream.c_str(), name.c_str(), nullptr, nullptr);  // if there is one
    if (!filter.empty()) {
      ASSERT_TRUE(AddExplicitConsumer(**session, o.stream, name, filter, /*ack_wait_ns=*/0, deliver_subject));
    }
  };
  replace(PartitionSubject(o.prefix, 2), nullptr);
  auto wrong = check(1);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong.status().message().find(name), std::string::npos) << wrong.status().ToString();
  EXPECT_NE(wrong.status().message().find(PartitionSubject(o.prefix, 1)), std::string::npos);

  replace(PartitionSubject(o.prefix, 1), "fleetd.test.pushed");
  auto pushed = check(1);
  ASSERT_FALSE(pushed.ok());
  EXPECT_NE(pushed.status().message().find("push"), std::string::npos) << pushed.status().ToString();

  // A missing one is made again, and what the server answers is checked.
  replace("", nullptr);
  auto remade = EnsureConsumers(**session, o);
  ASSERT_TRUE(remade.ok()) << remade.status().ToString();
  ASSERT_EQ(remade->size(), o.partitions);
  EXPECT_TRUE((*remade)[1].ack_all);
  EXPECT_TRUE(check(1).ok());

  replace(PartitionSubject(o.prefix, 1), nullptr);  // a legacy explicit consumer
  auto legacy = check(1);
  ASSERT_TRUE(legacy.ok()) << legacy.status().ToString();
  EXPECT_FALSE(legacy->ack_all);
  auto kept = EnsureConsumers(**session, o);  // keeps its explicit acks, and says so
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_FALSE((*kept)[1].ack_all);
}

// A grouped message is never split between deliveries: a Fetch smaller
// than the first message returns it whole; a later message that would not
// fit waits for the next Fetch. Order and exactly-once hold.
TEST(NatsQueueTest, GroupedMessagesComeWholeAndInOrder) {
  NatsQueueOptions o = FreshOptions();
  o.partitions = 1;
  o.group = 4;
  auto q = OpenOrFail(o);
  ASSERT_NE(q, nullptr);
  CallbackProbe probe;
  std::vector<Envelope> batch;
  for (int i = 1; i <= 10; ++i) batch.push_back(QueueEnvelope("A", i));  // messages of 4, 4, 2
  ASSERT_TRUE(q->Publish(std::move(batch), probe.Callback()).ok());
  ASSERT_TRUE(WaitFor([&] { return probe.calls == 1; }, 5s));
  EXPECT_TRUE(probe.last_ok);
  EXPECT_EQ(q->depth(), 3u) << "three JetStream messages";
  auto first = q->Fetch(2, 2s);
  ASSERT_NE(first, nullptr);
  ASSERT_EQ(first->envelopes().size(), 4u) << "the first message comes whole";
  first->Ack();
  auto second = q->Fetch(5, 2s);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->envelopes().size(), 4u) << "4 + 2 would exceed 5: the 2 wait";
  second->Ack();
  auto third = q->Fetch(5, 2s);
  ASSERT_NE(third, nullptr);
  ASSERT_EQ(third->envelopes().size(), 2u);
  EXPECT_EQ(third->envelopes()[0].message.ts, 9);
  EXPECT_EQ(third->envelopes()[1].message.ts, 10);
  third->Ack();
  EXPECT_EQ(q->depth(), 0u);
}

// Lingering: batches published within `linger` of each other share
// JetStream messages (per partition, in publish order), and each batch's
// callback still fires once; without linger each batch is its own message.
TEST(NatsQueueTest, LingeringBatchesShareMessagesAndEachCompletes) {
  for (const auto linger : {std::chrono::milliseconds(200), std::chrono::milliseconds(0)}) {
    NatsQueueOptions o = FreshOptions();
    o.partitions = 1;
    o.linger = linger;
    auto q = OpenOrFail(o);
    ASSERT_NE(q, nullptr);
    std::vector<std::unique_ptr<CallbackProbe>> probes;
    for (int b = 0; b < 5; ++b) {
      probes.push_back(std::make_unique<CallbackProbe>());
      std::vector<Envelope> batch = {QueueEnvelope("dev" + std::to_string(b), 2 * b),
                                     QueueEnvelope("dev" + std::to_string(b), 2 * b + 1)};
      ASSERT_TRUE(q->Publish(std::move(batch), probes.back()->Callback()).ok());
    }
    ASSERT_TRUE(WaitFor([&] {
      for (auto& p : probes) {
        if (p->calls != 1) return false;
      }
      return true;
    }, 5s));
    for (auto& p : probes) EXPECT_TRUE(p->last_ok);
    EXPECT_EQ(q->depth(), linger.count() > 0 ? 1u : 5u) << "JetStream messages for linger " << linger.count() << "ms";
    std::vector<TimestampMs> order;
    while (order.size() < 10) {
      auto d = q->Fetch(100, 2s);
      ASSERT_NE(d, nullptr);
      for (const auto& e : d->envelopes()) order.push_back(*e.message.ts);
      d->Ack();
    }
    EXPECT_EQ(order, (std::vector<TimestampMs>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
    EXPECT_EQ(q->depth(), 0u);
  }
}

// Batches still lingering when the queue closes fail (the devices send
// them again) and give their window back.
TEST(NatsQueueTest, CloseFailsLingeringBatches) {
  NatsQueueOptions o = FreshOptions();
  o.linger = 1000ms;
  auto q = OpenOrFail(o);
  ASSERT_NE(q, nullptr);
  CallbackProbe probe;
  ASSERT_TRUE(q->Publish({QueueEnvelope("A", 1), QueueEnvelope("B", 1)}, probe.Callback()).ok());
  EXPECT_EQ(probe.calls, 0) << "still lingering";
  q->Close();
  EXPECT_EQ(probe.calls, 1);
  EXPECT_FALSE(probe.last_ok);
  EXPECT_EQ(q->Publish({QueueEnvelope("A", 2)}, nullptr).code(), StatusCode::kIoError);
}

// Written but never acked (the process stopped between Stored and Ack):
// JetStream delivers the messages again, so they are rewritten, not lost.
TEST(NatsQueueTest, NackAfterStoredRedeliversForARewrite) {
  auto q = OpenOrFail(FreshOptions());
  ASSERT_NE(q, nullptr);
  CallbackProbe probe;
  ASSERT_TRUE(q->Publish({QueueEnvelope("A", 1), QueueEnvelope("A", 2)}, probe.Callback()).ok());
  ASSERT_TRUE(WaitFor([&] { return probe.calls == 1; }, 5s));
  auto d = q->Fetch(10, 2s);
  ASSERT_NE(d, nullptr);
  ASSERT_EQ(d->envelopes().size(), 2u);
  d->Stored();
  d->Nack();
  std::vector<TimestampMs> again;
  while (again.size() < 2) {
    auto next = q->Fetch(10, 5s);
    ASSERT_NE(next, nullptr) << "not redelivered";
    for (const auto& e : next->envelopes()) again.push_back(*e.message.ts);
    next->Ack();
  }
  EXPECT_EQ(again, (std::vector<TimestampMs>{1, 2}));
  EXPECT_EQ(q->depth(), 0u);
}

TEST(NatsQueueTest, NatsInsteadOfCloseFailsBatches_CloseFailsPublishesJetStreamHasNotAcked) {
  auto q = OpenOrFail(FreshOptions());
  ASSERT_NE(q, nullptr);
  CallbackProbe probe;
  {
    Frozen frozen;
    ASSERT_TRUE(q->Publish({QueueEnvelope("A", 1), QueueEnvelope("A", 2)}, probe.Callback()).ok());
    q->Close();
    EXPECT_EQ(probe.calls, 1) << "a pending callback must not hang after Close";
    EXPECT_FALSE(probe.last_ok);
  }
  std::this_thread::sleep_for(200ms);  // the late JetStream acks arrive and are ignored
  q->Close();
  q.reset();
  EXPECT_EQ(probe.calls, 1);
}

// --- What only JetStream promises ---

TEST(NatsQueueTest, OnDurableFailsWhenJetStreamDoesNotAnswerInTime) {
  NatsQueueOptions o = FreshOptions();
  o.publish_timeout = 300ms;
  auto q = OpenOrFail(o);
  ASSERT_NE(q, nullptr);
  CallbackProbe probe;
  Frozen frozen;
  ASSERT_TRUE(q->Publish({QueueEnvelope("A", 1)}, probe.Callback()).ok());
  ASSERT_TRUE(WaitFor([&] { return probe.calls == 1; }, 5s)) << "no timeout error";
  EXPECT_FALSE(probe.last_ok);
  frozen.Thaw();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(probe.calls, 1) << "exactly once, even if the ack arrives late";
}

TEST(NatsQueueTest, UnackedDeliveryOfACrashedConsumerIsRedeliveredAfterAckWait) {
  NatsQueueOptions o = FreshOptions();
  o.ack_wait = 1s;
  std::chrono::steady_clock::time_point fetched_at;
  std::unique_ptr<Delivery> orphan;
  {
    auto a = OpenOrFail(o);
    ASSERT_NE(a, nullptr);
    CallbackProbe probe;
    ASSERT_TRUE(
        a->Publish({QueueEnvelope("A", 1), QueueEnvelope("A", 2), QueueEnvelope("A", 3)}, probe.Callback()).ok());
    ASSERT_TRUE(WaitFor([&] { return probe.calls == 1; }, 5s));
    orphan = a->Fetch(10, 2s);
    fetched_at = std::chrono::steady_clock::now();
    ASSERT_NE(orphan, nullptr);
    ASSERT_EQ(orphan->envelopes().size(), 3u);
  }                // the consumer process "dies" holding the delivery (its connection is gone)
  orphan.reset();  // acks/naks on a dead connection reach nobody

  auto b = OpenOrFail(o);  // the replacement process, same durable consumers
  ASSERT_NE(b, nullptr);
  auto d = b->Fetch(10, 10s);
  auto redelivered_after = std::chrono::steady_clock::now() - fetched_at;
  ASSERT_NE(d, nullptr) << "never redelivered";
  ASSERT_EQ(d->envelopes().size(), 3u);
  EXPECT_EQ(d->envelopes()[0].message.ts, 1);
  EXPECT_EQ(d->envelopes()[2].message.ts, 3);
  EXPECT_GE(redelivered_after, 900ms) << "redelivered before the ack wait";
  d->Ack();
  EXPECT_EQ(b->depth(), 0u);
}

TEST(NatsQueueTest, MessagesSurviveANatsServerCrash) {
  NatsQueueOptions o = FreshOptions();
  auto q = OpenOrFail(o);
  ASSERT_NE(q, nullptr);
  CallbackProbe probe;
  std::vector<Envelope> batch;
  for (int i = 0; i < 50; ++i) batch.push_back(QueueEnvelope("dev" + std::to_string(i % 5), i, i % 5));
  ASSERT_TRUE(q->Publish(std::move(batch), probe.Callback()).ok());
  ASSERT_TRUE(WaitFor([&] { return probe.calls == 1; }, 5s));
  ASSERT_TRUE(probe.last_ok);

  g_server->Kill();
  ASSERT_EQ(g_server->Start(), "");

  // The same queue object reconnects by itself; a fresh one works too.
  Status s;
  ASSERT_TRUE(WaitFor([&] { return (s = q->Publish({QueueEnvelope("dev0", 1000, 0)}, nullptr)).ok(); }, 20s))
      << s.ToString();
  std::map<std::string, std::vector<TimestampMs>> got;
  size_t total = 0;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (total < 51 && std::chrono::steady_clock::now() < deadline) {
    auto d = q->Fetch(100, 500ms);
    if (!d) continue;
    for (const auto& e : d->envelopes()) got[e.message.device_uid].push_back(*e.message.ts);
    total += d->envelopes().size();
    d->Ack();
  }
  ASSERT_EQ(total, 51u) << "messages lost across the restart";
  for (int dev = 0; dev < 5; ++dev) {
    const auto& ts = got["dev" + std::to_string(dev)];
    ASSERT_EQ(ts.size(), dev == 0 ? 11u : 10u);
    for (size_t i = 0; i < 10; ++i) EXPECT_EQ(ts[i], static_cast<TimestampMs>(i * 5 + dev)) << "dev" << dev;
  }
  EXPECT_EQ(got["dev0"].back(), 1000);
}

TEST(NatsQueueTest, PublishesInFlightWhenTheServerDiesCompleteExactlyOnceAndARetryIsStoredOnce) {
  NatsQueueOptions o = FreshOptions();
  o.publish_timeout = 1s;
  auto q = OpenOrFail(o);
  ASSERT_NE(q, nullptr);
  std::vector<Envelope> batch = {QueueEnvelope("A", 1), QueueEnvelope("B", 2)};
  CallbackProbe probe;
  {
    Frozen frozen;
    ASSERT_TRUE(q->Publish(std::vector<Envelope>(batch), probe.Callback()).ok());
    g_server->Kill();  // crashes while frozen: the publishes may or may not be stored
  }
  ASSERT_EQ(g_server->Start(), "");
  ASSERT_TRUE(WaitFor([&] { return probe.calls == 1; }, 10s)) << "the batch never completed";
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(probe.calls, 1) << "exactly once";
  if (!probe.last_ok) {
    // What a listener does: the device was not acked, so it sends again.
    CallbackProbe retry;
    Status s;
    ASSERT_TRUE(WaitFor([&] { return (s = q->Publish(std::vector<Envelope>(batch), retry.Callback())).ok(); }, 20s))
        << s.ToString();
    ASSERT_TRUE(WaitFor([&] { return retry.calls == 1; }, 10s));
    ASSERT_TRUE(retry.last_ok);
  }
  std::multiset<std::string> got;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (got.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    auto d = q->Fetch(10, 200ms);
    if (!d) continue;
    for (const auto& e : d->envelopes()) got.insert(e.message.device_uid);
    d->Ack();
  }
  EXPECT_EQ(got, (std::multiset<std::string>{"A", "B"}));
  EXPECT_EQ(q->Fetch(10, 300ms), nullptr) << "stored twice";
}

TEST(NatsQueueTest, OversizedEnvelopeIsRefusedNotRetriedForever) {
  auto q = OpenOrFail(FreshOptions());
  ASSERT_NE(q, nullptr);
  Envelope big = QueueEnvelope("A", 1);
  big.message.attributes.Set("blob", std::string(2 << 20, 'x'));  // beyond the default 1 MiB max_payload
  std::vector<Envelope> batch = {QueueEnvelope("A", 0), big};
  Status s = q->Publish(std::move(batch), nullptr);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("max_payload"), std::string::npos) << s.message();
  EXPECT_EQ(batch.size(), 2u);  // NOLINT(bugprone-use-after-move): refused batches are untouched
  EXPECT_EQ(q->depth(), 0u);
}

TEST(NatsQueueTest, RepublishAfterACrashIsStoredOnce) {
  auto q = OpenOrFail(FreshOptions());
  ASSERT_NE(q, nullptr);
  Envelope e = QueueEnvelope("359710040000001", 1767225600000);
  Envelope retransmit = e;
  retransmit.message.received_at += 30000;  // the device sent it again after fleetd restarted
  CallbackProbe a, b;
  ASSERT_TRUE(q->Publish({e}, a.Callback()).ok());
  ASSERT_TRUE(WaitFor([&] { return a.calls == 1; }, 5s));
  ASSERT_TRUE(q->Publish({retransmit}, b.Callback()).ok());
  ASSERT_TRUE(WaitFor([&] { return b.calls == 1; }, 5s));
  EXPECT_TRUE(a.last_ok);
  EXPECT_TRUE(b.last_ok) << "a duplicate is durable too";
  EXPECT_EQ(q->depth(), 1u) << "the stream's duplicate window dropped the retransmission";
  auto d = q->Fetch(10, 2s);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->envelopes().size(), 1u);
  d->Ack();
  EXPECT_EQ(q->Fetch(10, 200ms), nullptr);
}

// Each partition's envelopes of a batch share JetStream messages, `group`
// at a time: 20 envelopes over 4 partitions with group=3 are
// sum(ceil(n/3)) messages, each on its partition's subject.
TEST(NatsQueueTest, DevicesLandOnTheirStablePartition) {
  NatsQueueOptions o = FreshOptions();
  o.partitions = 4;
  o.group = 3;
  auto q = OpenOrFail(o);
  ASSERT_NE(q, nullptr);
  std::vector<Envelope> batch;
  std::map<size_t, uint64_t> expected;
  for (int i = 0; i < 20; ++i) {
    std::string uid = "3597100400" + std::to_string(10000 + i);
    batch.push_back(QueueEnvelope(uid, i));
    ++expected[PartitionOf(uid, 4)];
  }
  CallbackProbe probe;
  ASSERT_TRUE(q->Publish(std::move(batch), probe.Callback()).ok());
  ASSERT_TRUE(WaitFor([&] { return probe.calls == 1; }, 5s));

  auto inspect = NatsSession::Connect(o, nullptr, nullptr);
  ASSERT_TRUE(inspect.ok()) << inspect.status().ToString();
  for (size_t p = 0; p < 4; ++p) {
    jsConsumerInfo* ci = nullptr;
    ASSERT_EQ(js_GetConsumerInfo(&ci, (*inspect)->js(), o.stream.c_str(), ConsumerName(o.durable, p).c_str(), nullptr,
                                 nullptr),
              NATS_OK);
    EXPECT_EQ(ci->NumPending, (expected[p] + 2) / 3) << "partition " << p << ": messages of up to 3 envelopes";
    EXPECT_STREQ(ci->Config->FilterSubject, PartitionSubject(o.prefix, p).c_str());
    jsConsumerInfo_Destroy(ci);
  }

  // Another partition count on the same stream would move devices: refused.
  NatsQueueOptions other = o;
  other.partitions = 8;
  auto refused = NatsQueue::Open(other);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("partitions=4"), std::string::npos) << refused.status().message();
}

TEST(NatsQueueTest, StreamIsCreatedWithTheConfiguredLimits) {
  NatsQueueOptions o = FreshOptions();
  o.max_age = 36h;
  o.max_bytes = 256LL << 20;
  o.dedup_window = 90s;
  auto q = OpenOrFail(o);
  ASSERT_NE(q, nullptr);
  auto inspect = NatsSession::Connect(o, nullptr, nullptr);
  ASSERT_TRUE(inspect.ok());
  jsStreamInfo* si = nullptr;
  ASSERT_EQ(js_GetStreamInfo(&si, (*inspect)->js(), o.stream.c_str(), nullptr, nullptr), NATS_OK);
  EXPECT_EQ(si->Config->Storage, js_FileStorage);
  EXPECT_EQ(si->Config->Retention, js_LimitsPolicy);
  EXPECT_EQ(si->Config->MaxAge, 36LL * 3600 * 1000000000);
  EXPECT_EQ(si->Config->MaxBytes, 256LL << 20);
  EXPECT_EQ(si->Config->Duplicates, 90LL * 1000000000);
  ASSERT_EQ(si->Config->SubjectsLen, 1);
  EXPECT_STREQ(si->Config->Subjects[0], (o.prefix + ".msg.*").c_str());
  jsStreamInfo_Destroy(si);
  q.reset();

  // Restarting with new limits updates the existing stream.
  o.max_age = 48h;
  q = OpenOrFail(o);
  ASSERT_NE(q, nullptr);
  ASSERT_EQ(js_GetStreamInfo(&si, (*inspect)->js(), o.stream.c_str(), nullptr, nullptr), NATS_OK);
  EXPECT_EQ(si->Config->MaxAge, 48LL * 3600 * 1000000000);
  jsStreamInfo_Destroy(si);
}

TEST(NatsQueueTest, PoisonMessageIsTerminatedAndDoesNotBlockItsPartition) {
  NatsQueueOptions o = FreshOptions();
  o.partitions = 1;
  auto q = OpenOrFail(o);
  ASSERT_NE(q, nullptr);
  auto raw = NatsSession::Connect(o, nullptr, nullptr);
  ASSERT_TRUE(raw.ok());
  const std::string junk = "\x01\xff\xff\xff";  // version 1, then a lie
  ASSERT_EQ(js_Publish(nullptr, (*raw)->js(), PartitionSubject(o.prefix, 0).c_str(), junk.data(),
                       static_cast<int>(junk.size()), nullptr, nullptr),
            NATS_OK);
  CallbackProbe probe;
  ASSERT_TRUE(q->Publish({QueueEnvelope("A", 1)}, probe.Callback()).ok());
  auto d = q->Fetch(10, 5s);
  ASSERT_NE(d, nullptr);
  ASSERT_EQ(d->envelopes().size(), 1u);
  EXPECT_EQ(d->envelopes()[0].message.ts, 1);
  d->Ack();
  EXPECT_EQ(q->consumer().poison_messages(), 1u);
  EXPECT_TRUE(WaitFor([&] { return q->depth() == 0; }, 2s)) << "the poison message was not terminated";
}

TEST(NatsQueueTest, UnreachableServerIsAClearError) {
  NatsQueueOptions o = FreshOptions();
  uint16_t unused = fleetd::test::PickFreePort();
  o.servers = {"nats://127.0.0.1:" + std::to_string(unused)};
  o.connect_timeout = 500ms;
  auto q = NatsQueue::Open(o);
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.status().code(), StatusCode::kIoError);
  EXPECT_NE(q.status().message().find("cannot connect to NATS at nats://127.0.0.1:" + std::to_string(unused)),
            std::string::npos)
      << q.status().message();
}

TEST(NatsQueueTest, ServerWithoutJetStreamIsAClearError) {
  auto program = fleetd::test::FindProgram("nats-server");
  ASSERT_TRUE(program.has_value()) << "nats-server is not installed";
  uint16_t port = fleetd::test::PickFreePort();
  std::string dir = fleetd::test::MakeTempDir("fleetd-nats-nojs-");
  auto plain =
      fleetd::test::ServerProcess::Start({*program, "-p", std::to_string(port), "-a", "127.0.0.1"}, dir + "/log");
  ASSERT_NE(plain, nullptr);
  ASSERT_TRUE(fleetd::test::WaitForPort(port, 10s));
  auto q = NatsQueue::Open("nats://127.0.0.1:" + std::to_string(port) + "?stream=NOJS");
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.status().message().find("cannot create JetStream stream 'NOJS'"), std::string::npos)
      << q.status().message();
  plain.reset();
  fleetd::test::RemoveTree(dir);
}

TEST(NatsQueueTest, OpenFromUrl) {
  auto bad = NatsQueue::Open(g_server->url() + "?partitions=zero");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  const NatsQueueOptions fresh = test::FreshStream(g_server->url(), 'U');  // only its names are used
  auto q = NatsQueue::Open(g_server->url() + "?stream=" + fresh.stream + "&prefix=" + fresh.prefix +
                           "&partitions=2&window=10");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ((*q)->options().partitions, 2u);
  EXPECT_EQ((*q)->options().window, 10u);
  CallbackProbe probe;
  ASSERT_TRUE((*q)->Publish({QueueEnvelope("A", 5)}, probe.Callback()).ok());
  auto d = (*q)->Fetch(1, 5s);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->envelopes().at(0).message.ts, 5);
  d->Ack();
}

TEST(NatsQueueTest, ConsumeLimitsAProcessToItsPartitions) {
  NatsQueueOptions o = FreshOptions();
  o.partitions = 2;
  std::string on0, on1;  // a device on each partition
  for (int i = 0; on0.empty() || on1.empty(); ++i) {
    std::string uid = "dev" + std::to_string(i);
    (PartitionOf(uid, 2) == 0 ? on0 : on1) = uid;
  }
  NatsQueueOptions only1 = o;
  only1.consume = {1};
  auto producer = OpenOrFail(o);
  ASSERT_NE(producer, nullptr);
  auto worker = OpenOrFail(only1);
  ASSERT_NE(worker, nullptr);
  CallbackProbe probe;
  ASSERT_TRUE(producer->Publish({QueueEnvelope(on0, 1), QueueEnvelope(on1, 2)}, probe.Callback()).ok());
  auto d = worker->Fetch(10, 5s);
  ASSERT_NE(d, nullptr);
  ASSERT_EQ(d->envelopes().size(), 1u);
  EXPECT_EQ(d->envelopes()[0].message.device_uid, on1);
  d->Ack();
  EXPECT_EQ(worker->Fetch(10, 300ms), nullptr) << "partition 0 belongs to another process";
}

// A partition keeps one pull request live and JetStream delivers each
// message on it as it is stored: a trickle of messages costs a pull per
// fetch_batch messages or per pull lifetime, not a request (or two) per
// message. The requests are counted on the JetStream API subject itself.
TEST(NatsQueueTest, ATrickleOfMessagesArrivesOnOneLivePullNotAPullPerMessage) {
  NatsQueueOptions o = FreshOptions();
  o.partitions = 1;
  o.linger = 0ms;
  natsConnection* watcher = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&watcher, g_server->url().c_str()), NATS_OK);
  natsSubscription* pulls = nullptr;
  const std::string next = "$JS.API.CONSUMER.MSG.NEXT." + o.stream + ".>";
  ASSERT_EQ(natsConnection_SubscribeSync(&pulls, watcher, next.c_str()), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(watcher), NATS_OK);
  auto q = OpenOrFail(o);
  ASSERT_NE(q, nullptr);
  constexpr int kMessages = 60;
  int received = 0;
  for (int i = 1; i <= kMessages; ++i) {
    CallbackProbe probe;
    ASSERT_TRUE(q->Publish({QueueEnvelope("A", i)}, probe.Callback()).ok());
    auto d = q->Fetch(10, 5s);
    ASSERT_NE(d, nullptr) << "message " << i << " was not delivered";
    for (const auto& e : d->envelopes()) EXPECT_EQ(e.message.ts, ++received);
    d->Ack();
  }
  EXPECT_EQ(received, kMessages);
  q.reset();
  ASSERT_EQ(natsConnection_Flush(watcher), NATS_OK);
  int requests = 0;
  ASSERT_EQ(natsSubscription_GetPending(pulls, &requests, nullptr), NATS_OK);
  // One per 500 ms pull lifetime over the run, plus the first: far fewer
  // than the 60 messages (a pull per message would be 60 or more).
  EXPECT_LE(requests, 12) << "pull requests for " << kMessages << " messages";
  EXPECT_GE(requests, 1);
  natsSubscription_Destroy(pulls);
  natsConnection_Destroy(watcher);
}

}  // namespace
}  // namespace fleetd::nats

int main(int argc, char** argv) {
  // See the comment at the top: contract tests whose assumption (durable =
  // consumer-acked, capacity = un-consumed) is MemoryQueue's, not JetStream's.
  testing::GTEST_FLAG(filter) = fleetd::nats::test::WithoutMemoryQueueContractTests("Nats");
  testing::InitGoogleTest(&argc, argv);  // a --gtest_filter given on the command line wins
  return fleetd::nats::test::RunAllTestsWithServer(&fleetd::nats::g_server);
}
