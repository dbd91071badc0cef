// UTC time helpers: ISO-8601 text and civil dates, without the C library's
// time zone state (timegm/gmtime_r are locale- and TZ-free but we avoid even
// those on the data path: decoders build timestamps from wire fields).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "fleetd/message.h"

namespace fleetd {

// The latest time ISO-8601 text (and schema v1) can carry: 9999-12-31T23:59:59.999Z.
// Decoders treat a wire time outside [0, kMaxTimestampMs] as impossible.
inline constexpr TimestampMs kMaxTimestampMs = 253402300799999;

// Wall clock now, ms since epoch.
TimestampMs NowMs();

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int year, unsigned month, unsigned day);

// Returns nullopt when a field is out of range (month 13, second 61, ...).
std::optional<TimestampMs> MakeTimestamp(int year, int month, int day, int hour, int minute,
                                         int second, int millis = 0);

// "2026-05-21T10:30:00Z", or "...:00.250Z" when the milliseconds are not zero.
std::string FormatIso8601(TimestampMs ts);
// The same text, appended to `out` (no temporary string).
void AppendIso8601(std::string& out, TimestampMs ts);

// Accepts "YYYY-MM-DDTHH:MM:SS[.fff][Z|+hh:mm|-hh:mm]" (a space may replace
// the T; no zone means UTC) and plain integers as seconds since the epoch.
std::optional<TimestampMs> ParseIso8601(std::string_view text);

}  // namespace fleetd
