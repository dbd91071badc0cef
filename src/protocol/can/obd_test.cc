// OBD-II: the shared helper vectors (obd.json, read at run time), every PID
// at the edges of its bytes, raw answers, trouble codes, hostile input.
#include "protocol/can/obd.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <vector>

#include "core/hex.h"
#include "fleetd/attribute_keys.h"

#ifndef FLEETD_VECTORS_DIR
#error "FLEETD_VECTORS_DIR must point at the shared vectors folder"
#endif

namespace fleetd {
namespace {

using Bytes = std::vector<uint8_t>;

nlohmann::json LoadObdVectors() {
  std::ifstream in(std::string(FLEETD_VECTORS_DIR) + "/obd.json");
  if (!in) return nullptr;
  return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
}

// The value a decoded PID lands in, whichever field or attribute it is.
std::optional<double> PidValue(uint8_t pid, const Message& m) {
  auto number = [&](std::string_view key) -> std::optional<double> {
    auto it = m.attributes.find(key);
    if (it == m.attributes.end()) return std::nullopt;
    if (auto* i = std::get_if<int64_t>(&it->second)) return static_cast<double>(*i);
    return std::get<double>(it->second);
  };
  switch (pid) {
    case 0x04:
      return number(attr::kEngineLoadPct);
    case 0x11:
      return number(attr::kThrottlePct);
    case 0x21:
      return number(attr::kMilDistanceKm);
    case 0x05:
      return m.engine_temp_c;
    case 0x0C:
      return m.rpm;
    case 0x0D:
      return m.speed_kmh;
    case 0x2F:
      return m.fuel_pct;
    case 0x31:
      return number(attr::kDtcClearedDistanceKm);
    case 0x46:
      return number(attr::kAmbientTempC);
    case 0x5E:
      return number(attr::kFuelRateLph);
    default:
      return std::nullopt;
  }
}

TEST(ObdVectorsTest, EveryCase) {
  const auto file = LoadObdVectors();
  ASSERT_TRUE(file.is_object()) << "cannot read " << FLEETD_VECTORS_DIR << "/obd.json";
  ASSERT_TRUE(file.contains("cases"));
  int checked = 0;
  for (const auto& c : file["cases"]) {
    const std::string id = c.value("id", "");
    SCOPED_TRACE(id);
    const auto bytes = ParseHex(c.value("packet", ""));
    ASSERT_TRUE(bytes && !bytes->empty());
    const std::string function = c.value("function", "");
    const auto& expect = c["expect"];
    if (function == "ObdDecoder.decode(mode, hex)") {
      // The packet is the PID followed by its data bytes.
      ASSERT_EQ(c.value("mode", 0), 1);
      const uint8_t pid = (*bytes)[0];
      ASSERT_EQ(pid, std::stoi(c.value("pid", ""), nullptr, 16));
      Message m;
      ASSERT_TRUE(ApplyObdPid(pid, std::span(*bytes).subspan(1), m).ok());
      const auto value = PidValue(pid, m);
      ASSERT_TRUE(value);
      // Upstream computes in Java longs, so its values are truncated.
      EXPECT_EQ(std::floor(*value), expect["value"].get<double>());
    } else if (function == "ObdDecoder.decodeCodes(hex)") {
      Message m;
      ASSERT_TRUE(ApplyObdDtcs(*bytes, m).ok());
      ASSERT_TRUE(m.attributes.contains(attr::kDtcs));
      if (expect.contains("value")) {
        EXPECT_EQ(std::get<std::string>(m.attributes.at(attr::kDtcs)), expect["value"].get<std::string>());
      }
      if (expect.contains("key")) {
        EXPECT_EQ(expect["key"].get<std::string>(), attr::kDtcs);
      }
    } else {
      ADD_FAILURE() << "no replay for function '" << function << "'";
      continue;
    }
    ++checked;
  }
  EXPECT_GE(checked, 7);
}

// Each PID at A/B = 0 and 0xFF, with the value the formula gives.
struct PidCase {
  uint8_t pid;
  Bytes data;
  double want;
};

TEST(ObdTest, EveryPidAtTheEdges) {
  const PidCase cases[] = {
      {0x05, {0x00}, -40},           {0x05, {0xFF}, 215},
      {0x0C, {0x00, 0x00}, 0},       {0x0C, {0xFF, 0xFF}, 16383.75},
      {0x0C, {0x1A, 0xF8}, 1726},    {0x0D, {0x00}, 0},
      {0x0D, {0xFF}, 255},           {0x2F, {0x00}, 0},
      {0x2F, {0xFF}, 100},           {0x31, {0x00, 0x00}, 0},
      {0x31, {0xFF, 0xFF}, 65535},   {0x46, {0x00}, -40},
      {0x46, {0xFF}, 215},           {0x5E, {0x00, 0x00}, 0},
      {0x5E, {0xFF, 0xFF}, 3276.75},
      {0x04, {0x00}, 0},             {0x04, {0xFF}, 100},
      {0x04, {0x80}, 128 * 100.0 / 255},
      {0x11, {0x00}, 0},             {0x11, {0xFF}, 100},
      {0x21, {0x00, 0x00}, 0},       {0x21, {0x01, 0x2C}, 300},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(testing::Message() << "pid 0x" << std::hex << int{c.pid});
    Message m;
    ASSERT_TRUE(ApplyObdPid(c.pid, c.data, m).ok());
    ASSERT_TRUE(PidValue(c.pid, m));
    EXPECT_DOUBLE_EQ(*PidValue(c.pid, m), c.want);
  }
}

TEST(ObdTest, AttributeTypes) {
  Message m;
  ASSERT_TRUE(ApplyObdPid(0x31, Bytes{0x01, 0x02}, m).ok());
  EXPECT_EQ(std::get<int64_t>(m.attributes.at(attr::kDtcClearedDistanceKm)), 258);
  ASSERT_TRUE(ApplyObdPid(0x46, Bytes{0x3C}, m).ok());
  EXPECT_DOUBLE_EQ(std::get<double>(m.attributes.at(attr::kAmbientTempC)), 20);
  ASSERT_TRUE(ApplyObdPid(0x5E, Bytes{0x00, 0x65}, m).ok());
  EXPECT_DOUBLE_EQ(std::get<double>(m.attributes.at(attr::kFuelRateLph)), 5.05);
}

TEST(ObdTest, ShortDataIsMalformedAndChangesNothing) {
  for (uint8_t pid : {0x04, 0x05, 0x0C, 0x0D, 0x11, 0x21, 0x2F, 0x31, 0x46, 0x5E}) {
    Message m;
    EXPECT_EQ(ApplyObdPid(pid, {}, m).code(), StatusCode::kMalformed);
    EXPECT_EQ(m, Message{});
  }
  for (uint8_t pid : {0x0C, 0x31, 0x5E}) {
    Message m;
    EXPECT_EQ(ApplyObdPid(pid, Bytes{0x12}, m).code(), StatusCode::kMalformed);
    EXPECT_EQ(m, Message{});
  }
}

TEST(ObdTest, NewAttributeTypes) {
  Message m;
  ASSERT_TRUE(ApplyObdPid(0x21, Bytes{0x00, 0x0C}, m).ok());
  EXPECT_EQ(std::get<int64_t>(m.attributes.at(attr::kMilDistanceKm)), 12);
  ASSERT_TRUE(ApplyObdPid(0x11, Bytes{0x33}, m).ok());
  EXPECT_DOUBLE_EQ(std::get<double>(m.attributes.at(attr::kThrottlePct)), 20);
}

// Values a tracker already converted (Concox OBD reports): same targets,
// except vehicle speed, which stays beside the tracker's GNSS speed.
TEST(ObdTest, ConvertedValuesGoToTheSameFields) {
  Message m;
  ASSERT_TRUE(ApplyObdPidValue(0x05, 72, m).ok());
  ASSERT_TRUE(ApplyObdPidValue(0x0C, 2505, m).ok());
  ASSERT_TRUE(ApplyObdPidValue(0x2F, 41.5, m).ok());
  ASSERT_TRUE(ApplyObdPidValue(0x04, 36, m).ok());
  ASSERT_TRUE(ApplyObdPidValue(0x31, 1234.9, m).ok());
  ASSERT_TRUE(ApplyObdPidValue(0x0D, 87, m).ok());
  EXPECT_EQ(m.engine_temp_c, 72);
  EXPECT_EQ(m.rpm, 2505);
  EXPECT_EQ(m.fuel_pct, 41.5);
  EXPECT_DOUBLE_EQ(std::get<double>(m.attributes.at(attr::kEngineLoadPct)), 36);
  EXPECT_EQ(std::get<int64_t>(m.attributes.at(attr::kDtcClearedDistanceKm)), 1234);
  EXPECT_DOUBLE_EQ(std::get<double>(m.attributes.at(attr::kVehicleSpeedKmh)), 87);
  EXPECT_FALSE(m.speed_kmh.has_value());
}

TEST(ObdTest, ConvertedValuesRejectUnknownPidsAndNonNumbers) {
  Message m;
  EXPECT_EQ(ApplyObdPidValue(0x10, 12, m).code(), StatusCode::kUnsupported);  // MAF: not decoded
  EXPECT_EQ(ApplyObdPidValue(0x05, std::nan(""), m).code(), StatusCode::kMalformed);
  EXPECT_EQ(ApplyObdPidValue(0x0C, INFINITY, m).code(), StatusCode::kMalformed);
  EXPECT_EQ(m, Message{});
}

TEST(ObdTest, PaddingAfterTheDataIsIgnored) {
  Message m;
  ASSERT_TRUE(ApplyObdPid(0x0D, Bytes{0x32, 0x55, 0x55, 0x55, 0x55}, m).ok());
  EXPECT_DOUBLE_EQ(*m.speed_kmh, 50);
}

TEST(ObdTest, EveryOtherPidIsUnsupported) {
  for (int pid = 0; pid < 256; ++pid) {
    if (pid == 0x04 || pid == 0x05 || pid == 0x0C || pid == 0x0D || pid == 0x11 || pid == 0x21 || pid == 0x2F ||
        pid == 0x31 || pid == 0x46 || pid == 0x5E) {
      continue;
    }
    Message m;
    EXPECT_EQ(ApplyObdPid(static_cast<uint8_t>(pid), Bytes(4, 0x10), m).code(), StatusCode::kUnsupported) << pid;
    EXPECT_EQ(m, Message{});
  }
}

TEST(ObdTest, RawResponseFrame) {
  Message m;
  ASSERT_TRUE(ApplyObdResponse(*ParseHex("41 0C 1A F8"), m).ok());
  EXPECT_DOUBLE_EQ(*m.rpm, 1726);
  ASSERT_TRUE(ApplyObdResponse(*ParseHex("41 05 7B 00 00 00 00"), m).ok());
  EXPECT_DOUBLE_EQ(*m.engine_temp_c, 83);
}

TEST(ObdTest, RawResponseFrameHostile) {
  const char* const cases[][2] = {
      {"", "unsupported"},
      {"41", "malformed"},
      {"41 0C", "malformed"},
      {"41 0C 1A", "malformed"},
      {"7F 01 12", "unsupported"},
      {"01 0C", "unsupported"},
      {"42 0C 1A F8", "unsupported"},
      {"41 FF 00 00 00 00", "unsupported"},
  };
  for (const auto& [hex, want] : cases) {
    Message m;
    const Status s = ApplyObdResponse(*ParseHex(hex), m);
    EXPECT_EQ(StatusCodeName(s.code()), std::string_view(want)) << hex;
    EXPECT_EQ(m, Message{}) << hex;
  }
}

TEST(ObdTest, TroubleCodeLetters) {
  EXPECT_EQ(DecodeDtc(0x01, 0x23), "P0123");
  EXPECT_EQ(DecodeDtc(0x41, 0x23), "C0123");
  EXPECT_EQ(DecodeDtc(0x81, 0x23), "B0123");
  EXPECT_EQ(DecodeDtc(0xC1, 0x23), "U0123");
  EXPECT_EQ(DecodeDtc(0x3F, 0xFF), "P3FFF");
  EXPECT_EQ(DecodeDtc(0xFF, 0xFF), "U3FFF");
  EXPECT_EQ(DecodeDtc(0x00, 0x00), "P0000");
}

TEST(ObdTest, TroubleCodeList) {
  Message m;
  ASSERT_TRUE(ApplyObdDtcs(*ParseHex("0133 0000 D016 0000"), m).ok());
  EXPECT_EQ(std::get<std::string>(m.attributes.at(attr::kDtcs)), "P0133 U1016");
}

TEST(ObdTest, NoTroubleCodesLeavesTheAttributeAbsent) {
  Message m;
  ASSERT_TRUE(ApplyObdDtcs({}, m).ok());
  ASSERT_TRUE(ApplyObdDtcs(Bytes(6, 0), m).ok());
  EXPECT_EQ(m, Message{});
}

TEST(ObdTest, OddTroubleCodeBytesAreMalformed) {
  Message m;
  EXPECT_EQ(ApplyObdDtcs(Bytes{0x01, 0x33, 0x02}, m).code(), StatusCode::kMalformed);
  EXPECT_EQ(m, Message{});
}

TEST(ObdTest, RandomAnswersNeverReadPastTheirBytes) {
  std::mt19937 rng(1979);
  for (int i = 0; i < 20000; ++i) {
    Bytes data(rng() % 6);
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    if (!data.empty() && rng() % 2) data[0] = kObdResponseCurrentData;
    Message m;
    const Status s = ApplyObdResponse(data, m);
    if (!s.ok()) {
      EXPECT_EQ(m, Message{});
    }
    EXPECT_GE(m.fuel_pct.value_or(0), 0);
    EXPECT_LE(m.fuel_pct.value_or(0), 100);
  }
}

}  // namespace
}  // namespace fleetd
