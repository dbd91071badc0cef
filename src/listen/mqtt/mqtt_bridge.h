// MqttBridge: MQTT devices in, through the broker, into the queue.
//
// Devices publish to fleet/{uid}/telemetry on a broker (Mosquitto); the
// bridge holds a shared subscription ($share/fleetd/fleet/+/telemetry) at
// QoS 1, so several fleetd instances split the load. Each message is decoded
// (protocol "mqtt", src/protocol/mqtt) for the device its topic names —
// the broker's ACL makes sure a device can publish only under its own uid —
// and published to the queue; the PUBACK goes to the broker only once the
// queue reports the message durable. Rejected messages are counted by reason
// and acknowledged (a redelivery would be rejected the same way).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "listen/mqtt/mqtt_client.h"
#include "listen/tcp_session.h"

namespace fleetd {

struct MqttBridgeOptions {
  std::string topic_root = "fleet";          // devices publish to <root>/<uid>/telemetry
  std::string share_group = "fleetd";        // MQTT 5 shared-subscription group
  bool lenient = false;                      // protocol-level leniency (payload checks)
  std::chrono::milliseconds busy_retry{5};   // wait before re-offering a batch to a full queue
};

class MqttBridge {
 public:
  // `client_options` says where the broker is and who fleetd is; the bridge
  // sets the subscription. `deps` outlive the bridge.
  MqttBridge(boost::asio::io_context& io, mqtt::ClientOptions client_options, ListenerDeps deps,
             MqttBridgeOptions options);
  ~MqttBridge();

  void Start();
  void Stop();

  // For outbound publishes (state, commands) on the same connection.
  mqtt::Client& client() { return *client_; }

  // The uid in `<root>/<uid>/telemetry`, or empty if the topic is not one.
  static std::string UidFromTopic(std::string_view topic, std::string_view root);

 private:
  struct Pending;  // a decoded batch waiting for room in the queue
  void OnBatch(const std::vector<mqtt::Publish>& batch, uint64_t epoch);
  void Reject(const Status& why, const std::string& uid, bool registered);
  void TryPublish();

  boost::asio::io_context& io_;
  ListenerDeps deps_;
  MqttBridgeOptions options_;
  std::shared_ptr<mqtt::Client> client_;
  boost::asio::steady_timer retry_timer_;
  std::unique_ptr<Decoder> decoder_;
  std::unique_ptr<Pending> pending_;
  bool paused_ = false;  // reading stopped until pending_ is in the queue
  std::shared_ptr<bool> alive_;
  Counter& messages_;
  Counter& frames_ok_;
};

}  // namespace fleetd
