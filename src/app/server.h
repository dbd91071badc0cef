// Server: `fleetd run` — every stage in one process, wired by configuration.
//
// Owns the adapters (store, queue, live state), the io pool, the device
// listeners, the processor and the API. Tests start one on loopback port 0
// and talk to it like a device and a client would.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app/config.h"
#include "core/metrics.h"
#include "fleetd/event_sink.h"
#include "fleetd/live_state.h"
#include "fleetd/queue.h"
#include "fleetd/store.h"
#include "protocol/registry.h"

namespace fleetd {

class IoPool;
class TcpListener;
class UdpListener;
class DeviceDirectory;
class Processor;
class MqttBridge;
class StatePublisher;
class PeriodicTask;
namespace mqtt {
class Client;
}
namespace api {
class ApiServer;
}

class Server {
 public:
  // Opens the adapters, warms the live state from the store, binds every
  // listener and the API, and starts serving. `config` must be finalized.
  static Result<std::unique_ptr<Server>> Start(const Config& config, const ProtocolRegistry& protocols);
  ~Server();

  // Stops accepting, drains what is in flight, closes everything. Idempotent.
  void Stop();

  uint16_t listener_port(const std::string& protocol) const;  // TCP; 0 if none
  uint16_t udp_port(const std::string& protocol) const;       // 0 if none
  uint16_t api_port() const;
  // Whether the MQTT bridge (if configured) is connected to its broker.
  bool mqtt_connected() const;
  Store& store() { return *store_; }
  LiveState& live() { return *live_; }
  Queue& queue() { return *queue_; }  // precondition: an ingest or process role
  Metrics& metrics() { return metrics_; }
  const std::string& jwt_secret() const { return jwt_secret_; }

 private:
  Server() = default;
  Status StartListeners(const Config& config, const ProtocolRegistry& protocols);
  Status StartMqtt(const Config& config);

  Config config_;
  std::string jwt_secret_;
  Metrics metrics_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Queue> queue_;
  std::unique_ptr<LiveState> live_;
  std::unique_ptr<DeviceDirectory> devices_;
  std::unique_ptr<IoPool> pool_;
  std::vector<std::unique_ptr<TcpListener>> listeners_;
  std::vector<std::unique_ptr<UdpListener>> udp_listeners_;
  std::unique_ptr<EventSink> events_;  // process role on a nats:// queue; outlives processor_
  std::unique_ptr<Processor> processor_;
  std::unique_ptr<api::ApiServer> api_;
  std::unique_ptr<MqttBridge> mqtt_bridge_;       // ingest role
  std::shared_ptr<mqtt::Client> mqtt_client_;     // the bridge's, or a publish-only one
  std::unique_ptr<StatePublisher> state_publisher_;
  std::unique_ptr<PeriodicTask> maintenance_;  // process role, stores that have maintenance
  bool stopped_ = false;
};

}  // namespace fleetd
