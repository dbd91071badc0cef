// GT06 Concox OBD messages: 0x8C (Concox item ids) and 0x66 (OBD-II PIDs,
// through src/protocol/can) on the real packets of the shared vectors
// (gt06-059, -060, -079; values read by hand from the bytes) and on
// hand-built frames for hostile and edge cases.
#include <string>

#include <gtest/gtest.h>

#include "core/time_util.h"
#include "fleetd/attribute_keys.h"
#include "protocol/gt06/gt06_decoder.h"
#include "protocol/gt06/gt06_vectors.h"
#include "protocol/gt06/gt06_wire.h"

namespace fleetd {
namespace {

Message DecodeVector(const std::string& id) {
  auto vectors = gt06::LoadGt06Vectors();
  if (!vectors) return {};
  for (const auto& c : vectors->cases) {
    if (c.id != id) continue;
    Gt06Decoder decoder;
    DecodeSession session{"868120303960873", false, ""};
    DecodeOutput out;
    EXPECT_TRUE(decoder.Decode(c.packet, session, 1, out).ok()) << id;
    EXPECT_EQ(out.messages.size(), 1u) << id;
    EXPECT_TRUE(out.reply.empty()) << id;
    return out.messages.empty() ? Message{} : out.messages[0];
  }
  ADD_FAILURE() << id << " not in the vectors";
  return {};
}

double AttrNumber(const Message& m, std::string_view key) {
  auto it = m.attributes.find(key);
  if (it == m.attributes.end()) {
    ADD_FAILURE() << "no attribute " << key;
    return -1;
  }
  return std::get<double>(it->second);
}

TEST(Gt06Obd, ConcoxObdItemsFromVector060) {
  const Message m = DecodeVector("gt06-060");
  EXPECT_EQ(m.kind, MessageKind::kTelemetry);
  EXPECT_FALSE(m.has_position());
  EXPECT_EQ(m.ignition, true);
  EXPECT_EQ(m.fuel_pct, 0);                              // 2B: 0
  EXPECT_EQ(m.engine_temp_c, 72);                        // 2D: 0x1C20 / 100
  EXPECT_EQ(m.rpm, 2450);                                // 36: 0x3BD08 / 100
  EXPECT_EQ(AttrNumber(m, attr::kVehicleSpeedKmh), 85);  // 35: 0x2134 / 100
  EXPECT_NEAR(AttrNumber(m, attr::kFuelUsedL), 254.03, 1e-9);  // 47: 0x633B / 100
  EXPECT_FALSE(m.speed_kmh.has_value());
  EXPECT_FALSE(m.attributes.contains(attr::kVin));  // "4A3=" is empty
  EXPECT_EQ(std::get<int64_t>(m.attributes.at(attr::kDeviceTime)), *MakeTimestamp(2021, 1, 13, 8, 32, 13));
}

TEST(Gt06Obd, ConcoxObdItemsAndVinFromVector079) {
  const Message m = DecodeVector("gt06-079");
  EXPECT_EQ(m.engine_temp_c, 63);
  EXPECT_EQ(m.rpm, 1666);
  EXPECT_EQ(AttrNumber(m, attr::kVehicleSpeedKmh), 58);
  EXPECT_NEAR(AttrNumber(m, attr::kFuelUsedL), 0.15, 1e-12);
  EXPECT_EQ(std::get<std::string>(m.attributes.at(attr::kVin)), "KNAF241CMK5014255");
}

TEST(Gt06Obd, ObdPidsFromVector059GoThroughTheSharedTable) {
  const Message m = DecodeVector("gt06-059");
  EXPECT_EQ(m.kind, MessageKind::kTelemetry);
  EXPECT_FALSE(m.has_position());  // upstream: no position either
  EXPECT_EQ(m.engine_temp_c, 72);                        // 2105
  EXPECT_EQ(m.rpm, 2505);                                // 210c
  EXPECT_EQ(AttrNumber(m, attr::kVehicleSpeedKmh), 87);  // 210d
  EXPECT_EQ(AttrNumber(m, attr::kEngineLoadPct), 36);    // 2104
  EXPECT_EQ(m.fuel_pct, 0);                              // 212f
  EXPECT_FALSE(m.speed_kmh.has_value());
  EXPECT_FALSE(m.ignition.has_value());  // 0x66's status byte is not the ignition
  EXPECT_EQ(std::get<int64_t>(m.attributes.at(attr::kDeviceTime)), *MakeTimestamp(2021, 1, 13, 8, 31, 59));
}

// Hand-built 0x7979 frames: time, status byte, pairs, a 12-byte trailer.
std::vector<uint8_t> ObdFrame(uint8_t type, std::string_view pairs, size_t trailer = 12) {
  std::vector<uint8_t> content = {26, 5, 21, 10, 30, 0, 0x01};
  content.insert(content.end(), pairs.begin(), pairs.end());
  content.insert(content.end(), trailer, 0);
  std::vector<uint8_t> frame;
  gt06::AppendFrame(frame, true, type, content, 7);
  return frame;
}

Status Decode(const std::vector<uint8_t>& frame, DecodeOutput& out) {
  Gt06Decoder decoder;
  DecodeSession session{"868120303960873", false, ""};
  return decoder.Decode(frame, session, 1, out);
}

TEST(Gt06Obd, PidPairsThatAreNotPidsAreSkipped) {
  DecodeOutput out;
  ASSERT_TRUE(Decode(ObdFrame(0x66, ",2105=1F40,xx=1,2110=0003d284,3105=1111,210c=,=5,211=10,2111=0FA0,210d=zz,"),
                     out).ok());
  ASSERT_EQ(out.messages.size(), 1u);
  const Message& m = out.messages[0];
  EXPECT_EQ(m.engine_temp_c, 80);  // 2105 = 8000 / 100; the later 3105 (not a 21xx key) must not override it
  EXPECT_DOUBLE_EQ(std::get<double>(m.attributes.at(attr::kThrottlePct)), 40);  // 2111 = 4000 / 100
  EXPECT_FALSE(m.rpm.has_value());                                        // "210c=" has no value
  EXPECT_FALSE(m.attributes.contains(attr::kVehicleSpeedKmh));             // "zz" is not hex
}

TEST(Gt06Obd, ShortBodiesAreSafe) {
  DecodeOutput out;
  // Pairs shorter than the trailer: time and status only.
  ASSERT_TRUE(Decode(ObdFrame(0x66, "", 5), out).ok());
  ASSERT_EQ(out.messages.size(), 1u);
  EXPECT_FALSE(out.messages[0].engine_temp_c.has_value());
  // Cut inside the time: rejected as truncated.
  std::vector<uint8_t> frame;
  const std::vector<uint8_t> content = {26, 5, 21};
  gt06::AppendFrame(frame, true, 0x66, content, 7);
  DecodeOutput bad;
  EXPECT_FALSE(Decode(frame, bad).ok());
  EXPECT_TRUE(bad.messages.empty());
}

TEST(Gt06Obd, ConcoxItemValuesOfAnyLengthAreBounded) {
  DecodeOutput out;
  // 17 hex digits overflow 64 bits: skipped, not wrapped.
  ASSERT_TRUE(Decode(ObdFrame(0x8C, "363=1FFFFFFFFFFFFFFFF,2D3=00000FA0"), out).ok());
  ASSERT_EQ(out.messages.size(), 1u);
  EXPECT_FALSE(out.messages[0].rpm.has_value());
  EXPECT_EQ(out.messages[0].engine_temp_c, 40);
  EXPECT_EQ(out.messages[0].ignition, true);
}

}  // namespace
}  // namespace fleetd
