#include "core/crc.h"

#include <array>

namespace fleetd {
namespace {

constexpr std::array<uint16_t, 256> MakeReflectedTable(uint16_t reflected_poly) {
  std::array<uint16_t, 256> table{};
  for (int i = 0; i < 256; ++i) {
    uint16_t crc = static_cast<uint16_t>(i);
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1) ? static_cast<uint16_t>((crc >> 1) ^ reflected_poly) : static_cast<uint16_t>(crc >> 1);
    }
    table[i] = crc;
  }
  return table;
}

constexpr auto kX25Table = MakeReflectedTable(0x8408);
constexpr auto kIbmTable = MakeReflectedTable(0xA001);

uint16_t Reflected(const std::array<uint16_t, 256>& table, uint16_t crc, std::span<const uint8_t> data) {
  for (uint8_t b : data) crc = static_cast<uint16_t>((crc >> 8) ^ table[(crc ^ b) & 0xFF]);
  return crc;
}

}  // namespace

uint16_t Crc16X25(std::span<const uint8_t> data) {
  return static_cast<uint16_t>(Reflected(kX25Table, 0xFFFF, data) ^ 0xFFFF);
}

uint16_t Crc16Ibm(std::span<const uint8_t> data) { return Reflected(kIbmTable, 0, data); }

}  // namespace fleetd
