// ApiServer: the HTTP + WebSocket front door (Boost.Beast over Asio).
//
// The app owns the io_context and the threads that run it; the server only
// posts work to it. Each connection gets its own strand, a read timeout, a
// body limit (413) and keep-alive; routing is in router.h, the live feed in
// websocket_session.h. This header stays Beast-free so the app's
// translation units compile quickly.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "api/api_context.h"
#include "fleetd/status.h"

namespace boost::asio {
class io_context;
}

namespace fleetd::api {

class ApiServer {
 public:
  // `bind_address` is an IP literal ("0.0.0.0", "127.0.0.1", "::"); port 0
  // picks a free port (see port()). Nothing happens until Start().
  ApiServer(boost::asio::io_context& ioc, std::string bind_address, uint16_t port, ApiContext context);
  // Stop()s. Safe while the io_context still runs or after it stopped.
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds, listens, subscribes to live updates and starts accepting on the
  // io_context. kInvalidArgument for a bad address, kIoError when binding
  // fails (port in use, permission). Call once, from any thread.
  Status Start();

  // The bound port after a successful Start(), else 0.
  uint16_t port() const;

  // Stops accepting, closes HTTP sessions, sends WebSocket clients a
  // "going away" close and unsubscribes from live updates. Returns at once;
  // the closes complete on the io_context threads. Idempotent, any thread.
  void Stop();

 private:
  class Listener;
  std::shared_ptr<Listener> listener_;
  std::string bind_address_;
  uint16_t bind_port_;
};

}  // namespace fleetd::api
