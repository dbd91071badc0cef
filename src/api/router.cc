// Route matching, authentication, and the routes that need no device
// lookup (health, metrics, login). Device routes are in router_devices.cc.
#include "api/router.h"

#include <openssl/crypto.h>

#include <cctype>
#include <optional>

#include "api/json_util.h"
#include "api/password.h"
#include "core/time_util.h"

namespace fleetd::api {
namespace {

enum class Route { kHealth, kMetrics, kLogin, kDevices, kPending, kPositions, kCommands, kLive, kStream };

struct Match {
  Route route;
  std::string_view allow;  // methods, for 405 and CORS preflights
  std::string uid;         // kPositions and kCommands only, decoded
};

constexpr std::string_view kLoginPath = "/api/v1/auth/login";
constexpr std::string_view kDevicesPrefix = "/api/v1/devices/";
constexpr std::string_view kPositionsSuffix = "/positions";
constexpr std::string_view kCommandsSuffix = "/commands";

// The decoded {uid} of /api/v1/devices/{uid}<suffix>, if `path` is one.
std::optional<std::string> DeviceSubpath(std::string_view path, std::string_view suffix) {
  if (!path.starts_with(kDevicesPrefix) || !path.ends_with(suffix) ||
      path.size() <= kDevicesPrefix.size() + suffix.size()) {
    return std::nullopt;
  }
  std::string_view raw = path.substr(kDevicesPrefix.size(), path.size() - kDevicesPrefix.size() - suffix.size());
  if (raw.find('/') != std::string_view::npos) return std::nullopt;
  auto uid = PercentDecode(raw, /*plus_is_space=*/false);
  if (!uid || uid->empty()) return std::nullopt;
  return uid;
}

std::optional<Match> MatchPath(std::string_view path) {
  if (path == "/healthz") return Match{Route::kHealth, "GET", {}};
  if (path == "/metrics") return Match{Route::kMetrics, "GET", {}};
  if (path == kLoginPath) return Match{Route::kLogin, "POST", {}};
  if (path == "/api/v1/devices") return Match{Route::kDevices, "GET, POST", {}};
  if (path == "/api/v1/devices/pending") return Match{Route::kPending, "GET", {}};
  if (path == "/api/v1/live") return Match{Route::kLive, "GET", {}};
  if (path == kStreamPath) return Match{Route::kStream, "GET", {}};
  if (auto uid = DeviceSubpath(path, kCommandsSuffix)) return Match{Route::kCommands, "POST", std::move(*uid)};
  if (path.starts_with(kDevicesPrefix) && path.ends_with(kPositionsSuffix) &&
      path.size() > kDevicesPrefix.size() + kPositionsSuffix.size()) {
    std::string_view raw =
        path.substr(kDevicesPrefix.size(), path.size() - kDevicesPrefix.size() - kPositionsSuffix.size());
    if (raw.find('/') != std::string_view::npos) return std::nullopt;
    auto uid = PercentDecode(raw, /*plus_is_space=*/false);
    if (!uid || uid->empty()) return std::nullopt;
    return Match{Route::kPositions, "GET", std::move(*uid)};
  }
  return std::nullopt;
}

bool MethodAllowed(std::string_view method, std::string_view allow) {
  // allow is "GET" or "GET, POST": compare whole words.
  while (!allow.empty()) {
    size_t comma = allow.find(',');
    std::string_view word = allow.substr(0, comma);
    if (word == method) return true;
    if (comma == std::string_view::npos) break;
    allow = allow.substr(comma + 1);
    while (!allow.empty() && allow.front() == ' ') allow.remove_prefix(1);
  }
  return false;
}

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// The credentials of an `Authorization: Bearer <token>` header (scheme in
// any case, spaces around the token dropped); nullopt for another scheme.
std::optional<std::string_view> BearerToken(std::string_view authorization) {
  size_t space = authorization.find(' ');
  if (space == std::string_view::npos || !IEquals(authorization.substr(0, space), "Bearer")) return std::nullopt;
  std::string_view token = authorization.substr(space + 1);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return token;
}

ApiResponse Unauthorized(std::string_view why) {
  ApiResponse r = ErrorResponse(401, why);
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

}  // namespace

Router::Router(const ApiContext& context)
    : ctx_(context),
      login_limiter_(context.login_burst, context.login_per_second),
      registered_(context.store, context.registered_ttl) {}

TimestampMs Router::Now() const { return ctx_.now ? ctx_.now() : NowMs(); }

ApiResponse Router::Handle(const ApiRequest& request) {
  ApiResponse response = Dispatch(request);
  if (!ctx_.cors_allow_origin.empty()) {
    response.headers.emplace_back("Access-Control-Allow-Origin", ctx_.cors_allow_origin);
    response.headers.emplace_back("Vary", "Origin");
  }
  return response;
}

ApiResponse Router::Dispatch(const ApiRequest& request) {
  auto target = ParseTarget(request.target);
  if (!target) return ErrorResponse(400, "malformed request target");
  auto match = MatchPath(target->path);
  if (!match) return ErrorResponse(404, "no such route");

  if (request.method == "OPTIONS" && !ctx_.cors_allow_origin.empty()) {
    ApiResponse r;
    r.status = 204;
    r.content_type.clear();
    r.headers.emplace_back("Access-Control-Allow-Methods", std::string(match->allow));
    r.headers.emplace_back("Access-Control-Allow-Headers", "Authorization, Content-Type");
    r.headers.emplace_back("Access-Control-Max-Age", "600");
    return r;
  }
  if (!MethodAllowed(request.method, match->allow)) {
    ApiResponse r = ErrorResponse(405, "method not allowed");
    r.headers.emplace_back("Allow", std::string(match->allow));
    return r;
  }

  switch (match->route) {
    case Route::kHealth:
      return JsonResponse(200, Json{{"status", "ok"}});
    case Route::kMetrics: {
      if (!MetricsAuthorized(request.authorization)) return Unauthorized("metrics need the metrics bearer token");
      ApiResponse r;
      r.content_type = "text/plain; version=0.0.4";
      r.body = ctx_.metrics.RenderPrometheus();
      return r;
    }
    default:
      break;
  }
  // An ingest or process node holds a store, but is no API: not even a
  // login (a token minted there would be a second, unadvertised door).
  if (ctx_.metrics_only) return ErrorResponse(404, "this node serves only /healthz and /metrics (its role is not api)");
  switch (match->route) {
    case Route::kLogin:
      return Login(request);
    case Route::kStream: {
      ApiResponse r = ErrorResponse(426, "WebSocket upgrade required");
      r.headers.emplace_back("Upgrade", "websocket");
      return r;
    }
    default:
      break;
  }

  auto claims = AuthenticateBearer(request.authorization);
  if (!claims.ok()) return Unauthorized(claims.status().message());
  switch (match->route) {
    case Route::kDevices:
      return request.method == "POST" ? AddDevice(*claims, request) : ListDevices(*claims);
    case Route::kPending:
      return ListPending(*claims);
    case Route::kPositions:
      return Positions(*claims, match->uid, *target);
    case Route::kCommands:
      return SendCommand(*claims, match->uid, request);
    case Route::kLive:
      return Live(*claims, *target);
    default:
      return ErrorResponse(500, "internal error");
  }
}

Result<JwtClaims> Router::AuthenticateBearer(std::string_view authorization) const {
  if (authorization.empty()) return Status(StatusCode::kUnauthenticated, "missing bearer token");
  auto token = BearerToken(authorization);
  if (!token) return Status(StatusCode::kUnauthenticated, "authorization scheme must be Bearer");
  return VerifyJwt(*token, ctx_.jwt_secret, Now() / 1000);
}

// Called for every request before Dispatch: compares the raw path (what
// MatchPath sees too; paths are not percent-decoded) instead of parsing the
// target a second time.
bool Router::HashesPassword(const ApiRequest& request) {
  const std::string_view target = request.target;
  return request.method == "POST" && target.substr(0, target.find('?')) == kLoginPath;
}

bool Router::WaitsOnServers(const ApiRequest& request) {
  const std::string_view target = request.target;
  return request.method != "OPTIONS" && target.starts_with("/api/v1/") && !HashesPassword(request);
}

bool Router::MetricsAuthorized(std::string_view authorization) const {
  const std::string& want = ctx_.metrics_token;
  if (want.empty()) return true;
  auto token = BearerToken(authorization);
  // Constant time in the content; only the length can tell a guess apart.
  return token && token->size() == want.size() && CRYPTO_memcmp(token->data(), want.data(), want.size()) == 0;
}

Result<JwtClaims> Router::AuthenticateStream(const ApiRequest& request) const {
  if (!request.authorization.empty()) return AuthenticateBearer(request.authorization);
  auto target = ParseTarget(request.target);
  if (!target) return Status(StatusCode::kUnauthenticated, "malformed request target");
  auto it = target->query.find("access_token");
  if (it == target->query.end()) return Status(StatusCode::kUnauthenticated, "missing bearer token");
  return VerifyJwt(it->second, ctx_.jwt_secret, Now() / 1000);
}

const std::string& Router::DummyHash() {
  std::call_once(dummy_once_, [this] {
    auto hash = HashPassword("fleetd-dummy-password");
    dummy_hash_ = hash.ok() ? *hash : std::string();
  });
  return dummy_hash_;
}

ApiResponse Router::Login(const ApiRequest& request) {
  if (!login_limiter_.Allow(request.remote_address, Now())) {
    ApiResponse r = ErrorResponse(429, "too many login attempts, slow down");
    r.headers.emplace_back("Retry-After", "5");
    return r;
  }
  auto body = ParseJsonObject(request.body);
  if (!body) return ErrorResponse(400, "body must be a JSON object");
  auto email = body->find("email");
  auto password = body->find("password");
  if (email == body->end() || !email->is_string() || password == body->end() || !password->is_string()) {
    return ErrorResponse(400, "\"email\" and \"password\" must be strings");
  }
  const std::string& email_text = email->get_ref<const std::string&>();
  const std::string& password_text = password->get_ref<const std::string&>();
  if (email_text.empty() || email_text.size() > 254 || password_text.size() > 1024) {
    return ErrorResponse(400, "\"email\" or \"password\" has a bad length");
  }

  auto user = ctx_.store.FindUserByEmail(email_text);
  if (!user.ok()) {
    if (user.status().code() != StatusCode::kNotFound) return StatusResponse(user.status());
    VerifyPassword(password_text, DummyHash());  // same cost as a wrong password
    return ErrorResponse(401, "invalid email or password");
  }
  if (!VerifyPassword(password_text, user->password_hash)) {
    return ErrorResponse(401, "invalid email or password");
  }

  JwtClaims claims;
  claims.subject = std::to_string(user->id);
  claims.tenant_id = user->tenant_id;
  if (auto tenant = ctx_.store.FindTenantById(user->tenant_id); tenant.ok()) claims.tenant_name = tenant->name;
  claims.role = user->role;
  claims.issued_at = Now() / 1000;
  claims.expires_at = claims.issued_at + ctx_.token_ttl.count();
  auto token = SignJwt(claims, ctx_.jwt_secret);
  if (!token.ok()) return ErrorResponse(500, "server has no usable signing key");
  Json out = Json::object();
  out["access_token"] = *token;
  out["token_type"] = "Bearer";
  out["expires_in"] = ctx_.token_ttl.count();
  ApiResponse r = JsonResponse(200, out);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace fleetd::api
