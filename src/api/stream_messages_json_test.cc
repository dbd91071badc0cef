// The live feed's text must be byte for byte what the nlohmann tree gave
// (stream_messages_tree_reference.h): dashboards and API clients read it,
// and changing writers must change nothing they see. Checked on every
// message the real packets decode to, then on made-up messages built to
// break a writer: hostile strings, non-finite and extreme numbers, missing
// fields, and attribute keys named like the members "data" reorders.
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "api/stream_messages.h"
#include "api/stream_messages_tree_reference.h"
#include "api/test_fakes.h"
#include "protocol/registry.h"
#include "protocol/testing/vector_messages.h"

namespace fleetd::api {
namespace {

using reference::TreeSnapshotJson;
using reference::TreeTelemetryUpdateJson;

// Each message's telemetry update, and the snapshot of them all, equal
// their references; the snapshot also with a filter that lets every other
// uid through.
void ExpectTextEqualsTree(const std::vector<Message>& messages) {
  for (const Message& m : messages) {
    ASSERT_EQ(TelemetryUpdateJson(m), TreeTelemetryUpdateJson(m)) << ::testing::PrintToString(m.device_uid);
  }
  ASSERT_EQ(SnapshotJson(messages, std::nullopt), TreeSnapshotJson(messages, std::nullopt));
  std::set<std::string, std::less<>> every_other;
  for (size_t i = 0; i < messages.size(); i += 2) every_other.insert(messages[i].device_uid);
  ASSERT_EQ(SnapshotJson(messages, every_other), TreeSnapshotJson(messages, every_other));
}

TEST(StreamMessagesJsonTest, EqualsTreeOnEveryVectorMessage) {
  ProtocolRegistry registry;
  RegisterBuiltinProtocols(registry);
  size_t compared = 0;
  for (const std::string& name : registry.Names()) {
    auto decoded = vectors::DecodeVectorMessages(*registry.Find(name));
    ASSERT_TRUE(decoded) << name << ": vectors missing";
    std::vector<Message> messages;
    for (const auto& [id, m] : *decoded) {
      EXPECT_EQ(TelemetryUpdateJson(m), TreeTelemetryUpdateJson(m)) << id;
      messages.push_back(m);
    }
    EXPECT_EQ(SnapshotJson(messages, std::nullopt), TreeSnapshotJson(messages, std::nullopt)) << name;
    compared += messages.size();
  }
  EXPECT_GT(compared, 200u);
}

// Made-up messages: every field present or absent at random, values drawn
// from pools of the ones writers get wrong.
class HostileMessages {
 public:
  explicit HostileMessages(uint64_t seed) : rng_(seed) {}

  // Invalid UTF-8 (bad leads, truncated and overlong sequences, surrogates),
  // controls, quotes and backslashes, good multi-byte text; now and then
  // very long.
  std::string String() {
    static constexpr std::string_view kPieces[] = {
        "a", "\"", "\\", "/", std::string_view("\0", 1), "\x01", "\x1f", "\x7f", "\n", "\t", "\x80", "\xff",
        "\xc3", "\xc3\xa9", "\xc0\xaf", "\xe2\x82", "\xe2\x82\xac", "\xed\xa0\x80", "\xf0\x9f\x9a\x9a", "\xf0\x9f",
        "\xf4\x90\x80\x80", "\xf5", "\xee\x80\x80", "speed", "lat"};
    const size_t length = rng_() % 50 == 0 ? 4000 + rng_() % 6000 : rng_() % 10;
    std::string s;
    for (size_t i = 0; i < length; ++i) {
      if (rng_() % 4 == 0) {
        s.push_back(static_cast<char>(rng_() % 256));
      } else {
        s.append(kPieces[rng_() % std::size(kPieces)]);
      }
    }
    return s;
  }

  double Double() {
    static constexpr double kPool[] = {std::numeric_limits<double>::quiet_NaN(),
                                       std::numeric_limits<double>::infinity(),
                                       -std::numeric_limits<double>::infinity(),
                                       std::numeric_limits<double>::max(),
                                       std::numeric_limits<double>::lowest(),
                                       std::numeric_limits<double>::min(),
                                       std::numeric_limits<double>::denorm_min(),
                                       -0.0, 0.0, 1.0, 12.0, 0.1, 1e16, 1e17, 1e-7, 9007199254740993.0,
                                       22.5479316, -114.0542716, 359.99999999999994};
    if (rng_() % 3 == 0) {
      const uint64_t bits = rng_();
      double d;
      std::memcpy(&d, &bits, sizeof d);
      return d;  // any bit pattern: NaNs with payloads, subnormals, huge exponents
    }
    return kPool[rng_() % std::size(kPool)];
  }

  int64_t Int() {
    static constexpr int64_t kPool[] = {0, -1, 1, std::numeric_limits<int64_t>::min(),
                                        std::numeric_limits<int64_t>::max(), 4294967296};
    return rng_() % 2 ? kPool[rng_() % std::size(kPool)] : static_cast<int64_t>(rng_());
  }

  AttributeValue Attribute() {
    switch (rng_() % 4) {
      case 0: return rng_() % 2 == 0;
      case 1: return Int();
      case 2: return Double();
      default: return String();
    }
  }

  template <typename T, typename Make>
  void Maybe(std::optional<T>& field, Make make) {
    if (rng_() % 2) field = make();
  }

  Message Next() {
    Message m;
    m.device_uid = String();
    m.protocol = String();
    m.kind = static_cast<MessageKind>(rng_() % 7);
    m.received_at = static_cast<TimestampMs>(rng_() % 4'000'000'000'000);
    Maybe(m.ts, [&] { return static_cast<TimestampMs>(rng_() % 4'000'000'000'000); });
    Maybe(m.valid, [&] { return rng_() % 2 == 0; });
    for (std::optional<double>* field : {&m.lat, &m.lng, &m.altitude_m, &m.speed_kmh, &m.heading, &m.hdop,
                                         &m.odometer_km, &m.battery_v, &m.power_v, &m.fuel_pct, &m.engine_temp_c,
                                         &m.rpm}) {
      Maybe(*field, [&] { return Double(); });
    }
    Maybe(m.satellites, [&] { return static_cast<int>(Int()); });
    Maybe(m.ignition, [&] { return rng_() % 2 == 0; });
    Maybe(m.alarm, [&] { return static_cast<Alarm>(rng_() % (static_cast<int>(Alarm::kGeneral) + 1)); });
    Maybe(m.cell, [&] { return CellTower{Int(), Int(), Int(), Int()}; });
    static constexpr std::string_view kMemberLikeKeys[] = {
        "speed", "data", "lat", "lng", "ts", "type", "heading", "vehicle_id", "speed_kmh", "attributes",
        "device_uid", "cell_id", "lac", "mcc", "mnc", ""};
    for (size_t n = rng_() % 6; n > 0; --n) {
      const std::string key = rng_() % 2 ? std::string(kMemberLikeKeys[rng_() % std::size(kMemberLikeKeys)]) : String();
      m.attributes.Set(key, Attribute());
    }
    return m;
  }

 private:
  std::mt19937_64 rng_;
};

TEST(StreamMessagesJsonTest, EqualsTreeOnHostileMessages) {
  HostileMessages hostile(20261205);
  for (int round = 0; round < 500; ++round) {
    std::vector<Message> messages(round % 8);
    for (Message& m : messages) m = hostile.Next();
    ExpectTextEqualsTree(messages);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(StreamMessagesJsonTest, EqualsTreeOnNonFiniteAndExtremeNumbers) {
  const double kNumbers[] = {std::nan(""), -std::nan(""), std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::max(),
                             std::numeric_limits<double>::lowest(), std::numeric_limits<double>::denorm_min(),
                             -0.0, 1e300, -1e-300, 1e16, 0.1};
  std::vector<Message> messages;
  for (double d : kNumbers) {
    Message m = testing::TestMessage("x", 1'700'000'000'000, d, d, d);
    m.heading = d;
    m.altitude_m = m.hdop = m.odometer_km = m.battery_v = m.power_v = m.fuel_pct = m.engine_temp_c = m.rpm = d;
    m.satellites = std::numeric_limits<int>::min();
    m.cell = CellTower{std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(), 0, -1};
    m.attributes.Set("lac", d);  // replaces the cell's lac, or leaves it when not finite
    m.attributes.Set("number", d);
    m.attributes.Set("big", std::numeric_limits<int64_t>::min());
    messages.push_back(m);
  }
  ExpectTextEqualsTree(messages);
}

TEST(StreamMessagesJsonTest, EqualsTreeWithFieldsMissing) {
  std::vector<Message> messages;
  messages.emplace_back();  // nothing known: no ts, no fix, no attributes
  Message fix_only;
  fix_only.lat = 1.5;
  messages.push_back(fix_only);  // lat without lng
  Message no_fix = testing::TestMessage("y", 1000, 1, 2, 3);
  no_fix.lat.reset();
  no_fix.lng.reset();
  no_fix.ts.reset();
  messages.push_back(no_fix);
  Message speed_only;
  speed_only.speed_kmh = 0.0;
  messages.push_back(speed_only);
  Message cell_only;
  cell_only.cell = CellTower{460, 0, 10133, 5173};
  messages.push_back(cell_only);
  Message heading_only;
  heading_only.heading = 359.9;
  heading_only.alarm = Alarm::kSos;
  messages.push_back(heading_only);
  ExpectTextEqualsTree(messages);
  ExpectTextEqualsTree({});
}

TEST(StreamMessagesJsonTest, EqualsTreeWithAttributesNamedLikeReorderedMembers) {
  Message m = testing::TestMessage("z", 1'700'000'000'000, 52.5, 13.4, 42.5);
  m.cell = CellTower{262, 1, 100, 200};
  for (const char* key : {"speed", "data", "lat", "lng", "ts", "type", "heading", "vehicle_id", "speed_kmh",
                          "attributes", "device_uid", "kind", "mcc"}) {
    m.attributes.Set(key, std::string(key) + "!");
  }
  ExpectTextEqualsTree({m});
  // The same without the fix, so that nothing of "data"'s head is there.
  Message bare;
  bare.attributes = m.attributes;
  ExpectTextEqualsTree({bare});
}

}  // namespace
}  // namespace fleetd::api
