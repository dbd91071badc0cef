#include "listen/tcp_listener.h"

#include <boost/asio/post.hpp>

namespace fleetd {

namespace asio = boost::asio;
using asio::ip::tcp;

TcpListener::TcpListener(IoPool& pool, const ProtocolInfo& protocol, ListenerDeps deps,
                         ListenerOptions options)
    : pool_(pool),
      protocol_(protocol),
      deps_(deps),
      options_(options),
      acceptor_(pool.At(0)),
      connections_(deps.metrics.GetCounter("fleetd_connections_total", {{"protocol", protocol.name}},
                                           "Device connections accepted")) {}

TcpListener::~TcpListener() = default;

Status TcpListener::Start(const std::string& host, uint16_t port) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return Status(StatusCode::kInvalidArgument, "bad listen address '" + host + "'");
  tcp::endpoint endpoint(address, port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status(StatusCode::kIoError,
                  protocol_.name + " listener on " + host + ":" + std::to_string(port) + ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint().port();
  asio::post(acceptor_.get_executor(), [this] { DoAccept(); });
  return Status::Ok();
}

void TcpListener::DoAccept() {
  acceptor_.async_accept(pool_.Next(), [this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      DoAccept();  // e.g. EMFILE: keep serving the connections we have
      return;
    }
    boost::system::error_code opt_ec;
    socket.set_option(tcp::no_delay(true), opt_ec);
    connections_.Add();
    auto session = std::make_shared<TcpSession>(std::move(socket), protocol_, deps_, options_);
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      // Forget finished sessions now and then so the list stays small.
      if (sessions_.size() > 64 && sessions_.size() % 64 == 0) {
        std::erase_if(sessions_, [](const auto& w) { return w.expired(); });
      }
      sessions_.push_back(session);
    }
    session->Start();
    DoAccept();
  });
}

void TcpListener::Stop() {
  std::vector<std::weak_ptr<TcpSession>> sessions;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    sessions.swap(sessions_);
  }
  // The acceptor belongs to its context's thread; close it there. The owner
  // stops the pool after Stop() and destroys the listener after the pool.
  asio::post(acceptor_.get_executor(), [this] {
    boost::system::error_code ec;
    acceptor_.close(ec);
  });
  for (auto& w : sessions) {
    if (auto s = w.lock()) s->Close();
  }
}

}  // namespace fleetd
