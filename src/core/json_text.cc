#include "core/json_text.h"

#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

namespace fleetd {
namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed UTF-8 sequence starting at text[i], or 0 if the
// bytes there are not one. `*valid_prefix` gets how many of its bytes were
// well-formed before the first bad one (the "maximal subpart" that one
// U+FFFD replaces). Ranges per Unicode table 3-7: no overlong forms, no
// surrogates, nothing above U+10FFFF.
size_t Utf8SequenceLength(std::string_view text, size_t i, size_t* valid_prefix) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  size_t length = 0;
  unsigned char second_lo = 0x80, second_hi = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_lo = 0xA0;
    if (lead == 0xED) second_hi = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_lo = 0x90;
    if (lead == 0xF4) second_hi = 0x8F;
  } else {
    *valid_prefix = 0;  // not a lead byte: it alone is replaced
    return 0;
  }
  for (size_t k = 1; k < length; ++k) {
    const unsigned char lo = k == 1 ? second_lo : 0x80, hi = k == 1 ? second_hi : 0xBF;
    if (i + k >= text.size() || byte(i + k) < lo || byte(i + k) > hi) {
      *valid_prefix = k;
      return 0;
    }
  }
  return length;
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view text) {
  out.push_back('"');
  size_t plain_from = 0;  // start of the run of bytes copied as they are
  size_t i = 0;
  auto flush = [&](size_t to) { out.append(text.data() + plain_from, to - plain_from); };
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      size_t valid_prefix = 0;
      if (const size_t n = Utf8SequenceLength(text, i, &valid_prefix)) {
        i += n;
        continue;
      }
      flush(i);
      out.append(kReplacement);
      // A bad lead byte is dropped; after a good lead the byte that broke
      // the sequence is read again, as it may start a sequence of its own.
      i += valid_prefix == 0 ? 1 : valid_prefix;
      plain_from = i;
      continue;
    }
    flush(i);
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\b': out.append("\\b"); break;
      case '\t': out.append("\\t"); break;
      case '\n': out.append("\\n"); break;
      case '\f': out.append("\\f"); break;
      case '\r': out.append("\\r"); break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        const char escaped[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out.append(escaped, sizeof escaped);
      }
    }
    ++i;
    plain_from = i;
  }
  flush(i);
  out.push_back('"');
}

void JsonTextWriter::AppendString(std::string_view value) { AppendJsonString(out_, value); }

void JsonTextWriter::Int(int64_t value) {
  Separate();
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  out_.append(buf, r.ptr);
}

void JsonTextWriter::Double(double value) {
  Separate();
  if (!std::isfinite(value)) {
    out_.append("null");
    return;
  }
  // nlohmann's own shortest round-trip formatting, so the text is exactly
  // what dump() wrote before (e.g. 12.0 stays "12.0", not "12").
  char buf[64];
  char* end = nlohmann::detail::to_chars(buf, buf + sizeof buf, value);
  out_.append(buf, end);
}

}  // namespace fleetd
