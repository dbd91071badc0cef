// fleetd: one binary, one subcommand per job (run, demo, admin, decode, sim).
#include <malloc.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <thread>
#include <tuple>

#include <CLI/CLI.hpp>

#include "app/admin_commands.h"
#include "app/adapters.h"
#include "app/config.h"
#include "app/decode_command.h"
#include "app/demo.h"
#include "app/server.h"
#include "app/mqtt_access.h"
#include "app/migrate_command.h"
#include "app/mqtt_sim.h"
#include "app/replay_command.h"
#include "app/sim.h"

namespace fleetd {
namespace {

// A stage allocates and frees buffers of a few hundred KB to a few MB per
// batch (COPY data, envelope vectors, feed payloads), many times a second.
// By default glibc maps blocks above 128 KB afresh and hands a heap's free
// top back to the kernel, which then zeroes every page again on the next
// touch: in the throughput harness, page faults were about a third of a
// process node's samples. With blocks up to 16 MB taken from the heap and up
// to 32 MB of free top kept mapped per arena, its faults halved (30k -> 15k
// in 5 s; the rest are first touches of a 6-second run).
void KeepFreedMemory() {
  mallopt(M_MMAP_THRESHOLD, 16 << 20);
  mallopt(M_TRIM_THRESHOLD, 32 << 20);
}

// Flags that override the config file and the environment. Only options the
// user actually gave (count() > 0) are applied.
struct ConfigFlags {
  std::string config_file, data_dir, store, queue, live, api, jwt_secret, mqtt, mqtt_client_id;
  std::vector<std::string> listens, lenient, store_tenants;
  int64_t threads = 0, idle_timeout = 0, token_ttl = 0;
  std::vector<CLI::Option*> given;
  CLI::Option *o_config, *o_data_dir, *o_store, *o_store_tenant, *o_queue, *o_live, *o_api, *o_listen, *o_lenient,
      *o_threads, *o_idle, *o_ttl, *o_secret, *o_mqtt, *o_mqtt_client_id;

  void Add(CLI::App* app, bool server_options) {
    o_config = app->add_option("--config", config_file, "TOML config file (env FLEETD_CONFIG)");
    o_data_dir = app->add_option("--data-dir", data_dir, "Data directory (default ./data)");
    o_store = app->add_option("--store", store, "Store URL (default sqlite:<data-dir>/fleetd.db)");
    o_store_tenant = app->add_option("--store-tenant", store_tenants,
                                     "A tenant's own database or schema, NAME=postgresql://... (repeatable)");
    o_secret = app->add_option("--jwt-secret", jwt_secret, "JWT signing secret (default: generated into data dir)");
    o_ttl = app->add_option("--token-ttl", token_ttl, "Token lifetime in seconds");
    o_mqtt = app->add_option("--mqtt", mqtt, "MQTT broker, mqtt://user:password@host:port (or mqtts://)");
    o_mqtt_client_id = app->add_option("--mqtt-client-id", mqtt_client_id, "This instance's MQTT client id (stable)");
    o_queue = o_live = o_api = o_listen = o_lenient = o_threads = o_idle = nullptr;
    if (!server_options) return;
    o_queue = app->add_option("--queue", queue, "Queue URL (default memory:)");
    o_live = app->add_option("--live", live, "Live-state URL (default memory:)");
    o_api = app->add_option("--api", api, "API listen address (default 0.0.0.0:8080)");
    o_listen = app->add_option("--listen", listens, "Device listener, e.g. gt06=0.0.0.0:5023 (repeatable)");
    o_lenient = app->add_option("--lenient", lenient, "Accept bad checksums/lengths for a protocol (repeatable)");
    o_threads = app->add_option("--threads", threads, "IO threads (default: one per core)");
    o_idle = app->add_option("--idle-timeout", idle_timeout, "Close device connections idle this many seconds");
  }

  static bool Given(CLI::Option* o) { return o && o->count() > 0; }

  Result<Config> Build(const ProtocolRegistry& protocols) const {
    Config config;
    std::string file = config_file;
    if (file.empty()) {
      if (const char* env = std::getenv("FLEETD_CONFIG")) file = env;
    }
    if (!file.empty()) {
      if (Status s = LoadConfigFile(file, config); !s.ok()) return s;
    }
    if (Status s = ApplyEnvironment(config, [](const char* n) { return std::getenv(n); }); !s.ok()) return s;
    if (Given(o_data_dir)) config.data_dir = data_dir;
    if (Given(o_store)) config.store_url = store;
    if (Given(o_store_tenant)) {
      config.store_tenants.clear();
      for (const auto& text : store_tenants) {
        if (Status s = AddStoreTenant(text, config.store_tenants); !s.ok()) {
          return Status(StatusCode::kInvalidArgument, "--store-tenant: " + s.message());
        }
      }
    }
    if (Given(o_queue)) config.queue_url = queue;
    if (Given(o_live)) config.live_url = live;
    if (Given(o_secret)) config.jwt_secret = jwt_secret;
    if (Given(o_mqtt)) config.mqtt_url = mqtt;
    if (Given(o_mqtt_client_id)) config.mqtt_client_id = mqtt_client_id;
    if (Given(o_ttl)) config.token_ttl_s = token_ttl;
    if (Given(o_threads)) config.threads = threads;
    if (Given(o_idle)) config.idle_timeout_s = idle_timeout;
    if (Given(o_lenient)) config.lenient_protocols = lenient;
    if (Given(o_api)) {
      auto hp = ParseHostPort(api);
      if (!hp.ok()) return Status(StatusCode::kInvalidArgument, "--api: " + hp.status().message());
      config.api = *hp;
    }
    if (Given(o_listen)) {
      config.listens.clear();
      for (const auto& text : listens) {
        auto spec = ParseListenSpec(text);
        if (!spec.ok()) return Status(StatusCode::kInvalidArgument, "--listen: " + spec.status().message());
        config.listens.push_back(*spec);
      }
    }
    Status s = FinalizeConfig(
        config,
        [&](const std::string& name) -> std::optional<uint16_t> {
          const ProtocolInfo* p = protocols.Find(name);
          if (!p) return std::nullopt;
          return p->default_port;
        },
        protocols.Names());
    if (!s.ok()) return s;
    return config;
  }
};

int ConfigError(const Status& s) {
  std::cerr << "fleetd: " << s.ToString() << "\n";
  return 2;
}

std::atomic<bool> g_stop{false};

void WaitForSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  g_stop = true;
}

// SIGINT/SIGTERM are handled by sigwait in the main thread; every other
// thread inherits the blocked mask, so they never see the signal.
void BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

int Run(const Config& config, const ProtocolRegistry& protocols) {
  auto server = Server::Start(config, protocols);
  if (!server.ok()) return ConfigError(server.status());
  const Roles& roles = config.roles;
  std::cerr << "fleetd: " << (roles.all() ? "all stages" : roles.ingest ? "ingest" : roles.process ? "process" : "api")
            << "; store " << config.store_url
            << (config.store_tenants.empty() ? ""
                                             : " (+" + std::to_string(config.store_tenants.size()) + " mapped tenants)")
            << ", queue " << config.queue_url << ", live " << config.live_url << "\n";
  if (roles.ingest) {
    for (const auto& spec : config.listens) {
      std::cerr << "fleetd: " << spec.protocol << " on " << spec.endpoint.host << ":"
                << (*server)->listener_port(spec.protocol) << "\n";
    }
  }
  if (roles.api) {
    std::cerr << "fleetd: API on http://" << config.api.host << ":" << (*server)->api_port() << "/api/v1\n";
  } else {
    std::cerr << "fleetd: metrics on http://" << config.api.host << ":" << (*server)->api_port() << "/metrics\n";
  }
  WaitForSignal();
  std::cerr << "fleetd: stopping\n";
  (*server)->Stop();
  return 0;
}

// The admin commands touch only the directory, so they open the shared
// store alone, without the tenant -> DSN map: `tenant add` must work for a
// tenant the map already names.
template <typename Fn>
int WithStore(const ConfigFlags& flags, const ProtocolRegistry& protocols, Fn fn) {
  auto config = flags.Build(protocols);
  if (!config.ok()) return ConfigError(config.status());
  auto store = OpenStore(config->store_url);
  if (!store.ok()) return ConfigError(store.status());
  return fn(**store, *config);
}

}  // namespace
}  // namespace fleetd

int main(int argc, char** argv) {
  using namespace fleetd;
  KeepFreedMemory();
  BlockStopSignals();
  ProtocolRegistry protocols;
  RegisterBuiltinProtocols(protocols);

  CLI::App app{"fleetd: self-hosted telematics backend"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "fleetd 0.1.0");

  ConfigFlags run_flags;
  auto* run = app.add_subcommand("run", "Run every stage in one process (embedded defaults)");
  run_flags.Add(run, true);

  // The stages as separate, stateless processes (shared queue, store and
  // live state by URL: nats://, postgresql://, redis://).
  ConfigFlags ingest_flags, process_flags, api_flags;
  auto* ingest = app.add_subcommand("ingest", "Run the device listeners and the MQTT bridge: devices -> queue");
  ingest_flags.Add(ingest, true);
  auto* process = app.add_subcommand("process", "Run the queue consumer: queue -> store and live state");
  process_flags.Add(process, true);
  auto* api = app.add_subcommand("api", "Run the REST API and WebSocket feed");
  api_flags.Add(api, true);

  ConfigFlags demo_flags;
  DemoOptions demo_options;
  auto* demo = app.add_subcommand("demo", "Run fleetd with a demo tenant and a simulated fleet");
  demo_flags.Add(demo, true);
  demo->add_option("--devices", demo_options.devices, "Simulated devices")->check(CLI::Range(1, 100000));
  demo->add_option("--interval-ms", demo_options.interval_ms, "Position interval per device")->check(CLI::Range(0, 3600000));
  demo->add_option("--duration", demo_options.duration_s, "Stop after this many seconds (0 = until Ctrl-C)");
  demo->add_option("--mqtt-devices", demo_options.mqtt_devices,
                   "Simulated MQTT gateways through a local Mosquitto (0 = none)")
      ->check(CLI::Range(0, 10000));

  ConfigFlags admin_flags;
  auto* tenant = app.add_subcommand("tenant", "Manage tenants");
  tenant->require_subcommand(1);
  std::string tenant_name;
  auto* tenant_add = tenant->add_subcommand("add", "Add a tenant");
  tenant_add->add_option("name", tenant_name, "Tenant name")->required();
  admin_flags.Add(tenant_add, false);

  ConfigFlags device_flags;
  auto* device = app.add_subcommand("device", "Manage devices");
  device->require_subcommand(1);
  DeviceAddArgs device_args;
  auto* device_add = device->add_subcommand("add", "Register a device to a tenant");
  device_add->add_option("--tenant", device_args.tenant)->required();
  device_add->add_option("--uid", device_args.uid, "What the device sends: IMEI for trackers")->required();
  device_add->add_option("--name", device_args.name);
  device_add->add_option("--model", device_args.model, "Device model for model-specific layouts");
  device_add->add_flag("--lenient", device_args.lenient, "Accept bad checksums and odd lengths from this device");
  device_flags.Add(device_add, false);
  ConfigFlags set_flags;
  DeviceSetArgs set_args;
  std::string set_lenient;
  auto* device_set = device->add_subcommand("set", "Change a device's decoding settings");
  device_set->add_option("--uid", set_args.uid)->required();
  auto* set_model_opt = device_set->add_option("--model", set_args.model, "Model (\"\" for the protocol default)");
  device_set->add_option("--lenient", set_lenient, "true or false")->check(CLI::IsMember({"true", "false"}));
  set_flags.Add(device_set, false);
  (void)set_model_opt;
  std::string list_tenant;
  ConfigFlags list_flags;
  auto* device_list = device->add_subcommand("list", "List a tenant's devices");
  device_list->add_option("--tenant", list_tenant)->required();
  list_flags.Add(device_list, false);
  ConfigFlags pending_flags;
  ConfigFlags remove_flags;
  std::string remove_uid;
  auto* device_remove = device->add_subcommand("remove", "Unregister a device (its history stays) and revoke its MQTT credentials");
  device_remove->add_option("--uid", remove_uid)->required();
  remove_flags.Add(device_remove, false);
  ConfigFlags cred_flags;
  std::string cred_uid;
  auto* device_credentials = device->add_subcommand("credentials", "Issue new MQTT credentials for a device");
  device_credentials->add_option("--uid", cred_uid)->required();
  cred_flags.Add(device_credentials, false);
  auto* device_pending = device->add_subcommand("pending", "Devices that connected but nobody registered");
  pending_flags.Add(device_pending, false);

  ConfigFlags user_flags;
  UserAddArgs user_args;
  auto* user = app.add_subcommand("user", "Manage users");
  user->require_subcommand(1);
  auto* user_add = user->add_subcommand("add", "Add a user to a tenant");
  user_add->add_option("--tenant", user_args.tenant)->required();
  user_add->add_option("--email", user_args.email)->required();
  user_add->add_option("--password", user_args.password)->required();
  const auto user_roles = CLI::IsMember({"admin", "viewer", "operator"});
  constexpr const char* kRoleHelp = "admin, viewer or operator (runs the platform: also sees unregistered devices)";
  user_add->add_option("--role", user_args.role, kRoleHelp)->check(user_roles);
  user_flags.Add(user_add, false);

  ConfigFlags token_flags;
  TokenArgs token_args;
  auto* token = app.add_subcommand("token", "Print a JWT for scripts and integrations");
  token->add_option("--tenant", token_args.tenant)->required();
  token->add_option("--ttl", token_args.ttl_s, "Lifetime in seconds");
  token->add_option("--role", token_args.role, kRoleHelp)->check(user_roles);
  token_flags.Add(token, false);

  // Rewrites a window of the queue's stream into the store (docs/operations.md).
  ConfigFlags replay_flags;
  ReplayArgs replay_args;
  auto* replay = app.add_subcommand("replay", "Rewrite a window of the NATS stream into the store, after a downstream bug");
  replay->add_option("--from", replay_args.from, "Start, by queue time: ISO-8601 (2026-05-21T10:00:00Z) or epoch seconds");
  replay->add_option("--to", replay_args.to, "End, exclusive (default: the stream's end when the replay starts)");
  replay->add_option("--device", replay_args.device, "Only this device uid");
  replay->add_flag("--dry-run", replay_args.dry_run, "Read and count the window, write nothing");
  replay_flags.Add(replay, false);
  replay_flags.o_queue = replay->add_option("--queue", replay_flags.queue, "Queue URL, nats://... (env FLEETD_QUEUE)");
  replay_flags.o_live = replay->add_option("--live", replay_flags.live, "Live state to refresh afterwards, redis://...");

  // Versioned schema migrations (the processes do not migrate unless asked).
  ConfigFlags migrate_flags;
  auto* migrate = app.add_subcommand("migrate", "Apply the store's pending schema migrations; prints them as JSON");
  migrate_flags.Add(migrate, false);

  DecodeOptions decode_options;
  auto* decode = app.add_subcommand("decode", "Decode hex frames (stdin lines or --hex) to schema-v1 JSON lines");
  decode->add_option("--protocol,-p", decode_options.protocol, "Protocol name");
  decode->add_option("--hex", decode_options.hex, "One input in hex instead of stdin");
  decode->add_flag("--replies", decode_options.replies, "Also print the bytes the server would answer");
  decode->add_flag("--lenient", decode_options.lenient, "Accept bad checksums and odd lengths");
  decode->add_option("--model", decode_options.model, "Device model for model-specific layouts");
  decode->add_option("--uid", decode_options.uid, "Device uid, for frames captured after the login");

  SimOptions sim_options;
  auto* sim = app.add_subcommand("sim", "Simulated trackers on moving routes");
  sim->add_option("--protocol,-p", sim_options.protocol, "gt06, teltonika, h02 or mqtt")
      ->check(CLI::IsMember({"gt06", "teltonika", "h02", "mqtt"}));
  std::string sim_mqtt;
  size_t sim_window = 1000;
  sim->add_option("--mqtt", sim_mqtt, "Simulate MQTT gateways through this broker (mqtt://admin:pw@host:port; the admin provisions them)");
  sim->add_option("--window", sim_window, "mqtt: unacknowledged publishes per device")->check(CLI::Range(1, 60000));
  sim->add_option("--host", sim_options.host);
  sim->add_option("--port", sim_options.port);
  sim->add_option("--devices,-n", sim_options.devices)->check(CLI::Range(1, 100000));
  sim->add_option("--first-imei", sim_options.first_imei);
  sim->add_option("--interval-ms", sim_options.interval_ms, "0 = as fast as possible")->check(CLI::Range(0, 3600000));
  sim->add_option("--messages", sim_options.messages, "Positions per device (0 = until stopped)")->check(CLI::Range(int64_t{0}, int64_t{100000000}));
  sim->add_option("--frames-per-write", sim_options.frames_per_write)->check(CLI::Range(1, 10000));
  sim->add_option("--duration", sim_options.duration_s, "Seconds (0 = until done)");
  sim->add_option("--seed", sim_options.seed);

  CLI11_PARSE(app, argc, argv);

  if (*run) {
    auto config = run_flags.Build(protocols);
    if (!config.ok()) return ConfigError(config.status());
    return Run(*config, protocols);
  }
  for (auto [cmd, flags, roles] : {std::tuple{ingest, &ingest_flags, Roles{true, false, false}},
                                   std::tuple{process, &process_flags, Roles{false, true, false}},
                                   std::tuple{api, &api_flags, Roles{false, false, true}}}) {
    if (!*cmd) continue;
    auto config = flags->Build(protocols);
    if (!config.ok()) return ConfigError(config.status());
    config->roles = roles;
    return Run(*config, protocols);
  }
  if (*demo) {
    auto config = demo_flags.Build(protocols);
    if (!config.ok()) return ConfigError(config.status());
    std::thread signals([] { WaitForSignal(); });
    signals.detach();
    return RunDemo(*config, protocols, demo_options, g_stop);
  }
  if (*tenant_add) {
    return WithStore(admin_flags, protocols, [&](Store& s, const Config&) { return TenantAdd(s, tenant_name, std::cout, std::cerr); });
  }
  if (*device_add) {
    return WithStore(device_flags, protocols, [&](Store& s, const Config& c) { return DeviceAdd(s, c, device_args, std::cout, std::cerr); });
  }
  if (*device_remove) {
    return WithStore(remove_flags, protocols, [&](Store& s, const Config& c) { return DeviceRemove(s, c, remove_uid, std::cout, std::cerr); });
  }
  if (*device_credentials) {
    return WithStore(cred_flags, protocols, [&](Store& s, const Config& c) { return DeviceCredentials(s, c, cred_uid, std::cout, std::cerr); });
  }
  if (*device_set) {
    if (!set_lenient.empty()) set_args.lenient = set_lenient == "true";
    return WithStore(set_flags, protocols, [&](Store& s, const Config&) { return DeviceSet(s, set_args, std::cout, std::cerr); });
  }
  if (*device_list) {
    return WithStore(list_flags, protocols, [&](Store& s, const Config&) { return DeviceList(s, list_tenant, std::cout, std::cerr); });
  }
  if (*device_pending) {
    return WithStore(pending_flags, protocols, [&](Store& s, const Config&) { return DevicePending(s, std::cout, std::cerr); });
  }
  if (*user_add) {
    return WithStore(user_flags, protocols, [&](Store& s, const Config&) { return UserAdd(s, user_args, std::cout, std::cerr); });
  }
  if (*token) {
    return WithStore(token_flags, protocols, [&](Store& s, const Config& c) { return TokenCreate(s, c, token_args, std::cout, std::cerr); });
  }
  if (*replay) {
    auto config = replay_flags.Build(protocols);
    if (!config.ok()) return ConfigError(config.status());
    return RunReplay(*config, replay_args, std::cout, std::cerr);
  }
  if (*migrate) {
    auto config = migrate_flags.Build(protocols);
    if (!config.ok()) return ConfigError(config.status());
    return RunMigrate(config->store_url, config->store_tenants, std::cout, std::cerr);
  }
  if (*decode) return RunDecode(decode_options, protocols, std::cin, std::cout, std::cerr);
  if (*sim) {
    SimStats stats;
    std::thread signals([] { WaitForSignal(); });
    signals.detach();
    if (!sim_mqtt.empty() && sim_options.protocol != "mqtt" && sim_options.protocol != "gt06") {
      return ConfigError(Status(StatusCode::kInvalidArgument, "--mqtt simulates MQTT gateways; it does not go with --protocol " + sim_options.protocol));
    }
    if (sim_options.protocol == "mqtt" || !sim_mqtt.empty()) {
      auto devices = ProvisionSimDevices(sim_mqtt, sim_options.first_imei, sim_options.devices);
      if (!devices.ok()) return ConfigError(devices.status());
      MqttSimOptions m;
      m.broker = devices->first;
      m.devices = std::move(devices->second);
      m.interval_ms = sim_options.interval_ms;
      m.messages = sim_options.messages;
      m.duration_s = sim_options.duration_s;
      m.seed = sim_options.seed;
      m.window = sim_window;
      RunMqttSim(m, stats, g_stop);
      std::cout << "{\"connected\":" << stats.connected << ",\"refused\":" << stats.logins_refused
                << ",\"positions_sent\":" << stats.positions_sent << ",\"positions_acked\":" << stats.positions_acked
                << "}\n";
      return stats.logins_refused > 0 || stats.positions_acked < stats.positions_sent ? 1 : 0;
    }
    RunSim(sim_options, stats, g_stop);
    std::cout << "{\"connected\":" << stats.connected << ",\"logins_acked\":" << stats.logins_acked
              << ",\"logins_refused\":" << stats.logins_refused << ",\"positions_sent\":" << stats.positions_sent
              << ",\"heartbeats_acked\":" << stats.heartbeats_acked << ",\"errors\":" << stats.errors << "}\n";
    return stats.errors > 0 || stats.logins_refused > 0 ? 1 : 0;
  }
  return 0;
}
