// Router: the HTTP API as a function, request in, response out.
//
// No sockets and no Beast here, so every route (and every hostile input) is
// unit-tested directly; http_server.cc only translates to and from the wire.
// Routes are listed in docs/openapi.yaml. Every error body is
// {"error": "..."}.
#pragma once

#include <mutex>
#include <string>
#include <string_view>

#include "api/api_context.h"
#include "api/api_types.h"
#include "api/jwt.h"
#include "api/live_view.h"
#include "api/rate_limiter.h"
#include "api/target.h"

namespace fleetd::api {

inline constexpr int kMaxPositionsLimit = 10000;
inline constexpr int kDefaultPositionsLimit = 1000;
inline constexpr int kMaxNearLimit = 10000;
inline constexpr int kDefaultNearLimit = 1000;
inline constexpr double kMaxNearRadiusM = 20'000'000;  // about half the Earth's circumference
inline constexpr std::string_view kStreamPath = "/api/v1/stream";

class Router {
 public:
  // `context` (and what it references) must outlive the router.
  explicit Router(const ApiContext& context);

  // Answers one request. Thread-safe; may block on the store and, for
  // login, on a deliberately slow password hash.
  ApiResponse Handle(const ApiRequest& request);

  // True for the requests whose answer hashes a password (login): the
  // server runs those off its io threads.
  static bool HashesPassword(const ApiRequest& request);
  // True for the requests whose answer waits on the store or the live state
  // (everything under /api/v1/ but login and CORS preflights): the server
  // runs those off its io threads too. /healthz and /metrics stay inline.
  static bool WaitsOnServers(const ApiRequest& request);

  // Authenticates a WebSocket upgrade: "Authorization: Bearer <jwt>" or, as
  // browsers cannot set headers on WebSocket, "?access_token=<jwt>".
  Result<JwtClaims> AuthenticateStream(const ApiRequest& request) const;

  // The context's clock, in ms.
  TimestampMs Now() const;

  // The tenants' registered devices, which the live views show (live_view.h).
  RegisteredDevices& registered() { return registered_; }

 private:
  ApiResponse Dispatch(const ApiRequest& request);
  Result<JwtClaims> AuthenticateBearer(std::string_view authorization) const;
  bool MetricsAuthorized(std::string_view authorization) const;

  ApiResponse Login(const ApiRequest& request);
  ApiResponse ListDevices(const JwtClaims& claims);
  ApiResponse AddDevice(const JwtClaims& claims, const ApiRequest& request);
  ApiResponse ListPending(const JwtClaims& claims);
  ApiResponse Positions(const JwtClaims& claims, const std::string& uid, const Target& target);
  // The snapshot, or with ?near=lat,lng&radius_m=R[&limit=N] the devices
  // near a point, nearest first.
  ApiResponse Live(const JwtClaims& claims, const Target& target);
  ApiResponse SendCommand(const JwtClaims& claims, const std::string& uid, const ApiRequest& request);

  // A hash of nothing, verified against when the email is unknown so both
  // failures cost the same time. Made on first use.
  const std::string& DummyHash();

  const ApiContext& ctx_;
  RateLimiter login_limiter_;
  RegisteredDevices registered_;
  std::once_flag dummy_once_;
  std::string dummy_hash_;
};

}  // namespace fleetd::api
