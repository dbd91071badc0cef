#include "listen/mqtt/mqtt_client.h"

#include <algorithm>
#include <cstring>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

namespace fleetd::mqtt {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;

// The socket of one connection attempt, plain or TLS. A new one per attempt,
// so handlers of a dead connection can tell (by epoch) that they are stale.
struct Client::Transport {
  Transport(asio::io_context& io, asio::ssl::context* tls) : resolver(io) {
    if (tls) {
      stream = std::make_unique<asio::ssl::stream<tcp::socket>>(io, *tls);
    } else {
      socket = std::make_unique<tcp::socket>(io);
    }
  }
  tcp::socket& lowest() { return stream ? stream->next_layer() : *socket; }
  template <typename Buffers, typename Handler>
  void AsyncReadSome(const Buffers& b, Handler&& h) {
    if (stream) {
      stream->async_read_some(b, std::forward<Handler>(h));
    } else {
      socket->async_read_some(b, std::forward<Handler>(h));
    }
  }
  template <typename Buffers, typename Handler>
  void AsyncWrite(const Buffers& b, Handler&& h) {
    if (stream) {
      asio::async_write(*stream, b, std::forward<Handler>(h));
    } else {
      asio::async_write(*socket, b, std::forward<Handler>(h));
    }
  }
  void Close() {
    error_code ignored;
    lowest().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close(ignored);
  }

  tcp::resolver resolver;
  std::unique_ptr<tcp::socket> socket;
  std::unique_ptr<asio::ssl::stream<tcp::socket>> stream;
};

Client::Client(asio::io_context& io, ClientOptions options, Metrics& metrics)
    : io_(io),
      options_(std::move(options)),
      metrics_(metrics),
      reconnect_timer_(io),
      keepalive_timer_(io),
      backoff_(options_.reconnect_min),
      received_(metrics.GetCounter("fleetd_mqtt_received_total", {}, "MQTT messages received from the broker")),
      acked_(metrics.GetCounter("fleetd_mqtt_acked_total", {}, "MQTT messages acknowledged to the broker")),
      connects_(metrics.GetCounter("fleetd_mqtt_connects_total", {}, "Successful connections to the MQTT broker")),
      dropped_out_(metrics.GetCounter("fleetd_mqtt_publish_dropped_total", {},
                                      "Outbound MQTT messages dropped (not connected or queue full)")) {
  if (options_.tls) {
    tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    error_code ec;
    if (!options_.ca_file.empty()) {
      tls_->load_verify_file(options_.ca_file, ec);
    } else {
      tls_->set_default_verify_paths(ec);
    }
    if (ec) {
      tls_error_ = Status(StatusCode::kInvalidArgument, "cannot load the CA certificates " +
                                                            (options_.ca_file.empty() ? "of the system" : "'" + options_.ca_file + "'") +
                                                            ": " + ec.message());
    }
    tls_->set_verify_mode(options_.tls_verify ? asio::ssl::verify_peer : asio::ssl::verify_none);
  }
  if (options_.connect.maximum_packet_size == 0) {
    options_.connect.maximum_packet_size = static_cast<uint32_t>(options_.max_packet);
  }
  buffer_.resize(std::max<size_t>(options_.max_packet * 2, 64 * 1024));
}

Client::~Client() = default;

void Client::Start() {
  asio::post(io_, [self = shared_from_this()] { self->Connect(); });
}

void Client::Stop() {
  asio::post(io_, [self = shared_from_this()] {
    self->stopping_ = true;
    self->reconnect_timer_.cancel();
    self->keepalive_timer_.cancel();
    if (!self->transport_) return;
    if (self->handshake_done_) {
      // Normal disconnection: the broker keeps the session (and the unacked
      // messages) for session_expiry_s.
      std::vector<uint8_t> bytes;
      EncodeDisconnect(0, bytes);
      self->close_after_write_ = true;
      self->Send(std::move(bytes));
    } else {
      self->transport_->Close();
    }
    self->connected_ = false;
  });
}

void Client::Connect() {
  if (stopping_) return;
  if (!tls_error_.ok()) return ScheduleReconnect(tls_error_);
  const uint64_t epoch = ++epoch_;
  transport_ = std::make_unique<Transport>(io_, tls_.get());
  begin_ = end_ = 0;
  reading_ = false;
  handshake_done_ = false;
  close_after_write_ = false;
  unacked_.clear();
  write_queue_.clear();
  write_queue_bytes_ = 0;
  writing_ = false;
  outbound_inflight_ = 0;
  outbound_inflight_atomic_ = 0;
  last_inbound_ = std::chrono::steady_clock::now();
  auto self = shared_from_this();
  transport_->resolver.async_resolve(
      options_.host, std::to_string(options_.port),
      [this, self, epoch](const error_code& ec, tcp::resolver::results_type results) {
        if (epoch != epoch_ || stopping_) return;
        if (ec) return ScheduleReconnect(Status(StatusCode::kIoError, "resolve " + options_.host + ": " + ec.message()));
        asio::async_connect(transport_->lowest(), results, [this, self, epoch](const error_code& ec, const tcp::endpoint&) {
          if (epoch != epoch_ || stopping_) return;
          if (ec) {
            return ScheduleReconnect(Status(StatusCode::kIoError, "connect to " + options_.host + ":" +
                                                                      std::to_string(options_.port) + ": " + ec.message()));
          }
          error_code ignored;
          transport_->lowest().set_option(tcp::no_delay(true), ignored);
          if (!transport_->stream) return OnConnected();
          if (options_.tls_verify) {
            transport_->stream->set_verify_callback(asio::ssl::host_name_verification(options_.host));
          }
          error_code not_ip;
          asio::ip::make_address(options_.host, not_ip);
          if (not_ip) SSL_set_tlsext_host_name(transport_->stream->native_handle(), options_.host.c_str());  // SNI: names only
          transport_->stream->async_handshake(asio::ssl::stream_base::client, [this, self, epoch](const error_code& ec) {
            if (epoch != epoch_ || stopping_) return;
            if (ec) return ScheduleReconnect(Status(StatusCode::kIoError, "TLS handshake: " + ec.message()));
            OnConnected();
          });
        });
      });
}

void Client::ScheduleReconnect(const Status& why) {
  connected_ = false;
  if (transport_) transport_->Close();
  keepalive_timer_.cancel();
  if (on_state_) on_state_(false, why);
  if (stopping_) return;
  reconnect_timer_.expires_after(backoff_);
  backoff_ = std::min(backoff_ * 2, options_.reconnect_max);
  reconnect_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (!ec) self->Connect();
  });
}

void Client::Fail(const Status& why) { ScheduleReconnect(why); }

void Client::OnConnected() {
  std::vector<uint8_t> bytes;
  EncodeConnect(options_.connect, bytes);
  Send(std::move(bytes));
  DoRead();
  ArmKeepAlive();
}

void Client::ArmKeepAlive() {
  // Until CONNACK: a connect timeout. After: PINGREQ every half keep-alive,
  // and a broker silent for 1.5 keep-alives is taken for dead.
  const auto keep_alive = std::chrono::seconds(std::max<uint16_t>(options_.connect.keep_alive_s, 2));
  keepalive_timer_.expires_after(handshake_done_ ? keep_alive / 2 : std::chrono::seconds(10));
  const uint64_t epoch = epoch_;
  keepalive_timer_.async_wait([this, self = shared_from_this(), epoch, keep_alive](const error_code& ec) {
    if (ec || epoch != epoch_ || stopping_) return;
    if (!handshake_done_) return Fail(Status(StatusCode::kIoError, "no CONNACK within 10 s"));
    if (std::chrono::steady_clock::now() - last_inbound_ > keep_alive * 3 / 2) {
      return Fail(Status(StatusCode::kIoError, "broker silent past the keep-alive"));
    }
    std::vector<uint8_t> ping;
    EncodePingreq(ping);
    Send(std::move(ping));
    ArmKeepAlive();
  });
}

void Client::DoRead() {
  if (reading_ || paused_ || !transport_) return;
  if (begin_ > 0 && begin_ == end_) begin_ = end_ = 0;
  if (end_ == buffer_.size() && begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  reading_ = true;
  const uint64_t epoch = epoch_;
  transport_->AsyncReadSome(asio::buffer(buffer_.data() + end_, buffer_.size() - end_),
                            [this, self = shared_from_this(), epoch](const error_code& ec, size_t n) {
                              if (epoch != epoch_) return;
                              reading_ = false;
                              OnRead(ec, n);
                            });
}

void Client::OnRead(const error_code& ec, size_t n) {
  if (stopping_) return;
  if (ec) return Fail(Status(StatusCode::kIoError, "broker connection: " + ec.message()));
  end_ += n;
  last_inbound_ = std::chrono::steady_clock::now();
  std::vector<Publish> batch;
  const uint64_t epoch = epoch_;
  while (begin_ < end_) {
    auto framed = FramePacket(std::span<const uint8_t>(buffer_.data() + begin_, end_ - begin_), options_.max_packet);
    if (!framed.ok()) return Fail(framed.status());
    if (*framed == 0) break;
    if (!HandlePacket(std::span<const uint8_t>(buffer_.data() + begin_, *framed), batch)) return;
    begin_ += *framed;
  }
  if (!batch.empty()) {
    received_.Add(static_cast<int64_t>(batch.size()));
    if (on_batch_) on_batch_(batch, epoch);
  }
  if (epoch != epoch_) return;  // the handler's calls may have failed the connection
  if (end_ == buffer_.size() && begin_ == 0) {
    return Fail(Status(StatusCode::kBadLength, "packet larger than the read buffer"));
  }
  DoRead();
}

bool Client::HandlePacket(std::span<const uint8_t> packet, std::vector<Publish>& batch) {
  switch (TypeOf(packet)) {
    case PacketType::kConnack: {
      auto c = DecodeConnack(packet);
      if (!c.ok()) return Fail(c.status()), false;
      if (c->reason != 0) {
        Fail(Status(c->reason == 0x86 || c->reason == 0x87 ? StatusCode::kUnauthenticated : StatusCode::kIoError,
                    "broker refused the connection: " + std::string(ReasonName(c->reason)) +
                        (c->reason_string.empty() ? "" : " (" + c->reason_string + ")")));
        return false;
      }
      handshake_done_ = true;
      connected_ = true;
      backoff_ = options_.reconnect_min;
      server_receive_maximum_ = c->receive_maximum;
      connects_.Add();
      if (!options_.subscribe.empty()) {
        std::vector<uint8_t> sub;
        EncodeSubscribe(next_packet_id_++, options_.subscribe, 1, sub);
        if (next_packet_id_ == 0) next_packet_id_ = 1;
        Send(std::move(sub));
      }
      ArmKeepAlive();
      if (on_state_) on_state_(true, Status::Ok());
      return true;
    }
    case PacketType::kPublish: {
      if (!handshake_done_) return Fail(Status(StatusCode::kMalformed, "mqtt: PUBLISH before CONNACK")), false;
      auto p = DecodePublish(packet);
      if (!p.ok()) return Fail(p.status()), false;
      if (p->qos == 1) unacked_.emplace_back(p->packet_id, false);
      batch.push_back(std::move(*p));
      return true;
    }
    case PacketType::kPuback:
      if (outbound_inflight_ > 0) --outbound_inflight_;
      outbound_inflight_atomic_ = outbound_inflight_;
      ++outbound_acked_;
      return true;
    case PacketType::kSuback: {
      auto s = DecodeSuback(packet);
      if (!s.ok()) return Fail(s.status()), false;
      if (s->reasons[0] >= 0x80) {
        Fail(Status(StatusCode::kPermissionDenied, "broker refused the subscription to '" + options_.subscribe +
                                                       "': " + std::string(ReasonName(s->reasons[0]))));
        return false;
      }
      return true;
    }
    case PacketType::kDisconnect: {
      auto d = DecodeDisconnect(packet);
      std::string why = d.ok() ? std::string(ReasonName(d->reason)) + (d->reason_string.empty() ? "" : " (" + d->reason_string + ")")
                               : "malformed DISCONNECT";
      Fail(Status(StatusCode::kIoError, "broker disconnected: " + why));
      return false;
    }
    case PacketType::kPingresp:
    default:
      return true;
  }
}

void Client::Ack(uint64_t epoch, uint16_t packet_id) { Ack(epoch, std::vector<uint16_t>{packet_id}); }

void Client::Ack(uint64_t epoch, const std::vector<uint16_t>& packet_ids) {
  asio::post(io_, [this, self = shared_from_this(), epoch, packet_ids] {
    if (epoch != epoch_ || !handshake_done_) return;
    for (uint16_t id : packet_ids) {
      // Acks mostly come in arrival order, so the match is near the front.
      auto it = std::find_if(unacked_.begin(), unacked_.end(),
                             [id](const auto& entry) { return entry.first == id && !entry.second; });
      if (it != unacked_.end()) it->second = true;
    }
    FlushAcks();
  });
}

void Client::FlushAcks() {
  std::vector<uint8_t> bytes;
  int64_t count = 0;
  while (!unacked_.empty() && unacked_.front().second) {
    EncodePuback(unacked_.front().first, bytes);
    unacked_.pop_front();
    ++count;
  }
  if (count == 0) return;
  acked_.Add(count);
  Send(std::move(bytes));
}

void Client::Reconnect(const Status& why) {
  asio::post(io_, [self = shared_from_this(), why] {
    if (self->transport_ && !self->stopping_) self->Fail(why);
  });
}

void Client::PauseReading() { paused_ = true; }

void Client::ResumeReading() {
  paused_ = false;
  if (transport_ && !reading_ && !stopping_) DoRead();
}

Status Client::PublishMessage(std::string topic, std::string payload, uint8_t qos, bool retain) {
  if (!connected_) {
    dropped_out_.Add();
    return Status(StatusCode::kIoError, "not connected to the MQTT broker");
  }
  asio::post(io_, [this, self = shared_from_this(), topic = std::move(topic), payload = std::move(payload), qos, retain] {
    if (!handshake_done_ || stopping_ || (qos == 1 && outbound_inflight_ >= server_receive_maximum_) ||
        (qos == 0 && write_queue_bytes_ > options_.max_write_queue_bytes)) {
      dropped_out_.Add();
      return;
    }
    uint16_t id = 0;
    if (qos == 1) {
      id = next_packet_id_++;
      if (next_packet_id_ == 0) next_packet_id_ = 1;
      ++outbound_inflight_;
      outbound_inflight_atomic_ = outbound_inflight_;
    }
    std::vector<uint8_t> bytes;
    EncodePublish(topic, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(payload.data()), payload.size()),
                  qos, retain, id, bytes);
    Send(std::move(bytes));
  });
  return Status::Ok();
}

void Client::Send(std::vector<uint8_t> bytes) {
  if (!transport_) return;
  write_queue_bytes_ += bytes.size();
  write_queue_.push_back(std::move(bytes));
  if (!writing_) DoWrite();
}

void Client::DoWrite() {
  if (write_queue_.empty()) {
    writing_ = false;
    if (close_after_write_ && transport_) transport_->Close();
    return;
  }
  writing_ = true;
  // Coalesce everything queued into one write: many small PUBACKs become one syscall.
  if (write_queue_.size() > 1) {
    std::vector<uint8_t> merged;
    merged.reserve(write_queue_bytes_);
    for (auto& b : write_queue_) merged.insert(merged.end(), b.begin(), b.end());
    write_queue_.clear();
    write_queue_.push_back(std::move(merged));
  }
  const uint64_t epoch = epoch_;
  transport_->AsyncWrite(asio::buffer(write_queue_.front()),
                         [this, self = shared_from_this(), epoch](const error_code& ec, size_t) {
                           if (epoch != epoch_) return;
                           write_queue_bytes_ -= write_queue_.front().size();
                           write_queue_.pop_front();
                           if (ec) {
                             writing_ = false;
                             if (!stopping_) Fail(Status(StatusCode::kIoError, "write to broker: " + ec.message()));
                             return;
                           }
                           DoWrite();
                         });
}

}  // namespace fleetd::mqtt
