// UdpListener: datagram devices (Teltonika over UDP) on one protocol's port.
//
// A datagram is one frame and carries the device's identity, so there is no
// connection state: each is decoded on its own, its messages published, and
// the acknowledgement sent back to the sender only once the batch is
// durable. A full queue drops the datagram unacknowledged (counted) — the
// device resends it, which is UDP's own recovery, and nothing acknowledged
// is lost.
#pragma once

#include <array>
#include <memory>
#include <string>

#include <boost/asio/ip/udp.hpp>

#include "listen/io_pool.h"
#include "listen/tcp_session.h"

namespace fleetd {

class UdpListener {
 public:
  // `protocol.make_datagram_decoder` must be set.
  UdpListener(IoPool& pool, const ProtocolInfo& protocol, ListenerDeps deps, ListenerOptions options);
  ~UdpListener();  // call after the pool has stopped

  // Binds host:port (port 0 picks one). Errors: kInvalidArgument, kIoError.
  Status Start(const std::string& host, uint16_t port);
  uint16_t port() const { return port_; }
  const std::string& protocol_name() const { return protocol_.name; }
  // Stops receiving. Idempotent; thread-safe.
  void Stop();

 private:
  void DoReceive();
  void Handle(size_t n);

  const ProtocolInfo& protocol_;
  ListenerDeps deps_;
  ListenerOptions options_;
  boost::asio::ip::udp::socket socket_;
  std::unique_ptr<Decoder> decoder_;
  std::array<uint8_t, 65536> buffer_{};
  boost::asio::ip::udp::endpoint sender_;
  uint16_t port_ = 0;
  Counter& datagrams_;
};

}  // namespace fleetd
