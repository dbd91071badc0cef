// JSON response helpers shared by the router and the WebSocket code: the
// one error shape {"error": "..."}, StatusCode -> HTTP status, and a dump
// that never throws on invalid UTF-8 (device-supplied text can contain it).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "api/api_types.h"
#include "fleetd/status.h"

namespace fleetd::api {

using Json = nlohmann::ordered_json;

// Compact JSON; invalid UTF-8 is replaced by U+FFFD instead of throwing.
std::string DumpJson(const Json& json);

ApiResponse JsonResponse(int status, const Json& body);
ApiResponse ErrorResponse(int status, std::string_view message);

// 400 for bad input, 401, 403, 404, 409, 503 for kBusy, 500 otherwise.
int HttpStatusFor(StatusCode code);

// An error response for a failed Status. 5xx hide the message (it may carry
// store internals) and say "internal error" instead.
ApiResponse StatusResponse(const Status& status);

// Parses a request body that must be a JSON object; nullopt otherwise.
std::optional<Json> ParseJsonObject(std::string_view text);

}  // namespace fleetd::api
