// WebsocketSession: one client of the live feed at /api/v1/stream.
//
// Created by the HTTP session after the upgrade request was authenticated.
// On accept it registers with the LiveHub and queues one "snapshot"
// message; afterwards it forwards the tenant's telemetry_update messages
// (narrowed by a client "subscribe"). Formats: stream_messages.h.
//
// Threads: every member runs on the connection's strand except Deliver()
// and Close(), which post to it. One writer. The outgoing queue keeps one
// position per vehicle: a position of a vehicle whose last one is still
// queued replaces it in place (or, when it is the older fix — a
// retransmission, a device's buffered history — is dropped; alarms and
// status updates are never replaced, and later positions queue behind
// them), so a client that reads slower than the fleet
// reports (a phone, a congested link, a burst) gets each vehicle's newest
// position instead of a growing backlog, and the queue is bounded by the
// vehicles it watches. Only a queue of more than ApiContext::ws_queue_limit
// messages (distinct vehicles, snapshots, errors) disconnects the client,
// counted in fleetd_ws_dropped_slow_total; replaced updates are counted in
// fleetd_ws_updates_conflated_total. Ingestion never waits for a client.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "api/jwt.h"
#include "core/metrics.h"
#include "api/server_state.h"

namespace fleetd::api {

class WebsocketSession : public std::enable_shared_from_this<WebsocketSession>, public LiveSink {
 public:
  WebsocketSession(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<ServerState> state,
                   JwtClaims claims);
  ~WebsocketSession() override;

  // Completes the handshake for `upgrade` (already authenticated).
  void Run(boost::beast::http::request<boost::beast::http::string_body> upgrade);

  void Deliver(const Update& update, std::shared_ptr<const std::string> text) override;
  void Close() override;

 private:
  void OnAccept(boost::beast::error_code ec);
  // The tenant's live state, registered devices only (live_view.h).
  std::vector<Message> Snapshot();
  void DoRead();
  void OnRead(boost::beast::error_code ec, size_t bytes);
  // Queues `text`: an update (null: a snapshot or an error) as LiveSink::Deliver says. Any thread.
  void Enqueue(const Update* update, std::shared_ptr<const std::string> text);
  void EnqueueLocal(std::string text);  // an error: never replaced
  // Strand: builds a snapshot (narrowed by `filter`) on the query pool and
  // queues it where the queue ends now, then reads the next client message.
  void QueueSnapshot(VehicleFilter filter);
  void PutSnapshot(std::string text);  // any thread
  void WriteNext();                     // strand: the queue's front, or the writer goes idle
  void OnWrite(boost::beast::error_code ec, size_t bytes);
  void Drop();       // slow client: count it and hard-close
  void HardClose();  // strand
  void BeginClosing();  // strand: no new writes, and nothing more queued
  void Unregister();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  std::shared_ptr<ServerState> state_;
  JwtClaims claims_;
  boost::beast::http::request<boost::beast::http::string_body> upgrade_;
  boost::beast::flat_buffer buffer_;
  struct Outgoing {
    std::string device_uid;  // of a replaceable position; empty: never replaced
    TimestampMs recency = 0;
    std::shared_ptr<const std::string> text;
  };
  std::mutex out_mu_;  // guards the five below: Deliver runs on the feed's thread
  std::deque<Outgoing> out_;                         // not being written yet
  std::unordered_map<std::string, uint64_t> queued_;  // vehicle -> the number of its replaceable position in out_
  uint64_t out_front_ = 0;                            // the number of out_.front()
  bool writer_busy_ = false;  // a write in flight, or WriteNext posted
  std::optional<uint64_t> snapshot_at_;  // a snapshot being built goes in at this number
  std::shared_ptr<const std::string> writing_;  // strand: the message being written
  std::atomic<bool> dropped_{false};       // counted once
  std::atomic<bool> closing_feed_{false};  // set with closing_ and by Drop: nothing more is queued or written
  Counter& conflated_;
  std::optional<uint64_t> hub_id_;
  bool closing_ = false;  // strand: no new writes once set
};

}  // namespace fleetd::api
