// HTTP/1.1 request parsing for OsmAnd (see osmand_http.h). No allocation
// from sizes on the wire; every loop is bounded by the frame.
#include "protocol/osmand/osmand_http.h"

#include <algorithm>
#include <cctype>

#include "core/percent.h"

namespace fleetd::osmand {
namespace {

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

Status Malformed(std::string why) { return Status(StatusCode::kMalformed, std::move(why)); }

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::optional<std::string_view> Request::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

std::optional<size_t> HeaderEnd(std::string_view bytes, size_t from, bool lenient) {
  const size_t crlf = bytes.find("\r\n\r\n", from);
  std::optional<size_t> end;
  if (crlf != std::string_view::npos) end = crlf + 4;
  if (lenient) {
    const size_t lf = bytes.find("\n\n", from);
    if (lf != std::string_view::npos && (!end || lf + 2 < *end)) end = lf + 2;
  }
  return end;
}

Status ParseRequest(std::span<const uint8_t> frame, Request& out) {
  std::string_view all(reinterpret_cast<const char*>(frame.data()), frame.size());
  size_t start = 0;
  while (start < all.size() && (all[start] == '\r' || all[start] == '\n')) ++start;
  const auto end = HeaderEnd(all, start, /*lenient=*/true);
  if (!end) return Malformed("no blank line after the headers");
  out = Request{};
  out.body = all.substr(*end);
  std::string_view head = all.substr(start, *end - start);

  auto next_line = [&head]() {
    const size_t nl = head.find('\n');
    std::string_view line = head.substr(0, nl);
    head.remove_prefix(nl == std::string_view::npos ? head.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  };

  // Request line: METHOD SP target SP HTTP/1.x
  std::string_view line = next_line();
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return Malformed("bad request line");
  out.method = line.substr(0, sp1);
  out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (out.method.empty() || out.method.size() > 16 ||
      !std::all_of(out.method.begin(), out.method.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return Malformed("bad method");
  }
  if (out.target.empty() || std::any_of(out.target.begin(), out.target.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || c == 0x7F;
      })) {
    return Malformed("bad request target");
  }
  if (version.substr(0, 7) != "HTTP/1.") return Status(StatusCode::kUnsupported, "not HTTP/1.x");
  const size_t q = out.target.find('?');
  if (q != std::string_view::npos) {
    out.query = out.target.substr(q + 1);
    out.query = out.query.substr(0, out.query.find('#'));
  }

  for (;;) {
    line = next_line();
    if (line.empty()) break;
    const size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) return Malformed("bad header line");
    const std::string_view name = line.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), IsTokenChar)) return Malformed("bad header name");
    if (out.headers.size() == kMaxHeaders) return Malformed("too many headers");
    out.headers.emplace_back(name, TrimOws(line.substr(colon + 1)));
  }
  return Status::Ok();
}

Status ParseQuery(std::string_view query, Params& out) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
    if (pair.empty()) continue;
    if (out.size() == kMaxParams) return Malformed("too many query parameters");
    const size_t eq = pair.find('=');
    auto name = PercentDecode(pair.substr(0, eq), /*plus_is_space=*/true);
    auto value = PercentDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!name || !value) return Malformed("bad percent-encoding");
    out.emplace_back(std::move(*name), std::move(*value));
  }
  return Status::Ok();
}

void AppendResponse(std::vector<uint8_t>& out, int code, std::string_view reason, std::string_view body) {
  std::string head = "HTTP/1.1 " + std::to_string(code) + " " + std::string(reason) + "\r\n";
  if (!body.empty()) head += "Content-Type: text/plain\r\n";
  head += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out.insert(out.end(), head.begin(), head.end());
  out.insert(out.end(), body.begin(), body.end());
}

}  // namespace fleetd::osmand
