#include "app/demo.h"

#include <chrono>
#include <iostream>
#include <thread>

#include "api/password.h"
#include "app/admin_commands.h"
#include "app/server.h"
#include "app/sim.h"

namespace fleetd {
namespace {

constexpr uint64_t kDemoFirstImei = 359710040000001;

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
    user.role = Role::kAdmin;
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

int RunDemo(const Config& config, const ProtocolRegistry& protocols, const DemoOptions& options,
            const std::atomic<bool>& stop) {
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
  auto token = MakeTenantToken(s.store(), config, kDemoTenant, "admin", config.token_ttl_s);
  if (!token.ok()) {
    std::cerr << "fleetd demo: " << token.status().ToString() << "\n";
    return 2;
  }
  std::string host = config.api.host == "0.0.0.0" ? "localhost" : config.api.host;
  std::string base = "http://" + host + ":" + std::to_string(s.api_port());
  std::cout << "\n  fleetd is running with a simulated fleet of " << options.devices << " GT06 trackers.\n\n"
            << "  API:       " << base << "/api/v1\n"
            << "  Live feed: ws://" << host << ":" << s.api_port() << "/api/v1/stream\n"
            << "  GT06 port: " << s.listener_port("gt06") << "\n"
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
  s.Stop();
  std::cout << "fleetd demo: " << stats.positions_sent << " positions sent, "
            << s.metrics().CounterValue("fleetd_positions_stored_total") << " stored\n";
  return 0;
}

}  // namespace fleetd
