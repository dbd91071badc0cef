// TeltonikaDecoder and TeltonikaUdpDecoder against the 52 real packets of the
// shared vectors, replayed in upstream order with one session per test
// method, strict and lenient; plus the IO table, replies and UDP.
#include "protocol/teltonika/teltonika_decoder.h"

#include <array>
#include <cmath>
#include <functional>
#include <map>

#include <gtest/gtest.h>

#include "core/hex.h"
#include "core/time_util.h"
#include "fleetd/attribute_keys.h"
#include "protocol/teltonika/teltonika_encoder.h"
#include "protocol/teltonika/teltonika_io_table.h"
#include "protocol/teltonika/teltonika_udp_decoder.h"
#include "protocol/testing/upstream_checks.h"
#include "protocol/teltonika/teltonika_vectors.h"

namespace fleetd {
namespace {

using nlohmann::json;

// Cases this slice cannot pass, with the reason. The replay asserts that each
// still fails, so fixing one forces its removal; the list must not grow.
struct KnownGap {
  std::string_view id;
  std::string_view reason;
};
constexpr std::array<KnownGap, 0> kKnownGaps = {};
static_assert(kKnownGaps.size() == 0, "the known-gap list must not grow");

bool IsKnownGap(const std::string& id) {
  for (const auto& gap : kKnownGaps) {
    if (gap.id == id) return true;
  }
  return false;
}

// ---- upstream attribute -> fleetd mapping (documented in docs/protocols/teltonika.md) ----

constexpr auto FromAttr = [](const Message& m, std::string_view key, double scale = 1) {
  return vectors::AttributeJson(m, key, scale);
};

using Getter = std::function<std::optional<json>(const Message&)>;
const std::map<std::string, Getter>& AttributeMap() {
  static const std::map<std::string, Getter> kMap = {
      {"tag1Voltage", [](const Message& m) { return FromAttr(m, attr::kTagBatteryMv); }},
      {"tag1Battery", [](const Message& m) { return FromAttr(m, attr::kTagBatteryMv); }},
      {"driverUniqueId", [](const Message& m) { return FromAttr(m, attr::kDriverId); }},
      {"eyeTemp1", [](const Message& m) { return FromAttr(m, attr::kTagTemperatureC); }},
  };
  return kMap;
}

using vectors::SameValue;

std::optional<std::string> CheckPosition(const Message& m, TimestampMs now) {
  return vectors::PositionProblem(m, now, "teltonika");
}

std::optional<std::string> Check(const teltonika::VectorCase& c, const Status& status, const DecodeOutput& out) {
  const json& e = c.expect;
  auto located = std::count_if(out.messages.begin(), out.messages.end(), [](const Message& m) { return m.has_position(); });
  if (e.value("null", false)) {
    if (located > 0) return "expected no position, got one";
    return std::nullopt;
  }
  if (!status.ok()) return "rejected: " + status.ToString();
  if (out.messages.empty()) return "no message";
  if (e.contains("decodes") && e.value("location_checked", true)) {
    for (const Message& m : out.messages) {
      if (auto err = CheckPosition(m, NowMs())) return err;
    }
  }
  if (e.contains("attributes")) {
    const Message& first = out.messages.front();
    for (const auto& [key, want] : e["attributes"].items()) {
      auto getter = AttributeMap().find(key);
      if (getter == AttributeMap().end()) return "no mapping for upstream attribute " + key;
      const auto got = getter->second(first);
      if (want.is_null()) {
        if (got) return key + " should be absent";
      } else if (!got || !SameValue(*got, want)) {
        return key + ": want " + want.dump() + ", got " + (got ? got->dump() : "nothing");
      }
    }
  }
  return std::nullopt;
}

// Length or CRC wrong in the bytes (the UDP case has no CRC).
std::optional<StatusCode> StrictRejection(const teltonika::VectorCase& c) {
  if (!c.meta.value("data_length_consistent", true)) return StatusCode::kBadLength;
  if (c.meta.value("crc16_ibm_ok", json(true)) == json(false)) return StatusCode::kBadChecksum;
  return std::nullopt;
}

class TeltonikaVectorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { vectors_ = teltonika::LoadTeltonikaVectors(); }
  void SetUp() override { ASSERT_TRUE(vectors_.has_value()) << "shared vectors not found"; }

  void Replay(bool lenient,
              const std::function<void(const teltonika::VectorCase&, const Status&, const DecodeOutput&)>& each) {
    std::map<std::string, DecodeSession> sessions;
    for (const auto& c : vectors_->cases) {
      DecodeSession& session = sessions[c.test_method];
      session.lenient = lenient;
      session.model = c.model;
      DecodeOutput out;
      const Decoder& decoder = c.framing == "udp" ? static_cast<const Decoder&>(udp_) : tcp_;
      const Status status = decoder.Decode(c.packet, session, NowMs(), out);
      each(c, status, out);
    }
  }

  static std::optional<teltonika::VectorFile> vectors_;
  TeltonikaDecoder tcp_;
  TeltonikaUdpDecoder udp_;
};
std::optional<teltonika::VectorFile> TeltonikaVectorTest::vectors_;

TEST_F(TeltonikaVectorTest, AllCasesPresent) { EXPECT_EQ(vectors_->cases.size(), 52u); }

TEST_F(TeltonikaVectorTest, LenientReplayMatchesUpstream) {
  int passed = 0;
  Replay(true, [&](const teltonika::VectorCase& c, const Status& status, const DecodeOutput& out) {
    const auto failure = Check(c, status, out);
    if (IsKnownGap(c.id)) {
      EXPECT_TRUE(failure.has_value()) << c.id << " now passes: remove it from kKnownGaps";
      return;
    }
    EXPECT_FALSE(failure.has_value()) << c.id << ": " << *failure;
    passed += !failure.has_value();
  });
  EXPECT_EQ(passed, 52 - static_cast<int>(kKnownGaps.size()));
}

TEST_F(TeltonikaVectorTest, StrictReplayRejectsBadPacketsAndMatchesTheRest) {
  int rejected = 0;
  Replay(false, [&](const teltonika::VectorCase& c, const Status& status, const DecodeOutput& out) {
    if (auto want = StrictRejection(c)) {
      EXPECT_EQ(status.code(), *want) << c.id << ": " << status.ToString();
      EXPECT_TRUE(out.messages.empty() && out.reply.empty()) << c.id;
      ++rejected;
      return;
    }
    const auto failure = Check(c, status, out);
    if (IsKnownGap(c.id)) {
      EXPECT_TRUE(failure.has_value()) << c.id << " now passes: remove it from kKnownGaps";
    } else {
      EXPECT_FALSE(failure.has_value()) << c.id << ": " << *failure;
    }
  });
  EXPECT_EQ(rejected, 9);  // 029 034 037 041 lying lengths; 015 021 023 050 051 bad CRC
}

TEST_F(TeltonikaVectorTest, EveryMessageCarriesIdentityAndRecordsAreAcked) {
  Replay(true, [&](const teltonika::VectorCase& c, const Status& status, const DecodeOutput& out) {
    for (const Message& m : out.messages) {
      EXPECT_FALSE(m.device_uid.empty()) << c.id;
      EXPECT_EQ(m.protocol, "teltonika") << c.id;
    }
    if (!status.ok() || c.meta.value("record_count", 0) == 0 || c.framing != "tcp") return;
    const std::string codec = c.meta.contains("codec12_type") ? "cmd" : "avl";
    if (codec == "avl") {
      const int count = c.meta["record_count"];
      EXPECT_EQ(out.messages.size(), static_cast<size_t>(count)) << c.id;
      EXPECT_EQ(out.reply, (std::vector<uint8_t>{0, 0, 0, static_cast<uint8_t>(count)})) << c.id;
    } else {
      EXPECT_TRUE(out.reply.empty()) << c.id << ": command answers are not acknowledged";
    }
  });
}

TEST_F(TeltonikaVectorTest, SpotValues) {
  std::map<std::string, DecodeOutput> by_id;
  Replay(false, [&](const teltonika::VectorCase& c, const Status&, const DecodeOutput& out) { by_id[c.id] = out; });
  // 001: the handshake.
  ASSERT_EQ(by_id["teltonika-001"].messages.size(), 1u);
  EXPECT_EQ(by_id["teltonika-001"].messages[0].kind, MessageKind::kLogin);
  EXPECT_EQ(by_id["teltonika-001"].messages[0].device_uid, "123456789012345");
  EXPECT_EQ(by_id["teltonika-001"].reply, std::vector<uint8_t>{0x01});
  // 019: codec 8, one record (values read by hand from the bytes).
  const Message& m = by_id["teltonika-019"].messages.at(0);
  EXPECT_EQ(m.ts, *ParseIso8601("2019-01-04T12:27:19Z"));
  EXPECT_NEAR(*m.lng, 16.3745183, 1e-9);
  EXPECT_NEAR(*m.lat, 48.1523066, 1e-9);
  EXPECT_EQ(m.altitude_m, 190);
  EXPECT_EQ(m.heading, 198);
  EXPECT_EQ(m.satellites, 15);
  EXPECT_EQ(m.speed_kmh, 83);
  EXPECT_EQ(m.valid, true);
  EXPECT_NEAR(*m.power_v, 14.233, 1e-9);
  EXPECT_NEAR(*m.battery_v, 3.976, 1e-9);
  EXPECT_NEAR(*m.odometer_km, 2656.224, 1e-9);
  EXPECT_EQ(m.cell, (CellTower{232, 1, 17007, 63501}));
  EXPECT_EQ(std::get<int64_t>(m.attributes.at(attr::kGsmSignal)), 3);
  EXPECT_EQ(std::get<bool>(m.attributes.at(attr::kMotion)), true);
  EXPECT_EQ(std::get<bool>(m.attributes.at(attr::kDigitalInput1)), true);
  EXPECT_NEAR(std::get<double>(m.attributes.at(attr::kTagTemperatureC)), 30.0, 1e-9);
  EXPECT_EQ(m.kind, MessageKind::kPosition);
  // 017: codec 12 answer (axle weights text) kept as command_result.
  const Message& cmd = by_id["teltonika-017"].messages.at(0);
  EXPECT_FALSE(cmd.has_position());
  EXPECT_EQ(cmd.kind, MessageKind::kOther);
  EXPECT_TRUE(cmd.attributes.contains(attr::kCommandResult));
  // 052: the UDP datagram and its acknowledgement.
  ASSERT_EQ(by_id["teltonika-052"].messages.size(), 1u);
  EXPECT_EQ(by_id["teltonika-052"].messages[0].device_uid, "357454072713975");
  EXPECT_EQ(ToHex(by_id["teltonika-052"].reply), "0005cafe012201");
  // 044: the ping.
  ASSERT_EQ(by_id["teltonika-044"].messages.size(), 1u);
  EXPECT_EQ(by_id["teltonika-044"].messages[0].kind, MessageKind::kHeartbeat);
}

// ---- encoder-built packets: the IO table ----

teltonika::AvlRecord SampleRecord() {
  teltonika::AvlRecord r;
  r.time_ms = *MakeTimestamp(2026, 5, 21, 10, 30, 0, 250);
  r.priority = 1;
  r.lat = 54.6872;
  r.lng = -25.2797;
  r.altitude_m = 112;
  r.angle = 270;
  r.satellites = 11;
  r.speed_kmh = 63;
  r.event_id = 239;
  r.io1 = {{239, 1}, {240, 1}, {21, 4}, {1, 1}, {200, 2}, {253, 2}};
  r.io2 = {{66, 12850}, {67, 4096}, {182, 9}, {9, 1500}, {205, 31021}, {206, 4301}, {36, 2100}};
  r.io4 = {{16, 123456}, {241, 24602}, {199, 870}};
  r.io8 = {{78, 0x0102030405060708ULL}};
  return r;
}

TEST(TeltonikaDecoder, IoElementsMapThroughTheTable) {
  TeltonikaDecoder decoder;
  DecodeSession session{"356307042441013", false, ""};
  DecodeOutput out;
  ASSERT_TRUE(decoder.Decode(teltonika::EncodeCodec8({SampleRecord()}), session, 5, out).ok());
  ASSERT_EQ(out.messages.size(), 1u);
  const Message& m = out.messages[0];
  EXPECT_EQ(m.kind, MessageKind::kAlarm);  // green driving: hard braking
  EXPECT_EQ(m.alarm, Alarm::kGeneral);
  EXPECT_EQ(std::get<std::string>(m.attributes.at(attr::kAlarmType)), "hard_braking");
  EXPECT_EQ(m.ts, *MakeTimestamp(2026, 5, 21, 10, 30, 0, 250));
  EXPECT_EQ(m.received_at, 5);
  EXPECT_NEAR(*m.lat, 54.6872, 1e-7);
  EXPECT_NEAR(*m.lng, -25.2797, 1e-7);
  EXPECT_EQ(m.altitude_m, 112);
  EXPECT_EQ(m.heading, 270);
  EXPECT_EQ(m.speed_kmh, 63);
  EXPECT_EQ(m.satellites, 11);
  EXPECT_EQ(m.valid, true);
  EXPECT_EQ(m.ignition, true);
  EXPECT_NEAR(*m.power_v, 12.85, 1e-9);
  EXPECT_NEAR(*m.battery_v, 4.096, 1e-9);
  EXPECT_NEAR(*m.hdop, 0.9, 1e-9);
  EXPECT_NEAR(*m.odometer_km, 123.456, 1e-9);
  EXPECT_EQ(m.rpm, 2100);
  ASSERT_TRUE(m.cell.has_value());
  EXPECT_EQ(*m.cell, (CellTower{246, 2, 4301, 31021}));
  EXPECT_EQ(std::get<bool>(m.attributes.at(attr::kMotion)), true);
  EXPECT_EQ(std::get<bool>(m.attributes.at(attr::kDigitalInput1)), true);
  EXPECT_EQ(std::get<int64_t>(m.attributes.at(attr::kGsmSignal)), 4);
  EXPECT_EQ(std::get<int64_t>(m.attributes.at(attr::kPriority)), 1);
  EXPECT_EQ(std::get<int64_t>(m.attributes.at(attr::kEventIoId)), 239);
  EXPECT_EQ(std::get<int64_t>(m.attributes.at(attr::kTripOdometerM)), 870);
  EXPECT_NEAR(std::get<double>(m.attributes.at(attr::kAdc1V)), 1.5, 1e-9);
  EXPECT_EQ(std::get<std::string>(m.attributes.at(attr::kDriverId)), "0807060504030201");
  EXPECT_EQ(std::get<int64_t>(m.attributes.at("io200")), 2);  // sleep mode: unmapped
  EXPECT_EQ(out.reply, (std::vector<uint8_t>{0, 0, 0, 1}));
}

TEST(TeltonikaDecoder, FmbRowsApplyOnlyToFmbModels) {
  TeltonikaDecoder decoder;
  DecodeSession session{"356307042441013", false, "GH5200"};
  DecodeOutput out;
  ASSERT_TRUE(decoder.Decode(teltonika::EncodeCodec8({SampleRecord()}), session, 5, out).ok());
  const Message& m = out.messages[0];
  EXPECT_FALSE(m.rpm.has_value());
  EXPECT_EQ(std::get<int64_t>(m.attributes.at("io36")), 2100);
  EXPECT_EQ(std::get<int64_t>(m.attributes.at("io9")), 1500);
  EXPECT_FALSE(m.cell.has_value());  // 205/206 are FMB rows: kept raw
  EXPECT_EQ(std::get<int64_t>(m.attributes.at("io205")), 31021);
  EXPECT_EQ(std::get<int64_t>(m.attributes.at("io241")), 24602);
  EXPECT_EQ(m.ignition, true);  // 239 means ignition everywhere
  EXPECT_TRUE(teltonika::IsFmbFamily("fmc130"));
  EXPECT_FALSE(teltonika::IsFmbFamily("GH5200"));
}

TEST(TeltonikaDecoder, NoFixIsNotAPosition) {
  auto record = SampleRecord();
  record.lat = record.lng = 0;
  record.satellites = 0;
  TeltonikaDecoder decoder;
  DecodeSession session{"356307042441013", false, ""};
  DecodeOutput out;
  ASSERT_TRUE(decoder.Decode(teltonika::EncodeCodec8({record}), session, 5, out).ok());
  EXPECT_FALSE(out.messages[0].has_position());
  EXPECT_EQ(out.messages[0].valid, false);
  EXPECT_TRUE(out.messages[0].ts.has_value());
}

TEST(TeltonikaDecoder, HandshakeSetsTheSessionAndPingNeedsIt) {
  TeltonikaDecoder decoder;
  DecodeSession session;
  DecodeOutput out;
  ASSERT_TRUE(decoder.Decode(std::vector<uint8_t>{0xFF}, session, 1, out).ok());
  EXPECT_TRUE(out.messages.empty());
  ASSERT_TRUE(decoder.Decode(teltonika::EncodeImei("356307042441013"), session, 1, out).ok());
  EXPECT_EQ(session.device_uid, "356307042441013");
  EXPECT_EQ(out.reply, std::vector<uint8_t>{0x01});
  ASSERT_TRUE(decoder.Decode(std::vector<uint8_t>{0xFF}, session, 1, out).ok());
  EXPECT_EQ(out.messages.back().kind, MessageKind::kHeartbeat);
}

TEST(TeltonikaDecoder, CommandAnswerIsKeptWithoutPosition) {
  TeltonikaDecoder decoder;
  DecodeSession session{"356307042441013", false, ""};
  DecodeOutput out;
  auto packet = teltonika::EncodeCodec12Command("RTC:2026/5/21 10:30 Init:2026/5/21 8:00");
  packet[10] = 0x06;  // a response rather than a command
  packet = teltonika::EncodeTcpPacket(std::vector<uint8_t>(packet.begin() + 8, packet.end() - 4));
  ASSERT_TRUE(decoder.Decode(packet, session, 1, out).ok());
  ASSERT_EQ(out.messages.size(), 1u);
  EXPECT_EQ(std::get<std::string>(out.messages[0].attributes.at(attr::kCommandResult)),
            "RTC:2026/5/21 10:30 Init:2026/5/21 8:00");
  EXPECT_EQ(std::get<int64_t>(out.messages[0].attributes.at(attr::kMessageType)), 6);
  EXPECT_TRUE(out.reply.empty());
}

TEST(TeltonikaUdpDecoder, DatagramSetsTheDeviceAndIsAcknowledged) {
  TeltonikaUdpDecoder decoder;
  DecodeSession session;
  DecodeOutput out;
  const auto datagram = teltonika::EncodeCodec8Udp(0xBEEF, 0x07, "356307042441013", {SampleRecord(), SampleRecord()});
  ASSERT_TRUE(decoder.Decode(datagram, session, 1, out).ok());
  EXPECT_EQ(session.device_uid, "356307042441013");
  EXPECT_EQ(out.messages.size(), 2u);
  EXPECT_EQ(ToHex(out.reply), "0005beef010702");
  auto lying = datagram;
  lying[1] ^= 0x01;
  DecodeOutput rejected;
  EXPECT_EQ(decoder.Decode(lying, session, 1, rejected).code(), StatusCode::kBadLength);
  EXPECT_TRUE(rejected.messages.empty() && rejected.reply.empty());
  auto bad_imei = datagram;
  bad_imei[8] = 'x';
  EXPECT_EQ(decoder.Decode(bad_imei, session, 1, rejected).code(), StatusCode::kMalformed);
}

}  // namespace
}  // namespace fleetd
