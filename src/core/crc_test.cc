#include "core/crc.h"

#include <gtest/gtest.h>

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
