#include "test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace fleetd::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

HttpResponse Http(uint16_t port, const std::string& method, const std::string& target, const std::string& body,
                  const std::string& token) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(10));
  beast::error_code ec;
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return {};
  http::request<http::string_body> req(http::string_to_verb(method), target, 11);
  req.set(http::field::host, "127.0.0.1");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  http::write(stream, req, ec);
  if (ec) return {};
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res, ec);
  if (ec) return {};
  return HttpResponse{static_cast<int>(res.result_int()), res.body()};
}

WsClient::WsClient(uint16_t port, const std::string& target, const std::string& bearer) : ws_(io_) {
  beast::error_code ec;
  beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(10));
  beast::get_lowest_layer(ws_).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return;
  if (!bearer.empty()) {
    ws_.set_option(beast::websocket::stream_base::decorator(
        [bearer](beast::websocket::request_type& req) { req.set(http::field::authorization, "Bearer " + bearer); }));
  }
  ws_.handshake("127.0.0.1", target, ec);
  beast::get_lowest_layer(ws_).expires_never();
  ok_ = !ec;
}

std::optional<nlohmann::json> WsClient::Read(std::chrono::milliseconds timeout) {
  auto text = ReadText(timeout);
  if (!text) return std::nullopt;
  return nlohmann::json::parse(*text, nullptr, false);
}

std::optional<std::string> WsClient::ReadText(std::chrono::milliseconds timeout) {
  bool done = false;
  beast::error_code result;
  buffer_.clear();
  ws_.async_read(buffer_, [&](beast::error_code ec, size_t) {
    done = true;
    result = ec;
  });
  io_.restart();
  io_.run_for(timeout);
  if (!done) {
    beast::get_lowest_layer(ws_).cancel();
    io_.restart();
    io_.run_for(std::chrono::seconds(1));
    ok_ = false;  // a cancelled read leaves the websocket unusable
    return std::nullopt;
  }
  if (result) return std::nullopt;
  return beast::buffers_to_string(buffer_.data());
}

void WsClient::Send(const std::string& text) {
  beast::error_code ec;
  ws_.text(true);
  ws_.write(asio::buffer(text), ec);
}

DeviceClient::DeviceClient(uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

DeviceClient::~DeviceClient() {
  if (fd_ >= 0) ::close(fd_);
}

void DeviceClient::Send(const std::vector<uint8_t>& bytes) {
  size_t sent = 0;
  while (fd_ >= 0 && sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

namespace {
// Waits for readability until `deadline`; false on timeout.
bool WaitReadable(int fd, std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(left.count())) > 0;
}
}  // namespace

std::vector<uint8_t> DeviceClient::Read(size_t n, std::chrono::milliseconds timeout) {
  std::vector<uint8_t> out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  uint8_t buf[4096];
  while (fd_ >= 0 && out.size() < n && WaitReadable(fd_, deadline)) {
    ssize_t got = ::recv(fd_, buf, std::min(sizeof buf, n - out.size()), 0);
    if (got <= 0) break;
    out.insert(out.end(), buf, buf + got);
  }
  return out;
}

bool DeviceClient::ClosedByPeer(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  uint8_t buf[4096];
  while (fd_ >= 0 && WaitReadable(fd_, deadline)) {
    ssize_t got = ::recv(fd_, buf, sizeof buf, 0);
    if (got <= 0) return true;  // orderly close or reset
  }
  return false;
}

}  // namespace fleetd::test
