#include "protocol/mqtt/mqtt_payload_decoder.h"

#include <gtest/gtest.h>

namespace fleetd {
namespace {

constexpr TimestampMs kReceived = 1779359460000;  // 2026-05-21T10:31:00Z

class MqttPayloadTest : public ::testing::Test {
 protected:
  Status Decode(std::string_view payload, std::string uid = "860000000000001") {
    DecodeSession session;
    session.device_uid = std::move(uid);
    out_ = DecodeOutput{};
    return decoder_.Decode({reinterpret_cast<const uint8_t*>(payload.data()), payload.size()}, session, kReceived,
                           out_);
  }
  const Message& Only() {
    EXPECT_EQ(out_.messages.size(), 1u);
    return out_.messages.at(0);
  }
  MqttPayloadDecoder decoder_;
  DecodeOutput out_;
};

TEST_F(MqttPayloadTest, IssuePayloadBecomesSchemaV1) {
  ASSERT_TRUE(Decode(R"({"v":1,"ts":"2026-05-21T10:30:00Z","lat":23.8103,"lng":90.4125,"speed":45.2,)"
                     R"("heading":180,"ignition":true,"odometer":123456.7,"battery_v":12.4,)"
                     R"("engine_temp":88,"fuel_level":61.5,"driver":"K. Rahman"})")
                  .ok());
  const Message& m = Only();
  EXPECT_EQ(m.device_uid, "860000000000001");
  EXPECT_EQ(m.protocol, "mqtt");
  EXPECT_EQ(m.kind, MessageKind::kPosition);
  EXPECT_EQ(m.ts, 1779359400000);
  EXPECT_EQ(m.lat, 23.8103);
  EXPECT_EQ(m.lng, 90.4125);
  EXPECT_EQ(m.speed_kmh, 45.2);
  EXPECT_EQ(m.heading, 180);
  EXPECT_EQ(m.ignition, true);
  EXPECT_EQ(m.odometer_km, 123456.7);
  EXPECT_EQ(m.battery_v, 12.4);
  EXPECT_EQ(m.engine_temp_c, 88);
  EXPECT_EQ(m.fuel_pct, 61.5);
  EXPECT_FALSE(m.valid.has_value());  // the payload does not say: absent, not guessed
  EXPECT_EQ(std::get<std::string>(m.attributes.at("extra_driver")), "K. Rahman");
  EXPECT_TRUE(out_.reply.empty());
}

TEST_F(MqttPayloadTest, MissingTimeTakesReceiveTimeAndNoPositionIsTelemetry) {
  ASSERT_TRUE(Decode(R"({"v":1,"battery_v":12.1})").ok());
  EXPECT_EQ(Only().ts, kReceived);
  EXPECT_EQ(Only().kind, MessageKind::kTelemetry);
  EXPECT_FALSE(Only().has_position());
}

TEST_F(MqttPayloadTest, CanFramesGoThroughJ1939AndObd) {
  // EEC1 (PGN 61444) from source 0: engine speed 12000 x 0.125 = 1500 rpm.
  ASSERT_TRUE(Decode(R"({"v":1,"can":[{"id":"0CF00400","data":"FFFFFFE02EFFFFFF"}]})").ok());
  EXPECT_EQ(Only().rpm, 1500);
  // OBD-II mode 01 PID 0x0C: (0x1A * 256 + 0xF8) / 4 = 1726 rpm; PID 0x0D: 60 km/h.
  ASSERT_TRUE(Decode(R"({"v":1,"can":[{"obd":"410C1AF8"},{"obd":"410D3C"}]})").ok());
  EXPECT_EQ(Only().rpm, 1726);
  EXPECT_EQ(Only().speed_kmh, 60);
  // PGNs and PIDs fleetd does not map are skipped, not errors.
  ASSERT_TRUE(Decode(R"({"v":1,"can":[{"id":"18FFAA00","data":"0102"},{"obd":"7F0112"}]})").ok());
}

TEST_F(MqttPayloadTest, RejectsWithCountableReasons) {
  EXPECT_EQ(Decode("not json").code(), StatusCode::kMalformed);
  EXPECT_EQ(Decode("[1,2]").code(), StatusCode::kMalformed);
  EXPECT_EQ(Decode(R"({"lat":1,"lng":2})").code(), StatusCode::kUnsupported);
  EXPECT_EQ(Decode(R"({"v":2,"lat":1,"lng":2})").code(), StatusCode::kUnsupported);
  EXPECT_EQ(Decode(R"({"v":"1"})").code(), StatusCode::kUnsupported);
  EXPECT_EQ(Decode(R"({"v":1,"lat":91,"lng":0})").code(), StatusCode::kOutOfRange);
  EXPECT_EQ(Decode(R"({"v":1,"lat":0,"lng":-180.5})").code(), StatusCode::kOutOfRange);
  EXPECT_EQ(Decode(R"({"v":1,"lat":10})").code(), StatusCode::kMalformed);
  EXPECT_EQ(Decode(R"({"v":1,"ts":"yesterday"})").code(), StatusCode::kOutOfRange);
  EXPECT_EQ(Decode(R"({"v":1,"speed":"fast"})").code(), StatusCode::kMalformed);
  EXPECT_EQ(Decode(R"({"v":1,"ignition":1})").code(), StatusCode::kMalformed);
  EXPECT_EQ(Decode(R"({"v":1,"satellites":-3})").code(), StatusCode::kMalformed);
  EXPECT_EQ(Decode(R"({"v":1,"can":{"id":1}})").code(), StatusCode::kMalformed);
  EXPECT_EQ(Decode(R"({"v":1,"can":[{"id":"ZZ","data":"00"}]})").code(), StatusCode::kMalformed);
  EXPECT_EQ(Decode(R"({"v":1,"can":[{"id":"0CF00400","data":"000102030405060708"}]})").code(),
            StatusCode::kMalformed);  // 9 data bytes
  EXPECT_EQ(Decode(R"({"v":1,"can":[{"id":4294967295,"data":"00"}]})").code(), StatusCode::kMalformed);
  EXPECT_EQ(Decode(R"({"v":1})", "").code(), StatusCode::kNoSession);
  EXPECT_EQ(Decode(std::string(kMaxMqttPayload + 1, ' ')).code(), StatusCode::kBadLength);
  EXPECT_TRUE(out_.messages.empty());
}

TEST_F(MqttPayloadTest, NestedAndOddFieldsAreNotAttributes) {
  ASSERT_TRUE(Decode(R"({"v":1,"meta":{"deep":[1,2,{"x":null}]},"note":null,"count":3})").ok());
  EXPECT_FALSE(Only().attributes.contains("extra_meta"));
  EXPECT_FALSE(Only().attributes.contains("extra_note"));
  EXPECT_EQ(std::get<int64_t>(Only().attributes.at("extra_count")), 3);
}

}  // namespace
}  // namespace fleetd
