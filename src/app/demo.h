// `fleetd demo`: the newcomer's first run — fleetd on embedded defaults, a
// demo tenant with a ready login and token, and a simulated fleet driving.
#pragma once

#include <atomic>

#include "app/config.h"
#include "protocol/registry.h"

namespace fleetd {

struct DemoOptions {
  int devices = 20;
  int interval_ms = 2000;
  double duration_s = 0;  // 0 = until stopped
};

inline constexpr const char* kDemoTenant = "demo";
inline constexpr const char* kDemoEmail = "admin@demo.fleetd";
inline constexpr const char* kDemoPassword = "fleetd-demo";

int RunDemo(const Config& config, const ProtocolRegistry& protocols, const DemoOptions& options,
            const std::atomic<bool>& stop);

}  // namespace fleetd
