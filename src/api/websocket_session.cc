// See websocket_session.h. Beast-heavy: keep logic in stream_messages.cc
// and live_hub.cc.
#include "api/websocket_session.h"

#include <boost/asio/post.hpp>

#include "api/live_view.h"
#include "api/stream_messages.h"

namespace fleetd::api {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace websocket = beast::websocket;

WebsocketSession::WebsocketSession(net::ip::tcp::socket&& socket, std::shared_ptr<ServerState> state,
                                   JwtClaims claims)
    : ws_(std::move(socket)),
      state_(std::move(state)),
      claims_(std::move(claims)),
      conflated_(state_->metrics().GetCounter(
          "fleetd_ws_updates_conflated_total", {},
          "Live updates a slow client never got: replaced by a newer fix of the same vehicle, or older than the queued one")) {}

WebsocketSession::~WebsocketSession() { Unregister(); }

void WebsocketSession::Unregister() {
  if (hub_id_) state_->hub().Remove(*hub_id_);
  hub_id_.reset();
}

void WebsocketSession::Run(http::request<http::string_body> upgrade) {
  upgrade_ = std::move(upgrade);
  // The websocket stream runs its own timers (handshake, idle pings).
  beast::get_lowest_layer(ws_).expires_never();
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "fleetd"); }));
  ws_.read_message_max(state_->ctx().ws_read_limit);
  ws_.async_accept(upgrade_, beast::bind_front_handler(&WebsocketSession::OnAccept, shared_from_this()));
}

void WebsocketSession::OnAccept(beast::error_code ec) {
  if (ec) return;
  state_->metrics().GetCounter("fleetd_ws_sessions_opened_total", {}, "WebSocket feed sessions accepted").Add();
  hub_id_ = state_->hub().Add(claims_.tenant_id, weak_from_this());
  if (!hub_id_) {  // server stopping
    BeginClosing();
    ws_.async_close(websocket::close_code::going_away, [self = shared_from_this()](beast::error_code) {});
    return;
  }
  // Registered first, then the snapshot: updates posted meanwhile queue
  // behind it, so the client never sees a state older than one it had.
  QueueSnapshot(std::nullopt);
}

void WebsocketSession::QueueSnapshot(VehicleFilter filter) {
  {
    std::lock_guard lock(out_mu_);
    snapshot_at_ = out_front_ + out_.size();  // what is queued now goes out first
    // A position queued before it must not be replaced by a newer one,
    // which would then reach the client before the older snapshot.
    queued_.clear();
  }
  // Reading the live state and the store waits on their servers: on the
  // query pool, not this io thread. Client messages are read again only
  // once the snapshot is queued, so snapshots of two subscribes never cross.
  auto job = [self = shared_from_this(), filter = std::move(filter)] {
    self->PutSnapshot(SnapshotJson(self->Snapshot(), filter));
    net::post(self->ws_.get_executor(), [self] {
      if (!self->closing_) self->DoRead();
    });
  };
  if (state_->query_work().TrySubmit(std::move(job))) return;
  BeginClosing();
  Unregister();
  // Overloaded: the client retries later. Stopping: it is going away.
  const auto code = state_->stopping() ? websocket::close_code::going_away : websocket::close_code::try_again_later;
  ws_.async_close(code, [self = shared_from_this()](beast::error_code) {});
}

void WebsocketSession::PutSnapshot(std::string text) {
  bool start_writer = false;
  {
    std::lock_guard lock(out_mu_);
    const uint64_t at = *snapshot_at_;
    snapshot_at_.reset();
    // Into its place in the queue: after what was queued when it was asked
    // for, before every update since (those are as new as it, or newer).
    out_.insert(out_.begin() + static_cast<std::ptrdiff_t>(at - out_front_),
                Outgoing{std::string(), 0, std::make_shared<const std::string>(std::move(text))});
    for (auto& [uid, seq] : queued_) ++seq;  // all queued after `at`: QueueSnapshot emptied queued_
    start_writer = !writer_busy_;
    writer_busy_ = true;
  }
  if (start_writer) net::post(ws_.get_executor(), [self = shared_from_this()] { self->WriteNext(); });
}

std::vector<Message> WebsocketSession::Snapshot() {
  auto all = state_->ctx().live.Snapshot(claims_.tenant_id);
  auto registered = state_->router().registered().Filter(claims_.tenant_id, all);
  // The store unreachable: the feed still starts, removed devices included,
  // rather than with nothing on the map.
  return registered.ok() ? std::move(*registered) : std::move(all);
}

void WebsocketSession::DoRead() {
  ws_.async_read(buffer_, beast::bind_front_handler(&WebsocketSession::OnRead, shared_from_this()));
}

void WebsocketSession::OnRead(beast::error_code ec, size_t) {
  if (ec) {  // closed by the peer, timed out, too large, or dropped by us
    Unregister();
    return;
  }
  std::string text = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  auto filter = ParseSubscribe(text);
  if (!filter.ok()) {
    EnqueueLocal(StreamErrorJson(filter.status().message()));
  } else if (hub_id_) {
    state_->hub().SetFilter(*hub_id_, *filter);
    // A fresh snapshot of the narrowed set, so the client can redraw; the
    // next client message is read once it is queued.
    return QueueSnapshot(std::move(*filter));
  }
  DoRead();
}

void WebsocketSession::Deliver(const Update& update, std::shared_ptr<const std::string> text) {
  Enqueue(&update, std::move(text));
}

void WebsocketSession::EnqueueLocal(std::string text) {
  Enqueue(nullptr, std::make_shared<const std::string>(std::move(text)));
}

void WebsocketSession::Enqueue(const Update* update, std::shared_ptr<const std::string> text) {
  // Closing: nothing more is sent, so nothing is queued (a queue filling up
  // behind a close would count the client as dropped for being slow).
  if (closing_feed_.load(std::memory_order_relaxed)) return;
  bool start_writer = false, replaced = false, too_many = false;
  {
    std::lock_guard lock(out_mu_);
    if (update != nullptr && update->replaceable) {
      auto [it, fresh] = queued_.try_emplace(update->device_uid, out_front_ + out_.size());
      if (!fresh) {
        Outgoing& queued = out_[it->second - out_front_];
        if (queued.recency <= update->recency) {  // of equal fixes the later, as the live state keeps
          queued.recency = update->recency;
          queued.text = std::move(text);
        }
        replaced = true;
      }
    } else if (update != nullptr) {
      // An alarm or a status update: the vehicle's later positions queue
      // behind it, never jumping ahead into an earlier slot.
      queued_.erase(update->device_uid);
    }
    if (!replaced) {
      const bool keyed = update != nullptr && update->replaceable;
      out_.push_back(Outgoing{keyed ? update->device_uid : std::string(), keyed ? update->recency : 0,
                              std::move(text)});
      too_many = out_.size() > state_->ctx().ws_queue_limit;
      start_writer = !writer_busy_ && !too_many;
      writer_busy_ = writer_busy_ || start_writer;
    }
  }
  if (replaced) {
    conflated_.Add();
  } else if (too_many) {
    Drop();
  } else if (start_writer) {
    net::post(ws_.get_executor(), [self = shared_from_this()] { self->WriteNext(); });
  }
}

void WebsocketSession::WriteNext() {
  {
    std::lock_guard lock(out_mu_);
    const bool at_pending_snapshot = snapshot_at_ && *snapshot_at_ == out_front_;
    if (out_.empty() || at_pending_snapshot || closing_feed_.load(std::memory_order_relaxed)) {
      writer_busy_ = false;  // PutSnapshot starts it again
      return;
    }
    Outgoing& front = out_.front();
    if (!front.device_uid.empty()) {  // its next update queues anew
      auto it = queued_.find(front.device_uid);
      if (it != queued_.end() && it->second == out_front_) queued_.erase(it);
    }
    writing_ = std::move(front.text);
    out_.pop_front();
    ++out_front_;
  }
  ws_.text(true);
  ws_.async_write(net::buffer(*writing_), beast::bind_front_handler(&WebsocketSession::OnWrite, shared_from_this()));
}

void WebsocketSession::OnWrite(beast::error_code ec, size_t) {
  writing_.reset();
  if (ec) {
    HardClose();
    return;
  }
  WriteNext();  // closing_: goes idle
}

void WebsocketSession::Drop() {
  if (dropped_.exchange(true)) return;
  closing_feed_ = true;  // nothing more is queued or written; HardClose follows on the strand
  state_->metrics()
      .GetCounter("fleetd_ws_dropped_slow_total", {}, "WebSocket clients disconnected for falling behind")
      .Add();
  net::post(ws_.get_executor(), [self = shared_from_this()] { self->HardClose(); });
}

void WebsocketSession::BeginClosing() {
  closing_ = true;
  closing_feed_ = true;
}

void WebsocketSession::HardClose() {
  BeginClosing();
  Unregister();
  beast::get_lowest_layer(ws_).close();  // pending read/write complete with errors
}

void WebsocketSession::Close() {
  net::post(ws_.get_executor(), [self = shared_from_this()] {
    if (self->closing_) return;
    self->BeginClosing();
    self->ws_.async_close(websocket::close_code::going_away, [self](beast::error_code) {});
  });
}

}  // namespace fleetd::api
