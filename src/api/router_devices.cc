// Tenant-scoped device routes: list/add devices, pending devices, position
// history, the live snapshot and the devices near a point. The tenant always
// comes from the token, never from the request, and another tenant's device
// is reported as absent.
#include <charconv>
#include <cmath>

#include "api/json_util.h"
#include "api/live_view.h"
#include "api/router.h"
#include "core/message_json.h"
#include "core/time_util.h"

namespace fleetd::api {
namespace {

constexpr size_t kMaxUidLength = 64;
constexpr size_t kMaxNameLength = 128;

// Device uids are what hardware sends (IMEIs, serials): keep them printable
// and URL-safe so they can be used in paths without surprises.
bool ValidUid(std::string_view uid) {
  if (uid.empty() || uid.size() > kMaxUidLength) return false;
  for (char c : uid) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
              c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

Json DeviceJson(const Device& d) {
  Json j = Json::object();
  j["uid"] = d.uid;
  j["name"] = d.name;
  j["created_at"] = FormatIso8601(d.created_at);
  return j;
}

std::optional<int64_t> ParseInt64(std::string_view text) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

// A plain decimal number ("52.5", "-13", "1e3"): no sign '+', no spaces, no
// inf or nan.
std::optional<double> ParseFiniteDouble(std::string_view text) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

struct NearQuery {
  double lat = 0;
  double lng = 0;
  double radius_m = 0;
  size_t limit = kDefaultNearLimit;
};

// ?near=lat,lng&radius_m=R[&limit=N]; the message says what is wrong.
Result<NearQuery> ParseNearQuery(const Target& target) {
  const auto& q = target.query;
  auto bad = [](const char* why) { return Status(StatusCode::kInvalidArgument, why); };
  auto near = q.find("near");
  if (near == q.end()) return bad("\"radius_m\" and \"limit\" need \"near\"");
  NearQuery out;
  std::string_view text = near->second;
  size_t comma = text.find(',');
  std::optional<double> lat, lng;
  if (comma != std::string_view::npos) {
    lat = ParseFiniteDouble(text.substr(0, comma));
    lng = ParseFiniteDouble(text.substr(comma + 1));
  }
  if (!lat || !lng) return bad("\"near\" must be \"lat,lng\" in decimal degrees");
  if (std::abs(*lat) > LiveState::kNearMaxLatitude) {
    return bad("\"near\" latitude must be from -85.05112878 to 85.05112878");
  }
  if (std::abs(*lng) > 180) return bad("\"near\" longitude must be from -180 to 180");
  out.lat = *lat;
  out.lng = *lng;
  auto radius = q.find("radius_m");
  if (radius == q.end()) return bad("\"near\" needs \"radius_m\"");
  auto radius_m = ParseFiniteDouble(radius->second);
  if (!radius_m || *radius_m <= 0 || *radius_m > kMaxNearRadiusM) {
    return bad("\"radius_m\" must be a number of metres above 0 and at most 20000000");
  }
  out.radius_m = *radius_m;
  if (auto it = q.find("limit"); it != q.end()) {
    auto limit = ParseInt64(it->second);
    if (!limit || *limit < 1 || *limit > kMaxNearLimit) return bad("\"limit\" must be an integer from 1 to 10000");
    out.limit = static_cast<size_t>(*limit);
  }
  return out;
}

// 200 with {"positions":[<message>,...]<tail>}, each message as the store
// keeps its body (AppendMessageJson: the same bytes as MessageToJson's
// tree, written without building it — a 10,000-row page built 10,000
// trees). `tail` adds members: ,"next":...
ApiResponse PositionsResponse(const std::vector<Message>& messages, std::string_view tail = {}) {
  ApiResponse r;
  r.status = 200;
  r.body.reserve(32 + tail.size() + messages.size() * 256);
  r.body += "{\"positions\":[";
  for (size_t i = 0; i < messages.size(); ++i) {
    if (i > 0) r.body += ',';
    AppendMessageJson(r.body, messages[i]);
  }
  r.body += ']';
  r.body += tail;
  r.body += '}';
  return r;
}

ApiResponse AdminOnly() { return ErrorResponse(403, "admin role required"); }
ApiResponse OperatorOnly() {
  return ErrorResponse(403, "operator role required: unregistered devices belong to no tenant yet");
}

}  // namespace

ApiResponse Router::ListDevices(const JwtClaims& claims) {
  auto devices = ctx_.store.ListDevices(claims.tenant_id);
  if (!devices.ok()) return StatusResponse(devices.status());
  Json list = Json::array();
  for (const Device& d : *devices) list.push_back(DeviceJson(d));
  return JsonResponse(200, Json{{"devices", std::move(list)}});
}

ApiResponse Router::AddDevice(const JwtClaims& claims, const ApiRequest& request) {
  if (!ManagesTenant(claims.role)) return AdminOnly();
  auto body = ParseJsonObject(request.body);
  if (!body) return ErrorResponse(400, "body must be a JSON object");
  auto uid = body->find("uid");
  if (uid == body->end() || !uid->is_string()) return ErrorResponse(400, "\"uid\" must be a string");
  const std::string& uid_text = uid->get_ref<const std::string&>();
  if (!ValidUid(uid_text)) {
    return ErrorResponse(400, "\"uid\" must be 1-64 characters of A-Z a-z 0-9 - _ . :");
  }
  std::string name = uid_text;
  if (auto n = body->find("name"); n != body->end() && !n->is_null()) {
    if (!n->is_string()) return ErrorResponse(400, "\"name\" must be a string");
    name = n->get<std::string>();
    if (name.size() > kMaxNameLength) return ErrorResponse(400, "\"name\" is longer than 128 bytes");
  }
  auto device = ctx_.store.AddDevice(claims.tenant_id, uid_text, name);
  if (!device.ok()) {
    if (device.status().code() == StatusCode::kAlreadyExists) {
      return ErrorResponse(409, "a device with this uid is already registered");
    }
    return StatusResponse(device.status());
  }
  registered_.Forget(claims.tenant_id);  // its first fix shows at once
  ApiResponse r = JsonResponse(201, DeviceJson(*device));
  r.headers.emplace_back("Location", "/api/v1/devices/" + device->uid);
  return r;
}

ApiResponse Router::SendCommand(const JwtClaims& claims, const std::string& uid, const ApiRequest& request) {
  if (!ManagesTenant(claims.role)) return AdminOnly();
  if (!ValidUid(uid)) return ErrorResponse(400, "bad device uid");
  auto body = ParseJsonObject(request.body);
  if (!body) return ErrorResponse(400, "body must be a JSON object (it is sent to the device as is)");
  // Tenant scope: another tenant's device is indistinguishable from none.
  auto device = ctx_.store.FindDeviceByUid(uid);
  if (!device.ok() || device->tenant_id != claims.tenant_id) {
    if (device.ok() || device.status().code() == StatusCode::kNotFound) return ErrorResponse(404, "no such device");
    return StatusResponse(device.status());
  }
  if (!ctx_.send_command) return ErrorResponse(503, "no MQTT broker configured: commands cannot be delivered");
  if (Status s = ctx_.send_command(uid, body->dump()); !s.ok()) {
    return ErrorResponse(503, "command not sent: " + s.message());
  }
  return JsonResponse(202, Json{{"uid", uid}, {"topic", "fleet/" + uid + "/cmd"}, {"status", "sent"}});
}

// Pending devices belong to no tenant: listing them to every tenant's admin
// would show each one the others' hardware (IMEIs, addresses). A tenant's
// admin claims a device by the uid on its label (AddDevice) instead.
ApiResponse Router::ListPending(const JwtClaims& claims) {
  if (claims.role != Role::kOperator) return OperatorOnly();
  auto pending = ctx_.pending_devices ? ctx_.pending_devices() : ctx_.store.ListPending();
  if (!pending.ok()) return StatusResponse(pending.status());
  Json list = Json::array();
  for (const PendingDevice& p : *pending) {
    Json j = Json::object();
    j["uid"] = p.uid;
    j["protocol"] = p.protocol;
    j["remote_address"] = p.remote_address;
    j["first_seen"] = FormatIso8601(p.first_seen);
    j["last_seen"] = FormatIso8601(p.last_seen);
    j["attempts"] = p.attempts;
    list.push_back(std::move(j));
  }
  return JsonResponse(200, Json{{"devices", std::move(list)}});
}

ApiResponse Router::Positions(const JwtClaims& claims, const std::string& uid, const Target& target) {
  PositionQuery query;
  query.tenant_id = claims.tenant_id;
  query.device_uid = uid;
  query.limit = kDefaultPositionsLimit;
  const auto& q = target.query;
  for (const char* name : {"from", "to"}) {
    auto it = q.find(name);
    if (it == q.end()) continue;
    auto ts = ParseIso8601(it->second);
    if (!ts) {
      return ErrorResponse(400, std::string("\"") + name + "\" must be ISO-8601 or epoch seconds");
    }
    (name[0] == 'f' ? query.from : query.to) = ts;
  }
  if (query.from && query.to && *query.from > *query.to) {
    return ErrorResponse(400, "\"from\" is after \"to\"");
  }
  if (auto it = q.find("limit"); it != q.end()) {
    auto limit = ParseInt64(it->second);
    if (!limit || *limit < 1 || *limit > kMaxPositionsLimit) {
      return ErrorResponse(400, "\"limit\" must be an integer from 1 to 10000");
    }
    query.limit = static_cast<int>(*limit);
  }
  if (auto it = q.find("cursor"); it != q.end() && !it->second.empty()) {
    auto after = ParseInt64(it->second);
    if (!after) return ErrorResponse(400, "\"cursor\" is not a cursor this API returned");
    query.after = after;
  }

  auto device = ctx_.store.FindDeviceByUid(uid);
  if (!device.ok() && device.status().code() != StatusCode::kNotFound) return StatusResponse(device.status());
  if (!device.ok() || device->tenant_id != claims.tenant_id) return ErrorResponse(404, "device not found");

  auto page = ctx_.store.QueryPositions(query);
  if (!page.ok()) return StatusResponse(page.status());
  const std::string next = page->next ? "\"" + std::to_string(*page->next) + "\"" : "null";
  return PositionsResponse(page->positions, ",\"next\":" + next);
}

ApiResponse Router::Live(const JwtClaims& claims, const Target& target) {
  Result<std::vector<Message>> messages = std::vector<Message>{};
  if (!target.query.contains("near") && !target.query.contains("radius_m") && !target.query.contains("limit")) {
    messages = registered_.Filter(claims.tenant_id, ctx_.live.Snapshot(claims.tenant_id));
  } else {
    auto near = ParseNearQuery(target);
    if (!near.ok()) return ErrorResponse(400, near.status().message());
    auto found = ctx_.live.Near(claims.tenant_id, near->lat, near->lng, near->radius_m, near->limit);
    const size_t full = found.size();
    messages = registered_.Filter(claims.tenant_id, std::move(found));
    // Removed devices took places among the nearest: ask once more for as
    // many more, so `limit` still counts registered devices.
    constexpr size_t kMost = kMaxNearLimit;
    if (messages.ok() && full == near->limit && messages->size() < full && full < kMost) {
      const size_t wider = std::min(kMost, full + (full - messages->size()));
      messages = registered_.Filter(claims.tenant_id,
                                  ctx_.live.Near(claims.tenant_id, near->lat, near->lng, near->radius_m, wider));
      if (messages.ok() && messages->size() > near->limit) {
        messages->erase(messages->begin() + static_cast<std::ptrdiff_t>(near->limit), messages->end());
      }
    }
  }
  if (!messages.ok()) return StatusResponse(messages.status());
  return PositionsResponse(*messages);
}

}  // namespace fleetd::api
