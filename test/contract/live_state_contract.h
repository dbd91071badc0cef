// LiveState contract suite: what every fleetd::LiveState must do, in memory or
// on Redis — latest located message per device, older messages ignored,
// tenant isolation, every envelope sent to every listener after the update,
// "near a point" queries nearest first.
//
// Header-only, value-parameterized; include in exactly one translation unit
// and instantiate with INSTANTIATE_TEST_SUITE_P(..., LiveStateContractTest,
// testing::Values(LiveStateContractParam{"Name", factory}),
// LiveStateContractParamName). `make()` returns a new, empty live state.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "contract/live_envelope.h"
#include "fleetd/live_state.h"

namespace fleetd::contract {

struct LiveStateContractParam {
  std::string name;
  std::function<std::unique_ptr<LiveState>()> make;
};
inline void PrintTo(const LiveStateContractParam& p, std::ostream* os) { *os << p.name; }
inline std::string LiveStateContractParamName(const testing::TestParamInfo<LiveStateContractParam>& info) {
  return info.param.name;
}

class LiveStateContractTest : public testing::TestWithParam<LiveStateContractParam> {
 protected:
  void SetUp() override {
    live_ = GetParam().make();
    ASSERT_NE(live_, nullptr) << "the factory could not make a live state";
  }
  void Apply(std::vector<Envelope> batch) { live_->Update(batch); }
  std::unique_ptr<LiveState> live_;
};

TEST_P(LiveStateContractTest, KeepsTheNewestLocatedMessage) {
  Apply({LiveEnvelope(1, "A", 2000, 10, 20)});
  Apply({LiveEnvelope(1, "A", 1000, 11, 21)});  // older: ignored
  auto got = live_->Get(1, "A");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->ts, 2000);
  EXPECT_EQ(got->lat, 10);

  Apply({LiveEnvelope(1, "A", 3000, std::nullopt, std::nullopt)});  // no position: ignored
  EXPECT_EQ(live_->Get(1, "A")->ts, 2000);
  Apply({LiveEnvelope(1, "A", 3000, 12, 22), LiveEnvelope(1, "A", 2500, 13, 23)});  // within one batch too
  got = live_->Get(1, "A");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->ts, 3000);
  EXPECT_EQ(got->lat, 12);
  EXPECT_FALSE(live_->Get(1, "B").has_value());
}

TEST_P(LiveStateContractTest, UnlocatedFirstMessageCreatesNoState) {
  Apply(
      {LiveEnvelope(1, "A", 1000, std::nullopt, std::nullopt), LiveEnvelope(1, "B", 1000, 5, std::nullopt)});
  EXPECT_FALSE(live_->Get(1, "A").has_value());
  EXPECT_FALSE(live_->Get(1, "B").has_value()) << "lat without lng is not a position";
  EXPECT_TRUE(live_->Snapshot(1).empty());
}

TEST_P(LiveStateContractTest, TenantsAreIsolated) {
  Apply({LiveEnvelope(1, "A", 1000), LiveEnvelope(1, "B", 1000), LiveEnvelope(2, "C", 1000)});
  EXPECT_FALSE(live_->Get(2, "A").has_value());
  EXPECT_FALSE(live_->Get(1, "C").has_value());
  auto one = live_->Snapshot(1);
  ASSERT_EQ(one.size(), 2u);
  std::vector<std::string> uids = {one[0].device_uid, one[1].device_uid};
  std::sort(uids.begin(), uids.end());
  EXPECT_EQ(uids, (std::vector<std::string>{"A", "B"}));
  auto two = live_->Snapshot(2);
  ASSERT_EQ(two.size(), 1u);
  EXPECT_EQ(two[0].device_uid, "C");
  EXPECT_TRUE(live_->Snapshot(3).empty());
}

TEST_P(LiveStateContractTest, ListenersSeeEveryEnvelopeAfterTheUpdate) {
  std::vector<std::string> seen;
  std::vector<std::optional<TimestampMs>> state_at_call;
  uint64_t id = live_->Subscribe([&](const Envelope& e) {
    seen.push_back(e.message.device_uid + "@" + std::to_string(e.message.ts.value_or(-1)));
    auto now = live_->Get(e.tenant_id, e.message.device_uid);
    state_at_call.push_back(now ? now->ts : std::nullopt);
  });
  int other_calls = 0;
  uint64_t other = live_->Subscribe([&](const Envelope&) { ++other_calls; });
  EXPECT_NE(id, other);

  Apply({LiveEnvelope(1, "A", 2000), LiveEnvelope(1, "A", 1000),
         LiveEnvelope(2, "B", std::nullopt, std::nullopt)});
  EXPECT_EQ(seen, (std::vector<std::string>{"A@2000", "A@1000", "B@-1"}))
      << "every envelope, older and unlocated included, in batch order";
  // The state is already updated for the whole batch when listeners run.
  EXPECT_EQ(state_at_call, (std::vector<std::optional<TimestampMs>>{2000, 2000, std::nullopt}));
  EXPECT_EQ(other_calls, 3);

  live_->Unsubscribe(id);
  Apply({LiveEnvelope(1, "A", 3000)});
  EXPECT_EQ(seen.size(), 3u) << "no calls after Unsubscribe";
  EXPECT_EQ(other_calls, 4);
  live_->Unsubscribe(id);  // twice: harmless
  live_->Unsubscribe(987654);
}

TEST_P(LiveStateContractTest, ConcurrentUpdatesKeepTheMaximum) {
  std::atomic<int> calls{0};
  live_->Subscribe([&](const Envelope&) { ++calls; });
  auto updater = [&](int parity) {
    for (int i = parity; i < 2000; i += 2) {
      std::vector<Envelope> batch = {LiveEnvelope(1, "dev" + std::to_string(i % 4), i)};
      live_->Update(batch);
    }
  };
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop) {
      for (const auto& m : live_->Snapshot(1)) ASSERT_TRUE(m.has_position());
    }
  });
  std::thread t0(updater, 0), t1(updater, 1);
  t0.join();
  t1.join();
  stop = true;
  reader.join();
  EXPECT_EQ(calls, 2000);
  for (int d = 0; d < 4; ++d) {
    auto got = live_->Get(1, "dev" + std::to_string(d));
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->ts, 1996 + d) << "the newest message must win whatever the interleaving";
  }
}

inline std::vector<std::string> UidsOf(const std::vector<Message>& messages) {
  std::vector<std::string> out;
  for (const Message& m : messages) out.push_back(m.device_uid);
  return out;
}

// Around (52.52, 13.40): 0.01 degree of latitude is 1112 m on Redis's sphere,
// 0.03 degree of longitude there is 2031 m. Margins are far above Redis
// GEO's 52-bit geohash error (under 1 m).
TEST_P(LiveStateContractTest, NearFindsDevicesWithinTheRadiusNearestFirst) {
  Apply({LiveEnvelope(1, "far", 1000, 52.60, 13.40),    // 8897 m north
         LiveEnvelope(1, "east", 1000, 52.52, 13.43),   // 2031 m east
         LiveEnvelope(1, "north", 1000, 52.53, 13.40),  // 1112 m north
         LiveEnvelope(1, "here", 1000, 52.52, 13.40),   // at the centre
         LiveEnvelope(2, "other", 1000, 52.52, 13.40),  // another tenant
         LiveEnvelope(1, "nofix", 1000, std::nullopt, std::nullopt)});
  EXPECT_EQ(UidsOf(live_->Near(1, 52.52, 13.40, 5000, 10)), (std::vector<std::string>{"here", "north", "east"}));
  EXPECT_EQ(UidsOf(live_->Near(1, 52.52, 13.40, 5000, 2)), (std::vector<std::string>{"here", "north"}));
  EXPECT_EQ(UidsOf(live_->Near(1, 52.52, 13.40, 1000, 10)), (std::vector<std::string>{"here"}));
  EXPECT_EQ(UidsOf(live_->Near(1, 52.52, 13.40, 1200, 10)), (std::vector<std::string>{"here", "north"}));
  EXPECT_EQ(UidsOf(live_->Near(1, 52.52, 13.40, 100000, 10)),
            (std::vector<std::string>{"here", "north", "east", "far"}));
  // From another centre the order changes: east of everything.
  EXPECT_EQ(UidsOf(live_->Near(1, 52.52, 13.45, 100000, 10)),
            (std::vector<std::string>{"east", "here", "north", "far"}));
  EXPECT_TRUE(live_->Near(1, 10.0, 10.0, 100000, 10).empty());
  auto near = live_->Near(1, 52.52, 13.40, 1, 10);
  ASSERT_EQ(near.size(), 1u);
  EXPECT_EQ(near[0].lat, 52.52) << "Near returns the stored message itself";
  EXPECT_EQ(near[0].ts, 1000);

  // Tenants are isolated.
  EXPECT_EQ(UidsOf(live_->Near(2, 52.52, 13.40, 100000, 10)), (std::vector<std::string>{"other"}));
  EXPECT_TRUE(live_->Near(3, 52.52, 13.40, 100000, 10).empty());
}

TEST_P(LiveStateContractTest, NearWithTheLargestRadiusSpansContinents) {
  Apply({LiveEnvelope(1, "sydney", 1000, -33.87, 151.21), LiveEnvelope(1, "berlin", 1000, 52.52, 13.40),
         LiveEnvelope(1, "quito", 1000, -0.18, -78.47)});
  // From (0, 0): Berlin ~6,000 km, Quito ~8,700 km, Sydney ~15,000 km.
  EXPECT_EQ(UidsOf(live_->Near(1, 0, 0, 20'000'000, 10)), (std::vector<std::string>{"berlin", "quito", "sydney"}));
  EXPECT_EQ(UidsOf(live_->Near(1, 0, 0, 10'000'000, 10)), (std::vector<std::string>{"berlin", "quito"}));
  // Across the antimeridian: (-33.87, 151.21) is close to (-34, -179.9) the short way round.
  EXPECT_EQ(UidsOf(live_->Near(1, -34, -179.9, 3'500'000, 10)), (std::vector<std::string>{"sydney"}));
}

// A device removed from the store is forgotten: gone from Get, Snapshot and
// Near, its tenant's other devices and other tenants untouched; a later
// update brings it back (a message in flight when it was removed), even an
// older one (nothing newer is held any more).
TEST_P(LiveStateContractTest, ForgetRemovesOneDeviceUntilItsNextUpdate) {
  Apply({LiveEnvelope(1, "gone", 2000, 52.52, 13.40), LiveEnvelope(1, "kept", 2000, 52.53, 13.40),
         LiveEnvelope(2, "gone", 2000, 52.52, 13.40)});
  ASSERT_TRUE(live_->Forget(1, "gone").ok());
  EXPECT_FALSE(live_->Get(1, "gone").has_value());
  EXPECT_EQ(UidsOf(live_->Snapshot(1)), (std::vector<std::string>{"kept"}));
  EXPECT_EQ(UidsOf(live_->Near(1, 52.52, 13.40, 5000, 10)), (std::vector<std::string>{"kept"}));
  EXPECT_TRUE(live_->Get(2, "gone").has_value()) << "another tenant's device of the same uid";
  EXPECT_EQ(UidsOf(live_->Near(2, 52.52, 13.40, 5000, 10)), (std::vector<std::string>{"gone"}));
  EXPECT_TRUE(live_->Forget(1, "gone").ok()) << "forgetting twice";
  EXPECT_TRUE(live_->Forget(9, "never-seen").ok());

  Apply({LiveEnvelope(1, "gone", 1000, 52.60, 13.40)});
  ASSERT_TRUE(live_->Get(1, "gone").has_value());
  EXPECT_EQ(live_->Get(1, "gone")->ts, 1000);
  EXPECT_EQ(UidsOf(live_->Near(1, 52.60, 13.40, 100, 10)), (std::vector<std::string>{"gone"}));
}

TEST_P(LiveStateContractTest, NearFollowsTheNewestPosition) {
  Apply({LiveEnvelope(1, "a", 2000, 52.52, 13.40), LiveEnvelope(1, "b", 2000, 52.53, 13.40)});
  Apply({LiveEnvelope(1, "a", 1000, 52.60, 13.40)});  // older: does not move "a"
  EXPECT_EQ(UidsOf(live_->Near(1, 52.52, 13.40, 5000, 10)), (std::vector<std::string>{"a", "b"}));
  Apply({LiveEnvelope(1, "a", 3000, 52.60, 13.40)});  // newer: "a" leaves the circle
  EXPECT_EQ(UidsOf(live_->Near(1, 52.52, 13.40, 5000, 10)), (std::vector<std::string>{"b"}));
  EXPECT_EQ(UidsOf(live_->Near(1, 52.60, 13.40, 5000, 10)), (std::vector<std::string>{"a"}));
}

TEST_P(LiveStateContractTest, NearAnswersEmptyOutsideItsDomain) {
  Apply({LiveEnvelope(1, "a", 1000, 52.52, 13.40)});
  ASSERT_EQ(live_->Near(1, 52.52, 13.40, 10, 10).size(), 1u);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_TRUE(live_->Near(1, 52.52, 13.40, -1, 10).empty());
  EXPECT_TRUE(live_->Near(1, 52.52, 13.40, nan, 10).empty());
  EXPECT_TRUE(live_->Near(1, 52.52, 13.40, inf, 10).empty());
  EXPECT_TRUE(live_->Near(1, nan, 13.40, 10, 10).empty());
  EXPECT_TRUE(live_->Near(1, 52.52, inf, 10, 10).empty());
  EXPECT_TRUE(live_->Near(1, 91, 13.40, 10, 10).empty());
  EXPECT_TRUE(live_->Near(1, 85.1, 13.40, 10, 10).empty()) << "beyond kNearMaxLatitude";
  EXPECT_TRUE(live_->Near(1, 52.52, 180.5, 10, 10).empty());
  EXPECT_TRUE(live_->Near(1, 52.52, 13.40, 10, 0).empty());
}

TEST_P(LiveStateContractTest, PolarPositionsAreKeptButNotFoundByNear) {
  Apply({LiveEnvelope(1, "pole", 1000, 89.5, 10.0), LiveEnvelope(1, "edge", 1000, 84.9, 10.0)});
  ASSERT_TRUE(live_->Get(1, "pole").has_value());
  EXPECT_EQ(live_->Get(1, "pole")->lat, 89.5);
  EXPECT_EQ(live_->Snapshot(1).size(), 2u);
  EXPECT_EQ(UidsOf(live_->Near(1, 85.0, 10.0, 1'000'000, 10)), (std::vector<std::string>{"edge"}));
  // Moving into range puts it back into the index.
  Apply({LiveEnvelope(1, "pole", 2000, 85.0, 10.0)});
  EXPECT_EQ(UidsOf(live_->Near(1, 85.0, 10.0, 1'000'000, 10)), (std::vector<std::string>{"pole", "edge"}));
  // And leaving it takes it out again.
  Apply({LiveEnvelope(1, "pole", 3000, -89.0, 10.0)});
  EXPECT_EQ(UidsOf(live_->Near(1, 85.0, 10.0, 1'000'000, 10)), (std::vector<std::string>{"edge"}));
}

}  // namespace fleetd::contract
