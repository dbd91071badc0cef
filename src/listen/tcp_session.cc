#include "listen/tcp_session.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "core/time_util.h"

namespace fleetd {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {
constexpr size_t kMaxQueuedWrites = 256;
}

TcpSession::TcpSession(asio::ip::tcp::socket socket, const ProtocolInfo& protocol, ListenerDeps deps,
                       const ListenerOptions& options)
    : socket_(std::move(socket)),
      idle_timer_(socket_.get_executor()),
      retry_timer_(socket_.get_executor()),
      protocol_(protocol),
      deps_(deps),
      options_(options),
      framer_(protocol.make_framer(options.lenient)),
      decoder_(protocol.make_decoder()),
      frames_ok_(deps.metrics.GetCounter("fleetd_frames_total", {{"protocol", protocol.name}},
                                         "Frames decoded")),
      messages_(deps.metrics.GetCounter("fleetd_messages_total", {{"protocol", protocol.name}},
                                        "Messages published to the queue")) {
  buffer_.resize(std::max<size_t>(framer_->max_frame_size() * 2, 4096));
  decode_session_.lenient = options.lenient;
  error_code ec;
  auto ep = socket_.remote_endpoint(ec);
  if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
}

void TcpSession::Start() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->last_read_ = std::chrono::steady_clock::now();
    self->ArmIdleTimer();
    self->DoRead();
  });
}

void TcpSession::Close() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->DoClose(); });
}

void TcpSession::DoClose() {
  if (closed_) return;
  closed_ = true;
  error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  idle_timer_.cancel();
  retry_timer_.cancel();
}

bool TcpSession::CanRead() const {
  return !closed_ && !reading_ && !publish_blocked_ && inflight_.size() < options_.max_inflight_batches;
}

void TcpSession::DoRead() {
  if (!CanRead()) return;
  if (begin_ > 0) {  // compact: keep the unconsumed tail at the front
    std::copy(buffer_.begin() + static_cast<ptrdiff_t>(begin_), buffer_.begin() + static_cast<ptrdiff_t>(end_),
              buffer_.begin());
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buffer_.size()) {
    // The framer asked for more than twice its own maximum: treat as garbage.
    Reject(Status(StatusCode::kBadLength, "no frame within the buffer limit"));
    DoClose();
    return;
  }
  reading_ = true;
  socket_.async_read_some(asio::buffer(buffer_.data() + end_, buffer_.size() - end_),
                          [self = shared_from_this()](const error_code& ec, size_t n) { self->OnRead(ec, n); });
}

void TcpSession::OnRead(const error_code& ec, size_t n) {
  reading_ = false;
  if (closed_) return;
  if (ec) {
    DoClose();
    return;
  }
  end_ += n;
  last_read_ = std::chrono::steady_clock::now();
  if (!ProcessBuffer()) return;
  TryPublish();
  DoRead();
}

bool TcpSession::ProcessBuffer() {
  while (begin_ < end_ && !closed_) {
    std::span<const uint8_t> pending(buffer_.data() + begin_, end_ - begin_);
    FrameResult r = framer_->Next(pending);
    if (r.kind == FrameResult::Kind::kNeedMore) break;
    if (r.kind == FrameResult::Kind::kError) {
      size_t dropped = std::min(std::max<size_t>(r.consumed, 1), end_ - begin_);
      begin_ += dropped;
      garbage_bytes_ += dropped;
      Reject(r.error);
      if (protocol_.transport == Transport::kHttp) {
        // HTTP cannot resynchronise after a bad request: close, as servers do.
        DoClose();
        return false;
      }
    } else {
      auto frame = pending.first(r.consumed);
      begin_ += r.consumed;
      if (!HandleFrame(frame)) return false;
    }
    // Only garbage since the last good frame: not a tracker of this protocol.
    if (consecutive_errors_ > options_.max_consecutive_errors ||
        garbage_bytes_ > framer_->max_frame_size() * 2) {
      deps_.metrics.GetCounter("fleetd_garbage_connections_closed_total", {{"protocol", protocol_.name}},
                               "Connections closed for sending only malformed data").Add();
      DoClose();
      return false;
    }
  }
  return !closed_;
}

bool TcpSession::HandleFrame(std::span<const uint8_t> frame) {
  decoded_.messages.clear();
  decoded_.reply.clear();
  Status s = decoder_->Decode(frame, decode_session_, NowMs(), decoded_);
  if (!s.ok()) {
    // An error answer (HTTP 400) goes out in turn, without waiting for durability.
    batch_reply_.insert(batch_reply_.end(), decoded_.reply.begin(), decoded_.reply.end());
    Reject(s);
    return true;
  }
  consecutive_errors_ = 0;
  garbage_bytes_ = 0;
  frames_ok_.Add();
  if (!decode_session_.device_uid.empty() && (!device_ || device_->uid != decode_session_.device_uid)) {
    if (!ResolveDevice()) return false;
  }
  for (auto& m : decoded_.messages) {
    if (!device_) continue;  // a decoder produced a message without identifying the device
    batch_.push_back(Envelope{device_->tenant_id, device_->id, std::move(m)});
  }
  if (device_) batch_reply_.insert(batch_reply_.end(), decoded_.reply.begin(), decoded_.reply.end());
  return true;
}

bool TcpSession::ResolveDevice() {
  const std::string& uid = decode_session_.device_uid;
  auto found = deps_.devices.Resolve(uid);
  if (found.ok()) {
    device_ = *found;
    // The device's own settings apply from the frame after its login on.
    const bool lenient = options_.lenient || device_->lenient;
    if (lenient != decode_session_.lenient) framer_ = protocol_.make_framer(lenient);
    decode_session_.lenient = lenient;
    decode_session_.model = device_->model;
    return true;
  }
  if (found.status().code() == StatusCode::kNotFound) {
    // Not acknowledged: the device retries, and is accepted once an admin claims it.
    deps_.metrics.GetCounter("fleetd_unregistered_total", {{"protocol", protocol_.name}},
                             "Connections from devices no tenant has registered").Add();
    deps_.devices.RecordPending(uid, protocol_.name, remote_, NowMs());
  } else {
    deps_.metrics.GetCounter("fleetd_device_lookup_errors_total", {{"protocol", protocol_.name}}).Add();
  }
  batch_.clear();
  batch_reply_.clear();
  DoClose();
  return false;
}

void TcpSession::Reject(const Status& why) {
  ++consecutive_errors_;
  const std::string reason(StatusCodeName(why.code()));
  deps_.metrics
      .GetCounter("fleetd_frames_rejected_total", {{"protocol", protocol_.name}, {"reason", reason}},
                  "Frames dropped, by protocol and reason")
      .Add();
  // Per registered device too (bounded by the fleet), so an operator sees
  // which device needs a lenient or model setting.
  if (device_) {
    deps_.metrics
        .GetCounter("fleetd_device_frames_rejected_total",
                    {{"device", device_->uid}, {"protocol", protocol_.name}, {"reason", reason}},
                    "Frames dropped from a registered device, by reason")
        .Add();
  }
}

void TcpSession::TryPublish() {
  if (closed_ || (batch_.empty() && batch_reply_.empty())) return;
  InFlight slot;
  slot.seq = next_seq_;
  slot.reply = std::move(batch_reply_);
  batch_reply_.clear();
  if (batch_.empty()) {  // nothing to make durable: the reply may go out in turn
    slot.done = slot.durable = true;
    ++next_seq_;
    inflight_.push_back(std::move(slot));
    FlushReplies();
    return;
  }
  size_t count = batch_.size();
  uint64_t seq = next_seq_;
  auto self = shared_from_this();
  Status s = deps_.queue.Publish(std::move(batch_), [self, seq](const Status& st) {
    asio::post(self->socket_.get_executor(), [self, seq, ok = st.ok()] { self->OnDurable(seq, ok); });
  });
  if (!s.ok()) {
    batch_reply_ = std::move(slot.reply);
    if (s.code() == StatusCode::kBusy) {
      // The queue kept nothing; batch_ still holds the messages. Stop reading
      // and offer them again shortly.
      publish_blocked_ = true;
      deps_.metrics.GetCounter("fleetd_backpressure_waits_total", {{"protocol", protocol_.name}},
                               "Times a full queue paused a connection").Add();
      retry_timer_.expires_after(options_.busy_retry);
      retry_timer_.async_wait([self](const error_code& ec) {
        if (ec || self->closed_) return;
        self->publish_blocked_ = false;
        self->TryPublish();
        self->DoRead();
      });
    } else {
      deps_.metrics.GetCounter("fleetd_publish_errors_total", {{"protocol", protocol_.name}}).Add();
      DoClose();  // queue closed: shutting down
    }
    return;
  }
  batch_.clear();
  ++next_seq_;
  messages_.Add(static_cast<int64_t>(count));
  inflight_.push_back(std::move(slot));
}

void TcpSession::OnDurable(uint64_t seq, bool durable) {
  for (auto& slot : inflight_) {
    if (slot.seq == seq) {
      slot.done = true;
      slot.durable = durable;
      break;
    }
  }
  if (!durable) {
    deps_.metrics.GetCounter("fleetd_durable_failures_total", {{"protocol", protocol_.name}}).Add();
  }
  FlushReplies();
  DoRead();  // a slot freed: reading may resume
}

void TcpSession::FlushReplies() {
  while (!inflight_.empty() && inflight_.front().done) {
    InFlight slot = std::move(inflight_.front());
    inflight_.pop_front();
    // Not durable: no acknowledgement, so the device keeps the data and resends.
    if (slot.durable && !slot.reply.empty()) Write(std::move(slot.reply));
  }
}

void TcpSession::Write(std::vector<uint8_t> bytes) {
  if (closed_) return;
  if (write_queue_.size() >= kMaxQueuedWrites) {  // the device is not reading its replies
    DoClose();
    return;
  }
  write_queue_.push_back(std::move(bytes));
  if (!writing_) DoWrite();
}

void TcpSession::DoWrite() {
  if (closed_ || write_queue_.empty()) {
    writing_ = false;
    return;
  }
  writing_ = true;
  asio::async_write(socket_, asio::buffer(write_queue_.front()),
                    [self = shared_from_this()](const error_code& ec, size_t) {
                      if (ec) {
                        self->DoClose();
                        return;
                      }
                      self->write_queue_.pop_front();
                      self->DoWrite();
                    });
}

void TcpSession::ArmIdleTimer() {
  idle_timer_.expires_at(last_read_ + options_.idle_timeout);
  idle_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (ec == asio::error::operation_aborted || self->closed_) return;
    if (std::chrono::steady_clock::now() < self->last_read_ + self->options_.idle_timeout) {
      self->ArmIdleTimer();  // read since: the idle period starts at that read
      return;
    }
    self->deps_.metrics.GetCounter("fleetd_idle_timeouts_total", {{"protocol", self->protocol_.name}}).Add();
    self->DoClose();
  });
}

}  // namespace fleetd
