// Gt06Decoder against the 187 real packets of the shared vectors, replayed in
// upstream order with one session per test method, strict and lenient; plus
// replies and hostile input.
#include "protocol/gt06/gt06_decoder.h"

#include <array>
#include <cmath>
#include <functional>
#include <map>
#include <random>

#include <gtest/gtest.h>

#include "core/hex.h"
#include "core/time_util.h"
#include "fleetd/attribute_keys.h"
#include "protocol/gt06/gt06_encoder.h"
#include "protocol/testing/upstream_checks.h"
#include "protocol/gt06/gt06_vectors.h"
#include "protocol/gt06/gt06_wire.h"

namespace fleetd {
namespace {

using nlohmann::json;

// Cases this slice cannot pass, with the reason. The replay asserts that each
// still fails, so fixing one forces its removal; the list must not grow.
struct KnownGap {
  std::string_view id;
  std::string_view reason;
};
constexpr std::array<KnownGap, 2> kKnownGaps = {{
    {"gt06-010", "0xA3 GL21L step counter: layout undocumented, steps not decoded"},
    {"gt06-021", "upstream's altitude -31703 is read from the CRC bytes past the payload; we stop at the payload"},
}};
static_assert(kKnownGaps.size() <= 2, "the known-gap list must not grow");

bool IsKnownGap(const std::string& id) {
  for (const auto& gap : kKnownGaps) {
    if (gap.id == id) return true;
  }
  return false;
}

// ---- upstream attribute -> fleetd field mapping (documented in docs/protocols/gt06.md) ----

constexpr auto FromAttr = [](const Message& m, std::string_view key, double scale = 1) {
  return vectors::AttributeJson(m, key, scale);
};

template <typename T>
std::optional<json> FromField(const std::optional<T>& field, double scale = 1) {
  if (!field) return std::nullopt;
  if constexpr (std::is_same_v<T, bool>) return json(*field);
  else return json(*field * scale);
}

// Upstream alarm names for (Alarm, alarm_type).
std::optional<json> UpstreamAlarm(const Message& m) {
  if (!m.alarm) return std::nullopt;
  const auto type_it = m.attributes.find(attr::kAlarmType);
  const std::string type = type_it == m.attributes.end() ? "" : std::get<std::string>(type_it->second);
  static const std::map<std::pair<Alarm, std::string>, std::string> kNames = {
      {{Alarm::kSos, ""}, "sos"},
      {{Alarm::kLowBattery, ""}, "lowBattery"},
      {{Alarm::kTampering, ""}, "tampering"},
      {{Alarm::kTampering, "removing"}, "removing"},
      {{Alarm::kGeneral, ""}, "general"},
      {{Alarm::kGeneral, "hard_acceleration"}, "hardAcceleration"},
      {{Alarm::kGeneral, "hard_braking"}, "hardBraking"},
      {{Alarm::kGeneral, "hard_cornering"}, "hardCornering"},
      {{Alarm::kAccident, ""}, "accident"},
      {{Alarm::kPowerCut, ""}, "powerCut"},
      {{Alarm::kVibration, ""}, "vibration"},
      {{Alarm::kOverspeed, ""}, "overspeed"},
  };
  auto it = kNames.find({*m.alarm, type});
  return json(it == kNames.end() ? std::string(AlarmName(*m.alarm)) + "/" + type : it->second);
}

using Getter = std::function<std::optional<json>(const Message&)>;
const std::map<std::string, Getter>& AttributeMap() {
  static const std::map<std::string, Getter> kMap = {
      {"alarm", UpstreamAlarm},
      {"power", [](const Message& m) { return FromField(m.power_v); }},
      {"battery", [](const Message& m) { return FromField(m.battery_v); }},
      {"ignition", [](const Message& m) { return FromField(m.ignition); }},
      {"sat", [](const Message& m) { return FromField(m.satellites); }},
      {"odometer", [](const Message& m) { return FromField(m.odometer_km, 1000); }},
      {"batteryLevel", [](const Message& m) { return FromAttr(m, attr::kBatteryLevel); }},
      {"temp1", [](const Message& m) { return FromAttr(m, attr::kTemperatureC); }},
      {"tag1Temp", [](const Message& m) { return FromAttr(m, attr::kTagTemperatureC); }},
      {"humidity", [](const Message& m) { return FromAttr(m, attr::kHumidityPct); }},
      {"driverUniqueId", [](const Message& m) { return FromAttr(m, attr::kDriverId); }},
      {"iccid", [](const Message& m) { return FromAttr(m, attr::kIccid); }},
      {"result", [](const Message& m) { return FromAttr(m, attr::kCommandResult); }},
      {"serial", [](const Message& m) { return FromAttr(m, attr::kSerialData); }},
      {"steps", [](const Message& m) { return FromAttr(m, attr::kSteps); }},
      {"event", [](const Message& m) { return FromAttr(m, attr::kAlarmCode); }},
      {"eventFiles", [](const Message& m) { return FromAttr(m, attr::kEventFiles); }},
      {"networkTechnology", [](const Message& m) { return FromAttr(m, attr::kNetworkTechnology); }},
      {"door", [](const Message& m) { return FromAttr(m, attr::kDoor); }},
      {"drivingTime", [](const Message& m) { return FromAttr(m, attr::kDrivingTimeS); }},
      {"adc1", [](const Message& m) { return FromAttr(m, attr::kAdc1V); }},
      {"hours", [](const Message& m) { return FromAttr(m, attr::kEngineHoursS, 1000); }},  // ms upstream
      {"altitude", [](const Message& m) { return FromField(m.altitude_m); }},
  };
  return kMap;
}

using vectors::SameValue;

// ---- upstream's assertion forms -> one failure message, or nullopt ----

std::optional<std::string> CheckPosition(const Message& m, TimestampMs now) {
  // Altitude unchecked: upstream's gt06-021 asserts -31703 (a known gap).
  return vectors::PositionProblem(m, now, "gt06", /*check_altitude=*/false);
}

std::optional<std::string> Check(const gt06::VectorCase& c, const Status& status, const DecodeOutput& out) {
  const json& e = c.expect;
  const TimestampMs now = NowMs();
  auto with_position = std::count_if(out.messages.begin(), out.messages.end(),
                                     [](const Message& m) { return m.has_position(); });
  if (e.value("null", false)) {
    if (with_position > 0) return "expected no position, got one";
    return std::nullopt;
  }
  if (!status.ok()) return "rejected: " + status.ToString();
  if (out.messages.empty()) return "no message";
  if (e.value("not_null", false)) return std::nullopt;
  const Message& first = out.messages.front();
  if (e.contains("decodes")) {
    const std::string what = e["decodes"];
    if (what == "attributes") {
      // More than identity and protocol number: some decoded field or attribute.
      Message bare = first;
      bare.attributes.erase(std::string(attr::kMessageType));
      Message empty;
      empty.device_uid = bare.device_uid, empty.protocol = bare.protocol, empty.received_at = bare.received_at;
      empty.kind = bare.kind;
      if (out.messages.size() != 1 || bare == empty) return "expected one message with decoded fields";
    } else if (what == "position" || what == "positions") {
      if (what == "position" && out.messages.size() != 1) return "expected exactly one message";
      for (const Message& m : out.messages) {
        if (auto err = CheckPosition(m, now)) return err;
      }
      if (e.contains("time") && first.ts != ParseIso8601(e["time"].get<std::string>())) return "fix time differs";
      if (e.contains("valid") && first.valid != e["valid"].get<bool>()) return "valid flag differs";
      if (e.contains("latitude") && std::fabs(*first.lat - e["latitude"].get<double>()) > 1e-5) return "lat differs";
      if (e.contains("longitude") && std::fabs(*first.lng - e["longitude"].get<double>()) > 1e-5) return "lng differs";
    }
  }
  for (const char* group : {"attributes", "position_fields"}) {
    if (!e.contains(group)) continue;
    for (const auto& [key, want] : e[group].items()) {
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

bool StrictlyInvalid(const gt06::VectorCase& c) {
  return !c.meta.value("length_consistent", true) || c.meta.value("crc_x25_ok", json(true)) == json(false);
}

class Gt06VectorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { vectors_ = gt06::LoadGt06Vectors(); }
  void SetUp() override { ASSERT_TRUE(vectors_.has_value()) << "shared vectors not found"; }

  // Replays every case in id order per test method; calls `each` with the result.
  void Replay(bool lenient,
              const std::function<void(const gt06::VectorCase&, const Status&, const DecodeOutput&)>& each) {
    std::map<std::string, DecodeSession> sessions;
    for (const auto& c : vectors_->cases) {
      DecodeSession& session = sessions[c.test_method];
      session.lenient = lenient;
      session.model = c.model;
      DecodeOutput out;
      const Status status = decoder_.Decode(c.packet, session, NowMs(), out);
      each(c, status, out);
    }
  }

  static std::optional<gt06::VectorFile> vectors_;
  Gt06Decoder decoder_;
};
std::optional<gt06::VectorFile> Gt06VectorTest::vectors_;

TEST_F(Gt06VectorTest, AllCasesPresent) { EXPECT_EQ(vectors_->cases.size(), 187u); }

TEST_F(Gt06VectorTest, LenientReplayMatchesUpstream) {
  int passed = 0;
  Replay(true, [&](const gt06::VectorCase& c, const Status& status, const DecodeOutput& out) {
    const auto failure = Check(c, status, out);
    if (IsKnownGap(c.id)) {
      EXPECT_TRUE(failure.has_value()) << c.id << " now passes: remove it from kKnownGaps";
      return;
    }
    EXPECT_FALSE(failure.has_value()) << c.id << " (" << c.meta.value("msg_type", "") << "): " << *failure;
    passed += !failure.has_value();
  });
  EXPECT_EQ(passed, 187 - static_cast<int>(kKnownGaps.size()));
}

TEST_F(Gt06VectorTest, StrictReplayRejectsBadFramesAndMatchesTheRest) {
  int rejected = 0;
  Replay(false, [&](const gt06::VectorCase& c, const Status& status, const DecodeOutput& out) {
    if (StrictlyInvalid(c)) {
      const StatusCode want =
          c.meta.value("length_consistent", true) ? StatusCode::kBadChecksum : StatusCode::kBadLength;
      EXPECT_EQ(status.code(), want) << c.id << ": " << status.ToString();
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
  EXPECT_EQ(rejected, 28);  // 16 bad CRC + 16 inconsistent lengths, 4 of them both
}

TEST_F(Gt06VectorTest, EveryMessageCarriesIdentity) {
  Replay(true, [&](const gt06::VectorCase& c, const Status&, const DecodeOutput& out) {
    for (const Message& m : out.messages) {
      EXPECT_FALSE(m.device_uid.empty()) << c.id;
      EXPECT_EQ(m.protocol, "gt06") << c.id;
      EXPECT_GT(m.received_at, 0) << c.id;
    }
  });
}

TEST_F(Gt06VectorTest, TruncatedPacketsNeverCrashAndStrictRejectsThem) {
  for (const auto& c : vectors_->cases) {
    for (size_t n = 0; n < c.packet.size(); ++n) {
      for (bool lenient : {false, true}) {
        DecodeSession session{"860000000000001", lenient, c.model};
        DecodeOutput out;
        const Status status = decoder_.Decode(std::span(c.packet).first(n), session, 1, out);
        if (!lenient) {
          EXPECT_FALSE(status.ok()) << c.id << " cut at " << n;
        }
      }
    }
  }
}

TEST_F(Gt06VectorTest, RandomCorruptionNeverCrashes) {
  std::mt19937 rng(42);
  for (const auto& c : vectors_->cases) {
    for (int round = 0; round < 50; ++round) {
      std::vector<uint8_t> bytes = c.packet;
      for (int flips = 1 + static_cast<int>(rng() % 4); flips > 0; --flips) {
        bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
      }
      DecodeSession session{"860000000000001", round % 2 == 0, c.model};
      DecodeOutput out;
      (void)decoder_.Decode(bytes, session, 1, out);
    }
  }
}

// ---- replies and sessions ----

std::vector<uint8_t> Hex(std::string_view text) { return *ParseHex(text); }

TEST(Gt06Decoder, LoginSetsSessionAndIsAcknowledged) {
  Gt06Decoder decoder;
  DecodeSession session;
  DecodeOutput out;
  ASSERT_TRUE(decoder.Decode(Hex("78780D01086471700328358100093F040D0A"), session, 1000, out).ok());
  EXPECT_EQ(session.device_uid, "864717003283581");
  ASSERT_EQ(out.messages.size(), 1u);
  EXPECT_EQ(out.messages[0].kind, MessageKind::kLogin);
  EXPECT_EQ(out.messages[0].device_uid, "864717003283581");
  EXPECT_FALSE(out.messages[0].has_position());
  EXPECT_EQ(out.reply, gt06::EncodeReply(0x01, 0x0009));
  EXPECT_EQ(ToHex(out.reply), "787805010009" + ToHex(std::span(out.reply).subspan(6, 2)) + "0d0a");
}

TEST(Gt06Decoder, PositionBeforeLoginIsNoSession) {
  Gt06Decoder decoder;
  DecodeSession session;
  DecodeOutput out;
  const auto position = Hex("78781f120f0a140e150bc505e51e780293a9e800540000f601006e0055da00035f240d0a");
  EXPECT_EQ(decoder.Decode(position, session, 1, out).code(), StatusCode::kNoSession);
  EXPECT_TRUE(out.messages.empty() && out.reply.empty());
}

TEST(Gt06Decoder, ExactPositionOfCase144) {
  Gt06Decoder decoder;
  DecodeSession session{"123456789012345", false, ""};
  DecodeOutput out;
  ASSERT_TRUE(decoder
                  .Decode(Hex("78781f120f0a140e150bc505e51e780293a9e800540000f601006e0055da00035f240d0a"),
                          session, 1, out)
                  .ok());
  ASSERT_EQ(out.messages.size(), 1u);
  const Message& m = out.messages[0];
  EXPECT_EQ(m.kind, MessageKind::kPosition);
  EXPECT_EQ(m.ts, ParseIso8601("2015-10-20T14:21:11Z"));
  EXPECT_NEAR(*m.lat, 54.94535, 1e-5);
  EXPECT_NEAR(*m.lng, 24.01762, 1e-5);
  EXPECT_EQ(m.valid, true);
  EXPECT_EQ(m.satellites, 5);
  EXPECT_EQ(m.speed_kmh, 0);
  EXPECT_TRUE(out.reply.empty());  // position packets are not acknowledged
}

TEST(Gt06Decoder, HeartbeatAndAlarmAreAcknowledgedWithTheirSerial) {
  Gt06Decoder decoder;
  DecodeSession session{"123456789012345", false, ""};
  DecodeOutput out;
  ASSERT_TRUE(decoder.Decode(Hex("78780a13440604000201baaf540d0a"), session, 1, out).ok());
  EXPECT_EQ(out.reply, gt06::EncodeReply(0x13, 0x01ba));
  EXPECT_EQ(out.messages[0].kind, MessageKind::kHeartbeat);
  out = {};
  ASSERT_TRUE(decoder
                  .Decode(Hex("787826161709130f3a2dcc02c55f2a089f9af9005c210901360481fe066d9b03413e420102035f92fe0d0a"),
                          session, 1, out)
                  .ok());
  EXPECT_EQ(out.reply, gt06::EncodeReply(0x16, 0x035f));
  EXPECT_EQ(out.messages[0].kind, MessageKind::kAlarm);
  EXPECT_EQ(out.messages[0].alarm, Alarm::kSos);
}

TEST(Gt06Decoder, TimeRequestIsAnsweredWithReceivedAt) {
  Gt06Decoder decoder;
  DecodeSession session{"123456789012345", false, ""};
  DecodeOutput out;
  const TimestampMs at = *MakeTimestamp(2026, 5, 21, 10, 30, 7);
  ASSERT_TRUE(decoder.Decode(Hex("7878058A000688290D0A"), session, at, out).ok());
  EXPECT_TRUE(out.messages.empty());
  EXPECT_EQ(out.reply, gt06::EncodeTimeReply(at, 0x0006));
  EXPECT_EQ(ToHex(std::span(out.reply).subspan(4, 6)), "1a05150a1e07");
}

TEST(Gt06Decoder, CountFramedWifiIsLenientOnlyAndEchoesItsTime) {
  Gt06Decoder decoder;
  const auto wifi = Hex("787800691710231108500200cc080c4e2fa5640c4e2fa66e0d0a");
  DecodeSession strict{"123456789012345", false, ""};
  DecodeOutput out;
  EXPECT_EQ(decoder.Decode(wifi, strict, 1, out).code(), StatusCode::kBadLength);
  DecodeSession lenient{"123456789012345", true, ""};
  ASSERT_TRUE(decoder.Decode(wifi, lenient, 1, out).ok());
  EXPECT_EQ(ToHex(out.reply), "78780069" "171023110850" "0d0a");
  const Message& m = out.messages[0];
  EXPECT_FALSE(m.has_position());
  ASSERT_TRUE(m.cell.has_value());
  EXPECT_EQ(m.cell->mcc, 204);
  EXPECT_EQ(std::get<std::string>(m.attributes.at(std::string(attr::kCellTowers))),
            "204-8-3150-12197/-100;204-8-3150-12198/-110");
}

TEST(Gt06Decoder, HostileInput) {
  Gt06Decoder decoder;
  DecodeSession session{"123456789012345", false, ""};
  DecodeOutput out;
  const auto good = Hex("78780a13440604000201baaf540d0a");
  auto bad_crc = good;
  bad_crc[bad_crc.size() - 3] ^= 0xFF;
  EXPECT_EQ(decoder.Decode(bad_crc, session, 1, out).code(), StatusCode::kBadChecksum);
  auto lying = good;
  lying[2] = 0x0B;  // one more than the frame holds
  EXPECT_EQ(decoder.Decode(lying, session, 1, out).code(), StatusCode::kBadLength);
  lying[2] = 0x02;  // too short to hold serial and CRC
  EXPECT_EQ(decoder.Decode(lying, session, 1, out).code(), StatusCode::kBadLength);
  EXPECT_EQ(decoder.Decode(Hex("68656c6c6f"), session, 1, out).code(), StatusCode::kMalformed);
  EXPECT_EQ(decoder.Decode({}, session, 1, out).code(), StatusCode::kMalformed);
  auto no_tail = good;
  no_tail.back() = 0x00;
  EXPECT_EQ(decoder.Decode(no_tail, session, 1, out).code(), StatusCode::kMalformed);
  // A well-formed frame of a type fleetd does not handle.
  EXPECT_EQ(decoder.Decode(gt06::EncodeReply(0x7F, 1), session, 1, out).code(), StatusCode::kUnsupported);
  // A 0x7979 frame claiming 60000 bytes.
  EXPECT_EQ(decoder.Decode(Hex("7979ea60940000010203040d0a"), session, 1, out).code(), StatusCode::kBadLength);
  EXPECT_TRUE(out.messages.empty() && out.reply.empty());
}

TEST(Gt06Decoder, ImpossibleDateIsOutOfRange) {
  Gt06Decoder decoder;
  DecodeSession session{"123456789012345", false, ""};
  DecodeOutput out;
  gt06::PositionFix fix;
  fix.time_ms = *MakeTimestamp(2026, 5, 21, 10, 30, 0);
  auto frame = gt06::EncodePosition(fix, 7);
  frame[5] = 13;  // month 13
  // Re-seal the CRC so that only the date is wrong.
  std::vector<uint8_t> content(frame.begin() + 4, frame.end() - 6);
  std::vector<uint8_t> resealed;
  gt06::AppendFrame(resealed, false, frame[3], content, 7);
  EXPECT_EQ(decoder.Decode(resealed, session, 1, out).code(), StatusCode::kOutOfRange);
}

TEST(Gt06Decoder, ModelSelectsTheLayout) {
  Gt06Decoder decoder;
  const auto packet = Hex("78783c22010357789648774484180c06142038180c06142038cb03313ee4061fe98300185e090000000000000000460984284c000200000000017101d6f35d0d0a");
  DecodeSession nt20{"123456789012345", false, "nt20"};
  DecodeOutput out;
  ASSERT_TRUE(decoder.Decode(packet, nt20, 1, out).ok());
  EXPECT_EQ(out.messages[0].power_v, 24.36);
  EXPECT_EQ(out.messages[0].battery_v, 4.0);
  DecodeSession plain{"123456789012345", false, ""};
  out = {};
  const Status s = decoder.Decode(packet, plain, 1, out);  // the standard 0x22 reading: IMEI as a date
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace fleetd
