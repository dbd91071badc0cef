#include "core/message_json.h"

#include <gtest/gtest.h>

namespace fleetd {
namespace {

Message Sample() {
  Message m;
  m.device_uid = "123456789012345";
  m.protocol = "gt06";
  m.kind = MessageKind::kAlarm;
  m.ts = 1779359400000;
  m.received_at = 1779359401000;
  m.valid = true;
  m.lat = 23.8103;
  m.lng = 90.4125;
  m.speed_kmh = 45.2;
  m.heading = 180;
  m.satellites = 9;
  m.ignition = true;
  m.alarm = Alarm::kSos;
  m.attributes["gsm_signal"] = int64_t{4};
  m.attributes["charging"] = false;
  m.cell = CellTower{470, 1, 1234, 56789};
  return m;
}

TEST(MessageJsonTest, UnknownIsAbsentNotZero) {
  auto j = MessageToJson(Sample());
  EXPECT_EQ(j["lat"], 23.8103);
  EXPECT_EQ(j["ts"], "2026-05-21T10:30:00Z");
  EXPECT_EQ(j["alarm"], "sos");
  EXPECT_EQ(j["kind"], "alarm");
  EXPECT_FALSE(j.contains("altitude_m"));
  EXPECT_FALSE(j.contains("fuel_pct"));
  EXPECT_EQ(j["attributes"]["gsm_signal"], 4);
  EXPECT_EQ(j["attributes"]["mcc"], 470);
  EXPECT_EQ(j["attributes"]["cell_id"], 56789);
}

TEST(MessageJsonTest, RoundTrip) {
  Message m = Sample();
  auto back = MessageFromJsonText(MessageToJsonText(m));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, m);
}

TEST(MessageJsonTest, InvalidUtf8FromADeviceIsReplacedNotThrown) {
  Message m = Sample();
  m.attributes["command_result"] = std::string("CCID:\xff\xfe ok");
  std::string text = MessageToJsonText(m);
  EXPECT_NE(text.find("CCID:\xef\xbf\xbd"), std::string::npos) << text;  // U+FFFD
  EXPECT_TRUE(MessageFromJsonText(text).ok());
}

TEST(MessageJsonTest, RejectsHostileJson) {
  EXPECT_EQ(MessageFromJsonText(R"({"satellites":1e300})").status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(MessageFromJsonText("{").status().code(), StatusCode::kMalformed);
  EXPECT_EQ(MessageFromJsonText("[]").status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(MessageFromJsonText(R"({"lat":"north"})").ok());
  EXPECT_EQ(MessageFromJsonText(R"({"lat":91,"lng":0})").status().code(), StatusCode::kOutOfRange);
  EXPECT_FALSE(MessageFromJsonText(R"({"kind":"teleport"})").ok());
  EXPECT_FALSE(MessageFromJsonText(R"({"alarm":"meteor"})").ok());
  EXPECT_FALSE(MessageFromJsonText(R"({"attributes":{"x":[1,2]}})").ok());
  EXPECT_FALSE(MessageFromJsonText(R"({"ts":"not a time"})").ok());
}

}  // namespace
}  // namespace fleetd
