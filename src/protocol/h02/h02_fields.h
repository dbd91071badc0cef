// Field readers shared by the H02 message handlers: comma splitting without
// allocation, numbers via std::from_chars, ddmm.mmmm coordinates in their
// odd forms, ddmmyy/hhmmss times and the vehicle status word. Internal to h02.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fleetd/message.h"
#include "fleetd/status.h"

namespace fleetd::h02 {

// The comma-separated fields of a message body, as views into it. Offsets,
// not views, and left uninitialised: this sits on the stack of every decode.
struct Fields {
  static constexpr size_t kMax = 96;  // V3 with 16 cells is 78
  std::string_view body;
  size_t size = 0;
  std::array<uint16_t, kMax> start;  // frames are < 64 KiB (kMaxFrameSize)
  std::array<uint16_t, kMax> length;
  // Field i, or "" past the end.
  std::string_view operator[](size_t i) const { return i < size ? body.substr(start[i], length[i]) : std::string_view(); }
  // The text from field i to the end of the body (commas included).
  std::string_view From(size_t i, std::string_view) const { return i < size ? body.substr(start[i]) : std::string_view(); }
};
// False when there are more than Fields::kMax fields or the body is over 64 KiB.
bool SplitFields(std::string_view body, Fields& out);

std::string_view TrimSpaces(std::string_view s);
bool IsDigits(std::string_view s);       // non-empty, 0-9 only
bool IsHexWord(std::string_view s);      // exactly 8 hex digits
// Decimal integers / fixed-point numbers; leading spaces allowed, nothing else.
bool ParseUint(std::string_view s, uint64_t& out);
bool ParseInt(std::string_view s, int64_t& out);      // optional leading '-'
bool ParseDouble(std::string_view s, double& out);    // optional '-', no exponent
bool ParseHex(std::string_view s, uint64_t& out);     // 1..16 hex digits

// ddmmyy + hhmmss, UTC. Either may be empty (unknown). Sets `out` when the
// date is known (midnight when the time is not); "000000" dates are a device
// without a clock fix and count as unknown. kMalformed for bad digits,
// kOutOfRange for impossible calendar values.
Status ParseDateTime(std::string_view date, std::string_view time, std::optional<TimestampMs>& out);

// A coordinate and its hemisphere (N/S or E/W) into signed degrees. Forms:
// "ddmm.mmmm" (any number of degree digits, even none), "-dd-m.mmmm", and
// "ddmmmmmm" with 4 implied decimals. An empty value, or a zero value with a
// hemisphere of "" or "0", is no fix (out stays empty). kMalformed for other
// shapes, kOutOfRange for minutes >= 60 or degrees beyond `max_degrees`.
Status ParseCoordinate(std::string_view value, std::string_view hemisphere, bool longitude,
                       std::optional<double>& out);

// The 32-bit vehicle status (negative logic): status_word attribute,
// ignition (bit 10 set = ACC on) and the first alarm by priority.
void ApplyStatus(uint32_t status, Message& msg);

// Appends "mcc-mnc-lac-cid[/rssi]" (";" first when `towers` is not empty):
// the cell_towers attribute's format.
void AppendTower(std::string& towers, const CellTower& cell, std::optional<int64_t> rssi);

// The device's clock for messages without a fix.
void SetDeviceTime(Message& msg, TimestampMs ts);
// ddmmyy + hhmmss as the device_time of a message without a fix. Bad digits
// are kMalformed; an impossible clock (second 69 is seen in the wild) only
// leaves device_time out, as the rest of such a message is still good.
Status ApplyDeviceClock(std::string_view date, std::string_view time, Message& msg);

inline constexpr double kKnotsToKmh = 1.852;

}  // namespace fleetd::h02
