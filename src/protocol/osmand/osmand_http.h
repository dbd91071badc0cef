// The small part of HTTP/1.1 that OsmAnd needs: where a request ends in a
// TCP stream, its request line and headers, percent-decoded query
// parameters, and the response bytes. Internal to src/protocol/osmand.
//
// One HTTP request is one frame (see osmand_framer.h); the decoder parses
// the frame with ParseRequest. Views point into the frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fleetd/status.h"

namespace fleetd::osmand {

inline constexpr size_t kMaxHeaderSize = 8 * 1024;  // request line + headers + blank line
inline constexpr size_t kMaxBodySize = 64 * 1024;
inline constexpr size_t kMaxHeaders = 64;
inline constexpr size_t kMaxParams = 128;

struct Request {
  std::string_view method;   // "GET", "POST", ...
  std::string_view target;   // as sent: "/?id=1&lat=..." (origin or absolute form)
  std::string_view query;    // after `?`, before `#`; still percent-encoded
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  std::string_view body;

  // Case-insensitive; the first header of that name, or nullopt.
  std::optional<std::string_view> Header(std::string_view name) const;
};

// Offset just past the blank line that ends the headers (CRLF CRLF, or LF LF
// when `lenient`), searching from `from`; nullopt when not (yet) present.
std::optional<size_t> HeaderEnd(std::string_view bytes, size_t from, bool lenient);

// Parses one framed request (leading line ends allowed). kMalformed for a bad
// request line or header line, kUnsupported for an HTTP version other than 1.x.
Status ParseRequest(std::span<const uint8_t> frame, Request& out);

using Params = std::vector<std::pair<std::string, std::string>>;
// Splits `a=1&b=2` and percent-decodes names and values (`+` is a space).
// kMalformed for a bad %-escape or more than kMaxParams parameters.
Status ParseQuery(std::string_view query, Params& out);

// "HTTP/1.1 <code> <reason>", Content-Length and the body, appended to `out`.
void AppendResponse(std::vector<uint8_t>& out, int code, std::string_view reason, std::string_view body = {});

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace fleetd::osmand
