// Issue 5's production topology on loopback (topology_fixture.h): devices
// through HAProxy to 2 ingest nodes, NATS JetStream, 2 process workers on
// disjoint partition ranges, PostgreSQL, Redis, 2 API nodes. Each test
// starts its own topology and checks the promise the tiers make together:
// every position a device saw acknowledged is stored exactly once, also
// across a SIGKILLed process worker, a SIGKILLed ingest node and a
// PostgreSQL outage. (The NATS-node failure is topology_cluster_test.cc.)
#include <cstdio>
#include <functional>
#include <thread>

#include <gtest/gtest.h>

#include "core/time_util.h"
#include "protocol/gt06/gt06_encoder.h"
#include "protocol/teltonika/teltonika_encoder.h"
#include "test_client.h"
#include "topology_fixture.h"

namespace fleetd::topo {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr size_t kPartitions = 16;

class TopologyE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    topo_ = std::make_unique<Topology>(TopologyOptions{1, kPartitions});
    ASSERT_TRUE(topo_->Start()) << topo_->why();
  }
  void TearDown() override { topo_.reset(); }

  // `per_half` devices on each process worker's partitions, registered, all
  // sending through HAProxy's GT06 port.
  std::vector<DevicePlan> Plans(int per_half, int positions, int batch, std::chrono::milliseconds pace) {
    std::vector<DevicePlan> plans;
    const int64_t first = (NowMs() / 1000 - 2 * 3600) * 1000;
    for (int half = 0; half < 2; ++half) {
      for (int i = 0; i < per_half; ++i) {
        DevicePlan p;
        p.imei = ImeiInPartitions(i, kPartitions, half * kPartitions / 2, (half + 1) * kPartitions / 2 - 1);
        EXPECT_TRUE(topo_->AddDevice(p.imei));
        p.first_ts = first;
        p.positions = positions;
        p.batch = batch;
        p.pace = pace;
        p.port = topo_->haproxy_gt06();
        plans.push_back(p);
      }
    }
    return plans;
  }

  // Runs every plan on its own thread; once `trigger` positions are
  // acknowledged in total, runs `fault` (on this thread, while the devices
  // keep sending).
  std::vector<DeviceResult> RunFleet(const std::vector<DevicePlan>& plans, int trigger,
                                     const std::function<void()>& fault) {
    std::vector<DeviceResult> results(plans.size());
    const auto deadline = Clock::now() + 120s;
    std::vector<std::thread> threads;
    for (size_t i = 0; i < plans.size(); ++i) {
      threads.emplace_back([&, i] { results[i] = RunGt06Device(plans[i], acked_, deadline); });
    }
    while (acked_ < trigger && Clock::now() < deadline) std::this_thread::sleep_for(10ms);
    if (fault) fault();
    for (auto& t : threads) t.join();
    return results;
  }

  // Every device acknowledged all its positions, and the store holds each
  // exactly once (the (device, ts) key makes a duplicate impossible, so
  // count == distinct == planned and the range matches the plan).
  void ExpectStoredExactlyOnce(const std::vector<DevicePlan>& plans, const std::vector<DeviceResult>& results,
                               int64_t extra_rows = 0) {
    int64_t total = 0;
    for (size_t i = 0; i < plans.size(); ++i) {
      EXPECT_EQ(results[i].acked, plans[i].positions) << plans[i].imei << " did not get every batch acknowledged";
      total += plans[i].positions;
    }
    EXPECT_TRUE(topo_->WaitForPositions(total + extra_rows, 90s))
        << "stored " << topo_->TotalPositions() << " of " << total + extra_rows << topo_->Logs();
    std::this_thread::sleep_for(500ms);  // nothing more may arrive
    auto stored = topo_->StoredPositions();
    for (size_t i = 0; i < plans.size(); ++i) {
      const auto& s = stored[plans[i].imei];
      EXPECT_EQ(s.rows, plans[i].positions) << plans[i].imei;
      EXPECT_EQ(s.distinct_ts, plans[i].positions) << plans[i].imei;
      EXPECT_EQ(s.min_ts, plans[i].first_ts) << plans[i].imei;
      EXPECT_EQ(s.max_ts, plans[i].first_ts + (plans[i].positions - 1) * int64_t{1000}) << plans[i].imei;
    }
    EXPECT_EQ(topo_->TotalPositions(), total + extra_rows);
  }

  std::unique_ptr<Topology> topo_;
  std::atomic<int> acked_{0};
};

// A telemetry_update for `uid` within `reads` messages.
bool SeesUpdate(test::WsClient& ws, const std::string& uid, int reads = 50) {
  for (int i = 0; i < reads; ++i) {
    auto msg = ws.Read(10s);
    if (!msg) return false;
    if ((*msg)["type"] == "telemetry_update" && (*msg)["vehicle_id"] == uid) return true;
  }
  return false;
}

TEST_F(TopologyE2eTest, DevicesThroughHaproxyReachPostgresOnceAndEitherApiNode) {
  const std::string token = topo_->Token();
  // A WebSocket on API node 1 (directly) and one through HAProxy's API port.
  test::WsClient ws1(topo_->node("api-1").http_port, "/api/v1/stream?access_token=" + token);
  test::WsClient ws_lb(topo_->haproxy_api(), "/api/v1/stream?access_token=" + token);
  ASSERT_TRUE(ws1.ok());
  ASSERT_TRUE(ws_lb.ok()) << "WebSocket upgrade through HAProxy failed";
  ASSERT_TRUE(ws1.Read().has_value());  // snapshots
  ASSERT_TRUE(ws_lb.Read().has_value());

  // A position that enters through ingest node 2 shows up on API node 1.
  const std::string cross = "359710049999991";
  ASSERT_TRUE(topo_->AddDevice(cross));
  {
    test::DeviceClient d(topo_->node("ingest-2").gt06_port);
    d.Send(gt06::EncodeLogin(cross, 1));
    ASSERT_EQ(d.Read(10), gt06::EncodeReply(0x01, 1));
    gt06::PositionFix fix;
    fix.time_ms = (NowMs() / 1000 - 60) * 1000;
    fix.lat = 51.5;
    fix.lng = -0.12;
    d.Send(gt06::EncodePosition(fix, 2));
    d.Send(gt06::EncodeHeartbeat(true, 4, 3, 3));
    ASSERT_EQ(d.Read(10), gt06::EncodeReply(0x13, 3));
  }
  EXPECT_TRUE(SeesUpdate(ws1, cross)) << "API node 1 never pushed what ingest node 2 took in" << topo_->Logs();
  EXPECT_TRUE(SeesUpdate(ws_lb, cross)) << "no push through HAProxy's API frontend";

  // A Teltonika device through HAProxy's Teltonika frontend: the record
  // count comes back only once the records are durable.
  const std::string tel = "352093081429150";
  ASSERT_TRUE(topo_->AddDevice(tel));
  {
    test::DeviceClient d(topo_->haproxy_teltonika());
    d.Send(teltonika::EncodeImei(tel));
    ASSERT_EQ(d.Read(1), std::vector<uint8_t>{0x01});
    std::vector<teltonika::AvlRecord> records(5);
    for (size_t i = 0; i < records.size(); ++i) {
      records[i].time_ms = (NowMs() / 1000 - 600 + static_cast<int64_t>(i)) * 1000;
      records[i].lat = 54.68;
      records[i].lng = 25.28 + 0.001 * static_cast<double>(i);
      records[i].satellites = 8;
    }
    d.Send(teltonika::EncodeCodec8(records));
    EXPECT_EQ(d.Read(4), (std::vector<uint8_t>{0, 0, 0, 5}));
  }

  // Eight GT06 devices at once through HAProxy: leastconn spreads them.
  auto plans = Plans(4, 60, 10, 20ms);
  auto results = RunFleet(plans, 0, nullptr);
  ExpectStoredExactlyOnce(plans, results, 1 + 5);
  const std::string series = "fleetd_messages_total{protocol=\"gt06\"}";
  const double m1 = topo_->Metric("ingest-1", series), m2 = topo_->Metric("ingest-2", series);
  EXPECT_GT(m1, 0) << "ingest-1 took no GT06 messages";
  EXPECT_GT(m2, 1) << "ingest-2 took no GT06 messages through HAProxy";
  // Positions, heartbeats and logins of the fleet, plus the cross-node device's 3.
  EXPECT_GE(m1 + m2, 8 * 60 + 3);
  std::printf("GT06 messages counted: ingest-1 %.0f, ingest-2 %.0f\n", m1, m2);

  // REST: every API node, and HAProxy's frontend, serves the same history.
  const std::string path = "/api/v1/devices/" + plans[0].imei + "/positions?limit=1000";
  for (uint16_t port : {topo_->node("api-1").http_port, topo_->node("api-2").http_port, topo_->haproxy_api()}) {
    auto r = test::Http(port, "GET", path, "", token);
    ASSERT_EQ(r.status, 200) << port;
    EXPECT_EQ(r.Json()["positions"].size(), 60u) << port;
  }
  auto tel_r = test::Http(topo_->node("api-2").http_port, "GET", "/api/v1/devices/" + tel + "/positions", "", token);
  EXPECT_EQ(tel_r.Json()["positions"].size(), 5u);
}

TEST_F(TopologyE2eTest, ProcessWorkerSigkilledMidStreamLosesNothingAcknowledged) {
  auto plans = Plans(2, 300, 10, 150ms);  // plans[0..1] on process-1's partitions, [2..3] on process-2's
  std::map<std::string, Topology::Stored> at_kill, before_restart;
  int acked_at_kill = 0, acked_before_restart = 0;
  auto results = RunFleet(plans, 200, [&] {
    topo_->KillNode("process-1");
    acked_at_kill = acked_;
    at_kill = topo_->StoredPositions();
    std::this_thread::sleep_for(3s);
    acked_before_restart = acked_;
    before_restart = topo_->StoredPositions();
    ASSERT_TRUE(topo_->StartNode(topo_->node("process-1"))) << topo_->why();
  });
  // While process-1 was down, ingest kept acknowledging (JetStream holds
  // the data), process-2 kept storing its partitions and nobody stored
  // process-1's: consume= ranges are static, there is no takeover.
  EXPECT_GT(acked_before_restart, acked_at_kill);
  std::printf("acknowledged while process-1 was down 3 s: %d\n", acked_before_restart - acked_at_kill);
  for (int i : {0, 1}) EXPECT_EQ(before_restart[plans[i].imei].rows, at_kill[plans[i].imei].rows) << plans[i].imei;
  EXPECT_GT(before_restart[plans[2].imei].rows + before_restart[plans[3].imei].rows,
            at_kill[plans[2].imei].rows + at_kill[plans[3].imei].rows);
  ExpectStoredExactlyOnce(plans, results);
}

TEST_F(TopologyE2eTest, IngestNodeSigkilledDevicesReconnectThroughHaproxy) {
  auto plans = Plans(3, 300, 10, 100ms);
  const std::string series = "fleetd_messages_total{protocol=\"gt06\"}";
  double ingest2_at_kill = 0;
  auto results = RunFleet(plans, 300, [&] {
    ingest2_at_kill = topo_->Metric("ingest-2", series);
    topo_->KillNode("ingest-1");
  });
  int reconnected = 0;
  for (auto& r : results) reconnected += r.connections > 1 ? 1 : 0;
  EXPECT_GT(reconnected, 0) << "no device was on the killed node";
  std::printf("devices that reconnected to ingest-2: %d of %zu\n", reconnected, results.size());
  EXPECT_GT(topo_->Metric("ingest-2", series), ingest2_at_kill);
  ExpectStoredExactlyOnce(plans, results);
}

TEST_F(TopologyE2eTest, PostgresDownTenSecondsAcksKeepFlowingAndAllIsStoredOnce) {
  auto plans = Plans(2, 400, 10, 300ms);
  int acked_at_stop = 0, acked_before_start = 0;
  auto results = RunFleet(plans, 120, [&] {
    topo_->StopPostgres();
    acked_at_stop = acked_;
    std::this_thread::sleep_for(10s);
    acked_before_start = acked_;
    ASSERT_TRUE(topo_->StartPostgres()) << topo_->why();
  });
  EXPECT_GT(acked_before_start - acked_at_stop, 100) << "acknowledgements stopped while PostgreSQL was down";
  std::printf("positions acknowledged while PostgreSQL was down 10 s: %d\n", acked_before_start - acked_at_stop);
  ExpectStoredExactlyOnce(plans, results);
}

}  // namespace
}  // namespace fleetd::topo
