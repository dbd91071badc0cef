// `fleetd sim`: simulated trackers (GT06, Teltonika or H02) driving plausible routes.
//
// Used by the demo, the end-to-end tests and the load harness. Each device
// logs in, waits for the login acknowledgement (an unregistered device gets
// none and is reported), then sends positions at the set interval. With
// interval 0 it sends as fast as the server reads (load mode); fix times step
// one second per message so every position is distinct (storage is
// idempotent on device + fix time).
#pragma once

#include <atomic>
#include <cstdint>
#include <random>
#include <string>

namespace fleetd {

struct SimOptions {
  std::string protocol = "gt06";  // gt06, teltonika or h02
  std::string host = "127.0.0.1";
  uint16_t port = 5023;
  int devices = 10;
  uint64_t first_imei = 860000000000001;  // device i has first_imei + i
  int interval_ms = 1000;        // between positions per device; 0 = as fast as possible
  int64_t messages = 0;          // positions per device; 0 = until stopped
  int heartbeat_every = 20;      // a status/heartbeat packet every N positions; 0 = never
  int frames_per_write = 1;      // load mode: several frames per write
  double duration_s = 0;         // 0 = until messages are sent or stopped
  uint64_t seed = 1;
  int64_t start_time_ms = 0;     // first fix time; 0 = now (load mode: now - messages seconds)
  int connect_timeout_ms = 5000;
};

struct SimStats {
  std::atomic<int64_t> connected{0};
  std::atomic<int64_t> logins_acked{0};
  std::atomic<int64_t> logins_refused{0};  // no acknowledgement: unregistered device
  std::atomic<int64_t> positions_sent{0};
  std::atomic<int64_t> positions_acked{0};  // MQTT: PUBACKs from the broker
  std::atomic<int64_t> heartbeats_acked{0};
  std::atomic<int64_t> errors{0};
};

// A vehicle wandering on a plausible route around a real city centre:
// steady speed with noise, gentle turns. Deterministic per seed.
class SimRoute {
 public:
  explicit SimRoute(uint64_t seed);
  void Advance(double seconds);
  double lat() const { return lat_; }
  double lng() const { return lng_; }
  double speed() const { return speed_; }
  double heading() const { return heading_; }

 private:
  std::mt19937_64 rng_;
  double lat_, lng_, heading_, cruise_, speed_ = 0;
};

// Whether RunSim can simulate this protocol.
bool SimSupports(const std::string& protocol);

// Runs until every device has sent its messages, the duration passes, or
// `stop` becomes true. Blocks the calling thread.
void RunSim(const SimOptions& options, SimStats& stats, const std::atomic<bool>& stop);

}  // namespace fleetd
