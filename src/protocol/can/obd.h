// OBD-II (SAE J1979) mode 01 PIDs and trouble codes -> Message fields.
//
// Trackers plugged into a car's OBD port report PID values and stored trouble
// codes; every protocol decodes them through these functions so that a PID
// means the same thing whichever tracker carried it. What is decoded, with
// formulas: docs/protocols/can.md.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "fleetd/message.h"
#include "fleetd/status.h"

namespace fleetd {

inline constexpr uint8_t kObdResponseCurrentData = 0x41;  // positive answer to mode 01
inline constexpr uint8_t kObdPidVehicleSpeed = 0x0D;

// Applies mode-01 PID `pid` whose data bytes (A, B, ...) are `data` to `out`.
// Bytes past the PID's length are ignored (CAN answers are padded to 8).
// kMalformed: fewer data bytes than the PID has. kUnsupported: a PID fleetd
// does not decode. On error `out` is untouched. Pure; thread-safe.
Status ApplyObdPid(uint8_t pid, std::span<const uint8_t> data, Message& out);

// Applies mode-01 PID `pid` whose value a tracker has already converted to
// the PID's unit (km/h, rpm, degC, %, km), as Concox OBD trackers report
// it, to the same field or attribute as ApplyObdPid, with one difference:
// vehicle speed (0x0D) goes to the attribute vehicle_speed_kmh, because such
// a tracker has its own GNSS speed. kUnsupported: a PID fleetd does not
// decode; kMalformed: a value that is not finite. On error `out` is
// untouched. Pure; thread-safe.
Status ApplyObdPidValue(uint8_t pid, double value, Message& out);

// Applies a raw mode-01 answer as an adapter prints it: 41 <pid> <data...>
// ("41 0C 1A F8" as bytes), without the ISO-TP length byte.
// kUnsupported: not a positive mode-01 answer (another service, or 7F, the
// negative answer). Otherwise as ApplyObdPid.
Status ApplyObdResponse(std::span<const uint8_t> response, Message& out);

// One trouble code from its two bytes: 0x01 0x23 -> "P0123". The top two bits
// of `a` are the system letter (P, C, B, U), the next two the first digit.
std::string DecodeDtc(uint8_t a, uint8_t b);

// Sets attribute dtcs to the codes in `pairs` (two bytes each, as in a mode 03
// answer after its header), separated by spaces; 00 00 pairs are padding and
// skipped; no codes leaves the attribute absent.
// kMalformed: an odd number of bytes (out untouched).
Status ApplyObdDtcs(std::span<const uint8_t> pairs, Message& out);

}  // namespace fleetd
