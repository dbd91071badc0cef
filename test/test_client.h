// Small blocking clients for the end-to-end suites: HTTP, WebSocket and a raw
// TCP device, each with a timeout on every read so a broken server fails the
// test instead of hanging it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <nlohmann/json.hpp>

namespace fleetd::test {

struct HttpResponse {
  int status = 0;
  std::string body;
  nlohmann::json Json() const { return nlohmann::json::parse(body, nullptr, false); }
};

// One request per connection. `token` adds "Authorization: Bearer <token>".
HttpResponse Http(uint16_t port, const std::string& method, const std::string& target,
                  const std::string& body = "", const std::string& token = "");

class WsClient {
 public:
  // Connects and upgrades; ok() tells whether the server accepted.
  WsClient(uint16_t port, const std::string& target, const std::string& bearer = "");
  bool ok() const { return ok_; }
  // The next text message as JSON, or nullopt after `timeout`.
  std::optional<nlohmann::json> Read(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // The next text message as it came, or nullopt after `timeout`.
  std::optional<std::string> ReadText(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  void Send(const std::string& text);

 private:
  boost::asio::io_context io_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  bool ok_ = false;
};

// A tracker's side of a TCP connection, on plain blocking sockets with poll()
// timeouts.
class DeviceClient {
 public:
  explicit DeviceClient(uint16_t port);
  ~DeviceClient();
  DeviceClient(const DeviceClient&) = delete;
  DeviceClient& operator=(const DeviceClient&) = delete;

  void Send(const std::vector<uint8_t>& bytes);
  // Reads exactly n bytes, or returns what arrived before the timeout/close.
  std::vector<uint8_t> Read(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // True if the server closed the connection within the timeout (data before
  // the close is discarded).
  bool ClosedByPeer(std::chrono::milliseconds timeout = std::chrono::seconds(5));

 private:
  int fd_ = -1;
};

}  // namespace fleetd::test
