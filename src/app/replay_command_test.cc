// fleetd replay end to end on a real nats-server (started by this binary on
// a free loopback port) and a SQLite store: messages go through the NATS
// queue and a normal Fetch/Ack consumer into the store, a "buggy consumer"
// corrupts rows (RewriteBatch with wrong values), and the replay restores
// exactly the window — without duplicates and without moving the durable
// consumers. Then the real binary with hostile arguments.
#include "app/replay_command.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "app/adapters.h"
#include "app/app_test_store.h"
#include "core/time_util.h"
#include "live/redis/redis_test_server.h"
#include "queue/nats/nats_test_server.h"
#include "queue/nats/nats_test_support.h"
#include "servers/server_process.h"

namespace fleetd {
namespace {

using nats::test::Boundary;
using nats::test::WaitFor;
using namespace std::chrono_literals;

nats::test::NatsTestServer* g_server = nullptr;
std::atomic<int> g_counter{0};

constexpr TimestampMs kPhase1 = 1779321600000;  // fix times, 2026-05-21T00:00:00Z
constexpr TimestampMs kPhase2 = kPhase1 + 3600000;
constexpr TimestampMs kPhase3 = kPhase1 + 7200000;
constexpr TimestampMs kPhase4 = kPhase1 + 10800000;

Message Fix(const std::string& uid, TimestampMs ts, int i) {
  Message m;
  m.device_uid = uid;
  m.protocol = "gt06";
  m.kind = MessageKind::kPosition;
  m.ts = ts;
  m.received_at = ts + 700;
  m.valid = true;
  m.lat = 23.8 + i * 1e-4;
  m.lng = 90.4 - i * 1e-4;
  m.speed_kmh = 30.0 + i;
  return m;
}

class ReplayCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status opened = db_.Open("fleetd-replay-", {"359710040000001", "359710040000002", "359710040000003"});
    ASSERT_TRUE(opened.ok()) << opened.ToString();
    int n = ++g_counter;
    stream_ = "RP" + std::to_string(n);
    config_.queue_url = g_server->url() + "?stream=" + stream_ + "&prefix=rp" + std::to_string(n) + "&partitions=4";
    config_.store_url = db_.url;
    auto queue = OpenQueue(config_.queue_url, 1000);
    ASSERT_TRUE(queue.ok()) << queue.status().ToString();
    queue_ = std::move(*queue);
  }
  void TearDown() override {
    queue_.reset();
  }

  // `per_device` fixes of each of the first `devices` devices, one second apart.
  std::vector<Envelope> Track(TimestampMs first_ts, int per_device, size_t devices = 3) {
    std::vector<Envelope> out;
    for (int i = 0; i < per_device; ++i) {
      for (size_t d = 0; d < devices; ++d) {
        out.push_back(Envelope{db_.devices[d].tenant_id, db_.devices[d].id, Fix(db_.devices[d].uid, first_ts + i * 1000LL, i)});
      }
    }
    return out;
  }
  void Publish(std::vector<Envelope> batch) {
    auto calls = std::make_shared<std::atomic<int>>(0);
    auto ok = std::make_shared<std::atomic<bool>>(false);
    ASSERT_TRUE(queue_
                    ->Publish(std::move(batch),
                              [calls, ok](const Status& s) {
                                *ok = s.ok();
                                ++*calls;
                              })
                    .ok());
    ASSERT_TRUE(WaitFor([&] { return *calls == 1; }, 10s));
    ASSERT_TRUE(*ok);
  }
  // The normal consumer: Fetch, WriteBatch, Ack, until `expected` were stored.
  void Consume(size_t expected) {
    size_t got = 0;
    for (int guard = 0; guard < 200 && got < expected; ++guard) {
      auto d = queue_->Fetch(1000, 1s);
      if (!d) continue;
      auto stats = db_.store->WriteBatch(d->envelopes());
      ASSERT_TRUE(stats.ok()) << stats.status().ToString();
      got += d->envelopes().size();
      d->Ack();
    }
    ASSERT_EQ(got, expected);
  }
  // What a buggy consumer would have written instead.
  static std::vector<Envelope> Corrupted(std::vector<Envelope> batch) {
    for (auto& e : batch) {
      e.message.speed_kmh = 999.0;
      e.message.lat = 0.0;
      e.message.attributes["io.bug"] = int64_t{1};
    }
    return batch;
  }
  void Corrupt(const std::vector<Envelope>& batch) {
    auto stats = db_.store->RewriteBatch(Corrupted(batch));
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    ASSERT_EQ(stats->positions_written, static_cast<int64_t>(batch.size()));
  }
  std::vector<Message> Stored(const Device& d) {
    PositionQuery q;
    q.tenant_id = d.tenant_id;
    q.device_uid = d.uid;
    q.limit = 10000;
    auto page = db_.store->QueryPositions(q);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() ? page->positions : std::vector<Message>{};
  }
  // Each envelope of `batch` is stored with exactly its message (or its corrupted one).
  void ExpectStored(const std::vector<Envelope>& batch, bool corrupted) {
    std::map<std::pair<std::string, TimestampMs>, Message> stored;
    for (const auto& d : db_.devices) {
      for (auto& m : Stored(d)) stored[{m.device_uid, *m.ts}] = m;
    }
    const std::vector<Envelope> want = corrupted ? Corrupted(batch) : batch;
    for (const auto& e : want) {
      auto it = stored.find({e.message.device_uid, *e.message.ts});
      ASSERT_NE(it, stored.end());
      EXPECT_EQ(it->second, e.message) << e.message.device_uid << " at " << *e.message.ts
                                       << (corrupted ? " should still be corrupted" : " should be restored");
    }
  }
  std::string RunInProcess(const ReplayArgs& args, int expected_exit, std::string* err_text = nullptr) {
    std::ostringstream out, err;
    int rc = RunReplay(config_, args, out, err);
    EXPECT_EQ(rc, expected_exit) << err.str();
    if (err_text) *err_text = err.str();
    return out.str();
  }

  // Three phases of traffic with queue-time boundaries between them: phase
  // 1 before t1, phase 2 in [t1, t2), phase 3 (two devices) after t2.
  struct Phases {
    std::vector<Envelope> p1, p2, p3;
    TimestampMs t1 = 0, t2 = 0;
  };
  Phases PublishPhases() {
    Phases p;
    p.p1 = Track(kPhase1, 10, 3);
    Publish(p.p1);
    p.t1 = Boundary();
    p.p2 = Track(kPhase2, 10, 3);
    Publish(p.p2);
    p.t2 = Boundary();
    p.p3 = Track(kPhase3, 5, 2);
    Publish(p.p3);
    return p;
  }

  testing::TestStore db_;  // before the queue: destroyed after it
  std::string stream_;
  Config config_;
  std::unique_ptr<Queue> queue_;
};

TEST_F(ReplayCommandTest, RestoresTheWindowWithoutDuplicatesAndLeavesTheDurablesAlone) {
  Phases p = PublishPhases();
  Consume(70);
  ExpectStored(p.p2, false);
  // The bug: every phase-2 row, and two rows per device of phase 1, are wrong.
  std::vector<Envelope> p1_hit(p.p1.begin(), p.p1.begin() + 6);
  Corrupt(p1_hit);
  Corrupt(p.p2);
  ExpectStored(p.p2, true);

  ReplayArgs args;
  args.from = FormatIso8601(p.t1);
  args.to = FormatIso8601(p.t2);
  std::string out = RunInProcess(args, 0);
  EXPECT_EQ(out, "{\"read\":30,\"rewritten\":30,\"skipped_other_devices\":0,\"undecodable\":0,\"from\":\"" + args.from +
                     "\",\"to\":\"" + args.to + "\",\"dry_run\":false,\"live_updated\":0}\n");
  ExpectStored(p.p2, false);
  ExpectStored(p1_hit, true);  // outside the window: untouched
  ExpectStored(p.p3, false);
  EXPECT_EQ(Stored(db_.devices[0]).size(), 25u) << "no duplicates";
  EXPECT_EQ(Stored(db_.devices[1]).size(), 25u);
  EXPECT_EQ(Stored(db_.devices[2]).size(), 20u);

  // Replaying again changes nothing and still writes no duplicates.
  out = RunInProcess(args, 0);
  EXPECT_NE(out.find("\"read\":30,\"rewritten\":30,"), std::string::npos) << out;
  EXPECT_EQ(Stored(db_.devices[0]).size(), 25u);

  // The durable consumers: nothing redelivered, and new messages arrive once.
  EXPECT_EQ(queue_->Fetch(1000, 500ms), nullptr);
  std::vector<Envelope> p4 = Track(kPhase4, 4, 3);
  Publish(p4);
  Consume(12);
  EXPECT_EQ(queue_->Fetch(1000, 500ms), nullptr) << "delivered once";
  EXPECT_EQ(Stored(db_.devices[0]).size(), 29u);

  // From the very start, with no end: every message, phase-1 rows repaired too.
  args.from = "0";
  args.to.clear();
  out = RunInProcess(args, 0);
  EXPECT_NE(out.find("\"read\":82,\"rewritten\":82,"), std::string::npos) << out;
  EXPECT_NE(out.find("\"to\":null"), std::string::npos) << out;
  ExpectStored(p1_hit, false);
}

TEST_F(ReplayCommandTest, DeviceFilterDryRunAndEmptyWindow) {
  Phases p = PublishPhases();
  Consume(70);
  Corrupt(p.p2);

  ReplayArgs args;
  args.from = FormatIso8601(p.t1);
  args.to = FormatIso8601(p.t2);
  args.dry_run = true;
  std::string out = RunInProcess(args, 0);
  EXPECT_NE(out.find("{\"read\":30,\"rewritten\":0,\"skipped_other_devices\":0,"), std::string::npos) << out;
  EXPECT_NE(out.find("\"dry_run\":true"), std::string::npos);
  ExpectStored(p.p2, true);

  args.dry_run = false;
  args.device = db_.devices[0].uid;
  out = RunInProcess(args, 0);
  EXPECT_NE(out.find("{\"read\":30,\"rewritten\":10,\"skipped_other_devices\":20,"), std::string::npos) << out;
  std::vector<Envelope> first_device, others;
  for (const auto& e : p.p2) (e.device_id == db_.devices[0].id ? first_device : others).push_back(e);
  ExpectStored(first_device, false);
  ExpectStored(others, true);

  // Nothing stored in the window: not an error, 0.
  args.device.clear();
  args.from = "2999-01-01T00:00:00Z";
  args.to.clear();
  out = RunInProcess(args, 0);
  EXPECT_NE(out.find("{\"read\":0,\"rewritten\":0,\"skipped_other_devices\":0,"), std::string::npos) << out;
  args.from = args.to = FormatIso8601(p.t1);  // an empty window by definition
  out = RunInProcess(args, 0);
  EXPECT_NE(out.find("{\"read\":0,"), std::string::npos) << out;
  ExpectStored(others, true);
}

TEST_F(ReplayCommandTest, RefreshesTheLiveStateOncePerTouchedDevice) {
  std::string error;
  auto redis = fleetd::testing::RedisTestServer::Start(&error);
  ASSERT_NE(redis, nullptr) << error;
  auto live = OpenLiveState(redis->url());
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  Phases p = PublishPhases();
  Consume(70);
  std::vector<Envelope> after_t1 = p.p2;
  after_t1.insert(after_t1.end(), p.p3.begin(), p.p3.end());
  Corrupt(after_t1);
  (*live)->Update(Corrupted(after_t1));  // the buggy consumer's live updates
  const int64_t tenant = db_.devices[0].tenant_id;
  auto wrong = (*live)->Get(tenant, db_.devices[2].uid);
  ASSERT_TRUE(wrong.has_value());
  ASSERT_EQ(wrong->speed_kmh, 999.0);

  config_.live_url = redis->url();
  ReplayArgs args;
  args.from = FormatIso8601(p.t1);
  std::string out = RunInProcess(args, 0);
  EXPECT_NE(out.find("{\"read\":40,\"rewritten\":40,"), std::string::npos) << out;
  EXPECT_NE(out.find("\"live_updated\":3}"), std::string::npos) << out;
  // Each device's live state is its latest stored (restored) position.
  EXPECT_EQ((*live)->Get(tenant, db_.devices[0].uid), p.p3[p.p3.size() - 2].message);
  EXPECT_EQ((*live)->Get(tenant, db_.devices[1].uid), p.p3.back().message);
  EXPECT_EQ((*live)->Get(tenant, db_.devices[2].uid), p.p2.back().message);
}

// --- the real binary ---

struct CliResult {
  int exit = -1;
  std::string output;  // stdout and stderr
};

CliResult RunFleetd(const std::string& dir, std::vector<std::string> args) {
  static std::atomic<int> n{0};
  const std::string log = dir + "/cli-" + std::to_string(++n) + ".log";
  args.insert(args.begin(), {FLEETD_BINARY, "replay", "--data-dir", dir});
  CliResult r;
  r.exit = fleetd::test::RunCommand(args, log);
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  r.output = ss.str();
  return r;
}

TEST_F(ReplayCommandTest, CliRejectsHostileArgumentsAndReplays) {
  const std::string store = "--store=" + config_.store_url;
  const std::string queue = "--queue=" + config_.queue_url;
  constexpr int kAnyFailure = -1;  // CLI11's own exit code for an unknown option
  struct Case {
    std::vector<std::string> args;
    int exit;
    std::string says;
  };
  const std::string unreachable = "nats://127.0.0.1:" + std::to_string(fleetd::test::PickFreePort());
  const std::vector<Case> cases = {
      {{queue, store}, 2, "--from is required"},
      {{queue, store, "--from", "yesterday"}, 2, "--from 'yesterday' is not a time"},
      {{queue, store, "--from", "2026-13-01T00:00:00Z"}, 2, "is not a time"},
      {{queue, store, "--from", "2026-05-21T10:00:00+25:00"}, 2, "is not a time"},
      {{queue, store, "--from", "-5"}, 2, "is not a time"},
      {{queue, store, "--from", "99999999999999999999"}, 2, "is not a time"},
      {{queue, store, "--from", "1970-01-01T00:00:00+01:00"}, 2, "before 1970"},
      {{queue, store, "--from", "2026-05-21T10:00:00Z", "--to", "2026-05-21T09:00:00Z"},
       2,
       "--to 2026-05-21T09:00:00Z is before --from 2026-05-21T10:00:00Z"},
      {{queue, store, "--from", "2026-05-21T10:00:00Z", "--to", "soon"}, 2, "--to 'soon' is not a time"},
      {{"--queue", "memory:", store, "--from", "0"}, 2, "the memory: queue keeps no history"},
      {{"--queue", "kafka://x", store, "--from", "0"}, 2, "cannot be replayed"},
      {{"--queue", "nats://127.0.0.1:4222?partitions=0", store, "--from", "0"}, 2, "--queue:"},
      {{"--queue", unreachable + "?connect_timeout=500ms", store, "--from", "0"}, 1, "cannot connect to NATS at"},
      {{"--queue", g_server->url() + "?stream=NoSuchStream", store, "--from", "0"},
       1,
       "stream 'NoSuchStream' does not exist"},
      {{"--store", "bogus:", queue, "--from", "0"}, 1, "cannot open the store"},
      {{queue, store, "--from", "0", "--bogus"}, kAnyFailure, "--bogus"},
  };
  for (const auto& c : cases) {
    CliResult r = RunFleetd(db_.dir, c.args);
    std::string joined;
    for (const auto& a : c.args) joined += a + " ";
    EXPECT_NE(r.exit, 0) << joined;
    if (c.exit != kAnyFailure) {
      EXPECT_EQ(r.exit, c.exit) << joined << "\n" << r.output;
    }
    EXPECT_NE(r.output.find(c.says), std::string::npos) << joined << "\n" << r.output;
  }

  // And a real replay through the binary.
  std::vector<Envelope> batch = Track(kPhase1, 5, 3);
  const TimestampMs from = Boundary();
  Publish(batch);
  Consume(15);
  Corrupt(batch);
  CliResult r = RunFleetd(db_.dir, {queue, store, "--from", FormatIso8601(from), "--device", db_.devices[1].uid});
  ASSERT_EQ(r.exit, 0) << r.output;
  EXPECT_NE(r.output.find("{\"read\":15,\"rewritten\":5,\"skipped_other_devices\":10,"), std::string::npos) << r.output;
  std::vector<Envelope> second;
  for (const auto& e : batch) {
    if (e.device_id == db_.devices[1].id) second.push_back(e);
  }
  ExpectStored(second, false);
}

}  // namespace
}  // namespace fleetd

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  return fleetd::nats::test::RunAllTestsWithServer(&fleetd::g_server);
}
