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
    : ws_(std::move(socket)), state_(std::move(state)), claims_(std::move(claims)) {}

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
    closing_ = true;
    ws_.async_close(websocket::close_code::going_away, [self = shared_from_this()](beast::error_code) {});
    return;
  }
  // Registered first, then the snapshot: updates posted meanwhile queue
  // behind it, so the client never sees a state older than one it had.
  EnqueueLocal(SnapshotJson(Snapshot(), std::nullopt));
  DoRead();
}

std::vector<Message> WebsocketSession::Snapshot() {
  auto all = state_->ctx().live.Snapshot(claims_.tenant_id);
  auto registered = RegisteredOnly(state_->ctx().store, claims_.tenant_id, all);
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
    // A fresh snapshot of the narrowed set, so the client can redraw.
    EnqueueLocal(SnapshotJson(Snapshot(), *filter));
  }
  DoRead();
}

void WebsocketSession::Deliver(std::shared_ptr<const std::string> text) {
  if (dropped_.load(std::memory_order_relaxed)) return;
  if (pending_.fetch_add(1) >= state_->ctx().ws_queue_limit) {
    pending_.fetch_sub(1);
    Drop();
    return;
  }
  net::post(ws_.get_executor(), [self = shared_from_this(), text = std::move(text)]() mutable {
    self->Enqueue(std::move(text));
  });
}

void WebsocketSession::EnqueueLocal(std::string text) {
  pending_.fetch_add(1);
  Enqueue(std::make_shared<const std::string>(std::move(text)));
}

void WebsocketSession::Enqueue(std::shared_ptr<const std::string> text) {
  if (closing_ || dropped_.load(std::memory_order_relaxed)) {
    pending_.fetch_sub(1);
    return;
  }
  queue_.push_back(std::move(text));
  if (queue_.size() == 1) DoWrite();
}

void WebsocketSession::DoWrite() {
  ws_.text(true);
  ws_.async_write(net::buffer(*queue_.front()),
                  beast::bind_front_handler(&WebsocketSession::OnWrite, shared_from_this()));
}

void WebsocketSession::OnWrite(beast::error_code ec, size_t) {
  queue_.pop_front();
  pending_.fetch_sub(1);
  if (ec || closing_) {
    pending_.fetch_sub(queue_.size());
    queue_.clear();
    if (ec) HardClose();
    return;
  }
  if (!queue_.empty()) DoWrite();
}

void WebsocketSession::Drop() {
  if (dropped_.exchange(true)) return;
  state_->metrics()
      .GetCounter("fleetd_ws_dropped_slow_total", {}, "WebSocket clients disconnected for falling behind")
      .Add();
  net::post(ws_.get_executor(), [self = shared_from_this()] { self->HardClose(); });
}

void WebsocketSession::HardClose() {
  closing_ = true;
  Unregister();
  beast::get_lowest_layer(ws_).close();  // pending read/write complete with errors
}

void WebsocketSession::Close() {
  net::post(ws_.get_executor(), [self = shared_from_this()] {
    if (self->closing_) return;
    self->closing_ = true;
    self->ws_.async_close(websocket::close_code::going_away, [self](beast::error_code) {});
  });
}

}  // namespace fleetd::api
