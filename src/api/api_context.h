// ApiContext: everything the HTTP and WebSocket API needs from the rest of
// fleetd, handed in by the app (no globals). The referenced objects must
// outlive the ApiServer and be thread-safe (handlers run on io threads).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "core/metrics.h"
#include "fleetd/live_state.h"
#include "fleetd/status.h"
#include "fleetd/store.h"

namespace fleetd::api {

struct ApiContext {
  Store& store;
  LiveState& live;
  Metrics& metrics;
  // HS256 key; at least kMinJwtSecretLength bytes (see jwt.h) or every
  // token is refused and login answers 500.
  std::string jwt_secret{};
  std::chrono::seconds token_ttl{std::chrono::hours(12)};

  // Devices seen but not registered. Empty: Store::ListPending().
  std::function<Result<std::vector<PendingDevice>>()> pending_devices{};
  // Publishes a command (the request body, as given) to a device over MQTT
  // (fleet/{uid}/cmd). Empty: no broker configured, commands answer 503.
  std::function<Status(const std::string& uid, const std::string& payload)> send_command{};
  // An ingest or process node: only /healthz and /metrics are served.
  bool metrics_only = false;
  // When not empty, /metrics answers only `Authorization: Bearer <this>`
  // (Prometheus: `authorization: {credentials: ...}`): its labels name
  // devices (rejections per device), which no stranger should list. Empty:
  // open, for an API bound to a private interface.
  std::string metrics_token{};
  // How long the live views (/live, WebSocket snapshots) may use a tenant's
  // list of registered devices before reading it again (live_view.h); 0:
  // read it for every request.
  std::chrono::milliseconds registered_ttl{2000};
  // Wall clock in ms. Empty: NowMs(). Tests pass a fixed clock.
  std::function<TimestampMs()> now{};

  // Limits and timeouts of the HTTP sessions.
  size_t body_limit = 64 * 1024;                 // larger bodies get 413
  std::chrono::seconds read_timeout{30};         // per request, header and body
  // Login attempts per remote IP: burst, then one per 1/login_per_second s.
  double login_burst = 10;
  double login_per_second = 0.2;
  // Logins hash passwords off the io threads (blocking_pool.h): this many
  // threads (scrypt takes a core each), and this many logins waiting for
  // one (32 are ~1.6 s of hashing); beyond that a login is answered 503.
  size_t login_threads = 2;
  size_t login_queue = 32;
  // Requests that wait on a server (the store, the live state: a database
  // round trip, a long history query) run on their own threads too, so one
  // slow query never stalls the WebSocket clients and quick requests of the
  // io thread it landed on. Beyond this many waiting, a request gets 503.
  // More threads than the store's pool_size only wait for its connections.
  size_t query_threads = 8;
  size_t query_queue = 256;

  // WebSocket: messages queued for one client before it is dropped as slow.
  // Positions are conflated per vehicle (websocket_session.h), so a slow
  // client's queue holds about one entry per vehicle, plus its alarms and
  // status updates: room for a fleet of a few thousand behind one stall.
  size_t ws_queue_limit = 4096;
  size_t ws_read_limit = 64 * 1024;  // largest client message

  // When not empty, sent as Access-Control-Allow-Origin (and OPTIONS
  // preflights are answered) for a dashboard served from another origin.
  std::string cors_allow_origin{};
};

}  // namespace fleetd::api
