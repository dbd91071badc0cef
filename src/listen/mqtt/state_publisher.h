// StatePublisher: each device's latest normalized position, retained on the
// broker at <root>/<uid>/state, so an MQTT client that subscribes gets the
// fleet's current state at once.
//
// It listens to the live state (after the durable write) and coalesces: per
// device only the newest message of each flush interval is published, so a
// chatty device costs the broker one retained write per interval, not one per
// message. QoS 0: the next update supersedes a lost one.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "fleetd/live_state.h"
#include "listen/mqtt/mqtt_client.h"

namespace fleetd {

class StatePublisher {
 public:
  StatePublisher(boost::asio::io_context& io, std::shared_ptr<mqtt::Client> client, LiveState& live,
                 std::string topic_root, std::chrono::milliseconds interval = std::chrono::milliseconds(250));
  ~StatePublisher();

  void Start();
  // Unsubscribes and publishes nothing more. Call before the io context stops.
  void Stop();

 private:
  void Flush();
  void Arm();

  boost::asio::io_context& io_;
  std::shared_ptr<mqtt::Client> client_;
  LiveState& live_;
  std::string topic_root_;
  std::chrono::milliseconds interval_;
  boost::asio::steady_timer timer_;
  uint64_t subscription_ = 0;
  std::shared_ptr<bool> alive_;

  std::mutex mu_;
  std::unordered_map<std::string, Message> latest_;  // by uid, since the last flush
};

}  // namespace fleetd
