// Parsing is libpq's (PQconninfoParse); this file adds the checks libpq
// leaves to connect time and the redaction.
#include "store/postgres/pg_url.h"

#include <libpq-fe.h>

#include <charconv>
#include <memory>
#include <utility>
#include <vector>

namespace fleetd::pg {
namespace {

Status Bad(std::string_view url, const std::string& problem) {
  return Status(StatusCode::kInvalidArgument, "store URL '" + RedactUrl(url) + "': " + problem);
}

bool ParseInt(std::string_view text, long long& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// libpq accepts a comma-separated port list (one per host).
Status CheckPorts(std::string_view url, std::string_view ports) {
  size_t start = 0;
  while (start <= ports.size()) {
    size_t comma = ports.find(',', start);
    std::string_view port =
        ports.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    long long value = 0;
    if (!port.empty() && (!ParseInt(port, value) || value < 1 || value > 65535)) {
      return Bad(url, "port '" + std::string(port) + "' is not a number in 1..65535");
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return Status::Ok();
}

std::string Trimmed(const char* text) {
  std::string s = text ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Where the passwords are in `url`: the user info's (between the first ':'
// and the '@' of the authority) and any password= query parameter's value.
std::vector<std::pair<size_t, size_t>> PasswordSpans(std::string_view url) {
  std::vector<std::pair<size_t, size_t>> spans;  // (offset, length), ascending
  size_t scheme = url.find("://");
  if (scheme != std::string_view::npos) {
    size_t authority = scheme + 3;
    size_t end = url.find_first_of("/?", authority);
    if (end == std::string_view::npos) end = url.size();
    size_t at = url.substr(0, end).rfind('@');
    if (at != std::string_view::npos && at >= authority) {
      size_t colon = url.find(':', authority);
      if (colon != std::string_view::npos && colon < at) spans.emplace_back(colon + 1, at - colon - 1);
    }
  }
  for (size_t pos = url.find('?'); pos != std::string_view::npos; pos = url.find('&', pos + 1)) {
    size_t value = pos + 1 + 9;
    if (url.substr(pos + 1, 9) != "password=") continue;
    size_t stop = url.find('&', value);
    spans.emplace_back(value, (stop == std::string_view::npos ? url.size() : stop) - value);
  }
  return spans;
}

// libpq's parse errors quote the URL, or parts of it: every password in
// `url` is replaced in `text` as well.
std::string Scrub(std::string text, std::string_view url) {
  for (auto [offset, length] : PasswordSpans(url)) {
    std::string_view password = url.substr(offset, length);
    if (password.empty()) continue;
    for (size_t pos = text.find(password); pos != std::string::npos; pos = text.find(password, pos + 3)) {
      text.replace(pos, password.size(), "***");
    }
  }
  return text;
}

}  // namespace

bool IsPostgresUrl(std::string_view url) { return url.starts_with("postgresql://") || url.starts_with("postgres://"); }

Status ValidateUrl(const std::string& url) {
  if (!IsPostgresUrl(url)) return Bad(url, "expected postgresql://user:password@host:port/database");
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(url.c_str(), &error);
  if (!parsed) {
    std::string problem = error ? Trimmed(error) : "libpq could not parse it (out of memory?)";
    PQfreemem(error);
    return Bad(url, Scrub(problem, url));
  }
  std::unique_ptr<PQconninfoOption, void (*)(PQconninfoOption*)> options(parsed, PQconninfoFree);
  for (PQconninfoOption* o = parsed; o->keyword; ++o) {
    if (!o->val) continue;
    std::string_view key = o->keyword;
    std::string_view value = o->val;
    if (key == "port") {
      if (Status s = CheckPorts(url, value); !s.ok()) return s;
    } else if (key == "connect_timeout") {
      long long seconds = 0;
      if (!ParseInt(value, seconds) || seconds < 1 || seconds > 3600) {
        // libpq would read 0 (or garbage) as "wait forever".
        return Bad(url, "connect_timeout '" + std::string(value) + "' is not a number of seconds in 1..3600");
      }
    }
  }
  return Status::Ok();
}

Result<StoreUrl> ParseStoreUrl(const std::string& url) {
  if (!IsPostgresUrl(url)) return Bad(url, "expected postgresql://user:password@host:port/database");
  StoreUrl out;
  const size_t query = url.find('?');
  std::string kept;  // libpq's parameters, in their order
  if (query != std::string::npos) {
    std::string_view rest = std::string_view(url).substr(query + 1);
    while (true) {
      const size_t amp = rest.find('&');
      std::string_view part = rest.substr(0, amp);
      const size_t eq = part.find('=');
      std::string_view key = part.substr(0, eq);
      if (key == "role" || key == "migrate") {
        if (eq == std::string_view::npos) return Bad(url, std::string(key) + " needs a value");
        std::string value(part.substr(eq + 1));
        if (key == "role") {
          if (out.role) return Bad(url, "role is given twice");
          if (value == "writer") {
            out.role = StoreRole::kWriter;
          } else if (value == "api") {
            out.role = StoreRole::kApi;
          } else {
            return Bad(url, "role '" + value + "' is not writer or api");
          }
        } else {
          if (out.migrate) return Bad(url, "migrate is given twice");
          if (value != "true" && value != "false") return Bad(url, "migrate '" + value + "' is not true or false");
          out.migrate = value == "true";
        }
      } else {
        if (!kept.empty()) kept += '&';
        kept += part;
      }
      if (amp == std::string_view::npos) break;
      rest = rest.substr(amp + 1);
    }
  }
  out.libpq_url = url.substr(0, query);
  if (!kept.empty()) out.libpq_url += "?" + kept;
  if (Status s = ValidateUrl(out.libpq_url); !s.ok()) return s;
  return out;
}

std::string RedactUrl(std::string_view url) {
  std::string out(url);
  auto spans = PasswordSpans(url);
  for (auto it = spans.rbegin(); it != spans.rend(); ++it) out.replace(it->first, it->second, "***");
  return out;
}

}  // namespace fleetd::pg
