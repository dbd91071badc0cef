// gt06 encoder: frames decode back to what was encoded, with valid CRCs.
#include "protocol/gt06/gt06_encoder.h"

#include <gtest/gtest.h>

#include "core/hex.h"
#include "core/time_util.h"
#include "fleetd/attribute_keys.h"
#include "protocol/gt06/gt06_decoder.h"
#include "protocol/gt06/gt06_wire.h"

namespace fleetd {
namespace {

Message DecodeOne(const std::vector<uint8_t>& frame, DecodeSession& session, DecodeOutput* out_reply = nullptr) {
  DecodeOutput out;
  const Status s = Gt06Decoder().Decode(frame, session, 1, out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (out_reply) *out_reply = out;
  return out.messages.empty() ? Message{} : out.messages[0];
}

TEST(Gt06Encoder, ReplyBytes) {
  // CRC-ITU of 05 01 00 09, as a device expects it.
  EXPECT_EQ(ToHex(gt06::EncodeReply(0x01, 0x0009)), "78780501000955940d0a");
}

TEST(Gt06Encoder, LoginRoundTrip) {
  DecodeSession session;
  DecodeOutput out;
  const Message m = DecodeOne(gt06::EncodeLogin("864717003283581", 9), session, &out);
  EXPECT_EQ(session.device_uid, "864717003283581");
  EXPECT_EQ(m.kind, MessageKind::kLogin);
  EXPECT_EQ(out.reply, gt06::EncodeReply(0x01, 9));
  EXPECT_EQ(ToHex(gt06::EncodeLogin("864717003283581", 9)).substr(8, 16), "0864717003283581");
}

TEST(Gt06Encoder, PositionRoundTripBothLayouts) {
  gt06::PositionFix fix;
  fix.time_ms = *MakeTimestamp(2026, 5, 21, 10, 30, 0) + 400;  // milliseconds are dropped
  fix.lat = -33.8688;
  fix.lng = 151.2093;
  fix.speed_kmh = 61;
  fix.heading = 271;
  fix.satellites = 9;
  fix.valid = true;
  fix.ignition = true;
  for (auto layout : {gt06::PositionLayout::kGpsLbs2, gt06::PositionLayout::kGpsLbs1}) {
    DecodeSession session{"123456789012345", false, ""};
    const Message m = DecodeOne(gt06::EncodePosition(fix, 3, layout), session);
    EXPECT_EQ(m.kind, MessageKind::kPosition);
    EXPECT_EQ(m.ts, fix.time_ms - 400);
    EXPECT_NEAR(*m.lat, fix.lat, 1e-6);
    EXPECT_NEAR(*m.lng, fix.lng, 1e-6);
    EXPECT_EQ(m.speed_kmh, 61);
    EXPECT_EQ(m.heading, 271);
    EXPECT_EQ(m.satellites, 9);
    EXPECT_EQ(m.valid, true);
    EXPECT_EQ(m.ignition, true);
  }
  fix.lat = 23.81;
  fix.lng = -90.41;
  fix.valid = false;
  fix.ignition = std::nullopt;
  DecodeSession session{"123456789012345", false, ""};
  const Message m = DecodeOne(gt06::EncodePosition(fix, 4, gt06::PositionLayout::kGpsLbs1), session);
  EXPECT_GT(*m.lat, 0);
  EXPECT_LT(*m.lng, 0);
  EXPECT_EQ(m.valid, false);
  EXPECT_FALSE(m.ignition.has_value());
}

TEST(Gt06Encoder, HeartbeatRoundTrip) {
  DecodeSession session{"123456789012345", false, ""};
  DecodeOutput out;
  const Message m = DecodeOne(gt06::EncodeHeartbeat(true, 6, 4, 11), session, &out);
  EXPECT_EQ(m.kind, MessageKind::kHeartbeat);
  EXPECT_EQ(m.ignition, true);
  EXPECT_EQ(std::get<int64_t>(m.attributes.at(std::string(attr::kBatteryLevel))), 100);
  EXPECT_EQ(std::get<int64_t>(m.attributes.at(std::string(attr::kGsmSignal))), 4);
  EXPECT_EQ(out.reply, gt06::EncodeReply(0x13, 11));
}

TEST(Gt06Encoder, AlarmRoundTrip) {
  gt06::PositionFix fix;
  fix.time_ms = *MakeTimestamp(2026, 1, 2, 3, 4, 5);
  fix.lat = 10;
  fix.lng = 20;
  DecodeSession session{"123456789012345", false, ""};
  DecodeOutput out;
  const Message m = DecodeOne(gt06::EncodeAlarm(fix, 0x02, 3, 2, 12), session, &out);
  EXPECT_EQ(m.kind, MessageKind::kAlarm);
  EXPECT_EQ(m.alarm, Alarm::kPowerCut);
  EXPECT_TRUE(m.has_position());
  EXPECT_EQ(out.reply, gt06::EncodeReply(0x16, 12));
}

TEST(Gt06Encoder, TimeReply) {
  const auto frame = gt06::EncodeTimeReply(*MakeTimestamp(2026, 12, 31, 23, 59, 58), 5);
  EXPECT_EQ(ToHex(frame).substr(0, 20), "78780b8a1a0c1f173b3a");
  gt06::Packet packet;
  EXPECT_TRUE(gt06::ParsePacket(frame, false, packet).ok());
}

}  // namespace
}  // namespace fleetd
