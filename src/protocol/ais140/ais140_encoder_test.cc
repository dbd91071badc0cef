// The NRM encoder round-trips through the framer and the strict decoder.
#include "protocol/ais140/ais140_encoder.h"

#include <gtest/gtest.h>

#include "core/time_util.h"
#include "fleetd/attribute_keys.h"
#include "protocol/ais140/ais140_decoder.h"
#include "protocol/ais140/ais140_framer.h"

namespace fleetd {
namespace {

TEST(Ais140Encoder, RoundTripsThroughFramerAndStrictDecoder) {
  ais140::NrmFix fix;
  fix.imei = "869867036345389";
  fix.vehicle_reg = "KA01AB1234";
  fix.time_ms = *MakeTimestamp(2026, 5, 21, 10, 30, 7);
  fix.lat = -12.345678;
  fix.lng = 77.5;
  fix.speed_kmh = 42.5;
  fix.heading = 181.25;
  fix.satellites = 9;
  fix.altitude_m = 912.4;
  fix.pdop = 1.2;
  fix.hdop = 0.8;
  fix.ignition = true;
  fix.power_v = 12.6;
  fix.battery_v = 4.05;
  fix.gsm = 23;
  fix.cell = CellTower{404, 45, 0x61B4, 0x9AD9};
  fix.frame_number = 77;
  fix.odometer_km = 1234.5;
  const auto bytes = ais140::EncodeNrm(fix);

  const FrameResult cut = Ais140Framer().Next(bytes);
  ASSERT_EQ(cut.kind, FrameResult::Kind::kFrame);
  EXPECT_EQ(cut.consumed, bytes.size());

  DecodeSession session;
  DecodeOutput out;
  const Status s = Ais140Decoder().Decode(bytes, session, 1, out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  const Message& m = out.messages.at(0);
  EXPECT_EQ(m.device_uid, fix.imei);
  EXPECT_EQ(session.device_uid, fix.imei);
  EXPECT_EQ(m.kind, MessageKind::kPosition);
  EXPECT_EQ(m.ts, fix.time_ms);
  EXPECT_DOUBLE_EQ(*m.lat, fix.lat);
  EXPECT_DOUBLE_EQ(*m.lng, fix.lng);
  EXPECT_EQ(m.speed_kmh, 42.5);
  EXPECT_EQ(m.heading, 181.25);
  EXPECT_EQ(m.satellites, 9);
  EXPECT_EQ(m.altitude_m, 912.4);
  EXPECT_EQ(m.hdop, 0.8);
  EXPECT_EQ(m.ignition, true);
  EXPECT_EQ(m.power_v, 12.6);
  EXPECT_EQ(m.battery_v, 4.05);
  EXPECT_EQ(m.odometer_km, 1234.5);
  EXPECT_EQ(m.cell, fix.cell);
  EXPECT_EQ(std::get<int64_t>(m.attributes.at(attr::kSerial)), 77);
  EXPECT_EQ(std::get<std::string>(m.attributes.at(attr::kVehicleReg)), "KA01AB1234");

  // An alert status becomes an alarm.
  fix.status = "EA";
  fix.event = 10;
  out = {};
  ASSERT_TRUE(Ais140Decoder().Decode(ais140::EncodeNrm(fix), session, 1, out).ok());
  EXPECT_EQ(out.messages.at(0).alarm, Alarm::kSos);
  EXPECT_EQ(out.messages.at(0).kind, MessageKind::kAlarm);
}

}  // namespace
}  // namespace fleetd
