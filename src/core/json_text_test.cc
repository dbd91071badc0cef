// The streaming writer must write exactly what nlohmann's dump() writes for
// the same values: stored bodies did not change when the store switched.
#include "core/json_text.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/message_json.h"
#include "core/time_util.h"

namespace fleetd {
namespace {

std::string TreeText(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string Streamed(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

TEST(JsonTextTest, EscapesLikeNlohmann) {
  for (std::string_view s : {std::string_view(""), std::string_view("plain"), std::string_view("q\"b\\s/"),
                             std::string_view("\b\f\n\r\t\x01\x1f\x7f", 8), std::string_view("\0x", 2),
                             std::string_view("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x9a")}) {
    EXPECT_EQ(Streamed(s), TreeText(std::string(s))) << s;
  }
  EXPECT_EQ(Streamed(std::string_view("\x01", 1)), "\"\\u0001\"");
}

TEST(JsonTextTest, InvalidUtf8IsReplacedLikeNlohmann) {
  // Bad leads, truncated sequences, overlongs, surrogates, above U+10FFFF,
  // a sequence broken by a byte that starts a new one.
  for (std::string_view s : {"\x80", "\xff", "a\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                             "\xf5", "\xe2\x82", "\xe2\x82x", "\xe2\xc3\xa9", "\xf0\x9f\x9a", "\xc2\xc2\xa9", "x\xf0"}) {
    EXPECT_EQ(Streamed(s), TreeText(std::string(s))) << ::testing::PrintToString(std::string(s));
  }
}

TEST(JsonTextTest, RandomBytesMatchNlohmann) {
  std::mt19937 rng(20261201);
  // Bytes biased towards the interesting ones: UTF-8 leads and continuations, controls, quotes.
  const unsigned char pool[] = {'a', '"', '\\', 0x00, 0x1f, 0x7f, 0x80, 0xbf, 0xc2, 0xc3, 0xdf,
                                0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0xa0, 0x9f, 0x8f, 0x90};
  for (int round = 0; round < 20000; ++round) {
    std::string s(rng() % 12, ' ');
    for (char& c : s) c = static_cast<char>(rng() % 3 == 0 ? rng() % 256 : pool[rng() % sizeof pool]);
    ASSERT_EQ(Streamed(s), TreeText(s)) << ::testing::PrintToString(s);
  }
}

TEST(JsonTextTest, NumbersLikeNlohmann) {
  std::mt19937_64 rng(7);
  std::vector<double> doubles = {0.0, -0.0, 1.0, 12.0, 0.1, 1e15, 1e16, 1e17, 1e-5, 123.456, -7.25,
                                 std::numeric_limits<double>::max(), std::numeric_limits<double>::min(),
                                 std::numeric_limits<double>::denorm_min(), 22.5479316, 114.0542716};
  for (int i = 0; i < 5000; ++i) {
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (std::isfinite(d)) doubles.push_back(d);
    doubles.push_back(static_cast<double>(static_cast<int64_t>(rng() % 20000000) - 10000000) / 100000.0);
  }
  for (double d : doubles) {
    std::string out;
    JsonTextWriter(out).Double(d);
    ASSERT_EQ(out, TreeText(d)) << d;
  }
  for (int64_t v : {int64_t{0}, int64_t{-1}, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    std::string out;
    JsonTextWriter(out).Int(v);
    EXPECT_EQ(out, TreeText(v));
  }
  std::string out;
  JsonTextWriter w(out);
  w.BeginObject();
  w.Key("nan");
  w.Double(std::nan(""));
  w.Key("inf");
  w.Double(std::numeric_limits<double>::infinity());
  w.EndObject();
  EXPECT_EQ(out, R"({"nan":null,"inf":null})");
}

TEST(JsonTextTest, NestedStructure) {
  std::string out;
  JsonTextWriter w(out);
  w.BeginObject();
  w.Key("a");
  w.BeginObject();
  w.Key("b");
  w.Bool(true);
  w.Key("c");
  w.Null();
  w.EndObject();
  w.Key("d");
  w.String("e");
  w.EndObject();
  EXPECT_EQ(out, R"({"a":{"b":true,"c":null},"d":"e"})");
}

TEST(JsonTextTest, Arrays) {
  std::string out;
  JsonTextWriter w(out);
  w.BeginObject();
  w.Key("none");
  w.BeginArray();
  w.EndArray();
  w.Key("some");
  w.BeginArray();
  w.Int(1);
  w.BeginObject();
  w.EndObject();
  w.BeginArray();
  w.String("x");
  w.EndArray();
  w.EndArray();
  w.EndObject();
  EXPECT_EQ(out, R"({"none":[],"some":[1,{},["x"]]})");
}

TEST(JsonTextTest, Iso8601LikePrintf) {
  std::mt19937_64 rng(11);
  std::vector<TimestampMs> times = {0, 1, 999, 1000, -1, -1000, 253402300799999LL, 253402300800000LL,
                                    -62167219200000LL, -62167219200001LL, 1780000000123LL};
  for (int i = 0; i < 2000; ++i) times.push_back(static_cast<TimestampMs>(rng() % 400000000000000ULL) - 100000000000000LL);
  for (TimestampMs t : times) {
    std::string appended = "x";
    AppendIso8601(appended, t);
    EXPECT_EQ(appended, "x" + FormatIso8601(t)) << t;
    auto back = ParseIso8601(FormatIso8601(t));
    if (t >= 0 && t < 253402300800000LL) {
      ASSERT_TRUE(back) << t;
      EXPECT_EQ(*back, t);
    }
  }
  EXPECT_EQ(FormatIso8601(1780000000123LL), "2026-05-28T20:26:40.123Z");
  EXPECT_EQ(FormatIso8601(0), "1970-01-01T00:00:00Z");
}

TEST(JsonTextTest, MessageTextEqualsTreeText) {
  Message m;
  m.device_uid = "35\xff" "1";
  m.protocol = "gt06";
  m.kind = MessageKind::kAlarm;
  m.ts = 1780000000123LL;
  m.received_at = 1780000001000LL;
  m.valid = true;
  m.lat = 22.5;
  m.lng = -114.0542716;
  m.speed_kmh = std::nan("");
  m.satellites = 9;
  m.ignition = false;
  m.alarm = Alarm::kSos;
  m.cell = CellTower{460, 0, 10133, 5173};
  m.attributes.Set("a\"q", int64_t{-5});
  m.attributes.Set("lac", 7.5);          // overrides the cell's lac, in its place
  m.attributes.Set("mnc", std::nan("")); // skipped: the cell's mnc stays
  m.attributes.Set("text", std::string("\xe2\x82"));
  m.attributes.Set("z", true);
  EXPECT_EQ(MessageToJsonText(m), TreeText(MessageToJson(m)));
  Message bare;
  EXPECT_EQ(MessageToJsonText(bare), TreeText(MessageToJson(bare)));
}

}  // namespace
}  // namespace fleetd
