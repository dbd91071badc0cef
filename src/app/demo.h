// `fleetd demo`: the newcomer's first run — fleetd on embedded defaults, a
// demo tenant with a ready login and token, and a simulated fleet driving:
// GT06 trackers over TCP, and MQTT gateways through a local Mosquitto that
// the demo starts (configured as docs/mqtt.md describes) and stops.
#pragma once

#include <atomic>

#include "app/config.h"
#include "protocol/registry.h"

namespace fleetd {

struct DemoOptions {
  int devices = 20;
  int interval_ms = 2000;
  double duration_s = 0;  // 0 = until stopped
  // A local Mosquitto (when installed and no --mqtt is given) with this many
  // simulated MQTT gateways beside the GT06 trackers; 0 = none.
  int mqtt_devices = 5;
};

inline constexpr const char* kDemoTenant = "demo";
inline constexpr const char* kDemoEmail = "admin@demo.fleetd";
inline constexpr const char* kDemoPassword = "fleetd-demo";

int RunDemo(const Config& config, const ProtocolRegistry& protocols, const DemoOptions& options,
            const std::atomic<bool>& stop);

}  // namespace fleetd
