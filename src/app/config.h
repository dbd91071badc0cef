// Config: what `fleetd run` and the admin commands are told, and from where.
//
// Precedence, lowest to highest: built-in defaults, the TOML file
// (--config / FLEETD_CONFIG), FLEETD_* environment variables, command-line
// flags. Every value is validated once here so the rest of the program can
// trust it; a bad value is a clear start-up error, never a surprise later.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fleetd/status.h"

namespace fleetd {

struct HostPort {
  std::string host;
  uint16_t port = 0;
  std::string ToString() const;
};

struct ListenSpec {
  std::string protocol;
  HostPort endpoint;
};

// Which stages a process runs: `fleetd run` all of them; `fleetd ingest`,
// `process` and `api` one each (issue 5's separately scaled processes).
struct Roles {
  bool ingest = true;   // listeners, decoders, MQTT bridge -> queue
  bool process = true;  // queue -> store, live state, retained MQTT state
  bool api = true;      // REST and WebSocket (other roles serve only /healthz and /metrics)
  bool all() const { return ingest && process && api; }
};

struct Config {
  Roles roles;
  std::string data_dir = "./data";
  std::string store_url;  // empty until Finalize(): sqlite:<data_dir>/fleetd.db
  // The tenant -> DSN map (docs/postgres.md): tenant name -> postgresql://
  // URL of the database or schema that holds its time series. Needs a
  // postgresql:// store_url, which stays the directory.
  std::map<std::string, std::string> store_tenants;
  std::string queue_url = "memory:";
  std::string live_url = "memory:";
  std::vector<ListenSpec> listens;  // empty until Finalize(): every protocol on its default port
  HostPort api{"0.0.0.0", 8080};
  std::string jwt_secret;  // empty: generated once into <data_dir>/jwt.secret
  // Bearer token /metrics requires (api/api_context.h); empty: open. Config
  // file or FLEETD_METRICS_TOKEN only: a flag would show it in `ps`.
  std::string metrics_token;
  int64_t token_ttl_s = 12 * 3600;
  int64_t idle_timeout_s = 600;
  int64_t threads = 0;  // io threads; 0 = one per core
  int64_t queue_capacity = 200000;
  // Max messages per store transaction. Only reached under load (a batch
  // waits at most batch_wait_ms); there, bigger transactions cost the
  // database less per row: 2500 against 1000 raised the scale-out pipeline
  // from ~43k to ~62k msg/s (docs/performance.md).
  int64_t batch_size = 2500;
  int64_t batch_wait_ms = 20;
  // How long an API node may use a tenant's list of registered devices for
  // its live views before reading it again (api/live_view.h); 0: read it
  // for every /live request and WebSocket snapshot.
  int64_t registered_ttl_ms = 2000;
  // Processor threads, each writing its own batches (a batch holds its queue
  // partitions, so per-device order holds). 0 = auto: 1 for SQLite (one
  // writer), 4 for PostgreSQL, whose commits then overlap and group.
  int64_t process_workers = 0;
  std::vector<std::string> lenient_protocols;
  // MQTT devices through a broker (docs/mqtt.md). Empty: no MQTT.
  std::string mqtt_url;        // mqtt://user:password@host:port or mqtts://...
  std::string mqtt_client_id;  // stable per instance (the broker keeps its session); empty: fleetd-<hostname>
  std::string mqtt_ca_file;    // mqtts: CA bundle that signed the broker's certificate
  int64_t mqtt_session_expiry_s = 7 * 24 * 3600;  // how long the broker keeps messages for a stopped fleetd
  int64_t mqtt_receive_maximum = 20000;          // QoS 1 messages in flight to this instance
};

// "0.0.0.0:5023", "[::1]:8080", ":8080" (all interfaces). Port 0 is allowed.
Result<HostPort> ParseHostPort(const std::string& text);
// "gt06=0.0.0.0:5023" or "gt06" (default host and port filled by Finalize()).
Result<ListenSpec> ParseListenSpec(const std::string& text);

// Adds one "NAME=DSN" entry of the tenant -> DSN map (--store-tenant,
// FLEETD_STORE_TENANTS), split at the first '='. kInvalidArgument for a
// missing '=', an empty name or DSN, or a name already in `tenants`; the DSN
// itself is checked by FinalizeConfig.
Status AddStoreTenant(const std::string& text, std::map<std::string, std::string>& tenants);

// Merges a TOML file into `config`. Unknown keys and wrong types are errors.
Status LoadConfigFile(const std::string& path, Config& config);
// Merges FLEETD_* variables; `getenv` is injectable for tests.
Status ApplyEnvironment(Config& config,
                        const std::function<const char*(const char*)>& getenv_fn);

// Fills derived defaults and checks ranges. `default_port` maps a protocol
// name to its default port, or nullopt when the protocol is unknown.
Status FinalizeConfig(Config& config,
                      const std::function<std::optional<uint16_t>(const std::string&)>& default_port,
                      const std::vector<std::string>& all_protocols);

}  // namespace fleetd
