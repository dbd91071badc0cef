// OsmandDecoder: HTTP request -> parameters or JSON -> Report -> message + reply.
#include "protocol/osmand/osmand_decoder.h"

#include <algorithm>

#include "protocol/osmand/osmand_http.h"
#include "protocol/osmand/osmand_report.h"

namespace fleetd {
namespace {

constexpr int kMaxJsonDepth = 32;

// Nesting depth of a JSON text, strings skipped; checked before parsing so
// that hostile nesting costs one linear scan.
int JsonDepth(std::string_view text) {
  int depth = 0, max = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      max = std::max(max, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return max;
}

bool Contains(std::optional<std::string_view> header, std::string_view what) {
  if (!header) return false;
  std::string lower(*header);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower.find(what) != std::string::npos;
}

Status Gather(const osmand::Request& req, osmand::Report& report) {
  if (req.method != "GET" && req.method != "POST") return Status(StatusCode::kUnsupported, "method not GET or POST");
  osmand::Params params;
  if (Status s = osmand::ParseQuery(req.query, params); !s.ok()) return s;
  const std::optional<std::string_view> type = req.Header("Content-Type");
  const std::string_view body = req.body;
  const bool json = Contains(type, "json") || (!type && !body.empty() && (body.front() == '{' || body.front() == '['));
  if (!body.empty() && json) {
    if (JsonDepth(body) > kMaxJsonDepth) return Status(StatusCode::kMalformed, "JSON nested too deeply");
    const auto parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) return Status(StatusCode::kMalformed, "body is not JSON");
    if (parsed.is_array()) return Status(StatusCode::kUnsupported, "batched locations are not supported");
    if (Status s = osmand::ApplyJson(parsed, report); !s.ok()) return s;
  } else if (!body.empty() && Contains(type, "x-www-form-urlencoded")) {
    if (Status s = osmand::ParseQuery(body, params); !s.ok()) return s;
  }
  for (const auto& [name, value] : params) {
    if (Status s = osmand::ApplyParam(name, value, report); !s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace

Status OsmandDecoder::Decode(std::span<const uint8_t> frame, DecodeSession& session, TimestampMs received_at,
                             DecodeOutput& out) const {
  osmand::Request req;
  osmand::Report report;
  Message msg;
  Status status = osmand::ParseRequest(frame, req);
  if (status.ok()) status = Gather(req, report);
  if (status.ok()) status = osmand::Finish(report, received_at, msg);
  if (!status.ok()) {
    osmand::AppendResponse(out.reply, 400, "Bad Request", status.message() + "\n");
    return status;
  }
  session.device_uid = msg.device_uid;
  out.messages.push_back(std::move(msg));
  osmand::AppendResponse(out.reply, 200, "OK");
  return Status::Ok();
}

}  // namespace fleetd
