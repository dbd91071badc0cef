#include "core/crc.h"

#include <array>

namespace fleetd {
namespace {

// Slice-by-8 tables for a reflected 16-bit CRC: tables[k][b] is the CRC
// register after byte b followed by k zero bytes. Eight bytes then cost eight
// independent lookups instead of a chain of eight dependent ones, which is
// what made the byte-wise loop the top item in the GT06 decode profile.
using Tables = std::array<std::array<uint16_t, 256>, 8>;

constexpr Tables MakeReflectedTables(uint16_t reflected_poly) {
  Tables t{};
  for (int i = 0; i < 256; ++i) {
    uint16_t crc = static_cast<uint16_t>(i);
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1) ? static_cast<uint16_t>((crc >> 1) ^ reflected_poly) : static_cast<uint16_t>(crc >> 1);
    }
    t[0][i] = crc;
  }
  for (int k = 1; k < 8; ++k) {
    for (int i = 0; i < 256; ++i) {
      uint16_t prev = t[k - 1][i];
      t[k][i] = static_cast<uint16_t>((prev >> 8) ^ t[0][prev & 0xFF]);
    }
  }
  return t;
}

constexpr Tables kX25 = MakeReflectedTables(0x8408);
constexpr Tables kIbm = MakeReflectedTables(0xA001);

uint16_t Reflected(const Tables& t, uint16_t crc, std::span<const uint8_t> data) {
  const uint8_t* p = data.data();
  size_t n = data.size();
  while (n >= 8) {
    const uint8_t b0 = static_cast<uint8_t>(crc ^ p[0]);
    const uint8_t b1 = static_cast<uint8_t>((crc >> 8) ^ p[1]);
    crc = static_cast<uint16_t>(t[7][b0] ^ t[6][b1] ^ t[5][p[2]] ^ t[4][p[3]] ^ t[3][p[4]] ^ t[2][p[5]] ^
                                t[1][p[6]] ^ t[0][p[7]]);
    p += 8;
    n -= 8;
  }
  while (n-- > 0) crc = static_cast<uint16_t>((crc >> 8) ^ t[0][(crc ^ *p++) & 0xFF]);
  return crc;
}

}  // namespace

uint16_t Crc16X25(std::span<const uint8_t> data) {
  return static_cast<uint16_t>(Reflected(kX25, 0xFFFF, data) ^ 0xFFFF);
}

uint16_t Crc16Ibm(std::span<const uint8_t> data) { return Reflected(kIbm, 0, data); }

}  // namespace fleetd
