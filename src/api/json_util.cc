// See json_util.h.
#include "api/json_util.h"

namespace fleetd::api {

std::string DumpJson(const Json& json) { return json.dump(-1, ' ', false, Json::error_handler_t::replace); }

ApiResponse JsonResponse(int status, const Json& body) {
  ApiResponse response;
  response.status = status;
  response.body = DumpJson(body);
  return response;
}

ApiResponse ErrorResponse(int status, std::string_view message) {
  Json body = Json::object();
  body["error"] = std::string(message);
  return JsonResponse(status, body);
}

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kBadChecksum:
    case StatusCode::kBadLength:
    case StatusCode::kMalformed:
    case StatusCode::kOutOfRange:
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists: return 409;
    case StatusCode::kBusy: return 503;
    default: return 500;
  }
}

ApiResponse StatusResponse(const Status& status) {
  int http = HttpStatusFor(status.code());
  if (http >= 500) return ErrorResponse(http, http == 503 ? "busy, try again later" : "internal error");
  return ErrorResponse(http, status.message());
}

std::optional<Json> ParseJsonObject(std::string_view text) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

}  // namespace fleetd::api
