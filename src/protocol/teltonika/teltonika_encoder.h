// Building Teltonika frames: IMEI handshakes, codec 8 AVL packets (TCP and
// UDP) and codec 12 commands, for the tests, the device simulator and the
// benchmark. TCP packets carry a correct CRC-16/IBM.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "fleetd/message.h"

namespace fleetd::teltonika {

struct AvlRecord {
  TimestampMs time_ms = 0;  // UTC, milliseconds
  uint8_t priority = 0;     // 0 low, 1 high, 2 panic
  double lat = 0;           // degrees, [-90, 90]
  double lng = 0;           // degrees, [-180, 180]
  int16_t altitude_m = 0;
  uint16_t angle = 0;       // degrees, [0, 360]
  uint8_t satellites = 0;
  uint16_t speed_kmh = 0;
  uint8_t event_id = 0;     // IO id that triggered the record, 0 = periodic
  // IO elements by value size; ids are codec 8's one byte.
  std::vector<std::pair<uint8_t, uint8_t>> io1;
  std::vector<std::pair<uint8_t, uint16_t>> io2;
  std::vector<std::pair<uint8_t, uint32_t>> io4;
  std::vector<std::pair<uint8_t, uint64_t>> io8;
};

// <len:2> <IMEI ASCII>.
std::vector<uint8_t> EncodeImei(std::string_view imei);
// The codec 8 data field: 08, count, records, count. At most 255 records.
std::vector<uint8_t> EncodeCodec8Data(const std::vector<AvlRecord>& records);
// 00000000 <len:4> <data field> <CRC:4> around any data field.
std::vector<uint8_t> EncodeTcpPacket(const std::vector<uint8_t>& data);
// EncodeTcpPacket(EncodeCodec8Data(records)).
std::vector<uint8_t> EncodeCodec8(const std::vector<AvlRecord>& records);
// A UDP datagram with a codec 8 data field.
std::vector<uint8_t> EncodeCodec8Udp(uint16_t packet_id, uint8_t avl_packet_id, std::string_view imei,
                                     const std::vector<AvlRecord>& records);
// A codec 12 command (type 0x05), e.g. "getinfo", as a TCP packet.
std::vector<uint8_t> EncodeCodec12Command(std::string_view command);

}  // namespace fleetd::teltonika
