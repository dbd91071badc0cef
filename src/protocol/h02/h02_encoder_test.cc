// H02 encoder: what it builds decodes back to the same values, and the
// replies have the documented shape.
#include "protocol/h02/h02_encoder.h"

#include <gtest/gtest.h>

#include "core/time_util.h"
#include "fleetd/attribute_keys.h"
#include "protocol/h02/h02_decoder.h"

namespace fleetd {
namespace {

h02::PositionFix Fix() {
  h02::PositionFix fix;
  fix.time_ms = *MakeTimestamp(2026, 2, 28, 23, 59, 58);
  fix.lat = -33.8688;
  fix.lng = 151.2093;
  fix.speed_kmh = 55.56;  // 30 knots
  fix.heading = 271;
  fix.status = h02::kStatusIdle | h02::kStatusAccOn;
  return fix;
}

Message DecodeOne(const std::vector<uint8_t>& bytes) {
  DecodeSession session;
  DecodeOutput out;
  const Status s = H02Decoder().Decode(bytes, session, 1, out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out.messages.empty() ? Message{} : out.messages[0];
}

TEST(H02Encoder, V1RoundTrips) {
  const auto bytes = h02::EncodeV1("4210051415", Fix());
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()),
            "*HQ,4210051415,V1,235958,A,3352.1280,S,15112.5580,E,30.00,271,280226,FFFFFFFF#");
  const Message m = DecodeOne(bytes);
  EXPECT_EQ(m.device_uid, "4210051415");
  EXPECT_EQ(m.ts, Fix().time_ms);
  EXPECT_NEAR(*m.lat, -33.8688, 1e-6);
  EXPECT_NEAR(*m.lng, 151.2093, 1e-6);
  EXPECT_NEAR(*m.speed_kmh, 55.56, 1e-9);
  EXPECT_EQ(m.heading, 271);
  EXPECT_EQ(m.ignition, true);
}

TEST(H02Encoder, BinaryRoundTrips) {
  const auto bytes = h02::EncodeBinary("4106000826", Fix(), 80);
  ASSERT_EQ(bytes.size(), 32u);
  const Message m = DecodeOne(bytes);
  EXPECT_EQ(m.device_uid, "4106000826");
  EXPECT_EQ(m.ts, Fix().time_ms);
  EXPECT_NEAR(*m.lat, -33.8688, 1e-5);
  EXPECT_NEAR(*m.lng, 151.2093, 1e-5);
  EXPECT_NEAR(*m.speed_kmh, 30 * 1.852, 1e-9);
  EXPECT_EQ(m.heading, 271);
  EXPECT_EQ(m.valid, true);
  EXPECT_EQ(std::get<int64_t>(m.attributes.at(attr::kBatteryLevel)), 80);
}

TEST(H02Encoder, Heartbeat) {
  auto bytes = h02::EncodeHeartbeat("135790246811220", 77);
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), "*HQ,135790246811220,HTBT,77#");
  EXPECT_EQ(std::get<int64_t>(DecodeOne(bytes).attributes.at(attr::kBatteryLevel)), 77);
  bytes = h02::EncodeHeartbeat("135790246811220");
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), "*HQ,135790246811220,HTBT#");
  EXPECT_EQ(DecodeOne(bytes).kind, MessageKind::kHeartbeat);
}

TEST(H02Encoder, Replies) {
  std::vector<uint8_t> out;
  h02::AppendTimeAck(out, "1", "V1", *MakeTimestamp(2000, 2, 29, 0, 0, 0));
  h02::AppendEcho(out, "*HQ", "2", "HTBT");
  EXPECT_EQ(std::string(out.begin(), out.end()), "*HQ,1,V4,V1,20000229000000#*HQ,2,HTBT#");
  out.clear();
  h02::AppendTimeAck(out, "1", "NBR", *MakeTimestamp(2099, 12, 31, 23, 59, 59, 999));
  EXPECT_EQ(std::string(out.begin(), out.end()), "*HQ,1,V4,NBR,20991231235959#");
}

}  // namespace
}  // namespace fleetd
