// Processor: every message written once, acked only after its write and its
// live update, per-device order kept in the store and the live state, the
// live update not waiting for the write, the next write overlapping the
// last batch's finishing, failed writes retried, Stop finishing what was
// written, and the events of a batch
// published before its ack (held back while the sink fails). On the
// in-process queue with a recording store, live state and event sink.
#include "process/processor.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>

#include "contract/queue_envelope.h"
#include "queue/memory/memory_queue.h"

namespace fleetd {
namespace {

using namespace std::chrono_literals;
using contract::QueueEnvelope;

Status Unused() { return Status(StatusCode::kInternal, "not used by the processor"); }

bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

// Records every write; can fail the first `fail_first` writes.
class RecordingStore final : public Store {
 public:
  Result<WriteStats> WriteBatch(std::span<const Envelope> batch) override {
    if (on_write) on_write();
    std::lock_guard lock(mu);
    if (fail_first > 0) {
      --fail_first;
      return Status(StatusCode::kIoError, "disk on fire");
    }
    WriteStats stats;
    for (const Envelope& e : batch) {
      if (stored.insert({e.message.device_uid, *e.message.ts}).second) {
        ++stats.positions_written;
        order[e.message.device_uid].push_back(*e.message.ts);
      } else {
        ++stats.duplicates;
      }
    }
    ++writes;
    batch_sizes.push_back(batch.size());
    cv.notify_all();
    return stats;
  }
  bool WaitForWrites(int n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [&] { return writes >= n; });
  }
  bool WaitForRows(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [&] { return stored.size() >= n; });
  }

  Result<WriteStats> RewriteBatch(std::span<const Envelope>) override { return Unused(); }
  Result<PositionPage> QueryPositions(const PositionQuery&) override { return Unused(); }
  Result<std::vector<Envelope>> LatestPositions(std::optional<int64_t>) override { return Unused(); }
  Result<Tenant> AddTenant(const std::string&) override { return Unused(); }
  Result<Tenant> FindTenant(const std::string&) override { return Unused(); }
  Result<Tenant> FindTenantById(int64_t) override { return Unused(); }
  Result<Device> AddDevice(int64_t, const std::string&, const std::string&) override { return Unused(); }
  Result<Device> FindDeviceByUid(const std::string&) override { return Unused(); }
  Result<std::vector<Device>> ListDevices(int64_t) override { return Unused(); }
  Result<Device> UpdateDeviceSettings(const std::string&, const DeviceSettings&) override { return Unused(); }
  Status RemoveDevice(const std::string&) override { return Unused(); }
  Result<User> AddUser(const User&) override { return Unused(); }
  Result<User> FindUserByEmail(const std::string&) override { return Unused(); }
  Status RecordPending(const PendingDevice&) override { return Unused(); }
  Result<std::vector<PendingDevice>> ListPending() override { return Unused(); }
  Status RemovePending(const std::string&) override { return Unused(); }

  std::function<void()> on_write;  // runs first (unlocked), e.g. to stall
  std::mutex mu;
  std::condition_variable cv;
  int fail_first = 0;
  int writes = 0;
  std::vector<size_t> batch_sizes;  // per successful write
  std::set<std::pair<std::string, TimestampMs>> stored;
  std::map<std::string, std::vector<TimestampMs>> order;  // per device, in write order
};

// Records every update; `on_update` (if set) runs first, e.g. to stall.
class RecordingLive final : public LiveState {
 public:
  void Update(std::span<const Envelope> batch) override {
    if (on_update) on_update();
    std::lock_guard lock(mu);
    for (const Envelope& e : batch) order[e.message.device_uid].push_back(*e.message.ts);
    ++updates;
  }
  std::vector<Message> Snapshot(int64_t) const override { return {}; }
  std::optional<Message> Get(int64_t, const std::string&) const override { return std::nullopt; }
  std::vector<Message> Near(int64_t, double, double, double, size_t) const override { return {}; }
  Status Forget(int64_t, const std::string&) override { return Status::Ok(); }
  uint64_t Subscribe(Listener, Interest) override { return 0; }
  void Unsubscribe(uint64_t) override {}

  bool WaitForUpdates(int n, std::chrono::milliseconds timeout) {
    return WaitUntil(
        [&] {
          std::lock_guard lock(mu);
          return updates >= n;
        },
        timeout);
  }

  std::function<void()> on_update;
  std::mutex mu;
  int updates = 0;
  std::map<std::string, std::vector<TimestampMs>> order;
};

// Records published events; fails the first `fail_first` calls (or every
// call with `fail_always`), recording each call's events either way.
class RecordingSink final : public EventSink {
 public:
  Status Publish(std::span<const Event> events) override {
    std::lock_guard lock(mu);
    attempts.emplace_back(events.begin(), events.end());
    if (fail_always || fail_first > 0) {
      if (fail_first > 0) --fail_first;
      return Status(StatusCode::kIoError, "events stream unreachable");
    }
    published.insert(published.end(), events.begin(), events.end());
    return Status::Ok();
  }
  size_t attempt_count() {
    std::lock_guard lock(mu);
    return attempts.size();
  }

  std::mutex mu;
  int fail_first = 0;
  std::atomic<bool> fail_always{false};
  std::vector<std::vector<Event>> attempts;
  std::vector<Event> published;
};

Envelope AlarmEnvelope(const std::string& uid, TimestampMs ts, Alarm alarm) {
  Envelope e = QueueEnvelope(uid, ts);
  e.tenant_id = 42;
  e.message.kind = MessageKind::kAlarm;
  e.message.alarm = alarm;
  return e;
}

// Counts durable callbacks (the devices' acknowledgements).
struct Acks {
  std::atomic<int> ok{0}, failed{0};
  DurableCallback Callback() {
    return [this](const Status& s) { (s.ok() ? ok : failed)++; };
  }
};

ProcessorOptions Options(size_t workers, size_t batch) {
  ProcessorOptions o;
  o.workers = workers;
  o.batch_size = batch;
  o.max_wait = 5ms;
  o.retry_pause = 10ms;
  return o;
}

TEST(ProcessorTest, EveryMessageWrittenOnceAckedAndInDeviceOrder) {
  constexpr int kDevices = 20, kPerDevice = 150;
  MemoryQueue queue(100000, 16);
  RecordingStore store;
  RecordingLive live;
  live.on_update = [] { std::this_thread::sleep_for(200us); };
  Metrics metrics;
  Processor processor(queue, store, live, metrics, Options(3, 40));
  processor.Start();
  Acks acks;
  int batches = 0;
  for (int i = 0; i < kPerDevice; i += 5) {
    for (int d = 0; d < kDevices; d += 4) {
      std::vector<Envelope> batch;
      for (int dd = d; dd < d + 4; ++dd) {
        for (int k = i; k < i + 5; ++k) batch.push_back(QueueEnvelope("dev" + std::to_string(dd), k, dd));
      }
      ASSERT_TRUE(queue.Publish(std::move(batch), acks.Callback()).ok());
      ++batches;
    }
  }
  ASSERT_TRUE(WaitUntil([&] { return acks.ok + acks.failed == batches; }, 30s));
  processor.Stop();
  EXPECT_EQ(acks.failed, 0);
  EXPECT_EQ(queue.depth(), 0u);
  ASSERT_EQ(store.stored.size(), static_cast<size_t>(kDevices * kPerDevice));
  std::vector<TimestampMs> want(kPerDevice);
  for (int k = 0; k < kPerDevice; ++k) want[k] = k;
  for (int d = 0; d < kDevices; ++d) {
    const std::string uid = "dev" + std::to_string(d);
    EXPECT_EQ(store.order[uid], want) << uid << " written out of order";
    EXPECT_EQ(live.order[uid], want) << uid << " live updates out of order";
  }
  EXPECT_EQ(metrics.CounterValue("fleetd_positions_stored_total"), kDevices * kPerDevice);
  EXPECT_EQ(metrics.CounterValue("fleetd_process_batch_messages_total"), kDevices * kPerDevice);
  EXPECT_GT(metrics.CounterValue("fleetd_process_step_microseconds_total", {{"step", "live"}}), 0);
}

// Messages that arrive on the partitions a batch holds while it is still
// gathering join that batch (Delivery::TakeMore) instead of waiting for it
// to be written and for a whole next gather. One partition: A and B share it.
TEST(ProcessorTest, MessagesOnTheBatchsPartitionsArrivingDuringTheGatherJoinIt) {
  MemoryQueue queue(1000, 1);
  RecordingStore store;
  RecordingLive live;
  Metrics metrics;
  ProcessorOptions options = Options(1, 100);
  options.max_wait = 1s;
  Processor processor(queue, store, live, metrics, options);
  processor.Start();
  Acks acks;
  ASSERT_TRUE(queue.Publish({QueueEnvelope("A", 1)}, acks.Callback()).ok());
  std::this_thread::sleep_for(100ms);  // fetched by now: the batch holds the partition for 1 s
  ASSERT_TRUE(queue.Publish({QueueEnvelope("A", 2), QueueEnvelope("B", 1)}, acks.Callback()).ok());
  ASSERT_TRUE(WaitUntil([&] { return acks.ok == 2; }, 10s));
  processor.Stop();
  EXPECT_EQ(store.batch_sizes, (std::vector<size_t>{3})) << "A 2 and B 1 waited for a batch of their own";
  EXPECT_EQ(store.order["A"], (std::vector<TimestampMs>{1, 2}));
  EXPECT_EQ(live.order["A"], (std::vector<TimestampMs>{1, 2}));
}

// The live updater stalls in the first batch's update until the store has
// written a second batch of the same device: only possible if the write
// released the device without waiting for its live update and ack.
TEST(ProcessorTest, NextWriteOverlapsTheLastBatchsLiveUpdateAndAck) {
  MemoryQueue queue(1000, 4);
  RecordingStore store;
  RecordingLive live;
  std::atomic<bool> overlapped{false};
  std::atomic<int> calls{0};
  live.on_update = [&] {
    if (calls++ == 0) overlapped = store.WaitForWrites(2, 5s);
  };
  Metrics metrics;
  Processor processor(queue, store, live, metrics, Options(1, 100));
  processor.Start();
  Acks first, second;
  ASSERT_TRUE(queue.Publish({QueueEnvelope("A", 1), QueueEnvelope("A", 2)}, first.Callback()).ok());
  ASSERT_TRUE(store.WaitForWrites(1, 5s));
  ASSERT_TRUE(queue.Publish({QueueEnvelope("A", 3)}, second.Callback()).ok());
  ASSERT_TRUE(WaitUntil([&] { return first.ok + second.ok == 2; }, 10s));
  processor.Stop();
  EXPECT_TRUE(overlapped) << "the second write waited for the first batch's live update";
  EXPECT_EQ(store.order["A"], (std::vector<TimestampMs>{1, 2, 3}));
  EXPECT_EQ(live.order["A"], (std::vector<TimestampMs>{1, 2, 3}));
}

// The first batch's ack stalls (a slow confirmation round trip) until the
// second batch is live: only possible if acks do not run on the thread
// that does the live updates.
TEST(ProcessorTest, AnAckInFlightDoesNotHoldBackTheNextLiveUpdate) {
  MemoryQueue queue(1000, 4);
  RecordingStore store;
  RecordingLive live;
  Metrics metrics;
  Processor processor(queue, store, live, metrics, Options(1, 100));
  processor.Start();
  std::atomic<bool> overlapped{false};
  std::atomic<int> acked{0};

  ASSERT_TRUE(queue
                  .Publish({QueueEnvelope("A", 1)},
                           [&](const Status&) {
                             overlapped = live.WaitForUpdates(2, 5s);
                             ++acked;
                           })
                  .ok());
  ASSERT_TRUE(store.WaitForWrites(1, 5s));
  ASSERT_TRUE(queue.Publish({QueueEnvelope("A", 2)}, [&](const Status&) { ++acked; }).ok());
  ASSERT_TRUE(WaitUntil([&] { return acked == 2; }, 10s));
  processor.Stop();
  EXPECT_TRUE(overlapped) << "the second live update waited for the first batch's ack";
  EXPECT_EQ(live.order["A"], (std::vector<TimestampMs>{1, 2}));
  EXPECT_GT(metrics.CounterValue("fleetd_process_step_microseconds_total", {{"step", "ack"}}), 0);
}

TEST(ProcessorTest, AckWaitsForTheLiveUpdate) {
  MemoryQueue queue(1000, 4);
  RecordingStore store;
  RecordingLive live;
  std::mutex gate_mu;
  std::condition_variable gate_cv;
  bool open = false;
  live.on_update = [&] {
    std::unique_lock lock(gate_mu);
    gate_cv.wait_for(lock, 5s, [&] { return open; });
  };
  Metrics metrics;
  Processor processor(queue, store, live, metrics, Options(1, 100));
  processor.Start();
  Acks acks;
  ASSERT_TRUE(queue.Publish({QueueEnvelope("A", 1)}, acks.Callback()).ok());
  ASSERT_TRUE(store.WaitForWrites(1, 5s));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(acks.ok, 0) << "acknowledged before the live update";
  {
    std::lock_guard lock(gate_mu);
    open = true;
  }
  gate_cv.notify_all();
  ASSERT_TRUE(WaitUntil([&] { return acks.ok == 1; }, 5s));
  processor.Stop();
}

TEST(ProcessorTest, FailedWritesAreRetriedAndAckedOnlyAfterTheWrite) {
  MemoryQueue queue(1000, 4);
  RecordingStore store;
  store.fail_first = 2;
  RecordingLive live;
  Metrics metrics;
  Processor processor(queue, store, live, metrics, Options(2, 100));
  processor.Start();
  Acks acks;
  ASSERT_TRUE(queue.Publish({QueueEnvelope("A", 1), QueueEnvelope("B", 1)}, acks.Callback()).ok());
  ASSERT_TRUE(WaitUntil([&] { return acks.ok == 1; }, 5s));
  processor.Stop();
  EXPECT_EQ(metrics.CounterValue("fleetd_store_errors_total"), 2);
  EXPECT_EQ(store.stored.size(), 2u);
  EXPECT_EQ(store.writes, 1) << "one successful write after two failures";
  // Each attempt reached the live state before its write (newest-wins there).
  EXPECT_EQ(live.updates, 3);
  EXPECT_EQ(live.order["A"], (std::vector<TimestampMs>{1, 1, 1}));
  EXPECT_EQ(queue.depth(), 0u);
}

// The store stalls in its first write until the batch is live: only
// possible if the live update does not wait for the write (a commit's fsync
// stays off the path from a frame to the dashboards).
TEST(ProcessorTest, TheLiveUpdateDoesNotWaitForTheWrite) {
  MemoryQueue queue(1000, 4);
  RecordingStore store;
  RecordingLive live;
  std::atomic<bool> live_first{false};
  std::atomic<int> writes{0};
  store.on_write = [&] {
    if (writes++ == 0) live_first = live.WaitForUpdates(1, 5s);
  };
  Metrics metrics;
  Processor processor(queue, store, live, metrics, Options(1, 100));
  processor.Start();
  Acks acks;
  ASSERT_TRUE(queue.Publish({QueueEnvelope("A", 1), QueueEnvelope("A", 2)}, acks.Callback()).ok());
  ASSERT_TRUE(WaitUntil([&] { return acks.ok == 1; }, 10s));
  processor.Stop();
  EXPECT_TRUE(live_first) << "the live update waited for the write";
  EXPECT_EQ(store.order["A"], (std::vector<TimestampMs>{1, 2}));
  EXPECT_EQ(live.order["A"], (std::vector<TimestampMs>{1, 2}));
}

// A delivery reaches the live state as it is fetched, not when the gather
// around it ends (up to max_wait later). What arrives on its partition
// meanwhile joins the batch (TakeMore) and reaches the live state too.
TEST(ProcessorTest, TheLiveUpdateDoesNotWaitForTheGather) {
  MemoryQueue queue(1000, 4);
  RecordingStore store;
  RecordingLive live;
  Metrics metrics;
  ProcessorOptions options = Options(1, 100);
  options.max_wait = 2s;
  Processor processor(queue, store, live, metrics, options);
  processor.Start();
  Acks acks;
  const auto published = std::chrono::steady_clock::now();
  ASSERT_TRUE(queue.Publish({QueueEnvelope("A", 1)}, acks.Callback()).ok());
  ASSERT_TRUE(live.WaitForUpdates(1, 1500ms)) << "the live update waited for the gather";
  EXPECT_LT(std::chrono::steady_clock::now() - published, 1500ms);
  EXPECT_FALSE(store.WaitForWrites(1, 0ms)) << "still gathering";
  // Its partition is held by the batch: this one joins it at the gather's end.
  ASSERT_TRUE(queue.Publish({QueueEnvelope("A", 2)}, acks.Callback()).ok());
  ASSERT_TRUE(WaitUntil([&] { return acks.ok == 2; }, 10s));
  processor.Stop();
  EXPECT_EQ(store.batch_sizes, (std::vector<size_t>{2})) << "one batch";
  EXPECT_EQ(store.order["A"], (std::vector<TimestampMs>{1, 2}));
  EXPECT_EQ(live.order["A"], (std::vector<TimestampMs>{1, 2}));
}

// A failed write gives its batch back to the queue only once the live
// update, reading the same envelopes meanwhile, is done with them: the
// queue moves them back (a use of moved-from messages would record "").
TEST(ProcessorTest, AFailedWritesBatchIsGivenBackOnlyAfterItsLiveUpdate) {
  MemoryQueue queue(1000, 4);
  RecordingStore store;
  store.fail_first = 1;
  RecordingLive live;
  std::atomic<int> calls{0};
  live.on_update = [&] {
    if (calls++ == 0) std::this_thread::sleep_for(100ms);  // the failed write returns first
  };
  Metrics metrics;
  Processor processor(queue, store, live, metrics, Options(1, 100));
  processor.Start();
  Acks acks;
  ASSERT_TRUE(queue.Publish({QueueEnvelope("A", 1)}, acks.Callback()).ok());
  ASSERT_TRUE(WaitUntil([&] { return acks.ok == 1; }, 10s));
  processor.Stop();
  EXPECT_EQ(metrics.CounterValue("fleetd_store_errors_total"), 1);
  EXPECT_EQ(live.order.count(""), 0u) << "the live update read envelopes the queue had taken back";
  EXPECT_EQ(live.order["A"], (std::vector<TimestampMs>{1, 1}));
  EXPECT_EQ(store.order["A"], (std::vector<TimestampMs>{1}));
}

TEST(ProcessorTest, StopFinishesEveryWrittenBatch) {
  MemoryQueue queue(10000, 8);
  RecordingStore store;
  RecordingLive live;
  live.on_update = [] { std::this_thread::sleep_for(30ms); };  // a slow live state
  Metrics metrics;
  ProcessorOptions o = Options(2, 10);
  o.max_finishing = 8;
  Processor processor(queue, store, live, metrics, o);
  processor.Start();
  Acks acks;
  for (int d = 0; d < 8; ++d) {
    std::vector<Envelope> batch;
    for (int k = 0; k < 10; ++k) batch.push_back(QueueEnvelope("dev" + std::to_string(d), k, d));
    ASSERT_TRUE(queue.Publish(std::move(batch), acks.Callback()).ok());
  }
  ASSERT_TRUE(store.WaitForRows(80, 5s));
  EXPECT_LT(acks.ok, 8) << "the slow live state should still be behind";
  processor.Stop();
  EXPECT_EQ(acks.ok, 8) << "Stop returned before acking written batches";
  EXPECT_EQ(queue.depth(), 0u);
}

TEST(ProcessorTest, PublishesTheEventsOfAlarmMessagesOnlyBeforeTheAck) {
  MemoryQueue queue(1000, 4);
  RecordingStore store;
  RecordingLive live;
  RecordingSink sink;
  Metrics metrics;
  Processor processor(queue, store, live, metrics, Options(1, 100), &sink);
  processor.Start();
  Acks acks;
  ASSERT_TRUE(queue
                  .Publish({QueueEnvelope("A", 1), AlarmEnvelope("A", 2, Alarm::kSos), QueueEnvelope("B", 1),
                            AlarmEnvelope("B", 2, Alarm::kOverspeed)},
                           acks.Callback())
                  .ok());
  ASSERT_TRUE(WaitUntil([&] { return acks.ok == 1; }, 5s));
  // A batch without alarms reaches no sink at all.
  ASSERT_TRUE(queue.Publish({QueueEnvelope("A", 3)}, acks.Callback()).ok());
  ASSERT_TRUE(WaitUntil([&] { return acks.ok == 2; }, 5s));
  processor.Stop();
  ASSERT_EQ(sink.published.size(), 2u);
  std::map<std::string, Event> by_uid;
  for (const Event& e : sink.published) by_uid[e.device_uid] = e;
  EXPECT_EQ(by_uid["A"].type, "sos");
  EXPECT_EQ(by_uid["A"].ts, 2);
  EXPECT_EQ(by_uid["A"].tenant_id, 42);
  EXPECT_NE(by_uid["A"].body_json.find("\"alarm\":\"sos\""), std::string::npos) << by_uid["A"].body_json;
  EXPECT_EQ(by_uid["B"].type, "overspeed");
  EXPECT_EQ(sink.attempt_count(), 1u) << "a batch without events must not call the sink";
  EXPECT_EQ(metrics.CounterValue("fleetd_events_published_total"), 2);
  EXPECT_EQ(metrics.CounterValue("fleetd_events_publish_errors_total"), 0);
}

TEST(ProcessorTest, AckWithheldWhileTheSinkFailsThenRepublishedAndAcked) {
  MemoryQueue queue(1000, 4);
  RecordingStore store;
  RecordingLive live;
  RecordingSink sink;
  sink.fail_first = 3;
  Metrics metrics;
  ProcessorOptions o = Options(1, 100);
  o.retry_pause = 30ms;
  Processor processor(queue, store, live, metrics, o, &sink);
  processor.Start();
  Acks acks;
  ASSERT_TRUE(queue.Publish({AlarmEnvelope("A", 1, Alarm::kSos)}, acks.Callback()).ok());
  ASSERT_TRUE(WaitUntil([&] { return sink.attempt_count() >= 2; }, 5s));
  EXPECT_EQ(acks.ok + acks.failed, 0) << "acknowledged although its events are not published";
  // A later batch of the same device is written meanwhile, but not acked
  // before the failing one: its ack would cover the earlier messages.
  ASSERT_TRUE(queue.Publish({QueueEnvelope("A", 2)}, acks.Callback()).ok());
  ASSERT_TRUE(store.WaitForRows(2, 5s));
  EXPECT_EQ(acks.ok + acks.failed, 0);
  ASSERT_TRUE(WaitUntil([&] { return acks.ok == 2; }, 5s));
  processor.Stop();
  EXPECT_EQ(acks.failed, 0);
  ASSERT_EQ(sink.attempts.size(), 4u) << "three failures, then one success";
  for (const auto& attempt : sink.attempts) {
    ASSERT_EQ(attempt.size(), 1u);
    EXPECT_EQ(attempt[0].device_uid, "A");
    EXPECT_EQ(attempt[0].ts, 1) << "every retry carries the same event (same id downstream)";
  }
  ASSERT_EQ(sink.published.size(), 1u);
  EXPECT_EQ(live.updates, 2) << "the live update is not repeated by the retries";
  EXPECT_EQ(metrics.CounterValue("fleetd_events_publish_errors_total"), 3);
  EXPECT_EQ(metrics.CounterValue("fleetd_events_published_total"), 1);
  EXPECT_EQ(queue.depth(), 0u);
}

// A sink that never recovers must not keep Stop from returning: the batch
// is given back (a nack) instead of acked, and nothing counts as published.
TEST(ProcessorTest, StopGivesUpOnASinkThatNeverRecovers) {
  MemoryQueue queue(1000, 4);
  RecordingStore store;
  RecordingLive live;
  RecordingSink sink;
  sink.fail_always = true;
  Metrics metrics;
  ProcessorOptions o = Options(1, 100);
  o.retry_pause = 20ms;
  Processor processor(queue, store, live, metrics, o, &sink);
  processor.Start();
  Acks acks;
  ASSERT_TRUE(queue.Publish({AlarmEnvelope("A", 1, Alarm::kSos)}, acks.Callback()).ok());
  ASSERT_TRUE(WaitUntil([&] { return sink.attempt_count() >= 2; }, 5s));
  const auto before = std::chrono::steady_clock::now();
  processor.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, 2s);
  EXPECT_TRUE(sink.published.empty());
  EXPECT_EQ(metrics.CounterValue("fleetd_events_published_total"), 0);
  EXPECT_GE(metrics.CounterValue("fleetd_events_publish_errors_total"), 2);
}

}  // namespace
}  // namespace fleetd
