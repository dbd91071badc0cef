#include "app/config.h"

#include <unistd.h>

#include <charconv>
#include <set>

#include <toml++/toml.h>

#include "listen/mqtt/broker_url.h"
#include "store/postgres/pg_url.h"
#include "store/postgres/tenant_dsn_map.h"

namespace fleetd {
namespace {

Status Bad(const std::string& what) { return Status(StatusCode::kInvalidArgument, what); }

Result<int64_t> ParseInt(const std::string& name, const std::string& text) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) {
    return Bad(name + ": '" + text + "' is not an integer");
  }
  return v;
}

std::vector<std::string> SplitComma(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string part = text.substr(start, comma - start);
    if (!part.empty()) out.push_back(part);
    start = comma + 1;
  }
  return out;
}

Status CheckRange(const char* name, int64_t v, int64_t lo, int64_t hi) {
  if (v < lo || v > hi) {
    return Bad(std::string(name) + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) +
               "], got " + std::to_string(v));
  }
  return Status::Ok();
}

}  // namespace

std::string HostPort::ToString() const {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<HostPort> ParseHostPort(const std::string& text) {
  if (text.empty() || text.size() > 300) return Bad("address must look like host:port");
  HostPort out;
  std::string port_text;
  if (text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Bad("bad IPv6 address '" + text + "', use [addr]:port");
    }
    out.host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string::npos) return Bad("address '" + text + "' has no :port");
    out.host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (out.host.find(':') != std::string::npos) return Bad("IPv6 addresses need brackets: [addr]:port");
  }
  if (out.host.empty()) out.host = "0.0.0.0";
  auto port = ParseInt("port", port_text);
  if (!port.ok()) return port.status();
  if (*port < 0 || *port > 65535) return Bad("port " + port_text + " out of range");
  out.port = static_cast<uint16_t>(*port);
  return out;
}

Result<ListenSpec> ParseListenSpec(const std::string& text) {
  ListenSpec spec;
  size_t eq = text.find('=');
  spec.protocol = text.substr(0, eq);
  if (spec.protocol.empty()) return Bad("listen spec '" + text + "' has no protocol name");
  if (eq == std::string::npos) return spec;  // empty host: FinalizeConfig fills the default
  auto hp = ParseHostPort(text.substr(eq + 1));
  if (!hp.ok()) return Status(StatusCode::kInvalidArgument, "listen " + spec.protocol + ": " + hp.status().message());
  spec.endpoint = *hp;
  return spec;
}

Status AddStoreTenant(const std::string& text, std::map<std::string, std::string>& tenants) {
  const size_t eq = text.find('=');
  // A bare URL with a query has an '=' too: never take it for a name (nor print its password).
  if (eq == std::string::npos || text.substr(0, eq).find("://") != std::string::npos) {
    return Bad("store tenant '" + pg::RedactUrl(text) + "' must look like NAME=postgresql://...");
  }
  std::string name = text.substr(0, eq);
  std::string dsn = text.substr(eq + 1);
  if (name.empty()) return Bad("store tenant '" + pg::RedactUrl(dsn) + "' has no tenant name before '='");
  if (dsn.empty()) return Bad("store tenant '" + name + "' has an empty DSN");
  if (!tenants.emplace(name, dsn).second) return Bad("store tenant '" + name + "' is given twice");
  return Status::Ok();
}

Status LoadConfigFile(const std::string& path, Config& config) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return Bad("config " + path + ": " + std::string(e.description()));
  }
  for (const auto& [key, node] : table) {
    std::string k(key.str());
    auto want_string = [&](std::string& out) -> Status {
      auto v = node.value<std::string>();
      if (!v) return Bad("config " + path + ": '" + k + "' must be a string");
      out = *v;
      return Status::Ok();
    };
    auto want_int = [&](int64_t& out) -> Status {
      auto v = node.value<int64_t>();
      if (!v || !node.is_integer()) return Bad("config " + path + ": '" + k + "' must be an integer");
      out = *v;
      return Status::Ok();
    };
    auto want_strings = [&](std::vector<std::string>& out) -> Status {
      const toml::array* arr = node.as_array();
      if (!arr) return Bad("config " + path + ": '" + k + "' must be an array of strings");
      out.clear();
      for (const auto& item : *arr) {
        auto v = item.value<std::string>();
        if (!v || !item.is_string()) return Bad("config " + path + ": '" + k + "' must be an array of strings");
        out.push_back(*v);
      }
      return Status::Ok();
    };
    Status s;
    if (k == "data_dir") s = want_string(config.data_dir);
    else if (k == "store") s = want_string(config.store_url);
    else if (k == "queue") s = want_string(config.queue_url);
    else if (k == "live") s = want_string(config.live_url);
    else if (k == "jwt_secret") s = want_string(config.jwt_secret);
    else if (k == "metrics_token") s = want_string(config.metrics_token);
    else if (k == "token_ttl") s = want_int(config.token_ttl_s);
    else if (k == "idle_timeout") s = want_int(config.idle_timeout_s);
    else if (k == "threads") s = want_int(config.threads);
    else if (k == "queue_capacity") s = want_int(config.queue_capacity);
    else if (k == "batch_size") s = want_int(config.batch_size);
    else if (k == "batch_wait_ms") s = want_int(config.batch_wait_ms);
    else if (k == "registered_ttl_ms") s = want_int(config.registered_ttl_ms);
    else if (k == "process_workers") s = want_int(config.process_workers);
    else if (k == "lenient") s = want_strings(config.lenient_protocols);
    else if (k == "mqtt") s = want_string(config.mqtt_url);
    else if (k == "mqtt_client_id") s = want_string(config.mqtt_client_id);
    else if (k == "mqtt_ca_file") s = want_string(config.mqtt_ca_file);
    else if (k == "mqtt_session_expiry") s = want_int(config.mqtt_session_expiry_s);
    else if (k == "mqtt_receive_maximum") s = want_int(config.mqtt_receive_maximum);
    else if (k == "api") {
      std::string text;
      s = want_string(text);
      if (s.ok()) {
        auto hp = ParseHostPort(text);
        if (!hp.ok()) return Bad("config " + path + ": api: " + hp.status().message());
        config.api = *hp;
      }
    } else if (k == "store_tenants") {
      // [store_tenants] name = "postgresql://...": a table, since `store`
      // itself is the shared URL (a string), and TOML keys cannot repeat.
      const toml::table* tenants = node.as_table();
      if (!tenants) return Bad("config " + path + ": 'store_tenants' must be a table of tenant = \"postgresql://...\"");
      config.store_tenants.clear();
      for (const auto& [name, dsn] : *tenants) {
        auto v = dsn.value<std::string>();
        if (!v || !dsn.is_string()) {
          return Bad("config " + path + ": store_tenants." + std::string(name.str()) + " must be a string");
        }
        config.store_tenants[std::string(name.str())] = *v;
      }
    } else if (k == "listen") {
      std::vector<std::string> specs;
      s = want_strings(specs);
      if (s.ok()) {
        config.listens.clear();
        for (const auto& text : specs) {
          auto spec = ParseListenSpec(text);
          if (!spec.ok()) return Bad("config " + path + ": " + spec.status().message());
          config.listens.push_back(*spec);
        }
      }
    } else {
      return Bad("config " + path + ": unknown key '" + k + "'");
    }
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status ApplyEnvironment(Config& config, const std::function<const char*(const char*)>& getenv_fn) {
  auto str = [&](const char* name, std::string& out) {
    if (const char* v = getenv_fn(name)) out = v;
  };
  auto num = [&](const char* name, int64_t& out) -> Status {
    const char* v = getenv_fn(name);
    if (!v) return Status::Ok();
    auto n = ParseInt(name, v);
    if (!n.ok()) return n.status();
    out = *n;
    return Status::Ok();
  };
  str("FLEETD_DATA_DIR", config.data_dir);
  str("FLEETD_STORE", config.store_url);
  str("FLEETD_QUEUE", config.queue_url);
  str("FLEETD_LIVE", config.live_url);
  str("FLEETD_JWT_SECRET", config.jwt_secret);
  str("FLEETD_METRICS_TOKEN", config.metrics_token);
  str("FLEETD_MQTT", config.mqtt_url);
  str("FLEETD_MQTT_CLIENT_ID", config.mqtt_client_id);
  str("FLEETD_MQTT_CA_FILE", config.mqtt_ca_file);
  if (const char* v = getenv_fn("FLEETD_API")) {
    auto hp = ParseHostPort(v);
    if (!hp.ok()) return Bad("FLEETD_API: " + hp.status().message());
    config.api = *hp;
  }
  if (const char* v = getenv_fn("FLEETD_LISTEN")) {
    config.listens.clear();
    for (const auto& text : SplitComma(v)) {
      auto spec = ParseListenSpec(text);
      if (!spec.ok()) return Bad("FLEETD_LISTEN: " + spec.status().message());
      config.listens.push_back(*spec);
    }
  }
  if (const char* v = getenv_fn("FLEETD_LENIENT")) config.lenient_protocols = SplitComma(v);
  // Space-separated, not comma-separated: a DSN lists several hosts with commas.
  if (const char* v = getenv_fn("FLEETD_STORE_TENANTS")) {
    config.store_tenants.clear();
    std::string text = v;
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find_first_of(" \t\n", start);
      if (end == std::string::npos) end = text.size();
      if (end > start) {
        if (Status s = AddStoreTenant(text.substr(start, end - start), config.store_tenants); !s.ok()) {
          return Bad("FLEETD_STORE_TENANTS: " + s.message());
        }
      }
      start = end + 1;
    }
  }
  for (auto [name, field] : {std::pair{"FLEETD_TOKEN_TTL", &config.token_ttl_s},
                             std::pair{"FLEETD_IDLE_TIMEOUT", &config.idle_timeout_s},
                             std::pair{"FLEETD_THREADS", &config.threads},
                             std::pair{"FLEETD_QUEUE_CAPACITY", &config.queue_capacity},
                             std::pair{"FLEETD_BATCH_SIZE", &config.batch_size},
                             std::pair{"FLEETD_BATCH_WAIT_MS", &config.batch_wait_ms},
                             std::pair{"FLEETD_REGISTERED_TTL_MS", &config.registered_ttl_ms},
                             std::pair{"FLEETD_PROCESS_WORKERS", &config.process_workers},
                             std::pair{"FLEETD_MQTT_SESSION_EXPIRY", &config.mqtt_session_expiry_s},
                             std::pair{"FLEETD_MQTT_RECEIVE_MAXIMUM", &config.mqtt_receive_maximum}}) {
    if (Status s = num(name, *field); !s.ok()) return s;
  }
  return Status::Ok();
}

Status FinalizeConfig(Config& config,
                      const std::function<std::optional<uint16_t>(const std::string&)>& default_port,
                      const std::vector<std::string>& all_protocols) {
  if (config.data_dir.empty()) return Bad("data_dir must not be empty");
  if (config.store_url.empty()) config.store_url = "sqlite:" + config.data_dir + "/fleetd.db";
  if (!config.store_tenants.empty()) {
    if (!pg::IsPostgresUrl(config.store_url)) {
      return Bad("store_tenants needs a postgresql:// store (the directory of every tenant), not '" +
                 pg::RedactUrl(config.store_url) + "'");
    }
    if (auto groups = pg::GroupTenantDsns(config.store_url, config.store_tenants); !groups.ok()) {
      return groups.status();
    }
  }
  if (config.listens.empty()) {
    for (const auto& name : all_protocols) config.listens.push_back(ListenSpec{name, {}});
  }
  std::set<std::string> seen;
  for (auto& spec : config.listens) {
    auto port = default_port(spec.protocol);
    if (!port) return Bad("unknown protocol '" + spec.protocol + "' in listen");
    if (spec.endpoint.host.empty()) spec.endpoint = HostPort{"0.0.0.0", *port};
    if (spec.endpoint.port != 0 && !seen.insert(spec.endpoint.ToString()).second) {
      return Bad("two listeners on " + spec.endpoint.ToString());
    }
  }
  for (const auto& name : config.lenient_protocols) {
    if (!default_port(name)) return Bad("unknown protocol '" + name + "' in lenient");
  }
  Status s;
  if (!(s = CheckRange("token_ttl", config.token_ttl_s, 60, 366LL * 24 * 3600)).ok() ||
      !(s = CheckRange("idle_timeout", config.idle_timeout_s, 1, 24 * 3600)).ok() ||
      !(s = CheckRange("threads", config.threads, 0, 256)).ok() ||
      !(s = CheckRange("queue_capacity", config.queue_capacity, 1, 100000000)).ok() ||
      !(s = CheckRange("batch_size", config.batch_size, 1, 100000)).ok() ||
      !(s = CheckRange("batch_wait_ms", config.batch_wait_ms, 0, 60000)).ok() ||
      !(s = CheckRange("registered_ttl_ms", config.registered_ttl_ms, 0, 60000)).ok() ||
      !(s = CheckRange("process_workers", config.process_workers, 0, 64)).ok() ||
      !(s = CheckRange("mqtt_session_expiry", config.mqtt_session_expiry_s, 60, 4294967295LL)).ok() ||
      !(s = CheckRange("mqtt_receive_maximum", config.mqtt_receive_maximum, 1, 65535)).ok()) {
    return s;
  }
  if (!config.mqtt_url.empty()) {
    if (auto broker = mqtt::ParseBrokerUrl(config.mqtt_url); !broker.ok()) return broker.status();
  }
  if (!config.mqtt_ca_file.empty() && access(config.mqtt_ca_file.c_str(), R_OK) != 0) {
    return Bad("mqtt_ca_file '" + config.mqtt_ca_file + "' cannot be read");
  }
  if (config.mqtt_client_id.size() > 128) return Bad("mqtt_client_id is longer than 128 characters");
  for (char c : config.mqtt_client_id) {
    if (static_cast<unsigned char>(c) < 0x21 || c == '+' || c == '#' || c == '/') {
      return Bad("mqtt_client_id may hold only printable characters other than + # /");
    }
  }
  if (!config.jwt_secret.empty() && config.jwt_secret.size() < 32) {
    return Bad("jwt_secret must be at least 32 characters");
  }
  // It travels in a header: visible ASCII, and long enough not to guess.
  if (!config.metrics_token.empty()) {
    if (config.metrics_token.size() < 16 || config.metrics_token.size() > 256) {
      return Bad("metrics_token must be 16 to 256 characters");
    }
    for (char c : config.metrics_token) {
      if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) {
        return Bad("metrics_token may hold only visible ASCII characters (no spaces)");
      }
    }
  }
  return Status::Ok();
}

}  // namespace fleetd
