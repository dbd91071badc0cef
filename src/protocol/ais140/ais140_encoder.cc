// Ais140 NRM encoder (see ais140_encoder.h).
#include "protocol/ais140/ais140_encoder.h"

#include <cmath>
#include <cstdio>

#include "core/time_util.h"
#include "protocol/ais140/ais140_wire.h"

namespace fleetd::ais140 {
namespace {

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string Hex(int64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%llX", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

std::vector<uint8_t> EncodeNrm(const NrmFix& f) {
  // "2026-05-21T10:30:00Z" -> 21052026 / 103000
  const std::string iso = FormatIso8601(f.time_ms);
  const std::string date = iso.substr(8, 2) + iso.substr(5, 2) + iso.substr(0, 4);
  const std::string time = iso.substr(11, 2) + iso.substr(14, 2) + iso.substr(17, 2);
  char event[8];
  std::snprintf(event, sizeof event, "%02d", f.event);
  char frame[16];
  std::snprintf(frame, sizeof frame, "%06u", f.frame_number);

  std::string s = "$,NRM,FLEETD,1.0.0," + f.status + "," + event + "," + (f.live ? "L" : "H") + "," + f.imei + "," +
                  f.vehicle_reg + "," + (f.valid ? "1" : "0") + "," + date + "," + time + "," +
                  Fixed(std::fabs(f.lat), 6) + "," + (f.lat < 0 ? "S" : "N") + "," + Fixed(std::fabs(f.lng), 6) + "," +
                  (f.lng < 0 ? "W" : "E") + "," + Fixed(f.speed_kmh, 1) + "," + Fixed(f.heading, 2) + "," +
                  std::to_string(f.satellites) + "," + Fixed(f.altitude_m, 1) + "," + Fixed(f.pdop, 1) + "," +
                  Fixed(f.hdop, 1) + ",fleetd," + (f.ignition ? "1" : "0") + "," + (f.external_power ? "1" : "0") +
                  "," + Fixed(f.power_v, 1) + "," + Fixed(f.battery_v, 2) + "," + (f.emergency ? "1" : "0") + ",C," +
                  std::to_string(f.gsm) + "," + std::to_string(f.cell.mcc) + "," + std::to_string(f.cell.mnc) + "," +
                  Hex(f.cell.lac) + "," + Hex(f.cell.cell_id) + ",";
  for (int i = 0; i < 4; ++i) s += "0,0,0,";  // no neighbour cells
  s += "0000,00," + std::string(frame) + "," + Fixed(f.odometer_km, 1) + ",";
  char checksum[4];
  std::snprintf(checksum, sizeof checksum, "%02X", Xor8(s));
  s += std::string(checksum) + ",*\r\n";
  return std::vector<uint8_t>(s.begin(), s.end());
}

}  // namespace fleetd::ais140
