// J1939: identifier -> PGN (PDU1 and PDU2), every decoded parameter at its
// scale and at the edges of its valid range, and hostile payloads (short,
// not-available, unknown groups).
#include "protocol/can/j1939.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "fleetd/attribute_keys.h"

namespace fleetd {
namespace {

using Bytes = std::vector<uint8_t>;

TEST(J1939PgnTest, Pdu2BroadcastKeepsPduSpecific) {
  EXPECT_EQ(J1939Pgn(0x0CF00400), kPgnEec1);  // priority 3, SA 0x00
  EXPECT_EQ(J1939Pgn(0x18FEF117), kPgnCcvs);  // priority 6, SA 0x17
  EXPECT_EQ(J1939Pgn(0x18FEC1EE), kPgnVdhr);
  EXPECT_EQ(J1939Pgn(0x00FF0000), 0xFF00u);  // PF 255, PS 0
}

TEST(J1939PgnTest, Pdu1DestinationIsNotPartOfThePgn) {
  // Request (PF 0xEA = 234 < 240) from SA 0xF9 to destinations 0x00 and 0x21.
  EXPECT_EQ(J1939Pgn(0x18EA00F9), 59904u);
  EXPECT_EQ(J1939Pgn(0x18EA21F9), 59904u);
  // PF 239, the last PDU1 format, still drops PS; PF 240 keeps it.
  EXPECT_EQ(J1939Pgn(0x18EFAB00), 0xEF00u);
  EXPECT_EQ(J1939Pgn(0x18F0AB00), 0xF0ABu);
}

TEST(J1939PgnTest, DataPageAndExtendedDataPageBits) {
  EXPECT_EQ(J1939Pgn(0x19FEF100), 0x1FEF1u);  // DP set
  EXPECT_EQ(J1939Pgn(0x1BFEF100), 0x3FEF1u);  // EDP and DP set
  EXPECT_EQ(J1939Pgn(0x01EA2100), 0x1EA00u);  // DP set, PDU1
}

TEST(J1939PgnTest, BitsAbove28AreIgnored) {
  EXPECT_EQ(J1939Pgn(0xE0000000 | 0x0CF00400), kPgnEec1);
  EXPECT_EQ(J1939Pgn(0xFFFFFFFF), 0x3FFFFu);
}

TEST(J1939Test, EngineSpeedFromEec1) {
  Message m;
  // Bytes 4-5 little-endian: 0x1C20 = 7200 * 0.125 = 900 rpm; other bytes are other SPNs.
  ASSERT_TRUE(ApplyJ1939(kPgnEec1, Bytes{0xF1, 0x7D, 0x82, 0x20, 0x1C, 0x00, 0xF0, 0x7D}, m).ok());
  EXPECT_DOUBLE_EQ(*m.rpm, 900);
  EXPECT_FALSE(m.speed_kmh);
  EXPECT_TRUE(m.attributes.empty());
}

TEST(J1939Test, EngineSpeedViaPdu2FrameFromAnySource) {
  for (uint32_t sa : {0x00u, 0x01u, 0xFEu}) {
    Message m;
    ASSERT_TRUE(ApplyJ1939Frame(0x0CF00400 | sa, Bytes{0xFF, 0xFF, 0xFF, 0x00, 0x40, 0xFF, 0xFF, 0xFF}, m).ok());
    EXPECT_DOUBLE_EQ(*m.rpm, 0x4000 * 0.125);
  }
}

TEST(J1939Test, Pdu1FrameIsNotMistakenForABroadcastGroup) {
  // PF 0xEE < 240: destination-specific; PGN 0xEE00 (address claimed) whatever
  // the destination byte, and not a group fleetd decodes.
  EXPECT_EQ(J1939Pgn(0x18EEFF00), 0xEE00u);
  Message m;
  EXPECT_EQ(ApplyJ1939Frame(0x18EEFF00, Bytes(8, 0x10), m).code(), StatusCode::kUnsupported);
  EXPECT_EQ(m, Message{});
}

TEST(J1939Test, WheelBasedSpeedFromCcvs) {
  Message m;
  ASSERT_TRUE(ApplyJ1939(kPgnCcvs, Bytes{0xFF, 0x80, 0x50, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, m).ok());
  EXPECT_DOUBLE_EQ(*m.speed_kmh, 0x5080 / 256.0);
}

TEST(J1939Test, FuelLevelFromDashDisplay) {
  Message m;
  ASSERT_TRUE(ApplyJ1939(kPgnDd, Bytes{0xFF, 0x7D, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, m).ok());
  EXPECT_DOUBLE_EQ(*m.fuel_pct, 50);
}

TEST(J1939Test, CoolantTemperatureFromEt1) {
  Message m;
  ASSERT_TRUE(ApplyJ1939(kPgnEt1, Bytes{0x73, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, m).ok());
  EXPECT_DOUBLE_EQ(*m.engine_temp_c, 75);
}

TEST(J1939Test, HighResolutionDistance) {
  Message m;
  // 0x00112233 * 5 m.
  ASSERT_TRUE(ApplyJ1939(kPgnVdhr, Bytes{0x33, 0x22, 0x11, 0x00, 0xFF, 0xFF, 0xFF, 0xFF}, m).ok());
  EXPECT_DOUBLE_EQ(*m.odometer_km, 0x00112233 * 5 / 1000.0);
}

TEST(J1939Test, TotalDistanceIsTheSecondHalfOfVd) {
  Message m;
  // Bytes 1-4 are the trip distance (SPN 244) and must not be read as the total.
  ASSERT_TRUE(ApplyJ1939(kPgnVd, Bytes{0x01, 0x00, 0x00, 0x00, 0x40, 0x42, 0x0F, 0x00}, m).ok());
  EXPECT_DOUBLE_EQ(*m.odometer_km, 1000000 * 0.125);
}

TEST(J1939Test, TotalFuelUsedIsTheSecondHalfOfLfc) {
  Message m;
  ASSERT_TRUE(ApplyJ1939(kPgnLfc, Bytes{0x10, 0x00, 0x00, 0x00, 0xE8, 0x03, 0x00, 0x00}, m).ok());
  EXPECT_DOUBLE_EQ(std::get<double>(m.attributes.at(attr::kFuelUsedL)), 500);
}

TEST(J1939Test, EngineHoursInSeconds) {
  Message m;
  // 20 * 0.05 h = 1 h.
  ASSERT_TRUE(ApplyJ1939(kPgnHours, Bytes{0x14, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF}, m).ok());
  EXPECT_EQ(std::get<int64_t>(m.attributes.at(attr::kEngineHoursS)), 3600);
}

// One parameter per group, its size, and where it lands.
struct Param {
  uint32_t pgn;
  size_t start;  // 0-based
  size_t size;
  size_t frame_size;  // bytes the group needs
};
constexpr Param kParams[] = {
    {kPgnEec1, 3, 2, 5}, {kPgnVdhr, 0, 4, 4}, {kPgnVd, 4, 4, 8},   {kPgnHours, 0, 4, 4},
    {kPgnLfc, 4, 4, 8},  {kPgnEt1, 0, 1, 1},  {kPgnCcvs, 1, 2, 3}, {kPgnDd, 1, 1, 2},
};

Bytes WithRaw(const Param& p, uint32_t raw) {
  Bytes data(8, 0xFF);
  for (size_t i = 0; i < p.size; ++i) data[p.start + i] = static_cast<uint8_t>(raw >> (8 * i));
  return data;
}

bool Decoded(const Message& m) { return m != Message{}; }

TEST(J1939Test, EdgesOfTheValidRange) {
  for (const auto& p : kParams) {
    SCOPED_TRACE(p.pgn);
    const uint32_t max_valid = p.size == 1 ? 0xFA : p.size == 2 ? 0xFAFF : 0xFAFFFFFF;
    for (uint32_t raw : {0u, 1u, max_valid}) {
      Message m;
      ASSERT_TRUE(ApplyJ1939(p.pgn, WithRaw(p, raw), m).ok());
      EXPECT_TRUE(Decoded(m)) << raw;
    }
    // Reserved, error indicator (0xFE..), not available (0xFF..): absent, and ok.
    const uint32_t top = p.size == 1 ? 0 : p.size == 2 ? 0xFF : 0xFFFFFF;
    for (uint32_t high : {0xFBu, 0xFDu, 0xFEu, 0xFFu}) {
      const uint32_t lowest = high << (8 * (p.size - 1));
      for (uint32_t raw : {lowest, lowest | top}) {
        Message m;
        ASSERT_TRUE(ApplyJ1939(p.pgn, WithRaw(p, raw), m).ok());
        EXPECT_FALSE(Decoded(m)) << std::hex << raw;
      }
    }
  }
}

TEST(J1939Test, NotAvailableKeepsAnEarlierValue) {
  Message m;
  m.rpm = 1234;
  ASSERT_TRUE(ApplyJ1939(kPgnEec1, Bytes(8, 0xFF), m).ok());
  EXPECT_DOUBLE_EQ(*m.rpm, 1234);
}

TEST(J1939Test, ScalesAtTheTopOfTheRange) {
  Message m;
  ASSERT_TRUE(ApplyJ1939(kPgnEec1, WithRaw(kParams[0], 0xFAFF), m).ok());
  EXPECT_DOUBLE_EQ(*m.rpm, 8031.875);
  ASSERT_TRUE(ApplyJ1939(kPgnEt1, WithRaw(kParams[5], 0xFA), m).ok());
  EXPECT_DOUBLE_EQ(*m.engine_temp_c, 210);
  ASSERT_TRUE(ApplyJ1939(kPgnEt1, WithRaw(kParams[5], 0), m).ok());
  EXPECT_DOUBLE_EQ(*m.engine_temp_c, -40);
  ASSERT_TRUE(ApplyJ1939(kPgnDd, WithRaw(kParams[7], 0xFA), m).ok());
  EXPECT_DOUBLE_EQ(*m.fuel_pct, 100);
  ASSERT_TRUE(ApplyJ1939(kPgnCcvs, WithRaw(kParams[6], 0xFAFF), m).ok());
  EXPECT_NEAR(*m.speed_kmh, 250.996, 0.001);
  ASSERT_TRUE(ApplyJ1939(kPgnHours, WithRaw(kParams[3], 0xFAFFFFFF), m).ok());
  EXPECT_EQ(std::get<int64_t>(m.attributes.at(attr::kEngineHoursS)), int64_t{0xFAFFFFFF} * 180);
}

TEST(J1939Test, ShortDataIsMalformedAndChangesNothing) {
  for (const auto& p : kParams) {
    SCOPED_TRACE(p.pgn);
    for (size_t n = 0; n < p.frame_size; ++n) {
      Message m;
      EXPECT_EQ(ApplyJ1939(p.pgn, Bytes(n, 0x01), m).code(), StatusCode::kMalformed) << n;
      EXPECT_FALSE(Decoded(m));
    }
    Message m;
    EXPECT_TRUE(ApplyJ1939(p.pgn, Bytes(p.frame_size, 0x01), m).ok());
    EXPECT_TRUE(Decoded(m));
  }
}

TEST(J1939Test, LongerDataIsAccepted) {
  Message m;
  Bytes data(64, 0x01);
  EXPECT_TRUE(ApplyJ1939(kPgnVd, data, m).ok());
  EXPECT_TRUE(m.odometer_km);
}

TEST(J1939Test, UnknownPgnIsUnsupportedAndChangesNothing) {
  for (uint32_t pgn : {0u, 59904u, 61443u, 65218u, 65247u, 0x3FFFFu, 0xFFFFFFFFu}) {
    Message m;
    EXPECT_EQ(ApplyJ1939(pgn, Bytes(8, 0x01), m).code(), StatusCode::kUnsupported) << pgn;
    EXPECT_FALSE(Decoded(m));
  }
}

TEST(J1939Test, RandomPayloadsStayWithinRange) {
  std::mt19937 rng(1939);
  for (int i = 0; i < 20000; ++i) {
    const auto& p = kParams[rng() % std::size(kParams)];
    Bytes data(rng() % 10);
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    Message m;
    const Status s = ApplyJ1939(p.pgn, data, m);
    if (!s.ok()) {
      EXPECT_EQ(s.code(), StatusCode::kMalformed);
      EXPECT_FALSE(Decoded(m));
    }
    EXPECT_LE(m.fuel_pct.value_or(0), 100);
    EXPECT_LE(m.engine_temp_c.value_or(0), 210);
    EXPECT_LE(m.rpm.value_or(0), 8031.875);
  }
}

}  // namespace
}  // namespace fleetd
