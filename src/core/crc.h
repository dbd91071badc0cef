// Checksums used by tracker protocols. Table-driven; tables built at compile time.
#pragma once

#include <cstdint>
#include <span>

namespace fleetd {

// CRC-16/X-25, a.k.a. CRC-ITU as GT06 documents it: poly 0x1021 reflected,
// init 0xFFFF, final xor 0xFFFF. Check value for "123456789": 0x906E.
uint16_t Crc16X25(std::span<const uint8_t> data);

// CRC-16/ARC, a.k.a. CRC-16/IBM as Teltonika documents it: poly 0x8005
// reflected, init 0, no final xor. Check value for "123456789": 0xBB3D.
uint16_t Crc16Ibm(std::span<const uint8_t> data);

}  // namespace fleetd
