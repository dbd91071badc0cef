// Teltonika frame building (see teltonika_encoder.h). Field layouts mirror
// the record reader's.
#include "protocol/teltonika/teltonika_encoder.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "core/crc.h"
#include "protocol/teltonika/teltonika_wire.h"

namespace fleetd::teltonika {
namespace {

void PutN(std::vector<uint8_t>& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

uint32_t Degrees(double deg, double limit) {
  const double clamped = std::clamp(deg, -limit, limit);
  return static_cast<uint32_t>(static_cast<int32_t>(std::llround(clamped * 1e7)));
}

void PutRecord(std::vector<uint8_t>& out, const AvlRecord& r) {
  PutN(out, static_cast<uint64_t>(r.time_ms), 8);
  out.push_back(r.priority);
  PutN(out, Degrees(r.lng, 180), 4);
  PutN(out, Degrees(r.lat, 90), 4);
  PutN(out, static_cast<uint16_t>(r.altitude_m), 2);
  PutN(out, std::min<uint16_t>(r.angle, 360), 2);
  out.push_back(r.satellites);
  PutN(out, r.speed_kmh, 2);
  out.push_back(r.event_id);
  out.push_back(static_cast<uint8_t>(r.io1.size() + r.io2.size() + r.io4.size() + r.io8.size()));
  auto group = [&out](const auto& items, int size) {
    out.push_back(static_cast<uint8_t>(items.size()));
    for (const auto& [id, value] : items) {
      out.push_back(id);
      PutN(out, value, size);
    }
  };
  group(r.io1, 1);
  group(r.io2, 2);
  group(r.io4, 4);
  group(r.io8, 8);
}

}  // namespace

std::vector<uint8_t> EncodeImei(std::string_view imei) {
  // Sized up front: growing a 2-byte vector trips GCC 12's -Warray-bounds at -O3.
  std::vector<uint8_t> out(2 + imei.size());
  out[0] = static_cast<uint8_t>(imei.size() >> 8);
  out[1] = static_cast<uint8_t>(imei.size());
  std::copy(imei.begin(), imei.end(), out.begin() + 2);
  return out;
}

std::vector<uint8_t> EncodeCodec8Data(const std::vector<AvlRecord>& records) {
  assert(!records.empty() && records.size() <= 255);
  std::vector<uint8_t> data;
  data.push_back(kCodec8);
  data.push_back(static_cast<uint8_t>(records.size()));
  for (const AvlRecord& r : records) PutRecord(data, r);
  data.push_back(static_cast<uint8_t>(records.size()));
  return data;
}

std::vector<uint8_t> EncodeTcpPacket(const std::vector<uint8_t>& data) {
  std::vector<uint8_t> out;
  out.reserve(data.size() + kHeaderSize + kCrcSize);
  PutN(out, 0, 4);
  PutN(out, data.size(), 4);
  out.insert(out.end(), data.begin(), data.end());
  PutN(out, Crc16Ibm(data), 4);
  return out;
}

std::vector<uint8_t> EncodeCodec8(const std::vector<AvlRecord>& records) {
  return EncodeTcpPacket(EncodeCodec8Data(records));
}

std::vector<uint8_t> EncodeCodec8Udp(uint16_t packet_id, uint8_t avl_packet_id, std::string_view imei,
                                     const std::vector<AvlRecord>& records) {
  const std::vector<uint8_t> data = EncodeCodec8Data(records);
  std::vector<uint8_t> out;
  PutN(out, 2 + 1 + 1 + 2 + imei.size() + data.size(), 2);
  PutN(out, packet_id, 2);
  out.push_back(0x01);
  out.push_back(avl_packet_id);
  PutN(out, imei.size(), 2);
  out.insert(out.end(), imei.begin(), imei.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

std::vector<uint8_t> EncodeCodec12Command(std::string_view command) {
  std::vector<uint8_t> data = {kCodec12, 0x01, 0x05};
  PutN(data, command.size(), 4);
  data.insert(data.end(), command.begin(), command.end());
  data.push_back(0x01);
  return EncodeTcpPacket(data);
}

}  // namespace fleetd::teltonika
