// Ais140Decoder against the 38 real sentences of the shared vectors (10+
// vendor dialects), replayed in upstream order strict and lenient; plus the
// dialect each one is read with, exact values, and hostile input.
#include "protocol/ais140/ais140_decoder.h"

#include <array>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "core/time_util.h"
#include "fleetd/attribute_keys.h"
#include "protocol/ais140/ais140_layouts.h"
#include "protocol/testing/upstream_checks.h"
#include "protocol/ais140/ais140_vectors.h"
#include "protocol/ais140/ais140_wire.h"

namespace fleetd {
namespace {

using nlohmann::json;
using Bytes = std::vector<uint8_t>;

// Cases this slice cannot pass, with the reason. The replay asserts that each
// still fails, so fixing one forces its removal; the list must not grow.
struct KnownGap {
  std::string_view id;
  std::string_view reason;
};
constexpr std::array<KnownGap, 3> kKnownGaps = {{
    {"ais140-030", "EMR with an all-zero date and no fix: upstream substitutes the last known position and the "
                   "current time; fleetd reports the alarm without a position or time"},
    {"ais140-031", "TA with an all-zero date and no fix: same substitution upstream; fleetd reports no position"},
    {"ais140-032", "BR with an all-zero date and no fix: same substitution upstream; fleetd reports no position"},
}};
static_assert(kKnownGaps.size() <= 3, "the known-gap list must not grow");

// Upstream expects null for these EMR sentences because its pattern does not
// match their extra vendor field; fleetd reads them (an SOS must not be
// dropped) and asserts that they decode to an SOS alarm with a position.
const std::set<std::string> kBeyondUpstream = {"ais140-033", "ais140-034"};

// Rejected when strict: the checksum after `*` (XOR) or in the last field
// (CRC-32) does not match. 036 is 017 with its vendor name changed and the
// checksum left as it was.
const std::set<std::string> kBadChecksum = {"ais140-011", "ais140-017", "ais140-020", "ais140-033",
                                            "ais140-036", "ais140-037", "ais140-038"};

bool IsKnownGap(const std::string& id) {
  for (const auto& gap : kKnownGaps) {
    if (gap.id == id) return true;
  }
  return false;
}

// Upstream attribute -> fleetd (documented in docs/protocols/ais140.md).
std::optional<json> Upstream(const Message& m, const std::string& key) {
  if (key == "odometer") return m.odometer_km ? std::optional<json>(*m.odometer_km * 1000) : std::nullopt;
  if (key == "alarm") return m.alarm ? std::optional<json>(std::string(AlarmName(*m.alarm))) : std::nullopt;
  if (key == "adc2") {
    auto it = m.attributes.find(attr::kAdc2V);
    return it == m.attributes.end() ? std::nullopt : std::optional<json>(std::get<double>(it->second));
  }
  return std::nullopt;
}

std::optional<std::string> CheckPosition(const Message& m, TimestampMs now) {
  if (m.device_uid.size() != 15) return "missing identity";  // AIS-140 ids are IMEIs
  return vectors::PositionProblem(m, now, "ais140");
}

std::optional<std::string> Check(const ais140::VectorCase& c, const Status& status, const DecodeOutput& out) {
  const json& e = c.expect;
  const bool with_position =
      std::any_of(out.messages.begin(), out.messages.end(), [](const Message& m) { return m.has_position(); });
  if (e.value("null", false)) return with_position ? std::optional<std::string>("expected no position") : std::nullopt;
  if (!status.ok()) return "rejected: " + status.ToString();
  if (out.messages.size() != 1) return "expected one message";
  const Message& m = out.messages.front();
  if (e.value("decodes", "") == "position") {
    if (auto err = CheckPosition(m, NowMs())) return err;
  }
  const json attributes = e.value("attributes", json::object());
  for (const auto& [key, want] : attributes.items()) {
    const auto got = Upstream(m, key);
    if (!got) return "no mapping or no value for upstream attribute " + key;
    if (want.is_number() ? std::fabs(got->get<double>() - want.get<double>()) > 1e-6 : *got != want) {
      return key + ": want " + want.dump() + ", got " + got->dump();
    }
  }
  return std::nullopt;
}

Bytes Text(std::string_view s) { return Bytes(s.begin(), s.end()); }

class Ais140VectorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { vectors_ = ais140::LoadAis140Vectors(); }
  void SetUp() override { ASSERT_TRUE(vectors_.has_value()) << "shared vectors not found"; }

  void Replay(bool lenient,
              const std::function<void(const ais140::VectorCase&, const Status&, const DecodeOutput&)>& each) {
    std::map<std::string, DecodeSession> sessions;
    for (const auto& c : vectors_->cases) {
      DecodeSession& session = sessions[c.test_method];
      session.lenient = lenient;
      DecodeOutput out;
      const Status status = decoder_.Decode(c.packet, session, NowMs(), out);
      each(c, status, out);
    }
  }

  static std::optional<ais140::VectorFile> vectors_;
  Ais140Decoder decoder_;
};
std::optional<ais140::VectorFile> Ais140VectorTest::vectors_;

TEST_F(Ais140VectorTest, AllCasesPresent) { EXPECT_EQ(vectors_->cases.size(), 38u); }

TEST_F(Ais140VectorTest, LenientReplayMatchesUpstream) {
  int passed = 0;
  Replay(true, [&](const ais140::VectorCase& c, const Status& status, const DecodeOutput& out) {
    if (kBeyondUpstream.count(c.id)) {
      ASSERT_TRUE(status.ok()) << c.id << ": " << status.ToString();
      ASSERT_EQ(out.messages.size(), 1u);
      EXPECT_EQ(out.messages[0].alarm, Alarm::kSos) << c.id;
      EXPECT_FALSE(CheckPosition(out.messages[0], NowMs()).has_value()) << c.id;
      return;
    }
    const auto failure = Check(c, status, out);
    if (IsKnownGap(c.id)) {
      EXPECT_TRUE(failure.has_value()) << c.id << " now passes: remove it from kKnownGaps";
      return;
    }
    EXPECT_FALSE(failure.has_value()) << c.id << ": " << *failure;
    passed += !failure.has_value();
  });
  EXPECT_EQ(passed, 38 - static_cast<int>(kKnownGaps.size() + kBeyondUpstream.size()));
}

TEST_F(Ais140VectorTest, KnownGapsStillDecodeTheirAlarm) {
  Replay(true, [&](const ais140::VectorCase& c, const Status& status, const DecodeOutput& out) {
    if (!IsKnownGap(c.id)) return;
    ASSERT_TRUE(status.ok()) << c.id;
    ASSERT_EQ(out.messages.size(), 1u);
    const Message& m = out.messages[0];
    EXPECT_EQ(m.kind, MessageKind::kAlarm) << c.id;
    EXPECT_FALSE(m.has_position()) << c.id;
    EXPECT_FALSE(m.ts.has_value()) << c.id;
  });
}

TEST_F(Ais140VectorTest, StrictReplayRejectsBadChecksumsAndMatchesTheRest) {
  int rejected = 0;
  Replay(false, [&](const ais140::VectorCase& c, const Status& status, const DecodeOutput& out) {
    if (kBadChecksum.count(c.id)) {
      EXPECT_EQ(status.code(), StatusCode::kBadChecksum) << c.id << ": " << status.ToString();
      EXPECT_TRUE(out.messages.empty() && out.reply.empty()) << c.id;
      ++rejected;
      return;
    }
    EXPECT_TRUE(status.ok()) << c.id << ": " << status.ToString();
    if (kBeyondUpstream.count(c.id) || IsKnownGap(c.id)) return;
    const auto failure = Check(c, status, out);
    EXPECT_FALSE(failure.has_value()) << c.id << ": " << *failure;
  });
  EXPECT_EQ(rejected, static_cast<int>(kBadChecksum.size()));
}

// Which row of the dialect table reads each sentence: the table's documentation.
TEST_F(Ais140VectorTest, EachSentenceIsReadByItsDialect) {
  const std::map<std::string, std::string> want = {
      {"001", "login"},       {"002", "login_short"}, {"003", "mark"},      {"004", "ctpl"},
      {"005", "epb"},         {"006", "epb"},         {"007", "rlp_sensor"}, {"008", "rlp_sensor"},
      {"009", "rlp"},         {"010", "roadrpa_ext"}, {"011", "traxsmart"}, {"012", "roadrpa_ext"},
      {"013", "sat"},         {"014", "gpsbox"},      {"015", "rlp_short"}, {"016", "itriangle"},
      {"017", "itriangle"},   {"018", "epb_cell"},    {"019", "atl"},       {"020", "roadrpa"},
      {"021", "roadrpa"},     {"022", "split_date"},  {"023", "roadrpa"},   {"024", "chvts"},
      {"025", "split_date"},  {"026", "mfr"},         {"027", "split_date"}, {"028", "login_plain"},
      {"029", "health"},      {"030", "epb_split_date"}, {"031", "split_date"}, {"032", "split_date"},
      {"033", "epb_vendor"},  {"034", "epb_vendor"},  {"035", "itriangle"}, {"036", "itriangle"},
      {"037", "itriangle"},   {"038", "login"},
  };
  for (const auto& c : vectors_->cases) {
    ais140::Sentence s;
    ASSERT_TRUE(ais140::ParseSentence(c.packet, s).ok()) << c.id;
    const ais140::Layout* layout = ais140::FindLayout(s);
    ASSERT_NE(layout, nullptr) << c.id;
    EXPECT_EQ(layout->name, want.at(c.id.substr(7))) << c.id;
  }
}

TEST_F(Ais140VectorTest, EveryMessageCarriesIdentity) {
  Replay(true, [&](const ais140::VectorCase& c, const Status&, const DecodeOutput& out) {
    for (const Message& m : out.messages) {
      EXPECT_EQ(m.device_uid.size(), 15u) << c.id;
      EXPECT_EQ(m.protocol, "ais140") << c.id;
      EXPECT_GT(m.received_at, 0) << c.id;
    }
  });
}

TEST_F(Ais140VectorTest, TruncatedSentencesNeverCrash) {
  for (const auto& c : vectors_->cases) {
    for (size_t n = 0; n < c.packet.size(); ++n) {
      for (bool lenient : {false, true}) {
        DecodeSession session{"", lenient, ""};
        DecodeOutput out;
        const Status status = decoder_.Decode(std::span(c.packet).first(n), session, 1, out);
        EXPECT_EQ(status.ok(), out.messages.size() == 1) << c.id << " cut at " << n;
      }
    }
  }
}

TEST_F(Ais140VectorTest, RandomCorruptionNeverCrashes) {
  std::mt19937 rng(7);
  for (const auto& c : vectors_->cases) {
    for (int round = 0; round < 200; ++round) {
      Bytes bytes = c.packet;
      for (int flips = 1 + static_cast<int>(rng() % 4); flips > 0; --flips) {
        bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
      }
      DecodeSession session{"", round % 2 == 0, ""};
      DecodeOutput out;
      (void)decoder_.Decode(bytes, session, 1, out);
    }
  }
}

// ---- exact values and sessions ----

DecodeOutput DecodeOk(std::string_view text, bool lenient = false) {
  DecodeSession session{"", lenient, ""};
  DecodeOutput out;
  const Status s = Ais140Decoder().Decode(Text(text), session, 1, out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

TEST(Ais140Decoder, ExactValuesOfAMarkSentence) {
  const auto out = DecodeOk(
      "$,NRM,MARK,V0.0.1,NR,01,L,358980100040246,000000000,1,10032021,073239,25.932051,N,71.509872,E,0.6,1.40,13,"
      "211.2,1.4,0.7,IDEA,0,1,0.1,3.7,0,N,20,404,60,A5F,FD3F,A5F,6F88,29,A5F,5855,18,A5F,6F87,18,A5F,FD41,14,0000,"
      "00,0.1,0,000027,0,0,0,4E9C,*");
  ASSERT_EQ(out.messages.size(), 1u);
  const Message& m = out.messages[0];
  EXPECT_EQ(m.device_uid, "358980100040246");
  EXPECT_EQ(m.kind, MessageKind::kPosition);
  EXPECT_EQ(m.ts, ParseIso8601("2021-03-10T07:32:39Z"));
  EXPECT_EQ(m.valid, true);
  EXPECT_DOUBLE_EQ(*m.lat, 25.932051);
  EXPECT_DOUBLE_EQ(*m.lng, 71.509872);
  EXPECT_EQ(m.speed_kmh, 0.6);
  EXPECT_EQ(m.heading, 1.40);
  EXPECT_EQ(m.satellites, 13);
  EXPECT_EQ(m.altitude_m, 211.2);
  EXPECT_EQ(m.hdop, 0.7);
  EXPECT_EQ(m.ignition, false);
  EXPECT_EQ(m.power_v, 0.1);
  EXPECT_EQ(m.battery_v, 3.7);
  EXPECT_EQ(m.cell, (CellTower{404, 60, 0xA5F, 0xFD3F}));
  EXPECT_EQ(std::get<int64_t>(m.attributes.at(attr::kSerial)), 27);
  EXPECT_EQ(std::get<std::string>(m.attributes.at(attr::kPacketStatus)), "NR");
  EXPECT_EQ(std::get<double>(m.attributes.at(attr::kPdop)), 1.4);
  EXPECT_EQ(std::get<bool>(m.attributes.at(attr::kExternalPower)), true);
  EXPECT_EQ(std::get<bool>(m.attributes.at(attr::kGpsRealtime)), true);
  EXPECT_EQ(std::get<std::string>(m.attributes.at(attr::kNetworkOperator)), "IDEA");
  EXPECT_FALSE(m.alarm.has_value());
  EXPECT_TRUE(out.reply.empty());
}

TEST(Ais140Decoder, SouthWestAndHistory) {
  const auto out = DecodeOk(
      "$,NRM,MARK,V0.0.1,TA,09,H,358980100040246,,1,10032021,073239,25.5,S,71.25,W,0.6,1.40,13,"
      "211.2,1.4,0.7,IDEA,1,0,0.1,3.7,0,O,20,404,60,A5F,FD3F,0,0,0,0,0,0,0,0,0,0,0,0,1010,01,0.1,0,000027,0,0,0,4E9C,*");
  const Message& m = out.messages[0];
  EXPECT_EQ(m.lat, -25.5);
  EXPECT_EQ(m.lng, -71.25);
  EXPECT_EQ(m.kind, MessageKind::kAlarm);
  EXPECT_EQ(m.alarm, Alarm::kTampering);
  EXPECT_EQ(std::get<bool>(m.attributes.at(attr::kGpsRealtime)), false);
  EXPECT_EQ(std::get<bool>(m.attributes.at(attr::kTamper)), true);
  EXPECT_EQ(std::get<std::string>(m.attributes.at(attr::kDigitalInputs)), "1010");
  EXPECT_EQ(std::get<int64_t>(m.attributes.at(attr::kEventId)), 9);
}

TEST(Ais140Decoder, LoginSetsTheSessionAndCarriesNoPosition) {
  Ais140Decoder decoder;
  DecodeSession session;
  DecodeOutput out;
  ASSERT_TRUE(decoder
                  .Decode(Text("$Header,iTriangle1,KA01G1234,864495034434610,1_36T02B0164MAIS_6,AIS140,0.000000,N,"
                               "0.000000,E*5E\r\n"),
                          session, 1, out)
                  .ok());
  EXPECT_EQ(session.device_uid, "864495034434610");
  ASSERT_EQ(out.messages.size(), 1u);
  EXPECT_EQ(out.messages[0].kind, MessageKind::kLogin);
  EXPECT_FALSE(out.messages[0].has_position());
  EXPECT_EQ(std::get<std::string>(out.messages[0].attributes.at(attr::kVehicleReg)), "KA01G1234");
  EXPECT_TRUE(out.reply.empty());
}

TEST(Ais140Decoder, HealthIsAHeartbeat) {
  const auto out = DecodeOk("$,02,XYZ123,0.0.1,861359034137271,100,30,00.0,00005,00600,1000,01,00.1,00.0,");
  const Message& m = out.messages[0];
  EXPECT_EQ(m.kind, MessageKind::kHeartbeat);
  EXPECT_EQ(std::get<int64_t>(m.attributes.at(attr::kBatteryLevel)), 100);
  EXPECT_EQ(std::get<std::string>(m.attributes.at(attr::kDigitalInputs)), "1000");
}

// ---- hostile input ----

constexpr std::string_view kRoadrpa =
    "$NRM,ROADRPA,1.7AIS,NR,01,L,869867036345389,,1,25022019,051716,25.12891000,N,75.85587833,E,7.6,350.00,14,"
    "284.8,1.00,1.00,AIRTEL,1,1,28.0,4.2,0,C,13,404,70,4E3B,3C84,11,4E3B,39B8,08,4E3B,3965,07,4E3B,48B5,07,4E3B,"
    "3C85,0000,00,000551,71978C6B";

Status DecodeStatus(std::string_view text, bool lenient = false) {
  DecodeSession session{"", lenient, ""};
  DecodeOutput out;
  const Status s = Ais140Decoder().Decode(Text(text), session, 1, out);
  EXPECT_EQ(s.ok(), out.messages.size() == 1);
  EXPECT_TRUE(out.reply.empty());
  return s;
}

std::string Replace(std::string_view text, std::string_view from, std::string_view to) {
  std::string s(text);
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return s.replace(at, from.size(), to);
}

TEST(Ais140Decoder, Crc32IsCheckedWhenStrict) {
  EXPECT_TRUE(DecodeStatus(kRoadrpa).ok());
  const std::string changed = Replace(kRoadrpa, "7.6,350.00", "7.7,350.00");
  EXPECT_EQ(DecodeStatus(changed).code(), StatusCode::kBadChecksum);
  EXPECT_TRUE(DecodeStatus(changed, /*lenient=*/true).ok());
}

TEST(Ais140Decoder, TrailerXorIsCheckedWhenStrict) {
  const std::string login =
      "$Header,iTriangle1,KA01G1234,864495034434610,1_36T02B0164MAIS_6,AIS140,0.000000,N,0.000000,E*5E";
  EXPECT_TRUE(DecodeStatus(login).ok());
  EXPECT_EQ(DecodeStatus(Replace(login, "*5E", "*5F")).code(), StatusCode::kBadChecksum);
  EXPECT_TRUE(DecodeStatus(Replace(login, "*5E", "*5F"), true).ok());
  EXPECT_TRUE(DecodeStatus(Replace(login, "*5E", "*")).ok());  // no checksum: nothing to verify
}

TEST(Ais140Decoder, NonNumericFieldsMatchNoLayout) {
  EXPECT_EQ(DecodeStatus(Replace(kRoadrpa, "7.6,350.00", "fast,350.00"), true).code(), StatusCode::kMalformed);
  EXPECT_EQ(DecodeStatus(Replace(kRoadrpa, "25.12891000", "25.1289x000"), true).code(), StatusCode::kMalformed);
  EXPECT_EQ(DecodeStatus(Replace(kRoadrpa, "869867036345389", "86986703634538"), true).code(), StatusCode::kMalformed);
}

TEST(Ais140Decoder, ImpossibleDatesAndCoordinatesAreOutOfRange) {
  EXPECT_EQ(DecodeStatus(Replace(kRoadrpa, "25022019", "25132019"), true).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(DecodeStatus(Replace(kRoadrpa, "051716", "256116"), true).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(DecodeStatus(Replace(kRoadrpa, "25.12891000", "95.12891000"), true).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(DecodeStatus(Replace(kRoadrpa, "75.85587833", "275.85587833"), true).code(), StatusCode::kOutOfRange);
}

TEST(Ais140Decoder, HugeNumbersAndEnvelopeErrors) {
  EXPECT_EQ(DecodeStatus(Replace(kRoadrpa, "7.6,", "999999999999.6,"), true).code(), StatusCode::kOk);
  EXPECT_EQ(DecodeStatus(Replace(kRoadrpa, "7.6,", "9999999999999999.6,"), true).code(), StatusCode::kMalformed);
  EXPECT_EQ(DecodeStatus("").code(), StatusCode::kMalformed);
  EXPECT_EQ(DecodeStatus("$").code(), StatusCode::kMalformed);
  EXPECT_EQ(DecodeStatus("hello").code(), StatusCode::kMalformed);
  EXPECT_EQ(DecodeStatus(std::string(kRoadrpa) + std::string(2000, ',')).code(), StatusCode::kBadLength);
  EXPECT_EQ(DecodeStatus(std::string("$") + std::string(500, ',')).code(), StatusCode::kMalformed);
  EXPECT_EQ(DecodeStatus(Replace(kRoadrpa, "AIRTEL", "AIR\x01TEL"), true).code(), StatusCode::kMalformed);
}

}  // namespace
}  // namespace fleetd
