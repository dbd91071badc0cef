// TcpListener: accepts device connections for one protocol on one endpoint.
//
// The acceptor runs on one context of the pool; each accepted socket is
// placed on the next context round-robin, where its TcpSession lives.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "listen/io_pool.h"
#include "listen/tcp_session.h"

namespace fleetd {

class TcpListener {
 public:
  TcpListener(IoPool& pool, const ProtocolInfo& protocol, ListenerDeps deps, ListenerOptions options);
  ~TcpListener();  // call after the pool has stopped

  // Binds and starts accepting. "0.0.0.0:5023"-style host and port; port 0
  // picks a free one (see port()). Errors: kInvalidArgument, kIoError.
  Status Start(const std::string& host, uint16_t port);
  uint16_t port() const { return port_; }
  const std::string& protocol_name() const { return protocol_.name; }

  // Stops accepting and closes every session. Idempotent; thread-safe.
  void Stop();

 private:
  void DoAccept();

  IoPool& pool_;
  const ProtocolInfo& protocol_;
  ListenerDeps deps_;
  ListenerOptions options_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::mutex mu_;
  std::vector<std::weak_ptr<TcpSession>> sessions_;
  bool stopped_ = false;
  Counter& connections_;
};

}  // namespace fleetd
