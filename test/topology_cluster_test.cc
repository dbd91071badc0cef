// The topology of topology_e2e_test.cc on a 3-node NATS cluster whose
// stream has 3 replicas: one node (the one most fleetd nodes are connected
// to, else the stream leader) is SIGKILLed while devices send. Publishing
// continues on the other two (clients fail over between the URL's hosts, a
// new leader is elected if needed), and every position a
// device saw acknowledged is stored exactly once. Its own binary so ctest
// runs it beside the single-node tests.
#include <signal.h>

#include <cstdio>
#include <thread>

#include <gtest/gtest.h>

#include "core/time_util.h"
#include "topology_fixture.h"

namespace fleetd::topo {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

TEST(TopologyClusterTest, NatsNodeSigkilledNothingAcknowledgedIsLost) {
  constexpr size_t kPartitions = 16;
  Topology topo(TopologyOptions{3, kPartitions});
  ASSERT_TRUE(topo.Start()) << topo.why();

  std::vector<DevicePlan> plans;
  const int64_t first = (NowMs() / 1000 - 2 * 3600) * 1000;
  for (int i = 0; i < 4; ++i) {
    DevicePlan p;
    p.imei = ImeiInPartitions(i / 2, kPartitions, (i % 2) * 8, (i % 2) * 8 + 7);
    ASSERT_TRUE(topo.AddDevice(p.imei));
    p.first_ts = first;
    p.positions = 300;
    p.batch = 10;
    p.pace = 100ms;
    p.port = topo.haproxy_gt06();
    plans.push_back(p);
  }

  std::atomic<int> acked{0};
  std::vector<DeviceResult> results(plans.size());
  const auto deadline = Clock::now() + 150s;
  std::vector<std::thread> threads;
  for (size_t i = 0; i < plans.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = RunGt06Device(plans[i], acked, deadline); });
  }
  while (acked < 300 && Clock::now() < deadline) std::this_thread::sleep_for(10ms);
  // The victim: the member holding the most fleetd connections (their
  // in-flight publishes die with it and the clients must fail over), and
  // among equals the stream's leader (a new one must be elected).
  const std::string leader = topo.StreamLeader();
  ASSERT_FALSE(leader.empty()) << "no stream leader reported" << topo.Logs();
  int victim = leader.back() - '0';  // server names are n0, n1, n2
  ASSERT_GE(victim, 0);
  ASSERT_LE(victim, 2);
  int connections_on_victim = topo.NatsConnections(victim);
  for (int i = 0; i < 3; ++i) {
    const int c = topo.NatsConnections(i);
    if (c > connections_on_victim) victim = i, connections_on_victim = c;
  }
  const int acked_at_kill = acked;
  topo.nats(victim).Signal(SIGKILL);
  ASSERT_TRUE(topo.nats(victim).WaitExit(10s));
  for (auto& t : threads) t.join();
  EXPECT_GT(acked.load(), acked_at_kill) << "publishing stopped with one of three NATS nodes gone";
  std::string new_leader;
  for (int i = 0; i < 50 && (new_leader.empty() || new_leader == "n" + std::to_string(victim)); ++i) {
    new_leader = topo.StreamLeader();
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_NE(new_leader, "n" + std::to_string(victim));
  int connections = 0;
  for (auto& r : results) connections += r.connections;
  std::printf("killed n%d (%d fleetd connections; stream leader was %s, now %s) at %d acknowledged; device "
              "connections %d\n", victim, connections_on_victim, leader.c_str(), new_leader.c_str(), acked_at_kill,
              connections);

  int64_t total = 0;
  for (size_t i = 0; i < plans.size(); ++i) {
    EXPECT_EQ(results[i].acked, plans[i].positions) << plans[i].imei;
    total += plans[i].positions;
  }
  EXPECT_TRUE(topo.WaitForPositions(total, 90s)) << "stored " << topo.TotalPositions() << " of " << total
                                                 << topo.Logs();
  std::this_thread::sleep_for(500ms);
  auto stored = topo.StoredPositions();
  for (const auto& p : plans) {
    EXPECT_EQ(stored[p.imei].rows, p.positions) << p.imei;
    EXPECT_EQ(stored[p.imei].distinct_ts, p.positions) << p.imei;
  }
  EXPECT_EQ(topo.TotalPositions(), total);
}

}  // namespace
}  // namespace fleetd::topo
