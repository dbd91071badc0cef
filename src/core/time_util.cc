#include "core/time_util.h"

#include <charconv>
#include <chrono>
#include <cstdio>

namespace fleetd {

TimestampMs NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t DaysFromCivil(int year, unsigned month, unsigned day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(year - era * 400);
  const unsigned doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

namespace {

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

struct Civil {
  int year, month, day, hour, minute, second, millis;
};

Civil CivilFromTimestamp(TimestampMs ts) {
  int64_t millis = ts % 1000;
  int64_t secs = ts / 1000;
  if (millis < 0) {
    millis += 1000;
    secs -= 1;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return Civil{static_cast<int>(y + (m <= 2)), static_cast<int>(m), static_cast<int>(d),
               static_cast<int>(rem / 3600), static_cast<int>(rem % 3600 / 60),
               static_cast<int>(rem % 60), static_cast<int>(millis)};
}

// Reads exactly `width` digits at text[pos]; advances pos.
bool ReadDigits(std::string_view text, size_t& pos, size_t width, int& out) {
  if (pos + width > text.size()) return false;
  int v = 0;
  for (size_t i = 0; i < width; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  pos += width;
  out = v;
  return true;
}

bool Expect(std::string_view text, size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

std::optional<TimestampMs> MakeTimestamp(int year, int month, int day, int hour, int minute,
                                         int second, int millis) {
  if (year < 1970 || year > 9999 || month < 1 || month > 12 || day < 1 ||
      day > DaysInMonth(year, month) || hour < 0 || hour > 23 || minute < 0 || minute > 59 ||
      second < 0 || second > 60 || millis < 0 || millis > 999) {
    return std::nullopt;
  }
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return ((days * 86400 + hour * 3600 + minute * 60 + second) * 1000) + millis;
}

std::string FormatIso8601(TimestampMs ts) {
  std::string out;
  AppendIso8601(out, ts);
  return out;
}

void AppendIso8601(std::string& out, TimestampMs ts) {
  Civil c = CivilFromTimestamp(ts);
  if (c.year < 0 || c.year > 9999) {  // rare: keep printf's widths and signs
    char buf[40];
    if (c.millis != 0) {
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", c.year, c.month, c.day,
                    c.hour, c.minute, c.second, c.millis);
    } else {
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year, c.month, c.day, c.hour,
                    c.minute, c.second);
    }
    out.append(buf);
    return;
  }
  // Digits written in place: this runs for every stored and streamed message.
  char buf[24];
  auto put = [&](int at, int value, int width) {
    for (int k = width - 1; k >= 0; --k, value /= 10) buf[at + k] = static_cast<char>('0' + value % 10);
  };
  put(0, c.year, 4);
  buf[4] = '-';
  put(5, c.month, 2);
  buf[7] = '-';
  put(8, c.day, 2);
  buf[10] = 'T';
  put(11, c.hour, 2);
  buf[13] = ':';
  put(14, c.minute, 2);
  buf[16] = ':';
  put(17, c.second, 2);
  int n = 19;
  if (c.millis != 0) {
    buf[19] = '.';
    put(20, c.millis, 3);
    n = 23;
  }
  buf[n++] = 'Z';
  out.append(buf, static_cast<size_t>(n));
}

std::optional<TimestampMs> ParseIso8601(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  bool all_digits = true;
  for (char c : text) all_digits = all_digits && c >= '0' && c <= '9';
  if (all_digits) {
    int64_t secs = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), secs);
    if (ec != std::errc() || p != text.data() + text.size() || secs > 253402300799LL) {
      return std::nullopt;
    }
    return secs * 1000;
  }
  size_t pos = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, ms = 0;
  if (!ReadDigits(text, pos, 4, y) || !Expect(text, pos, '-') || !ReadDigits(text, pos, 2, mo) ||
      !Expect(text, pos, '-') || !ReadDigits(text, pos, 2, d)) {
    return std::nullopt;
  }
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != ' ')) return std::nullopt;
  ++pos;
  if (!ReadDigits(text, pos, 2, h) || !Expect(text, pos, ':') || !ReadDigits(text, pos, 2, mi) ||
      !Expect(text, pos, ':') || !ReadDigits(text, pos, 2, s)) {
    return std::nullopt;
  }
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    size_t start = pos;
    int scale = 100;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (pos - start < 3) ms += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  int offset_min = 0;
  if (pos < text.size()) {
    char z = text[pos];
    if (z == 'Z' || z == 'z') {
      ++pos;
    } else if (z == '+' || z == '-') {
      ++pos;
      int oh = 0, om = 0;
      if (!ReadDigits(text, pos, 2, oh)) return std::nullopt;
      if (pos < text.size() && text[pos] == ':') ++pos;
      if (!ReadDigits(text, pos, 2, om) || oh > 23 || om > 59) return std::nullopt;
      offset_min = (oh * 60 + om) * (z == '+' ? 1 : -1);
    } else {
      return std::nullopt;
    }
  }
  if (pos != text.size()) return std::nullopt;
  auto ts = MakeTimestamp(y, mo, d, h, mi, s, ms);
  if (!ts) return std::nullopt;
  return *ts - static_cast<int64_t>(offset_min) * 60000;
}

}  // namespace fleetd
