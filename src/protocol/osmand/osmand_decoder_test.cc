// OsmandDecoder against the 15 shared OsmAnd requests (query and Traccar
// Client JSON), each wrapped into a full HTTP request; exact values, replies
// and hostile input.
#include "protocol/osmand/osmand_decoder.h"

#include <cmath>
#include <fstream>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/time_util.h"
#include "fleetd/attribute_keys.h"
#include "protocol/osmand/osmand_test_util.h"

#ifndef FLEETD_VECTORS_DIR
#error "FLEETD_VECTORS_DIR must point at the shared vectors folder"
#endif

namespace fleetd {
namespace {

using nlohmann::json;
using osmand::Bytes;

constexpr std::string_view kOk = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

std::string Reply(const DecodeOutput& out) { return std::string(out.reply.begin(), out.reply.end()); }

json LoadVectors() {
  std::ifstream in(std::string(FLEETD_VECTORS_DIR) + "/osmand.json");
  return json::parse(in, nullptr, /*allow_exceptions=*/false);
}

// The request a vector stands for: its URI for GET, its body for POST.
std::string RequestOf(const json& c) {
  const json& http = c["http"];
  if (http.value("packet_is", "") == "body") return osmand::Post(http.value("uri", "/"), c.value("packet", ""));
  return osmand::Get(c.value("packet", ""));
}

std::optional<std::string> Check(const json& c, const Status& status, const DecodeOutput& out) {
  const json& e = c["expect"];
  const bool positioned = !out.messages.empty() && out.messages[0].has_position();
  if (e.value("null", false)) return positioned ? std::optional<std::string>("expected no position") : std::nullopt;
  if (!status.ok()) return "rejected: " + status.ToString();
  if (out.messages.size() != 1) return "expected one message";
  if (Reply(out) != kOk) return "reply is not 200";
  const Message& m = out.messages[0];
  if (e.value("decodes", "") == "position") {
    if (!positioned || !m.ts || *m.ts < *MakeTimestamp(2000, 1, 1, 0, 0, 0)) return "no position with a time";
    if (m.speed_kmh && (*m.speed_kmh < 0 || *m.speed_kmh > 869 * 1.852)) return "speed out of range";
    if (m.heading && (*m.heading < 0 || *m.heading >= 360)) return "heading out of range";
  }
  // Upstream keeps unknown extras under their own names; fleetd under "extra_<name>".
  const json attributes = e.value("attributes", json::object());
  for (const auto& [key, want] : attributes.items()) {
    const auto it = m.attributes.find(std::string(attr::kExtraPrefix) + key);
    if (it == m.attributes.end()) return key + " missing";
    if (!std::holds_alternative<int64_t>(it->second) || std::get<int64_t>(it->second) != want.get<int64_t>()) {
      return key + " differs";
    }
  }
  return std::nullopt;
}

TEST(OsmandVectors, EveryRequestMatchesUpstream) {
  const json vectors = LoadVectors();
  ASSERT_FALSE(vectors.is_discarded()) << "shared vectors not found";
  ASSERT_EQ(vectors["cases"].size(), 15u);
  const OsmandDecoder decoder;
  for (const json& c : vectors["cases"]) {
    DecodeSession session;
    DecodeOutput out;
    const Status status = decoder.Decode(Bytes(RequestOf(c)), session, NowMs(), out);
    const auto failure = Check(c, status, out);
    EXPECT_FALSE(failure.has_value()) << c["id"] << ": " << *failure;
    if (status.ok()) {
      EXPECT_EQ(session.device_uid, out.messages[0].device_uid);
      EXPECT_EQ(out.messages[0].protocol, "osmand");
    } else {
      EXPECT_EQ(Reply(out).substr(0, 24), "HTTP/1.1 400 Bad Request") << c["id"];
    }
  }
}

DecodeOutput DecodeOk(const std::string& request, TimestampMs at = 1) {
  DecodeSession session;
  DecodeOutput out;
  const Status s = OsmandDecoder().Decode(Bytes(request), session, at, out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Reply(out), kOk);
  EXPECT_EQ(out.messages.size(), 1u);
  if (out.messages.empty()) out.messages.emplace_back();
  return out;
}

template <typename T>
T Attr(const Message& m, std::string_view key) {
  EXPECT_TRUE(m.attributes.contains(key)) << key;
  return m.attributes.contains(key) ? std::get<T>(m.attributes.at(key)) : T{};
}

TEST(OsmandDecoder, QueryValuesAndUnits) {
  const Message m = DecodeOk(osmand::Get(
      "/?id=123456789012345&timestamp=1504763810&lat=40.7232948571&lon=-74.0061408571&bearing=7.19889788244&"
      "speed=40&ignition=true&rpm=933&fuel=24&hdop=1.5&altitude=12.5&accuracy=4&batt=87&charge=false&"
      "driverUniqueId=D%2042&note=hello+world"))
                        .messages[0];
  EXPECT_EQ(m.device_uid, "123456789012345");
  EXPECT_EQ(m.kind, MessageKind::kPosition);
  EXPECT_EQ(m.ts, 1504763810000);
  EXPECT_DOUBLE_EQ(*m.lat, 40.7232948571);
  EXPECT_DOUBLE_EQ(*m.lng, -74.0061408571);
  EXPECT_DOUBLE_EQ(*m.speed_kmh, 40 * 1.852);  // knots on the wire
  EXPECT_DOUBLE_EQ(*m.heading, 7.19889788244);
  EXPECT_EQ(m.ignition, true);
  EXPECT_EQ(m.rpm, 933);
  EXPECT_EQ(m.hdop, 1.5);
  EXPECT_EQ(m.altitude_m, 12.5);
  EXPECT_EQ(Attr<double>(m, attr::kAccuracyM), 4);
  EXPECT_EQ(Attr<int64_t>(m, attr::kBatteryLevel), 87);
  EXPECT_EQ(Attr<bool>(m, attr::kCharging), false);
  EXPECT_EQ(Attr<std::string>(m, attr::kDriverId), "D 42");
  EXPECT_EQ(Attr<int64_t>(m, "extra_fuel"), 24);
  EXPECT_EQ(Attr<std::string>(m, "extra_note"), "hello world");
}

TEST(OsmandDecoder, TimestampForms) {
  EXPECT_EQ(DecodeOk(osmand::Get("/?id=1&lat=1&lon=2&timestamp=2016-01-27T18%3A55%3A47Z")).messages[0].ts,
            ParseIso8601("2016-01-27T18:55:47Z"));
  EXPECT_EQ(DecodeOk(osmand::Get("/?id=1&lat=1&lon=2&timestamp=2014-06-04+09%3A10%3A11")).messages[0].ts,
            ParseIso8601("2014-06-04T09:10:11Z"));
  EXPECT_EQ(DecodeOk(osmand::Get("/?id=1&lat=1&lon=2&timestamp=1442068686579")).messages[0].ts, 1442068686579);
  EXPECT_EQ(DecodeOk(osmand::Get("/?id=1&lat=1&lon=2"), 777).messages[0].ts, 777);  // received_at
}

TEST(OsmandDecoder, CellsWifiAndLocation) {
  const Message m = DecodeOk(osmand::Get("/?id=123456&timestamp=1377177267&cell=257,02,16,2224&cell=257,02,16,2223,-90"
                                         "&wifi=00-14-22-01-23-45,-80&wifi=00:1C:B3:09:85:15,-70"))
                        .messages[0];
  EXPECT_EQ(m.kind, MessageKind::kStatus);
  EXPECT_FALSE(m.has_position());
  EXPECT_EQ(m.cell, (CellTower{257, 2, 16, 2224}));
  EXPECT_EQ(Attr<std::string>(m, attr::kCellTowers), "257-2-16-2224;257-2-16-2223/-90");
  EXPECT_EQ(Attr<std::string>(m, attr::kWifiAccessPoints), "00:14:22:01:23:45/-80;00:1c:b3:09:85:15/-70");
  EXPECT_EQ(Attr<int64_t>(m, attr::kDeviceTime), 1377177267000);
  const Message l = DecodeOk(osmand::Get("/?deviceid=9&location=60.5,-30.25")).messages[0];
  EXPECT_EQ(l.lat, 60.5);
  EXPECT_EQ(l.lng, -30.25);
  EXPECT_EQ(DecodeOk(osmand::Get("/?id=9")).messages[0].kind, MessageKind::kHeartbeat);
  EXPECT_EQ(DecodeOk(osmand::Get("/?id=9&lat=1&lon=1&alarm=sos")).messages[0].alarm, Alarm::kSos);
}

TEST(OsmandDecoder, TraccarClientJson) {
  const Message m = DecodeOk(osmand::Post("/", R"({"location":{"event":"motionchange","is_moving":false,
      "timestamp":"2021-07-21T08:06:34.444Z","odometer":1500,"coords":{"latitude":-6.1148096,"longitude":106.6837015,
      "accuracy":3.8,"speed":18.67,"heading":63,"altitude":35.7,"altitude_accuracy":2},"activity":{"type":"still"},
      "battery":{"is_charging":true,"level":0.79},"mock":true,"extras":{"trip":"a b","n":7,"deep":{"x":1}}},
      "device_id":"8737767034"})"))
                        .messages[0];
  EXPECT_EQ(m.device_uid, "8737767034");
  EXPECT_EQ(m.ts, ParseIso8601("2021-07-21T08:06:34.444Z"));
  EXPECT_DOUBLE_EQ(*m.speed_kmh, 18.67 * 3.6);  // m/s in JSON
  EXPECT_EQ(m.heading, 63);
  EXPECT_EQ(m.altitude_m, 35.7);
  EXPECT_EQ(m.odometer_km, 1.5);
  EXPECT_EQ(Attr<double>(m, attr::kAccuracyM), 3.8);
  EXPECT_EQ(Attr<double>(m, attr::kVerticalAccuracyM), 2);
  EXPECT_EQ(Attr<int64_t>(m, attr::kBatteryLevel), 79);
  EXPECT_EQ(Attr<bool>(m, attr::kCharging), true);
  EXPECT_EQ(Attr<bool>(m, attr::kMotion), false);
  EXPECT_EQ(Attr<bool>(m, attr::kMockLocation), true);
  EXPECT_EQ(Attr<std::string>(m, attr::kActivity), "still");
  EXPECT_EQ(Attr<std::string>(m, attr::kAppEvent), "motionchange");
  EXPECT_EQ(Attr<std::string>(m, "extra_trip"), "a b");
  EXPECT_EQ(Attr<int64_t>(m, "extra_n"), 7);
  EXPECT_FALSE(m.attributes.contains("extra_deep"));
  // Unknown values (-1) stay absent.
  const Message u = DecodeOk(osmand::Post("/", R"({"device_id":5,"location":{"coords":{"latitude":1,"longitude":2,
      "speed":-1,"heading":-1},"battery":{"level":-1}}})")).messages[0];
  EXPECT_EQ(u.device_uid, "5");
  EXPECT_FALSE(u.speed_kmh || u.heading || u.attributes.contains(attr::kBatteryLevel));
}

TEST(OsmandDecoder, FormBody) {
  const Message m = DecodeOk(osmand::Post("/", "id=77&lat=1.5&lon=2.5", "application/x-www-form-urlencoded")).messages[0];
  EXPECT_EQ(m.device_uid, "77");
  EXPECT_EQ(m.lat, 1.5);
}

// ---- errors: a Status and a 400 reply, never a message ----

StatusCode Rejected(const std::string& request) {
  DecodeSession session;
  DecodeOutput out;
  const Status s = OsmandDecoder().Decode(Bytes(request), session, 1, out);
  EXPECT_FALSE(s.ok()) << request;
  EXPECT_TRUE(out.messages.empty());
  EXPECT_EQ(Reply(out).substr(0, 24), "HTTP/1.1 400 Bad Request") << request;
  EXPECT_TRUE(session.device_uid.empty());
  return s.code();
}

TEST(OsmandDecoder, HostileQueries) {
  EXPECT_EQ(Rejected(osmand::Get("/?lat=1&lon=2")), StatusCode::kNoSession);
  EXPECT_EQ(Rejected(osmand::Get("/?id=1&lat=%zz&lon=2")), StatusCode::kMalformed);
  EXPECT_EQ(Rejected(osmand::Get("/?id=1&lat=1&lon=2%4")), StatusCode::kMalformed);
  EXPECT_EQ(Rejected(osmand::Get("/?id=1&lat=91&lon=2")), StatusCode::kOutOfRange);
  EXPECT_EQ(Rejected(osmand::Get("/?id=1&lat=1&lon=-180.5")), StatusCode::kOutOfRange);
  EXPECT_EQ(Rejected(osmand::Get("/?id=1&lat=1e400&lon=2")), StatusCode::kMalformed);
  EXPECT_EQ(Rejected(osmand::Get("/?id=1&lat=NaN&lon=2")), StatusCode::kMalformed);
  EXPECT_EQ(Rejected(osmand::Get("/?id=1&lat=inf&lon=2")), StatusCode::kMalformed);
  EXPECT_EQ(Rejected(osmand::Get("/?id=1&lat=1")), StatusCode::kMalformed);
  EXPECT_EQ(Rejected(osmand::Get("/?id=1&lat=1&lon=2&speed=fast")), StatusCode::kMalformed);
  EXPECT_EQ(Rejected(osmand::Get("/?id=1&lat=1&lon=2&timestamp=99999999999999999")), StatusCode::kMalformed);
  EXPECT_EQ(Rejected(osmand::Get("/?id=1&cell=1,2")), StatusCode::kMalformed);
  EXPECT_EQ(Rejected(osmand::Get("/?id=1&wifi=zz-14-22-01-23-45,-80")), StatusCode::kMalformed);
  EXPECT_EQ(Rejected(osmand::Get("/?id=a%00b&lat=1&lon=2")), StatusCode::kMalformed);
  EXPECT_EQ(Rejected(osmand::Get("/?id=" + std::string(100, 'x'))), StatusCode::kMalformed);
  std::string many = "/?id=1";
  for (int i = 0; i < 200; ++i) many += "&p" + std::to_string(i) + "=1";
  EXPECT_EQ(Rejected(osmand::Get(many)), StatusCode::kMalformed);
}

TEST(OsmandDecoder, HostileBodies) {
  EXPECT_EQ(Rejected(osmand::Post("/", "[1,2]")), StatusCode::kUnsupported);
  EXPECT_EQ(Rejected(osmand::Post("/", "\"text\"")), StatusCode::kMalformed);
  EXPECT_EQ(Rejected(osmand::Post("/", "{\"device_id\":\"1\",")), StatusCode::kMalformed);
  EXPECT_EQ(Rejected(osmand::Post("/", std::string(20000, '[') + std::string(20000, ']'))), StatusCode::kMalformed);
  EXPECT_EQ(Rejected(osmand::Post("/", R"({"device_id":"1","location":{"coords":{"latitude":"1","longitude":2}}})")),
            StatusCode::kMalformed);
  EXPECT_EQ(Rejected(osmand::Post("/", R"({"device_id":"1","location":[{"coords":{}}]})")), StatusCode::kUnsupported);
  EXPECT_EQ(Rejected(osmand::Post("/", R"({"location":{"coords":{"latitude":1,"longitude":2}}})")),
            StatusCode::kNoSession);
  EXPECT_EQ(Rejected(osmand::Post("/", R"({"device_id":"1","location":{"timestamp":"yesterday"}})")),
            StatusCode::kMalformed);
  EXPECT_EQ(Rejected(osmand::Post("/", R"({"device_id":"1","location":{"coords":{"latitude":1e308,"longitude":2}}})")),
            StatusCode::kOutOfRange);
  // Nested garbage that is valid JSON but not the expected shape is ignored, not fatal.
  DecodeOk(osmand::Post("/", R"({"device_id":"1","location":{"coords":7,"battery":[1],"activity":"x","extras":3}})"));
}

TEST(OsmandDecoder, HostileRequestLines) {
  EXPECT_EQ(Rejected("DELETE /?id=1 HTTP/1.1\r\n\r\n"), StatusCode::kUnsupported);
  EXPECT_EQ(Rejected("GET /?id=1 HTTP/2.0\r\n\r\n"), StatusCode::kUnsupported);
  EXPECT_EQ(Rejected("GET /?id=1\r\n\r\n"), StatusCode::kMalformed);
  EXPECT_EQ(Rejected("get /?id=1 HTTP/1.1\r\n\r\n"), StatusCode::kMalformed);
  EXPECT_EQ(Rejected("GET /?id=1 HTTP/1.1\r\nno colon\r\n\r\n"), StatusCode::kMalformed);
  EXPECT_EQ(Rejected("GET /?id=1 HTTP/1.1\r\n"), StatusCode::kMalformed);
  EXPECT_EQ(Rejected(""), StatusCode::kMalformed);
}

}  // namespace
}  // namespace fleetd
