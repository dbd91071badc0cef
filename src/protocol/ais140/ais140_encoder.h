// Ais140 encoder: builds NRM tracking sentences, for tests and the simulator.
//
// The output uses the field order of the "ctpl" dialect (standard order,
// four neighbour cells, frame number, odometer, XOR checksum field) and ends
// in `*\r\n`, so Ais140Framer and Ais140Decoder read it back strictly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fleetd/message.h"

namespace fleetd::ais140 {

struct NrmFix {
  std::string imei = "860000000000001";  // 15 digits
  std::string vehicle_reg;
  std::string status = "NR";   // packet status (NR, EA, TA, ...)
  int event = 1;               // alert id
  bool live = true;            // false: a buffered (history) packet
  TimestampMs time_ms = 0;
  bool valid = true;
  double lat = 0, lng = 0;     // signed degrees
  double speed_kmh = 0, heading = 0, altitude_m = 0;
  int satellites = 0;
  double pdop = 0, hdop = 0;
  bool ignition = false, external_power = true, emergency = false;
  double power_v = 0, battery_v = 0;
  int gsm = 0;
  CellTower cell;
  uint32_t frame_number = 1;
  double odometer_km = 0;
};

// One sentence, `$` to `*\r\n`. Precondition: imei is 15 digits, status two letters.
std::vector<uint8_t> EncodeNrm(const NrmFix& fix);

}  // namespace fleetd::ais140
