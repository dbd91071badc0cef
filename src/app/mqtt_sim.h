// `fleetd sim --protocol mqtt`: simulated MQTT gateways publishing the v1
// JSON payload to fleet/{uid}/telemetry through a broker, as devices do.
//
// Each device connects with its own broker credentials (username = uid);
// with the broker's admin credentials in the URL the simulator provisions
// (or resets) those credentials itself first. Publishes are QoS 1 with a
// bounded window of unacknowledged messages per device, so in load mode
// (interval 0) the pipeline's backpressure reaches the simulator.
#pragma once

#include <atomic>
#include <string>
#include <utility>
#include <vector>

#include "app/sim.h"
#include "listen/mqtt/mqtt_client.h"

namespace fleetd {

struct MqttSimOptions {
  mqtt::ClientOptions broker;  // host, port, TLS; its username/password are not used by devices
  std::vector<std::pair<std::string, std::string>> devices;  // uid, secret
  int interval_ms = 1000;      // 0: as fast as the window allows
  int64_t messages = 0;        // per device; 0 = until stopped
  double duration_s = 0;
  uint64_t seed = 1;
  int64_t start_time_ms = 0;   // first fix time; 0 = now (load mode: now - messages seconds)
  size_t window = 1000;        // unacknowledged QoS 1 publishes per device
};

// Runs until every device has sent and had acknowledged its messages, the
// duration passes, or `stop` becomes true. positions_sent counts publishes,
// positions_acked the broker's PUBACKs; logins_refused devices the broker
// refused.
void RunMqttSim(const MqttSimOptions& options, SimStats& stats, const std::atomic<bool>& stop);

// The JSON a simulated gateway publishes (exposed for tests).
std::string MqttSimPayload(int64_t fix_time_ms, double lat, double lng, double speed, double heading);

}  // namespace fleetd
