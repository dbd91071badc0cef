#include "listen/udp_listener.h"

#include <boost/asio/post.hpp>

#include "core/time_util.h"

namespace fleetd {

namespace asio = boost::asio;
using asio::ip::udp;

UdpListener::UdpListener(IoPool& pool, const ProtocolInfo& protocol, ListenerDeps deps, ListenerOptions options)
    : protocol_(protocol),
      deps_(deps),
      options_(options),
      socket_(pool.Next()),
      decoder_(protocol.make_datagram_decoder()),
      datagrams_(deps.metrics.GetCounter("fleetd_datagrams_total", {{"protocol", protocol.name}},
                                         "UDP datagrams received")) {}

UdpListener::~UdpListener() = default;

Status UdpListener::Start(const std::string& host, uint16_t port) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return Status(StatusCode::kInvalidArgument, "bad listen address '" + host + "'");
  udp::endpoint endpoint(address, port);
  socket_.open(endpoint.protocol(), ec);
  if (!ec) socket_.bind(endpoint, ec);
  if (ec) {
    return Status(StatusCode::kIoError,
                  protocol_.name + " UDP listener on " + host + ":" + std::to_string(port) + ": " + ec.message());
  }
  port_ = socket_.local_endpoint().port();
  asio::post(socket_.get_executor(), [this] { DoReceive(); });
  return Status::Ok();
}

void UdpListener::Stop() {
  asio::post(socket_.get_executor(), [this] {
    boost::system::error_code ec;
    socket_.close(ec);
  });
}

void UdpListener::DoReceive() {
  socket_.async_receive_from(asio::buffer(buffer_), sender_, [this](const boost::system::error_code& ec, size_t n) {
    if (ec == asio::error::operation_aborted || !socket_.is_open()) return;
    if (!ec) Handle(n);
    DoReceive();
  });
}

void UdpListener::Handle(size_t n) {
  datagrams_.Add();
  auto reject = [&](const Status& why) {
    deps_.metrics
        .GetCounter("fleetd_frames_rejected_total",
                    {{"protocol", protocol_.name}, {"reason", std::string(StatusCodeName(why.code()))}},
                    "Frames dropped, by protocol and reason")
        .Add();
  };
  DecodeSession session;
  session.lenient = options_.lenient;
  DecodeOutput out;
  Status s = decoder_->Decode(std::span<const uint8_t>(buffer_.data(), n), session, NowMs(), out);
  if (!s.ok()) {
    reject(s);
    return;
  }
  if (session.device_uid.empty()) {
    reject(Status(StatusCode::kNoSession, "datagram without a device id"));
    return;
  }
  auto device = deps_.devices.Resolve(session.device_uid);
  if (!device.ok()) {
    if (device.status().code() == StatusCode::kNotFound) {
      deps_.metrics.GetCounter("fleetd_unregistered_total", {{"protocol", protocol_.name}}).Add();
      deps_.devices.RecordPending(session.device_uid, protocol_.name, sender_.address().to_string() + ":" +
                                                                          std::to_string(sender_.port()),
                                  NowMs());
    }
    return;
  }
  if (device->lenient && !session.lenient) {
    // This device is known to send odd checksums: decode again leniently.
    session = DecodeSession{};
    session.lenient = true;
    session.model = device->model;
    out = DecodeOutput{};
    if (Status again = decoder_->Decode(std::span<const uint8_t>(buffer_.data(), n), session, NowMs(), out);
        !again.ok()) {
      reject(again);
      return;
    }
  }
  std::vector<Envelope> batch;
  batch.reserve(out.messages.size());
  for (auto& m : out.messages) batch.push_back(Envelope{device->tenant_id, device->id, std::move(m)});
  auto reply = std::make_shared<std::vector<uint8_t>>(std::move(out.reply));
  udp::endpoint to = sender_;
  auto send_reply = [this, reply, to] {
    if (reply->empty()) return;
    boost::system::error_code ec;
    socket_.send_to(asio::buffer(*reply), to, 0, ec);  // datagrams are small: a blocking send is immediate
  };
  if (batch.empty()) {
    send_reply();
    return;
  }
  const size_t count = batch.size();
  Status published = deps_.queue.Publish(std::move(batch), [this, send_reply](const Status& st) {
    if (st.ok()) asio::post(socket_.get_executor(), send_reply);
  });
  if (!published.ok()) {
    deps_.metrics.GetCounter("fleetd_datagrams_dropped_total", {{"protocol", protocol_.name},
                             {"reason", std::string(StatusCodeName(published.code()))}},
                             "Datagrams not accepted (queue full): left unacknowledged for the device to resend")
        .Add();
    return;
  }
  deps_.metrics.GetCounter("fleetd_messages_total", {{"protocol", protocol_.name}}).Add(static_cast<int64_t>(count));
}

}  // namespace fleetd
