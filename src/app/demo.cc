#include "app/demo.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "api/password.h"
#include "app/admin_commands.h"
#include "app/server.h"
#include "app/mqtt_access.h"
#include "app/mqtt_sim.h"
#include "app/sim.h"
#include "listen/mqtt/mosquitto_config.h"

namespace fleetd {
namespace {

constexpr uint64_t kDemoFirstImei = 359710040000001;
constexpr uint64_t kDemoFirstGateway = 862000000900001;

// `preferred` if nothing is bound to it on loopback, else a free ephemeral port.
uint16_t FreePort(uint16_t preferred) {
  for (uint16_t want : {preferred, uint16_t{0}}) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(want);
    socklen_t len = sizeof addr;
    bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
              getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    close(fd);
    if (ok) return ntohs(addr.sin_port);
  }
  return 0;
}

struct DemoBroker {
  std::unique_ptr<MosquittoProcess> process;
  std::string url;   // with fleetd's admin credentials
  uint16_t port = 0;
};

// A Mosquitto for the demo in <data_dir>/mosquitto: dynamic security with an
// admin password kept beside it (0600), persistence, fleetd's settings.
Result<DemoBroker> StartDemoBroker(const std::string& data_dir) {
  if (FindMosquitto().empty()) return Status(StatusCode::kNotFound, "mosquitto is not installed");
  MosquittoSetup setup;
  setup.dir = std::filesystem::absolute(data_dir + "/mosquitto").string();
  std::filesystem::create_directories(setup.dir);
  const std::string secret_path = setup.dir + "/admin.secret";
  std::ifstream(secret_path) >> setup.admin_password;
  if (setup.admin_password.empty()) {
    setup.admin_password = mqtt::NewDeviceSecret();
    std::filesystem::remove(setup.dir + "/dynamic-security.json");  // made for a password we no longer know
    std::ofstream(secret_path) << setup.admin_password << "\n";
    std::filesystem::permissions(secret_path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }
  setup.port = FreePort(1883);
  setup.run_as_root = geteuid() == 0;
  auto conf = WriteMosquittoConfig(setup);
  if (!conf.ok()) return conf.status();
  auto process = MosquittoProcess::Start(*conf, setup.dir + "/mosquitto.log", setup.port);
  if (!process.ok()) return process.status();
  DemoBroker broker;
  broker.process = std::move(*process);
  broker.port = setup.port;
  broker.url = "mqtt://" + setup.admin_user + ":" + setup.admin_password + "@127.0.0.1:" + std::to_string(setup.port);
  return broker;
}

Status EnsureDemoTenant(Store& store, int devices) {
  auto tenant = store.FindTenant(kDemoTenant);
  if (!tenant.ok()) tenant = store.AddTenant(kDemoTenant);
  if (!tenant.ok()) return tenant.status();
  if (!store.FindUserByEmail(kDemoEmail).ok()) {
    auto hash = api::HashPassword(kDemoPassword);
    if (!hash.ok()) return hash.status();
    User user;
    user.tenant_id = tenant->id;
    user.email = kDemoEmail;
    user.password_hash = *hash;
    user.role = Role::kOperator;  // the newcomer runs this installation: sees unregistered devices too
    if (auto added = store.AddUser(user); !added.ok()) return added.status();
  }
  for (int i = 0; i < devices; ++i) {
    std::string uid = std::to_string(kDemoFirstImei + static_cast<uint64_t>(i));
    if (store.FindDeviceByUid(uid).ok()) continue;
    auto added = store.AddDevice(tenant->id, uid, "Demo truck " + std::to_string(i + 1));
    if (!added.ok()) return added.status();
  }
  return Status::Ok();
}

}  // namespace

int RunDemo(const Config& given_config, const ProtocolRegistry& protocols, const DemoOptions& options,
            const std::atomic<bool>& stop) {
  Config config = given_config;
  DemoBroker broker;
  if (options.mqtt_devices > 0 && config.mqtt_url.empty()) {
    auto started = StartDemoBroker(config.data_dir);
    if (started.ok()) {
      broker = std::move(*started);
      config.mqtt_url = broker.url;
      config.mqtt_client_id = "fleetd-demo";
    } else {
      std::cerr << "fleetd demo: no local MQTT broker (" << started.status().message() << "); MQTT gateways skipped\n";
    }
  }
  auto server = Server::Start(config, protocols);
  if (!server.ok()) {
    std::cerr << "fleetd demo: " << server.status().ToString() << "\n";
    return 2;
  }
  Server& s = **server;
  if (Status st = EnsureDemoTenant(s.store(), options.devices); !st.ok()) {
    std::cerr << "fleetd demo: " << st.ToString() << "\n";
    return 2;
  }
  auto token = MakeTenantToken(s.store(), config, kDemoTenant, "operator", config.token_ttl_s);
  if (!token.ok()) {
    std::cerr << "fleetd demo: " << token.status().ToString() << "\n";
    return 2;
  }
  // MQTT gateways: registered like any device, with broker credentials.
  MqttSimOptions mqtt_sim;
  if (broker.process) {
    auto tenant = s.store().FindTenant(kDemoTenant);
    for (int i = 0; tenant.ok() && i < options.mqtt_devices; ++i) {
      std::string uid = std::to_string(kDemoFirstGateway + static_cast<uint64_t>(i));
      if (!s.store().FindDeviceByUid(uid).ok()) (void)s.store().AddDevice(tenant->id, uid, "Demo gateway " + std::to_string(i + 1));
    }
    auto devices = ProvisionSimDevices(config.mqtt_url, kDemoFirstGateway, options.mqtt_devices);
    if (devices.ok()) {
      mqtt_sim.broker = devices->first;
      mqtt_sim.devices = std::move(devices->second);
      mqtt_sim.interval_ms = std::max(options.interval_ms, 1);
      mqtt_sim.seed = 99;
    } else {
      std::cerr << "fleetd demo: MQTT gateways skipped: " << devices.status().message() << "\n";
    }
  }
  std::string host = config.api.host == "0.0.0.0" ? "localhost" : config.api.host;
  std::string base = "http://" + host + ":" + std::to_string(s.api_port());
  std::cout << "\n  fleetd is running with a simulated fleet of " << options.devices << " GT06 trackers.\n\n"
            << "  API:       " << base << "/api/v1\n"
            << "  Live feed: ws://" << host << ":" << s.api_port() << "/api/v1/stream\n"
            << "  GT06 port: " << s.listener_port("gt06") << "\n"
            << (broker.process ? "  MQTT:      mqtt://127.0.0.1:" + std::to_string(broker.port) + " (" +
                                     std::to_string(mqtt_sim.devices.size()) +
                                     " gateways publish to fleet/{uid}/telemetry; fleet/{uid}/state is retained)\n"
                               : std::string())
            << "  Login:     " << kDemoEmail << " / " << kDemoPassword << "\n"
            << "  Token:     " << *token << "\n\n"
            << "  Try:  curl -H 'Authorization: Bearer " << *token << "' " << base << "/api/v1/live\n\n"
            << "  Ctrl-C stops.\n"
            << std::endl;

  SimOptions sim;
  sim.host = "127.0.0.1";
  sim.port = s.listener_port("gt06");
  sim.devices = options.devices;
  sim.first_imei = kDemoFirstImei;
  sim.interval_ms = options.interval_ms;
  SimStats stats;
  std::atomic<bool> sim_stop{false};
  std::thread sim_thread([&] { RunSim(sim, stats, sim_stop); });
  SimStats mqtt_stats;
  std::thread mqtt_thread;
  if (!mqtt_sim.devices.empty()) mqtt_thread = std::thread([&] { RunMqttSim(mqtt_sim, mqtt_stats, sim_stop); });
  auto started = std::chrono::steady_clock::now();
  while (!stop) {
    if (options.duration_s > 0 &&
        std::chrono::steady_clock::now() - started > std::chrono::duration<double>(options.duration_s)) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  sim_stop = true;
  sim_thread.join();
  if (mqtt_thread.joinable()) mqtt_thread.join();
  s.Stop();
  if (broker.process) broker.process->Stop();
  std::cout << "fleetd demo: " << stats.positions_sent + mqtt_stats.positions_sent << " positions sent, "
            << s.metrics().CounterValue("fleetd_positions_stored_total") << " stored (" << mqtt_stats.positions_sent
            << " sent over MQTT, " << s.metrics().CounterValue("fleetd_messages_total", {{"protocol", "mqtt"}})
            << " received)\n";
  return 0;
}

}  // namespace fleetd
