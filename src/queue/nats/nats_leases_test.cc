// consume=auto against a real nats-server started by this binary: several
// NatsQueues on one stream play several `fleetd process` copies. What must
// hold: the partitions are split disjointly and all of them are consumed; a
// crashed worker's partitions are taken over after the lease, its un-acked
// messages first; a worker joining rebalances without a partition ever
// being delivered by two workers at once; every message is acked exactly
// once and each device's messages are acked in order; static modes take no
// leases; a lease taken away stops its partition at once.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "contract/queue_contract.h"
#include "queue/nats/nats_leases.h"
#include "queue/nats/nats_queue.h"
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
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

test::NatsTestServer* g_server = nullptr;

NatsQueueOptions LeasedOptions(size_t partitions, std::chrono::milliseconds lease = 2s) {
  NatsQueueOptions o = test::FreshStream(g_server->url(), 'L');
  o.partitions = partitions;
  o.ack_wait = 3s;
  o.lease = lease;
  o.consume_mode = NatsQueueOptions::ConsumeMode::kAuto;
  return o;
}

// Polled every 20 ms.
template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds timeout) {
  return test::WaitFor(pred, timeout, 20ms);
}

// One delivery as a worker saw it.
struct Record {
  int worker = 0;
  Clock::time_point fetched, acked;
  std::vector<std::pair<std::string, TimestampMs>> messages;
  std::set<size_t> partitions;
  uint64_t ack_order = 0;  // global order of Ack() completions
};

// What every worker recorded, shared.
struct Log {
  std::mutex mu;
  std::vector<Record> records;
  std::atomic<uint64_t> acks{0};
  std::atomic<size_t> acked_messages{0};
};

// A `fleetd process` copy: Fetch, "write" (sleep), Ack, until stopped. With
// crash_after = k, it acks k deliveries, keeps the next one un-acked and
// crashes its queue (no lease given back).
class Worker {
 public:
  Worker(int id, std::unique_ptr<NatsQueue> q, Log& log, size_t partitions, int crash_after = -1)
      : id_(id), q_(std::move(q)), log_(log) {
    thread_ = std::thread([this, partitions, crash_after] {
      int done = 0;
      while (!stop_) {
        auto d = q_->Fetch(8, 100ms);
        if (!d) continue;
        Record r;
        r.worker = id_;
        r.fetched = Clock::now();
        for (const auto& e : d->envelopes()) {
          r.messages.emplace_back(e.message.device_uid, *e.message.ts);
          r.partitions.insert(PartitionOf(e.message.device_uid, partitions));
        }
        if (crash_after >= 0 && done == crash_after) {
          held_ = std::move(d);  // never acked
          crashed_messages_ = r.messages.size();
          q_->CrashForTest();
          crashed_ = true;
          return;
        }
        std::this_thread::sleep_for(2ms);  // the durable write
        d->Ack();
        r.acked = Clock::now();
        r.ack_order = ++log_.acks;
        log_.acked_messages += r.messages.size();
        ++done;
        std::lock_guard lock(log_.mu);
        log_.records.push_back(std::move(r));
      }
    });
  }
  ~Worker() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  NatsQueue& queue() { return *q_; }
  bool crashed() const { return crashed_; }
  size_t crashed_messages() const { return crashed_messages_; }
  std::set<size_t> owned() const {
    auto v = q_->consumer().OwnedPartitions();
    return {v.begin(), v.end()};
  }

 private:
  int id_;
  std::unique_ptr<NatsQueue> q_;
  Log& log_;
  std::atomic<bool> stop_{false}, crashed_{false};
  std::atomic<size_t> crashed_messages_{0};
  std::unique_ptr<Delivery> held_;
  std::thread thread_;
};

// Publishes `per_device` messages (ts 1..n) for each device, in batches.
void PublishSequences(NatsQueue& q, const std::vector<std::string>& devices, int per_device,
                      std::chrono::milliseconds pause = 0ms, int from = 1) {
  CallbackProbe probe;
  int batches = 0;
  for (int ts = from; ts <= per_device; ++ts) {
    std::vector<Envelope> batch;
    for (size_t d = 0; d < devices.size(); ++d) {
      batch.push_back(QueueEnvelope(devices[d], ts, static_cast<int64_t>(d + 1)));
    }
    Status s;
    ASSERT_TRUE(WaitFor([&] { return (s = q.Publish(std::vector<Envelope>(batch), probe.Callback())).ok(); }, 5s))
        << s.ToString();
    ++batches;
    if (pause > 0ms) std::this_thread::sleep_for(pause);
  }
  ASSERT_TRUE(WaitFor([&] { return probe.calls == batches; }, 10s));
}

std::vector<std::string> Devices(size_t n) {
  std::vector<std::string> v;
  for (size_t i = 0; i < n; ++i) v.push_back("35971004" + std::to_string(1000000 + i));
  return v;
}

// Every device's messages acked exactly once, 1..per_device, in ack order.
void ExpectAckedOnceInOrder(Log& log, const std::vector<std::string>& devices, int per_device) {
  std::lock_guard lock(log.mu);
  std::vector<const Record*> by_ack;
  for (const auto& r : log.records) by_ack.push_back(&r);
  std::sort(by_ack.begin(), by_ack.end(), [](auto* a, auto* b) { return a->ack_order < b->ack_order; });
  std::map<std::string, std::vector<TimestampMs>> got;
  for (const Record* r : by_ack) {
    for (const auto& [uid, ts] : r->messages) got[uid].push_back(ts);
  }
  std::vector<TimestampMs> want;
  for (int ts = 1; ts <= per_device; ++ts) want.push_back(ts);
  for (const auto& uid : devices) EXPECT_EQ(got[uid], want) << "device " << uid;
}

// No partition delivered by two workers at overlapping times: a delivery
// of worker X on partition p lies between fetch and ack; a delivery of
// another worker on p must not start before it was acked.
void ExpectNoOverlap(Log& log) {
  std::lock_guard lock(log.mu);
  std::map<size_t, std::vector<const Record*>> by_part;
  for (const auto& r : log.records) {
    for (size_t p : r.partitions) by_part[p].push_back(&r);
  }
  for (auto& [p, rs] : by_part) {
    std::sort(rs.begin(), rs.end(), [](auto* a, auto* b) { return a->fetched < b->fetched; });
    for (size_t i = 1; i < rs.size(); ++i) {
      if (rs[i]->worker != rs[i - 1]->worker) {
        EXPECT_GE(rs[i]->fetched, rs[i - 1]->acked)
            << "partition " << p << " delivered by worker " << rs[i]->worker << " while worker " << rs[i - 1]->worker
            << " still held it";
      }
    }
  }
}

std::map<int, std::set<size_t>> PartitionsByWorker(Log& log) {
  std::lock_guard lock(log.mu);
  std::map<int, std::set<size_t>> out;
  for (const auto& r : log.records) out[r.worker].insert(r.partitions.begin(), r.partitions.end());
  return out;
}

bool DisjointCover(const std::vector<std::set<size_t>>& sets, size_t partitions) {
  std::set<size_t> all;
  size_t total = 0;
  for (const auto& s : sets) {
    all.insert(s.begin(), s.end());
    total += s.size();
  }
  return total == partitions && all.size() == partitions;
}

// The shared Queue contract with consume=all (the old default), so the
// static mode keeps its behaviour; queue_nats_test runs it on the default
// (consume=auto). The same six JetStream-inapplicable tests are filtered.
INSTANTIATE_TEST_SUITE_P(NatsAll, QueueContractTest,
                         testing::Values(QueueContractParam{
                             "NatsAll",
                             [](size_t capacity) -> std::unique_ptr<Queue> {
                               NatsQueueOptions o = LeasedOptions(16);
                               o.consume_mode = NatsQueueOptions::ConsumeMode::kAll;
                               o.window = capacity;
                               o.ack_wait = 30s;
                               return OpenOrFail(o);
                             }}),
                         contract::QueueContractParamName);

TEST(NatsLeasesTest, TwoWorkersSharePartitionsDisjointlyAndCoverAll) {
  NatsQueueOptions o = LeasedOptions(8);
  Log log;
  auto producer = OpenOrFail(o);  // never fetches: holds no lease
  ASSERT_NE(producer, nullptr);
  Worker a(1, OpenOrFail(o), log, 8), b(2, OpenOrFail(o), log, 8);
  ASSERT_TRUE(WaitFor(
      [&] {
        auto sa = a.owned(), sb = b.owned();
        return sa.size() == 4 && sb.size() == 4 && DisjointCover({sa, sb}, 8);
      },
      20s))
      << "a=" << a.owned().size() << " b=" << b.owned().size();

  // The bucket agrees with what each worker believes it holds.
  auto session = NatsSession::Connect(o, nullptr, nullptr);
  ASSERT_TRUE(session.ok());
  auto observer = LeaseTable::Open(*session, o, "observer");
  ASSERT_TRUE(observer.ok()) << observer.status().ToString();
  auto workers = (*observer)->LiveWorkers();
  ASSERT_TRUE(workers.ok());
  EXPECT_EQ(*workers, 2u) << "the producer must not count as a worker";
  for (size_t p : a.owned()) EXPECT_EQ(*(*observer)->Holder(p), a.queue().consumer().worker_id()) << p;
  for (size_t p : b.owned()) EXPECT_EQ(*(*observer)->Holder(p), b.queue().consumer().worker_id()) << p;

  const auto devices = Devices(24);
  PublishSequences(*producer, devices, 10);
  ASSERT_TRUE(WaitFor([&] { return log.acked_messages == 240; }, 20s)) << log.acked_messages;
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(log.acked_messages, 240u) << "delivered twice";
  a.Stop();
  b.Stop();
  ExpectAckedOnceInOrder(log, devices, 10);
  auto by = PartitionsByWorker(log);
  EXPECT_TRUE(DisjointCover({by[1], by[2]}, 8)) << "each partition consumed by exactly one worker";
}

TEST(NatsLeasesTest, CrashedWorkersPartitionsAreTakenOverWithItsUnackedMessagesFirst) {
  NatsQueueOptions o = LeasedOptions(4);
  const auto devices = Devices(12);
  Log log;
  auto producer = OpenOrFail(o);
  ASSERT_NE(producer, nullptr);

  auto qa = OpenOrFail(o);
  auto qb = OpenOrFail(o);
  ASSERT_TRUE(qa && qb);
  // B first, alone for a moment, then A joins: they settle at 2 + 2. Only
  // then the backlog: published earlier, B alone drained most of it before
  // A held anything (CI saw A get under 4 deliveries in 30 s).
  auto b = std::make_unique<Worker>(2, std::move(qb), log, 4);
  auto a = std::make_unique<Worker>(1, std::move(qa), log, 4, /*crash_after=*/3);
  ASSERT_TRUE(WaitFor([&] { return a->owned().size() == 2 && b->owned().size() == 2; }, 20s))
      << "a=" << a->owned().size() << " b=" << b->owned().size();
  // A crashes on its fourth delivery, holding it un-acked.
  PublishSequences(*producer, devices, 30);
  ASSERT_TRUE(WaitFor([&] { return a->crashed(); }, 30s))
      << "A never got 4 deliveries; " << log.acked_messages << " of 360 acked meanwhile";
  const auto crashed_at = Clock::now();
  EXPECT_GT(a->crashed_messages(), 0u);
  // Newer messages after the crash: B must not deliver them before A's
  // un-acked ones come back (A had prefetched all of its partitions).
  PublishSequences(*producer, devices, 40, 0ms, /*from=*/31);

  ASSERT_TRUE(WaitFor([&] { return log.acked_messages == 480; }, 40s)) << log.acked_messages << " of 480 acked";
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(log.acked_messages, 480u) << "something was acked twice";
  EXPECT_EQ(b->owned().size(), 4u) << "B holds every partition after the takeover";
  b->Stop();
  a->Stop();
  ExpectAckedOnceInOrder(log, devices, 40);
  ExpectNoOverlap(log);

  // A's partitions reached B only after the lease expired.
  auto by = PartitionsByWorker(log);
  ASSERT_FALSE(by[1].empty()) << "A acked nothing before crashing";
  std::lock_guard lock(log.mu);
  for (const auto& r : log.records) {
    if (r.worker != 2) continue;
    for (size_t p : r.partitions) {
      if (by[1].count(p) && r.fetched > crashed_at - 100ms) {
        EXPECT_GE(r.fetched - crashed_at, o.lease - 800ms) << "partition " << p << " taken before the lease ran out";
      }
    }
  }
}

TEST(NatsLeasesTest, ThirdWorkerJoiningRebalancesWithoutTwoHoldersAtOnce) {
  NatsQueueOptions o = LeasedOptions(8);
  const auto devices = Devices(32);
  Log log;
  auto producer = OpenOrFail(o);
  ASSERT_NE(producer, nullptr);
  auto a = std::make_unique<Worker>(1, OpenOrFail(o), log, 8);
  auto b = std::make_unique<Worker>(2, OpenOrFail(o), log, 8);
  ASSERT_TRUE(WaitFor([&] { return DisjointCover({a->owned(), b->owned()}, 8); }, 20s));

  const int per_device = 120;
  std::thread publisher([&] { PublishSequences(*producer, devices, per_device, 50ms); });  // ~6 s
  std::this_thread::sleep_for(1500ms);
  auto c = std::make_unique<Worker>(3, OpenOrFail(o), log, 8);
  // ceil(8 / 3) = 3: C ends with 2 or 3, A and B give up what it takes.
  const bool balanced = WaitFor(
      [&] {
        auto sa = a->owned(), sb = b->owned(), sc = c->owned();
        return sc.size() >= 2 && sa.size() <= 3 && sb.size() <= 3 && DisjointCover({sa, sb, sc}, 8);
      },
      25s);
  publisher.join();
  EXPECT_TRUE(balanced) << "a=" << a->owned().size() << " b=" << b->owned().size() << " c=" << c->owned().size();
  const size_t total = devices.size() * per_device;
  ASSERT_TRUE(WaitFor([&] { return log.acked_messages == total; }, 30s)) << log.acked_messages << " of " << total;
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(log.acked_messages, total) << "something was acked twice";
  a->Stop();
  b->Stop();
  c->Stop();
  ExpectNoOverlap(log);
  ExpectAckedOnceInOrder(log, devices, per_device);
  EXPECT_FALSE(PartitionsByWorker(log)[3].empty()) << "C consumed nothing";
  EXPECT_EQ(a->queue().consumer().leases_lost() + b->queue().consumer().leases_lost(), 0u)
      << "rebalancing must give leases back, not lose them";
}

TEST(NatsLeasesTest, ALeaseTakenAwayStopsItsPartitionAtOnce) {
  NatsQueueOptions o = LeasedOptions(1, 3s);
  auto q = OpenOrFail(o);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->Fetch(1, 50ms), nullptr);  // starts the keeper
  ASSERT_TRUE(WaitFor([&] { return q->consumer().OwnedPartitions().size() == 1; }, 10s));
  // Someone else's write on the key (as if it had expired and been taken).
  auto session = NatsSession::Connect(o, nullptr, nullptr);
  ASSERT_TRUE(session.ok());
  kvStore* kv = nullptr;
  ASSERT_EQ(js_KeyValue(&kv, (*session)->js(), LeaseBucketName(o).c_str()), NATS_OK);
  ASSERT_EQ(kvStore_PutString(nullptr, kv, "p.0", "intruder"), NATS_OK);
  ASSERT_TRUE(WaitFor([&] { return q->consumer().leases_lost() == 1; }, 5s)) << "the renewal did not notice";
  EXPECT_TRUE(q->consumer().OwnedPartitions().empty());
  CallbackProbe probe;
  ASSERT_TRUE(q->Publish({QueueEnvelope("A", 1)}, probe.Callback()).ok());
  EXPECT_EQ(q->Fetch(10, 1500ms), nullptr) << "fetched from a partition whose lease is gone";
  kvStore_Destroy(kv);
}

TEST(NatsLeasesTest, AWorkerStoppingCleanlyHandsOverAtOnce) {
  NatsQueueOptions o = LeasedOptions(2, 10s);  // long lease and ack_wait: only a clean release is this fast
  o.ack_wait = 10s;
  auto a = OpenOrFail(o);
  ASSERT_NE(a, nullptr);
  CallbackProbe probe;
  ASSERT_TRUE(a->Publish({QueueEnvelope("A", 1), QueueEnvelope("B", 2)}, probe.Callback()).ok());
  ASSERT_TRUE(WaitFor([&] { return probe.calls == 1; }, 5s));
  auto d = a->Fetch(1, 5s);  // one message, acked; the rest stays buffered (nak'ed on stop)
  ASSERT_NE(d, nullptr);
  d->Ack();
  d.reset();
  a.reset();
  auto b = OpenOrFail(o);
  ASSERT_NE(b, nullptr);
  const auto start = Clock::now();
  auto next = b->Fetch(10, 5s);
  ASSERT_NE(next, nullptr) << "not handed over";
  EXPECT_LT(Clock::now() - start, 3s) << "waited for a lease or ack_wait after a clean stop";
  EXPECT_EQ(next->envelopes().size(), 1u);
  next->Ack();
}

TEST(NatsLeasesTest, StaticModesTakeNoLeases) {
  NatsQueueOptions o = LeasedOptions(4);
  NatsQueueOptions all = o, list = o;
  all.consume_mode = NatsQueueOptions::ConsumeMode::kAll;
  list.consume = {1, 3};
  auto qa = OpenOrFail(all);
  auto ql = OpenOrFail(list);
  ASSERT_TRUE(qa && ql);
  EXPECT_EQ(qa->consumer().OwnedPartitions(), (std::vector<size_t>{0, 1, 2, 3}));
  EXPECT_EQ(ql->consumer().OwnedPartitions(), (std::vector<size_t>{1, 3}));
  EXPECT_EQ(qa->Fetch(1, 50ms), nullptr);
  EXPECT_EQ(ql->Fetch(1, 50ms), nullptr);
  std::this_thread::sleep_for(300ms);
  auto session = NatsSession::Connect(o, nullptr, nullptr);
  ASSERT_TRUE(session.ok());
  kvStore* kv = nullptr;
  EXPECT_NE(js_KeyValue(&kv, (*session)->js(), LeaseBucketName(o).c_str()), NATS_OK) << "a lease bucket was created";
  if (kv != nullptr) kvStore_Destroy(kv);
}

TEST(NatsLeasesTest, AnotherLeaseTimeOnTheSameStreamIsRefused) {
  NatsQueueOptions o = LeasedOptions(2, 2s);
  auto first = OpenOrFail(o);
  ASSERT_NE(first, nullptr);
  NatsQueueOptions other = o;
  other.lease = 5s;
  auto refused = NatsQueue::Open(other);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("same lease"), std::string::npos) << refused.status().message();
}

TEST(NatsLeasesTest, FairShare) {
  EXPECT_EQ(FairShare(16, 0), 16u);
  EXPECT_EQ(FairShare(16, 1), 16u);
  EXPECT_EQ(FairShare(16, 3), 6u);
  EXPECT_EQ(FairShare(8, 3), 3u);
  EXPECT_EQ(FairShare(4, 8), 1u);
  const std::string id = NewWorkerId();
  EXPECT_EQ(id.find(' '), 16u) << id;
  EXPECT_NE(id, NewWorkerId());
}

}  // namespace
}  // namespace fleetd::nats

int main(int argc, char** argv) {
  // As in nats_queue_test.cc: contract tests whose meaning of "durable" and
  // "capacity" is MemoryQueue's.
  testing::GTEST_FLAG(filter) = fleetd::nats::test::WithoutMemoryQueueContractTests("NatsAll");
  testing::InitGoogleTest(&argc, argv);
  return fleetd::nats::test::RunAllTestsWithServer(&fleetd::nats::g_server);
}
