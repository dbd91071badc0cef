// H02Decoder against the 89 real packets of the shared vectors, replayed in
// upstream order with one session per test method; plus replies, status
// bits and hostile input.
#include "protocol/h02/h02_decoder.h"

#include <array>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <random>

#include <charconv>

#include <gtest/gtest.h>

#include "core/time_util.h"
#include "fleetd/attribute_keys.h"
#include "protocol/h02/h02_encoder.h"
#include "protocol/testing/upstream_checks.h"
#include "protocol/h02/h02_fields.h"
#include "protocol/h02/h02_vectors.h"

namespace fleetd {
namespace {

using nlohmann::json;

// Cases this slice cannot pass, with the reason. The replay asserts that each
// still fails, so fixing one forces its removal; the list must not grow.
struct KnownGap {
  std::string_view id;
  std::string_view reason;
};
constexpr std::array<KnownGap, 1> kKnownGaps = {{
    {"h02-049", "V1 with neither time nor date: upstream stamps the server clock; fleetd leaves ts absent "
                "(unknown is absent), so the fix-time check fails"},
}};
static_assert(kKnownGaps.size() <= 1, "the known-gap list must not grow");

bool IsKnownGap(const std::string& id) {
  for (const auto& gap : kKnownGaps) {
    if (gap.id == id) return true;
  }
  return false;
}

// ---- upstream attribute -> fleetd field mapping (documented in docs/protocols/h02.md) ----

constexpr auto FromAttr = [](const Message& m, std::string_view key, double scale = 1) {
  return vectors::AttributeJson(m, key, scale);
};

using Getter = std::function<std::optional<json>(const Message&)>;
const std::map<std::string, Getter>& AttributeMap() {
  static const std::map<std::string, Getter> kMap = {
      {"batteryLevel", [](const Message& m) { return FromAttr(m, attr::kBatteryLevel); }},
      {"result", [](const Message& m) { return FromAttr(m, attr::kCommandResult); }},
      {"status", [](const Message& m) { return FromAttr(m, attr::kStatusWord); }},
  };
  return kMap;
}

// ---- upstream's assertion forms -> one failure message, or nullopt ----

std::optional<std::string> CheckPosition(const Message& m, TimestampMs now) {
  return vectors::PositionProblem(m, now, "h02");
}

std::optional<std::string> Check(const h02::VectorCase& c, const Status& status, const DecodeOutput& out) {
  const json& e = c.expect;
  const auto with_position =
      std::count_if(out.messages.begin(), out.messages.end(), [](const Message& m) { return m.has_position(); });
  if (e.value("null", false)) {
    if (with_position > 0) return "expected no position, got one";
    return std::nullopt;
  }
  if (!status.ok()) return "rejected: " + status.ToString();
  if (out.messages.size() != 1) return "expected exactly one message";
  if (e.value("not_null", false)) return std::nullopt;
  const Message& m = out.messages.front();
  if (e.contains("decodes")) {
    const std::string what = e["decodes"];
    if (what == "attributes") {
      if (m.attributes.empty() && !m.cell) return "expected decoded attributes";
    } else if (what == "position") {
      if (auto err = CheckPosition(m, NowMs())) return err;
      if (e.contains("time") && m.ts != ParseIso8601(e["time"].get<std::string>())) return "fix time differs";
      if (e.contains("valid") && m.valid != e["valid"].get<bool>()) return "valid flag differs";
      if (e.contains("latitude") && std::fabs(*m.lat - e["latitude"].get<double>()) > 1e-5) return "lat differs";
      if (e.contains("longitude") && std::fabs(*m.lng - e["longitude"].get<double>()) > 1e-5) return "lng differs";
    }
  }
  if (e.contains("attributes")) {
    for (const auto& [key, want] : e["attributes"].items()) {
      auto getter = AttributeMap().find(key);
      if (getter == AttributeMap().end()) return "no mapping for upstream attribute " + key;
      const auto got = getter->second(m);
      if (want.is_null() ? got.has_value() : (!got || *got != want)) {
        return key + ": want " + want.dump() + ", got " + (got ? got->dump() : "nothing");
      }
    }
  }
  return std::nullopt;
}

class H02VectorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { vectors_ = h02::LoadH02Vectors(); }
  void SetUp() override { ASSERT_TRUE(vectors_.has_value()) << "shared vectors not found"; }

  // Replays every case in id order per test method; calls `each` with the result.
  void Replay(const std::function<void(const h02::VectorCase&, const Status&, const DecodeOutput&)>& each) {
    std::map<std::string, DecodeSession> sessions;
    for (const auto& c : vectors_->cases) {
      DecodeOutput out;
      const Status status = decoder_.Decode(c.packet, sessions[c.test_method], NowMs(), out);
      each(c, status, out);
    }
  }

  static std::optional<h02::VectorFile> vectors_;
  H02Decoder decoder_;
};
std::optional<h02::VectorFile> H02VectorTest::vectors_;

TEST_F(H02VectorTest, AllCasesPresent) {
  EXPECT_EQ(vectors_->cases.size(), 89u);
  EXPECT_EQ(vectors_->frames.size(), 10u);
}

TEST_F(H02VectorTest, ReplayMatchesUpstream) {
  int passed = 0;
  Replay([&](const h02::VectorCase& c, const Status& status, const DecodeOutput& out) {
    const auto failure = Check(c, status, out);
    if (IsKnownGap(c.id)) {
      EXPECT_TRUE(failure.has_value()) << c.id << " now passes: remove it from kKnownGaps";
      return;
    }
    EXPECT_FALSE(failure.has_value()) << c.id << ": " << *failure;
    passed += !failure.has_value();
  });
  EXPECT_EQ(passed, 89 - static_cast<int>(kKnownGaps.size()));
}

// Upstream's nulls, each with the reason fleetd counts (or the message it
// emits without a position).
TEST_F(H02VectorTest, NullsAreCountedOrCarryNoFix) {
  const std::map<std::string, StatusCode> kRejected = {
      {"h02-021", StatusCode::kUnsupported},  // XT
      {"h02-024", StatusCode::kMalformed},    // *HQ,<id>,# without a type
      {"h02-042", StatusCode::kUnsupported},  // BS
      {"h02-076", StatusCode::kUnsupported},  // BASE
  };
  const std::map<std::string, MessageKind> kEmitted = {
      {"h02-008", MessageKind::kHeartbeat},  // HTBT without battery
      {"h02-017", MessageKind::kStatus},     // V1 with an empty fix
      {"h02-056", MessageKind::kStatus},     // all-zero V1
  };
  int nulls = 0;
  Replay([&](const h02::VectorCase& c, const Status& status, const DecodeOutput& out) {
    if (!c.expect.value("null", false)) return;
    ++nulls;
    if (auto it = kRejected.find(c.id); it != kRejected.end()) {
      EXPECT_EQ(status.code(), it->second) << c.id << ": " << status.ToString();
      EXPECT_TRUE(out.messages.empty() && out.reply.empty()) << c.id;
    } else {
      ASSERT_TRUE(status.ok()) << c.id << ": " << status.ToString();
      ASSERT_EQ(out.messages.size(), 1u) << c.id;
      EXPECT_EQ(out.messages[0].kind, kEmitted.at(c.id)) << c.id;
    }
  });
  EXPECT_EQ(nulls, 7);
}

TEST_F(H02VectorTest, EveryMessageCarriesIdentity) {
  Replay([&](const h02::VectorCase& c, const Status&, const DecodeOutput& out) {
    for (const Message& m : out.messages) {
      EXPECT_FALSE(m.device_uid.empty()) << c.id;
      EXPECT_EQ(m.protocol, "h02") << c.id;
      EXPECT_GT(m.received_at, 0) << c.id;
    }
  });
}

TEST_F(H02VectorTest, TruncatedPacketsNeverCrashAndStrictRejectsThem) {
  for (const auto& c : vectors_->cases) {
    size_t full = c.packet.size();
    while (!c.binary && full > 0 && (c.packet[full - 1] == '\r' || c.packet[full - 1] == '\n')) --full;
    for (size_t n = 0; n < full; ++n) {
      // A binary prefix of a known size is itself a whole (shorter) frame.
      if (c.binary && (n == 32 || n == 42 || n == 45 || n == 46)) continue;
      DecodeSession session{"1234567890", false, ""};
      DecodeOutput out;
      const Status status = decoder_.Decode(std::span(c.packet).first(n), session, 1, out);
      EXPECT_FALSE(status.ok()) << c.id << " cut at " << n;
      EXPECT_TRUE(out.messages.empty() && out.reply.empty()) << c.id << " cut at " << n;
      DecodeSession lenient{"1234567890", true, ""};
      (void)decoder_.Decode(std::span(c.packet).first(n), lenient, 1, out);
    }
  }
}

TEST_F(H02VectorTest, RandomCorruptionNeverCrashes) {
  std::mt19937 rng(42);
  for (const auto& c : vectors_->cases) {
    for (int round = 0; round < 200; ++round) {
      std::vector<uint8_t> bytes = c.packet;
      for (int flips = 1 + static_cast<int>(rng() % 4); flips > 0; --flips) {
        bytes[rng() % bytes.size()] = static_cast<uint8_t>(round % 3 == 0 ? ",#*$-."[rng() % 6] : rng());
      }
      DecodeSession session{"1234567890", round % 2 == 0, ""};
      DecodeOutput out;
      const Status status = decoder_.Decode(bytes, session, 1, out);
      EXPECT_EQ(out.messages.size(), status.ok() ? 1u : 0u);
    }
  }
}

// ---- exact decodes, replies and sessions ----

std::vector<uint8_t> Bytes(std::string_view text) { return {text.begin(), text.end()}; }

Status DecodeText(std::string_view text, DecodeOutput& out, DecodeSession* session = nullptr,
                  TimestampMs at = 1) {
  DecodeSession local;
  return H02Decoder().Decode(Bytes(text), session ? *session : local, at, out);
}

TEST(H02Decoder, V1SetsTheSessionAndIsAcknowledgedWithTheTime) {
  DecodeSession session;
  DecodeOutput out;
  const TimestampMs at = *MakeTimestamp(2026, 5, 21, 10, 30, 7);
  ASSERT_TRUE(DecodeText("*HQ,4210051415,V1,164549,A,0956.3869,N,08406.7068,W,000.00,000,221215,FFFFFBFF,712,01,0,0,6#",
                         out, &session, at)
                  .ok());
  EXPECT_EQ(session.device_uid, "4210051415");
  ASSERT_EQ(out.messages.size(), 1u);
  const Message& m = out.messages[0];
  EXPECT_EQ(m.kind, MessageKind::kPosition);
  EXPECT_EQ(m.device_uid, "4210051415");
  EXPECT_EQ(m.ts, MakeTimestamp(2015, 12, 22, 16, 45, 49));
  EXPECT_NEAR(*m.lat, 9.93978, 1e-5);
  EXPECT_NEAR(*m.lng, -84.11178, 1e-5);
  EXPECT_EQ(m.valid, true);
  EXPECT_EQ(m.speed_kmh, 0);
  EXPECT_EQ(m.heading, 0);
  EXPECT_EQ(m.ignition, false);
  EXPECT_FALSE(m.alarm.has_value());
  EXPECT_EQ(std::get<int64_t>(m.attributes.at(attr::kStatusWord)), 0xFFFFFBFF);
  EXPECT_EQ(std::get<std::string>(m.attributes.at(attr::kExtraFields)), "712,01,0,0,6");
  EXPECT_EQ(std::string(out.reply.begin(), out.reply.end()), "*HQ,4210051415,V4,V1,20260521103007#");
}

TEST(H02Decoder, EmptyIdUsesTheSessionAndIsNotAcknowledged) {
  DecodeOutput out;
  const std::string_view v1 = "*HQ,,V1,173212,A,2225.78879,S,02829.19021,E,0.00,0,290418,FFFFFBFF#";
  EXPECT_EQ(DecodeText(v1, out).code(), StatusCode::kNoSession);
  DecodeSession session{"4210051415", false, ""};
  ASSERT_TRUE(DecodeText(v1, out, &session).ok());
  EXPECT_EQ(out.messages[0].device_uid, "4210051415");
  EXPECT_TRUE(out.reply.empty());
}

TEST(H02Decoder, HeartbeatIsEchoed) {
  DecodeOutput out;
  ASSERT_TRUE(DecodeText("*HQ,135790246811220,HTBT,100#", out).ok());
  EXPECT_EQ(std::string(out.reply.begin(), out.reply.end()), "*HQ,135790246811220,HTBT#");
  EXPECT_EQ(out.messages[0].kind, MessageKind::kHeartbeat);
  EXPECT_EQ(std::get<int64_t>(out.messages[0].attributes.at(attr::kBatteryLevel)), 100);
  out = {};
  EXPECT_EQ(DecodeText("*HQ,135790246811220,HTBT,101#", out).code(), StatusCode::kOutOfRange);
}

TEST(H02Decoder, NeighbourCellsBecomeTowersAndAreAcknowledged) {
  DecodeOutput out;
  ASSERT_TRUE(DecodeText("*HQ,7401004662,NBR,160453,234,10,0,2,21580,27766,-67,21580,27767,-70,291019,FFFFFBFF,6#",
                         out, nullptr, *MakeTimestamp(2019, 10, 29, 16, 5, 0))
                  .ok());
  const Message& m = out.messages[0];
  EXPECT_EQ(m.kind, MessageKind::kStatus);
  EXPECT_FALSE(m.has_position());
  EXPECT_EQ(m.cell, (CellTower{234, 10, 21580, 27766}));
  EXPECT_EQ(std::get<std::string>(m.attributes.at(attr::kCellTowers)), "234-10-21580-27766/-67;234-10-21580-27767/-70");
  EXPECT_EQ(std::get<int64_t>(m.attributes.at(attr::kDeviceTime)), *MakeTimestamp(2019, 10, 29, 16, 4, 53));
  EXPECT_EQ(std::string(out.reply.begin(), out.reply.end()), "*HQ,7401004662,V4,NBR,20191029160500#");
}

TEST(H02Decoder, CommandReplyKeepsTheEchoAndTheFix) {
  DecodeOutput out;
  ASSERT_TRUE(DecodeText("*TH,2020916012,V4,S1,OK,pass_word,130305,050316,A,2212.8745,N,11346.6574,E,14.28,028,"
                         "220902,FFFFFBFD#",
                         out)
                  .ok());
  const Message& m = out.messages[0];
  EXPECT_EQ(std::get<std::string>(m.attributes.at(attr::kCommandResult)), "S1,OK,pass_word,130305");
  EXPECT_EQ(m.ts, MakeTimestamp(2002, 9, 22, 5, 3, 16));
  EXPECT_NEAR(*m.speed_kmh, 14.28 * 1.852, 1e-9);
  EXPECT_EQ(m.alarm, Alarm::kSos);  // bit 1 clear
  EXPECT_EQ(m.kind, MessageKind::kAlarm);
}

TEST(H02Decoder, SensorTailAndSimFields) {
  DecodeOutput out;
  ASSERT_TRUE(DecodeText("*HQ,2130510938,V1,012632,A,0520.0663,N,10028.6324,E,0.286,023,100317,FFFFDFFF,69129336,0,"
                         "100.0,18,5141,5A20#",
                         out)
                  .ok());
  const Message& m = out.messages[0];
  EXPECT_NEAR(*m.odometer_km, 69129.336, 1e-9);
  EXPECT_EQ(m.fuel_pct, 100.0);
  EXPECT_EQ(m.altitude_m, 18.0);
  EXPECT_EQ(std::get<double>(m.attributes.at(attr::kTemperatureC)), 0.0);
  out = {};
  ASSERT_TRUE(DecodeText("*HQ,4209917484,V19,093043,V,5052.9749,N,00426.4322,E,000.00,000,130916,,0032475874141,"
                         "8944538530000543700F,FFFFFBFF#",
                         out)
                  .ok());
  EXPECT_EQ(std::get<std::string>(out.messages[0].attributes.at(attr::kIccid)), "8944538530000543700F");
  EXPECT_EQ(out.messages[0].valid, false);
}

TEST(H02Decoder, StatusBitsGiveIgnitionAndAlarms) {
  const std::map<std::string, std::pair<bool, std::optional<Alarm>>> kCases = {
      {"FFFFFBFF", {false, std::nullopt}}, {"FFFFFFFF", {true, std::nullopt}},
      {"FFFFFBFE", {false, Alarm::kVibration}}, {"FFFFFFFD", {true, Alarm::kSos}},
      {"FFFBFFFF", {true, std::nullopt}},
      {"FFFFFBFB", {false, Alarm::kOverspeed}}, {"FFF7FBFF", {false, Alarm::kPowerCut}},
  };
  for (const auto& [word, want] : kCases) {
    DecodeOutput out;
    const std::string text = "*HQ,2705171109,V1,213324,A,5002.5849,N,01433.7822,E,0.00,000,140613," + word + "#";
    ASSERT_TRUE(DecodeText(text, out).ok()) << word;
    EXPECT_EQ(out.messages[0].ignition, want.first) << word;
    EXPECT_EQ(out.messages[0].alarm, want.second) << word;
  }
}

// Bit 18 is not an SOS: these devices clear it in routine positions.
TEST_F(H02VectorTest, RoutinePositionsWithBit18ClearRaiseNoAlarm) {
  const std::set<std::string> kBit18Clear = {"h02-041", "h02-073", "h02-074", "h02-075"};
  size_t seen = 0;
  Replay([&](const h02::VectorCase& c, const Status& status, const DecodeOutput& out) {
    if (!kBit18Clear.contains(c.id)) return;
    ++seen;
    ASSERT_TRUE(status.ok()) << c.id;
    ASSERT_EQ(out.messages.size(), 1u) << c.id;
    EXPECT_EQ(std::get<int64_t>(out.messages[0].attributes.at(attr::kStatusWord)), 0xFFFBFFFF) << c.id;
    EXPECT_FALSE(out.messages[0].alarm.has_value()) << c.id;
    EXPECT_EQ(out.messages[0].kind, MessageKind::kPosition) << c.id;
  });
  EXPECT_EQ(seen, kBit18Clear.size());
}

TEST(H02Decoder, BinaryPositionOfCase078) {
  const auto frame = *h02::LoadH02Vectors();
  DecodeSession session;
  DecodeOutput out;
  const auto& packet = frame.cases[77].packet;  // h02-078
  ASSERT_EQ(frame.cases[77].id, "h02-078");
  ASSERT_TRUE(H02Decoder().Decode(packet, session, 1, out).ok());
  EXPECT_EQ(session.device_uid, "4106000826");
  const Message& m = out.messages[0];
  EXPECT_EQ(m.ts, ParseIso8601("2015-08-31T21:53:21Z"));
  EXPECT_NEAR(*m.lat, 4.69898, 1e-5);
  EXPECT_NEAR(*m.lng, -74.06971, 1e-5);
  EXPECT_EQ(m.valid, true);
  EXPECT_EQ(std::get<int64_t>(m.attributes.at(attr::kBatteryLevel)), 100);  // level step 6
  EXPECT_TRUE(out.reply.empty());
}

TEST(H02Decoder, HostileInput) {
  DecodeOutput out;
  const std::string good = "*HQ,2705171109,V1,213324,A,5002.5849,N,01433.7822,E,0.00,000,140613,FFFFFFFF#";
  ASSERT_TRUE(DecodeText(good, out).ok());
  auto with = [&](std::string_view from, std::string_view to) {
    std::string text = good;
    text.replace(text.find(from), from.size(), to);
    DecodeOutput o;
    const Status s = DecodeText(text, o);
    EXPECT_TRUE(o.messages.empty() && o.reply.empty()) << text;
    return s.code();
  };
  EXPECT_EQ(with("213324", "21x324"), StatusCode::kMalformed);       // non-numeric time
  EXPECT_EQ(with("0.00,000", "fast,000"), StatusCode::kMalformed);   // non-numeric speed
  EXPECT_EQ(with("5002.5849", "50O2.5849"), StatusCode::kMalformed); // letter O for zero
  EXPECT_EQ(with(",N,", ",Q,"), StatusCode::kMalformed);             // no hemisphere
  EXPECT_EQ(with(",A,", ",Z,"), StatusCode::kMalformed);             // no validity
  EXPECT_EQ(with("140613", "320613"), StatusCode::kOutOfRange);      // 32 June
  EXPECT_EQ(with("140613", "141313"), StatusCode::kOutOfRange);      // month 13
  EXPECT_EQ(with("213324", "253324"), StatusCode::kOutOfRange);      // 25 o'clock
  EXPECT_EQ(with("5002.5849", "9502.5849"), StatusCode::kOutOfRange);// latitude 95
  EXPECT_EQ(with("5002.5849", "5062.5849"), StatusCode::kOutOfRange);// 62 minutes
  EXPECT_EQ(with(",000,", ",361,"), StatusCode::kOutOfRange);        // course
  EXPECT_EQ(with("0.00,", "9999.00,"), StatusCode::kOutOfRange);     // speed
  EXPECT_EQ(with("2705171109", "27051711092705171109x"), StatusCode::kMalformed);  // id
  EXPECT_EQ(with(",V1,", ",XT,"), StatusCode::kUnsupported);
  EXPECT_EQ(with("#", ""), StatusCode::kMalformed);                  // no terminator
  EXPECT_EQ(with(",E,0.00,000,140613,FFFFFFFF#", "#"), StatusCode::kMalformed);  // truncated fields
  EXPECT_EQ(DecodeText("", out).code(), StatusCode::kMalformed);
  EXPECT_EQ(DecodeText("\r\n", out).code(), StatusCode::kMalformed);
  EXPECT_EQ(DecodeText("hello", out).code(), StatusCode::kMalformed);
}

TEST(H02Decoder, HostileBinary) {
  h02::PositionFix fix;
  fix.time_ms = *MakeTimestamp(2026, 5, 21, 10, 30, 0);
  fix.lat = 52.5;
  fix.lng = 13.4;
  const auto good = h02::EncodeBinary("4106000826", fix, 80);
  DecodeSession strict, lenient{"", true, ""};
  DecodeOutput out;
  ASSERT_TRUE(H02Decoder().Decode(good, strict, 1, out).ok());
  auto longer = good;
  longer.push_back(0);
  EXPECT_EQ(H02Decoder().Decode(longer, strict, 1, out).code(), StatusCode::kBadLength);
  EXPECT_TRUE(H02Decoder().Decode(longer, lenient, 1, out).ok());
  auto bad_bcd = good;
  bad_bcd[13] = 0x5A;  // latitude digit A
  EXPECT_EQ(H02Decoder().Decode(bad_bcd, strict, 1, out).code(), StatusCode::kMalformed);
  auto bad_date = good;
  bad_date[9] = 0x31;  // 31 May is fine; 31 February is not
  bad_date[10] = 0x02;
  EXPECT_EQ(H02Decoder().Decode(bad_date, strict, 1, out).code(), StatusCode::kOutOfRange);
  auto x_frame = good;
  x_frame[0] = 'X';
  EXPECT_EQ(H02Decoder().Decode(x_frame, strict, 1, out).code(), StatusCode::kUnsupported);
  EXPECT_EQ(H02Decoder().Decode(std::span(good).first(20), lenient, 1, out).code(), StatusCode::kMalformed);
}

}  // namespace
}  // namespace fleetd

namespace fleetd {
namespace {

// The fast decimal path must give exactly what from_chars gives.
TEST(H02FieldsTest, FastDecimalParseMatchesFromChars) {
  uint64_t state = 88172645463325252ULL;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (int i = 0; i < 20000; ++i) {
    const int int_digits = static_cast<int>(next() % 9) + 1, frac_digits = static_cast<int>(next() % 7);
    std::string text = (next() % 4 == 0) ? "-" : "";
    for (int d = 0; d < int_digits; ++d) text += static_cast<char>('0' + next() % 10);
    if (frac_digits > 0) {
      text += '.';
      for (int d = 0; d < frac_digits; ++d) text += static_cast<char>('0' + next() % 10);
    }
    double fast = 0, reference = 0;
    ASSERT_TRUE(h02::ParseDouble(text, fast)) << text;
    std::from_chars(text.data(), text.data() + text.size(), reference, std::chars_format::fixed);
    ASSERT_EQ(fast, reference) << text;
  }
  double v = 0;
  EXPECT_FALSE(h02::ParseDouble("", v));
  EXPECT_FALSE(h02::ParseDouble("+1", v));
  EXPECT_FALSE(h02::ParseDouble("1.2.3", v));
  EXPECT_FALSE(h02::ParseDouble("12a", v));
  EXPECT_TRUE(h02::ParseDouble("2235.1777", v));
  EXPECT_EQ(v, 2235.1777);
}

}  // namespace
}  // namespace fleetd
