// RedisLiveState against a real redis-server started by this test process:
// the shared LiveState contract, then what only a shared server can show —
// several instances (nodes) on one Redis, the stored layout, hostile input
// on the feed channel, and bad options.
#include "live/redis/redis_live_state.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <limits>
#include <mutex>
#include <thread>

#include "contract/live_state_contract.h"
#include "core/envelope_codec.h"
#include "live/redis/live_feed_codec.h"
#include "live/redis/redis_subscriber.h"
#include "live/redis/redis_test_server.h"

namespace fleetd {
namespace {

using contract::LiveEnvelope;
using contract::LiveStateContractParam;
using contract::LiveStateContractTest;
using contract::UidsOf;

// One server per test process; every test uses its own key prefix.
testing::RedisTestServer* Server() {
  static std::string error;
  static std::unique_ptr<testing::RedisTestServer> server = testing::RedisTestServer::Start(&error);
  if (!server) ADD_FAILURE() << error;
  return server.get();
}

std::string NewPrefix() {
  static std::atomic<int> n{0};
  return "t" + std::to_string(getpid()) + "-" + std::to_string(n++);
}

RedisLiveStateOptions Options(const std::string& prefix) {
  RedisLiveStateOptions o;
  o.endpoint.host = "127.0.0.1";
  o.endpoint.port = Server() ? Server()->port() : 1;
  o.key_prefix = prefix;
  return o;
}

std::unique_ptr<RedisLiveState> OpenOrFail(const RedisLiveStateOptions& options) {
  auto live = RedisLiveState::Open(options);
  if (!live.ok()) {
    ADD_FAILURE() << live.status().ToString();
    return nullptr;
  }
  return std::move(*live);
}

INSTANTIATE_TEST_SUITE_P(Redis, LiveStateContractTest,
                         ::testing::Values(LiveStateContractParam{"Redis",
                                                                  []() -> std::unique_ptr<LiveState> {
                                                                    if (!Server()) return nullptr;
                                                                    return OpenOrFail(Options(NewPrefix()));
                                                                  }}),
                         contract::LiveStateContractParamName);

// Waits (bounded) until `done` holds.
template <typename F>
bool Eventually(F done, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// What a listener saw, safe to read from the test thread.
class Seen {
 public:
  LiveState::Listener Listener() {
    return [this](const Envelope& e) {
      std::lock_guard lock(mu_);
      uids_.push_back(e.message.device_uid + "@" + std::to_string(e.message.ts.value_or(-1)));
      last_ = e;
    };
  }
  std::vector<std::string> uids() const {
    std::lock_guard lock(mu_);
    return uids_;
  }
  size_t size() const { return uids().size(); }
  Envelope last() const {
    std::lock_guard lock(mu_);
    return last_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> uids_;
  Envelope last_;
};

class RedisLiveStateTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NE(Server(), nullptr); }
  std::string prefix_ = NewPrefix();
};

TEST_F(RedisLiveStateTest, AnUpdateOnOneNodeReachesListenersOnAnotherExactlyOnce) {
  Seen on_a, on_b;  // before the live states: their threads call it until they are gone
  auto a = OpenOrFail(Options(prefix_));
  auto b = OpenOrFail(Options(prefix_));
  ASSERT_TRUE(a && b);
  a->Subscribe(on_a.Listener());
  b->Subscribe(on_b.Listener());

  Envelope e = LiveEnvelope(7, "truck-1", 1000, 52.5, 13.4);
  e.device_id = 4242;
  e.message.speed_kmh = 61.5;
  e.message.attributes.Set("note", std::string("from a"));
  std::vector<Envelope> batch = {e, LiveEnvelope(7, "truck-2", std::nullopt, std::nullopt, std::nullopt)};
  a->Update(batch);
  EXPECT_EQ(on_a.uids(), (std::vector<std::string>{"truck-1@1000", "truck-2@-1"})) << "local: synchronous";
  ASSERT_TRUE(Eventually([&] { return on_b.size() == 2; })) << on_b.size();
  EXPECT_EQ(on_b.uids(), (std::vector<std::string>{"truck-1@1000", "truck-2@-1"}));
  // The whole envelope travels, not just the position.
  EXPECT_EQ(b->Get(7, "truck-1")->speed_kmh, 61.5);

  // b's update reaches a; once it has, a's subscriber has also seen a's own
  // earlier batch (pub/sub keeps publish order) and must have skipped it.
  std::vector<Envelope> from_b = {LiveEnvelope(7, "truck-3", 2000)};
  b->Update(from_b);
  ASSERT_TRUE(Eventually([&] { return on_a.size() >= 3; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(on_a.uids(), (std::vector<std::string>{"truck-1@1000", "truck-2@-1", "truck-3@2000"}))
      << "a listener sees its own node's updates once, not twice";
  EXPECT_EQ(on_b.uids(), (std::vector<std::string>{"truck-1@1000", "truck-2@-1", "truck-3@2000"}));
  EXPECT_EQ(a->stats().received, 1u);
  EXPECT_EQ(b->stats().received, 1u);
  EXPECT_EQ(a->stats().published, 1u);
  EXPECT_EQ(a->stats().update_failures, 0u);
}

// Without a feed subscription (an admin command's live state) reads and
// writes work, and other nodes' updates reach no listener of it.
TEST_F(RedisLiveStateTest, WithoutSubscribingItReadsAndWritesButHearsNoOtherNode) {
  RedisLiveStateOptions quiet_options = Options(prefix_);
  quiet_options.subscribe = false;
  Seen heard;
  auto quiet = OpenOrFail(quiet_options);
  auto other = OpenOrFail(Options(prefix_));
  ASSERT_TRUE(quiet && other);
  EXPECT_FALSE(quiet->WaitSubscribed(std::chrono::milliseconds(10)));
  quiet->Subscribe(heard.Listener());
  std::vector<Envelope> batch = {LiveEnvelope(7, "truck-1", 1000, 52.5, 13.4)};
  other->Update(batch);
  EXPECT_EQ(quiet->Get(7, "truck-1")->ts, 1000) << "reads the shared state";
  EXPECT_TRUE(quiet->Forget(7, "truck-1").ok());
  EXPECT_FALSE(other->Get(7, "truck-1").has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(heard.size(), 0u) << "another node's update";
  EXPECT_EQ(quiet->stats().received, 0u);
}

// The feed carries the binary form (v2): what another node's listener gets
// is the envelope exactly, also what JSON (v1) would have changed.
TEST_F(RedisLiveStateTest, RemoteEnvelopesKeepEveryField) {
  Seen on_b;  // before the live states: their threads call it until they are gone
  std::mutex payloads_mu;
  std::vector<std::string> payloads;  // what went over the channel
  RedisSubscriber tap(RedisConnection::Options{.endpoint = Options(prefix_).endpoint}, prefix_ + ":live:db0",
                      [&](std::string_view payload) {
                        std::lock_guard lock(payloads_mu);
                        payloads.emplace_back(payload);
                      });
  ASSERT_TRUE(tap.WaitSubscribed(std::chrono::seconds(5)));
  auto a = OpenOrFail(Options(prefix_));
  auto b = OpenOrFail(Options(prefix_));
  ASSERT_TRUE(a && b);
  b->Subscribe(on_b.Listener());
  Envelope e = LiveEnvelope(9, "x", 1'700'000'000'123, -33.9, 151.2);
  e.device_id = 77;
  e.message.kind = MessageKind::kAlarm;
  e.message.alarm = Alarm::kSos;
  e.message.heading = 270;
  e.message.cell = CellTower{262, 1, 100, 200};
  e.message.attributes.Set("mcc", int64_t{310});                            // JSON folds these four into the cell
  e.message.attributes.Set("reply", std::string("\xff\xfe device text"));   // JSON replaces invalid UTF-8
  e.message.attributes.Set("x", -std::numeric_limits<double>::infinity());  // JSON drops non-finite numbers
  std::vector<Envelope> batch = {LiveEnvelope(9, "y", 5), e};
  a->Update(batch);
  ASSERT_TRUE(Eventually([&] { return on_b.size() == 2; }));
  EXPECT_EQ(on_b.uids(), (std::vector<std::string>{"y@5", "x@1700000000123"}));
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard lock(payloads_mu);
    return payloads.size() == 1;
  }));
  {
    std::lock_guard lock(payloads_mu);
    const std::string& payload = payloads[0];
    EXPECT_TRUE(payload.starts_with("fleetd-live v2 ")) << payload.substr(0, 40);
    const size_t body = payload.find('\n') + 1;
    ASSERT_LT(body, payload.size());
    EXPECT_EQ(static_cast<uint8_t>(payload[body]), kEnvelopeListVersion) << "the binary list form, not JSON";
  }
  Envelope got = on_b.last();
  EXPECT_EQ(got.tenant_id, 9);
  EXPECT_EQ(got.device_id, 77);
  EXPECT_EQ(got.message, e.message);
}

TEST_F(RedisLiveStateTest, AFreshInstanceServesWhatAnotherWrote) {
  {
    auto writer = OpenOrFail(Options(prefix_));
    ASSERT_TRUE(writer);
    std::vector<Envelope> batch;
    for (int i = 0; i < 2500; ++i) {  // more than one read pipeline chunk
      char uid[16];
      std::snprintf(uid, sizeof uid, "d%05d", i);
      batch.push_back(LiveEnvelope(3, uid, 1000 + i, 40.0 + i * 1e-4, -3.7));
    }
    batch.push_back(LiveEnvelope(4, "other-tenant", 1000));
    writer->Update(batch);
    EXPECT_EQ(writer->stats().update_failures, 0u);
  }  // the writer is gone
  auto reader = OpenOrFail(Options(prefix_));
  ASSERT_TRUE(reader);
  auto snapshot = reader->Snapshot(3);
  ASSERT_EQ(snapshot.size(), 2500u);
  EXPECT_EQ(snapshot[0].device_uid, "d00000");
  EXPECT_EQ(snapshot[2499].device_uid, "d02499") << "sorted by uid";
  EXPECT_EQ(snapshot[1234].ts, 1000 + 1234);
  EXPECT_DOUBLE_EQ(*snapshot[1234].lat, 40.0 + 1234 * 1e-4);
  EXPECT_EQ(reader->Get(3, "d00042")->ts, 1042);
  EXPECT_EQ(UidsOf(reader->Snapshot(4)), (std::vector<std::string>{"other-tenant"}));
  // 1e-4 degree of latitude is 11.1 m apart.
  EXPECT_EQ(UidsOf(reader->Near(3, 40.0, -3.7, 30, 10)), (std::vector<std::string>{"d00000", "d00001", "d00002"}));
  // Another prefix is another deployment.
  auto elsewhere = OpenOrFail(Options(prefix_ + "x"));
  ASSERT_TRUE(elsewhere);
  EXPECT_TRUE(elsewhere->Snapshot(3).empty());
}

TEST_F(RedisLiveStateTest, ALateMessageFromAnotherNodeKeepsTheNewerFix) {
  auto a = OpenOrFail(Options(prefix_));
  auto b = OpenOrFail(Options(prefix_));
  ASSERT_TRUE(a && b);
  std::vector<Envelope> newer = {LiveEnvelope(1, "A", 5000, 10, 20)};
  std::vector<Envelope> late = {LiveEnvelope(1, "A", 4000, 11, 21)};
  a->Update(newer);
  b->Update(late);
  EXPECT_EQ(a->Get(1, "A")->lat, 10);
  EXPECT_EQ(b->Get(1, "A")->lat, 10);
  EXPECT_EQ(UidsOf(b->Near(1, 10, 20, 100, 10)), (std::vector<std::string>{"A"}));
  EXPECT_TRUE(b->Near(1, 11, 21, 100, 10).empty()) << "the late message must not move the GEO entry";

  // Two nodes racing on the same devices: the maximum wins, whatever the interleaving.
  auto racer = [](RedisLiveState* live, int parity) {
    for (int i = parity; i < 1000; i += 2) {
      std::vector<Envelope> batch = {LiveEnvelope(1, "race" + std::to_string(i % 3), 10'000 + (i % 2 ? i : 999 - i))};
      live->Update(batch);
    }
  };
  std::thread t0(racer, a.get(), 0), t1(racer, b.get(), 1);
  t0.join();
  t1.join();
  // Per device the maximum of 10'000 + (odd i: i, even i: 999 - i) over i = d mod 3.
  for (int d = 0; d < 3; ++d) {
    int64_t best = 0;
    for (int i = d; i < 1000; i += 3) best = std::max<int64_t>(best, 10'000 + (i % 2 ? i : 999 - i));
    auto got = a->Get(1, "race" + std::to_string(d));
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->ts, best) << d;
  }
}

// A batch with several fixes per device (out of order, a tie, another
// tenant's device of the same uid): only each device's newest is written,
// the state is what applying them one by one would give, and a listener
// on another node still gets every message of the batch.
TEST_F(RedisLiveStateTest, ABatchWritesEachDevicesNewestAndFeedsEveryMessage) {
  Seen seen;  // outlives b, whose feed thread calls it
  auto a = OpenOrFail(Options(prefix_));
  auto b = OpenOrFail(Options(prefix_));
  ASSERT_TRUE(a && b);
  b->Subscribe(seen.Listener());
  std::vector<Envelope> batch = {
      LiveEnvelope(1, "A", 3000, 10, 10), LiveEnvelope(1, "A", 5000, 11, 11), LiveEnvelope(1, "A", 4000, 12, 12),
      LiveEnvelope(1, "A", 5000, 13, 13),  // ties the newest, later: wins
      LiveEnvelope(2, "A", 1000, 20, 20),  // the same uid in another tenant
      LiveEnvelope(1, "B", 7000, 30, 30), LiveEnvelope(1, "B", 6000, 31, 31),
  };
  RedisConnection raw(RedisConnection::Options{.endpoint = Options(prefix_).endpoint});
  ASSERT_TRUE(raw.EnsureConnected().ok());
  auto hset_calls = [&]() -> int64_t {  // HSETs run so far, the script's included
    auto info = raw.Command({"INFO", "commandstats"});
    if (!info.ok()) return -1;
    const std::string text = ReplyText(info->get());
    const size_t at = text.find("cmdstat_hset:calls=");
    return at == std::string::npos ? 0 : std::stoll(text.substr(at + 19));
  };
  const int64_t before = hset_calls();
  a->Update(batch);
  EXPECT_EQ(hset_calls() - before, 3) << "one write per device of the batch, not per message";
  EXPECT_EQ(a->Get(1, "A")->lat, 13);
  EXPECT_EQ(a->Get(1, "A")->ts, 5000);
  EXPECT_EQ(a->Get(2, "A")->lat, 20);
  EXPECT_EQ(a->Get(1, "B")->lat, 30);
  EXPECT_EQ(UidsOf(a->Near(1, 13, 13, 1000, 10)), (std::vector<std::string>{"A"}));
  EXPECT_TRUE(a->Near(1, 11, 11, 1000, 10).empty()) << "only the newest fix is indexed";
  ASSERT_TRUE(Eventually([&] { return seen.size() == batch.size(); })) << "every message reaches the feed";
  // Older than what is held: a later batch changes nothing.
  a->Update(std::vector<Envelope>{LiveEnvelope(1, "A", 4500, 40, 40), LiveEnvelope(1, "A", 4900, 41, 41)});
  EXPECT_EQ(a->Get(1, "A")->lat, 13);
}

// While no listener is interested, other nodes' batches are skipped (not
// decoded, not delivered); once one is, they are delivered again.
TEST_F(RedisLiveStateTest, BatchesNobodyWantsAreNotDecoded) {
  Seen seen, always;  // outlive b, whose feed thread calls them
  std::atomic<bool> wanted{false};
  auto a = OpenOrFail(Options(prefix_));
  auto b = OpenOrFail(Options(prefix_));
  ASSERT_TRUE(a && b);
  b->Subscribe(seen.Listener(), [&] { return wanted.load(); });
  a->Update(std::vector<Envelope>{LiveEnvelope(1, "A", 1000)});
  ASSERT_TRUE(Eventually([&] { return b->stats().skipped == 1; })) << "the batch was not skipped";
  EXPECT_EQ(seen.size(), 0u);
  EXPECT_EQ(b->stats().received, 0u);
  EXPECT_EQ(b->Get(1, "A")->ts, 1000) << "the state is in Redis all the same";
  wanted = true;
  a->Update(std::vector<Envelope>{LiveEnvelope(1, "A", 2000)});
  ASSERT_TRUE(Eventually([&] { return seen.size() == 1; }));
  EXPECT_EQ(seen.uids(), (std::vector<std::string>{"A@2000"}));
  EXPECT_EQ(b->stats().skipped, 1u);
  // A listener without an interest function always counts as interested.
  b->Subscribe(always.Listener());
  wanted = false;
  a->Update(std::vector<Envelope>{LiveEnvelope(1, "A", 3000)});
  ASSERT_TRUE(Eventually([&] { return always.size() == 1; }));
  EXPECT_EQ(b->stats().skipped, 1u);
}

TEST_F(RedisLiveStateTest, StoresTheDocumentedLayout) {
  auto live = OpenOrFail(Options(prefix_));
  ASSERT_TRUE(live);
  std::vector<Envelope> batch = {LiveEnvelope(12, "imei-1", 1'700'000'000'000, 48.8566, 2.3522)};
  Envelope no_ts = LiveEnvelope(12, "imei-2", std::nullopt, 1, 2);
  no_ts.message.received_at = 1'700'000'000'500;
  batch.push_back(no_ts);
  live->Update(batch);

  RedisConnection raw(RedisConnection::Options{.endpoint = Options(prefix_).endpoint});
  ASSERT_TRUE(raw.EnsureConnected().ok());
  std::string key = prefix_ + ":{12}:dev:imei-1";
  auto fix = raw.Command({"HGET", key, "fix_ms"});
  ASSERT_TRUE(fix.ok());
  EXPECT_EQ(ReplyText(fix->get()), "1700000000000");
  auto json = raw.Command({"HGET", key, "json"});
  ASSERT_TRUE(json.ok());
  EXPECT_NE(ReplyText(json->get()).find("\"device_uid\":\"imei-1\""), std::string::npos) << ReplyText(json->get());
  EXPECT_EQ(ReplyText(raw.Command({"HGET", prefix_ + ":{12}:dev:imei-2", "fix_ms"})->get()), "1700000000500")
      << "no fix time: the receive time orders it";
  auto members = raw.Command({"SMEMBERS", prefix_ + ":{12}:devs"});
  ASSERT_TRUE(members.ok());
  EXPECT_EQ((*members)->elements, 2u);
  auto pos = raw.Command({"GEOPOS", prefix_ + ":{12}:geo", "imei-1"});
  ASSERT_TRUE(pos.ok());
  ASSERT_EQ((*pos)->elements, 1u);
  ASSERT_EQ((*pos)->element[0]->elements, 2u);
  EXPECT_NEAR(std::stod(ReplyText((*pos)->element[0]->element[0])), 2.3522, 1e-5);
  EXPECT_NEAR(std::stod(ReplyText((*pos)->element[0]->element[1])), 48.8566, 1e-5);
}

// Forget frees the device's keys (a removed device's hash and GEO member
// stayed forever before), and only that device's.
TEST_F(RedisLiveStateTest, ForgetFreesTheDevicesKeys) {
  auto live = OpenOrFail(Options(prefix_));
  ASSERT_TRUE(live);
  std::vector<Envelope> batch = {LiveEnvelope(12, "imei-1", 1000, 48.8566, 2.3522),
                                 LiveEnvelope(12, "imei-2", 1000, 48.8, 2.3)};
  live->Update(batch);
  ASSERT_TRUE(live->Forget(12, "imei-1").ok());

  RedisConnection raw(RedisConnection::Options{.endpoint = Options(prefix_).endpoint});
  ASSERT_TRUE(raw.EnsureConnected().ok());
  auto count = [&](RedisCommand c) {
    auto r = raw.Command(c);
    return r.ok() && (*r)->type == REDIS_REPLY_INTEGER ? (*r)->integer : -1;
  };
  EXPECT_EQ(count({"EXISTS", prefix_ + ":{12}:dev:imei-1"}), 0);
  EXPECT_EQ(count({"SISMEMBER", prefix_ + ":{12}:devs", "imei-1"}), 0);
  EXPECT_EQ(count({"ZCARD", prefix_ + ":{12}:geo"}), 1);
  EXPECT_EQ(count({"EXISTS", prefix_ + ":{12}:dev:imei-2"}), 1);
  EXPECT_EQ(count({"SISMEMBER", prefix_ + ":{12}:devs", "imei-2"}), 1);
  EXPECT_EQ(live->stats().update_failures, 0u);
}

TEST_F(RedisLiveStateTest, HostilePayloadsOnTheChannelAreCountedNotDelivered) {
  Seen seen;  // before the live states: their threads call it until they are gone
  auto live = OpenOrFail(Options(prefix_));
  ASSERT_TRUE(live);
  live->Subscribe(seen.Listener());
  RedisConnection raw(RedisConnection::Options{.endpoint = Options(prefix_).endpoint});
  std::string channel = prefix_ + ":live:db0";
  const std::vector<Envelope> two = {LiveEnvelope(1, "ok", 1000), LiveEnvelope(1, "ok", 2000)};
  const std::string good = EncodeLiveBatch("someone", two).payloads.at(0);
  const size_t body = good.find('\n') + 1;
  std::string lying_count = good;  // 65535 envelopes claimed in ~100 bytes
  lying_count[body + 1] = '\xff';
  lying_count[body + 2] = '\xff';
  std::string v3 = good;
  v3.replace(0, body, "fleetd-live v3 someone\n");
  const std::vector<std::string> hostile = {
      "garbage",
      "",
      "fleetd-live v1 someone\n{",
      "fleetd-live v1 someone\n[[1,2,{\"lat\":500}]]",
      "fleetd-live v1 someone\n[[1,2]]",
      "fleetd-live v1 someone\n{}",
      "fleetd-live v1 someone\n[[18446744073709551615,2,{}]]",
      good.substr(0, good.size() / 2),  // truncated body
      good.substr(0, body),             // no body at all
      lying_count,
      "fleetd-live v2 someone\ngarbage",
      good + "trailing",
      v3,
  };
  for (const std::string& payload : hostile) {
    auto r = raw.Command({"PUBLISH", channel, payload});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ((*r)->integer, 1) << "the instance is subscribed";
  }
  raw.Command({"PUBLISH", channel, good});
  ASSERT_TRUE(Eventually([&] { return seen.size() == 2; }));
  EXPECT_EQ(seen.uids(), (std::vector<std::string>{"ok@1000", "ok@2000"}));
  EXPECT_EQ(live->stats().bad_payloads, hostile.size());
  EXPECT_EQ(live->stats().received, 1u);
}

// A rolling upgrade: an older node still publishes v1 (JSON) on the same
// channel; its batches and a new node's are both delivered, in order.
TEST_F(RedisLiveStateTest, BatchesOfAV1NodeAreStillDelivered) {
  Seen seen;  // before the live states: their threads call it until they are gone
  auto a = OpenOrFail(Options(prefix_));
  auto b = OpenOrFail(Options(prefix_));
  ASSERT_TRUE(a && b);
  b->Subscribe(seen.Listener());
  RedisConnection raw(RedisConnection::Options{.endpoint = Options(prefix_).endpoint});
  const std::string v1 =
      "fleetd-live v1 old-node\n"
      R"([[5,55,{"device_uid":"old-1","protocol":"gt06","kind":"position","ts":"2026-05-21T10:30:00Z",)"
      R"("received_at":"2026-05-21T10:30:01.204Z","lat":23.8103,"lng":90.4125,"speed_kmh":45}]])";
  auto r = raw.Command({"PUBLISH", prefix_ + ":live:db0", v1});
  ASSERT_TRUE(r.ok());
  a->Update(std::vector<Envelope>{LiveEnvelope(5, "new-1", 1000)});
  ASSERT_TRUE(Eventually([&] { return seen.size() == 2; }));
  EXPECT_EQ(seen.uids(), (std::vector<std::string>{"old-1@1779359400000", "new-1@1000"}));
  EXPECT_EQ(b->stats().received, 2u);
  EXPECT_EQ(b->stats().bad_payloads, 0u);
}

TEST_F(RedisLiveStateTest, UnsubscribedListenersGetNothingFromOtherNodes) {
  Seen gone, stays;  // before the live states: their threads call it until they are gone
  auto a = OpenOrFail(Options(prefix_));
  auto b = OpenOrFail(Options(prefix_));
  ASSERT_TRUE(a && b);
  uint64_t id = b->Subscribe(gone.Listener());
  b->Subscribe(stays.Listener());
  b->Unsubscribe(id);
  std::vector<Envelope> batch = {LiveEnvelope(1, "A", 1)};
  a->Update(batch);
  ASSERT_TRUE(Eventually([&] { return stays.size() == 1; }));
  EXPECT_EQ(gone.size(), 0u);
}

TEST_F(RedisLiveStateTest, OpenRejectsBadOptions) {
  RedisLiveStateOptions o = Options(prefix_);
  for (std::string bad :
       {std::string(), std::string("has space"), std::string("a{b}"), std::string(65, 'p'), std::string("new\nline")}) {
    o.key_prefix = bad;
    auto live = RedisLiveState::Open(o);
    ASSERT_FALSE(live.ok()) << bad;
    EXPECT_EQ(live.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(live.status().message().find("key prefix"), std::string::npos) << live.status().message();
  }
  o = Options(prefix_);
  o.command_timeout = std::chrono::milliseconds(0);
  EXPECT_EQ(RedisLiveState::Open(o).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(RedisLiveStateTest, OpenFailsClearlyWhenNothingListens) {
  RedisLiveStateOptions o = Options(prefix_);
  o.endpoint.port = test::PickFreePort();  // nothing listens there
  auto started = std::chrono::steady_clock::now();
  auto live = RedisLiveState::Open(o);
  ASSERT_FALSE(live.ok());
  EXPECT_EQ(live.status().code(), StatusCode::kIoError);
  EXPECT_NE(live.status().message().find("127.0.0.1:" + std::to_string(o.endpoint.port)), std::string::npos)
      << live.status().message();
  EXPECT_NE(live.status().message().find("refused"), std::string::npos) << live.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
}

// A TCP server that is not Redis: answers every connection with an HTTP error.
TEST_F(RedisLiveStateTest, OpenFailsClearlyOnAServerThatIsNotRedis) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ASSERT_EQ(listen(fd, 8), 0);
  std::atomic<bool> stop{false};
  std::thread server([&] {
    while (!stop) {
      int c = accept(fd, nullptr, nullptr);
      if (c < 0) return;
      const char reply[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
      (void)!write(c, reply, sizeof reply - 1);
      close(c);
    }
  });
  RedisLiveStateOptions o = Options(prefix_);
  o.endpoint.port = ntohs(addr.sin_port);
  auto live = RedisLiveState::Open(o);
  stop = true;
  shutdown(fd, SHUT_RDWR);
  close(fd);
  server.join();
  ASSERT_FALSE(live.ok());
  EXPECT_EQ(live.status().code(), StatusCode::kIoError);
  EXPECT_NE(live.status().message().find(std::to_string(o.endpoint.port)), std::string::npos)
      << live.status().message();
}

TEST_F(RedisLiveStateTest, ASelectedDatabaseIsSeparate) {
  RedisLiveStateOptions in1 = Options(prefix_);
  in1.endpoint.db = 1;
  RedisLiveStateOptions in2 = Options(prefix_);
  in2.endpoint.db = 2;
  Seen on_two;  // before the live states: their threads call it until they are gone
  auto one = OpenOrFail(in1);
  auto two = OpenOrFail(in2);
  ASSERT_TRUE(one && two);
  two->Subscribe(on_two.Listener());
  std::vector<Envelope> batch = {LiveEnvelope(1, "A", 1)};
  one->Update(batch);
  EXPECT_TRUE(one->Get(1, "A").has_value());
  EXPECT_FALSE(two->Get(1, "A").has_value());
  auto three = OpenOrFail(in2);
  ASSERT_TRUE(three);
  three->Update(batch);
  ASSERT_TRUE(Eventually([&] { return on_two.size() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(on_two.size(), 1u) << "db 1's feed must not reach db 2's listeners";
  RedisLiveStateOptions bad = Options(prefix_);
  bad.endpoint.db = 99;  // beyond the server's `databases 16`
  auto refused = RedisLiveState::Open(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("SELECT 99"), std::string::npos) << refused.status().message();
}

}  // namespace
}  // namespace fleetd
