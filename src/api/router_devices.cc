// Tenant-scoped device routes: list/add devices, pending devices, position
// history and the live snapshot. The tenant always comes from the token,
// never from the request, and another tenant's device is reported as absent.
#include <charconv>

#include "api/json_util.h"
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

ApiResponse AdminOnly() { return ErrorResponse(403, "admin role required"); }

}  // namespace

ApiResponse Router::ListDevices(const JwtClaims& claims) {
  auto devices = ctx_.store.ListDevices(claims.tenant_id);
  if (!devices.ok()) return StatusResponse(devices.status());
  Json list = Json::array();
  for (const Device& d : *devices) list.push_back(DeviceJson(d));
  return JsonResponse(200, Json{{"devices", std::move(list)}});
}

ApiResponse Router::AddDevice(const JwtClaims& claims, const ApiRequest& request) {
  if (claims.role != Role::kAdmin) return AdminOnly();
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
  ApiResponse r = JsonResponse(201, DeviceJson(*device));
  r.headers.emplace_back("Location", "/api/v1/devices/" + device->uid);
  return r;
}

ApiResponse Router::ListPending(const JwtClaims& claims) {
  if (claims.role != Role::kAdmin) return AdminOnly();
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
  Json positions = Json::array();
  for (const Message& m : page->positions) positions.push_back(MessageToJson(m));
  Json out = Json::object();
  out["positions"] = std::move(positions);
  out["next"] = page->next ? Json(std::to_string(*page->next)) : Json(nullptr);
  return JsonResponse(200, out);
}

ApiResponse Router::Live(const JwtClaims& claims) {
  Json positions = Json::array();
  for (const Message& m : ctx_.live.Snapshot(claims.tenant_id)) positions.push_back(MessageToJson(m));
  return JsonResponse(200, Json{{"positions", std::move(positions)}});
}

}  // namespace fleetd::api
