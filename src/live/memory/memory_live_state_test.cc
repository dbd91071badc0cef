// MemoryLiveState: the shared LiveState contract plus the in-process feed's
// own promise — Unsubscribe waits for a running listener and is final.
#include "live/memory/memory_live_state.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "contract/live_state_contract.h"

namespace fleetd {
namespace {

using contract::LiveEnvelope;
using contract::LiveStateContractParam;
using contract::LiveStateContractTest;

INSTANTIATE_TEST_SUITE_P(Memory, LiveStateContractTest,
                         testing::Values(LiveStateContractParam{"Memory",
                                                                []() -> std::unique_ptr<LiveState> {
                                                                  return std::make_unique<MemoryLiveState>();
                                                                }}),
                         contract::LiveStateContractParamName);

TEST(MemoryLiveStateTest, MessageWithoutTsIsOrderedByReceivedAt) {
  MemoryLiveState live;
  Envelope a = LiveEnvelope(1, "A", std::nullopt);
  a.message.received_at = 5000;
  Envelope b = LiveEnvelope(1, "A", std::nullopt, 9, 9);
  b.message.received_at = 4000;
  std::vector<Envelope> batch = {a, b};
  live.Update(batch);
  EXPECT_EQ(live.Get(1, "A")->received_at, 5000);
}

TEST(MemoryLiveStateTest, EqualTimeReplaces) {
  MemoryLiveState live;
  std::vector<Envelope> batch = {LiveEnvelope(1, "A", 1000, 1, 1), LiveEnvelope(1, "A", 1000, 2, 2)};
  live.Update(batch);
  EXPECT_EQ(live.Get(1, "A")->lat, 2);
}

TEST(MemoryLiveStateTest, UnsubscribeWaitsForARunningListener) {
  MemoryLiveState live;
  std::atomic<bool> in_listener{false};
  std::atomic<bool> finished{false};
  uint64_t id = live.Subscribe([&](const Envelope&) {
    in_listener = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    finished = true;
  });
  std::thread updater([&] {
    std::vector<Envelope> batch = {LiveEnvelope(1, "A", 1)};
    live.Update(batch);
  });
  while (!in_listener) std::this_thread::yield();
  live.Unsubscribe(id);
  EXPECT_TRUE(finished) << "Unsubscribe returned while its listener was still running";
  updater.join();
}

TEST(MemoryLiveStateTest, ListenerMayReadState) {
  MemoryLiveState live;
  size_t snapshot_size = 0;
  live.Subscribe([&](const Envelope& e) { snapshot_size = live.Snapshot(e.tenant_id).size(); });
  std::vector<Envelope> batch = {LiveEnvelope(1, "A", 1), LiveEnvelope(1, "B", 1)};
  live.Update(batch);
  EXPECT_EQ(snapshot_size, 2u);
}

}  // namespace
}  // namespace fleetd
