// The AIS-140 dialects fleetd reads, as a table of field layouts.
//
// AIS-140 fixes the field order only loosely, and every vendor's firmware
// adds, drops or reorders a few fields. Instead of one if-chain per vendor,
// each dialect is a row: the sentence kind, the checksum scheme and the list
// of field types. A sentence is read with the first row whose field count
// and field syntax match (ais140_fields.cc); see docs/protocols/ais140.md.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "protocol/ais140/ais140_wire.h"

namespace fleetd::ais140 {

enum class SentenceKind : uint8_t { kTracking, kEmergency, kLogin, kHealth };

// What a field holds; each type has a syntax check and a place in Message.
enum class Field : uint8_t {
  kSkip,         // anything; not read
  kEmpty,        // must be empty (the `,` before a final `*`)
  kVendor,       // vendor id (text)
  kFirmware,     // firmware version (text)
  kStatus,       // packet status: NR, EA, TA, BD, ... (alarm table)
  kEvent,        // alert id number
  kLive,         // L = live, H = history (buffered)
  kImei,         // 15 digits
  kVehicleReg,   // registration plate (text)
  kFix,          // 1/0 or A/V
  kDate,         // ddmmyyyy or ddmmyy
  kTime,         // hhmmss
  kDateTime,     // ddmmyyyyhhmmss
  kDay, kMonth, kYear, kHour, kMinute, kSecond,  // the date split over six fields
  kLat, kLatHemi, kLng, kLngHemi,               // unsigned degrees, N/S, E/W
  kSpeed,        // km/h
  kHeading,      // degrees
  kSatellites,
  kAltitude,     // metres
  kPdop,
  kHdop,
  kOperator,     // network operator name
  kIgnition,     // 0/1
  kMainPower,    // 0/1: vehicle battery connected
  kMainVoltage,  // volts
  kBatteryVoltage,  // volts, internal battery
  kEmergency,    // 0/1: emergency button state
  kTamper,       // C (closed) / O (open), empty or a vendor letter
  kGsm,          // signal 0..31
  kMcc, kMnc,    // decimal
  kLac, kCellId, // hex
  kInputs,       // 4 digits, one per input (0/1; some vendors send other digits)
  kOutputs,      // 2 binary digits
  kAdc1, kAdc2,  // volts
  kFrameNumber,  // sequence number
  kOdometer,     // km
  kEmergencyType,  // EMR (emergency on) or SEM (emergency off)
  kBatteryLevel,   // percent (health packet)
  kChecksum,     // the in-field checksum: scheme in the row
};

// How the in-field checksum (Field::kChecksum) is computed. A hex trailer
// after `*` is checked the same way for every dialect (see VerifyTrailer).
enum class ChecksumScheme : uint8_t {
  kNone,        // the row has no checksum field
  kUnverified,  // a checksum whose algorithm is not known: kept, not checked
  kXorHex,      // 2 hex: XOR of `$` .. the comma before the field, inclusive
  kCrc32Hex,    // 8 hex: CRC-32 of `$` .. the comma before the field, inclusive
  kSumDecimal,  // decimal: byte sum mod 256 of `$` .. the comma before the field, inclusive
  kSumRawByte,  // one raw byte (or nothing): byte sum mod 256 of `$` .. the comma before it, exclusive
};

struct Layout {
  std::string_view name;    // dialect name, for docs, tests and the `dialect` attribute
  SentenceKind kind;
  std::string_view header;  // required fields[0]; empty = any
  ChecksumScheme checksum;
  std::span<const Field> fields;
  bool open_tail;           // more fields may follow and are ignored
};

// Every dialect, most specific first.
std::span<const Layout> Layouts();

// The first layout that matches the sentence's field count and syntax, or nullptr.
const Layout* FindLayout(const Sentence& sentence);

}  // namespace fleetd::ais140
