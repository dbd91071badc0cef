#include "core/crc.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/hex.h"

namespace fleetd {
namespace {

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(CrcTest, StandardCheckValues) {
  EXPECT_EQ(Crc16X25(Bytes("123456789")), 0x906E);
  EXPECT_EQ(Crc16Ibm(Bytes("123456789")), 0xBB3D);
}

// The sliced loop must agree with the bit-by-bit definition at every length
// and alignment (lengths 0..40 cover both the 8-byte and the tail loops).
uint16_t BitwiseX25(std::span<const uint8_t> data) {
  uint16_t crc = 0xFFFF;
  for (uint8_t b : data) {
    crc ^= b;
    for (int i = 0; i < 8; ++i) crc = (crc & 1) ? (crc >> 1) ^ 0x8408 : crc >> 1;
  }
  return crc ^ 0xFFFF;
}

TEST(CrcTest, SlicedMatchesBitwiseAtEveryLength) {
  std::vector<uint8_t> data(41);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 97 + 13);
  for (size_t start = 0; start < 3; ++start) {
    for (size_t len = 0; start + len <= data.size(); ++len) {
      std::span<const uint8_t> s(data.data() + start, len);
      EXPECT_EQ(Crc16X25(s), BitwiseX25(s)) << "start " << start << " len " << len;
    }
  }
}

TEST(CrcTest, Gt06LoginPacketCrc) {
  // A real GT06 login: CRC covers length..serial (bytes 2..n-4), stored big-endian.
  auto frame = *ParseHex("78780D01086471700328358100093F040D0A");
  std::span<const uint8_t> covered(frame.data() + 2, frame.size() - 6);
  EXPECT_EQ(Crc16X25(covered), 0x3F04);
}

TEST(HexTest, RoundTripAndRejects) {
  auto bytes = ParseHex("0x7878 0D01");
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(ToHex(*bytes), "78780d01");
  EXPECT_FALSE(ParseHex("787").has_value());
  EXPECT_FALSE(ParseHex("78zz").has_value());
}

}  // namespace
}  // namespace fleetd
