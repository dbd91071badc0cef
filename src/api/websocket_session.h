// WebsocketSession: one client of the live feed at /api/v1/stream.
//
// Created by the HTTP session after the upgrade request was authenticated.
// On accept it registers with the LiveHub and queues one "snapshot"
// message; afterwards it forwards the tenant's telemetry_update messages
// (narrowed by a client "subscribe"). Formats: stream_messages.h.
//
// Threads: every member runs on the connection's strand except Deliver()
// and Close(), which post to it. One writer; the outgoing queue holds at
// most ApiContext::ws_queue_limit messages (posted and queued alike) — a
// client that falls that far behind is disconnected and counted in
// fleetd_ws_dropped_slow_total, so ingestion never waits for it.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "api/jwt.h"
#include "api/server_state.h"

namespace fleetd::api {

class WebsocketSession : public std::enable_shared_from_this<WebsocketSession>, public LiveSink {
 public:
  WebsocketSession(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<ServerState> state,
                   JwtClaims claims);
  ~WebsocketSession() override;

  // Completes the handshake for `upgrade` (already authenticated).
  void Run(boost::beast::http::request<boost::beast::http::string_body> upgrade);

  void Deliver(std::shared_ptr<const std::string> text) override;
  void Close() override;

 private:
  void OnAccept(boost::beast::error_code ec);
  // The tenant's live state, registered devices only (live_view.h).
  std::vector<Message> Snapshot();
  void DoRead();
  void OnRead(boost::beast::error_code ec, size_t bytes);
  void Enqueue(std::shared_ptr<const std::string> text);  // strand; pending_ already counted
  void EnqueueLocal(std::string text);                    // strand; counts pending_
  void DoWrite();
  void OnWrite(boost::beast::error_code ec, size_t bytes);
  void Drop();       // slow client: count it and hard-close
  void HardClose();  // strand
  void Unregister();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  std::shared_ptr<ServerState> state_;
  JwtClaims claims_;
  boost::beast::http::request<boost::beast::http::string_body> upgrade_;
  boost::beast::flat_buffer buffer_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  std::atomic<size_t> pending_{0};  // posted + queued, checked by Deliver
  std::atomic<bool> dropped_{false};
  std::optional<uint64_t> hub_id_;
  bool closing_ = false;  // strand: no new writes once set
};

}  // namespace fleetd::api
