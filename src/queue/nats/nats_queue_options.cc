// Parsing of the nats:// queue URL. Strict on purpose: an operator's typo
// (an unknown key, a duration without a unit, a partition count that would
// reshuffle devices) is refused at start-up with the offending text quoted.
#include "queue/nats/nats_queue_options.h"

#include <charconv>
#include <limits>
#include <set>
#include <utility>

namespace fleetd::nats {
namespace {

Status Bad(const std::string& what) { return Status(StatusCode::kInvalidArgument, "queue URL: " + what); }

// A non-negative decimal integer that fits in int64, the whole of `text`.
bool ParseUint(std::string_view text, uint64_t& out) {
  if (text.empty() || text.size() > 19) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size() &&
         out <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
}

bool NameChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool ValidName(std::string_view s, size_t max_len) {
  if (s.empty() || s.size() > max_len) return false;
  for (char c : s) {
    if (!NameChar(c)) return false;
  }
  return true;
}

bool ValidPrefix(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string_view token = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!ValidName(token, 128)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// host[:port] -> "nats://host:port". IPv6 literals in brackets.
Status ParseServer(std::string_view text, std::string& out) {
  if (text.empty()) return Bad("empty server address (expected host[:port])");
  if (text.find('@') != std::string_view::npos) return Bad("credentials in the URL are not supported");
  std::string_view host = text;
  std::string_view port = "4222";
  if (text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return Bad("unterminated IPv6 address in '" + std::string(text) + "'");
    host = text.substr(0, close + 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return Bad("unexpected '" + std::string(rest) + "' after IPv6 address");
      port = rest.substr(1);
    }
  } else if (size_t colon = text.rfind(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty() || host == "[]") return Bad("missing host in '" + std::string(text) + "'");
  for (char c : host) {
    bool ok = NameChar(c) || c == '.' || c == ':' || c == '[' || c == ']';
    if (!ok) return Bad("invalid host '" + std::string(host) + "'");
  }
  uint64_t p = 0;
  if (!ParseUint(port, p) || p == 0 || p > 65535) {
    return Bad("invalid port '" + std::string(port) + "' (expected 1-65535)");
  }
  out = "nats://" + std::string(host) + ":" + std::to_string(p);
  return Status::Ok();
}

Status ParseCount(std::string_view key, std::string_view value, uint64_t min, uint64_t max, uint64_t& out) {
  if (!ParseUint(value, out) || out < min || out > max) {
    return Bad("'" + std::string(key) + "' must be an integer in " + std::to_string(min) + ".." + std::to_string(max) +
               ", got '" + std::string(value) + "'");
  }
  return Status::Ok();
}

// `max_text` names the upper bound in the error ("1s"); no bound without it.
Status ParseDurationParam(std::string_view key, std::string_view value, std::chrono::milliseconds min,
                          std::chrono::milliseconds& out, std::chrono::milliseconds max = std::chrono::milliseconds::max(),
                          std::string_view max_text = {}) {
  auto d = ParseDuration(value);
  if (!d.ok()) return Bad("'" + std::string(key) + "': " + d.status().message());
  if (*d < min) {
    return Bad("'" + std::string(key) + "' must be at least " + std::to_string(min.count()) + "ms, got '" +
               std::string(value) + "'");
  }
  if (*d > max) {
    return Bad("'" + std::string(key) + "' must be at most " + std::string(max_text) + ", got '" + std::string(value) +
               "'");
  }
  out = *d;
  return Status::Ok();
}

// "0-3,8,10-11" -> sorted unique partitions, each < partitions.
Status ParseConsume(std::string_view text, size_t partitions, std::vector<size_t>& out) {
  std::set<size_t> set;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string_view item =
        text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    uint64_t lo = 0, hi = 0;
    size_t dash = item.find('-');
    bool ok = dash == std::string_view::npos
                  ? ParseUint(item, lo) && (hi = lo, true)
                  : ParseUint(item.substr(0, dash), lo) && ParseUint(item.substr(dash + 1), hi);
    if (!ok || lo > hi) {
      return Bad("'consume' expects auto, all, or partitions like 0-3,8, got '" + std::string(item) + "'");
    }
    if (hi >= partitions) {
      return Bad("'consume' names partition " + std::to_string(hi) + " but partitions=" + std::to_string(partitions));
    }
    for (uint64_t p = lo; p <= hi; ++p) set.insert(p);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  out.assign(set.begin(), set.end());
  return Status::Ok();
}

}  // namespace

std::vector<size_t> NatsQueueOptions::ConsumedPartitions() const {
  if (!consume.empty()) return consume;
  std::vector<size_t> all(partitions);
  for (size_t p = 0; p < partitions; ++p) all[p] = p;
  return all;
}

Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  std::string_view number = text.substr(0, digits), unit = text.substr(digits);
  uint64_t n = 0;
  if (!ParseUint(number, n)) {
    return Status(StatusCode::kInvalidArgument,
                  "expected a duration like 500ms, 30s, 2m, 1h or 7d, got '" + std::string(text) + "'");
  }
  int64_t scale = 0;
  if (unit == "ms")
    scale = 1;
  else if (unit == "s")
    scale = 1000;
  else if (unit == "m")
    scale = 60 * 1000;
  else if (unit == "h")
    scale = 3600 * 1000;
  else if (unit == "d")
    scale = 24 * 3600 * 1000;
  else
    return Status(StatusCode::kInvalidArgument, "duration '" + std::string(text) + "' needs a unit: ms, s, m, h or d");
  // Capped at ~100 years: JetStream takes nanoseconds in an int64.
  constexpr int64_t kMaxMs = 100LL * 365 * 24 * 3600 * 1000;
  if (n > static_cast<uint64_t>(kMaxMs / scale)) {
    return Status(StatusCode::kInvalidArgument, "duration '" + std::string(text) + "' is too long");
  }
  return std::chrono::milliseconds(static_cast<int64_t>(n) * scale);
}

Result<int64_t> ParseByteSize(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  std::string_view number = text.substr(0, digits), unit = text.substr(digits);
  uint64_t n = 0;
  if (!ParseUint(number, n)) {
    return Status(StatusCode::kInvalidArgument,
                  "expected a size like 512MiB or 10GiB, got '" + std::string(text) + "'");
  }
  int shift = -1;
  if (unit == "" || unit == "B")
    shift = 0;
  else if (unit == "KiB")
    shift = 10;
  else if (unit == "MiB")
    shift = 20;
  else if (unit == "GiB")
    shift = 30;
  else if (unit == "TiB")
    shift = 40;
  if (shift < 0) {
    return Status(StatusCode::kInvalidArgument,
                  "size '" + std::string(text) + "' has an unknown unit (use B, KiB, MiB, GiB or TiB)");
  }
  if (n > (static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) >> shift)) {
    return Status(StatusCode::kInvalidArgument, "size '" + std::string(text) + "' is too large");
  }
  return static_cast<int64_t>(n << shift);
}

Result<NatsQueueOptions> ParseNatsQueueUrl(std::string_view url) {
  constexpr std::string_view kScheme = "nats://";
  if (url.substr(0, kScheme.size()) != kScheme) return Bad("'" + std::string(url) + "' does not start with nats://");
  std::string_view rest = url.substr(kScheme.size());
  size_t q = rest.find('?');
  std::string_view authority = rest.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : rest.substr(q + 1);
  if (!authority.empty() && authority.back() == '/') authority.remove_suffix(1);
  if (authority.find('/') != std::string_view::npos) {
    return Bad("unexpected path in '" + std::string(url) + "' (parameters go after '?')");
  }

  NatsQueueOptions o;
  size_t start = 0;
  while (true) {
    size_t comma = authority.find(',', start);
    std::string server;
    Status s = ParseServer(
        authority.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start), server);
    if (!s.ok()) return s;
    o.servers.push_back(std::move(server));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }

  std::set<std::string, std::less<>> seen;
  std::string_view consume_text;
  bool has_consume = false, has_lease = false;
  start = 0;
  while (!query.empty() && start <= query.size()) {
    size_t amp = query.find('&', start);
    std::string_view pair = query.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) return Bad("expected key=value, got '" + std::string(pair) + "'");
    std::string_view key = pair.substr(0, eq), value = pair.substr(eq + 1);
    if (!seen.insert(std::string(key)).second) return Bad("parameter '" + std::string(key) + "' given twice");
    uint64_t n = 0;
    Status s;
    if (key == "stream") {
      if (!ValidName(value, 64)) return Bad("'stream' must be 1-64 of [A-Za-z0-9_-], got '" + std::string(value) + "'");
      o.stream = value;
    } else if (key == "prefix") {
      if (!ValidPrefix(value)) {
        return Bad("'prefix' must be dot-separated tokens of [A-Za-z0-9_-], got '" + std::string(value) + "'");
      }
      o.prefix = value;
    } else if (key == "durable") {
      if (!ValidName(value, 48))
        return Bad("'durable' must be 1-48 of [A-Za-z0-9_-], got '" + std::string(value) + "'");
      o.durable = value;
    } else if (key == "partitions") {
      if (!(s = ParseCount(key, value, 1, 1024, n)).ok()) return s;
      o.partitions = n;
    } else if (key == "window") {
      if (!(s = ParseCount(key, value, 1, 1000000, n)).ok()) return s;
      o.window = n;
    } else if (key == "group") {
      if (!(s = ParseCount(key, value, 1, 1000, n)).ok()) return s;
      o.group = n;
    } else if (key == "fetch_batch") {
      if (!(s = ParseCount(key, value, 1, 10000, n)).ok()) return s;
      o.fetch_batch = n;
    } else if (key == "max_ack_pending") {
      if (!(s = ParseCount(key, value, 1, 1000000, n)).ok()) return s;
      o.max_ack_pending = static_cast<int64_t>(n);
    } else if (key == "replicas") {
      if (!(s = ParseCount(key, value, 1, 5, n)).ok()) return s;
      o.replicas = static_cast<int>(n);
    } else if (key == "linger") {
      s = ParseDurationParam(key, value, std::chrono::milliseconds(0), o.linger, std::chrono::seconds(1), "1s");
      if (!s.ok()) return s;
    } else if (key == "publish_timeout") {
      if (!(s = ParseDurationParam(key, value, std::chrono::milliseconds(1), o.publish_timeout)).ok()) return s;
    } else if (key == "max_age") {
      if (!(s = ParseDurationParam(key, value, std::chrono::milliseconds(1000), o.max_age)).ok()) return s;
    } else if (key == "dedup_window") {
      if (!(s = ParseDurationParam(key, value, std::chrono::milliseconds(100), o.dedup_window)).ok()) return s;
    } else if (key == "ack_wait") {
      if (!(s = ParseDurationParam(key, value, std::chrono::milliseconds(100), o.ack_wait)).ok()) return s;
    } else if (key == "connect_timeout") {
      if (!(s = ParseDurationParam(key, value, std::chrono::milliseconds(1), o.connect_timeout)).ok()) return s;
    } else if (key == "max_bytes") {
      auto size = ParseByteSize(value);
      if (!size.ok()) return Bad("'max_bytes': " + size.status().message());
      if (*size < (1 << 20)) return Bad("'max_bytes' must be at least 1MiB, got '" + std::string(value) + "'");
      o.max_bytes = *size;
    } else if (key == "lease") {
      s = ParseDurationParam(key, value, std::chrono::milliseconds(2000), o.lease, std::chrono::hours(1), "1h");
      if (!s.ok()) return s;
      has_lease = true;
    } else if (key == "consume") {
      consume_text = value;  // checked against the final partition count below
      has_consume = true;
    } else {
      return Bad("unknown parameter '" + std::string(key) +
                 "' (known: stream, prefix, partitions, durable, consume, lease, window, group, linger, publish_timeout, max_age, "
                 "max_bytes, dedup_window, replicas, ack_wait, fetch_batch, max_ack_pending, connect_timeout)");
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  if (has_consume && consume_text == "auto") {
    o.consume_mode = NatsQueueOptions::ConsumeMode::kAuto;
  } else if (has_consume && consume_text == "all") {
    o.consume_mode = NatsQueueOptions::ConsumeMode::kAll;
  } else if (has_consume) {
    Status s = ParseConsume(consume_text, o.partitions, o.consume);
    if (!s.ok()) return s;
  }
  if (has_lease && !o.leased()) {
    return Bad("'lease' applies only to consume=auto, not to consume=" + std::string(consume_text));
  }
  if (o.dedup_window > o.max_age) return Bad("'dedup_window' cannot exceed 'max_age'");
  return o;
}

}  // namespace fleetd::nats
