// MqttClient: one MQTT 5 connection to a broker, kept up for fleetd's life.
//
// It resumes a persistent session (clean start off, a session expiry), so the
// broker queues QoS 1 messages while fleetd is away and resends those it
// never got a PUBACK for. The client never acknowledges on its own: the owner
// calls Ack() once the message is durable, from any thread, and acks go out
// in the order the publishes arrived (MQTT 5, 4.6). Reconnects with capped
// backoff; every handler runs on the one io_context thread it was given.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/metrics.h"
#include "listen/mqtt/mqtt_packet.h"

namespace fleetd::mqtt {

struct ClientOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 1883;
  bool tls = false;
  std::string ca_file;          // TLS: trust these CAs (else the system store)
  bool tls_verify = true;       // TLS: check the broker's certificate and name
  ConnectOptions connect;
  std::string subscribe;        // topic filter to subscribe at QoS 1 after each connect; empty: none
  size_t max_packet = 256 * 1024;  // announced to the broker; larger packets are an error
  std::chrono::milliseconds reconnect_min{200};
  std::chrono::milliseconds reconnect_max{5000};
  size_t max_write_queue_bytes = 16 * 1024 * 1024;  // outbound QoS 0 beyond this is dropped
};

class Client : public std::enable_shared_from_this<Client> {
 public:
  // Called for every batch of inbound publishes cut from one socket read.
  // Runs on the client's thread; must not block. The publishes' payloads
  // point into the read buffer and are valid only during the call. `epoch`
  // names the connection they came on; pass it back to Ack().
  using BatchHandler = std::function<void(const std::vector<Publish>& batch, uint64_t epoch)>;
  // Called on each (dis)connection, with why it failed or ended.
  using StateHandler = std::function<void(bool connected, const Status& why)>;

  Client(boost::asio::io_context& io, ClientOptions options, Metrics& metrics);
  ~Client();

  void set_batch_handler(BatchHandler h) { on_batch_ = std::move(h); }
  void set_state_handler(StateHandler h) { on_state_ = std::move(h); }

  // Starts connecting (and reconnecting). Call once, after the handlers.
  void Start();
  // Sends DISCONNECT and stops reconnecting. Any thread; returns at once.
  void Stop();

  // Acknowledges the QoS 1 message `packet_id` of connection `epoch`. Any
  // thread. Acks for an earlier connection are dropped: the broker resends
  // those messages on the new one, and the store's idempotent write makes
  // the second copy harmless.
  void Ack(uint64_t epoch, uint16_t packet_id);
  void Ack(uint64_t epoch, const std::vector<uint16_t>& packet_ids);

  // Drops the connection and reconnects, so the broker resends every
  // message not yet acknowledged (after a failed durable write). Any thread.
  void Reconnect(const Status& why);

  // Stops and resumes reading from the broker (backpressure). Client thread only.
  void PauseReading();
  void ResumeReading();

  // Publishes at QoS 0 or 1 (fire and forget: a QoS 1 message's PUBACK is
  // only counted). Any thread. kIoError when not connected right now.
  Status PublishMessage(std::string topic, std::string payload, uint8_t qos, bool retain);

  bool connected() const { return connected_.load(); }
  // Our QoS 1 publishes the broker has not acknowledged yet, and those it has.
  size_t outbound_inflight() const { return outbound_inflight_atomic_.load(); }
  int64_t outbound_acked() const { return outbound_acked_.load(); }
  uint64_t epoch() const { return epoch_.load(); }

 private:
  struct Transport;

  void Connect();
  void ScheduleReconnect(const Status& why);
  void OnConnected();
  void DoRead();
  void OnRead(const boost::system::error_code& ec, size_t n);
  bool HandlePacket(std::span<const uint8_t> packet, std::vector<Publish>& batch);
  void Send(std::vector<uint8_t> bytes);
  void DoWrite();
  void ArmKeepAlive();
  void Fail(const Status& why);
  void FlushAcks();

  boost::asio::io_context& io_;
  ClientOptions options_;
  Metrics& metrics_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  Status tls_error_;  // the CA file could not be loaded: every attempt fails with it
  std::unique_ptr<Transport> transport_;
  boost::asio::steady_timer reconnect_timer_;
  boost::asio::steady_timer keepalive_timer_;
  std::chrono::milliseconds backoff_;
  BatchHandler on_batch_;
  StateHandler on_state_;

  std::vector<uint8_t> buffer_;
  size_t begin_ = 0;
  size_t end_ = 0;
  bool reading_ = false;
  bool paused_ = false;
  bool handshake_done_ = false;  // CONNACK seen on this connection
  bool stopping_ = false;
  bool close_after_write_ = false;
  std::chrono::steady_clock::time_point last_inbound_;

  // Inbound QoS 1 packet ids in arrival order, and whether each is acked yet.
  std::deque<std::pair<uint16_t, bool>> unacked_;
  std::deque<std::vector<uint8_t>> write_queue_;
  size_t write_queue_bytes_ = 0;
  bool writing_ = false;
  uint16_t next_packet_id_ = 1;
  uint16_t server_receive_maximum_ = 65535;
  size_t outbound_inflight_ = 0;

  std::atomic<bool> connected_{false};
  std::atomic<size_t> outbound_inflight_atomic_{0};
  std::atomic<int64_t> outbound_acked_{0};
  std::atomic<uint64_t> epoch_{0};

  Counter& received_;
  Counter& acked_;
  Counter& connects_;
  Counter& dropped_out_;
};

}  // namespace fleetd::mqtt
